"""Import and export of event-log files: read (extractors), build (models), measure (mining),
store (models)."""

from __future__ import annotations

from dataclasses import replace as replaced
from pathlib import Path

import polars as pl

from extractors import Pseudonymiser, load_key
from extractors.files import (
    ColumnMapping,
    ReadOptions,
    detect_format,
    protect_staged,
    read_flat_log,
    write_xes,
)
from models.datafolder import check_new_log_name
from models.errors import InputError
from models.partitions import Partitions
from models.schema import EVENT_ORDER
from models.spreadsheet import write_spreadsheet_csv
from models.store import LogStore
from services.ocel_import import export_ocel_log, import_ocel_log
from services.storing import (
    ExportFormat,
    FlatSource,
    ImportReport,
    Step,
    no_step,
    store_flat_log,
)
from services.streamed_import import import_in_batches

__all__ = [
    "ColumnMapping",
    "ExportFormat",
    "ImportReport",
    "ReadOptions",
    "Step",
    "export_log",
    "import_log",
]


def import_log(
    store: LogStore,
    path: Path,
    *,
    name: str,
    options: ReadOptions,
    replace: bool = False,
    step: Step = no_step,
    partitions: Partitions = None,
) -> ImportReport:
    """Read ``path``, build the canonical log, store it under ``name`` and report; a flat log in
    ``partitions`` partitions by a stable hash of its case ids when given (``"auto"``: from 20
    million events on; ``services.storing.store_canonical_log``).

    The store step runs as the one writer of ``name`` and looks again whether the name was
    taken meanwhile (``LogStore.save``); the look here only spares reading the file."""
    check_new_log_name(name)
    if not replace and store.catalog.get(name) is not None:
        raise InputError(
            f"a log named {name!r} is stored already: choose another --name, or add --replace."
        )
    options = _with_key(store, options, step)
    file_format = detect_format(path) if options.file_format == "auto" else options.file_format
    if file_format == "ocel" and partitions not in (None, "auto"):
        raise InputError(
            "--partitions splits a flat log by case; an OCEL log has no single case notion: "
            "leave --partitions out."
        )
    if file_format == "ocel":
        return import_ocel_log(store, path, name=name, options=options, replace=replace, step=step)
    if file_format in ("csv", "parquet"):
        report = import_in_batches(
            store,
            path,
            name=name,
            options=options,
            table_format="csv" if file_format == "csv" else "parquet",
            replace=replace,
            step=step,
            partitions=partitions,
        )
        if report is not None:
            return report
    step("reading")
    staged = protect_staged(read_flat_log(path, options), options)
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
        partitions=partitions,
    )


def _with_key(store: LogStore, options: ReadOptions, step: Step) -> ReadOptions:
    """``options`` with the keyed hash of the pseudonymisation key (created when there is none,
    as the extract commands do), unless the import opted out with --no-pseudonymise."""
    if not options.pseudonymise or options.hasher is not None:
        return options
    key = load_key(data_dir=store.data_dir, create=True, announce=step)
    return replaced(options, hasher=Pseudonymiser(key))


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
        write_spreadsheet_csv(_csv_ready(events), out)
    else:
        events.write_parquet(out)
    return out


def _csv_ready(events: pl.DataFrame) -> pl.DataFrame:
    # CSV has no types: write times as ISO 8601 with their UTC offset so a re-import is exact.
    # Text that a spreadsheet would run as a formula is escaped by write_spreadsheet_csv, and
    # the CSV importer un-escapes it, so the round trip stays exact (models/spreadsheet.py).
    return events.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        for c, dtype in events.schema.items()
        if isinstance(dtype, pl.Datetime)
    )
