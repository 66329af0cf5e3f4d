"""The import in batches of large CSV and Parquet files stores exactly what a whole-file import
stores.

Batches only lower the memory peak (measured with ``/usr/bin/time -v kitflow import``, see
docs/performance.md, never asserted here). The tests force tiny batches and pieces on small files
and compare with the whole-file route on every stored value: events (order, row numbers, every
column), quarantine, catalog figures and notes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.files import ReadOptions
from extractors.files import batches as batches_module
from extractors.files.batches import count_csv_records, csv_blocks
from models import datafolder as datafolder_module
from models import spill as spill_module
from models.errors import InputError
from models.store import LogStore
from services import streamed_import as pipeline
from services.imports import ImportReport, import_log
from tests.shared_data import SHARED_DATA, shared_file

GENERATOR = SHARED_DATA.parent / "bench" / "gen_o2c_log.py"

T0 = dt.datetime(2024, 3, 30, 23, 0)
STEPS: list[list[str]] = []
"""The progress steps of each import, the last import's last."""


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
    tmp_path: Path,
    source: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk_rows: int,
    *,
    options: ReadOptions | None = None,
    partitions: int | None = None,
) -> tuple[tuple[LogStore, ImportReport], tuple[LogStore, ImportReport]]:
    """Import ``source`` whole, then in batches and pieces of about ``chunk_rows`` rows."""
    options = options or ReadOptions(timezone="Europe/Copenhagen")
    results = []
    for label, min_rows in (("whole", 10**12), ("sliced", 1)):
        monkeypatch.setattr(pipeline, "STREAMING_MIN_ROWS", min_rows)
        monkeypatch.setattr(pipeline, "BATCH_ROWS", chunk_rows)
        monkeypatch.setattr(pipeline, "PIECE_ROWS", chunk_rows)
        monkeypatch.setattr(pipeline, "BLOCK_BYTES", chunk_rows * 30)
        monkeypatch.setattr(spill_module, "_SAMPLES_PER_PIECE", 2)
        monkeypatch.setattr(batches_module, "_MIN_PACKED_BYTES", 0)
        store = LogStore(tmp_path / label / "data", f"sqlite:///{tmp_path / label / 'c.db'}")
        STEPS.append([])
        report = import_log(
            store,
            source,
            name="log",
            options=options,
            partitions=partitions,
            step=STEPS[-1].append,
        )
        results.append((store, report))
    STEPS[-1] = [text for text in STEPS[-1] if text != "storing"]
    assert not list((tmp_path / "sliced" / "data" / ".spill").glob("*"))  # spill removed
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
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=3)
    assert STEPS[-1][-2:] == [
        "reading and validating batch 5 of about 5",
        "sorting and writing the pieces",
    ]
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


def test_a_batch_of_only_bad_rows_is_imported_as_in_the_whole_file(
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


MESSY_CSV = (
    "case_id,activity,timestamp,resource,category,note\n"
    'c3,Register,2024-03-30 23:00,Anna,"a,b",free text\n'
    ' c1,Register,2024-03-30 22:00,Bo,x,"two\nlines"\n'
    ",Approve,2024-03-30 22:00,Anna,x,\n"
    "c2,-100,2024-03-30 23:00,Bo,x,\n"
    "c10,Pay,2024-03-31 02:30,Anna,x,\n"  # the spring gap: quarantined
    "c2,'=SUM(A1),2024-03-31 04:00,Carl,'-5,\n"  # an escaped formula, a number with a mark
    'c3,"Approve ""fast""",2024-03-30 23:00,Bo,y,"say ""hi""\nand\nbye"\n'
    "c4,Register,2024-03-31 05:00,Dan,anna@example.dk,\n"  # personal value, late in the file
    "c1,Pay,2024-03-31 06:00,Anna,y,\n"
)


def test_csv_in_blocks_equals_the_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted commas, quotes and line breaks across block ends, formula marks, a row in the
    daylight-saving gap, and a personal value that only the last batches meet."""
    source = tmp_path / "messy.csv"
    source.write_text(MESSY_CSV, "utf-8")
    options = ReadOptions(timezone="Europe/Copenhagen", keep_columns=("category",))
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=1, options=options)
    assert_same_import(whole, sliced)
    assert len([s for s in STEPS[-1] if s.startswith("reading and validating batch")]) >= 8
    events = sliced[0].read("log")
    assert events["case_id"].to_list() == ["c1", "c1", "c2", "c3", "c3", "c4"]
    assert events["activity"].cast(pl.String).to_list() == [
        "Register", "Pay", "=SUM(A1)", "Register", 'Approve "fast"', "Register",
    ]  # fmt: skip
    # The category column held an e-mail address in one row: pseudonymised in every row.
    categories = events["category"].to_list()
    assert all(c.startswith("p-") for c in categories), categories
    # x, y, -5, 'a,b' and the address, each its own pseudonym; the two 'y' alike.
    assert len(set(categories)) == 5 and categories[1] == categories[4]
    assert sliced[1].quarantined == 3


def test_packed_csv_in_blocks_equals_the_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "export.csv"
    plain.write_text(MESSY_CSV, "utf-8")
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(plain, "export.csv")
    options = ReadOptions(timezone="Europe/Copenhagen")
    for source in (packed, zipped):
        folder = tmp_path / source.name.replace(".", "-")
        whole, sliced = import_both(folder, source, monkeypatch, chunk_rows=2, options=options)
        assert_same_import(whole, sliced)
        assert sliced[1].entry.events == 6


def test_replaced_values_are_counted_over_all_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ["case_id,activity,timestamp,group"]
    for index in range(12):
        group = "ops@example.dk" if index in (1, 10) else "Service Desk"
        rows.append(f"c{index % 4},Step {index},2024-01-0{1 + index % 5} 10:00,{group}")
    source = tmp_path / "groups.csv"
    source.write_text("\n".join(rows) + "\n", "utf-8")
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=1)
    assert_same_import(whole, sliced)
    assert sliced[1].notes == (
        "2 value(s) in 'org_unit' looked like an e-mail address, a phone number or a CPR "
        "number and were replaced by their pseudonym.",
    )


def test_partitioned_import_in_batches_equals_the_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "messy.parquet"
    messy_log().write_parquet(source)
    whole, sliced = import_both(tmp_path, source, monkeypatch, chunk_rows=2, partitions=3)
    assert_same_import(whole, sliced)
    whole_parts, sliced_parts = (s.partition_paths("log") for s in (whole[0], sliced[0]))
    assert whole_parts is not None and sliced_parts is not None and len(sliced_parts) == 3
    for mine, theirs in zip(sliced_parts, whole_parts, strict=True):
        as_text = pl.col("activity").cast(pl.String)
        assert (
            pl.read_parquet(mine)
            .with_columns(as_text)
            .equals(pl.read_parquet(theirs).with_columns(as_text))
        )
        assert (mine.parent / "_partitioning.json").read_text() == (
            theirs.parent / "_partitioning.json"
        ).read_text()


LATE_SECONDS_CSV = (
    "case_id,activity,timestamp\n"
    "a,X,2024-01-02 10:00\n"
    "a,Y,2024-01-02 11:00\n"
    "b,X,2024-01-03 10:00:05\n"  # seconds: the first batch's format cannot read it
)


def refusals_of_both_routes(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The error of importing ``source`` whole, then in batches of a few rows (both must fail)."""
    errors = []
    for min_rows in (10**12, 1):
        monkeypatch.setattr(pipeline, "STREAMING_MIN_ROWS", min_rows)
        monkeypatch.setattr(pipeline, "BLOCK_BYTES", 30)
        store = LogStore(tmp_path / str(min_rows), f"sqlite:///{tmp_path / f'{min_rows}.db'}")
        with pytest.raises(InputError) as raised:
            import_log(store, source, name="log", options=ReadOptions())
        errors.append(str(raised.value))
    return errors


def test_a_time_format_the_first_batch_cannot_foresee_reads_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "times.csv"
    source.write_text(LATE_SECONDS_CSV, "utf-8")
    errors = refusals_of_both_routes(tmp_path, source, monkeypatch)
    assert errors[0] == errors[1]
    assert "row 3: '2024-01-03 10:00:05'" in errors[0]


def test_csv_blocks_end_after_whole_records(tmp_path: Path) -> None:
    source = tmp_path / "quoted.csv"
    source.write_bytes(b'h1,h2\n1,"a\nb"\n2,"c""\n""d"\n3,e\n4,f')
    blocks = list(csv_blocks(source, 4))
    assert b"".join(blocks) == source.read_bytes()
    assert blocks == [b"h1,h2\n", b'1,"a\nb"\n', b'2,"c""\n""d"\n', b"3,e\n", b"4,f"]
    assert count_csv_records(source) == 4


def test_a_killed_imports_spill_is_removed_at_the_next_start(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    with store.data.spill_folder() as folder:
        (folder / "piece.parquet").write_bytes(b"pseudonymised rows")
        LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")  # in use: kept
        assert folder.exists()
    left = tmp_path / "data" / ".spill" / ("0" * 32)
    left.mkdir()  # what a killed import leaves: a folder whose lock nobody holds
    (left.with_suffix(".lock")).write_text("")
    LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    assert not list((tmp_path / "data" / ".spill").iterdir())


def test_a_spill_whose_lock_file_a_cleaner_removed_before_it_was_locked_takes_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    locked = fcntl.flock
    cleaned: list[str] = []

    def cleaner_first(handle: Any, operation: int) -> None:
        # Another process's remove_stale_spills finds the new lock file free and deletes it
        # between its creation and the spill's lock (once).
        if operation == fcntl.LOCK_EX and not cleaned:
            cleaned.append(handle.name)
            Path(handle.name).unlink()
        locked(handle, operation)

    monkeypatch.setattr(datafolder_module.fcntl, "flock", cleaner_first)
    with store.data.spill_folder() as folder:
        monkeypatch.setattr(datafolder_module.fcntl, "flock", locked)
        assert Path(cleaned[0]).name != folder.with_suffix(".lock").name
        assert folder.with_suffix(".lock").exists()
        store.data.remove_stale_spills()  # the folder in use is held by its lock: kept
        assert folder.is_dir()
    assert not list((tmp_path / "data" / ".spill").iterdir())


def test_a_failing_batch_of_a_file_too_large_to_read_whole_names_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "times.csv"
    source.write_text(LATE_SECONDS_CSV, "utf-8")
    monkeypatch.setattr(pipeline, "STREAMING_MIN_ROWS", 1)
    monkeypatch.setattr(pipeline, "BLOCK_BYTES", 30)
    monkeypatch.setattr(pipeline, "WHOLE_READ_MAX_ROWS", 2)
    store = LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(InputError) as raised:
        import_log(store, source, name="log", options=ReadOptions())
    message = str(raised.value)
    assert "row 1: '2024-01-03 10:00:05'" in message
    assert "row numbers above count from row 3 of the file" in message


def test_a_file_without_a_single_event_says_why_as_the_whole_import_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "codes.csv"
    source.write_text(
        "case_id,activity,timestamp\na,-100,2024-01-02 10:00\nb,,2024-01-02 11:00\n", "utf-8"
    )
    errors = refusals_of_both_routes(tmp_path, source, monkeypatch)
    assert errors[0] == errors[1]
    assert errors[0].startswith("no row could be used as an event:")
