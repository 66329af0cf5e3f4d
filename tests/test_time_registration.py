"""Time registration: the export readers and mapping on a hand-checked file, Excel, ServiceNow
time cards, and the simulated landscape's hours recovered exactly from ``hours.parquet``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from extractors.pseudonym import KEY_ENV, Pseudonymiser
from extractors.time_registration import map_time_cards, task_lookup
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url
from services.ingestion import IngestionReport, TimeSource, ingest
from simulator.generate import simulate

KEY = "time-test-key-0123456789"
FIXTURES = Path(__file__).parent / "fixtures" / "time_registration"
UTC = dt.UTC


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def import_time_exports(store: LogStore, paths: list[Path]) -> IngestionReport:
    return ingest(store, TimeSource(), exports=paths)


def rebuild_time(store: LogStore, *, servicenow: bool = False) -> IngestionReport:
    return ingest(store, TimeSource(servicenow=servicenow), rebuild=True)


def hours_of(report: IngestionReport) -> pl.DataFrame:
    """The hours table the run wrote (its one table)."""
    [table] = report.tables
    assert table.name == "hours"
    return pl.read_parquet(table.path)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_small_csv_is_mapped_and_bad_rows_quarantined_with_line_and_reason(
    tmp_path: Path,
) -> None:
    report = import_time_exports(LogStore(tmp_path), [FIXTURES / "small.csv"])
    hours = hours_of(report)
    p = Pseudonymiser(KEY.encode())
    assert hours.to_dicts() == [
        {"date": dt.date(2024, 3, 4), "employee": p("anni42"), "service_area": "Servicedesk",
         "case_reference": "INC0012345", "activity": "Incidenthåndtering", "hours": 1.5,
         "start": utc(2024, 3, 4, 7), "end": utc(2024, 3, 4, 8, 30), "whole_day": True,
         "source": "small.csv", "source_row": 2},
        {"date": dt.date(2024, 3, 4), "employee": p("anni42"), "service_area": "Servicedesk",
         "case_reference": None, "activity": "Koordinering", "hours": 0.25,
         "start": utc(2024, 3, 4, 8, 30), "end": utc(2024, 3, 4, 8, 45), "whole_day": True,
         "source": "small.csv", "source_row": 3},
        {"date": dt.date(2024, 3, 31), "employee": p("bo7"), "service_area": "FU",
         "case_reference": "RITM0000001", "activity": "Koordinering", "hours": 2.0,
         "start": utc(2024, 3, 31, 11), "end": utc(2024, 3, 31, 13), "whole_day": False,
         "source": "small.csv", "source_row": 4},
    ]  # fmt: skip
    [quarantine_file] = report.quarantine_files
    quarantine = pl.read_csv(quarantine_file)
    assert quarantine.select("file", "line").rows() == [("small.csv", n) for n in (5, 6, 7, 8, 9)]
    reasons = quarantine["reason"].to_list()
    assert reasons[0].startswith("Medarbejder is empty")
    assert reasons[1] == "the date '31-02-2024' is not a date; write it as YYYY-MM-DD"
    assert reasons[2] == "the hours '-1' are negative"
    assert reasons[3] == "the hours '25' are more than 24 in one row"
    assert "daylight-saving gap" in reasons[4]
    assert "anni42" not in quarantine.write_csv() and "bo7" not in quarantine.write_csv()
    state = ExtractionCatalog(default_database_url(tmp_path))
    try:
        status = state.status("time-registration", "small.csv")
    finally:
        state.dispose()
    assert (status.records_stored, status.quarantined) == (8, 5)
    # The raw copy is pseudonymised, and a rebuild gives the same table without the file.
    raw = (tmp_path / "01_raw/time-registration/exports/small.csv.json").read_text("utf-8")
    assert "anni42" not in raw and p("anni42") in raw  # type: ignore[operator]
    again = rebuild_time(LogStore(tmp_path))
    assert hours_of(again).equals(hours)


def test_excel_and_comma_separated_exports_read_the_same_bookings(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Dato", "Medarbejder", "Serviceområde", "Sagsreference", "Aktivitet", "Timer"])
    sheet.append([dt.datetime(2024, 3, 4), "anni42", "Servicedesk", "INC1", "Koordinering", 1.5])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["2024-03-05", "anni42", "Servicedesk", None, "Koordinering", 7])
    book.save(tmp_path / "export.xlsx")
    (tmp_path / "comma.csv").write_text(
        "Date,Employee,Service area,Case reference,Activity,Hours\n"
        "2024-03-04,anni42,Servicedesk,INC1,Koordinering,1.5\n"
        "2024-03-05,anni42,Servicedesk,,Koordinering,7\n",
        "utf-8",
    )
    report = import_time_exports(LogStore(tmp_path / "data"), [tmp_path])
    hours = hours_of(report)
    by_source = {
        source: part.drop("source", "source_row").to_dicts()
        for (source,), part in hours.group_by("source", maintain_order=True)
    }
    assert by_source["export.xlsx"] == by_source["comma.csv"]
    assert [r["hours"] for r in by_source["comma.csv"]] == [1.5, 7.0]
    assert hours.filter(pl.col("source") == "export.xlsx")["source_row"].to_list() == [2, 4]


def test_time_cards_become_one_booking_per_day_with_task_number_and_group() -> None:
    card = {
        "sys_id": "c1", "user": "p-0123456789abcdef", "task": "t1",
        "week_starts_on": "2024-03-04", "category": "task_work", "u_aktivitet": "Koordinering",
        "monday": "1.50", "tuesday": "0.00", "wednesday": "0.25", "thursday": "0.00",
        "friday": "0.00", "saturday": "0.00", "sunday": "0.00", "total": "1.75",
    }  # fmt: skip
    lookup = task_lookup(
        [{"sys_id": "t1", "number": "RITM0001", "assignment_group": "g1"}],
        [{"sys_id": "g1", "name": "Servicedesk"}],
    )
    mapped = map_time_cards([(1, card), (2, {**card, "user": ""})], lookup)
    assert mapped.frame.select("date", "hours", "case_reference", "service_area", "activity",
                               "start").rows() == [
        (dt.date(2024, 3, 4), 1.5, "RITM0001", "Servicedesk", "Koordinering", utc(2024, 3, 4, 7)),
        (dt.date(2024, 3, 6), 0.25, "RITM0001", "Servicedesk", "Koordinering", utc(2024, 3, 6, 7)),
    ]  # fmt: skip
    assert mapped.quarantine.select("file", "line", "reason").rows() == [
        ("servicenow:time_card", 2, "user is empty: every time card needs the employee")
    ]


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landscape")
    simulate(out, seed=42, scale=0.05, start="2024-04-01", end="2024-07-31")
    return out


def test_simulated_hours_by_activity_and_month_are_recovered_exactly(
    landscape: Path, tmp_path: Path
) -> None:
    report = import_time_exports(LogStore(tmp_path), [landscape / "time-registration"])
    assert report.quarantined == 0
    hours = hours_of(report)
    manifest = json.loads((landscape / "manifest.json").read_text("utf-8"))
    effects = manifest["effects"]
    expected = {a["time_registration"]["aktivitet"]: a["time_registration"]["hours_by_month"]
                for a in effects["automations"]}  # fmt: skip
    expected["Koordinering"] = effects["integration"]["coordination_time"]["hours_by_month"]
    for activity, by_month in expected.items():
        got = (
            hours.filter(pl.col("activity") == activity)
            .group_by(pl.col("date").dt.strftime("%Y-%m").alias("month"))
            .agg(pl.col("hours").sum())
        )
        assert {m: round(h, 2) for m, h in got.iter_rows()} == by_month, activity
    assert sum(len(v) for v in expected.values()) >= 12
    # No raw employee identifier anywhere under the data folder.
    names = {
        line.split(";")[1]
        for path in (landscape / "time-registration").glob("*.csv")
        for line in path.read_text("utf-8").splitlines()[1:]
    }
    stored = "".join(
        p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()
    )
    assert len(names) > 20
    assert not [n for n in names if f'"{n}"' in stored or f",{n}," in stored]


def test_servicenow_time_cards_give_the_same_hours_as_the_export(
    landscape: Path, tmp_path: Path
) -> None:
    """Time cards stored as the ServiceNow extractor stores them (user pseudonymised, only
    declared fields) map to the same hours per activity and month as the CSV export."""
    pseudonym = Pseudonymiser(KEY.encode())
    kept = {
        "time_card": ("sys_id", "task", "user", "week_starts_on", "state", "category", "total",
                      "u_aktivitet", "monday", "tuesday", "wednesday", "thursday", "friday",
                      "saturday", "sunday", "sys_created_on", "sys_updated_on"),
        "sc_req_item": ("sys_id", "number", "assignment_group"),
        "incident": ("sys_id", "number", "assignment_group"),
        "sc_task": ("sys_id", "number", "assignment_group"),
        "sys_user_group": ("sys_id", "name"),
    }  # fmt: skip
    for table, fields in kept.items():
        for page in sorted((landscape / "servicenow" / table).glob("page-*.json")):
            records = [
                {k: (pseudonym(v) if k == "user" else v) for k, v in r.items() if k in fields}
                for r in json.loads(page.read_text("utf-8"))["result"]
            ]
            target = tmp_path / "01_raw" / "servicenow" / table / page.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps({"result": records}), "utf-8")
    report = rebuild_time(LogStore(tmp_path), servicenow=True)
    assert report.quarantined == 0 and report.notes == ()
    cards = hours_of(report)
    assert cards["source"].unique().to_list() == ["servicenow:time_card"]
    assert cards["case_reference"].null_count() == 0
    export = hours_of(
        import_time_exports(LogStore(tmp_path / "csv"), [landscape / "time-registration"])
    )

    def by_activity_month(frame: pl.DataFrame) -> dict[tuple[str, str], float]:
        sums = frame.group_by("activity", pl.col("date").dt.strftime("%Y-%m").alias("m")).agg(
            pl.col("hours").sum()
        )
        return {(a, m): round(h, 2) for a, m, h in sums.iter_rows()}

    assert by_activity_month(cards) == by_activity_month(export)
    # The time-card stream is remembered: a plain rebuild maps it again.
    assert rebuild_time(LogStore(tmp_path)).tables[0].rows == cards.height
