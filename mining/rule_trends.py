"""The share of cases breaking at least one rule, per org unit and month, and the breaches.

:func:`mining.rules.check_rules` gives one row per (rule, case); the governance view asks how
many of an org unit's cases (work items) break any rule, month by month (the month a case
started, as ``check_rules`` gives it), against a threshold, and which cases those are.
"""

from __future__ import annotations

import polars as pl

from mining.privacy import MIN_PEOPLE, drop_withheld
from models.schema import CASE, ORG_UNIT, RESOURCE

SHARE_COLUMNS = (ORG_UNIT, "month", "cases", "breaking_cases", "breaking_pct")


def summarize_breaking_cases(
    results: pl.DataFrame,
    events: pl.LazyFrame | pl.DataFrame,
    *,
    by_month: bool = True,
) -> tuple[pl.DataFrame, int]:
    """The share of cases breaking any rule, and how many (org unit, month) rows were left out.

    One row per (org unit, month) (``by_month``; else per org unit, ``month`` null) of the
    cases at least one rule applies to: ``org_unit``, ``month`` (``YYYY-MM``), ``cases``,
    ``breaking_cases`` and ``breaking_pct``; sorted by org unit and month. Org units withheld by
    ``check_rules`` are left out; so is, under the 5-person rule, every row whose cases' events
    name fewer than 5 people (the count of those is the second value; a log naming no one
    keeps every row).
    """
    applied = results.filter(pl.col("applies"))
    per_case = applied.group_by(CASE, ORG_UNIT, "month").agg(
        (~pl.col("passed")).any().alias("_breaks")
    )
    keys = [ORG_UNIT, "month"] if by_month else [ORG_UNIT]
    summary = (
        per_case.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("cases"),
            pl.col("_breaks").sum().cast(pl.Int64).alias("breaking_cases"),
        )
        .with_columns((100.0 * pl.col("breaking_cases") / pl.col("cases")).alias("breaking_pct"))
    )
    if not by_month:
        summary = summary.with_columns(pl.lit(None, pl.String).alias("month"))
    summary = drop_withheld(summary.sort(keys), (ORG_UNIT,))
    people = _people(per_case, events, keys)
    if people is None:
        return summary.select(SHARE_COLUMNS), 0
    kept = summary.join(people, on=keys, how="left").with_columns(pl.col("people").fill_null(0))
    small = kept.filter(pl.col("people") < MIN_PEOPLE).height
    return kept.filter(pl.col("people") >= MIN_PEOPLE).select(SHARE_COLUMNS), small


def _people(
    per_case: pl.DataFrame, events: pl.LazyFrame | pl.DataFrame, keys: list[str]
) -> pl.DataFrame | None:
    """Distinct people per ``keys`` of the cases' events; None when the log names no one."""
    lazy = events.lazy()
    if RESOURCE not in lazy.collect_schema():
        return None
    named = (
        lazy.select(pl.col(CASE).cast(pl.String), pl.col(RESOURCE).cast(pl.String))
        .drop_nulls()
        .unique()
        .collect()
    )
    if named.is_empty():
        return None
    return (
        named.join(per_case.select(CASE, *keys), on=CASE)
        .group_by(keys)
        .agg(pl.col(RESOURCE).n_unique().cast(pl.Int64).alias("people"))
    )


def find_breaking_cases(results: pl.DataFrame) -> pl.DataFrame:
    """One row per (rule, case) that breaks the rule: ``rule``, ``case_id``, ``org_unit``,
    ``month`` and ``violations``; org units withheld by ``check_rules`` left out; sorted by
    org unit, case id and rule."""
    broken = results.filter(pl.col("applies") & ~pl.col("passed"))
    return drop_withheld(
        broken.select("rule", CASE, ORG_UNIT, "month", "violations"), (ORG_UNIT,)
    ).sort(ORG_UNIT, CASE, "rule")
