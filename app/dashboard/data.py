"""What the dashboard reads from the store: the one place pages touch it.

The store an app serves is kept in its Flask config by :func:`app.dashboard.create_app`, so that
page layouts (which Dash Pages keeps in a process-wide registry) find the store of the app that
serves the request, and two apps in one process (as in tests) never share one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import flask
import polars as pl

from mining import (
    WITHHELD_GROUP,
    MergedGroups,
    PartitionedLog,
    check_partitioned_view_size,
    discover_dfg,
    discover_partitioned_dfg,
    drop_withheld,
    merge_partitioned_small_activities,
    read_partitioned_log,
)
from models.datafolder import DataFolder
from models.errors import KitflowError
from models.schema import ACTIVITY, CASE
from models.store import LogStore
from services import (
    CaseOverview,
    SourceCoverage,
    build_overviews,
    find_business_cases,
    find_source_coverage,
    followup_input_files,
)
from services.ingestion import INCIDENTS_LOG, ORDERS_LOG

STORE_CONFIG_KEY: Final = "KITFLOW_LOG_STORE"


def current_store() -> LogStore:
    """The store of the app serving the current request."""
    store = flask.current_app.config.get(STORE_CONFIG_KEY)
    if not isinstance(store, LogStore):
        raise RuntimeError("this Flask app has no KIT Flow store: build it with create_app()")
    return store


@dataclass(frozen=True)
class ProcessMapData:
    """What the process map of one log needs: its DFG and its events per activity."""

    dfg: pl.DataFrame
    activity_counts: dict[str, int]


def load_process_map(store: LogStore, name: str) -> ProcessMapData:
    """The DFG and activity counts of stored flat log ``name``.

    Cached per log and import time: moving the arcs slider re-filters a ready DFG instead of
    scanning the log again, and a re-imported log (new ``imported_at``) is read afresh.
    """
    entry = store.entry(name)
    return _load_process_map(store, name, entry.imported_at)


@lru_cache(maxsize=16)
def _load_process_map(store: LogStore, name: str, imported_at: dt.datetime) -> ProcessMapData:
    whole = find_partitioned_log(store, name)
    if whole is not None:  # one partition at a time, never the whole log in memory
        return ProcessMapData(discover_partitioned_dfg(whole), count_partitioned_activities(whole))
    events = store.scan(name)
    return ProcessMapData(discover_dfg(events), count_activities(events))


# -- logs stored in partitions ------------------------------------------------------------------


def find_partitioned_log(store: LogStore, name: str) -> PartitionedLog | None:
    """Stored flat log ``name`` read one partition at a time (``mining.partitioned``) when it
    is stored in partitions; None for a log in one file and an object-centric log.

    The process pages compute such a log's whole-log figures partition by partition and merge
    them, so the server holds a partition, not the log; filtered views would need the whole
    log in memory and are left to ``kitflow ... --since/--org-unit`` or ``--engine spark``."""
    if store.entry(name).kind != "flat":
        return None
    paths = store.partition_paths(name)
    return None if paths is None else read_partitioned_log(paths)


def is_partitioned(store: LogStore, name: str | None) -> bool:
    """Whether stored log ``name`` is a flat log stored in partitions (False for no log, or
    one that cannot be read: the page reports that elsewhere)."""
    if not name:
        return False
    try:
        return find_partitioned_log(store, name) is not None
    except KitflowError:
        return False


def count_partitioned_activities(log: PartitionedLog) -> dict[str, int]:
    """:func:`count_activities` of a log stored in partitions: the partitions' counts added."""
    counts: dict[str, int] = {}
    for lazy in log.partitions():
        for activity, n in count_activities(lazy).items():
            counts[activity] = counts.get(activity, 0) + n
    return counts


def count_partitioned_cases(log: PartitionedLog) -> int:
    """The cases of a log stored in partitions (a case lies in one partition: counts add)."""
    return sum(
        int(lazy.select(pl.col(CASE).n_unique()).collect().item()) for lazy in log.partitions()
    )


@dataclass(frozen=True)
class ProjectedLog(PartitionedLog):
    """A log stored in partitions projected on the activities ``kept`` (the activity slider:
    A→X→B becomes A→B when X is left out, as ``mining.filter_activities`` projects one file).
    The 5-person rule's relabelling applies to the kept events (its merged activities are
    among them: they are decided over this projection)."""

    kept: tuple[str, ...] = ()

    def scan(self, index: int) -> pl.LazyFrame:
        name = pl.col(ACTIVITY).cast(pl.String)
        shown = [*self.kept, self.label] if self.relabelled else list(self.kept)
        return super().scan(index).filter(name.is_in(shown))


@dataclass(frozen=True)
class PartitionedMap:
    """The whole-log map of a log stored in partitions, as the one-file page shows it
    unfiltered: ``data`` with the activities of fewer than 5 people merged (``merged``), the
    withheld node and its arcs left out; its cases; whether it shows 5 people or more (or names
    none: when not, nothing else is computed); its activities before the merge."""

    data: ProcessMapData
    merged: MergedGroups | None
    cases: int
    enough: bool
    activities: int


def load_partitioned_map(
    store: LogStore, name: str, kept: tuple[str, ...] | None = None
) -> PartitionedMap:
    """:class:`PartitionedMap` of stored log ``name`` (stored in partitions), projected on the
    activities ``kept`` (None: all), cached per log, import time and projection."""
    return _load_partitioned_map(store, name, store.entry(name).imported_at, kept)


@lru_cache(maxsize=8)
def _load_partitioned_map(
    store: LogStore, name: str, imported_at: dt.datetime, kept: tuple[str, ...] | None
) -> PartitionedMap:
    del imported_at  # part of the cache key only
    found = find_partitioned_log(store, name)
    if found is None:
        raise KitflowError(f"the log {name!r} is not stored in partitions")
    whole = load_process_map(store, name)
    log = found if kept is None else ProjectedLog(found.paths, kept=tuple(sorted(kept)))
    if not check_partitioned_view_size(log).enough:
        return PartitionedMap(ProcessMapData(pl.DataFrame(), {}), None, 0, False, 0)
    merged_log, merged = merge_partitioned_small_activities(log)
    data = whole
    if kept is not None and not merged.merged:
        data = ProcessMapData(discover_partitioned_dfg(log), count_partitioned_activities(log))
    if merged.merged:
        dfg = drop_withheld(discover_partitioned_dfg(merged_log), ("source", "target"))
        counts = count_partitioned_activities(merged_log)
        counts.pop(WITHHELD_GROUP, None)
        data = ProcessMapData(dfg, counts)
    cases = count_partitioned_cases(log)
    return PartitionedMap(data, merged, cases, True, len(whole.activity_counts))


def count_activities(events: pl.LazyFrame) -> dict[str, int]:
    """Events per activity of a canonical log.

    A one-line scan; it belongs in ``mining`` once a second caller needs it.
    """
    counts = events.group_by(ACTIVITY).agg(pl.len().alias("events")).collect()
    return {
        str(activity): int(n)
        for activity, n in counts.select(pl.col(ACTIVITY).cast(pl.String), "events").iter_rows()
    }


# -- the directors' pages -----------------------------------------------------------------------

FileVersion = tuple[str, int, int]
"""A file's name, size and modification time in nanoseconds; (name, -1, -1) when missing."""


@dataclass(frozen=True)
class Cockpit:
    """Every case as of one date, and where the data stand."""

    overviews: tuple[CaseOverview, ...]
    as_of: dt.date
    coverage: tuple[SourceCoverage, ...]


def load_cockpit(data: DataFolder, as_of: dt.date | None = None) -> Cockpit:
    """Every case's overview as of ``as_of``: by default the last day the data reach (not
    today: the data end before it, and a date past them would read as missed targets).

    Cached per as-of date and version of every file the overviews read: a rewritten table
    measures again. A folder's own modification time would not do: it changes only when a
    name in it does.
    """
    version = read_file_versions(cockpit_input_files(data))
    coverage = _load_coverage(data, version)
    chosen = as_of or data_end(coverage) or dt.date.today()
    return Cockpit(_load_overviews(data, chosen, version), chosen, coverage)


def data_end(coverage: Iterable[SourceCoverage]) -> dt.date | None:
    """The last day any source has data for, as the services cut data at a date: by the UTC
    day of each timestamp (a Copenhagen day would lie after the data for an event after
    23:00 UTC, and the overview would warn of an as-of date past the data)."""
    days = [c.last.astimezone(dt.UTC).date() for c in coverage if c.last is not None]
    return max(days) if days else None


def cockpit_input_files(data: DataFolder) -> tuple[Path, ...]:
    """Every file the overviews and the data's reach are read from: each file of the cases'
    folder (cases, bindings, actual costs) and every file measuring and following up each case
    reads (the staged source tables, robot runs, hours, order links)."""
    folder = data.business_cases()
    own = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    measured = {p for case in find_business_cases(data) for p in followup_input_files(data, case)}
    # Without staged ServiceNow tables the data's reach is read from these stored logs.
    logs = {data.log_table(name) for name in (INCIDENTS_LOG, ORDERS_LOG)}
    return (*own, *sorted((measured | logs) - set(own)))


@lru_cache(maxsize=4)
def _load_coverage(
    data: DataFolder, version: tuple[FileVersion, ...]
) -> tuple[SourceCoverage, ...]:
    del version  # part of the cache key only
    return tuple(find_source_coverage(data))


@lru_cache(maxsize=8)
def _load_overviews(
    data: DataFolder, as_of: dt.date, version: tuple[FileVersion, ...]
) -> tuple[CaseOverview, ...]:
    del version  # part of the cache key only
    return build_overviews(data, as_of=as_of)


def clear_cockpit_cache() -> None:
    """Forget every loaded overview and data reach (to measure a first request)."""
    _load_overviews.cache_clear()
    _load_coverage.cache_clear()


def read_file_versions(paths: Iterable[Path]) -> tuple[FileVersion, ...]:
    """The version of each file: a rewrite changes its size or its modification time."""
    return tuple(_file_version(path) for path in paths)


def _file_version(path: Path) -> FileVersion:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), -1, -1)
    return (str(path), stat.st_size, stat.st_mtime_ns)
