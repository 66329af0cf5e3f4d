"""Import and export of event-log files: read (extractors), build (models), measure (mining),
store (models)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from extractors.files import ReadOptions, detect_format, read_flat_log, write_xes
from mining import compute_log_stats
from models.catalog import LogEntry
from models.errors import InputError
from models.eventlog import build_canonical_log, check_log_name, start_after_end
from models.schema import EVENT_ORDER, SCHEMA_VERSION
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


def _no_step(_: str) -> None:
    return None


def import_log(
    store: LogStore,
    path: Path,
    *,
    name: str,
    options: ReadOptions,
    replace: bool = False,
    step: Step = _no_step,
) -> ImportReport:
    """Read ``path``, build the canonical log, store it under ``name`` and report."""
    check_log_name(name)
    if not replace and store.catalog.get(name) is not None:
        raise InputError(
            f"a log named {name!r} is stored already: choose another --name, or add --replace."
        )
    file_format = detect_format(path) if options.file_format == "auto" else options.file_format
    if file_format == "ocel":
        from app.ocel_import import import_ocel_log  # noqa: PLC0415 - optional path

        return import_ocel_log(store, path, name=name, options=options, replace=replace, step=step)
    step("reading")
    staged = read_flat_log(path, options)
    step("validating")
    log = build_canonical_log(
        staged.frame,
        keep_numeric_activities=options.keep_numeric_activities,
        quarantine=staged.quarantine,
    )
    step("measuring")
    stats = compute_log_stats(log.events)
    entry = LogEntry(
        name=name,
        kind="flat",
        source_path=str(path.resolve()),
        source_format=staged.source_format,
        cases=stats.cases,
        events=stats.events,
        activities=stats.activities,
        variants=stats.variants,
        quarantined=log.quarantine.height,
        first_event=stats.start,
        last_event=stats.end,
        schema_version=SCHEMA_VERSION,
        imported_at=dt.datetime.now(dt.UTC),
    )
    step("storing")
    store.save(entry, {EVENTS_TABLE: log.events}, log.quarantine, replace=replace)
    notes = list(staged.notes)
    late = start_after_end(log.events)
    if late:
        notes.append(f"{late:,} event(s) start after they end; they are kept as they are.")
    quarantine_path = store.quarantine_path(name) if log.quarantine.height else None
    return ImportReport(entry, log.quarantine.height, quarantine_path, tuple(notes))


def export_log(store: LogStore, name: str, *, file_format: ExportFormat, out: Path) -> Path:
    """Write stored log ``name`` to ``out`` as XES, CSV, Parquet or OCEL 2.0."""
    entry = store.entry(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "ocel" or entry.kind == "object-centric":
        from app.ocel_import import export_ocel_log  # noqa: PLC0415 - optional path

        return export_ocel_log(store, name, file_format=file_format, out=out)
    # The stored order is implicit in the row order; event_order is internal to the store.
    events = store.read(name).drop(EVENT_ORDER)
    if file_format == "xes":
        write_xes(events, out)
    elif file_format == "csv":
        _csv_ready(events).write_csv(out)
    else:
        events.write_parquet(out)
    return out


def _csv_ready(events: pl.DataFrame) -> pl.DataFrame:
    # CSV has no types: write times as ISO 8601 with their UTC offset so a re-import is exact.
    return events.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        for c, dtype in events.schema.items()
        if isinstance(dtype, pl.Datetime)
    )
