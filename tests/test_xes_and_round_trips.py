"""XES lifecycle pairing, and import -> export -> import round trips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from extractors.files import ReadOptions
from models.errors import InputError
from models.store import LogStore
from services.imports import export_log, import_log
from tests.shared_data import shared_file

LIFECYCLE_XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
 <trace><string key="concept:name" value="c1"/><string key="channel" value="web"/>
  <event><string key="concept:name" value="Check"/>
   <string key="lifecycle:transition" value="start"/>
   <date key="time:timestamp" value="2024-05-01T08:00:00.000+02:00"/></event>
  <event><string key="concept:name" value="Check"/>
   <string key="lifecycle:transition" value="complete"/>
   <date key="time:timestamp" value="2024-05-01T08:30:00.000+02:00"/>
   <string key="org:resource" value="R1"/><int key="items" value="3"/></event>
  <event><string key="concept:name" value="Approve"/>
   <string key="lifecycle:transition" value="schedule"/>
   <date key="time:timestamp" value="2024-05-01T08:40:00.000+02:00"/></event>
  <event><string key="concept:name" value="Approve"/>
   <string key="lifecycle:transition" value="start"/>
   <date key="time:timestamp" value="2024-05-01T09:00:00.000+02:00"/></event>
  <event><string key="concept:name" value="Approve"/>
   <string key="lifecycle:transition" value="complete"/>
   <date key="time:timestamp" value="2024-05-01T10:00:00.000+02:00"/></event>
  <event><string key="concept:name" value="Archive"/>
   <string key="lifecycle:transition" value="start"/>
   <date key="time:timestamp" value="2024-05-01T11:00:00Z"/></event>
 </trace>
 <trace><string key="concept:name" value="c2"/>
  <event><string key="concept:name" value="Check"/>
   <string key="lifecycle:transition" value="complete"/>
   <date key="time:timestamp" value="2024-05-02T08:00:00.000+00:00"/></event>
 </trace>
</log>
"""


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data")


def test_start_complete_pairs_become_one_event(store: LogStore, tmp_path: Path) -> None:
    path = tmp_path / "pairs.xes"
    path.write_text(LIFECYCLE_XES, encoding="utf-8")
    report = import_log(store, path, name="pairs", options=ReadOptions(keep_columns=("items",)))
    events = store.read("pairs")
    assert events.select(
        "case_id", pl.col("activity").cast(pl.String), "timestamp", "start_timestamp"
    ).rows() == [
        ("c1", "Check", utc(2024, 5, 1, 6, 30), utc(2024, 5, 1, 6, 0)),
        ("c1", "Approve", utc(2024, 5, 1, 8, 0), utc(2024, 5, 1, 7, 0)),
        ("c1", "Archive", utc(2024, 5, 1, 11, 0), utc(2024, 5, 1, 11, 0)),
        ("c2", "Check", utc(2024, 5, 2, 8, 0), None),
    ]
    assert events["case:channel"].to_list() == ["web", "web", "web", None]
    assert events["items"].to_list() == [3, None, None, None]
    assert report.quarantined == 1  # the 'schedule' row, kept in quarantine with its reason
    quarantine = pl.read_csv(store.quarantine_path("pairs"))
    assert quarantine["reason"][0].startswith("lifecycle transition is neither start nor complete")
    assert "3 start/complete pairs" not in " ".join(report.notes)
    assert report.notes == (
        "lifecycle: 2 start/complete pairs joined into one event each "
        "(start_timestamp holds the start).",
    )


def test_keep_mode_keeps_every_lifecycle_event(store: LogStore, tmp_path: Path) -> None:
    path = tmp_path / "pairs.xes"
    path.write_text(LIFECYCLE_XES, encoding="utf-8")
    report = import_log(store, path, name="keep", options=ReadOptions(lifecycle="keep"))
    assert (report.entry.events, report.quarantined) == (7, 0)


def test_pair_mode_needs_pairs(store: LogStore) -> None:
    path = shared_file("pm4py-examples/receipt.xes.gz")
    with pytest.raises(InputError, match=r"--lifecycle pair needs both 'start' and 'complete'"):
        import_log(store, path, name="r", options=ReadOptions(lifecycle="pair"))


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop("event_order").with_columns(pl.col("activity").cast(pl.String))


@pytest.mark.parametrize("suffix", ["xes", "xes.gz", "csv", "parquet"])
def test_round_trip_gives_the_same_log(store: LogStore, tmp_path: Path, suffix: str) -> None:
    import_log(
        store, shared_file("pm4py-examples/running-example.xes"), name="a", options=ReadOptions()
    )
    out = tmp_path / f"out.{suffix}"
    file_format = "xes" if suffix.startswith("xes") else suffix
    export_log(store, "a", file_format=file_format, out=out)  # type: ignore[arg-type]
    import_log(store, out, name="b", options=ReadOptions())
    first, second = comparable(store.read("a")), comparable(store.read("b"))
    if suffix == "csv":  # CSV has no types: numbers come back as text, like any CSV import
        first = first.with_columns(
            pl.col(c).cast(pl.String)
            for c in first.columns
            if first.schema[c] in (pl.Int64, pl.Float64)
        )
    assert first.columns == second.columns
    assert first.equals(second)


def test_round_trip_keeps_start_timestamps(store: LogStore, tmp_path: Path) -> None:
    path = tmp_path / "pairs.xes"
    path.write_text(LIFECYCLE_XES, encoding="utf-8")
    import_log(store, path, name="a", options=ReadOptions())
    export_log(store, "a", file_format="xes", out=tmp_path / "again.xes")
    import_log(store, tmp_path / "again.xes", name="b", options=ReadOptions())
    assert comparable(store.read("a")).equals(comparable(store.read("b")))


def test_interval_csv_with_start_timestamps(store: LogStore) -> None:
    path = shared_file("pm4py-examples/interval_event_log.csv")
    report = import_log(store, path, name="interval", options=ReadOptions())
    events = store.read("interval")
    assert events["start_timestamp"].null_count() == 0
    assert report.entry.events == events.height == pl.read_csv(path).height
