"""The object-centric event-log schema (OCEL 2.0), declared once, and pure transforms over it.

An object-centric log is six tables. Events and objects are related many-to-many (E2O) and objects
to objects (O2O), each relation with a qualifier; object attributes are time-stamped values
(``object_changes``), because in OCEL 2.0 an object's attributes may change over time. Every
timestamp is UTC. Nothing here reads or writes files: the readers and writers are in
``extractors.files.ocel``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from models.errors import InputError
from models.eventlog import REASON_COLUMN
from models.schema import ACTIVITY, CASE, EVENT_ORDER, SORT_KEY, TIMESTAMP, UTC_DATETIME

EVENT_ID: Final = "event_id"
EVENT_TYPE: Final = "event_type"
OBJECT_ID: Final = "object_id"
OBJECT_TYPE: Final = "object_type"
FIELD: Final = "field"
VALUE: Final = "value"
QUALIFIER: Final = "qualifier"
SOURCE_ID: Final = "source_id"
TARGET_ID: Final = "target_id"
SCOPE: Final = "scope"
TYPE_NAME: Final = "type_name"
ATTRIBUTE: Final = "attribute"
VALUE_TYPE: Final = "value_type"

AttributeType = Literal["string", "time", "integer", "float", "boolean"]
Scope = Literal["event", "object"]

ATTRIBUTE_DTYPES: Final[dict[str, pl.DataType]] = {
    "string": pl.String(),
    "time": UTC_DATETIME,
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "boolean": pl.Boolean(),
}

# In OCEL files an attribute value without a moment of its own (the object's initial value) is
# stamped with the Unix epoch; pm4py reads values at this instant as the object's static values.
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The object type a flat log's cases become when it is exported as OCEL, and their qualifier.
CASE_OBJECT_TYPE: Final = "case"

# Event attributes may not take these names: they are the events table's own columns or the
# canonical columns a flattened log is built from.
RESERVED_EVENT_COLUMNS: Final = frozenset(
    {EVENT_ID, EVENT_TYPE, TIMESTAMP, CASE, ACTIVITY, EVENT_ORDER}
)

SCHEMAS: Final[dict[str, dict[str, pl.DataType]]] = {
    "events": {EVENT_ID: pl.String(), EVENT_TYPE: pl.String(), TIMESTAMP: UTC_DATETIME},
    "objects": {OBJECT_ID: pl.String(), OBJECT_TYPE: pl.String()},
    "object_changes": {
        OBJECT_ID: pl.String(),
        TIMESTAMP: UTC_DATETIME,
        FIELD: pl.String(),
        VALUE: pl.String(),
    },
    "e2o": {EVENT_ID: pl.String(), OBJECT_ID: pl.String(), QUALIFIER: pl.String()},
    "o2o": {SOURCE_ID: pl.String(), TARGET_ID: pl.String(), QUALIFIER: pl.String()},
    "types": {
        SCOPE: pl.String(),
        TYPE_NAME: pl.String(),
        ATTRIBUTE: pl.String(),
        VALUE_TYPE: pl.String(),
    },
}
"""The fixed columns of each table (``events`` has one more column per event attribute)."""

TABLES: Final = tuple(SCHEMAS)


@dataclass(frozen=True)
class ObjectCentricLog:
    """An OCEL 2.0 log as polars frames. Times are UTC.

    ``events``: one row per event, in file order: event_id, event_type, timestamp, then one column
    per event attribute (null where the event's type lacks it).
    ``objects``: one row per object: object_id, object_type.
    ``object_changes``: one row per time-stamped attribute value of an object (object_id,
    timestamp, field, value as text); initial values carry the epoch 1970-01-01T00:00Z.
    ``e2o``: one row per qualified event-to-object relation (event_id, object_id, qualifier).
    ``o2o``: one row per qualified object-to-object relation (source_id, target_id, qualifier).
    ``types``: one row per declared attribute of an event or object type (scope "event" or
    "object", type_name, attribute, value_type one of string|time|integer|float|boolean); a type
    that declares no attribute has one row with a null attribute, so it is still known.
    """

    events: pl.DataFrame
    objects: pl.DataFrame
    object_changes: pl.DataFrame
    e2o: pl.DataFrame
    o2o: pl.DataFrame
    types: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        """The tables by name, as the store keeps them."""
        return {name: getattr(self, name) for name in TABLES}

    def object_types(self) -> list[str]:
        """The object types that have objects, sorted."""
        return sorted(self.objects[OBJECT_TYPE].unique().to_list())

    def event_attributes(self) -> list[str]:
        """The names of the events table's attribute columns."""
        return [c for c in self.events.columns if c not in SCHEMAS["events"]]


@dataclass(frozen=True)
class BuiltOcel:
    """A validated object-centric log and the rows set aside while building it.

    ``quarantine``: one row per rejected item (row_number = its 1-based position in its section of
    the file, reason, record = the item as JSON including its ``section``).
    """

    log: ObjectCentricLog
    quarantine: pl.DataFrame


def empty_table(name: str) -> pl.DataFrame:
    """An empty table of the fixed columns of ``name`` (one of ``TABLES``)."""
    return pl.DataFrame(schema=SCHEMAS[name])


def build_object_centric_log(
    *,
    events: pl.DataFrame,
    objects: pl.DataFrame,
    object_changes: pl.DataFrame,
    e2o: pl.DataFrame,
    o2o: pl.DataFrame,
    types: pl.DataFrame,
) -> BuiltOcel:
    """Check references and identities, quarantining what cannot stay, and assemble the log.

    The frames come in file order with the columns of ``SCHEMAS`` (``events`` with its attribute
    columns). ``events`` and ``object_changes`` may carry a ``_quarantine_reason`` column that a
    reader filled where it already knows a row is bad (an unreadable time, say). Relations to
    events or objects that are not in the log are quarantined with the reason, never dropped.
    Raises when no event is left.
    """
    bad: list[pl.DataFrame] = []
    good_events, rejected = _keep(events, "events", _event_reasons(events))
    bad.append(rejected)
    good_objects, rejected = _keep(objects, "objects", _object_reasons(objects))
    bad.append(rejected)
    if good_events.height == 0:
        raise InputError(_no_events_message(pl.concat(bad)))
    known_events = good_events[EVENT_ID]
    known_objects = good_objects[OBJECT_ID]
    quarantined_events = events[EVENT_ID].filter(~events[EVENT_ID].is_in(known_events.implode()))
    good_changes, rejected = _keep(
        object_changes, "object_changes", _change_reasons(object_changes, known_objects)
    )
    bad.append(rejected)
    good_e2o, rejected = _keep(
        e2o, "e2o", _e2o_reasons(e2o, known_events, quarantined_events, known_objects)
    )
    bad.append(rejected)
    good_o2o, rejected = _keep(o2o, "o2o", _o2o_reasons(o2o, known_objects))
    bad.append(rejected)
    log = ObjectCentricLog(
        events=good_events,
        objects=good_objects,
        object_changes=good_changes,
        e2o=good_e2o,
        o2o=good_o2o,
        types=types.select(list(SCHEMAS["types"])),
    )
    quarantine = pl.concat(bad, how="vertical")
    return BuiltOcel(log=log, quarantine=quarantine)


def _first_reason(checks: list[tuple[pl.Expr, str | pl.Expr]], given: pl.Expr) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, reason in reversed(checks):
        then = pl.lit(reason) if isinstance(reason, str) else reason
        expr = pl.when(condition).then(then).otherwise(expr)
    # A reason the reader gave comes first: it knows best why the row is unusable.
    return pl.coalesce(given, expr)


def _given_reason(frame: pl.DataFrame) -> pl.Expr:
    if REASON_COLUMN in frame.columns:
        return pl.col(REASON_COLUMN)
    return pl.lit(None, dtype=pl.String)


def _is_blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _repeats(columns: list[str]) -> pl.Expr:
    return ~pl.struct(columns).is_first_distinct()


def _event_reasons(events: pl.DataFrame) -> pl.Expr:
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        (_is_blank(EVENT_ID), "event without an id"),
        (_is_blank(EVENT_TYPE), "event without a type"),
        (pl.col(TIMESTAMP).is_null(), "event without a time"),
        (
            _repeats([EVENT_ID]),
            pl.format("repeats the id {} of an earlier event: event ids must be unique", EVENT_ID),
        ),
    ]
    return _first_reason(checks, _given_reason(events))


def _object_reasons(objects: pl.DataFrame) -> pl.Expr:
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        (_is_blank(OBJECT_ID), "object without an id"),
        (_is_blank(OBJECT_TYPE), "object without a type"),
        (
            _repeats([OBJECT_ID]),
            pl.format(
                "repeats the id {} of an earlier object: object ids must be unique", OBJECT_ID
            ),
        ),
    ]
    return _first_reason(checks, _given_reason(objects))


def _unknown_object(column: str, known: pl.Series, role: str) -> tuple[pl.Expr, pl.Expr]:
    return (
        (~pl.col(column).is_in(known.implode())).fill_null(True),
        pl.format(
            f"{role} object {{}} is not among the log's objects: add it (with its type) to the "
            "file's objects, or remove the relation",
            pl.col(column).fill_null("(missing)"),
        ),
    )


def _change_reasons(changes: pl.DataFrame, known_objects: pl.Series) -> pl.Expr:
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        _unknown_object(OBJECT_ID, known_objects, "the attribute value's"),
        (_is_blank(FIELD), "attribute value without an attribute name"),
        (pl.col(TIMESTAMP).is_null(), "attribute value without a time"),
    ]
    return _first_reason(checks, _given_reason(changes))


def _e2o_reasons(
    e2o: pl.DataFrame, known_events: pl.Series, quarantined: pl.Series, known_objects: pl.Series
) -> pl.Expr:
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        (
            pl.col(EVENT_ID).is_in(quarantined.implode()),
            pl.format("its event {} was quarantined", pl.col(EVENT_ID)),
        ),
        (
            (~pl.col(EVENT_ID).is_in(known_events.implode())).fill_null(True),
            pl.format(
                "event {} is not among the log's events", pl.col(EVENT_ID).fill_null("(missing)")
            ),
        ),
        _unknown_object(OBJECT_ID, known_objects, "the related"),
        (_repeats([EVENT_ID, OBJECT_ID, QUALIFIER]), "repeats an earlier event-object relation"),
    ]
    return _first_reason(checks, _given_reason(e2o))


def _o2o_reasons(o2o: pl.DataFrame, known_objects: pl.Series) -> pl.Expr:
    checks: list[tuple[pl.Expr, str | pl.Expr]] = [
        _unknown_object(SOURCE_ID, known_objects, "the source"),
        _unknown_object(TARGET_ID, known_objects, "the target"),
        (_repeats([SOURCE_ID, TARGET_ID, QUALIFIER]), "repeats an earlier object-object relation"),
    ]
    return _first_reason(checks, _given_reason(o2o))


def _keep(frame: pl.DataFrame, section: str, reason: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into the rows without a reason and quarantine rows for the others."""
    flagged = frame.with_row_index("_row", offset=1).with_columns(reason.alias("_reason"))
    good = flagged.filter(pl.col("_reason").is_null())
    keep = [c for c in frame.columns if c != REASON_COLUMN]
    return good.select(keep), _quarantine(flagged.filter(pl.col("_reason").is_not_null()), section)


def _quarantine(bad: pl.DataFrame, section: str) -> pl.DataFrame:
    record_columns = [c for c in bad.columns if c not in ("_row", "_reason", REASON_COLUMN)]
    record = pl.struct(
        pl.lit(section).alias("section"), *[pl.col(c).cast(pl.String) for c in record_columns]
    ).struct.json_encode()
    return bad.select(
        pl.col("_row").cast(pl.UInt64).alias("row_number"),
        pl.col("_reason").alias("reason"),
        record.alias("record"),
    )


def _no_events_message(bad: pl.DataFrame) -> str:
    counts = bad.group_by("reason").len().sort("len", descending=True).head(5)
    lines = "\n".join(f"  {n:>9,} rows: {reason}" for reason, n in counts.iter_rows())
    return "the OCEL file has no usable event:\n" + (lines or "  it lists no events at all.")


def flatten_ocel(log: ObjectCentricLog, object_type: str) -> pl.DataFrame:
    """The flat log of one object type: one row per (event, object of that type) pair.

    case_id is the object's id, activity the event type, event_order the event's position in the
    events table; event attributes follow as extra columns. Sorted by (case, time, order). An
    event related to two objects of the type appears in both cases (as pm4py's flattening does);
    one related to the same object under two qualifiers appears once.
    """
    known = log.object_types()
    if object_type not in known:
        raise InputError(
            f"the log has no object type {object_type!r}: flatten on one of "
            + ", ".join(repr(t) for t in known)
            + " (--object-type)."
        )
    of_type = log.objects.filter(pl.col(OBJECT_TYPE) == object_type).select(OBJECT_ID)
    pairs = (
        log.e2o.join(of_type, on=OBJECT_ID, how="semi")
        .select(EVENT_ID, OBJECT_ID)
        .unique(maintain_order=True)
    )
    events = log.events.with_row_index(EVENT_ORDER).with_columns(
        pl.col(EVENT_ORDER).cast(pl.UInt64)
    )
    flat = pairs.join(events, on=EVENT_ID, how="inner").select(
        pl.col(OBJECT_ID).alias(CASE),
        pl.col(EVENT_TYPE).cast(pl.Categorical()).alias(ACTIVITY),
        pl.col(TIMESTAMP),
        pl.col(EVENT_ORDER),
        *log.event_attributes(),
    )
    return flat.sort(list(SORT_KEY), maintain_order=True)


def ocel_from_flat(events: pl.DataFrame) -> ObjectCentricLog:
    """A flat canonical log as OCEL: each case an object of type ``case``.

    Every event gets the id ``e<position>`` (its 1-based position in the stored log) and one
    relation to its case object with the qualifier ``case``. Trace attributes (``case:<name>``
    columns) become the case objects' initial attribute values; every other extra column is an
    event attribute.
    """
    case_columns = [c for c in events.columns if c.startswith("case:")]
    attributes = [
        c
        for c in events.columns
        if c not in (CASE, ACTIVITY, TIMESTAMP, EVENT_ORDER, *case_columns)
    ]
    numbered = events.with_row_index("_n", offset=1).with_columns(
        pl.format("e{}", pl.col("_n")).alias(EVENT_ID)
    )
    ocel_events = numbered.select(
        pl.col(EVENT_ID),
        pl.col(ACTIVITY).cast(pl.String).alias(EVENT_TYPE),
        pl.col(TIMESTAMP).cast(UTC_DATETIME),
        *attributes,
    )
    case_ids = events.select(pl.col(CASE).unique(maintain_order=True))[CASE]
    return ObjectCentricLog(
        events=ocel_events,
        objects=pl.DataFrame(
            {OBJECT_ID: case_ids, OBJECT_TYPE: [CASE_OBJECT_TYPE] * len(case_ids)},
            schema=SCHEMAS["objects"],
        ),
        object_changes=_case_attribute_values(events, case_columns),
        e2o=numbered.select(
            pl.col(EVENT_ID),
            pl.col(CASE).alias(OBJECT_ID),
            pl.lit(CASE_OBJECT_TYPE).alias(QUALIFIER),
        ),
        o2o=empty_table("o2o"),
        types=_flat_types(ocel_events, case_columns),
    )


def _case_attribute_values(events: pl.DataFrame, case_columns: list[str]) -> pl.DataFrame:
    """One epoch-stamped value per case and trace attribute (its first non-null value)."""
    if not case_columns:
        return empty_table("object_changes")
    firsts = events.group_by(CASE, maintain_order=True).agg(
        pl.col(c).drop_nulls().first().cast(pl.String) for c in case_columns
    )
    long = firsts.unpivot(index=CASE, variable_name=FIELD, value_name=VALUE).drop_nulls(VALUE)
    return long.select(
        pl.col(CASE).alias(OBJECT_ID),
        pl.lit(EPOCH).cast(UTC_DATETIME).alias(TIMESTAMP),
        pl.col(FIELD).str.strip_prefix("case:"),
        pl.col(VALUE),
    )


def attribute_type_of(dtype: pl.DataType) -> AttributeType:
    """The OCEL attribute type that holds values of a polars ``dtype`` (text for the rest)."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.Boolean):
        return "boolean"
    if isinstance(dtype, pl.Datetime | pl.Date):
        return "time"
    return "string"


def _flat_types(ocel_events: pl.DataFrame, case_columns: list[str]) -> pl.DataFrame:
    attributes = [c for c in ocel_events.columns if c not in SCHEMAS["events"]]
    rows: list[tuple[str, str, str | None, str | None]] = []
    declared: list[tuple[str | None, str | None]] = [
        (a, attribute_type_of(ocel_events.schema[a])) for a in attributes
    ]
    for event_type in ocel_events[EVENT_TYPE].unique(maintain_order=True).to_list():
        rows.extend(("event", event_type, a, t) for a, t in declared or [(None, None)])
    case_attributes: list[str | None] = [c.removeprefix("case:") for c in case_columns]
    rows.extend(
        ("object", CASE_OBJECT_TYPE, a, "string" if a else None) for a in case_attributes or [None]
    )
    return pl.DataFrame(rows, schema=SCHEMAS["types"], orient="row")
