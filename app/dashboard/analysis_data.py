"""What the process-analysis page computes from the store: variants, bottlenecks and handovers
between org units of one stored flat log, in a period and for chosen org units.

Everything is computed on the store's scan through the ``mining`` facade and cached per log,
import time and filters, so re-drawing the page (a language switch, a second visitor) does not
scan the log again, and a re-imported log is read afresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import polars as pl

from app.formatting import DISPLAY_ZONE
from mining import (
    compute_case_durations,
    compute_handover_trend,
    compute_handovers,
    compute_handovers_per_case,
    compute_variants,
    filter_org_unit,
    filter_time_window,
    filter_variants,
    find_bottlenecks,
    find_ping_pong,
)
from models.schema import CASE, ORG_UNIT
from models.store import LogStore

TOP_VARIANTS: Final = 10
TOP_BOTTLENECKS: Final = 10
CHARTED_BOTTLENECKS: Final = 3


@dataclass(frozen=True)
class AnalysisFilters:
    """The period (Copenhagen dates, both inclusive; None: open) and the org units (empty: all)."""

    start: dt.date | None = None
    end: dt.date | None = None
    org_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class OtherVariants:
    """The variants beyond the top ones, summed into one row."""

    variants: int
    cases: int
    share: float
    mean_throughput_s: float
    median_throughput_s: float


@dataclass(frozen=True)
class HandoverData:
    """Handovers between org units: the matrix, the ping-pong patterns and the monthly trend."""

    matrix: pl.DataFrame
    ping_pong: pl.DataFrame
    ping_pong_cases: int
    trend: pl.DataFrame


@dataclass(frozen=True)
class AnalysisData:
    """The page's figures for one log and filter; ``handovers`` is None without org units."""

    cases: int
    variant_count: int
    top_variants: pl.DataFrame
    other_variants: OtherVariants | None
    bottlenecks: pl.DataFrame
    bottleneck_trend: pl.DataFrame
    handovers: HandoverData | None


def window_bounds(filters: AnalysisFilters) -> tuple[dt.datetime, dt.datetime] | None:
    """The half-open UTC window [start 00:00, day after end 00:00) in Copenhagen time, or None
    when neither end is set. An open end reaches far into the past or future."""
    if filters.start is None and filters.end is None:
        return None
    first = filters.start or dt.date(1, 1, 2)
    after_last = filters.end + dt.timedelta(days=1) if filters.end else dt.date(9999, 12, 30)
    return _local_midnight(first), _local_midnight(after_last)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), DISPLAY_ZONE).astimezone(dt.UTC)


def filtered_view(events: pl.LazyFrame, filters: AnalysisFilters) -> pl.LazyFrame:
    """Cases active in the period and touching one of the org units (whole cases kept, so the
    variants and waits of a case are never cut in half)."""
    view = events
    bounds = window_bounds(filters)
    if bounds is not None:
        view = filter_time_window(view, start=bounds[0], end=bounds[1], mode="intersecting")
    if filters.org_units:
        view = filter_org_unit(view, filters.org_units, level="case")
    return view


def load_analysis(store: LogStore, name: str, filters: AnalysisFilters) -> AnalysisData:
    """The analysis of stored flat log ``name`` under ``filters`` (cached per import)."""
    return _load_analysis(store, name, store.entry(name).imported_at, filters)


@lru_cache(maxsize=32)
def _load_analysis(
    store: LogStore, name: str, imported_at: dt.datetime, filters: AnalysisFilters
) -> AnalysisData:
    del imported_at  # part of the cache key only
    events = store.scan(name)
    view = filtered_view(events, filters)
    variants = compute_variants(view)
    cases = int(variants["cases"].sum())
    if cases == 0:
        return _nothing(variants)
    bottlenecks = find_bottlenecks(view, level="arc", top=TOP_BOTTLENECKS)
    has_org_unit = ORG_UNIT in events.collect_schema()
    return AnalysisData(
        cases=cases,
        variant_count=variants.height,
        top_variants=variants.head(TOP_VARIANTS),
        other_variants=_other_variants(view, variants),
        bottlenecks=bottlenecks,
        bottleneck_trend=_bottleneck_trend(view, bottlenecks),
        handovers=_handovers(view) if has_org_unit else None,
    )


def _nothing(variants: pl.DataFrame) -> AnalysisData:
    """No case in the view: nothing to rank (the page says so instead)."""
    empty = pl.DataFrame()
    return AnalysisData(0, 0, variants, None, empty, empty, None)


def _other_variants(view: pl.LazyFrame, variants: pl.DataFrame) -> OtherVariants | None:
    """The variants beyond the top ten as one row; their median needs the cases themselves."""
    rest = variants.slice(TOP_VARIANTS)
    if rest.height == 0:
        return None
    top_cases = compute_case_durations(filter_variants(view, top_k=TOP_VARIANTS)).select(CASE)
    durations = compute_case_durations(view).join(top_cases, on=CASE, how="anti")["duration_s"]
    return OtherVariants(
        variants=rest.height,
        cases=int(rest["cases"].sum()),
        share=float(rest["share"].sum()),
        mean_throughput_s=float(durations.mean()),  # type: ignore[arg-type]
        median_throughput_s=float(durations.median()),  # type: ignore[arg-type]
    )


def _bottleneck_trend(view: pl.LazyFrame, bottlenecks: pl.DataFrame) -> pl.DataFrame:
    """``month``, ``source``, ``target``, ``total_wait_s`` of the top arcs, every month of the
    view's waits present for each arc (0 where the arc had no waits that month)."""
    top = bottlenecks.head(CHARTED_BOTTLENECKS).select("source", "target", "rank")
    by_month = find_bottlenecks(view, level="arc", by="month")
    months = by_month.select("month").unique()
    grid = months.join(top, how="cross")
    found = by_month.select("month", "source", "target", "total_wait_s")
    return (
        grid.join(found, on=["month", "source", "target"], how="left")
        .with_columns(pl.col("total_wait_s").fill_null(0.0))
        .sort("rank", "month")
        .select("month", "source", "target", "total_wait_s")
    )


def _handovers(view: pl.LazyFrame) -> HandoverData:
    per_case = compute_handovers_per_case(view, level="org_unit")
    return HandoverData(
        matrix=compute_handovers(view, level="org_unit"),
        ping_pong=find_ping_pong(view, level="org_unit"),
        ping_pong_cases=per_case.filter(pl.col("ping_pongs") > 0).height,
        trend=compute_handover_trend(view, level="org_unit"),
    )


def list_org_units(store: LogStore, name: str) -> tuple[str, ...]:
    """The org units of stored log ``name``, sorted; empty when it has no org unit column."""
    return _list_org_units(store, name, store.entry(name).imported_at)


@lru_cache(maxsize=16)
def _list_org_units(store: LogStore, name: str, imported_at: dt.datetime) -> tuple[str, ...]:
    del imported_at  # part of the cache key only
    events = store.scan(name)
    if ORG_UNIT not in events.collect_schema():
        return ()
    units = events.select(pl.col(ORG_UNIT).cast(pl.String).unique().drop_nulls()).collect()
    return tuple(sorted(units[ORG_UNIT].to_list()))


def log_period(store: LogStore, name: str) -> tuple[dt.date | None, dt.date | None]:
    """The Copenhagen dates of the log's first and last events (from the catalog, no scan)."""
    entry = store.entry(name)
    first, last = entry.first_event, entry.last_event
    return (
        first.astimezone(DISPLAY_ZONE).date() if first else None,
        last.astimezone(DISPLAY_ZONE).date() if last else None,
    )
