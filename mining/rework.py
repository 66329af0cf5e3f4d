"""Rework and loops: activities done more than once within a case.

A repeat is any occurrence of an activity in a case after its first; a self-loop is an
activity directly followed by itself in the same case (a repeat with nothing in between).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from mining.dfg import activity_code, same_case_as_next
from models.schema import ACTIVITY, CASE

Log = pl.LazyFrame | pl.DataFrame
ReworkLevel = Literal["activity", "case"]


def compute_rework(events: Log, *, level: ReworkLevel = "activity") -> pl.DataFrame:
    """Rework per activity or per case.

    ``level="activity"``: one row per activity, by name: ``activity``, ``frequency`` (events),
    ``cases`` (cases that contain it), ``rework_cases`` (cases that contain it twice or more),
    ``rework_share`` (rework_cases / cases), ``repeats`` (frequency - cases) and
    ``self_loops``.

    ``level="case"``: one row per case, stored order: ``case_id``, ``events``, ``repeats``
    (events minus distinct activities), ``self_loops`` and ``has_rework``.
    """
    lazy = events.lazy().with_columns(
        (same_case_as_next() & (activity_code().shift(-1) == activity_code()))
        .fill_null(False)
        .alias("_self_loop")
    )
    if level == "case":
        return _per_case(lazy)
    per_case_activity = lazy.group_by(CASE, pl.col(ACTIVITY).cast(pl.String)).agg(
        pl.len().alias("n"), pl.col("_self_loop").sum().alias("loops")
    )
    return (
        per_case_activity.group_by(ACTIVITY)
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("frequency"),
            pl.len().cast(pl.Int64).alias("cases"),
            (pl.col("n") > 1).sum().cast(pl.Int64).alias("rework_cases"),
            pl.col("loops").sum().cast(pl.Int64).alias("self_loops"),
        )
        .with_columns(
            (pl.col("rework_cases") / pl.col("cases")).alias("rework_share"),
            (pl.col("frequency") - pl.col("cases")).alias("repeats"),
        )
        .select(
            ACTIVITY,
            "frequency",
            "cases",
            "rework_cases",
            "rework_share",
            "repeats",
            "self_loops",
        )
        .sort(ACTIVITY)
        .collect()
    )


def _per_case(lazy: pl.LazyFrame) -> pl.DataFrame:
    per_case = lazy.group_by(CASE, maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("events"),
        (pl.len() - pl.col(ACTIVITY).n_unique()).cast(pl.Int64).alias("repeats"),
        pl.col("_self_loop").sum().cast(pl.Int64).alias("self_loops"),
    )
    return per_case.with_columns((pl.col("repeats") > 0).alias("has_rework")).collect()
