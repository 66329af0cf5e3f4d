"""The last steps every import shares: build the canonical log, measure it, store it, report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from mining import LogStats, compute_log_stats, store_log_aggregates
from models.catalog import LogEntry
from models.eventlog import CanonicalLog, build_canonical_log, start_after_end
from models.partitions import Partitions, choose_partitions
from models.schema import SCHEMA_VERSION
from models.store import EVENTS_TABLE, LogStore

ExportFormat = Literal["xes", "csv", "parquet", "ocel"]
Step = Callable[[str], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import stored and what it set aside."""

    entry: LogEntry
    quarantined: int
    quarantine_path: Path | None
    notes: tuple[str, ...]


def no_step(_: str) -> None:
    """A progress callback that shows nothing."""
    return None


@dataclass(frozen=True)
class FlatSource:
    """Where a staged flat frame came from, for its catalog entry."""

    path: Path
    source_format: str


def store_flat_log(
    store: LogStore,
    staged: pl.DataFrame,
    *,
    name: str,
    source: FlatSource,
    quarantine: pl.DataFrame,
    notes: tuple[str, ...],
    keep_numeric_activities: bool,
    replace: bool,
    step: Step,
    partitions: Partitions = None,
) -> ImportReport:
    """Build, measure and store a staged flat frame as log ``name`` (in ``partitions``
    partitions when given, see ``store_canonical_log``); report what happened."""
    step("validating")
    log = build_canonical_log(
        staged, keep_numeric_activities=keep_numeric_activities, quarantine=quarantine
    )
    step("storing")
    entry = store_canonical_log(
        store,
        log,
        name=name,
        source_path=str(source.path.resolve()),
        source_format=source.source_format,
        replace=replace,
        partitions=partitions,
    )
    late = start_after_end(log.events)
    if late:
        notes = (*notes, f"{late:,} event(s) start after they end; they are kept as they are.")
    return report_import(store, entry, log.quarantine, notes)


def store_canonical_log(
    store: LogStore,
    log: CanonicalLog,
    *,
    name: str,
    source_path: str,
    source_format: str,
    replace: bool,
    partitions: Partitions = None,
) -> LogEntry:
    """Measure a canonical log and store it with its catalog entry (the one place entries of
    flat logs are made), as the one writer of ``name``: a second writer of the same name waits,
    then finds it stored (or replaces it after this one, with ``replace``).

    ``partitions`` splits the events into that many partitions by a stable hash of the case id
    (``models.partitions``); ``"auto"`` does so from ``PARTITION_MIN_EVENTS`` events on (what
    ``kitflow import`` asks for); None (the default) stores one file. A partitioned log stores
    no aggregates beside it: its map and variants are computed per request."""
    count = choose_partitions(partitions, log.events.height)
    entry = flat_log_entry(
        name,
        compute_log_stats(log.events),
        source=(source_path, source_format),
        quarantined=log.quarantine.height,
    )
    return save_flat_log(
        store, entry, log.events, log.quarantine, replace=replace, partitions=count
    )


def flat_log_entry(
    name: str, stats: LogStats, *, source: tuple[str, str], quarantined: int
) -> LogEntry:
    """The catalog entry of flat log ``name`` of ``stats``, from (source path, format)."""
    source_path, source_format = source
    return LogEntry(
        name=name,
        kind="flat",
        source_path=source_path,
        source_format=source_format,
        cases=stats.cases,
        events=stats.events,
        activities=stats.activities,
        variants=stats.variants,
        quarantined=quarantined,
        first_event=stats.start,
        last_event=stats.end,
        schema_version=SCHEMA_VERSION,
        imported_at=dt.datetime.now(dt.UTC),
    )


def save_flat_log(
    store: LogStore,
    entry: LogEntry,
    events: pl.DataFrame | Path,
    quarantine: pl.DataFrame,
    *,
    replace: bool,
    partitions: int | None,
) -> LogEntry:
    """Store a flat log's events (a frame, or a file or partition folder written already in
    the data folder) under ``entry``, and its aggregates beside a single file."""
    with store.writing(entry.name):
        saved = store.save(
            entry, {EVENTS_TABLE: events}, quarantine, replace=replace, partitions=partitions
        )
        # The map and the variant table of the whole log, stored beside it once: no later
        # request (a fresh CLI process, a notebook, the dashboard) scans the events for them.
        # Under the lock, so a replacement cannot slip in between.
        if partitions is None:
            store_log_aggregates(store.table_path(entry.name))
    return saved


def report_import(
    store: LogStore, entry: LogEntry, quarantine: pl.DataFrame, notes: tuple[str, ...]
) -> ImportReport:
    """The report of a stored import, pointing at its quarantine file when rows were set aside."""
    quarantine_path = store.quarantine_path(entry.name) if quarantine.height else None
    return ImportReport(entry, quarantine.height, quarantine_path, notes)
