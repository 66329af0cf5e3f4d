"""Ressourcestyring: the load per service area and month of one stored log (orders or
incidents), the handovers between the areas, who waits on whom, the registered hours per
activity (time registration), and a forecast of next quarter's arrivals per area.

Every figure follows the 5-person rule (:mod:`mining.privacy`, :mod:`mining.resources`). The
log's last month is left out when it is partial (its last event falls before the month's last
day), so a half month never reads as a drop in load. Results are cached per log, import time
and catalogue item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

from mining import (
    AreaHours,
    AreaLoad,
    LoadForecast,
    PartitionedLog,
    compute_area_hours,
    compute_area_load,
    compute_handover_trend,
    compute_partitioned_area_load,
    compute_partitioned_handover_trend,
    drop_small_months,
    find_partitioned_small_months,
    find_small_months,
    forecast_load,
)
from models.errors import InputError
from models.schema import ORG_UNIT, TIMESTAMP
from models.store import LogStore

ITEM_COLUMN: Final = "case:cat_item"
"""The case attribute the view can be narrowed by (ServiceNow's catalogue item of an order)."""
PREFERRED_LOGS: Final = ("servicenow-orders", "servicenow-incidents")
_ZONE: Final = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class ResourceView:
    """The page's figures for one log (and catalogue item): ``load`` (per area and month),
    ``forecast`` (next quarter's arrivals per area), ``hours`` (None without a time
    registration), ``handover_trend`` (one row per month a case started: ``month``, ``cases``,
    ``handovers``, ``mean_handovers_per_case``, ``ping_pongs``; months of fewer than 5 people
    left out, ``trend_months_withheld`` of them), ``partial_month`` (the last month, left out,
    or None) and ``items`` (the log's catalogue items, empty when it has none)."""

    log: str
    item: str | None
    load: AreaLoad
    forecast: LoadForecast
    hours: AreaHours | None
    handover_trend: pl.DataFrame
    trend_months_withheld: int
    partial_month: dt.date | None
    items: tuple[str, ...]


def list_resource_logs(store: LogStore) -> list[str]:
    """The stored flat logs whose events name an org unit, the ServiceNow ones first."""
    names = [
        entry.name
        for entry in store.list()
        if entry.kind == "flat" and ORG_UNIT in store.scan(entry.name).collect_schema()
    ]
    first = [name for name in PREFERRED_LOGS if name in names]
    return first + sorted(name for name in names if name not in first)


def build_resource_view(store: LogStore, log: str, *, item: str | None = None) -> ResourceView:
    """The figures of stored flat log ``log`` (narrowed to catalogue ``item`` when given)."""
    entry = store.entry(log)
    if entry.kind != "flat" or ORG_UNIT not in store.scan(log).collect_schema():
        raise InputError(f"log {log!r} names no org unit, so it has no load per service area.")
    hours_path = store.data.hours()
    stamp = hours_path.stat().st_mtime_ns if hours_path.exists() else 0
    return _build(store, log, entry.imported_at, item or None, stamp)


@lru_cache(maxsize=16)
def _build(
    store: LogStore, log: str, imported_at: dt.datetime, item: str | None, hours_stamp: int
) -> ResourceView:
    del imported_at, hours_stamp  # part of the cache key only
    events = store.scan(log)
    items = _items(events)
    if item is not None and item not in items:
        raise InputError(f"log {log!r} has no catalogue item {item!r}.")
    scope = _Scope(item, None)
    partial = _partial_month(scope.apply(events))
    if partial is not None:
        scope = _Scope(item, _local_midnight(partial))
    paths = store.partition_paths(log)
    if paths is None:
        load, trend, small = _figures(scope.apply(events))
    else:
        load, trend, small = _partitioned_figures(_ScopedLog(tuple(paths), scope=scope))
    return ResourceView(
        log=log,
        item=item,
        load=load,
        forecast=forecast_load(load.monthly),
        hours=_hours(store, partial),
        handover_trend=drop_small_months(trend, small),
        trend_months_withheld=len(set(small) & set(trend["month"].to_list())),
        partial_month=partial,
        items=items,
    )


@dataclass(frozen=True)
class _Scope:
    """The events the view counts: of catalogue ``item`` (all when None) and before
    ``before`` (the partial last month left out; all when None)."""

    item: str | None
    before: dt.datetime | None

    def apply(self, events: pl.LazyFrame) -> pl.LazyFrame:
        if self.item is not None:
            events = events.filter(pl.col(ITEM_COLUMN).cast(pl.String) == self.item)
        if self.before is not None:
            events = events.filter(pl.col(TIMESTAMP) < self.before)
        return events


@dataclass(frozen=True)
class _ScopedLog(PartitionedLog):
    """A log stored in partitions, each partition narrowed to ``scope`` (the filters keep
    events by their own values, so filtering each partition is filtering the log). Only
    :meth:`scan` applies the scope: the mining functions read a partition's events through it
    (``log.paths`` only for the schema)."""

    scope: _Scope = _Scope(None, None)

    def scan(self, index: int) -> pl.LazyFrame:
        return self.scope.apply(super().scan(index))


Figures = tuple[AreaLoad, pl.DataFrame, list[dt.date]]


def _figures(events: pl.LazyFrame) -> Figures:
    """The load, the handover trend and the small months of a log in one file."""
    load = compute_area_load(events)
    return load, compute_handover_trend(events), find_small_months(events, of="case")


def _partitioned_figures(log: PartitionedLog) -> Figures:
    """:func:`_figures` of a log stored in partitions, one partition at a time (the same
    figures: ``mining.partitioned_resources``)."""
    load = compute_partitioned_area_load(log)
    trend = compute_partitioned_handover_trend(log)
    return load, trend, find_partitioned_small_months(log, of="case")


def _items(events: pl.LazyFrame) -> tuple[str, ...]:
    if ITEM_COLUMN not in events.collect_schema():
        return ()
    values = events.select(pl.col(ITEM_COLUMN).cast(pl.String).drop_nulls().unique().sort())
    return tuple(values.collect()[ITEM_COLUMN].to_list())


def _partial_month(events: pl.LazyFrame) -> dt.date | None:
    """The first day of the log's last (Copenhagen) month when its last event falls before the
    month's last day; None when the month is complete or the log is empty."""
    last = events.select(pl.col(TIMESTAMP).max()).collect().item()
    if not isinstance(last, dt.datetime):
        return None
    local = last.astimezone(_ZONE).date()
    if (local + dt.timedelta(days=1)).month != local.month:
        return None
    return local.replace(day=1)


def _hours(store: LogStore, partial: dt.date | None) -> AreaHours | None:
    path = store.data.hours()
    if not path.exists():
        return None
    hours = pl.read_parquet(path)
    if partial is not None:
        hours = hours.filter(pl.col("date") < partial)
    return compute_area_hours(hours)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), _ZONE).astimezone(dt.UTC)
