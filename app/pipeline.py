"""Import and export of event-log files: read (extractors), build (models), measure (mining),
store (models)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from app.ocel_import import export_ocel_log, import_ocel_log
from app.storing import (
    ExportFormat,
    FlatSource,
    ImportReport,
    Step,
    no_step,
    store_flat_log,
)
from extractors.files import ReadOptions, detect_format, read_flat_log, write_xes
from models.errors import InputError
from models.eventlog import check_log_name
from models.schema import EVENT_ORDER
from models.store import LogStore

__all__ = ["ExportFormat", "ImportReport", "Step", "export_log", "import_log"]


def import_log(
    store: LogStore,
    path: Path,
    *,
    name: str,
    options: ReadOptions,
    replace: bool = False,
    step: Step = no_step,
) -> ImportReport:
    """Read ``path``, build the canonical log, store it under ``name`` and report."""
    check_log_name(name)
    if not replace and store.catalog.get(name) is not None:
        raise InputError(
            f"a log named {name!r} is stored already: choose another --name, or add --replace."
        )
    file_format = detect_format(path) if options.file_format == "auto" else options.file_format
    if file_format == "ocel":
        return import_ocel_log(store, path, name=name, options=options, replace=replace, step=step)
    step("reading")
    staged = read_flat_log(path, options)
    return store_flat_log(
        store,
        staged.frame,
        name=name,
        source=FlatSource(path, staged.source_format),
        quarantine=staged.quarantine,
        notes=staged.notes,
        keep_numeric_activities=options.keep_numeric_activities,
        replace=replace,
        step=step,
    )


def export_log(store: LogStore, name: str, *, file_format: ExportFormat, out: Path) -> Path:
    """Write stored log ``name`` to ``out`` as XES, CSV, Parquet or OCEL 2.0."""
    entry = store.entry(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "ocel" or entry.kind == "object-centric":
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
