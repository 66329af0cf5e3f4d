"""Staging a large stream from its prepared pages spilled to Parquet, with bounded memory.

``stage_prepared`` holds every prepared page of a stream and sorts the whole table: at ten times
KIT's volume ``sys_audit`` alone (7 million records) then takes several GB. ``PageSpill`` writes
each prepared page (its text columns and checks, numbered by position among the records read)
to Parquet files as the pages are read, and stages from them:

- the latest read of each identity: only identities whose hash is seen twice are compared, so
  the identities of the whole table are never held;
- the records set aside: those of the (few) invalid rows kept, checked record by record as
  ``stage_prepared`` does;
- the staged table: the valid rows kept, their datetimes parsed, read lazily (written by the
  caller with ``sink_parquet``) when the valid rows were read in keyset order (replication key,
  sys_id; strictly increasing), as the Table API and saved pages give them; otherwise collected
  and sorted, exactly as ``stage_prepared``.

Whatever ``stage_prepared`` would stage record by record (a page that is not plain, checks that
disagree) is staged so here too, from the pages read again. The result equals
``stage_prepared``'s (tests/test_servicenow_staging_spill.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from extractors.errors import SkippableRecord
from extractors.servicenow.mapping import (
    _quarantine,
    check_record,
    prepare_page,
    stage_records,
    typed_datetimes,
)
from extractors.servicenow.streams import StreamSpec

_POSITION, _VALID, _IDENTITY = "__position", "__valid", "__identity"
SPILL_ROWS = 250_000
"""Prepared rows gathered before they are written as one spill file."""


@dataclass(frozen=True)
class SpilledStage:
    """A staged stream whose ``frame`` may be lazy (read from the spill files while written)."""

    stream: str
    frame: pl.DataFrame | pl.LazyFrame
    quarantine: pl.DataFrame


class PageSpill:
    """The prepared pages of one stream, in read order, written under ``folder``."""

    def __init__(self, spec: StreamSpec, folder: Path, *, spill_rows: int = SPILL_ROWS) -> None:
        self.spec = spec
        self.folder = folder
        self.spill_rows = spill_rows
        self.plain = True
        self.in_order = True
        self.files: list[Path] = []
        self.invalid: dict[int, Any] = {}
        self._offset = 0
        self._pending: list[pl.DataFrame] = []
        self._pending_rows = 0
        self._last: tuple[str, str] | None = None

    def add(self, records: Sequence[Any]) -> None:
        """Prepare one page (``prepare_page``) and spill it."""
        if not self.plain:
            return
        page = prepare_page(self.spec, records)
        if page.rows and page.chunk is None:
            self.plain = False  # staged record by record from the pages read again
            self._pending.clear()
            return
        if page.chunk is None:
            return
        frame, checked = page.chunk
        self.invalid.update((self._offset + p, r) for p, r in page.invalid.items())
        part = pl.concat(
            [
                frame,
                checked.select(pl.col("valid").alias(_VALID), pl.col("identity").alias(_IDENTITY)),
            ],
            how="horizontal",
        ).with_row_index(_POSITION, offset=self._offset)
        self._offset += page.rows
        self._check_order(part)
        self._pending.append(part)
        self._pending_rows += page.rows
        if self._pending_rows >= self.spill_rows:
            self._flush()

    def _check_order(self, part: pl.DataFrame) -> None:
        """Whether the valid rows so far are strictly increasing in (replication key, sys_id)."""
        if not self.in_order:
            return
        key, pk = self.spec.replication_key, self.spec.primary_key
        rows = part.filter(pl.col(_VALID)).select(key, pk)
        if rows.height == 0:
            return
        before_key, before_pk = pl.col(key).shift(), pl.col(pk).shift()
        increasing = (pl.col(key) > before_key) | (
            (pl.col(key) == before_key) & (pl.col(pk) > before_pk)
        )
        inside = rows.select(increasing.slice(1).all()).item()
        first = rows.row(0)
        across = self._last is None or (first[0], first[1]) > self._last
        self.in_order = bool(inside) and across
        last = rows.row(rows.height - 1)
        self._last = (last[0], last[1])

    def _flush(self) -> None:
        if not self._pending:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"prepared-{len(self.files):05d}.parquet"
        pl.concat(self._pending).write_parquet(path, compression="lz4", statistics=False)
        self.files.append(path)
        self._pending.clear()
        self._pending_rows = 0

    def stage(self, pages: Callable[[], Iterable[Sequence[Any]]]) -> SpilledStage:
        """The staged stream (``stage_prepared`` of the pages added); ``pages`` gives the
        records again when they must be staged record by record."""
        self._flush()
        if not self.plain:
            return _whole(self.spec, pages)
        if not self.files:
            empty = stage_records(self.spec, [])
            return SpilledStage(self.spec.name, empty.frame, empty.quarantine)
        scan = pl.scan_parquet(self.files)
        superseded = self._superseded(scan)
        bad: list[tuple[int, str, Any]] = []
        for position in sorted(p for p in self.invalid if p not in superseded):
            record = self.invalid[position]
            try:
                check_record(self.spec, record)
            except SkippableRecord as skipped:
                bad.append((position + 1, skipped.reason, record))
                continue
            return _whole(self.spec, pages)  # the two checks disagree
        kept = scan.filter(pl.col(_VALID))
        if superseded:
            dropped = pl.Series(sorted(superseded), dtype=pl.UInt32)
            kept = kept.filter(~pl.col(_POSITION).is_in(dropped.implode()))
        typed = kept.select(self.spec.fields).with_columns(typed_datetimes(self.spec))
        if self.in_order:
            return SpilledStage(self.spec.name, typed, _quarantine(bad))
        frame = typed.collect().sort([self.spec.replication_key, self.spec.primary_key])
        return SpilledStage(self.spec.name, frame, _quarantine(bad))

    @staticmethod
    def _superseded(scan: pl.LazyFrame) -> set[int]:
        """Positions of reads of an identity that a later read replaced."""
        hashes = scan.select(pl.col(_IDENTITY).hash().alias("hash"), _POSITION).collect()
        twice = hashes.filter(pl.col("hash").is_duplicated())[_POSITION]
        if twice.len() == 0:
            return set()
        rows = (
            scan.filter(pl.col(_POSITION).is_in(twice.implode()))
            .select(_IDENTITY, _POSITION)
            .collect()
        )
        latest = pl.col(_POSITION).max().over(_IDENTITY)
        return set(rows.filter(pl.col(_POSITION) != latest)[_POSITION].to_list())


def _whole(spec: StreamSpec, pages: Callable[[], Iterable[Sequence[Any]]]) -> SpilledStage:
    """``stage_records`` of every record of the pages, read again."""
    staged = stage_records(spec, (r for again in pages() for r in again))
    return SpilledStage(spec.name, staged.frame, staged.quarantine)
