"""The sliced import of large Parquet files stores exactly what a whole-file import stores.

Slicing only lowers the memory peak (measured by ``kitflow bench``, see docs/performance.md, never
asserted here). The tests force tiny slices on small files and compare with the whole-file route
on every stored value: events (order, row numbers, every column), quarantine, catalog figures.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from extractors.files import ReadOptions
from extractors.files.chunked import plan_case_chunks
from models.store import LogStore
from services import imports as pipeline
from services.imports import ImportReport, import_log
from tests.shared_data import SHARED_DATA, shared_file

GENERATOR = SHARED_DATA.parent / "bench" / "gen_o2c_log.py"

T0 = dt.datetime(2024, 3, 30, 23, 0)


def messy_log() -> pl.DataFrame:
    """A small export with everything an import must handle, in a scrambled row order: blanks
    around case ids, a missing case id, a missing and a numeric activity, two events of one
    case at the same time, and a local time in Copenhagen's spring daylight-saving gap."""
    rows = [
        ("c3", "Register", T0 + dt.timedelta(hours=1), "r1"),
        (" c1", "Register", T0, "r2"),
        ("c2", "Register", T0, "r1"),
        ("c1 ", "Approve", T0 + dt.timedelta(hours=2), "r3"),
        (None, "Approve", T0, "r1"),
        ("c2", None, T0 + dt.timedelta(hours=1), "r2"),
        ("c10", "Register", T0, None),
        ("c2", "-100", T0 + dt.timedelta(hours=2), "r2"),
        ("c10", "Pay", dt.datetime(2024, 3, 31, 2, 30), "r1"),  # in the gap: quarantined
        ("c3", "Approve", T0 + dt.timedelta(hours=1), "r2"),  # same time as its Register
        ("c4", "Register", T0 + dt.timedelta(hours=5), "r1"),
        ("c2", "Approve", T0 + dt.timedelta(hours=3), "r3"),
        ("c10", "Approve", T0 + dt.timedelta(hours=4), "r3"),
        ("c3", "Pay", T0 + dt.timedelta(hours=6), "r1"),
        ("c1", "Pay", T0 + dt.timedelta(hours=3), "r1"),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "case_id": pl.String,
            "activity": pl.String,
            "timestamp": pl.Datetime("us"),
            "resource": pl.String,
        },
        orient="row",
    )


def import_both(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> tuple[tuple[LogStore, ImportReport], tuple[LogStore, ImportReport]]:
    """Import ``source`` whole, then in slices of about ``chunk_rows`` events."""
    options = ReadOptions(timezone="Europe/Copenhagen")
    results = []
    for label, min_rows in (("whole", 10**12), ("sliced", 1)):
        monkeypatch.setattr(pipeline, "STREAMING_MIN_ROWS", min_rows)
        monkeypatch.setattr(pipeline, "CHUNK_ROWS", chunk_rows)
        store = LogStore(tmp_path / label / "data", f"sqlite:///{tmp_path / label / 'c.db'}")
        results.append((store, import_log(store, source, name="log", options=options)))
    return results[0], results[1]


def assert_same_import(
    whole: tuple[LogStore, ImportReport], sliced: tuple[LogStore, ImportReport]
) -> None:
    (whole_store, whole_report), (sliced_store, sliced_report) = whole, sliced
    whole_events = whole_store.read("log").with_columns(pl.col("activity").cast(pl.String))
    sliced_events = sliced_store.read("log").with_columns(pl.col("activity").cast(pl.String))
    assert sliced_events.equals(whole_events)
    assert sliced_events.schema == whole_events.schema
    quarantine, sliced_quarantine = (s.quarantine_path("log") for s in (whole_store, sliced_store))
    assert sliced_quarantine.exists() == quarantine.exists()
    if quarantine.exists():
        assert sliced_quarantine.read_text() == quarantine.read_text()
    ignored = {"imported_at", "source_path"}
    entry_fields = whole_report.entry.__dataclass_fields__
    for field in entry_fields.keys() - ignored:
        assert getattr(sliced_report.entry, field) == getattr(whole_report.entry, field), field
    assert (sliced_report.quarantined, sliced_report.notes) == (
        whole_report.quarantined,
        whole_report.notes,
    )


def test_sliced_import_of_a_messy_file_equals_the_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "messy.parquet"
    messy_log().write_parquet(source)
    plan = plan_case_chunks(source, ReadOptions(), chunk_rows=3, min_rows=1)
    assert plan is not None and plan.count >= 3  # really sliced
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=3)
    assert_same_import(whole, sliced)
    events = sliced[0].read("log")
    # Exact expectations, so the equality above is not between two wrong results.
    # T0 + 3 h is 02:00 on 31 March, in the gap too: rows 12 and 15 go with row 9.
    assert events["case_id"].to_list() == [
        "c1", "c1", "c10", "c10", "c2", "c3", "c3", "c3", "c4",
    ]  # fmt: skip
    assert events["event_order"].to_list() == [1, 3, 6, 12, 2, 0, 9, 13, 10]
    assert sliced[1].quarantined == 6
    reasons = pl.read_csv(sliced[0].quarantine_path("log"))
    assert reasons["row_number"].to_list() == [5, 6, 8, 9, 12, 15]


def test_standard_workload_sliced_equals_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips, or fails on CI, with the reason
    prefix = tmp_path / "o2c"
    subprocess.run(
        [sys.executable, str(GENERATOR), "20000", str(prefix), "42"],
        check=True,
        capture_output=True,
    )
    whole, sliced = import_both(tmp_path, prefix.with_suffix(".parquet"), monkeypatch, 3_000)
    assert_same_import(whole, sliced)
    assert sliced[1].entry.events >= 20_000 and sliced[1].quarantined == 0


def test_a_slice_of_only_bad_rows_falls_back_to_the_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Case "a" has only rows without an activity: validated alone, its slice has no events.
    frame = pl.DataFrame(
        {
            "case_id": ["a", "a", "b", "b", "c"],
            "activity": [None, None, "X", "Y", "X"],
            "timestamp": [T0, T0, T0, T0 + dt.timedelta(hours=1), T0],
        }
    )
    source = tmp_path / "bad-slice.parquet"
    frame.write_parquet(source)
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=1)
    assert_same_import(whole, sliced)
    assert sliced[1].entry.events == 3 and sliced[1].quarantined == 2


def test_text_times_and_small_files_are_read_whole(tmp_path: Path) -> None:
    source = tmp_path / "text-times.parquet"
    messy_log().with_columns(pl.col("timestamp").dt.to_string()).write_parquet(source)
    assert plan_case_chunks(source, ReadOptions(), chunk_rows=3, min_rows=1) is None
    typed = tmp_path / "typed.parquet"
    messy_log().write_parquet(typed)
    assert plan_case_chunks(typed, ReadOptions(), chunk_rows=3, min_rows=16) is None
    assert plan_case_chunks(typed, ReadOptions(), chunk_rows=3, min_rows=15) is not None
