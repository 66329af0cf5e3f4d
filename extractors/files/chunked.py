"""Reading a large Parquet export in slices of whole cases, never the whole raw table at once.

Cases are independent for everything an import does (validation is per row, the stored order is
by case, then time, then source row), so a log can be built slice by slice when each slice holds
whole cases and the slices follow one another in case order: the sorted slices, one after the
other, are the sorted log. A plan cuts the (stripped) case ids into ranges of about
``chunk_rows`` events, from a sorted sample of them; each slice is then read from the file with
a filter on its range, with the row numbers of the whole file, so ``event_order`` and
quarantine row numbers are those of a whole-file read.

Only Parquet files whose time columns are typed (datetime or date) are sliced: text times are
parsed with a format inferred from all values (day or month first), which a slice could infer
differently. Everything else is read whole, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractors.files.options import ReadOptions
from extractors.files.staged import StagedLog
from extractors.files.tabular import parse_time_columns, rename_lazy, resolve_columns
from extractors.limits import check_rows
from models.schema import CASE, START_TIMESTAMP, TIMESTAMP

_TYPED_TIMES = (pl.Datetime, pl.Date)
_SAMPLES_PER_SLICE = 2_000


def case_key(column: str = CASE) -> pl.Expr:
    """A case id as the canonical log will hold it (text, surrounding blanks removed)."""
    return pl.col(column).cast(pl.String).str.strip_chars()


@dataclass(frozen=True)
class CaseChunks:
    """How one Parquet file is read in slices: its column mapping and the bounds between the
    slices' case-id ranges (in byte order; a slice holds ids from its lower bound, included,
    up to the next bound)."""

    path: Path
    options: ReadOptions
    mapping: dict[str, str]
    bounds: tuple[str, ...]
    rows: int

    @property
    def count(self) -> int:
        """The number of slices."""
        return len(self.bounds) + 1

    def read(self, index: int) -> StagedLog:
        """Slice ``index``: its rows staged as a whole-file read would stage them."""
        key = case_key()
        lower = self.bounds[index - 1] if index > 0 else None
        upper = self.bounds[index] if index < len(self.bounds) else None
        # Rows without a case id go to the first slice (they are quarantined there).
        keep = key.is_null() if lower is None else pl.lit(value=False)
        in_range = pl.lit(value=True)
        if lower is not None:
            in_range = in_range & (key >= lower)
        if upper is not None:
            in_range = in_range & (key < upper)
        staged = (
            rename_lazy(pl.scan_parquet(self.path), self.mapping).filter(keep | in_range).collect()
        )
        return parse_time_columns(staged, self.mapping, self.options, source_format="parquet")


def plan_case_chunks(
    path: Path, options: ReadOptions, *, chunk_rows: int, min_rows: int
) -> CaseChunks | None:
    """A slicing plan for ``path``, or None when it should be read whole: not Parquet that
    polars can scan, fewer than ``min_rows`` rows, or text time columns. Column errors are
    raised as a whole-file read raises them."""
    try:
        lazy = pl.scan_parquet(path)
        schema = lazy.collect_schema()
        rows = int(lazy.select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError):
        return None  # the whole-file reader reports what is wrong with the file
    check_rows(rows, where=str(path))
    if rows < min_rows:
        return None
    mapping = resolve_columns(schema.names(), options.columns, path)
    for column in (TIMESTAMP, START_TIMESTAMP):
        if column in mapping and not isinstance(schema[mapping[column]], _TYPED_TIMES):
            return None
    slices = -(-rows // chunk_rows)
    sample = (
        lazy.select(case_key(mapping[CASE]).alias("key"))
        .gather_every(max(1, rows // (slices * _SAMPLES_PER_SLICE)))
        .drop_nulls()
        .sort("key")
        .collect()
        .to_series()
    )
    return CaseChunks(path, options, mapping, _bounds(sample, slices), rows)


def _bounds(sample: pl.Series, slices: int) -> tuple[str, ...]:
    """Range bounds that cut the sorted sample of case ids into ``slices`` about equal parts.

    Any string is a valid bound (all rows of a case fall on the same side of it), so a sample
    balances the slices well enough without counting every case.
    """
    picks = [sample[len(sample) * i // slices] for i in range(1, slices)] if len(sample) else []
    return tuple(sorted(set(picks)))
