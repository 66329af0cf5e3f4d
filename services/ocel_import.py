"""Import and export of OCEL 2.0 logs: read (extractors), validate and flatten (models), store.

An OCEL file is stored object-centric (its six tables) unless the user names an object type to
flatten on; then the flattened flat log is stored like any flat import. A flat stored log can be
exported as OCEL, each case becoming an object of type ``case``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from extractors.files import ReadOptions, StagedOcel, read_ocel, write_ocel
from mining import LogStats
from models.catalog import LogEntry
from models.datafolder import check_new_log_name
from models.errors import InputError
from models.ocel import (
    EVENT_TYPE,
    TABLES,
    ObjectCentricLog,
    flatten_ocel,
    ocel_from_flat,
)
from models.schema import SCHEMA_VERSION, TIMESTAMP
from models.store import LogStore
from services.storing import (
    ExportFormat,
    FlatSource,
    ImportReport,
    Step,
    no_step,
    report_import,
    store_flat_log,
)


def import_ocel_log(
    store: LogStore,
    path: Path,
    *,
    name: str,
    options: ReadOptions,
    replace: bool = False,
    step: Step = no_step,
) -> ImportReport:
    """Read an OCEL 2.0 file and store it under ``name``.

    Stored object-centric, or, when ``options.object_type`` is given, flattened on that object
    type and stored as a flat log. Naive times are read in ``options.timezone``.
    """
    check_new_log_name(name)
    step("reading")
    staged = read_ocel(path, timezone=options.timezone)
    if options.object_type is not None:
        return _store_flattened(
            store, staged, path=path, name=name, options=options, replace=replace, step=step
        )
    step("storing")
    entry = _object_centric_entry(name, path, staged)
    store.save(entry, staged.log.tables(), staged.quarantine, replace=replace)
    return report_import(store, entry, staged.quarantine, staged.notes)


def _object_centric_entry(name: str, path: Path, staged: StagedOcel) -> LogEntry:
    return build_object_centric_entry(
        staged.log,
        name=name,
        source_path=str(path.resolve()),
        source_format=staged.source_format,
        quarantined=staged.quarantine.height,
    )


def build_object_centric_entry(
    log: ObjectCentricLog, *, name: str, source_path: str, source_format: str, quarantined: int
) -> LogEntry:
    """The catalog entry of an object-centric log (the one place such entries are made).

    It has no single case notion: cases and variants are 0 until the log is flattened on an
    object type; objects and object types are counted instead."""
    stats = compute_ocel_log_stats(log.events)
    return LogEntry(
        name=name,
        kind="object-centric",
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
        objects=log.objects.height,
        object_types=len(log.object_types()),
    )


def compute_ocel_log_stats(events: pl.LazyFrame | pl.DataFrame) -> LogStats:
    """Headline figures of an object-centric events table (one row per event).

    Activities are the distinct event types; cases and variants are 0, as the log has no case
    notion until it is flattened.
    """
    row = (
        events.lazy()
        .select(
            pl.len().alias("events"),
            pl.col(EVENT_TYPE).n_unique().alias("activities"),
            pl.col(TIMESTAMP).min().alias("start"),
            pl.col(TIMESTAMP).max().alias("end"),
        )
        .collect()
        .row(0, named=True)
    )
    return LogStats(
        cases=0,
        events=int(row["events"]),
        activities=int(row["activities"]),
        variants=0,
        start=row["start"],
        end=row["end"],
    )


def _store_flattened(
    store: LogStore,
    staged: StagedOcel,
    *,
    path: Path,
    name: str,
    options: ReadOptions,
    replace: bool,
    step: Step,
) -> ImportReport:
    assert options.object_type is not None
    step("flattening")
    flat = flatten_ocel(staged.log, options.object_type)
    notes = (
        *staged.notes,
        f"flattened on object type {options.object_type!r}: one case per object of that type; "
        "an event related to several such objects is in each of their cases.",
    )
    return store_flat_log(
        store,
        flat,
        name=name,
        source=FlatSource(path, staged.source_format),
        quarantine=staged.quarantine,
        notes=notes,
        keep_numeric_activities=options.keep_numeric_activities,
        replace=replace,
        step=step,
    )


def read_stored_ocel(store: LogStore, name: str) -> ObjectCentricLog:
    """The tables of stored object-centric log ``name``."""
    return ObjectCentricLog(**{table: store.read(name, table) for table in TABLES})


def export_ocel_log(store: LogStore, name: str, *, file_format: ExportFormat, out: Path) -> Path:
    """Write stored log ``name`` as OCEL 2.0 in the format ``out``'s ending names.

    An object-centric log is written as stored; a flat log becomes an OCEL whose objects are its
    cases (type ``case``). An object-centric log can only be exported as OCEL.
    """
    entry = store.entry(name)
    if entry.kind == "object-centric":
        if file_format != "ocel":
            raise InputError(
                f"{name!r} is an object-centric log, which has no single case notion for "
                f"{file_format.upper()}: export it with --format ocel, or import the file again "
                "with --object-type TYPE to get a flat log of one object type."
            )
        log = read_stored_ocel(store, name)
    else:
        log = ocel_from_flat(store.read(name))
    return write_ocel(log, out)
