"""OCEL 2.0 reading and writing in its three exchange formats: JSON, XML and SQLite.

OCEL 1.0 files (JSON and XML) are told apart by their content and converted to OCEL 2.0 on
reading, as pm4py reads them (``extractors.files.ocel1``); writing is always OCEL 2.0.

Each reader turns its format into one neutral shape (``_Raw``: declarations and items in file
order, times and values as written), and ``_assemble`` turns that into typed UTC frames, which
``models.ocel.build_object_centric_log`` validates. Times with an offset are converted to UTC;
times without one (pm4py writes local times to XML and SQLite) are read in the given time zone.
The writers always write UTC times with their offset, so a written file means the same wherever
it is read. Formats follow https://ocel-standard.org/ and the SQLite layout pm4py writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import replace as replaced
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl
from lxml import etree

from extractors.files.ocel1 import (
    CONVERSION_NOTE,
    is_ocel1_json,
    is_ocel1_xml,
    read_ocel1_json,
    read_ocel1_xml,
)
from extractors.files.sqlite_checks import (
    CORE_TABLES,
    check_nothing_computed,
    check_only_ocel_tables,
    checked_rows,
    connect_read_only,
    quote,
    row_limit,
    value_too_long,
)
from extractors.files.timestamps import ParsedTimes, parse_timestamps
from extractors.json_input import load_json
from models.errors import InputError
from models.eventlog import REASON_COLUMN
from models.ocel import (
    ATTRIBUTE,
    ATTRIBUTE_DTYPES,
    EPOCH,
    EVENT_ID,
    EVENT_TYPE,
    FIELD,
    OBJECT_ID,
    OBJECT_TYPE,
    QUALIFIER,
    RESERVED_EVENT_COLUMNS,
    SCHEMAS,
    SCOPE,
    SOURCE_ID,
    TARGET_ID,
    TYPE_NAME,
    VALUE,
    VALUE_TYPE,
    ObjectCentricLog,
    attribute_type_of,
    build_object_centric_log,
)
from models.schema import TIMESTAMP, UTC_DATETIME

OcelFormat = Literal["json", "xml", "sqlite"]

_SUFFIXES: Final[dict[str, OcelFormat]] = {
    ".jsonocel": "json",
    ".json": "json",
    ".xmlocel": "xml",
    ".xml": "xml",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
}
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_ISO: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_WITH_OFFSET: Final = "%Y-%m-%d %H:%M:%S%.f%#z"
_NAIVE: Final = "%Y-%m-%d %H:%M:%S%.f"
_TYPE_ALIASES: Final[dict[str, str]] = {
    "int": "integer",
    "long": "integer",
    "double": "float",
    "real": "float",
    "bool": "boolean",
    "date": "time",
    "datetime": "time",
    "timestamp": "time",
    "text": "string",
}
_SHOWN: Final = 3

Declarations = dict[str, dict[str, str]]
"""Type name to its declared attributes (name to OCEL attribute type), in file order."""


@dataclass
class _Raw:
    """One OCEL file in file order, values as written (times still text)."""

    event_types: Declarations = field(default_factory=dict)
    object_types: Declarations = field(default_factory=dict)
    events: list[tuple[Any, Any, Any]] = field(default_factory=list)  # id, type, time
    event_values: list[dict[str, Any]] = field(default_factory=list)  # attributes per event
    objects: list[tuple[Any, Any]] = field(default_factory=list)  # id, type
    changes: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)  # id, time, field, value
    e2o: list[tuple[Any, Any, Any]] = field(default_factory=list)
    o2o: list[tuple[Any, Any, Any]] = field(default_factory=list)
    version: str = "2"  # "1" for an OCEL 1.0 file, converted on reading


@dataclass(frozen=True)
class StagedOcel:
    """An OCEL file read and validated: the log, what was set aside, and notes for the user."""

    log: ObjectCentricLog
    quarantine: pl.DataFrame
    source_format: str
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Format detection


def detect_ocel_format(path: Path) -> OcelFormat:
    """The OCEL format of ``path``: by its ending, else by its first bytes."""
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    with path.open("rb") as probe:
        head = probe.read(64)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"{"):
        return "json"
    raise InputError(
        f"{path.name} is not an OCEL 2.0 file: it is neither JSON, XML nor SQLite. "
        "Name it .jsonocel, .xmlocel or .sqlite if it is one."
    )


def _format_for_writing(path: Path) -> OcelFormat:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"cannot tell which OCEL 2.0 format to write from the name {path.name}: end it with "
            ".jsonocel (or .json), .xmlocel (or .xml) or .sqlite."
        )
    return _SUFFIXES[suffix]


# ---------------------------------------------------------------------------------------------
# Reading


def read_ocel(path: Path, *, timezone: str = "UTC") -> StagedOcel:
    """Read an OCEL 2.0 file (JSON, XML or SQLite) into a validated object-centric log.

    An OCEL 1.0 file (JSON or XML) is converted to OCEL 2.0 as pm4py reads it
    (``extractors.files.ocel1``); its source format is ``ocel1-json`` or ``ocel1-xml`` and a
    note says so. Times without a UTC offset are read as local times in ``timezone``. Items that
    cannot be kept (a relation to an object the file does not list, say) are quarantined with
    the reason.
    """
    if not path.is_file():
        raise InputError(f"there is no file at {path}: check the path.")
    file_format = detect_ocel_format(path)
    readers: dict[OcelFormat, Callable[[Path], _Raw]] = {
        "json": _read_json,
        "xml": _read_xml,
        "sqlite": _read_sqlite,
    }
    raw = readers[file_format](path)
    staged = _assemble(raw, timezone=timezone, source_format=f"ocel{raw.version}-{file_format}")
    if raw.version == "1":
        return replaced(staged, notes=(CONVERSION_NOTE, *staged.notes))
    return staged


def _value_type(declared: Any, where: str) -> str:
    name = str(declared or "string").strip().lower()
    name = _TYPE_ALIASES.get(name, name)
    if name not in ATTRIBUTE_DTYPES:
        raise InputError(
            f"{where} declares the attribute type {declared!r}; OCEL 2.0 knows string, time, "
            "integer, float and boolean. Correct the declaration in the file."
        )
    return name


# --- JSON


def _read_json(path: Path) -> _Raw:
    try:
        doc = load_json(path.read_bytes(), where=path.name)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(
            f"{path.name} is not valid JSON ({error}); an OCEL 2.0 JSON file is one JSON object "
            "with eventTypes, objectTypes, events and objects."
        ) from error
    if is_ocel1_json(doc):
        raw = _Raw(version="1")
        read_ocel1_json(doc, path, raw)
        return raw
    _check_json_shape(doc, path)
    raw = _Raw(
        event_types=_json_types(doc.get("eventTypes"), "eventTypes"),
        object_types=_json_types(doc.get("objectTypes"), "objectTypes"),
    )
    for item in _json_list(doc.get("events"), "events"):
        raw.events.append((item.get("id"), item.get("type"), item.get("time")))
        values = _json_list(item.get("attributes"), f"attributes of event {item.get('id')!r}")
        raw.event_values.append({str(a.get("name")): a.get("value") for a in values})
        for rel in _json_list(item.get("relationships"), f"relationships of {item.get('id')!r}"):
            raw.e2o.append((item.get("id"), rel.get("objectId"), rel.get("qualifier")))
    for item in _json_list(doc.get("objects"), "objects"):
        oid = item.get("id")
        raw.objects.append((oid, item.get("type")))
        for a in _json_list(item.get("attributes"), f"attributes of object {oid!r}"):
            raw.changes.append((oid, a.get("time"), a.get("name"), a.get("value")))
        for rel in _json_list(item.get("relationships"), f"relationships of object {oid!r}"):
            raw.o2o.append((oid, rel.get("objectId"), rel.get("qualifier")))
    return raw


def _check_json_shape(doc: Any, path: Path) -> None:
    if isinstance(doc, dict) and ({"events", "objects"} & doc.keys()):
        return
    raise InputError(
        f"{path.name} is JSON but not an OCEL log: it has neither 'events' and 'objects' "
        "(OCEL 2.0) nor 'ocel:events' and 'ocel:objects' (OCEL 1.0) at the top level."
    )


def _json_list(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(
            f"'{where}' in the OCEL JSON must be a list of JSON objects, not {str(value)[:60]!r}."
        )
    return value


def _json_types(value: Any, where: str) -> Declarations:
    declared: Declarations = {}
    for item in _json_list(value, where):
        attributes = _json_list(item.get("attributes"), f"{where} {item.get('name')!r}")
        declared[str(item.get("name"))] = {
            str(a.get("name")): _value_type(a.get("type"), f"{where} {item.get('name')!r}")
            for a in attributes
        }
    return declared


# --- XML


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(element: Any, *path: str) -> list[Any]:
    """The elements under ``element`` along ``path`` of local tag names (namespaces ignored)."""
    found = [element]
    for tag in path:
        found = [c for f in found for c in f if _local(c.tag) == tag]
    return found


def _read_xml(path: Path) -> _Raw:
    if is_ocel1_xml(path):
        raw = _Raw(version="1")
        read_ocel1_xml(path, raw)
        return raw
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as error:
        raise InputError(
            f"{path.name} is not well-formed XML ({error}); an OCEL 2.0 XML file has a <log> root "
            "with <object-types>, <event-types>, <objects> and <events>."
        ) from error
    if _local(root.tag) != "log" or not (_children(root, "events") or _children(root, "objects")):
        raise InputError(
            f"{path.name} is XML but not an OCEL 2.0 log: its root is <{_local(root.tag)}>, "
            "expected <log> with <events> and <objects>."
        )
    raw = _Raw(
        event_types=_xml_types(root, "event-types", "event-type"),
        object_types=_xml_types(root, "object-types", "object-type"),
    )
    for event in _children(root, "events", "event"):
        eid = event.get("id")
        raw.events.append((eid, event.get("type"), event.get("time")))
        attributes = _children(event, "attributes", "attribute")
        raw.event_values.append({str(a.get("name")): a.text for a in attributes})
        for rel in _children(event, "objects", "relationship"):
            raw.e2o.append((eid, rel.get("object-id"), rel.get("qualifier")))
    for obj in _children(root, "objects", "object"):
        oid = obj.get("id")
        raw.objects.append((oid, obj.get("type")))
        for a in _children(obj, "attributes", "attribute"):
            raw.changes.append((oid, a.get("time"), a.get("name"), a.text))
        for rel in _children(obj, "objects", "relationship"):
            raw.o2o.append((oid, rel.get("object-id"), rel.get("qualifier")))
    return raw


def _xml_types(root: Any, group: str, tag: str) -> Declarations:
    declared: Declarations = {}
    for item in _children(root, group, tag):
        name = str(item.get("name"))
        declared[name] = {
            str(a.get("name")): _value_type(a.get("type"), f"<{tag} name={name!r}>")
            for a in _children(item, "attributes", "attribute")
        }
    return declared


# --- SQLite

_SQL_TYPES: Final[dict[str, str]] = {
    "string": "TEXT",
    "time": "TIMESTAMP",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
}
_FIXED_SQL_COLUMNS: Final = frozenset({"ocel_id", "ocel_time", "ocel_changed_field"})


def _read_sqlite(path: Path) -> _Raw:
    with path.open("rb") as probe:
        if probe.read(16) != _SQLITE_MAGIC:
            raise InputError(
                f"{path.name} is not an SQLite database, so not an OCEL 2.0 SQLite log."
            )
    connection = connect_read_only(path)
    try:
        return _read_sqlite_tables(connection, path)
    except sqlite3.DatabaseError as error:
        too_long = value_too_long(path, error)
        if too_long is not None:
            raise too_long from error
        raise InputError(f"cannot read the OCEL 2.0 SQLite file {path.name}: {error}.") from error
    finally:
        connection.close()


def _read_sqlite_tables(db: sqlite3.Connection, path: Path) -> _Raw:
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = [t for t in CORE_TABLES if t not in present]
    if missing:
        raise InputError(
            f"{path.name} is an SQLite database but not an OCEL 2.0 log: it lacks the table(s) "
            f"{', '.join(missing)} (it has {', '.join(sorted(present)) or 'no tables'})."
        )
    check_nothing_computed(db, path)
    event_maps = dict(_select(db, path, "event_map_type", "ocel_type, ocel_type_map"))
    object_maps = dict(_select(db, path, "object_map_type", "ocel_type, ocel_type_map"))
    check_only_ocel_tables(db, path, {"event": event_maps, "object": object_maps})
    raw = _Raw(
        event_types=_sqlite_types(db, "event_", event_maps, present),
        object_types=_sqlite_types(db, "object_", object_maps, present),
    )
    _read_sqlite_events(db, path, raw, event_maps, present)
    raw.objects = _select(db, path, "object", "ocel_id, ocel_type")
    for suffix in object_maps.values():
        _read_sqlite_changes(db, path, raw, f"object_{suffix}", present)
    raw.e2o = _select(db, path, "event_object", "ocel_event_id, ocel_object_id, ocel_qualifier")
    raw.o2o = _select(db, path, "object_object", "ocel_source_id, ocel_target_id, ocel_qualifier")
    return raw


def _select(db: sqlite3.Connection, path: Path, table: str, columns: str) -> list[Any]:
    """The rows of ``table`` in file order, after counting them against the row limit."""
    return _cursor(db, path, table, columns).fetchall()


def _cursor(
    db: sqlite3.Connection, path: Path, table: str, columns: str, *, in_file_order: bool = True
) -> sqlite3.Cursor:
    checked_rows(db, table, path)
    order = " ORDER BY rowid" if in_file_order else ""
    return db.execute(f"SELECT {columns} FROM {quote(table)}{order} LIMIT ?", (row_limit(),))


def _sqlite_columns(db: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """Name and declared SQL type of each column of ``table``."""
    return [(row[1], str(row[2])) for row in db.execute(f"PRAGMA table_info({quote(table)})")]


def _sqlite_types(
    db: sqlite3.Connection, prefix: str, maps: dict[str, str], present: set[str]
) -> Declarations:
    declared: Declarations = {}
    for type_name, suffix in maps.items():
        table = prefix + suffix
        columns = _sqlite_columns(db, table) if table in present else []
        declared[type_name] = {
            name: _sql_affinity(sql) for name, sql in columns if name not in _FIXED_SQL_COLUMNS
        }
    return declared


def _sql_affinity(declared: str) -> str:
    """The OCEL attribute type of an SQL column type, by SQLite's own affinity rules."""
    upper = declared.upper()
    rules = (
        ("BOOL", "boolean"),
        ("INT", "integer"),
        ("CHAR", "string"),
        ("CLOB", "string"),
        ("TEXT", "string"),
        ("REAL", "float"),
        ("FLOA", "float"),
        ("DOUB", "float"),
        ("TIME", "time"),
        ("DATE", "time"),
    )
    return next((ocel for part, ocel in rules if part in upper), "string")


def _read_sqlite_events(
    db: sqlite3.Connection, path: Path, raw: _Raw, maps: dict[str, str], present: set[str]
) -> None:
    # Time and attributes of an event live in the table of its type, keyed by its id.
    details: dict[str, dict[str, Any]] = {}
    for suffix in maps.values():
        table = "event_" + suffix
        if table not in present:
            continue
        cursor = _cursor(db, path, table, "*", in_file_order=False)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            details[str(row[0])] = dict(zip(names, row, strict=True))
    for eid, event_type in _cursor(db, path, "event", "ocel_id, ocel_type"):
        found = details.get(str(eid), {})
        raw.events.append((eid, event_type, found.get("ocel_time")))
        raw.event_values.append({k: v for k, v in found.items() if k not in _FIXED_SQL_COLUMNS})


def _read_sqlite_changes(
    db: sqlite3.Connection, path: Path, raw: _Raw, table: str, present: set[str]
) -> None:
    if table not in present:
        return
    cursor = _cursor(db, path, table, "*")
    names = [d[0] for d in cursor.description]
    attributes = [n for n in names if n not in _FIXED_SQL_COLUMNS]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        changed = row.get("ocel_changed_field")
        # A row naming its changed field holds one new value; any other row holds the object's
        # values at that time (pm4py writes the initial values so, stamped with the epoch).
        fields = [changed] if changed else [a for a in attributes if row[a] is not None]
        for name in fields:
            raw.changes.append((row["ocel_id"], row["ocel_time"], name, row.get(name)))


# --- From raw items to typed frames


@dataclass(frozen=True)
class _Times:
    """Parsed times (UTC, null where unusable) and why each null one is."""

    values: pl.Series
    reasons: list[str | None]


def _normalise_time(raw: Any) -> tuple[str | None, bool, str | None]:
    """One ISO shape for parsing, whether it had an offset, or the reason it is unusable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, False, "has no time"
    text = str(raw).strip()
    match = _ISO.fullmatch(text)
    if match is None:
        return None, False, f"time {text!r} is not an ISO 8601 date-time"
    date, hour, minute, second, fraction, offset = match.groups()
    micros = (fraction or "0")[:6].ljust(6, "0")
    shaped = f"{date} {hour or '00'}:{minute or '00'}:{second or '00'}.{micros}"
    if offset is None:
        return shaped, False, None
    digits = "0000" if offset in ("Z", "z") else offset[1:].replace(":", "").ljust(4, "0")
    sign = "+" if offset in ("Z", "z") else offset[0]
    return f"{shaped}{sign}{digits[:2]}:{digits[2:]}", True, None


def _parse_times(raw: list[Any], *, timezone: str, what: str) -> _Times:
    shaped = [_normalise_time(value) for value in raw]
    reasons: list[str | None] = [reason for _, _, reason in shaped]
    values = pl.Series(TIMESTAMP, [None] * len(raw), dtype=UTC_DATETIME)
    for with_offset in (True, False):
        positions = [i for i, (s, o, _) in enumerate(shaped) if s is not None and o == with_offset]
        if not positions:
            continue
        texts = pl.Series([shaped[i][0] for i in positions], dtype=pl.String)
        fmt = _WITH_OFFSET if with_offset else _NAIVE
        parsed = _parse_shaped(texts, fmt, timezone, what)
        values = values.scatter(positions, parsed.values)
        for position, gap in zip(positions, parsed.nonexistent_local, strict=True):
            if gap:
                reasons[position] = (
                    f"local time {raw[position]!r} does not exist in {timezone} (clocks skip that "
                    "hour): correct it or write it with its UTC offset"
                )
    for position, value in enumerate(values):
        if value is None and reasons[position] is None:
            reasons[position] = f"time {raw[position]!r} is not a valid date-time"
    return _Times(values=values, reasons=reasons)


def _parse_shaped(texts: pl.Series, fmt: str, timezone: str, what: str) -> ParsedTimes:
    # A value of the right shape may still be no date (month 13, say): it is nulled here and
    # given its reason by the caller, rather than failing the whole file.
    parseable = texts.str.to_datetime(fmt, strict=False, time_unit="us").is_not_null()
    cleaned = pl.select(pl.when(parseable).then(texts)).to_series()
    return parse_timestamps(
        cleaned, column=what, timestamp_format=fmt, dayfirst=False, timezone=timezone
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(value)


def _to_int(value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value) if isinstance(value, int | float) else int(str(value).strip())


_CONVERTERS: Final[dict[str, Callable[[Any], Any]]] = {
    "string": _text,
    "integer": _to_int,
    "float": float,
    "boolean": _to_bool,
}


def _typed_column(
    name: str, values: list[Any], value_type: str, *, timezone: str
) -> tuple[pl.Series, str | None]:
    """An event attribute column of its declared type, or text with a note if a value is not."""
    if value_type == "time":
        times = _parse_times(values, timezone=timezone, what=name)
        bad = [v for v, t in zip(values, times.values, strict=True) if v is not None and t is None]
        if not bad:
            return times.values.alias(name), None
    else:
        convert = _CONVERTERS[value_type]
        try:
            typed = [None if v is None else convert(v) for v in values]
            return pl.Series(name, typed, dtype=ATTRIBUTE_DTYPES[value_type]), None
        except (TypeError, ValueError, OverflowError):
            bad = [v for v in values if v is not None and not _converts(convert, v)]
    note = (
        f"event attribute {name!r} is declared {value_type}, but {bad[0]!r} is not; "
        "the attribute is kept as text."
    )
    return pl.Series(name, [_text(v) for v in values], dtype=pl.String), note


def _converts(convert: Callable[[Any], Any], value: Any) -> bool:
    try:
        convert(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _event_attribute_types(raw: _Raw) -> dict[str, str]:
    """Each event attribute's type: the declared one if all declarations agree, else text."""
    declared: dict[str, set[str]] = {}
    for attributes in raw.event_types.values():
        for name, value_type in attributes.items():
            declared.setdefault(name, set()).add(value_type)
    used = {name for values in raw.event_values for name in values}
    names = sorted(set(declared) | used)
    return {
        n: next(iter(declared[n])) if len(declared.get(n, ())) == 1 else "string" for n in names
    }


def _safe_name(name: str) -> str:
    # An attribute named like one of the events table's own columns would overwrite it.
    return f"attribute:{name}" if name in RESERVED_EVENT_COLUMNS else name


def _events_frame(raw: _Raw, timezone: str, notes: list[str]) -> pl.DataFrame:
    times = _parse_times([t for _, _, t in raw.events], timezone=timezone, what="event time")
    columns: list[pl.Series] = [
        pl.Series(EVENT_ID, [_text(e) for e, _, _ in raw.events], dtype=pl.String),
        pl.Series(EVENT_TYPE, [_text(t) for _, t, _ in raw.events], dtype=pl.String),
        times.values,
    ]
    for name, value_type in _event_attribute_types(raw).items():
        values = [v.get(name) for v in raw.event_values]
        column, note = _typed_column(_safe_name(name), values, value_type, timezone=timezone)
        columns.append(column)
        notes.extend([note] if note else [])
        if _safe_name(name) != name:
            notes.append(f"event attribute {name!r} is kept as {_safe_name(name)!r}.")
    reasons = pl.Series(REASON_COLUMN, [_event_reason(r) for r in times.reasons], dtype=pl.String)
    return pl.DataFrame([*columns, reasons])


def _event_reason(reason: str | None) -> str | None:
    return None if reason is None else f"event {reason}"


def _changes_frame(raw: _Raw, timezone: str) -> pl.DataFrame:
    times = _parse_times([t for _, t, _, _ in raw.changes], timezone=timezone, what="value time")
    frame = pl.DataFrame(
        {
            OBJECT_ID: [_text(o) for o, _, _, _ in raw.changes],
            TIMESTAMP: times.values,
            FIELD: [_text(f) for _, _, f, _ in raw.changes],
            VALUE: [_text(v) for _, _, _, v in raw.changes],
            REASON_COLUMN: [None if r is None else f"attribute value {r}" for r in times.reasons],
        },
        schema={**SCHEMAS["object_changes"], REASON_COLUMN: pl.String()},
    )
    return _normalise_time_values(frame, raw, timezone)


def _normalise_time_values(changes: pl.DataFrame, raw: _Raw, timezone: str) -> pl.DataFrame:
    """Time-typed object attribute values as ISO 8601 UTC text, so every format reads alike."""
    type_of = {_text(o): _text(t) for o, t in raw.objects}
    is_time = [
        raw.object_types.get(type_of.get(o) or "", {}).get(f or "") == "time"
        for o, f in zip(changes[OBJECT_ID], changes[FIELD], strict=True)
    ]
    if not any(is_time):
        return changes
    values = changes[VALUE].to_list()
    parsed = _parse_times(values, timezone=timezone, what="object attribute")
    for i, (flag, moment) in enumerate(zip(is_time, parsed.values, strict=True)):
        if flag and moment is not None:
            values[i] = _iso(moment)
    return changes.with_columns(pl.Series(VALUE, values, dtype=pl.String))


def _types_frame(raw: _Raw, renamed: Callable[[str], str]) -> pl.DataFrame:
    rows: list[tuple[str, str, str | None, str | None]] = []
    for scope, declared in (("event", raw.event_types), ("object", raw.object_types)):
        for type_name, attributes in declared.items():
            named: list[tuple[str | None, str | None]] = [
                (renamed(a) if scope == "event" else a, t) for a, t in attributes.items()
            ]
            rows.extend((scope, type_name, a, t) for a, t in named or [(None, None)])
    return pl.DataFrame(rows, schema=SCHEMAS["types"], orient="row")


def _relations(rows: Iterable[tuple[Any, Any, Any]], names: tuple[str, str, str]) -> pl.DataFrame:
    # A missing qualifier is the empty qualifier: the standard requires one, pm4py writes "".
    cleaned = [(_text(a), _text(b), _text(q) or "") for a, b, q in rows]
    return pl.DataFrame(cleaned, schema=dict.fromkeys(names, pl.String()), orient="row")


def _assemble(raw: _Raw, *, timezone: str, source_format: str) -> StagedOcel:
    notes: list[str] = []
    events = _events_frame(raw, timezone, notes)
    changes = _changes_frame(raw, timezone)
    objects = pl.DataFrame(
        [(_text(o), _text(t)) for o, t in raw.objects], schema=SCHEMAS["objects"], orient="row"
    )
    built = build_object_centric_log(
        events=events,
        objects=objects,
        object_changes=changes,
        e2o=_relations(raw.e2o, (EVENT_ID, OBJECT_ID, QUALIFIER)),
        o2o=_relations(raw.o2o, (SOURCE_ID, TARGET_ID, QUALIFIER)),
        types=_types_frame(raw, _safe_name),
    )
    naive = _naive_count(raw)
    if naive:
        notes.append(
            f"{naive:,} time(s) in the file carry no UTC offset; they were read as local times in "
            f"{timezone} (give --timezone if that is wrong)."
        )
    return StagedOcel(built.log, built.quarantine, source_format, tuple(notes))


def _naive_count(raw: _Raw) -> int:
    moments = [t for _, _, t in raw.events] + [t for _, t, _, _ in raw.changes]
    shaped = [_normalise_time(t) for t in moments]
    return sum(1 for text, with_offset, _ in shaped if text is not None and not with_offset)


# ---------------------------------------------------------------------------------------------
# Writing


def write_ocel(log: ObjectCentricLog, path: Path) -> Path:
    """Write ``log`` as OCEL 2.0 in the format ``path``'s ending names; times in UTC."""
    file_format = _format_for_writing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writers: dict[OcelFormat, Callable[[ObjectCentricLog, Path], None]] = {
        "json": _write_json,
        "xml": _write_xml,
        "sqlite": _write_sqlite,
    }
    writers[file_format](log, path)
    return path


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _declarations(log: ObjectCentricLog, scope: str) -> Declarations:
    """Declared attributes per type, plus any attribute the data uses but no declaration names."""
    declared: Declarations = {}
    for row in log.types.filter(pl.col(SCOPE) == scope).iter_rows(named=True):
        attributes = declared.setdefault(row[TYPE_NAME], {})
        if row[ATTRIBUTE] is not None:
            attributes[row[ATTRIBUTE]] = row[VALUE_TYPE] or "string"
    if scope == "event":
        _add_used_event_attributes(log, declared)
    else:
        used = log.object_changes.join(log.objects, on=OBJECT_ID).select(OBJECT_TYPE, FIELD)
        for type_name in log.objects[OBJECT_TYPE].unique(maintain_order=True):
            declared.setdefault(type_name, {})
        for type_name, name in used.unique(maintain_order=True).iter_rows():
            declared[type_name].setdefault(name, "string")
    return declared


def _add_used_event_attributes(log: ObjectCentricLog, declared: Declarations) -> None:
    attributes = log.event_attributes()
    counts = log.events.group_by(EVENT_TYPE, maintain_order=True).agg(
        pl.col(a).is_not_null().any() for a in attributes
    )
    for row in counts.iter_rows(named=True):
        own = declared.setdefault(row[EVENT_TYPE], {})
        for name in attributes:
            if row[name]:
                own.setdefault(name, attribute_type_of(log.events.schema[name]))


def _event_records(log: ObjectCentricLog) -> list[dict[str, Any]]:
    """One dict per event: id, type, time, non-null attributes, relationships."""
    related = _grouped(log.e2o, EVENT_ID, OBJECT_ID)
    attributes = log.event_attributes()
    records = []
    for row in log.events.iter_rows(named=True):
        records.append(
            {
                "id": row[EVENT_ID],
                "type": row[EVENT_TYPE],
                "time": _iso(row[TIMESTAMP]),
                "attributes": {a: row[a] for a in attributes if row[a] is not None},
                "relationships": related.get(row[EVENT_ID], []),
            }
        )
    return records


def _object_records(log: ObjectCentricLog) -> list[dict[str, Any]]:
    """One dict per object: id, type, time-stamped values, relationships."""
    related = _grouped(log.o2o, SOURCE_ID, TARGET_ID)
    values: dict[str, list[tuple[str, dt.datetime, str | None]]] = {}
    for oid, moment, name, value in log.object_changes.iter_rows():
        values.setdefault(oid, []).append((name, moment, value))
    return [
        {
            "id": oid,
            "type": object_type,
            "attributes": values.get(oid, []),
            "relationships": related.get(oid, []),
        }
        for oid, object_type in log.objects.iter_rows()
    ]


def _grouped(relations: pl.DataFrame, key: str, other: str) -> dict[str, list[tuple[str, str]]]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for row in relations.iter_rows(named=True):
        grouped.setdefault(row[key], []).append((row[other], row[QUALIFIER]))
    return grouped


def _plain(value: Any) -> Any:
    return _iso(value) if isinstance(value, dt.datetime) else value


# --- JSON


def _write_json(log: ObjectCentricLog, path: Path) -> None:
    def type_list(declared: Declarations) -> list[dict[str, Any]]:
        return [
            {"name": name, "attributes": [{"name": a, "type": t} for a, t in attributes.items()]}
            for name, attributes in declared.items()
        ]

    doc = {
        "objectTypes": type_list(_declarations(log, "object")),
        "eventTypes": type_list(_declarations(log, "event")),
        "objects": [
            {
                "id": o["id"],
                "type": o["type"],
                "attributes": [
                    {"name": n, "time": _iso(t), "value": v} for n, t, v in o["attributes"]
                ],
                "relationships": [{"objectId": t, "qualifier": q} for t, q in o["relationships"]],
            }
            for o in _object_records(log)
        ],
        "events": [
            {
                "id": e["id"],
                "type": e["type"],
                "time": e["time"],
                "attributes": [{"name": n, "value": _plain(v)} for n, v in e["attributes"].items()],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in e["relationships"]],
            }
            for e in _event_records(log)
        ],
    }
    with path.open("w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False, indent=1)


# --- XML


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_plain(value))


def _write_xml(log: ObjectCentricLog, path: Path) -> None:
    root = etree.Element("log")
    for group, tag, scope in (
        ("object-types", "object-type", "object"),
        ("event-types", "event-type", "event"),
    ):
        holder = etree.SubElement(root, group)
        for name, attributes in _declarations(log, scope).items():
            declared = etree.SubElement(etree.SubElement(holder, tag, name=name), "attributes")
            for attribute, value_type in attributes.items():
                etree.SubElement(declared, "attribute", name=attribute, type=value_type)
    objects = etree.SubElement(root, "objects")
    for o in _object_records(log):
        element = etree.SubElement(objects, "object", id=o["id"], type=o["type"])
        values = etree.SubElement(element, "attributes")
        for name, moment, value in o["attributes"]:
            etree.SubElement(values, "attribute", name=name, time=_iso(moment)).text = value
        _xml_relationships(element, o["relationships"])
    events = etree.SubElement(root, "events")
    for e in _event_records(log):
        element = etree.SubElement(events, "event", id=e["id"], type=e["type"], time=e["time"])
        values = etree.SubElement(element, "attributes")
        for name, value in e["attributes"].items():
            etree.SubElement(values, "attribute", name=name).text = _xml_text(value)
        _xml_relationships(element, e["relationships"])
    etree.ElementTree(root).write(
        str(path), encoding="UTF-8", xml_declaration=True, pretty_print=True
    )


def _xml_relationships(element: Any, relationships: list[tuple[str, str]]) -> None:
    holder = etree.SubElement(element, "objects")
    for target, qualifier in relationships:
        etree.SubElement(holder, "relationship", {"object-id": target, "qualifier": qualifier})


# --- SQLite


def _table_suffixes(type_names: Iterable[str]) -> dict[str, str]:
    """A table-name-safe suffix per type (letters and digits, as pm4py does), kept unique."""
    suffixes: dict[str, str] = {}
    for name in type_names:
        base = re.sub(r"[^0-9A-Za-z]", "", name) or "type"
        suffix, n = base, 1
        while suffix.lower() in {s.lower() for s in suffixes.values()}:
            n += 1
            suffix = f"{base}{n}"
        suffixes[name] = suffix
    return suffixes


def _sql_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _write_sqlite(log: ObjectCentricLog, path: Path) -> None:
    # Written beside the target and moved into place, so a failure leaves no half-written file.
    staging = path.with_name(f".{path.name}.tmp")
    staging.unlink(missing_ok=True)
    db = sqlite3.connect(staging)
    try:
        with db:
            _create_core_tables(db)
            _write_sqlite_events(db, log)
            _write_sqlite_objects(db, log)
            db.executemany("INSERT INTO event_object VALUES (?, ?, ?)", log.e2o.iter_rows())
            db.executemany("INSERT INTO object_object VALUES (?, ?, ?)", log.o2o.iter_rows())
        db.close()
        staging.replace(path)
    finally:
        db.close()
        staging.unlink(missing_ok=True)


def _create_core_tables(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
            PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier));
        CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT,
            PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier));
        """
    )


def _create_type_table(
    db: sqlite3.Connection, table: str, fixed: list[str], attributes: dict[str, str]
) -> None:
    _check_sql_names(table, attributes)
    columns = fixed + [f"{quote(a)} {_SQL_TYPES[t]}" for a, t in attributes.items()]
    db.execute(f"CREATE TABLE {quote(table)} ({', '.join(columns)})")


def _check_sql_names(table: str, attributes: dict[str, str]) -> None:
    # SQLite column names ignore case, so 'resource' and 'Resource' cannot both be columns.
    seen: dict[str, str] = {name.lower(): name for name in _FIXED_SQL_COLUMNS}
    for name in attributes:
        if name.lower() in seen:
            raise InputError(
                f"the attributes {seen[name.lower()]!r} and {name!r} of table {table} differ only "
                "in upper/lower case, which SQLite cannot tell apart: export to .jsonocel or "
                ".xmlocel instead."
            )
        seen[name.lower()] = name


def _insert(db: sqlite3.Connection, table: str, names: list[str], rows: list[list[Any]]) -> None:
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})"
    db.executemany(sql, rows)


def _write_sqlite_events(db: sqlite3.Connection, log: ObjectCentricLog) -> None:
    declared = _declarations(log, "event")
    suffixes = _table_suffixes(declared)
    db.executemany("INSERT INTO event_map_type VALUES (?, ?)", suffixes.items())
    db.executemany(
        "INSERT INTO event VALUES (?, ?)", log.events.select(EVENT_ID, EVENT_TYPE).rows()
    )
    by_type: dict[str, list[list[Any]]] = {}
    for e in _event_records(log):
        own = declared[e["type"]]
        row = [e["id"], e["time"], *(_sql_value(e["attributes"].get(a)) for a in own)]
        by_type.setdefault(e["type"], []).append(row)
    for type_name, attributes in declared.items():
        table = f"event_{suffixes[type_name]}"
        _create_type_table(
            db, table, ["ocel_id TEXT PRIMARY KEY", "ocel_time TIMESTAMP"], attributes
        )
        names = ["ocel_id", "ocel_time", *attributes]
        _insert(db, table, names, by_type.get(type_name, []))


def _write_sqlite_objects(db: sqlite3.Connection, log: ObjectCentricLog) -> None:
    declared = _declarations(log, "object")
    suffixes = _table_suffixes(declared)
    db.executemany("INSERT INTO object_map_type VALUES (?, ?)", suffixes.items())
    db.executemany("INSERT INTO object VALUES (?, ?)", log.objects.rows())
    by_type: dict[str, list[list[Any]]] = {}
    for o in _object_records(log):
        by_type.setdefault(o["type"], []).extend(_object_rows(o, list(declared[o["type"]])))
    fixed = ["ocel_id TEXT", "ocel_time TIMESTAMP", "ocel_changed_field TEXT"]
    for type_name, attributes in declared.items():
        table = f"object_{suffixes[type_name]}"
        _create_type_table(db, table, fixed, attributes)
        names = ["ocel_id", "ocel_time", "ocel_changed_field", *attributes]
        _insert(db, table, names, by_type.get(type_name, []))


def _object_rows(record: dict[str, Any], attributes: list[str]) -> list[list[Any]]:
    """The rows of one object: its epoch values in one row, then one row per later change.

    The epoch row is written even when empty, as pm4py does, since readers may list an object's
    type from its attribute table.
    """
    initial: dict[str, Any] = {}
    changed: list[list[Any]] = []
    for name, moment, value in record["attributes"]:
        if moment == EPOCH and name not in initial:
            initial[name] = value
            continue
        cells = [value if a == name else None for a in attributes]
        changed.append([record["id"], _iso(moment), name, *cells])
    first = [record["id"], _iso(EPOCH), None, *(initial.get(a) for a in attributes)]
    return [first, *changed]
