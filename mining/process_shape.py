"""How the cases of a process run, measured on its event log: what the ranking of automation
candidates (``models/candidates.py``) rests on.

- standardisation: the share of cases that follow one of the ``top_variants`` most frequent
  variants;
- variant entropy: how evenly the cases spread over their variants (0-1);
- branching: distinct next activities per activity, weighted by how often each is left (1 for
  a straight line); with the two above, how rule-like the process is;
- exception rate: the share of cases that do not end in the most common last activity;
- rework rate: the share of cases with an activity repeated;
- pickup-to-close hours: office time from each case's second event to its last, summed (an
  upper bound of the effort where nobody registered hours);
- monthly variation: the coefficient of variation of the monthly volume (stability).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar, compute_working_duration_s
from mining.dfg import discover_dfg
from mining.rework import compute_rework
from mining.variants import compute_variants
from models.candidates import compute_variant_entropy
from models.schema import ACTIVITY, CASE, TIMESTAMP

TOP_VARIANTS = 3


@dataclass(frozen=True)
class ProcessShape:
    """How a group of cases runs (see the module docstring); every field is None when there
    are no events (e.g. no case of a time-registration activity is in a log)."""

    standardisation: float | None = None
    variant_entropy: float | None = None
    branching: float | None = None
    exception_rate: float | None = None
    rework_rate: float | None = None


def compute_process_shape(
    events: pl.DataFrame, *, top_variants: int = TOP_VARIANTS
) -> ProcessShape:
    """Standardisation, variant entropy, branching, exception and rework rates of the cases
    of ``events`` (a canonical log, sorted)."""
    if not events.height:
        return ProcessShape()
    counts = compute_variants(events)["cases"].to_list()
    ends = events.group_by(CASE, maintain_order=True).agg(pl.col(ACTIVITY).last().cast(pl.String))
    usual_end_share = ends[ACTIVITY].value_counts(sort=True)["count"][0] / ends.height
    rework = compute_rework(events, level="case")
    rework_rate = rework["has_rework"].cast(pl.Float64).sum() / rework.height
    return ProcessShape(
        standardisation=sum(counts[:top_variants]) / sum(counts),
        variant_entropy=compute_variant_entropy(counts),
        branching=compute_branching(events),
        exception_rate=1.0 - usual_end_share,
        rework_rate=float(rework_rate),
    )


def compute_branching(events: pl.DataFrame) -> float:
    """Distinct next activities per activity, weighted by how often each activity is left;
    at least 1 (a log without a directly-follows pair gives 1)."""
    dfg = discover_dfg(events)
    if not dfg.height:
        return 1.0
    per_source = dfg.group_by("source").agg(
        pl.col("frequency").sum().alias("out"), pl.len().alias("next")
    )
    weighted = float((per_source["out"] * per_source["next"]).sum())
    return max(weighted / float(per_source["out"].sum()), 1.0)


def compute_pickup_to_close_hours(
    events: pl.DataFrame, *, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> float:
    """Office hours from pickup (a case's second event) to close (its last), summed over the
    cases; a case of one event adds nothing."""
    spans = (
        events.group_by(CASE)
        .agg(pl.col(TIMESTAMP).sort().alias("t"))
        .filter(pl.col("t").list.len() > 1)
        .select(pl.col("t").list.get(1).alias("pickup"), pl.col("t").list.last().alias("close"))
    )
    if not spans.height:
        return 0.0
    seconds = spans.select(
        compute_working_duration_s(pl.col("pickup"), pl.col("close"), calendar=calendar)
    )
    return float(seconds.to_series().clip(lower_bound=0).sum()) / 3600.0


def compute_case_starts(events: pl.DataFrame) -> pl.DataFrame:
    """One row per case: ``case_id`` and ``day`` (the UTC date of its first event)."""
    return events.group_by(CASE).agg(pl.col(TIMESTAMP).min().dt.date().alias("day"))


def compute_monthly_cv(
    days: pl.Series,
    *,
    start: dt.date,
    end: dt.date,
    weights: pl.Series | None = None,
) -> float | None:
    """Coefficient of variation of the monthly totals over every month from ``start`` to
    ``end`` (a month without any day counts 0; days outside are left out). Each day counts
    its weight (default 1: the monthly volume). None for a period of one month, or when
    every total is 0."""
    months = _months(start, end)
    if len(months) < 2:
        return None
    weights = pl.repeat(1.0, days.len(), eager=True) if weights is None else weights
    totals = dict.fromkeys(months, 0.0)
    frame = pl.DataFrame({"month": days.dt.strftime("%Y-%m"), "w": weights})
    for month, total in frame.group_by("month").agg(pl.col("w").sum()).iter_rows():
        if month in totals:
            totals[month] += float(total)
    values = list(totals.values())
    mean = sum(values) / len(values)
    if mean == 0:
        return None
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
