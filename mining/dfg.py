"""The directly-follows graph of a sorted canonical log."""

from __future__ import annotations

import polars as pl

from models.schema import ACTIVITY, CASE, TIMESTAMP


def discover_dfg(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per directly-follows pair (source, target) within a case.

    Columns: ``source``, ``target``, ``frequency`` (times the pair occurs), ``mean_duration_s`` and
    ``median_duration_s`` (seconds from the source's timestamp to the target's, as pm4py's
    ``discover_performance_dfg`` measures them). Sorted by frequency, then source and target. The
    log must be sorted by (case, timestamp, order), as every stored log is.
    """
    lazy = events.lazy().select(CASE, ACTIVITY, TIMESTAMP)
    pairs = lazy.with_columns(
        pl.col(ACTIVITY).cast(pl.String).alias("source"),
        pl.col(ACTIVITY).cast(pl.String).shift(-1).alias("target"),
        (pl.col(TIMESTAMP).shift(-1) - pl.col(TIMESTAMP)).dt.total_microseconds().alias("_us"),
        (pl.col(CASE).shift(-1) == pl.col(CASE)).alias("_same_case"),
    ).filter(pl.col("_same_case"))
    graph = pairs.group_by("source", "target").agg(
        pl.len().cast(pl.Int64).alias("frequency"),
        (pl.col("_us").mean() / 1e6).alias("mean_duration_s"),
        (pl.col("_us").median() / 1e6).alias("median_duration_s"),
    )
    return graph.sort(["frequency", "source", "target"], descending=[True, False, False]).collect()
