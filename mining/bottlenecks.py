"""Bottlenecks: arcs and activities ranked by the total waiting time they contribute.

The waiting time of an event is defined in :mod:`mining.durations` (previous event's end to
this event's start). An arc's or an activity's contribution is the sum of the waiting times of
its target events, i.e. frequency × mean wait: where the most case time is spent waiting.
A split by month uses the Copenhagen month of the waited-for event; a split by org unit uses the
org unit of the waited-for event (the unit the case was waiting for). Under the 5-person rule
(:mod:`mining.privacy`) org units with fewer than 5 people are merged into one group, and left
out when they hold fewer than 5 people together.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar, local_month
from mining.durations import TimeMode, compute_event_durations
from mining.log_index import find_view, name_keys, view_wait_groups
from mining.privacy import drop_withheld, merge_small_groups
from models.errors import InputError
from models.schema import ACTIVITY, CASE, ORG_UNIT, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame
BottleneckLevel = Literal["arc", "activity"]
Split = Literal["none", "month", "org_unit"]


def find_bottlenecks(
    events: Log,
    *,
    level: BottleneckLevel = "arc",
    by: Split = "none",
    top: int | None = None,
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.DataFrame:
    """One row per arc (``source``, ``target``) or ``activity``, per ``month`` (a date, the
    first of the month) or ``org_unit`` when split, ranked by ``total_wait_s``.

    Columns after the keys: ``rank`` (1 = most waiting, within the month or org unit),
    ``frequency`` (waits counted), ``mean_wait_s``, ``median_wait_s``, ``total_wait_s`` and
    ``wait_share`` (of all waiting in the log, or in that month or org unit; null where there was
    no waiting at all). A case's first
    event has no wait, so start activities count only where they occur later in a case.
    ``top`` keeps the first ``top`` ranks of each group.
    """
    keys = ["source", "target"] if level == "arc" else ["activity"]
    view = find_view(events, bare=False)
    if view is not None and by == "none" and time == "calendar" and not view.index.has_start:
        grouped = view_wait_groups(view, level)
        named = name_keys(grouped, keys, view.index.names).lazy()
        fast = order_bottlenecks(named, keys, [])
        return (fast if top is None else fast.filter(pl.col("rank") <= top)).collect()
    lazy = events.lazy()
    check_org_units(lazy, by)
    if by == "org_unit":
        lazy = merge_small_groups(lazy, by=ORG_UNIT).frame
    waits = bottleneck_waits(lazy, level=level, by=by, time=time, calendar=calendar)
    split: list[str] = [] if by == "none" else [by]
    ranked = _rank(waits, keys, split)
    if top is not None:
        ranked = ranked.filter(pl.col("rank") <= top)
    return drop_withheld(ranked.collect(), tuple(split))


def check_org_units(lazy: pl.LazyFrame, by: Split) -> None:
    """Refuse a split by org unit of a log without org units."""
    if by == "org_unit" and ORG_UNIT not in lazy.collect_schema():
        raise InputError(
            "this log has no org unit column, so bottlenecks cannot be split by org unit: import "
            "it with --group COLUMN (the assignment group or service area)."
        )


def bottleneck_waits(
    lazy: pl.LazyFrame,
    *,
    level: BottleneckLevel,
    by: Split,
    time: TimeMode,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.LazyFrame:
    """One row per event with a wait: its split column (``month``, ``org_unit``; none for
    ``by="none"``), its key (``source`` and ``target``, or ``activity``, as text) and
    ``wait_s``. The org units must be merged under the 5-person rule already."""
    timed = compute_event_durations(lazy, time=time, calendar=calendar)
    same_case = pl.col(CASE).shift(1) == pl.col(CASE)
    month = local_month(pl.col(TIMESTAMP)).alias("month")
    split = {"none": [], "month": [month], "org_unit": [pl.col(ORG_UNIT)]}[by]
    activity = pl.col(ACTIVITY).cast(pl.String)
    keys = (
        [pl.when(same_case).then(activity.shift(1)).alias("source"), activity.alias("target")]
        if level == "arc"
        else [activity.alias("activity")]
    )
    return timed.select(*split, *keys, "wait_s").filter(pl.col("wait_s").is_not_null())


def _rank(waits: pl.LazyFrame, keys: list[str], split: list[str]) -> pl.LazyFrame:
    return order_bottlenecks(_group(waits, keys, split), keys, split)


def rank_shown_bottlenecks(ranked: pl.DataFrame, *, top: int | None = None) -> pl.DataFrame:
    """``ranked`` (of :func:`find_bottlenecks`, without ``top``) ranked again over the rows left
    after some were withheld (the 5-person rule): ranks without gaps, and each row's share of the
    waiting shown, so a withheld row's waiting shows in no share; then ``top`` per group."""
    keys = ["source", "target"] if "source" in ranked.columns else ["activity"]
    split: list[str] = [c for c in ("month", "org_unit") if c in ranked.columns]
    ordered = order_bottlenecks(ranked.drop("rank", "wait_share").lazy(), keys, split)
    return (ordered if top is None else ordered.filter(pl.col("rank") <= top)).collect()


def _group(waits: pl.LazyFrame, keys: list[str], split: list[str]) -> pl.LazyFrame:
    return waits.group_by(*split, *keys).agg(
        pl.len().cast(pl.Int64).alias("frequency"),
        pl.col("wait_s").mean().alias("mean_wait_s"),
        pl.col("wait_s").median().alias("median_wait_s"),
        pl.col("wait_s").sum().alias("total_wait_s"),
    )


def order_bottlenecks(grouped: pl.LazyFrame, keys: list[str], split: list[str]) -> pl.LazyFrame:
    """Ranked by total waiting within each split group, with each row's share of it."""
    total = pl.col("total_wait_s").sum()
    # A group without any waiting (every wait 0 s) has no shares: null, never 0/0 = NaN.
    whole = total.over(split) if split else total
    share = pl.when(whole > 0).then(pl.col("total_wait_s") / whole)
    descending = [False] * len(split) + [True] + [False] * len(keys)
    ordered = grouped.sort([*split, "total_wait_s", *keys], descending=descending)
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    return ordered.with_columns(
        (rank.over(split) if split else rank).alias("rank"), share.alias("wait_share")
    ).select(*split, *keys, "rank", *_MEASURES)


_MEASURES = ("frequency", "mean_wait_s", "median_wait_s", "total_wait_s", "wait_share")
