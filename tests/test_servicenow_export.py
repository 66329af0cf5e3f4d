"""The ServiceNow export readers: a hand-made CSV with exact answers, the real UCI incident
log (every row in the log or quarantined with a reason), and a Table API JSON file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from extractors.pseudonym import KEY_ENV, Pseudonymiser
from extractors.servicenow.export import (
    UNSET_STATE_REASON,
    CsvExportOptions,
    read_csv_export,
)
from models.errors import InputError
from models.eventlog import build_canonical_log
from models.store import LogStore
from services.ingestion import ServiceNowSource, ingest
from tests.file_text import parquet_text
from tests.shared_data import shared_file

KEY = "export-test-key-0123456789"
P = Pseudonymiser(KEY.encode())
FIXTURES = Path(__file__).parent / "fixtures" / "servicenow"
HEADER = (
    "number,incident_state,caller_id,opened_by,opened_at,sys_created_by,sys_created_at,"
    "sys_updated_by,sys_updated_at,assignment_group,assigned_to,priority,resolved_by,resolved_at,"
    "closed_at"
)
ROWS = (
    "INC1,New,Caller 7,Opened by 1,1/3/2016 09:00,Created by 2,?,Updated by 3,1/3/2016 09:05,"
    "Group 5,?,3 - Moderate,?,?,?",
    "INC1,-100,Caller 7,Opened by 1,1/3/2016 09:00,Created by 2,?,Updated by 4,1/3/2016 10:00,"
    "Group 5,Resolver 9,3 - Moderate,?,?,?",
    "INC1,Resolved,Caller 7,Opened by 1,1/3/2016 09:00,Created by 2,?,Updated by 4,"
    "27/3/2016 02:30,Group 6,Resolver 9,3 - Moderate,Resolved by 9,27/3/2016 03:10,?",
    "INC1,Closed,Caller 7,Opened by 1,1/3/2016 09:00,Created by 2,?,system,2/8/2016 12:00,"
    "Group 6,Resolver 9,3 - Moderate,Resolved by 9,27/3/2016 03:10,2/8/2016 12:00",
)


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def write_csv(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.csv"
    path.write_text("\n".join((HEADER, *ROWS)) + "\n", encoding="utf-8")
    return path


def test_a_list_export_reads_to_exact_utc_events_with_people_pseudonymised(
    tmp_path: Path,
) -> None:
    read = read_csv_export(
        write_csv(tmp_path), options=CsvExportOptions(timezone="Europe/Copenhagen"), pseudonym=P
    )
    log = build_canonical_log(read.staged, quarantine=read.quarantine)
    events = log.events.select(
        "case_id", pl.col("activity").cast(pl.String), "timestamp", "resource", "org_unit"
    )
    utc = dt.UTC
    assert events.rows() == [
        ("INC1", "New", dt.datetime(2016, 3, 1, 8, 5, tzinfo=utc), P("Updated by 3"), "Group 5"),
        ("INC1", "Closed", dt.datetime(2016, 8, 2, 10, 0, tzinfo=utc), "system", "Group 6"),
    ]
    assert log.quarantine.select("row_number", "reason").rows() == [
        (2, UNSET_STATE_REASON),
        (
            3,
            "sys_updated_at is a local time that does not exist in Europe/Copenhagen (the "
            "spring daylight-saving gap); check the export's time zone",
        ),
    ]
    closed = log.events.row(1, named=True)
    assert closed["caller_id"] == P("Caller 7") and closed["resolved_by"] == P("Resolved by 9")
    assert closed["resolved_at"] == dt.datetime(2016, 3, 27, 1, 10, tzinfo=utc)
    assert closed["closed_at"] == dt.datetime(2016, 8, 2, 10, 0, tzinfo=utc)
    assert "Caller 7" not in log.quarantine.write_csv()  # set-aside rows are pseudonymised too


def test_free_text_and_e_mail_columns_are_left_out_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "texts.csv"
    path.write_text(
        "number,incident_state,sys_updated_by,sys_updated_at,assignment_group,"
        "short_description,u_contact,category\n"
        "INC1,New,jdoe,2025-03-03 10:00,Servicedesk,Mette kan ikke logge på,"
        "mette@kk.dk,software\n",
        encoding="utf-8",
    )
    read = read_csv_export(path, options=CsvExportOptions(timezone="UTC"), pseudonym=P)
    assert "short_description" not in read.staged.columns
    assert "u_contact" not in read.staged.columns
    assert read.staged["category"].to_list() == ["software"]
    assert read.notes == (
        "free-text column(s) short_description left out: they may name people.",
        "column(s) u_contact hold e-mail addresses and are left out.",
    )


def test_a_file_without_the_incident_columns_says_which_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("number,state\nINC1,New\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks the column\\(s\\) incident_state, sys_updated_at"):
        read_csv_export(path, options=CsvExportOptions(timezone="UTC"), pseudonym=P)


@pytest.mark.slow
def test_the_uci_incident_log_every_row_in_the_log_or_quarantined(tmp_path: Path) -> None:
    source = shared_file("servicenow-uci-incidents/incident_event_log.zip")
    data = tmp_path / "data"
    report = ingest(
        LogStore(data), ServiceNowSource(timezone="Europe/Copenhagen"), exports=[source],
        name="uci",
    )  # fmt: skip
    assert report.entry.events + report.quarantined == 141_712
    events = pl.read_parquet(data / "03_primary" / "uci" / "events.parquet")
    quarantine = pl.read_csv(data / "03_primary" / "uci" / "quarantine.csv")
    assert events.height + quarantine.height == 141_712
    in_log = set(events["case_id"])
    set_aside = {json.loads(r)["number"] for r in quarantine["record"]}
    assert len(in_log | set_aside) == 24_918 == report.entry.cases
    reasons = quarantine.group_by("reason").len().sort("reason").rows()
    assert reasons == [
        (UNSET_STATE_REASON, 5),
        (
            "sys_updated_at is a local time that does not exist in Europe/Copenhagen (the "
            "spring daylight-saving gap); check the export's time zone",
            4,
        ),
    ]
    assert set(events["activity"].cast(pl.String)) == {
        "New", "Active", "Awaiting User Info", "Awaiting Problem", "Awaiting Vendor",
        "Awaiting Evidence", "Resolved", "Closed",
    }  # fmt: skip
    for column in ("resource", "caller_id", "opened_by", "sys_created_by", "assigned_to"):
        values = events[column].drop_nulls()
        assert (values.str.starts_with("p-") | (values == "system")).all(), column
    assert events["org_unit"].drop_nulls().str.starts_with("Group ").all()
    for path in data.rglob("*"):
        text = parquet_text(path) if path.suffix == ".parquet" else ""
        if path.suffix == ".csv":
            text = path.read_text("utf-8")
        assert "Caller " not in text and "Updated by " not in text, path


def test_a_table_api_json_export_becomes_a_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = ingest(
        LogStore(data), ServiceNowSource(timezone="UTC"), exports=[FIXTURES / "incident.json"],
        name="inc",
    )  # fmt: skip
    events = pl.read_parquet(data / "03_primary" / "inc" / "events.parquet")
    assert events.select("case_id", pl.col("activity").cast(pl.String)).rows() == [
        ("INC0010042", "Created"),
        ("INC0010042", "Resolved"),
        ("INC0010042", "Closed"),
        ("INC0010043", "Created"),
        ("INC0010043", "Resolved"),
    ]
    assert report.entry.source_format == "servicenow-json"
    staged = pl.read_parquet(data / "02_intermediate" / "servicenow-export" / "inc.parquet")
    assert "jdoe" not in staged.write_csv()
