"""The KIT landscape as one object-centric log (OCEL 2.0): ServiceNow and Azure DevOps together.

Object types and their ids:

========================  ===========================  =====================================
type                      id                           from
========================  ===========================  =====================================
``request``               REQ number                   sc_request
``requested item``        RITM number                  sc_req_item
``task``                  SCTASK number                sc_task
``incident``              INC number                   incident
``epic``/``feature``/     ``ADO-<id>``                 Azure DevOps work items (other types:
``story``                                              their type, lower case)
``service area``          the ServiceNow group name    sys_user_group; DevOps area names are
                                                       matched by ``service_area_key``
========================  ===========================  =====================================

Events are the events of the three flat logs (incidents, orders, DevOps). Each is related (E2O)
to the object of its case (qualifier = that object's type), a task event also to its task, and
any event with an org unit to that service area (``handled by``). Object-to-object relations
(O2O): request ``contains`` item, item ``fulfilled by`` task, item ``implemented by`` work item,
work item ``parent`` work item (feature to epic, story to feature), and incident, item, task and
work item ``assigned to`` service area (the current assignment).

``build_landscape_ocel`` builds the tables in memory; ``write_landscape_ocel`` writes the same
tables, row for row, to Parquet files, reading the three event logs a range of rows at a time
(an event's id numbers its row in its log, so a range keeps its numbers), so its peak memory is
that of one range and of the objects, not of the logs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from models.landscape_links import service_area_key
from models.ocel import (
    EPOCH,
    EVENT_ID,
    EVENT_TYPE,
    FIELD,
    OBJECT_ID,
    OBJECT_TYPE,
    QUALIFIER,
    SCHEMAS,
    SOURCE_ID,
    TARGET_ID,
    VALUE,
    ObjectCentricLog,
)
from models.schema import ACTIVITY, CASE, ORG_UNIT, RESOURCE, SOURCE_SYSTEM, TIMESTAMP, UTC_DATETIME

SERVICE_AREA: Final = "service area"
WORK_ITEM_TYPES: Final[Mapping[str, str]] = {
    "Epic": "epic",
    "Feature": "feature",
    "User Story": "story",
}
EVENT_ATTRIBUTES: Final = (RESOURCE, SOURCE_SYSTEM)


@dataclass(frozen=True)
class LandscapeTables:
    """The inputs: the three flat logs' events and the staged tables the objects come from.

    The events are frames or lazy scans of the stored logs, in their stored row order (a scan
    is read a range of rows at a time). ``links`` is ``OrderLinks.links``; ``groups`` is
    sys_user_group (sys_id, name)."""

    incident_events: pl.DataFrame | pl.LazyFrame
    order_events: pl.DataFrame | pl.LazyFrame
    devops_events: pl.DataFrame | pl.LazyFrame
    requests: pl.DataFrame
    items: pl.DataFrame
    tasks: pl.DataFrame
    incidents: pl.DataFrame
    workitems: pl.DataFrame
    groups: pl.DataFrame
    links: pl.DataFrame


CHUNK_ROWS: Final = 500_000
"""Events of one log read at a time by ``write_landscape_ocel``."""

_E2O_PARTS: Final = ("own", "tasks", "handled")
"""The e2o relations in their order in the table: every event's own object, then the task of a
task event, then the service area that handled an event."""


@dataclass(frozen=True)
class _ObjectTables:
    """What the objects give, small beside the events: areas, objects, changes, o2o."""

    areas: dict[str, str]
    objects: pl.DataFrame
    object_changes: pl.DataFrame
    o2o: pl.DataFrame


@dataclass(frozen=True)
class WrittenOcel:
    """An object-centric log written to Parquet: one file per table (``models.ocel.TABLES``),
    and its objects (what its catalog entry counts)."""

    files: dict[str, Path]
    objects: pl.DataFrame


def build_landscape_ocel(tables: LandscapeTables) -> ObjectCentricLog:
    """The object-centric log of the landscape (see the module docstring), in memory."""
    built = _object_tables(tables)
    chunks = list(_event_chunks(tables, built, chunk_rows=None))
    events = pl.concat([c["events"] for c in chunks], how="vertical")
    return ObjectCentricLog(
        events=events,
        objects=built.objects,
        object_changes=built.object_changes,
        e2o=_of_known_objects(
            pl.concat([c[part] for part in _E2O_PARTS for c in chunks]).lazy(), built.objects
        ).collect(),
        o2o=built.o2o,
        types=_types(events.select(EVENT_TYPE), built.objects, built.object_changes),
    )


def write_landscape_ocel(
    tables: LandscapeTables, folder: Path, *, chunk_rows: int = CHUNK_ROWS
) -> WrittenOcel:
    """Write the tables of ``build_landscape_ocel(tables)`` (equal, row for row) to
    ``<table>.parquet`` files in ``folder``, reading each event log ``chunk_rows`` rows at a
    time: each range's events and relations are written as pieces, then streamed into one file
    per table, so no table is ever whole in memory."""
    built = _object_tables(tables)
    pieces: dict[str, list[Path]] = {"events": [], **{part: [] for part in _E2O_PARTS}}
    event_types = []
    for index, chunk in enumerate(_event_chunks(tables, built, chunk_rows=chunk_rows)):
        event_types.append(chunk["events"].select(pl.col(EVENT_TYPE).unique()))
        for name, frame in chunk.items():
            pieces[name].append(folder / f"{name}-{index:05d}.piece.parquet")
            frame.write_parquet(pieces[name][-1])
    files = {
        "events": _joined(pieces["events"], folder / "events.parquet"),
        "e2o": _joined(
            [p for part in _E2O_PARTS for p in pieces[part]],
            folder / "e2o.parquet",
            objects=built.objects,
        ),
    }
    types = _types(pl.concat(event_types), built.objects, built.object_changes)
    small = {
        "objects": built.objects,
        "object_changes": built.object_changes,
        "o2o": built.o2o,
        "types": types,
    }
    for name, frame in small.items():
        files[name] = folder / f"{name}.parquet"
        frame.write_parquet(files[name], statistics=True)
    return WrittenOcel(files={name: files[name] for name in SCHEMAS}, objects=built.objects)


def _joined(pieces: list[Path], target: Path, *, objects: pl.DataFrame | None = None) -> Path:
    """The pieces streamed one after the other into ``target`` (relations: only those to
    ``objects``), and removed."""
    rows = pl.concat([pl.scan_parquet(piece) for piece in pieces])
    if objects is not None:
        rows = _of_known_objects(rows, objects)
    rows.sink_parquet(target, statistics=True)
    for piece in pieces:
        piece.unlink()
    return target


def _object_tables(tables: LandscapeTables) -> _ObjectTables:
    """The objects and what hangs on them, built whole (one row per object or relation); of
    the event logs only the DevOps org units and the orders' catalog items are read."""
    org_units = tables.devops_events.lazy().select(pl.col(ORG_UNIT).unique()).collect()
    areas = _area_names(tables.groups, org_units.get_column(ORG_UNIT))
    objects = _objects(tables, areas)
    o2o = (
        _o2o(tables, areas)
        .join(objects.select(pl.col(OBJECT_ID).alias(TARGET_ID)), on=TARGET_ID, how="semi")
        .join(objects.select(pl.col(OBJECT_ID).alias(SOURCE_ID)), on=SOURCE_ID, how="semi")
        .unique(maintain_order=True)
    )
    return _ObjectTables(areas, objects, _object_changes(tables), o2o)


def work_item_object_id(column: str = "id") -> pl.Expr:
    """The object id of a DevOps work item: ``ADO-<id>``."""
    return pl.lit("ADO-") + pl.col(column).cast(pl.String)


def _work_item_type(column: str = "work_item_type") -> pl.Expr:
    return (
        pl.col(column)
        .replace_strict(dict(WORK_ITEM_TYPES), default=pl.col(column).str.to_lowercase())
        .cast(pl.String)
    )


def _area_names(groups: pl.DataFrame, devops_org_units: pl.Series) -> dict[str, str]:
    """Any spelling of a service area (ServiceNow group name, DevOps area name) to the
    ServiceNow name, which names the service-area objects."""
    names = groups["name"].drop_nulls().to_list()
    by_key = {service_area_key(n): n for n in names}
    spellings = set(names) | set(devops_org_units.drop_nulls().to_list())
    return {s: by_key.get(service_area_key(s), s) for s in spellings}


def _area(column: str, areas: Mapping[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(
        dict(areas), default=pl.col(column), return_dtype=pl.String
    )


def _event_chunks(
    tables: LandscapeTables, built: _ObjectTables, *, chunk_rows: int | None
) -> Iterator[dict[str, pl.DataFrame]]:
    """Each range of rows of each log (the whole log when ``chunk_rows`` is None), in order: its
    events and its e2o relations (own, tasks, handled; to objects of the log or not)."""
    logs = [
        (tables.incident_events, "sn-incident", pl.lit("incident"), None),
        (tables.order_events, "sn-order", pl.lit("requested item"), None),
        # A DevOps event's case is its work item's id; its type is the type at that revision.
        (tables.devops_events, "ado", _work_item_type("work_item_type"), work_item_object_id(CASE)),
    ]
    for log, prefix, qualifier, object_id in logs:
        for offset, rows in _row_ranges(log, chunk_rows):
            numbered = _event_part(rows, prefix, qualifier, object_id=object_id, offset=offset)
            yield _events_and_e2o(numbered, built.areas)


def _of_known_objects(e2o: pl.LazyFrame, objects: pl.DataFrame) -> pl.LazyFrame:
    """The relations to an object of the log, in their order."""
    known = objects.lazy().select(OBJECT_ID)
    return e2o.join(known, on=OBJECT_ID, how="semi", maintain_order="left")


_EVENT_COLUMNS: Final = (CASE, ACTIVITY, TIMESTAMP, *EVENT_ATTRIBUTES, ORG_UNIT)
"""The columns of a log the events and their relations are made of (with ``task_number`` and
``work_item_type`` where the log has them)."""


def _row_ranges(
    log: pl.DataFrame | pl.LazyFrame, chunk_rows: int | None
) -> Iterator[tuple[int, pl.DataFrame]]:
    """(offset, rows) of each range of ``chunk_rows`` rows of ``log`` (at least one range)."""
    lazy = log.lazy()
    present = lazy.collect_schema().names()
    wanted = [*_EVENT_COLUMNS, "task_number", "work_item_type"]
    lazy = lazy.select([c for c in wanted if c in present])
    if chunk_rows is None:
        yield 0, lazy.collect()
        return
    rows = lazy.select(pl.len()).collect().item()
    for offset in range(0, max(rows, 1), chunk_rows):
        yield offset, lazy.slice(offset, chunk_rows).collect()


def _events_and_e2o(numbered: pl.DataFrame, areas: Mapping[str, str]) -> dict[str, pl.DataFrame]:
    events = numbered.select(
        EVENT_ID,
        pl.col(ACTIVITY).alias(EVENT_TYPE),
        pl.col(TIMESTAMP).cast(UTC_DATETIME),
        *EVENT_ATTRIBUTES,
    )
    own = numbered.select(EVENT_ID, pl.col("_object").alias(OBJECT_ID), pl.col("_qualifier"))
    tasks = numbered.filter(pl.col("task_number").is_not_null()).select(
        EVENT_ID, pl.col("task_number").alias(OBJECT_ID), pl.lit("task").alias("_qualifier")
    )
    handled = numbered.filter(pl.col(ORG_UNIT).is_not_null()).select(
        EVENT_ID, _area(ORG_UNIT, areas).alias(OBJECT_ID), pl.lit("handled by").alias("_qualifier")
    )
    e2o = {"own": own, "tasks": tasks, "handled": handled}
    columns = list(SCHEMAS["e2o"])
    return {
        "events": events,
        **{name: f.rename({"_qualifier": QUALIFIER}).select(columns) for name, f in e2o.items()},
    }


def _event_part(
    events: pl.DataFrame,
    prefix: str,
    qualifier: pl.Expr,
    *,
    object_id: pl.Expr | None = None,
    offset: int = 0,
) -> pl.DataFrame:
    """The events numbered from ``offset + 1`` (their rows in the log), with their object."""
    task = pl.col("task_number") if "task_number" in events.columns else pl.lit(None)
    return events.with_row_index("_n", offset=offset + 1).select(
        (pl.lit(f"{prefix}-") + pl.col("_n").cast(pl.String)).alias(EVENT_ID),
        pl.col(ACTIVITY).cast(pl.String),
        TIMESTAMP,
        *[
            (pl.col(a) if a in events.columns else pl.lit(None)).cast(pl.String).alias(a)
            for a in (*EVENT_ATTRIBUTES, ORG_UNIT)
        ],
        (object_id if object_id is not None else pl.col(CASE)).alias("_object"),
        qualifier.alias("_qualifier"),
        task.cast(pl.String).alias("task_number"),
    )


def _objects(tables: LandscapeTables, areas: Mapping[str, str]) -> pl.DataFrame:
    parts = [
        tables.requests.select(pl.col("number").alias(OBJECT_ID), pl.lit("request")),
        tables.items.select(pl.col("number").alias(OBJECT_ID), pl.lit("requested item")),
        tables.tasks.select(pl.col("number").alias(OBJECT_ID), pl.lit("task")),
        tables.incidents.select(pl.col("number").alias(OBJECT_ID), pl.lit("incident")),
        tables.workitems.select(work_item_object_id().alias(OBJECT_ID), _work_item_type()),
        pl.DataFrame({OBJECT_ID: sorted(set(areas.values()))}).select(
            OBJECT_ID, pl.lit(SERVICE_AREA)
        ),
    ]
    return pl.concat(
        [p.rename({p.columns[1]: OBJECT_TYPE}).cast(pl.String) for p in parts], how="vertical"
    ).unique(OBJECT_ID, keep="first", maintain_order=True)


def _o2o(tables: LandscapeTables, areas: Mapping[str, str]) -> pl.DataFrame:
    def assigned(frame: pl.DataFrame, source: pl.Expr) -> pl.DataFrame:
        group = _looked_up("assignment_group", tables.groups, "sys_id", "name")
        return frame.select(
            source.alias(SOURCE_ID), group.alias(TARGET_ID), pl.lit("assigned to").alias(QUALIFIER)
        )

    workitems = tables.workitems
    parts = [
        tables.items.select(
            _looked_up("request", tables.requests, "sys_id", "number").alias(SOURCE_ID),
            pl.col("number").alias(TARGET_ID),
            pl.lit("contains").alias(QUALIFIER),
        ),
        tables.tasks.select(
            _looked_up("request_item", tables.items, "sys_id", "number").alias(SOURCE_ID),
            pl.col("number").alias(TARGET_ID),
            pl.lit("fulfilled by").alias(QUALIFIER),
        ),
        tables.links.select(
            pl.col("item_number").alias(SOURCE_ID),
            work_item_object_id("work_item_id").alias(TARGET_ID),
            pl.lit("implemented by").alias(QUALIFIER),
        ),
        workitems.filter(pl.col("parent").is_not_null()).select(
            work_item_object_id().alias(SOURCE_ID),
            work_item_object_id("parent").alias(TARGET_ID),
            pl.lit("parent").alias(QUALIFIER),
        ),
        assigned(tables.items, pl.col("number")),
        assigned(tables.tasks, pl.col("number")),
        assigned(tables.incidents, pl.col("number")),
        _work_item_areas(workitems, areas),
    ]
    return pl.concat(parts, how="vertical").drop_nulls()


def _looked_up(column: str, table: pl.DataFrame, key: str, value: str) -> pl.Expr:
    """``column``'s values looked up in ``table``'s ``key`` column, giving its ``value`` (the
    last row of a key, as a dict of the rows would); null where there is none."""
    pairs = table.select(key, value).unique(key, keep="last")
    return pl.col(column).replace_strict(pairs[key], pairs[value], default=None)


def _work_item_areas(workitems: pl.DataFrame, areas: Mapping[str, str]) -> pl.DataFrame:
    """Each work item's service area: the last segment of its area path."""
    name = pl.col("area_path").str.split("\\").list.last()
    return workitems.select(
        work_item_object_id().alias(SOURCE_ID),
        name.replace_strict(dict(areas), default=name, return_dtype=pl.String).alias(TARGET_ID),
        pl.lit("assigned to").alias(QUALIFIER),
    ).filter(pl.col(TARGET_ID).is_in(list(areas.values())))


def _object_changes(tables: LandscapeTables) -> pl.DataFrame:
    """Initial (epoch-stamped) attribute values: an item's catalog item, a work item's state
    and area path, an incident's priority."""
    epoch = pl.lit(EPOCH).cast(UTC_DATETIME).alias(TIMESTAMP)
    orders = tables.order_events.lazy()
    has_cat_item = "case:cat_item" in orders.collect_schema().names()
    parts = [
        orders.group_by(CASE, maintain_order=True)
        .agg(pl.col("case:cat_item").first())
        .select(
            pl.col(CASE).alias(OBJECT_ID),
            epoch,
            pl.lit("catalog_item").alias(FIELD),
            pl.col("case:cat_item").alias(VALUE),
        )
        .collect()
        if has_cat_item
        else None,
        tables.workitems.select(
            work_item_object_id().alias(OBJECT_ID),
            epoch,
            pl.lit("area_path").alias(FIELD),
            pl.col("area_path").alias(VALUE),
        ),
        tables.incidents.select(
            pl.col("number").alias(OBJECT_ID),
            epoch,
            pl.lit("priority").alias(FIELD),
            pl.col("priority").alias(VALUE),
        ),
    ]
    frames = [p for p in parts if p is not None]
    return (
        pl.concat(frames, how="vertical").drop_nulls(VALUE).select(list(SCHEMAS["object_changes"]))
    )


def _types(event_types: pl.DataFrame, objects: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """The declared attributes of every event type (in ``event_types``, any repeats) and of
    every object type."""
    rows: list[tuple[str, str, str | None, str | None]] = []
    for event_type in event_types[EVENT_TYPE].unique().sort().to_list():
        rows.extend(("event", event_type, a, "string") for a in EVENT_ATTRIBUTES)
    fields = (
        changes.join(objects, on=OBJECT_ID)
        .select(OBJECT_TYPE, FIELD)
        .unique()
        .group_by(OBJECT_TYPE)
        .agg(pl.col(FIELD).sort())
    )
    by_type = {t: list(f) for t, f in fields.iter_rows()}
    for object_type in objects[OBJECT_TYPE].unique().sort().to_list():
        declared = by_type.get(object_type) or [None]
        rows.extend(("object", object_type, f, "string" if f else None) for f in declared)
    return pl.DataFrame(rows, schema=SCHEMAS["types"], orient="row")
