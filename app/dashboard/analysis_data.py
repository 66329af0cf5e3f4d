"""What the process-analysis page computes from the store: variants, bottlenecks and handovers
between org units of one stored flat log, in a period and for chosen org units.

Everything is computed on the store's scan through the ``mining`` facade and cached per log,
import time and filters, so re-drawing the page (a language switch, a second visitor) does not
scan the log again, and a re-imported log is read afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

import polars as pl

from app.dashboard.data import find_partitioned_log
from app.formatting import DISPLAY_ZONE
from mining import (
    MIN_PEOPLE,
    PartitionedLog,
    check_partitioned_view_size,
    check_view_size,
    compute_case_durations,
    compute_handovers,
    compute_handovers_per_case,
    compute_partitioned_handovers,
    compute_partitioned_variants,
    compute_variants,
    count_people_per_group,
    drop_small_months,
    drop_withheld,
    filter_variants,
    filter_view,
    find_bottlenecks,
    find_partitioned_bottlenecks,
    find_partitioned_small_months,
    find_ping_pong,
    find_small_months,
    handover_trend_of,
    merge_handover_trends,
    merge_partitioned_small_activities,
    merge_partitioned_small_groups,
    merge_small_activities,
    merge_small_groups,
    rank_shown_bottlenecks,
)
from models.schema import ACTIVITY, CASE, ORG_UNIT, RESOURCE, TIMESTAMP
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
    """Handovers between org units: the matrix, the ping-pong patterns and the monthly trend.

    Org units with fewer than 5 people are merged into ``OTHER_GROUP`` (``merged`` of them);
    when they hold fewer than 5 people together, their rows are left out (``withheld``). The
    trend leaves out the months whose started cases show fewer than 5 people
    (``months_withheld`` of them)."""

    matrix: pl.DataFrame
    ping_pong: pl.DataFrame
    ping_pong_cases: int
    trend: pl.DataFrame
    merged: int = 0
    withheld: bool = False
    months_withheld: int = 0


@dataclass(frozen=True)
class AnalysisData:
    """The page's figures for one log and filter; ``handovers`` is None without org units.

    ``withheld``: the view shows fewer than 5 people, so nothing else is filled in (the 5-person
    rule); ``people_known`` is False when the log names no people (nothing can be counted).
    ``bottleneck_months_withheld``: the months left out of the bottleneck trend, as their
    events show fewer than 5 people. ``months``: see the field."""

    cases: int
    variant_count: int
    top_variants: pl.DataFrame
    other_variants: OtherVariants | None
    bottlenecks: pl.DataFrame
    bottleneck_trend: pl.DataFrame
    handovers: HandoverData | None
    withheld: bool = False
    people_known: bool = True
    bottleneck_months_withheld: int = 0
    months: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    """Per Copenhagen month of the view's events: ``month`` (its first day), ``cases`` (with
    an event in it) and ``partial`` (the data, cut by the chosen period, covers it only in
    part: the first or last month)."""
    span: tuple[dt.date, dt.date] | None = None
    """The Copenhagen dates the figures cover (``data_span``)."""
    partitioned: bool = False
    """The log is stored in partitions: the figures are the whole log's (the filters left
    out), computed one partition at a time."""


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
    start, end = window_bounds(filters) or (None, None)
    return filter_view(events, start=start, end=end, org_units=filters.org_units)


def load_analysis(store: LogStore, name: str, filters: AnalysisFilters) -> AnalysisData:
    """The analysis of stored flat log ``name`` under ``filters`` (cached per import); a log
    stored in partitions is analysed one partition at a time (:func:`analyse_partitioned`)."""
    if find_partitioned_log(store, name) is not None:
        return _load_partitioned_analysis(store, name, store.entry(name).imported_at, filters)
    return _load_analysis(store, name, store.entry(name).imported_at, filters)


@lru_cache(maxsize=16)
def _load_partitioned_analysis(
    store: LogStore, name: str, imported_at: dt.datetime, filters: AnalysisFilters
) -> AnalysisData:
    del imported_at  # part of the cache key only
    log = find_partitioned_log(store, name)
    assert log is not None  # checked by the caller
    start, end = window_bounds(filters) or (None, None)
    view = replace(log, start=start, end=end, org_units=filters.org_units)
    entry = store.entry(name)
    return analyse_partitioned(view, data_span(entry.first_event, entry.last_event, filters))


def analyse_partitioned(log: PartitionedLog, span: tuple[dt.date, dt.date] | None) -> AnalysisData:
    """The analysis of a log stored in partitions (in its view: the period and org units of
    ``log``), one partition at a time (``mining.partitioned``; the view keeps whole cases, and
    a case lies in one partition): its variants (the top ones and the rest as one row) and its
    bottlenecks with their monthly trend and the handovers between org units, equal to the
    one-file log's; withheld alike under the 5-person rule."""
    size = check_partitioned_view_size(log)
    if not size.enough:
        return _withheld()
    variants = compute_partitioned_variants(log)
    cases = int(variants["cases"].sum())
    if cases == 0:
        return _nothing(variants)
    merged_log, _ = merge_partitioned_small_activities(log)
    found = find_partitioned_bottlenecks(merged_log, level="arc")
    shown = rank_shown_bottlenecks(drop_withheld(found, ("source", "target")), top=TOP_BOTTLENECKS)
    small_months = find_partitioned_small_months(log)
    by_month = (
        pl.concat(
            find_bottlenecks(lazy, level="arc", by="month").select(
                "month", pl.col("source", "target").cast(pl.String), "total_wait_s"
            )
            for lazy in merged_log.partitions()
        )
        .group_by("month", "source", "target")
        .agg(pl.col("total_wait_s").sum())
    )
    months = pl.concat(_cases_per_month(lazy).collect() for lazy in log.partitions())
    per_month = months.group_by("month").agg(pl.col("cases").sum()).sort("month")
    return AnalysisData(
        cases=cases,
        variant_count=variants.height,
        top_variants=variants.head(TOP_VARIANTS),
        other_variants=_partitioned_other_variants(log, variants),
        bottlenecks=shown,
        bottleneck_trend=_chart_top_arcs(by_month, shown, small_months),
        handovers=_partitioned_handovers(log) if ORG_UNIT in _schema(log) else None,
        people_known=size.people_known,
        bottleneck_months_withheld=len(small_months),
        months=_mark_partial(per_month, span),
        span=span,
        partitioned=True,
    )


def _schema(log: PartitionedLog) -> pl.Schema:
    return _schema_scan(log).collect_schema()


def _partitioned_handovers(log: PartitionedLog) -> HandoverData:
    """:func:`_handovers` of a log stored in partitions: the org units of fewer than 5 people
    decided over all partitions, then each partition's handovers and cases added."""
    groups, merged = merge_partitioned_small_groups(log, by=ORG_UNIT)
    found = compute_partitioned_handovers(log, level="org_unit", groups=groups)
    per_case = [
        compute_handovers_per_case(groups.apply(lazy), level="org_unit")
        for lazy in log.partitions()
    ]
    trend = merge_handover_trends([handover_trend_of(frame) for frame in per_case])
    small_months = find_partitioned_small_months(log, of="case")
    pairs = ("source", "target")
    return HandoverData(
        matrix=drop_withheld(found.matrix, pairs),
        ping_pong=drop_withheld(found.ping_pong, pairs),
        ping_pong_cases=sum(frame.filter(pl.col("ping_pongs") > 0).height for frame in per_case),
        trend=drop_small_months(trend, small_months),
        merged=merged.merged,
        withheld=merged.withheld,
        months_withheld=len(small_months),
    )


def _partitioned_other_variants(
    log: PartitionedLog, variants: pl.DataFrame
) -> OtherVariants | None:
    """:func:`_other_variants` of a log stored in partitions: the throughputs of the cases
    beyond the top variants, gathered one partition at a time (one number per case)."""
    rest = variants.slice(TOP_VARIANTS)
    if rest.height == 0:
        return None
    top = [_SEPARATOR.join(v) for v in variants.head(TOP_VARIANTS)["variant"].to_list()]
    parts = []
    for lazy in log.partitions():
        sequences = lazy.group_by(CASE, maintain_order=True).agg(
            pl.col(ACTIVITY).cast(pl.String).str.join(_SEPARATOR).alias("_variant")
        )
        durations = compute_case_durations(lazy).join(sequences.collect(), on=CASE)
        parts.append(durations.filter(~pl.col("_variant").is_in(top))["duration_s"])
    return _rest_row(rest, pl.concat(parts))


_SEPARATOR: Final = "\x1f"
"""Joins a case's activities into one text to tell its variant (a character no name holds)."""


@lru_cache(maxsize=32)
def _load_analysis(
    store: LogStore, name: str, imported_at: dt.datetime, filters: AnalysisFilters
) -> AnalysisData:
    del imported_at  # part of the cache key only
    events = store.scan(name)
    entry = store.entry(name)
    view = filtered_view(events, filters)
    size = check_view_size(view, org_units=filters.org_units)
    if not size.enough:
        return _withheld()
    variants = compute_variants(view)
    cases = int(variants["cases"].sum())
    if cases == 0:
        return _nothing(variants)
    bottlenecks = _shown_bottlenecks(view)
    has_org_unit = ORG_UNIT in events.collect_schema()
    span = data_span(entry.first_event, entry.last_event, filters)
    small_months = find_small_months(view, of="event")
    return AnalysisData(
        cases=cases,
        variant_count=variants.height,
        top_variants=variants.head(TOP_VARIANTS),
        other_variants=_other_variants(view, variants),
        bottlenecks=bottlenecks,
        bottleneck_trend=_bottleneck_trend(view, bottlenecks, small_months),
        handovers=_handovers(view) if has_org_unit else None,
        people_known=size.people_known,
        bottleneck_months_withheld=len(small_months),
        months=_months(view, span),
        span=span,
    )


def data_span(
    first: dt.datetime | None, last: dt.datetime | None, filters: AnalysisFilters
) -> tuple[dt.date, dt.date] | None:
    """The Copenhagen dates the figures cover: the log's first to last event, cut by the
    chosen period; None when the log has no events."""
    if first is None or last is None:
        return None
    begin, end = first.astimezone(DISPLAY_ZONE).date(), last.astimezone(DISPLAY_ZONE).date()
    if filters.start is not None:
        begin = max(begin, filters.start)
    if filters.end is not None:
        end = min(end, filters.end)
    return begin, end


def _months(view: pl.LazyFrame, span: tuple[dt.date, dt.date] | None) -> pl.DataFrame:
    """``month``, ``cases`` (with an event in the Copenhagen month) and ``partial``."""
    return _mark_partial(_cases_per_month(view).collect(), span)


def _cases_per_month(view: pl.LazyFrame) -> pl.LazyFrame:
    """``month`` (the first day of a Copenhagen month) and ``cases`` with an event in it."""
    return (
        view.group_by(_local_month().alias("month"))
        .agg(pl.col(CASE).n_unique().cast(pl.Int64).alias("cases"))
        .sort("month")
    )


def _local_month() -> pl.Expr:
    return pl.col(TIMESTAMP).dt.convert_time_zone(str(DISPLAY_ZONE)).dt.truncate("1mo").dt.date()


def _mark_partial(per_month: pl.DataFrame, span: tuple[dt.date, dt.date] | None) -> pl.DataFrame:
    return per_month.with_columns(
        pl.Series("partial", [is_partial_month(m, span) for m in per_month["month"]])
    )


def is_partial_month(month: dt.date, span: tuple[dt.date, dt.date] | None) -> bool:
    """Whether the dates ``span`` (first and last day of the data, cut by the chosen period)
    leave out part of ``month``: it starts after the month's first day or ends before its last
    (a month outside the span altogether, too)."""
    if span is None:
        return False
    last_day = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
    begin, end = span
    # A month outside the span (events of cases reaching past the chosen period) is partial too.
    return begin > month or end < last_day


def _withheld() -> AnalysisData:
    """The view shows fewer than 5 people: no figure at all, not even its case count."""
    empty = pl.DataFrame()
    return AnalysisData(0, 0, empty, None, empty, empty, None, withheld=True)


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
    return _rest_row(rest, durations)


def _rest_row(rest: pl.DataFrame, durations: pl.Series) -> OtherVariants:
    """The variants ``rest`` as one row, the throughputs of their cases ``durations``."""
    return OtherVariants(
        variants=rest.height,
        cases=int(rest["cases"].sum()),
        share=float(rest["share"].sum()),
        mean_throughput_s=float(durations.mean()),  # type: ignore[arg-type]
        median_throughput_s=float(durations.median()),  # type: ignore[arg-type]
    )


def _shown_bottlenecks(view: pl.LazyFrame) -> pl.DataFrame:
    """The top arcs by waiting, arcs into or out of an activity of fewer than 5 people left
    out and the rest ranked again (mining.rank_shown_bottlenecks): the 5-person rule."""
    merged = merge_small_activities(view).frame
    ranked = drop_withheld(find_bottlenecks(merged, level="arc"), ("source", "target"))
    return rank_shown_bottlenecks(ranked, top=TOP_BOTTLENECKS)


def _bottleneck_trend(
    view: pl.LazyFrame, bottlenecks: pl.DataFrame, small_months: list[dt.date]
) -> pl.DataFrame:
    """``month``, ``source``, ``target``, ``total_wait_s`` of the top arcs, every month of the
    view's waits present for each arc (0 where the arc had no waits that month), but for the
    ``small_months`` (fewer than 5 people, left out)."""
    merged = merge_small_activities(view).frame
    by_month = find_bottlenecks(merged, level="arc", by="month")
    return _chart_top_arcs(by_month, bottlenecks, small_months)


def _chart_top_arcs(
    by_month: pl.DataFrame, bottlenecks: pl.DataFrame, small_months: list[dt.date]
) -> pl.DataFrame:
    """:func:`_bottleneck_trend` of the waits per ``month``, ``source`` and ``target``."""
    top = bottlenecks.head(CHARTED_BOTTLENECKS).select("source", "target", "rank")
    by_month = drop_small_months(by_month, small_months)
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
    """Handovers between the view's org units, the small ones merged (the 5-person rule)."""
    merged = merge_small_groups(view, by=ORG_UNIT)
    units = merged.frame
    per_case = compute_handovers_per_case(units, level="org_unit")
    pairs = ("source", "target")
    small_months = find_small_months(view, of="case")
    return HandoverData(
        matrix=drop_withheld(compute_handovers(units, level="org_unit"), pairs),
        ping_pong=drop_withheld(find_ping_pong(units, level="org_unit"), pairs),
        ping_pong_cases=per_case.filter(pl.col("ping_pongs") > 0).height,
        trend=drop_small_months(handover_trend_of(per_case), small_months),
        merged=merged.merged,
        withheld=merged.withheld,
        months_withheld=len(small_months),
    )


def list_org_units(store: LogStore, name: str) -> tuple[str, ...]:
    """The org units of stored log ``name``, sorted; empty when it has no org unit column."""
    return _list_org_units(store, name, store.entry(name).imported_at)


@lru_cache(maxsize=16)
def _list_org_units(store: LogStore, name: str, imported_at: dt.datetime) -> tuple[str, ...]:
    del imported_at  # part of the cache key only
    log = find_partitioned_log(store, name)
    events: pl.LazyFrame | pl.DataFrame = store.scan(name) if log is None else _schema_scan(log)
    if ORG_UNIT not in events.lazy().collect_schema():
        return ()
    if log is not None:  # each partition's distinct (unit, person) pairs, united
        events = _unit_people(log)
    per_unit = count_people_per_group(events, by=ORG_UNIT)
    if per_unit["people"].sum() > 0:  # only units of 5 people or more (the 5-person rule)
        per_unit = per_unit.filter(pl.col("people") >= MIN_PEOPLE)
    return tuple(per_unit[ORG_UNIT].to_list())


def _schema_scan(log: PartitionedLog) -> pl.LazyFrame:
    """A scan of the first partition, for its schema (every partition's)."""
    return pl.scan_parquet(log.paths[0])


def _unit_people(log: PartitionedLog) -> pl.DataFrame:
    """The distinct (org unit, person) pairs of all partitions of ``log``."""
    has_people = RESOURCE in _schema(log)
    person = pl.col(RESOURCE).cast(pl.String) if has_people else pl.lit(None, pl.String)
    pairs = (
        lazy.select(pl.col(ORG_UNIT).cast(pl.String), person.alias(RESOURCE)).unique().collect()
        for lazy in log.partitions()
    )
    return pl.concat(pairs).unique()


def log_period(store: LogStore, name: str) -> tuple[dt.date | None, dt.date | None]:
    """The Copenhagen dates of the log's first and last events (from the catalog, no scan)."""
    entry = store.entry(name)
    first, last = entry.first_event, entry.last_event
    return (
        first.astimezone(DISPLAY_ZONE).date() if first else None,
        last.astimezone(DISPLAY_ZONE).date() if last else None,
    )
