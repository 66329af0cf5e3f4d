"""Importing a large CSV or Parquet file with bounded memory: in batches of rows, then in pieces
of whole cases.

1. The file's rows are counted and, for a log stored in one file, a sample of its case ids
   fixes the ranges of case ids that cut the log into pieces of about ``PIECE_ROWS`` events
   (a partitioned log is cut by its partitions instead).
2. It is read ``BATCH_ROWS`` rows at a time; each batch is staged, pseudonymised and validated
   as a whole-file read would do it (``extractors.files.batches`` says how that stays exact)
   and its events are spilled into the pieces (``models.spill``) in a spill folder of the data
   folder.
3. Each piece is read back, sorted, measured and written: as a partition, or appended to the
   single events file. The headline figures of the pieces add up (no case is split; distinct
   activities and variants are merged as sets).
4. The log is stored as every import is: under its writer lock, put in place whole.

The stored log, its quarantine, its catalog figures and the notes equal a whole-file import's
(tests/test_import_memory.py compares them on messy files). Whenever a batch cannot be read as
the whole file would be (its time format, a broken row), the caller reads the file whole,
which reports the problem for the file as a whole.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from extractors.files import (
    BatchReadError,
    FileBatches,
    NewPersonalColumnsError,
    ReadOptions,
    TableFormat,
    open_file_batches,
    replaced_value_notes,
)
from mining import LogStats
from models.errors import InputError
from models.eventlog import nothing_left_message, validate_rows
from models.partitions import Partitions, choose_partitions
from models.schema import ACTIVITY, CASE, START_TIMESTAMP, TIMESTAMP
from models.spill import CaseSpill, write_sorted_pieces
from models.store import LogStore
from services.storing import ImportReport, Step, flat_log_entry, report_import, save_flat_log

STREAMING_MIN_ROWS = 2_000_000
"""From this many rows on, a CSV or Parquet file is imported in batches: at 10 million events
that holds the import's peak memory to a batch or a piece instead of the whole log. Below it,
one read is faster."""
BATCH_ROWS = 1_000_000
"""Rows of a Parquet file read, staged and validated at a time."""
BLOCK_BYTES = 48 << 20
"""Bytes of a CSV file read, staged and validated at a time (about 900.000 rows of the
standard workload)."""
WHOLE_READ_MAX_ROWS = 20_000_000
"""A file whose batch fails is read whole, for a message about the whole file, only up to this
many rows; a larger one would not fit in memory, so the batch's own message is given."""
PIECE_ROWS = 2_000_000
"""Events per piece sorted at a time (a log in one file; a partitioned log's pieces are its
partitions)."""


def import_in_batches(
    store: LogStore,
    path: Path,
    *,
    name: str,
    options: ReadOptions,
    table_format: TableFormat,
    replace: bool,
    step: Step,
    partitions: Partitions,
) -> ImportReport | None:
    """Import ``path`` in batches and store it as log ``name``; None when the file is to be
    read whole instead (small, or a batch that cannot be read as the whole file would be)."""
    with open_file_batches(path, options, table_format, min_rows=STREAMING_MIN_ROWS) as batches:
        if batches is None:
            return None
        count = choose_partitions(partitions, batches.rows)
        with store.data.spill_folder() as folder:
            built = _spill_all(batches, folder, count, step)
            if built is None:
                return None
            return _store(store, built, name=name, replace=replace, step=step, folder=folder)


@dataclass
class _Built:
    """What the batches left: the spilled events, the quarantine and what to tell."""

    path: Path
    source_format: str
    spill: CaseSpill
    partitions: int | None
    quarantine: list[pl.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replaced: dict[str, int] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    events: int = 0


def _spill_all(
    batches: FileBatches, folder: Path, partitions: int | None, step: Step
) -> _Built | None:
    """Every batch spilled; started again when a batch finds a new column of personal values
    (then every batch must pseudonymise it whole); None when the file is to be read whole."""
    personal: frozenset[str] = frozenset()
    while True:
        target = folder / "spill"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        spill = CaseSpill(target, partitions=partitions)
        try:
            return _spill_batches(batches, spill, partitions, personal, step)
        except NewPersonalColumnsError as found:
            personal = found.columns
        except BatchReadError as failed:
            if batches.rows <= WHOLE_READ_MAX_ROWS:
                return None
            raise InputError(
                f"{batches.path}: {failed.message}\nThe file is read in batches (too large to "
                f"read whole): row numbers above count from row {failed.first_row:,} of the file."
            ) from failed


def _spill_batches(
    batches: FileBatches,
    spill: CaseSpill,
    partitions: int | None,
    personal: frozenset[str],
    step: Step,
) -> _Built:
    total = batches.batch_count(BATCH_ROWS, BLOCK_BYTES)
    built = _Built(batches.path, batches.table_format, spill, partitions)
    read = batches.read(batch_rows=BATCH_ROWS, block_bytes=BLOCK_BYTES, known_personal=personal)
    for index, staged in enumerate(read):
        step(f"reading and validating batch {index + 1} of about {total}")
        validated = validate_rows(
            staged.frame,
            keep_numeric_activities=batches.options.keep_numeric_activities,
            quarantine=staged.quarantine,
        )
        spill.add(validated.events)
        built.events += validated.events.height
        built.quarantine.append(validated.quarantine)
        built.source_format = staged.source_format
        built.columns = built.columns or staged.frame.columns
        counted = set(replaced_value_notes(dict(staged.replaced)))
        built.notes.extend(n for n in staged.notes if n not in counted and n not in built.notes)
        for column, count in staged.replaced:
            built.replaced[column] = built.replaced.get(column, 0) + count
    if built.events == 0:
        raise InputError(nothing_left_message(pl.concat(built.quarantine)))
    return built


def _store(
    store: LogStore, built: _Built, *, name: str, replace: bool, step: Step, folder: Path
) -> ImportReport:
    quarantine = pl.concat(built.quarantine).sort("row_number")
    step("sorting and writing the pieces")
    written = write_spilled_log(built.spill, folder, partitions=built.partitions)
    entry = flat_log_entry(
        name,
        written.stats,
        source=(str(built.path.resolve()), built.source_format),
        quarantined=quarantine.height,
    )
    step("storing")
    saved = save_flat_log(
        store, entry, written.path, quarantine, replace=replace, partitions=built.partitions
    )
    notes = _merged_notes(built, written.late)
    return report_import(store, saved, quarantine, notes)


@dataclass(frozen=True)
class SpilledLog:
    """A spilled log written as a log's events (``path``, in the spill folder), its headline
    figures and its events that start after they end."""

    path: Path
    stats: LogStats
    late: int


def write_spilled_log(
    spill: CaseSpill, folder: Path, *, partitions: int | None, piece_rows: int | None = None
) -> SpilledLog:
    """Write the events of ``spill`` sorted, piece by piece (of about ``piece_rows`` events,
    default ``PIECE_ROWS``), as a log's events in ``folder`` (``partitions`` partition files,
    or one file), measured on the way."""
    measure = _PieceMeasure()
    events_path = folder / ("events" if partitions is not None else "events.parquet")
    write_sorted_pieces(
        measure.each(spill.sorted_pieces(piece_rows or PIECE_ROWS)),
        events_path,
        partitions=partitions is not None,
    )
    return SpilledLog(events_path, measure.stats(), measure.late)


def _merged_notes(built: _Built, late: int) -> tuple[str, ...]:
    """The notes a whole-file read gives: the reader's, the replaced values counted over all
    batches (in column order), then events that start after they end."""
    replaced = {c: built.replaced[c] for c in built.columns if c in built.replaced}
    notes = [*built.notes, *replaced_value_notes(replaced)]
    if late:
        notes.append(f"{late:,} event(s) start after they end; they are kept as they are.")
    return tuple(notes)


class _PieceMeasure:
    """The headline figures of a log, added up piece by piece (pieces hold whole cases)."""

    def __init__(self) -> None:
        self.events = 0
        self.cases = 0
        self.late = 0
        self.activities: set[str] = set()
        self.sequences: list[pl.Series] = []
        self.start: dt.datetime | None = None
        self.end: dt.datetime | None = None

    def each(self, pieces: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        """``pieces``, each measured on its way through."""
        for piece in pieces:
            self._add(piece)
            yield piece

    def _add(self, piece: pl.DataFrame) -> None:
        if piece.height == 0:
            return
        self.events += piece.height
        self.cases += piece.get_column(CASE).n_unique()
        self.activities.update(piece.get_column(ACTIVITY).cast(pl.String).unique().to_list())
        # Codes of the activity categorical stand for the names: polars' categories are global
        # to the process, so equal names have equal codes in every piece.
        sequences = piece.group_by(CASE, maintain_order=True).agg(
            pl.col(ACTIVITY).to_physical().alias("sequence")
        )
        self.sequences.append(sequences.get_column("sequence").unique())
        span = piece.select(pl.col(TIMESTAMP).min().alias("first"), pl.col(TIMESTAMP).max())
        first, last = span.row(0)
        self.start = first if self.start is None else min(self.start, first)
        self.end = last if self.end is None else max(self.end, last)
        if START_TIMESTAMP in piece.columns:
            self.late += piece.filter(pl.col(START_TIMESTAMP) > pl.col(TIMESTAMP)).height

    def stats(self) -> LogStats:
        """The log's figures, as ``mining.compute_log_stats`` gives them for the whole log."""
        variants = pl.concat(self.sequences).n_unique() if self.sequences else 0
        return LogStats(
            cases=self.cases,
            events=self.events,
            activities=len(self.activities),
            variants=variants,
            start=self.start,
            end=self.end,
        )
