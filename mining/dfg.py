"""The directly-follows graph of a sorted canonical log.

Speed: the graph is computed on the physical codes of the categorical activity column (one
integer per event) and on the timestamps' integer microseconds; codes become names only in the
few hundred rows of the result, looked up in the column type's category list (no pass over
the events). A directly-follows pair is one integer key, source code times a base plus target
code (32-bit while the codes fit in 16 bits, else 64-bit), so grouping hashes one integer
instead of two strings.

Repeats: the graph of a stored log (a bare scan of its Parquet file, as ``LogStore.scan``
returns it) is stored beside the log for that version of its events file and kept in memory
(``mining.aggregates``), so a fresh process asking for the same log's map reads a few hundred
rows instead of the events. A re-import writes a new file, hence a new version; filtered views
are always computed.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from mining.aggregates import (
    clear_aggregate_cache,
    find_or_compute_aggregate,
    find_stored_events_file,
)
from mining.log_index import find_view, view_dfg
from models.schema import ACTIVITY, CASE, TIMESTAMP

PAIR_BASE = 2**32
"""A pair key is ``source_code * PAIR_BASE + target_code`` (codes are 32-bit)."""


def activity_code() -> pl.Expr:
    """The physical (integer) code of the categorical activity, as UInt64 for pair keys."""
    return pl.col(ACTIVITY).to_physical().cast(pl.UInt64)


def time_us() -> pl.Expr:
    """The event time as integer microseconds since the epoch (UTC)."""
    return pl.col(TIMESTAMP).dt.cast_time_unit("us").to_physical()


def same_case_as_next() -> pl.Expr:
    """True where the next row of the sorted log belongs to the same case."""
    return pl.col(CASE).shift(-1) == pl.col(CASE)


def find_activity_names(events: pl.LazyFrame | pl.DataFrame) -> dict[int, str]:
    """The activity name of each physical code present in the log."""
    present = events.lazy().select(pl.col(ACTIVITY).unique()).collect().to_series()
    return dict(
        zip(present.to_physical().to_list(), present.cast(pl.String).to_list(), strict=True)
    )


def name_codes(code: pl.Expr, names: dict[int, str]) -> pl.Expr:
    """Physical activity codes (any integer type) to activity names (String)."""
    if not names:  # an empty log: nothing to name, but the column must still be text
        return code.cast(pl.String)
    return code.cast(pl.Int64).replace_strict(
        list(names), list(names.values()), return_dtype=pl.String
    )


def discover_dfg(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per directly-follows pair (source, target) within a case.

    Columns: ``source``, ``target``, ``frequency`` (times the pair occurs), ``mean_duration_s`` and
    ``median_duration_s`` (seconds from the source's timestamp to the target's, as pm4py's
    ``discover_performance_dfg`` measures them). Sorted by frequency, then source and target. The
    log must be sorted by (case, timestamp, order), as every stored log is.

    A bare scan of a stored log is served from its stored aggregate (``mining.aggregates``);
    anything else is computed.
    """
    view = find_view(events, bare=False)
    if view is not None:
        return view_dfg(view, DFG_SCHEMA)
    return find_or_compute_aggregate(events, "dfg", _discover_dfg)


def stored_log_version(
    events: pl.LazyFrame | pl.DataFrame,
) -> tuple[str, int, int, int, str] | None:
    """(path, size, mtime in ns, inode, schema) of the one Parquet file ``events`` is a bare
    scan of, or None for anything else (a DataFrame, a filtered or derived view, several
    files)."""
    path = find_stored_events_file(events)
    if path is None or not isinstance(events, pl.LazyFrame):
        return None
    try:
        status = path.stat()
        schema = str(events.collect_schema())
    except (OSError, pl.exceptions.PolarsError):
        return None  # not a readable file: computed (and any error reported) as usual
    return (str(path), status.st_size, status.st_mtime_ns, status.st_ino, schema)


def clear_dfg_cache() -> None:
    """Forget the graphs (and variant tables) of stored logs kept in this process's memory; the
    stored aggregate files stay (they are checked against the events file on every read)."""
    clear_aggregate_cache()


def discover_dfg_from_events(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """``discover_dfg`` computed from the events, never read from a stored aggregate: what a
    log stored without aggregates costs on its first request (the benchmark measures it)."""
    return _discover_dfg(events)


def _discover_dfg(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    lazy = events.lazy()
    if not isinstance(lazy.collect_schema()[ACTIVITY], pl.Categorical):
        lazy = lazy.with_columns(pl.col(ACTIVITY).cast(pl.Categorical()))
    # A 32-bit key groups faster; it holds a pair while every code fits in 16 bits (any real log).
    base = 2**16
    graph = _pair_statistics(lazy, base, pl.UInt32)
    # Read after the scan: a lazy scan adds the log's names to the categories as it reads them.
    categories = _category_names(lazy)
    if categories.len() > base:
        base = PAIR_BASE
        graph = _pair_statistics(lazy, base, pl.UInt64)
    keys = graph.get_column("_key")
    return pl.DataFrame(
        {
            "source": categories.gather(keys // base),
            "target": categories.gather(keys % base),
            "frequency": graph.get_column("frequency"),
            "mean_duration_s": graph.get_column("mean_duration_s") / 1e6,
            "median_duration_s": graph.get_column("median_duration_s") / 1e6,
        },
        schema=DFG_SCHEMA,
    ).sort(["frequency", "source", "target"], descending=[True, False, False])


def _pair_statistics(lazy: pl.LazyFrame, base: int, key_type: type[pl.DataType]) -> pl.DataFrame:
    """Per pair key (source code * base + target code): count, mean and median microseconds."""
    code = pl.col(ACTIVITY).to_physical().cast(key_type)
    pairs = lazy.select(
        (code * base + code.shift(-1)).alias("_key"),
        (time_us().shift(-1) - time_us()).alias("_us"),
        same_case_as_next().alias("_same_case"),
    ).filter(pl.col("_same_case"))
    return (
        pairs.group_by("_key")
        .agg(
            pl.len().cast(pl.Int64).alias("frequency"),
            pl.col("_us").mean().alias("mean_duration_s"),
            pl.col("_us").median().alias("median_duration_s"),
        )
        .collect()
    )


DFG_SCHEMA: Final = {
    "source": pl.String(),
    "target": pl.String(),
    "frequency": pl.Int64(),
    "mean_duration_s": pl.Float64(),
    "median_duration_s": pl.Float64(),
}


def _category_names(lazy: pl.LazyFrame) -> pl.Series:
    """The names of the activity column's categories, indexed by physical code.

    Reading them from the column's type costs nothing, where collecting the distinct values
    takes a pass over the events (8 ms per million).
    """
    dtype = lazy.collect_schema()[ACTIVITY]
    if not isinstance(dtype, pl.Categorical):  # discover_dfg casts first; kept for mypy
        raise TypeError(f"the activity column is {dtype}, not Categorical")
    return dtype.categories.to_series().cast(pl.String)
