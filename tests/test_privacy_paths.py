"""No personal data on any path: names, e-mail addresses, phone numbers, CPR numbers and free text
planted in every input format never reach a file under the data folder or an export."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from app.cli import cli
from extractors.azure_devops import pseudonymise_record
from extractors.files import ReadOptions, batches
from extractors.files.ocel import read_ocel, write_ocel
from extractors.pseudonym import KEY_ENV, Pseudonymiser
from models.errors import InputError
from models.store import LogStore
from services import streamed_import
from services.imports import import_log
from services.ingestion import (
    AzureDevOpsSource,
    RobotsSource,
    ServiceNowSource,
    TimeSource,
    ingest,
)
from tests.cli_support import run, runner
from tests.file_text import parquet_text
from tests.shared_data import shared_file

NAMES = ("Jens Hansen", "Mette Kofoed")
EMAILS = ("jens.hansen@kk.dk", "mette.k@example.org")
PHONES = ("+45 33 66 33 66", "21 43 65 87")
CPRS = ("010190-1234", "311285-4321")
FREE_TEXT = ("Borgeren klager over naboens hund",)
PLANTED = (*NAMES, *EMAILS, *PHONES, *CPRS, *FREE_TEXT)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "privacy-paths-test-key-0123456789")


def _planted_rows() -> pl.DataFrame:
    """Six events of three cases; people, contact details, CPR numbers and free text in every
    column that could hold them, one e-mail address as an activity, one row without activity
    (quarantined) full of personal data."""
    return pl.DataFrame(
        {
            "case_id": ["c1", "c1", "c2", "c2", "c3", "c3"],
            "activity": ["Open", "Close", "Open", EMAILS[1], "Open", None],
            "timestamp": [f"2024-03-0{day}T10:00:00+00:00" for day in range(1, 7)],
            "resource": [NAMES[0], NAMES[1], NAMES[0], NAMES[1], NAMES[0], NAMES[1]],
            "org_unit": ["Drift", "Drift", "Service", "Service", "Drift", "Drift"],
            "caller_id": [NAMES[1]] * 6,
            "email": [EMAILS[0]] * 6,
            "phone": [PHONES[0], PHONES[1], PHONES[0], PHONES[1], PHONES[0], PHONES[1]],
            "cpr": [CPRS[0], CPRS[1], CPRS[0], CPRS[1], CPRS[0], CPRS[1]],
            "short_description": [FREE_TEXT[0]] * 6,
            "contact": [PHONES[1], CPRS[0], EMAILS[0], NAMES[0], "x", "y"],
            "priority": ["1", "2", "3", "1", "2", "3"],
        }
    )


def _write_xes(rows: pl.DataFrame, path: Path) -> None:
    traces = []
    for (case,), events in rows.filter(pl.col("activity").is_not_null()).group_by(
        "case_id", maintain_order=True
    ):
        body = "".join(
            "<event>"
            f'<string key="concept:name" value="{e["activity"]}"/>'
            f'<date key="time:timestamp" value="{e["timestamp"]}"/>'
            f'<string key="org:resource" value="{e["resource"]}"/>'
            f'<string key="comment" value="{e["short_description"]}"/>'
            f'<string key="contact" value="{e["contact"]}"/>'
            "</event>"
            for e in events.iter_rows(named=True)
        )
        traces.append(
            f'<trace><string key="concept:name" value="{case}"/>'
            f'<string key="requested_for" value="{NAMES[0]}"/>'
            f'<string key="cpr" value="{CPRS[0]}"/>{body}</trace>'
        )
    path.write_text(f'<?xml version="1.0"?><log>{"".join(traces)}</log>', encoding="utf-8")


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return parquet_text(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _found(folder: Path, *, planted: tuple[str, ...] = PLANTED) -> list[str]:
    """``file: value`` for every planted value in any file under ``folder``."""
    hits: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = _file_text(path)
        hits.extend(f"{path}: {value}" for value in planted if value in text)
    return hits


@pytest.mark.parametrize("suffix", ["csv", "parquet", "xes"])
def test_import_and_export_keep_no_personal_data(
    suffix: str, data_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in" / f"planted.{suffix}"
    source.parent.mkdir()
    rows = _planted_rows()
    if suffix == "csv":
        rows.write_csv(source)
    elif suffix == "parquet":
        rows.write_parquet(source)
    else:
        _write_xes(rows, source)
    run("import", str(source), "--name", "planted")
    out = tmp_path / "out"
    for file_format, name in (("csv", "p.csv"), ("xes", "p.xes"), ("parquet", "p.parquet")):
        run("export", "planted", "--format", file_format, "--out", str(out / name))
    run("export", "planted", "--format", "ocel", "--out", str(out / "p.jsonocel"))
    assert _found(data_dir) == []
    assert _found(out) == []
    events = LogStore().read("planted")
    assert events["resource"].str.starts_with("p-").all()
    assert "priority" in events.columns or suffix == "xes"
    assert "short_description" not in events.columns and "comment" not in events.columns


def test_a_kept_column_with_contact_values_is_pseudonymised(data_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "planted.csv"
    _planted_rows().write_csv(source)
    run("import", str(source), "--name", "kept", "--keep-column", "contact", "--keep-column", "cpr")
    events = LogStore().read("kept")
    assert events["contact"].str.starts_with("p-").all()
    assert events["cpr"].str.starts_with("p-").all()
    assert _found(data_dir) == []


def test_free_text_is_never_kept_even_when_named(data_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "planted.csv"
    _planted_rows().write_csv(source)
    result = runner.invoke(
        cli, ["import", str(source), "--name", "x", "--keep-column", "short_description"]
    )
    assert isinstance(result.exception, InputError)
    assert "free text" in str(result.exception) and "short_description" in str(result.exception)


def test_no_pseudonymise_is_noted_in_the_catalog(data_dir: Path) -> None:
    example = shared_file("pm4py-examples/running-example.xes")
    run("import", str(example), "--name", "running", "--no-pseudonymise")
    entry = LogStore().entry("running")
    assert "--no-pseudonymise" in entry.source_format
    assert "Pete" in LogStore().read("running")["resource"].to_list()


def test_the_readme_uci_example_stores_no_person_in_clear(data_dir: Path) -> None:
    uci = shared_file("servicenow-uci-incidents/incident_event_log.zip")
    run(
        "import", str(uci), "--name", "uci", "--case", "number", "--activity", "incident_state",
        "--timestamp", "sys_updated_at", "--dayfirst", "--null-values", "?",
    )  # fmt: skip
    events = LogStore().read("uci")
    people = ["caller_id", "opened_by", "sys_created_by", "sys_updated_by", "resolved_by"]
    for column in [*people, "assigned_to"]:
        values = events[column].drop_nulls()
        assert values.str.starts_with("p-").all(), column
    assert "location" not in events.columns
    assert events["org_unit"].drop_nulls().str.starts_with("Group ").all()


def _time_rows() -> list[list[object]]:
    header = ["Dato", "Medarbejder", "Serviceområde", "Aktivitet", "Timer", "Kommentar", "CPR"]
    return [
        [*header, "Telefon", "E-mail"],
        ["2024-03-04", NAMES[0], "Servicedesk", "Koordinering", "1.5", FREE_TEXT[0], CPRS[0],
         PHONES[0], EMAILS[0]],
        ["2024-03-05", NAMES[1], "FU", "Koordinering", "-1", FREE_TEXT[0], CPRS[1], PHONES[1],
         EMAILS[1]],
    ]  # fmt: skip


def test_time_registration_raw_and_quarantine_keep_only_mapped_columns(tmp_path: Path) -> None:
    rows = _time_rows()
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "hours.csv").write_text(
        "\n".join(";".join(str(c) for c in row) for row in rows) + "\n", "utf-8"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(exports / "hours.xlsx")
    data = tmp_path / "data"
    report = ingest(LogStore(data), TimeSource(), exports=[exports])
    assert report.quarantine_files  # the negative hours, with their row as it was kept
    assert _found(data) == []


def _plant_devops_fields(record: dict[str, Any]) -> dict[str, Any]:
    fields = record["fields"]
    fields["System.Title"] = FREE_TEXT[0]
    fields["System.Description"] = f"<div>{NAMES[0]}, {CPRS[0]}, {PHONES[0]}</div>"
    fields["System.History"] = f'<a href="#" data-vss-mention="version:2.0">@{NAMES[1]}</a>'
    fields["System.AssignedTo"] = f"{NAMES[1]} <{EMAILS[1]}>"
    fields["Custom.Kontakt"] = EMAILS[0]
    record["relations"] = [
        {"rel": "Hyperlink", "url": "https://kk.service-now.com/x", "attributes": {
            "comment": f"{FREE_TEXT[0]} {PHONES[1]}"}},
    ]  # fmt: skip
    return record


def test_azure_devops_raw_batches_keep_only_mapped_fields(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "azure_devops"
    export = tmp_path / "export" / "azure-devops"
    for stream in ("workitemrevisions", "workitemlinks", "workitems"):
        body = json.loads((fixtures / f"{stream}.json").read_text("utf-8"))
        records = body["value"] if stream == "workitems" else body["values"]
        if stream != "workitemlinks":
            records[:] = [_plant_devops_fields(r) if "fields" in (r or "") else r for r in records]
            records.append(f"{NAMES[0]} {EMAILS[0]}")  # a record of unknown shape
        else:
            records[0]["comment"] = FREE_TEXT[0]
        (export / stream).mkdir(parents=True)
        (export / stream / "batch-00001.json").write_text(json.dumps(body), "utf-8")
    data = tmp_path / "data"
    ingest(LogStore(data), AzureDevOpsSource(), exports=[export.parent], name="ado")
    assert _found(data, planted=(*PLANTED, "Anne Hansen", "anha@kk.dk")) == []


SN_HEADER = (
    "number,incident_state,caller_id,caller_id.name,requested_for,u_phone,location,"
    "short_description,u_reference,sys_updated_by,sys_updated_at,assignment_group,priority"
)


def test_servicenow_csv_json_and_saved_pages_keep_only_mapped_fields(tmp_path: Path) -> None:
    csv = tmp_path / "incidents.csv"
    person = f"{NAMES[0]},{NAMES[1]},{PHONES[0]},Rådhuspladsen 1,{FREE_TEXT[0]}"
    csv.write_text(
        "\n".join((
            SN_HEADER,
            f"INC1,New,{EMAILS[0]},{person},{CPRS[0]},{NAMES[1]},1/3/2016 09:00,Group 5,1",
            f"INC1,-100,{EMAILS[0]},{person},{CPRS[1]},{NAMES[1]},1/3/2016 10:00,Group 5,1",
            f"INC1,Closed,{EMAILS[0]},{person},{PHONES[1]},{EMAILS[1]},1/3/2016 11:00,Group 5,1",
        )) + "\n",
        "utf-8",
    )  # fmt: skip
    fixture = Path(__file__).parent / "fixtures" / "servicenow" / "incident.json"
    body = json.loads(fixture.read_text("utf-8"))
    for record in body["result"]:
        record.update(short_description=FREE_TEXT[0], description=f"{NAMES[0]} {CPRS[0]}",
                      u_phone=PHONES[0], caller_id=EMAILS[1], sys_created_by=NAMES[1])  # fmt: skip
    body["result"].append(f"{NAMES[0]} {EMAILS[0]}")  # a record of unknown shape
    json_export = tmp_path / "incident.json"
    json_export.write_text(json.dumps(body), "utf-8")
    pages = tmp_path / "pages"
    for table in ("incident", "sys_user"):  # sys_user holds people in clear: never copied
        (pages / table).mkdir(parents=True)
        records = sorted(
            (r for r in body["result"] if isinstance(r, dict)),
            key=lambda r: (r["sys_updated_on"], r["sys_id"]),
        )
        (pages / table / "page-00001.json").write_text(json.dumps({"result": records}), "utf-8")
    data = tmp_path / "data"
    source = ServiceNowSource(timezone="Europe/Copenhagen")
    ingest(LogStore(data), source, exports=[csv], name="sn-csv")
    ingest(LogStore(data), source, exports=[json_export], name="sn-json")
    ingest(LogStore(data), ServiceNowSource(timezone="UTC"), exports=[pages])
    assert _found(data, planted=(*PLANTED, "Rådhuspladsen")) == []


def test_one_person_gets_one_pseudonym_across_the_forms_a_source_links() -> None:
    pseudonym = Pseudonymiser(b"one-person-test-key-0123456789")
    forms = ("anha@kk.dk", " AnHa@KK.dk ", "Anne Hansen <AnHa@kk.dk>", "mailto:anha@kk.dk")
    assert len({pseudonym(form) for form in forms}) == 1
    assert pseudonym("anha") != pseudonym("anha@kk.dk")  # not linked by the source: kept apart


def test_robot_csv_keeps_only_documented_columns(tmp_path: Path) -> None:
    export = tmp_path / "robots"
    export.mkdir()
    (export / "runs.csv").write_text(
        "process;run_id;start;end;status;machine;items;reference;robot_user;exception_reason;"
        "kommentar;medarbejder;cpr\n"
        f"KIT_Faktura;r1;2024-03-04 09:00:00;2024-03-04 09:05:00;Successful;VM-1;;RITM1;"
        f"{EMAILS[0]};;{FREE_TEXT[0]};{NAMES[0]};{CPRS[0]}\n"
        f"KIT_Faktura;r2;2024-03-04 09:05:00;not a time;Successful;VM-1;;RITM2;"
        f"{NAMES[1]};Mangler CPR {CPRS[0]}, ring {PHONES[1]};{PHONES[0]};{NAMES[1]};{CPRS[1]}\n"
        f"KIT_Faktura;r3;2024-03-04 09:06:00;2024-03-04 09:07:00;business exception;VM-1;;"
        f"RITM3;{NAMES[1]};Skriv til {EMAILS[1]};x;{NAMES[1]};{CPRS[1]}\n",
        "utf-8",
    )
    data = tmp_path / "data"
    ingest(LogStore(data), RobotsSource(), exports=[export / "runs.csv"])
    assert _found(data) == []


def test_a_kept_column_that_is_not_there_is_named_with_the_columns_that_are(
    data_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "planted.csv"
    _planted_rows().write_csv(source)
    result = runner.invoke(cli, ["import", str(source), "--name", "x", "--keep-column", "prio"])
    assert isinstance(result.exception, InputError)
    assert "'prio'" in str(result.exception) and "'priority'" in str(result.exception)


def test_an_azure_devops_id_sent_alone_gets_its_login_pseudonym() -> None:
    pseudonym = Pseudonymiser(b"one-person-test-key-0123456789")
    full = {"displayName": NAMES[0], "id": "0f1e-01", "uniqueName": EMAILS[0], "descriptor": "d"}
    bare = {"displayName": NAMES[0], "id": "0f1e-01", "descriptor": "d"}
    record = {"id": 1, "fields": {"System.CreatedBy": full, "System.ChangedBy": bare}}
    fields = pseudonymise_record(record, pseudonym)["fields"]
    assert fields["System.CreatedBy"] == fields["System.ChangedBy"] == pseudonym(EMAILS[0])


def _planted_ocel(path: Path) -> Path:
    """An OCEL 2.0 JSON log with people, contact details, CPR numbers and free text in event
    attributes, object attributes and the ids of person objects; one event related to an
    unknown object (quarantined) full of personal data."""

    def attrs(**values: str) -> list[dict[str, str]]:
        return [{"name": k, "value": v} for k, v in values.items()]

    planted = {
        "resource": NAMES[0], "comment": FREE_TEXT[0], "email": EMAILS[0], "phone": PHONES[0],
        "cpr": CPRS[0], "contact": PHONES[1], "priority": "1",
    }  # fmt: skip
    declared = [{"name": k, "type": "string"} for k in planted]
    events = [
        {"id": f"e{i}", "type": "Register", "time": f"2024-03-0{i}T10:00:00Z",
         "attributes": attrs(**planted),
         "relationships": [{"objectId": f"o{1 + i % 2}", "qualifier": "order"},
                           {"objectId": NAMES[i % 2], "qualifier": "handled by"}]}
        for i in range(1, 5)
    ]  # fmt: skip
    events.append(
        {"id": "e9", "type": "Register", "time": "2024-03-09T10:00:00Z",
         "attributes": attrs(**planted), "relationships": [{"objectId": "o9", "qualifier": "x"}]}
    )  # fmt: skip
    time0 = "1970-01-01T00:00:00Z"
    orders = [
        {"id": f"o{i}", "type": "order", "attributes": [
            {"name": "requested_for", "time": time0, "value": NAMES[1]},
            {"name": "note", "time": time0, "value": FREE_TEXT[0]},
            {"name": "telefon", "time": time0, "value": PHONES[1]},
            {"name": "status", "time": time0, "value": CPRS[1]},
            {"name": "priority", "time": time0, "value": "2"}]}
        for i in (1, 2)
    ]  # fmt: skip
    people = [{"id": name, "type": "employee", "attributes": []} for name in NAMES]
    doc = {
        "eventTypes": [{"name": "Register", "attributes": declared}],
        "objectTypes": [
            {"name": "order", "attributes": [
                {"name": n, "type": "string"}
                for n in ("requested_for", "note", "telefon", "status", "priority")]},
            {"name": "employee", "attributes": []},
        ],
        "events": events,
        "objects": [*orders, *people],
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", ["jsonocel", "xmlocel", "sqlite"])
@pytest.mark.parametrize("object_type", [None, "order"])
def test_ocel_imports_keep_no_personal_data(
    suffix: str, object_type: str | None, data_dir: Path, tmp_path: Path
) -> None:
    planted = _planted_ocel(tmp_path / "in" / "planted.jsonocel")
    source = planted
    if suffix != "jsonocel":
        source = write_ocel(read_ocel(planted).log, tmp_path / "in" / f"planted.{suffix}")
    flatten = [] if object_type is None else ["--object-type", object_type]
    run("import", str(source), "--name", "planted", *flatten)
    out = tmp_path / "out"
    run("export", "planted", "--format", "ocel", "--out", str(out / f"p.{suffix}"))
    if object_type is not None:
        run("export", "planted", "--format", "csv", "--out", str(out / "p.csv"))
    assert _found(data_dir) == []
    assert _found(out) == []
    store = LogStore()
    if object_type is None:
        events = store.read("planted", "events")
        objects = store.read("planted", "objects")
        people = objects.filter(pl.col("object_type") == "employee")["object_id"]
        assert people.str.starts_with("p-").all() and people.len() == 2
    else:
        events = store.read("planted")
    assert events["resource"].str.starts_with("p-").all()
    assert "priority" in events.columns
    assert not {"comment", "email", "phone", "cpr", "contact"} & set(events.columns)


def test_a_partitioned_import_keeps_no_personal_data(data_dir: Path, tmp_path: Path) -> None:
    """`kitflow import --partitions N` writes the events through another writer (one file per
    partition): the same protection, no planted value under the data folder."""
    source = tmp_path / "in" / "planted.csv"
    source.parent.mkdir()
    _planted_rows().write_csv(source)
    run("import", str(source), "--name", "planted", "--partitions", "2")
    store = LogStore()
    parts = store.partition_paths("planted")
    assert parts is not None and len(parts) == 2
    assert _found(data_dir) == []
    events = store.read("planted")
    assert events.height == 5  # the row without an activity is quarantined
    assert events["resource"].str.starts_with("p-").all()
    run("import", str(source), "--name", "whole")
    assert_frame_equal(events.sort("case_id", "event_order"), store.read("whole"))


@pytest.mark.parametrize(
    ("suffix", "partitions"), [("csv", None), ("csv.gz", 2), ("parquet", None)]
)
def test_an_import_in_batches_keeps_no_personal_data(
    suffix: str,
    partitions: int | None,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large file is read in batches and spilled to the data folder's ``.spill`` before it is
    sorted: what is spilled is pseudonymised already, and nothing planted is left afterwards."""
    monkeypatch.setattr(streamed_import, "STREAMING_MIN_ROWS", 1)
    monkeypatch.setattr(streamed_import, "BLOCK_BYTES", 200)
    monkeypatch.setattr(streamed_import, "BATCH_ROWS", 2)
    monkeypatch.setattr(batches, "_MIN_PACKED_BYTES", 0)
    source = tmp_path / "in" / f"planted.{suffix}"
    source.parent.mkdir()
    rows = _planted_rows()
    if suffix == "parquet":
        rows.write_parquet(source)
    else:
        rows.write_csv(source.with_suffix("") if suffix == "csv.gz" else source)
        if suffix == "csv.gz":
            source.write_bytes(gzip.compress(source.with_suffix("").read_bytes()))
    spilled: list[list[str]] = []

    def look_at_the_spill(step: str) -> None:
        if step == "sorting and writing the pieces":
            spill = data_dir / ".spill"
            spilled.append([str(p) for p in spill.rglob("*.parquet")] + _found(spill))

    store = LogStore()
    report = import_log(
        store,
        source,
        name="planted",
        options=ReadOptions(),
        partitions=partitions,
        step=look_at_the_spill,
    )
    assert len(spilled) == 1 and spilled[0]  # spilled files were there, none with a planted value
    assert not [hit for hit in spilled[0] if ": " in hit], spilled[0]
    assert report.entry.events == 5 and report.quarantined == 1
    assert _found(data_dir) == []
    assert not list((data_dir / ".spill").iterdir())
    assert store.read("planted")["resource"].str.starts_with("p-").all()


def _planted_ocel1(path: Path) -> Path:
    """The planted OCEL 2.0 log of ``_planted_ocel`` written as OCEL 1.0 JSON (``ocel:events``
    with ``ocel:vmap`` and ``ocel:omap``, ``ocel:objects`` with ``ocel:ovmap``)."""
    doc = json.loads(_planted_ocel(path.with_suffix(".v2.jsonocel")).read_text("utf-8"))
    events = {
        e["id"]: {
            "ocel:activity": e["type"],
            "ocel:timestamp": e["time"],
            "ocel:omap": [r["objectId"] for r in e["relationships"]],
            "ocel:vmap": {a["name"]: a["value"] for a in e["attributes"]},
        }
        for e in doc["events"]
    }
    objects = {
        o["id"]: {
            "ocel:type": o["type"],
            "ocel:ovmap": {a["name"]: a["value"] for a in o["attributes"]},
        }
        for o in doc["objects"]
    }
    path.write_text(json.dumps({"ocel:events": events, "ocel:objects": objects}), "utf-8")
    return path


def test_an_ocel1_import_keeps_no_personal_data(data_dir: Path, tmp_path: Path) -> None:
    """OCEL 1.0 is converted to OCEL 2.0 on import: people pseudonymised, free text and contact
    details left out, as for OCEL 2.0."""
    source = _planted_ocel1(tmp_path / "in" / "planted1.jsonocel")
    assert any(name in source.read_text("utf-8") for name in NAMES)
    run("import", str(source), "--name", "planted")
    out = tmp_path / "out"
    run("export", "planted", "--format", "ocel", "--out", str(out / "p.jsonocel"))
    assert _found(data_dir) == []
    assert _found(out) == []
    objects = LogStore().read("planted", "objects")
    people = objects.filter(pl.col("object_type") == "employee")["object_id"]
    assert people.str.starts_with("p-").all() and people.len() == 2
