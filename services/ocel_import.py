"""Import and export of OCEL 2.0 logs: read (extractors), validate and flatten (models), store.

An OCEL 1.0 file is converted to OCEL 2.0 by the reader (as pm4py reads it) and from then on
imported, protected and exported exactly as an OCEL 2.0 one; its source format is ``ocel1-json``
or ``ocel1-xml`` and the import's notes say it was converted.

An OCEL file is stored object-centric (its six tables) unless the user names an object type to
flatten on; then the flattened flat log is stored like any flat import. A flat stored log can be
exported as OCEL, each case becoming an object of type ``case``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace as replaced
from pathlib import Path

import polars as pl

from extractors import is_pseudonym
from extractors.files import (
    NOT_PSEUDONYMISED,
    PERSONAL_VALUE,
    ReadOptions,
    StagedLog,
    StagedOcel,
    check_keep_columns,
    is_person_column,
    may_keep_column,
    protect_staged,
    pseudonymise_frame,
    pseudonymise_values,
    read_ocel,
    write_ocel,
)
from mining import LogStats
from models.catalog import LogEntry
from models.datafolder import check_new_log_name
from models.errors import InputError
from models.ocel import (
    ATTRIBUTE,
    EVENT_ID,
    EVENT_TYPE,
    FIELD,
    OBJECT_ID,
    OBJECT_TYPE,
    SCOPE,
    SOURCE_ID,
    TABLES,
    TARGET_ID,
    TYPE_NAME,
    VALUE,
    VALUE_TYPE,
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
    """Read an OCEL file (2.0, or 1.0 converted to 2.0) and store it under ``name``.

    Stored object-centric, or, when ``options.object_type`` is given, flattened on that object
    type and stored as a flat log. Naive times are read in ``options.timezone``. Protected as a
    flat import is (:func:`protect_ocel`).
    """
    check_new_log_name(name)
    step("reading")
    staged = protect_ocel(read_ocel(path, timezone=options.timezone), options)
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
    return object_centric_entry(
        compute_ocel_log_stats(log.events), log.objects, name=name, source_path=source_path,
        source_format=source_format, quarantined=quarantined,
    )  # fmt: skip


def object_centric_entry(
    stats: LogStats,
    objects: pl.DataFrame,
    *,
    name: str,
    source_path: str,
    source_format: str,
    quarantined: int,
) -> LogEntry:
    """The entry of ``build_object_centric_entry`` from the events' figures (e.g.
    ``compute_ocel_log_stats`` over a scan of a written events table) and the objects."""
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
        objects=objects.height,
        object_types=objects.get_column(OBJECT_TYPE).n_unique(),
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
    # The flat log goes through the flat imports' own step too (its columns are the event
    # attributes protect_ocel kept; a named object attribute is not among them).
    named = tuple(c for c in options.keep_columns if c in flat.columns)
    protected = protect_staged(
        StagedLog(flat, staged.source_format, notes=notes), replaced(options, keep_columns=named)
    )
    return store_flat_log(
        store,
        protected.frame,
        name=name,
        source=FlatSource(path, protected.source_format),
        quarantine=staged.quarantine,
        notes=protected.notes,
        keep_numeric_activities=options.keep_numeric_activities,
        replace=replace,
        step=step,
    )


# ----------------------------------------------------------------------------- protection

_OCEL_FIELDS = frozenset(
    {"section", EVENT_ID, EVENT_TYPE, OBJECT_ID, OBJECT_TYPE, "timestamp", "qualifier",
     SOURCE_ID, TARGET_ID, SCOPE, TYPE_NAME, ATTRIBUTE, VALUE_TYPE, FIELD, VALUE}
)  # fmt: skip
"""Keys of a quarantined OCEL record that are its structure, not an attribute."""
_IDS = (OBJECT_ID, SOURCE_ID, TARGET_ID)


def protect_ocel(staged: StagedOcel, options: ReadOptions) -> StagedOcel:
    """``staged`` protected as ``extractors.files.protect_staged`` protects a flat import.

    Event attributes and object attributes (``object_changes`` fields) are kept when they are
    person-like (pseudonymised), on the allowlist or named (--keep-column); free text and
    contact details are left out. The ids of objects of a person-like type (``employee``,
    ``user``) are pseudonymised in every table; any other id, type or value that looks like an
    e-mail address, a phone number or a CPR number is replaced by its pseudonym. With
    --no-pseudonymise, columns are still left out but nothing is pseudonymised."""
    log, keep = staged.log, options.keep_columns
    fields = log.object_changes[FIELD].drop_nulls().unique().sort().to_list()
    check_keep_columns(keep, [*log.event_attributes(), *fields])
    dropped = [a for a in log.event_attributes() if not may_keep_column(a, keep)]
    dropped_fields = [f for f in fields if not may_keep_column(f, keep)]
    changes = log.object_changes.filter(
        pl.col(FIELD).is_null() | ~pl.col(FIELD).is_in(dropped_fields)
    )
    log = replaced(log, events=log.events.drop(dropped), object_changes=changes)
    notes = list(staged.notes)
    if dropped or dropped_fields:
        notes.append(
            f"left out {len(dropped) + len(dropped_fields)} attribute(s) that are neither on the "
            f"allowlist nor about people: {', '.join(sorted({*dropped, *dropped_fields}))} "
            "(keep one with --keep-column NAME; free text is never kept)."
        )
    if not options.pseudonymise:
        quarantine = _protect_ocel_quarantine(staged.quarantine, options, {})
        log = replaced(log, types=_without(log.types, {*dropped, *dropped_fields}, set()))
        source_format = f"{staged.source_format} ({NOT_PSEUDONYMISED})"
        return StagedOcel(log, quarantine, source_format, tuple(notes))
    log, ids, hashed, replaced_notes = _pseudonymise_ocel(log, options)
    log = replaced(log, types=_without(log.types, {*dropped, *dropped_fields}, hashed))
    quarantine = _protect_ocel_quarantine(staged.quarantine, options, ids)
    return StagedOcel(log, quarantine, staged.source_format, (*notes, *replaced_notes))


def _pseudonymise_ocel(
    log: ObjectCentricLog, options: ReadOptions
) -> tuple[ObjectCentricLog, dict[str, str], set[str], list[str]]:
    """The log with people pseudonymised, the object ids replaced, the attributes pseudonymised
    whole (now text), and notes."""
    ids = _object_ids(log.objects, options)
    attributes = log.event_attributes()
    fixed = log.events.select(
        pl.col(EVENT_ID),
        pseudonymise_values(log.events[EVENT_TYPE], options, whole=False),
        pl.col(TIMESTAMP),
    )
    protected, notes = pseudonymise_frame(log.events.select(attributes), options)
    events = pl.concat([fixed, protected], how="horizontal")
    hashed = {a for a in attributes if not protected[a].equals(log.events[a], check_dtypes=True)}
    events = events.with_columns(
        pseudonymise_values(events[EVENT_ID], options, whole=False).alias(EVENT_ID)
    )
    changes = log.object_changes
    person_fields = [
        f
        for f in changes[FIELD].drop_nulls().unique().to_list()
        if is_person_column(f)
        or changes.filter(pl.col(FIELD) == f)[VALUE].cast(pl.String)
        .str.contains(PERSONAL_VALUE.pattern).any()
    ]  # fmt: skip
    whole = pseudonymise_values(changes[VALUE], options, whole=True)
    part = pseudonymise_values(changes[VALUE], options, whole=False)
    value = pl.when(pl.col(FIELD).is_in(person_fields)).then(whole).otherwise(part)
    changes = changes.with_columns(pl.col(OBJECT_ID).replace(ids), value.alias(VALUE))
    hashed |= set(person_fields)
    return (
        replaced(
            log,
            events=events,
            objects=log.objects.with_columns(pl.col(OBJECT_ID).replace(ids)),
            object_changes=changes,
            e2o=log.e2o.with_columns(
                pl.col(EVENT_ID).replace(_event_ids(log.events, options)),
                pl.col(OBJECT_ID).replace(ids),
            ),
            o2o=log.o2o.with_columns(pl.col(SOURCE_ID, TARGET_ID).replace(ids)),
        ),
        ids,
        hashed,
        notes,
    )


def _object_ids(objects: pl.DataFrame, options: ReadOptions) -> dict[str, str]:
    """Old to new object id: those of a person-like type wholly, others' personal values."""
    person = objects[OBJECT_TYPE].map_elements(is_person_column, return_dtype=pl.Boolean)
    whole = pseudonymise_values(objects[OBJECT_ID], options, whole=True)
    part = pseudonymise_values(objects[OBJECT_ID], options, whole=False)
    new = pl.select(pl.when(person).then(whole).otherwise(part)).to_series()
    return {
        old: changed
        for old, changed in zip(objects[OBJECT_ID].to_list(), new.to_list(), strict=True)
        if old != changed and changed is not None
    }


def _event_ids(events: pl.DataFrame, options: ReadOptions) -> dict[str, str]:
    new = pseudonymise_values(events[EVENT_ID], options, whole=False)
    return {
        old: changed
        for old, changed in zip(events[EVENT_ID].to_list(), new.to_list(), strict=True)
        if old != changed and changed is not None
    }


def _without(types: pl.DataFrame, dropped: set[str], hashed: set[str]) -> pl.DataFrame:
    """The declarations without the dropped attributes (a type left with none keeps one row
    without attribute, so it is still known); a pseudonymised attribute is text."""
    kept = types.filter(pl.col(ATTRIBUTE).is_null() | ~pl.col(ATTRIBUTE).is_in(list(dropped)))
    emptied = (
        types.select(SCOPE, TYPE_NAME)
        .unique(maintain_order=True)
        .join(kept, on=[SCOPE, TYPE_NAME], how="anti")
        .with_columns(
            pl.lit(None, dtype=pl.String).alias(ATTRIBUTE),
            pl.lit(None, dtype=pl.String).alias(VALUE_TYPE),
        )
    )
    text = pl.when(pl.col(ATTRIBUTE).is_in(list(hashed))).then(pl.lit("string"))
    kept = kept.with_columns(text.otherwise(pl.col(VALUE_TYPE)).alias(VALUE_TYPE))
    return pl.concat([kept, emptied.select(types.columns)], how="vertical_relaxed")


def _protect_ocel_quarantine(
    quarantine: pl.DataFrame, options: ReadOptions, ids: dict[str, str]
) -> pl.DataFrame:
    if quarantine.height == 0:
        return quarantine
    records = [_protect_ocel_record(r, options, ids) for r in quarantine["record"].to_list()]
    return quarantine.with_columns(pl.Series("record", records, dtype=pl.String))


def _protect_ocel_record(record: str, options: ReadOptions, ids: dict[str, str]) -> str:
    keep = options.keep_columns
    fields = {
        k: v for k, v in json.loads(record).items() if k in _OCEL_FIELDS or may_keep_column(k, keep)
    }
    field = fields.get(FIELD)
    if isinstance(field, str) and not may_keep_column(field, keep):
        fields.pop(VALUE, None)
    if not options.pseudonymise:
        return json.dumps(fields, ensure_ascii=False)
    for key, value in fields.items():
        if value is None or key in ("section", SCOPE, VALUE_TYPE):
            continue
        text = str(value)
        person = (key not in _OCEL_FIELDS and is_person_column(key)) or (
            key == VALUE and isinstance(field, str) and is_person_column(field)
        )
        if key in _IDS and text in ids:
            fields[key] = ids[text]
        elif (person or PERSONAL_VALUE.search(text)) and not is_pseudonym(text):
            fields[key] = pseudonymise_values(pl.Series([text]), options, whole=True)[0]
    return json.dumps(fields, ensure_ascii=False)


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
