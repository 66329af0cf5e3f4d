"""OCEL 2.0: reading the three formats, flattening, writing, the CLI path and every bad input.

The real example log (pm4py's ``ocel20_example``) comes as JSON with UTC offsets and as XML and
SQLite with naive Copenhagen local times; read with that time zone, all three must be one log.
pm4py's figures are computed here, in the test run, never pasted.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.cli import cli
from extractors.files import ReadOptions
from extractors.files.ocel import StagedOcel, read_ocel, write_ocel
from extractors.pseudonym import Pseudonymiser
from models.errors import InputError
from models.ocel import (
    EPOCH,
    TABLES,
    ObjectCentricLog,
    flatten_ocel,
    ocel_from_flat,
)
from models.store import LogStore
from services.ocel_import import import_ocel_log
from tests.cli_support import run, runner
from tests.shared_data import shared_file

CPH = "Europe/Copenhagen"
FORMATS = ("jsonocel", "xmlocel", "sqlite")
UTC = dt.UTC


def example(extension: str) -> Path:
    return shared_file(f"pm4py-examples/ocel20_example.{extension}")


def read_example(extension: str) -> StagedOcel:
    return read_ocel(example(extension), timezone=CPH)


def pm4py_read(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - heavy, only for the comparisons

        return pm4py.read_ocel2(str(path))


def pm4py_flatten(ocel: Any, object_type: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415

        return pm4py.ocel_flattening(ocel, object_type)


def sorted_tables(log: ObjectCentricLog) -> dict[str, pl.DataFrame]:
    """Each table with its columns in name order and its rows sorted, for comparing logs."""
    tables = {}
    for name, frame in log.tables().items():
        columns = sorted(frame.columns)
        tables[name] = frame.select(columns).sort(columns, nulls_last=True)
    return tables


def assert_same_log(left: ObjectCentricLog, right: ObjectCentricLog) -> None:
    a, b = sorted_tables(left), sorted_tables(right)
    for name in TABLES:
        assert a[name].equals(b[name]), (name, a[name], b[name])


# ---------------------------------------------------------------------------------------------
# The real example in three formats


def test_json_example_has_the_expected_log() -> None:
    log = read_example("jsonocel").log
    assert [t.height for t in log.tables().values()] == [13, 9, 12, 20, 7, 14]
    assert log.object_types() == ["Invoice", "Payment", "Purchase Order", "Purchase Requisition"]
    first = log.events.row(0, named=True)
    assert first["event_id"] == "e1"
    assert first["event_type"] == "Create Purchase Requisition"
    assert first["timestamp"] == dt.datetime(2022, 1, 9, 14, 0, tzinfo=UTC)
    assert first["pr_creator"] == "Mike"
    changes = log.object_changes.filter(pl.col("object_id") == "R3").sort("timestamp")
    assert changes.select("timestamp", "value").rows() == [
        (EPOCH, "No"),
        (dt.datetime(2022, 2, 3, 6, 30, tzinfo=UTC), "Yes"),
        (dt.datetime(2022, 2, 3, 22, 30, tzinfo=UTC), "No"),
    ]
    assert log.o2o.row(0) == ("R1", "P1", "Payment from invoice")


@pytest.mark.parametrize("extension", ["xmlocel", "sqlite"])
def test_naive_local_formats_equal_the_json_one(extension: str) -> None:
    staged = read_example(extension)
    assert_same_log(staged.log, read_example("jsonocel").log)
    assert staged.quarantine.height == 0
    assert any("read as local times in Europe/Copenhagen" in note for note in staged.notes)


def test_naive_times_follow_the_given_time_zone() -> None:
    utc = read_ocel(example("xmlocel"), timezone="UTC").log.events
    assert utc["timestamp"][0] == dt.datetime(2022, 1, 9, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("extension", FORMATS)
def test_counts_equal_pm4py(extension: str) -> None:
    log = read_example(extension).log
    ocel = pm4py_read(example(extension))
    assert log.events.height == len(ocel.events)
    assert log.objects.height == len(ocel.objects)
    assert log.e2o.height == len(ocel.relations)
    assert log.o2o.height == len(ocel.o2o)
    # pm4py keeps epoch-stamped values as object columns and later values as object changes.
    later = log.object_changes.filter(pl.col("timestamp") != EPOCH).height
    assert later == len(ocel.object_changes)
    static = ocel.objects.drop(columns=["ocel:oid", "ocel:type"]).notna().to_numpy().sum()
    assert log.object_changes.height - later == int(static)
    assert log.events["event_type"].n_unique() == ocel.events["ocel:activity"].nunique()
    assert len(log.object_types()) == ocel.objects["ocel:type"].nunique()


def test_json_times_equal_pm4py() -> None:
    ocel = pm4py_read(example("jsonocel"))
    theirs = {
        (e, t.to_pydatetime())
        for e, t in zip(ocel.events["ocel:eid"], ocel.events["ocel:timestamp"], strict=True)
    }
    ours = set(read_example("jsonocel").log.events.select("event_id", "timestamp").rows())
    assert ours == theirs


@pytest.mark.parametrize(
    "object_type", ["Invoice", "Payment", "Purchase Order", "Purchase Requisition"]
)
def test_flattening_equals_pm4py(object_type: str) -> None:
    flat = flatten_ocel(read_example("jsonocel").log, object_type)
    theirs = pm4py_flatten(pm4py_read(example("jsonocel")), object_type)
    assert flat.height == len(theirs)
    assert flat["case_id"].n_unique() == theirs["case:concept:name"].nunique()


def test_flattening_on_invoice_exactly() -> None:
    flat = flatten_ocel(read_example("jsonocel").log, "Invoice")
    assert flat.columns[:4] == ["case_id", "activity", "timestamp", "event_order"]
    assert flat.schema["event_order"] == pl.UInt64
    r3 = flat.filter(pl.col("case_id") == "R3")
    assert r3["activity"].cast(pl.String).to_list() == [
        "Insert Invoice",
        "Create Purchase Order",
        "Set Payment Block",
        "Remove Payment Block",
        "Insert Payment",
    ]
    assert r3["event_order"].to_list() == [8, 9, 10, 11, 12]
    assert r3["invoice_blocker"].to_list() == [None, None, "Mario", None, None]


# ---------------------------------------------------------------------------------------------
# Writing


@pytest.mark.parametrize("extension", FORMATS)
def test_written_file_reads_back_the_same(tmp_path: Path, extension: str) -> None:
    log = read_example("xmlocel").log
    out = write_ocel(log, tmp_path / f"out.{extension}")
    # Written times carry their offset, so the reader's time zone no longer matters.
    back = read_ocel(out, timezone="Asia/Tokyo")
    assert_same_log(back.log, log)
    assert back.notes == () and back.quarantine.height == 0


@pytest.mark.parametrize("extension", FORMATS)
def test_pm4py_reads_what_we_write(tmp_path: Path, extension: str) -> None:
    out = write_ocel(read_example("jsonocel").log, tmp_path / f"out.{extension}")
    ours, theirs = pm4py_read(out), pm4py_read(example("jsonocel"))
    for table in ("events", "objects", "relations", "o2o", "object_changes"):
        assert len(getattr(ours, table)) == len(getattr(theirs, table)), table
    assert sorted(ours.events["ocel:timestamp"]) == sorted(theirs.events["ocel:timestamp"])


def flat_log() -> pl.DataFrame:
    """Two cases, three events, one event attribute and one trace attribute."""
    return pl.DataFrame(
        {
            "case_id": ["c1", "c1", "c2"],
            "activity": ["register", "decide", "register"],
            "timestamp": [
                dt.datetime(2024, 1, 1, 9, tzinfo=UTC),
                dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 9, tzinfo=UTC),
            ],
            "event_order": [0, 1, 2],
            "resource": ["a", None, "b"],
            "case:channel": ["web", "web", "phone"],
        },
        schema_overrides={"activity": pl.Categorical, "event_order": pl.UInt64},
    )


def test_flat_log_becomes_ocel_with_case_objects(tmp_path: Path) -> None:
    log = ocel_from_flat(flat_log())
    assert log.events.select("event_id", "event_type", "resource").rows() == [
        ("e1", "register", "a"),
        ("e2", "decide", None),
        ("e3", "register", "b"),
    ]
    assert log.objects.rows() == [("c1", "case"), ("c2", "case")]
    assert log.e2o.rows() == [("e1", "c1", "case"), ("e2", "c1", "case"), ("e3", "c2", "case")]
    assert log.object_changes.rows() == [
        ("c1", EPOCH, "channel", "web"),
        ("c2", EPOCH, "channel", "phone"),
    ]
    back = read_ocel(write_ocel(log, tmp_path / "flat.xmlocel")).log
    assert_same_log(back, log)
    assert flatten_ocel(back, "case").height == 3


# ---------------------------------------------------------------------------------------------
# The command line


def fail(*args: str) -> BaseException | None:
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0
    return result.exception


def test_cli_imports_stats_lists_and_exports_an_ocel(tmp_path: Path, data_dir: Path) -> None:
    source = str(example("xmlocel"))
    report = json.loads(run("import", source, "--name", "p2p", "--timezone", CPH, "--json"))
    assert {k: report[k] for k in ("kind", "format", "cases", "events", "activities")} == {
        "kind": "object-centric",
        "format": "ocel2-xml",
        "cases": 0,
        "events": 13,
        "activities": 8,
    }
    assert (report["objects"], report["object_types"], report["variants"]) == (9, 4, 0)
    assert report["start"] == "2022-01-09T14:00:00+00:00"
    stats = json.loads(run("stats", "p2p", "--json"))
    assert (stats["kind"], stats["events"], stats["activities"], stats["objects"]) == (
        "object-centric",
        13,
        8,
        9,
    )
    assert (stats["start"], stats["end"]) == (
        "2022-01-09T14:00:00+00:00",
        "2022-02-28T22:00:00+00:00",
    )
    assert [(e["name"], e["kind"], e["objects"]) for e in json.loads(run("logs", "--json"))] == [
        ("p2p", "object-centric", 9)
    ]
    assert "p2p" in run("logs")
    out = tmp_path / "p2p.jsonocel"
    assert f"Wrote {out}" in run("export", "p2p", "--format", "ocel", "--out", str(out))
    # Stored protected (services.ocel_import.protect_ocel): the creators pseudonymised, the
    # attributes neither on the allowlist nor person-like left out; the rest as in the file.
    back, original = read_ocel(out).log, read_example("jsonocel").log
    creators = ["po_creator", "pr_creator"]
    assert back.events.columns == ["event_id", "event_type", "timestamp", *creators]
    assert back.events.select(creators).unpivot()["value"].drop_nulls().str.starts_with("p-").all()
    assert back.events.select(creators).null_count().rows() == (
        original.events.select(creators).null_count().rows()
    )
    assert back.object_changes["field"].drop_nulls().to_list() == []
    assert_same_log(
        replace(back, events=back.events.drop(creators), object_changes=original.object_changes,
                types=original.types),
        replace(original, events=original.events.select(back.events.columns[:3])),
    )  # fmt: skip


def test_cli_flattens_on_an_object_type(data_dir: Path) -> None:
    source = str(example("sqlite"))
    report = json.loads(
        run(
            "import",
            source,
            "--name",
            "inv",
            "--timezone",
            CPH,
            "--object-type",
            "Invoice",
            "--json",
        )
    )
    assert (report["kind"], report["cases"], report["events"], report["variants"]) == (
        "flat",
        3,
        9,
        2,
    )
    stats = json.loads(run("stats", "inv", "--json"))
    assert (stats["cases"], stats["events"], stats["start"]) == (3, 9, "2022-01-14T11:00:00+00:00")


def test_cli_exports_a_flat_log_as_ocel(tmp_path: Path, data_dir: Path) -> None:
    source = shared_file("pm4py-examples/running-example.xes")
    run("import", str(source), "--name", "running")
    out = tmp_path / "running.xmlocel"
    run("export", "running", "--format", "ocel", "--out", str(out))
    log = read_ocel(out).log
    assert (log.events.height, log.objects.height, log.e2o.height) == (42, 6, 42)
    assert log.object_types() == ["case"]
    assert set(log.e2o["qualifier"]) == {"case"}
    # Flattened again on its case objects, it is the stored log (trace attributes aside: they
    # became the case objects' attributes).
    stored = LogStore().read("running")
    kept = [c for c in stored.columns if c != "event_order" and not c.startswith("case:")]
    assert flatten_ocel(log, "case").select(kept).equals(stored.select(kept))
    creators = log.object_changes.filter(pl.col("field") == "creator")["value"].unique()
    assert creators.to_list() == stored["case:creator"].unique().to_list()
    # The running example has both 'Resource' and the canonical 'resource'; SQLite cannot.
    error = fail("export", "running", "--format", "ocel", "--out", str(tmp_path / "r.sqlite"))
    assert isinstance(error, InputError)
    assert "'resource' and 'Resource'" in str(error) and "export to .jsonocel" in str(error)
    assert not (tmp_path / "r.sqlite").exists()


def test_cli_refuses_an_object_centric_log_as_xes(tmp_path: Path, data_dir: Path) -> None:
    run("import", str(example("jsonocel")), "--name", "p2p")
    error = fail("export", "p2p", "--format", "xes", "--out", str(tmp_path / "p2p.xes"))
    assert isinstance(error, InputError)
    assert "export it with --format ocel" in str(error) and "--object-type" in str(error)


def test_store_keeps_the_quarantine_of_an_ocel_import(tmp_path: Path) -> None:
    path = write_json(tmp_path, e2o=[["e1", "o1", "q"], ["e1", "ghost", "q"]])
    store = LogStore(tmp_path / "store")
    options = ReadOptions(hasher=Pseudonymiser(b"ocel-quarantine-test-key-0123456789"))
    report = import_ocel_log(store, path, name="small", options=options)
    assert (report.entry.events, report.entry.objects, report.quarantined) == (1, 1, 1)
    assert report.quarantine_path is not None and report.quarantine_path.exists()
    assert store.read("small", "e2o").rows() == [("e1", "o1", "q")]


# ---------------------------------------------------------------------------------------------
# Bad input: one test per error raised, and per reason rows are quarantined


def write_json(
    tmp_path: Path,
    *,
    events: list[dict[str, Any]] | None = None,
    e2o: list[list[str]] | None = None,
    objects: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Path:
    """A tiny OCEL JSON: event e1 of type t at 2024-01-01 09:00Z, object o1 of type x."""
    doc: dict[str, Any] = {
        "eventTypes": [{"name": "t", "attributes": [{"name": "n", "type": "integer"}]}],
        "objectTypes": [{"name": "x", "attributes": []}],
        "events": events
        if events is not None
        else [{"id": "e1", "type": "t", "time": "2024-01-01T09:00:00Z", "attributes": []}],
        "objects": objects if objects is not None else [{"id": "o1", "type": "x"}],
        **extra,
    }
    for event_id, object_id, qualifier in e2o or []:
        for event in doc["events"]:
            if event["id"] == event_id:
                event.setdefault("relationships", []).append(
                    {"objectId": object_id, "qualifier": qualifier}
                )
    path = tmp_path / "small.jsonocel"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def event(eid: str, time: str, **more: Any) -> dict[str, Any]:
    return {"id": eid, "type": "t", "time": time, **more}


def reasons(staged: StagedOcel) -> list[str]:
    return staged.quarantine["reason"].to_list()


def test_relation_to_an_unknown_object_is_quarantined(tmp_path: Path) -> None:
    staged = read_ocel(write_json(tmp_path, e2o=[["e1", "o1", "q"], ["e1", "ghost", "q"]]))
    assert staged.log.e2o.rows() == [("e1", "o1", "q")]
    assert reasons(staged) == [
        "the related object ghost is not among the log's objects: add it (with its type) to "
        "the file's objects, or remove the relation"
    ]
    record = json.loads(staged.quarantine["record"][0])
    assert record == {"section": "e2o", "event_id": "e1", "object_id": "ghost", "qualifier": "q"}
    assert staged.quarantine["row_number"].to_list() == [2]


def test_object_relation_and_value_of_unknown_objects_are_quarantined(tmp_path: Path) -> None:
    objects = [
        {
            "id": "o1",
            "type": "x",
            "relationships": [{"objectId": "ghost", "qualifier": "part of"}],
            "attributes": [{"name": "a", "time": "not a time", "value": 1}],
        }
    ]
    staged = read_ocel(write_json(tmp_path, objects=objects))
    assert staged.log.o2o.height == 0 and staged.log.object_changes.height == 0
    assert reasons(staged) == [
        "attribute value time 'not a time' is not an ISO 8601 date-time",
        "the target object ghost is not among the log's objects: add it (with its type) to "
        "the file's objects, or remove the relation",
    ]


def test_bad_events_are_quarantined_with_their_relations(tmp_path: Path) -> None:
    events = [
        event("e1", "2024-01-01T09:00:00Z"),
        event("e1", "2024-01-01T10:00:00Z"),
        event("e2", "2024-13-01T10:00:00"),
        event("e3", "2024-03-31T02:30:00"),
        event("e4", ""),
    ]
    path = write_json(tmp_path, events=events, e2o=[["e3", "o1", "q"]])
    staged = read_ocel(path, timezone=CPH)
    assert staged.log.events["event_id"].to_list() == ["e1"]
    assert reasons(staged) == [
        "repeats the id e1 of an earlier event: event ids must be unique",
        "event time '2024-13-01T10:00:00' is not a valid date-time",
        "event local time '2024-03-31T02:30:00' does not exist in Europe/Copenhagen (clocks "
        "skip that hour): correct it or write it with its UTC offset",
        "event has no time",
        "its event e3 was quarantined",
    ]


def test_value_not_of_its_declared_type_is_kept_as_text(tmp_path: Path) -> None:
    events = [
        event("e1", "2024-01-01T09:00:00Z", attributes=[{"name": "n", "value": "12"}]),
        event("e2", "2024-01-01T09:00:00Z", attributes=[{"name": "n", "value": "many"}]),
    ]
    staged = read_ocel(write_json(tmp_path, events=events))
    assert staged.log.events["n"].to_list() == ["12", "many"]
    assert staged.notes == (
        "event attribute 'n' is declared integer, but 'many' is not; "
        "the attribute is kept as text.",
    )


def test_typed_values_are_typed(tmp_path: Path) -> None:
    events = [event("e1", "2024-01-01T09:00:00Z", attributes=[{"name": "n", "value": "12"}])]
    assert read_ocel(write_json(tmp_path, events=events)).log.events["n"].to_list() == [12]


def test_attribute_named_like_a_column_is_renamed(tmp_path: Path) -> None:
    events = [event("e1", "2024-01-01T09:00:00Z", attributes=[{"name": "activity", "value": "x"}])]
    staged = read_ocel(write_json(tmp_path, events=events))
    assert staged.log.events["attribute:activity"].to_list() == ["x"]
    assert "event attribute 'activity' is kept as 'attribute:activity'." in staged.notes


def test_no_usable_event(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no usable event:\n\s+1 rows: event has no time"):
        read_ocel(write_json(tmp_path, events=[event("e1", "")]))


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonocel"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.jsonocel is not valid JSON"):
        read_ocel(path)


def test_json_but_not_ocel(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"traces": []}), encoding="utf-8")
    # OCEL 1.0 ('ocel:events') is read and converted: tests/test_ocel1.py.
    with pytest.raises(InputError, match=r"not an OCEL log: it has neither .* \(OCEL 1.0\)"):
        read_ocel(path)


def test_json_section_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonocel"
    path.write_text(json.dumps({"events": {"e1": {}}, "objects": []}), encoding="utf-8")
    with pytest.raises(InputError, match=r"'events' in the OCEL JSON must be a list"):
        read_ocel(path)


def test_unknown_attribute_type(tmp_path: Path) -> None:
    path = write_json(
        tmp_path, objectTypes=[{"name": "x", "attributes": [{"name": "a", "type": "money"}]}]
    )
    with pytest.raises(InputError, match=r"declares the attribute type 'money'"):
        read_ocel(path)


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.xmlocel"
    path.write_text("<log><events>", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.xmlocel is not well-formed XML"):
        read_ocel(path)


def test_xml_but_not_ocel(tmp_path: Path) -> None:
    path = tmp_path / "trace.xml"
    path.write_text("<log><trace/></log>", encoding="utf-8")
    with pytest.raises(InputError, match=r"XML but not an OCEL 2.0 log: its root is <log>"):
        read_ocel(path)


def test_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "fake.sqlite"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match=r"fake.sqlite is not an SQLite database"):
        read_ocel(path)


def test_sqlite_but_not_ocel(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE event (ocel_id TEXT)")
    with pytest.raises(InputError, match=r"lacks the table.s. object, event_object"):
        read_ocel(path)


def test_damaged_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(example("sqlite").read_bytes()[:4096])
    with pytest.raises(InputError, match=r"cannot read the OCEL 2.0 SQLite file damaged.sqlite"):
        read_ocel(path)


def test_neither_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes.txt is not an OCEL 2.0 file"):
        read_ocel(path)


def test_unknown_ending_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "log.ocel"
    path.write_bytes(example("xmlocel").read_bytes())
    assert read_ocel(path, timezone=CPH).source_format == "ocel2-xml"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"there is no file at"):
        read_ocel(tmp_path / "nowhere.jsonocel")


def test_unknown_time_zone() -> None:
    with pytest.raises(InputError, match=r"unknown time zone 'Mars/Base'"):
        read_ocel(example("xmlocel"), timezone="Mars/Base")


def test_writing_to_an_unknown_ending(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"end it with \.jsonocel"):
        write_ocel(ocel_from_flat(flat_log()), tmp_path / "out.txt")


def test_flattening_on_an_unknown_type() -> None:
    log = read_example("jsonocel").log
    with pytest.raises(InputError, match=r"no object type 'Order'.*'Invoice', 'Payment'"):
        flatten_ocel(log, "Order")


def typed_log(tmp_path: Path) -> ObjectCentricLog:
    """One event with an attribute of each OCEL type, and a time-typed object attribute."""
    attributes = [
        {"name": "count", "type": "integer"},
        {"name": "share", "type": "float"},
        {"name": "urgent", "type": "boolean"},
        {"name": "due", "type": "time"},
    ]
    values = [
        {"name": "count", "value": 3},
        {"name": "share", "value": 0.25},
        {"name": "urgent", "value": True},
        {"name": "due", "value": "2024-01-05T12:00:00"},
    ]
    path = write_json(
        tmp_path,
        eventTypes=[{"name": "t", "attributes": attributes}],
        objectTypes=[{"name": "x", "attributes": [{"name": "deadline", "type": "time"}]}],
        events=[event("e1", "2024-01-01T09:00:00+01:00", attributes=values)],
        objects=[
            {
                "id": "o1",
                "type": "x",
                "attributes": [
                    {"name": "deadline", "time": "1970-01-01T00:00:00Z", "value": "2024-02-01"}
                ],
            }
        ],
    )
    return read_ocel(path, timezone=CPH).log


def test_typed_attributes_are_read_as_declared(tmp_path: Path) -> None:
    log = typed_log(tmp_path)
    assert log.events.row(0, named=True) == {
        "event_id": "e1",
        "event_type": "t",
        "timestamp": dt.datetime(2024, 1, 1, 8, tzinfo=UTC),
        "count": 3,
        "due": dt.datetime(2024, 1, 5, 11, tzinfo=UTC),
        "share": 0.25,
        "urgent": True,
    }
    # A time-typed object value is kept as ISO 8601 UTC text, whatever form the file had.
    assert log.object_changes["value"].to_list() == ["2024-01-31T23:00:00+00:00"]


@pytest.mark.parametrize("extension", FORMATS)
def test_typed_attributes_survive_every_format(tmp_path: Path, extension: str) -> None:
    log = typed_log(tmp_path)
    back = read_ocel(write_ocel(log, tmp_path / f"typed.{extension}")).log
    assert_same_log(back, log)


def test_relation_without_a_target_is_quarantined(tmp_path: Path) -> None:
    objects = [{"id": "o1", "type": "x", "relationships": [{"qualifier": "part of"}]}]
    staged = read_ocel(write_json(tmp_path, objects=objects))
    assert staged.log.o2o.height == 0
    assert reasons(staged)[0].startswith("the target object (missing) is not among")


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2024-01-01T10:00+01", dt.datetime(2024, 1, 1, 9, tzinfo=UTC)),
        ("2024-01-01T10:00:00-0130", dt.datetime(2024, 1, 1, 11, 30, tzinfo=UTC)),
        ("2024-01-01 10:00:00.1234567Z", dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-07-01", dt.datetime(2024, 6, 30, 22, tzinfo=UTC)),
    ],
)
def test_iso_8601_variants(tmp_path: Path, written: str, utc: dt.datetime) -> None:
    path = write_json(tmp_path, events=[event("e1", written)])
    assert read_ocel(path, timezone=CPH).log.events["timestamp"].to_list() == [utc]
