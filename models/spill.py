"""Building a large canonical log in pieces of whole cases, with bounded memory.

An import that reads its file in batches validates each batch and hands the events to a
``CaseSpill``, which writes them to files in a spill folder. Then the log is read back a piece
of whole cases at a time, each piece sorted by (case, time, order). Pieces are cut either

- by a stable hash of the case id (``models.partitions``), decided as the batches come: piece
  *i* is partition *i* of a partitioned log; or
- by ranges of case ids, decided at the end: each batch is written sorted by case (a *run*),
  the ranges are cut from a sample of the runs' case ids, and a piece is the rows of its range
  from every run (Parquet row-group statistics let a run's other rows be skipped). The sorted
  pieces one after the other are the log sorted by case: the single ``events.parquet`` of a
  log stored in one file.

Either way no case is split, so the sorted pieces hold exactly the rows, in exactly the order,
that sorting the whole log would give. Peak memory is that of one batch or one piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from models.eventlog import sort_events
from models.partitions import assign_partitions, describe_partitions, partition_file
from models.schema import CASE, SORT_KEY

_PIECE = "_piece"
_RUN_ROW_GROUP = 16_384
"""Rows per row group of a run: small enough that a piece's range skips most of a run."""
_SAMPLES_PER_PIECE = 2_000


class CaseSpill:
    """Validated events written batch by batch under ``folder``: into ``partitions`` pieces by
    the stable case hash, or (None) as runs sorted by case, cut into case ranges at the end."""

    def __init__(self, folder: Path, *, partitions: int | None) -> None:
        self.folder = folder
        self.partitions = partitions
        self.events = 0
        self._batches = 0
        self._schema: pl.Schema | None = None

    def add(self, events: pl.DataFrame) -> None:
        """Write one batch of validated events (in any order)."""
        if events.height == 0:
            return
        self._schema = self._schema or events.schema
        self.events += events.height
        name = f"batch-{self._batches:06d}.parquet"
        self._batches += 1
        if self.partitions is None:
            run = events.sort(list(SORT_KEY), maintain_order=True)
            run.write_parquet(
                _made(self.folder / "runs") / name,
                compression="lz4",
                statistics=True,
                row_group_size=_RUN_ROW_GROUP,
            )
            return
        pieces = events.with_columns(self._partition_of(events.get_column(CASE)))
        for (index,), rows in pieces.partition_by(_PIECE, as_dict=True).items():
            folder = _made(self.folder / f"piece-{int(index):04d}")
            rows.drop(_PIECE).write_parquet(folder / name, compression="lz4", statistics=False)

    def _partition_of(self, cases: pl.Series) -> pl.Series:
        assert self.partitions is not None
        unique = cases.unique(maintain_order=True)
        parts = pl.Series(_PIECE, assign_partitions(unique.to_list(), self.partitions))
        return cases.replace_strict(unique, parts, return_dtype=pl.UInt32).alias(_PIECE)

    def sorted_pieces(self, piece_rows: int) -> Iterator[pl.DataFrame]:
        """Each piece in order, sorted by (case, time, order): the partitions, or case ranges
        of about ``piece_rows`` events. Spilled files are removed once read."""
        if self._schema is None:
            raise ValueError("nothing was added to the spill")
        if self.partitions is not None:
            yield from self._partition_pieces()
        else:
            yield from self._range_pieces(piece_rows)

    def _partition_pieces(self) -> Iterator[pl.DataFrame]:
        assert self._schema is not None and self.partitions is not None
        for index in range(self.partitions):
            files = sorted((self.folder / f"piece-{index:04d}").glob("batch-*.parquet"))
            rows = pl.read_parquet(files) if files else pl.DataFrame(schema=self._schema)
            for file in files:
                file.unlink()
            yield sort_events(rows)

    def _range_pieces(self, piece_rows: int) -> Iterator[pl.DataFrame]:
        runs = sorted((self.folder / "runs").glob("batch-*.parquet"))
        bounds = self._range_bounds(runs, max(1, -(-self.events // piece_rows)))
        lowers: list[str | None] = [None, *bounds]
        uppers: list[str | None] = [*bounds, None]
        for lower, upper in zip(lowers, uppers, strict=True):
            in_range = pl.lit(value=True)
            if lower is not None:
                in_range = in_range & (pl.col(CASE) >= lower)
            if upper is not None:
                in_range = in_range & (pl.col(CASE) < upper)
            yield sort_events(pl.scan_parquet(runs).filter(in_range).collect())
        for run in runs:
            run.unlink()

    def _range_bounds(self, runs: list[Path], pieces: int) -> list[str]:
        """Case ids that cut the runs into ``pieces`` about equal ranges, from a sample.

        Any string is a valid bound (every row of a case falls on the same side of it), so a
        sample balances the pieces well enough without counting every case."""
        every = max(1, self.events // (pieces * _SAMPLES_PER_PIECE))
        sample = pl.concat(
            [pl.scan_parquet(run).select(CASE).gather_every(every).collect() for run in runs]
        ).get_column(CASE)
        sample = sample.sort()
        picks = [sample[len(sample) * i // pieces] for i in range(1, pieces)]
        return sorted(set(picks))


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_sorted_pieces(pieces: Iterator[pl.DataFrame], target: Path, *, partitions: bool) -> None:
    """Write sorted pieces as a log's events table at ``target``: as partition files in the
    folder ``target`` (with its description) when ``partitions``, else one after the other
    into the single file ``target``."""
    if partitions:
        target.mkdir(parents=True)
        count = 0
        for index, piece in enumerate(pieces):
            piece.write_parquet(partition_file(target, index), statistics=True)
            count += 1
        describe_partitions(target, count)
        return
    folder = _made(target.with_name(f"{target.stem}.pieces"))
    files = []
    for index, piece in enumerate(pieces):
        files.append(folder / f"piece-{index:04d}.parquet")
        piece.write_parquet(files[-1], statistics=True)
    # Streamed file by file into one Parquet file: the whole log is never in memory.
    pl.concat([pl.scan_parquet(file) for file in files]).sink_parquet(target, statistics=True)
    for file in files:
        file.unlink()
    folder.rmdir()
