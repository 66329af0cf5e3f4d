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
work item ``assigned to`` service area (the current assignment). Pure functions, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

    ``links`` is ``OrderLinks.links``; ``groups`` is sys_user_group (sys_id, name)."""

    incident_events: pl.DataFrame
    order_events: pl.DataFrame
    devops_events: pl.DataFrame
    requests: pl.DataFrame
    items: pl.DataFrame
    tasks: pl.DataFrame
    incidents: pl.DataFrame
    workitems: pl.DataFrame
    groups: pl.DataFrame
    links: pl.DataFrame


def build_landscape_ocel(tables: LandscapeTables) -> ObjectCentricLog:
    """The object-centric log of the landscape (see the module docstring)."""
    areas = _area_names(tables)
    events, e2o = _events_and_e2o(tables, areas)
    objects = _objects(tables, areas)
    o2o = _o2o(tables, areas)
    changes = _object_changes(tables)
    return ObjectCentricLog(
        events=events,
        objects=objects,
        object_changes=changes,
        e2o=e2o.join(objects.select(OBJECT_ID), on=OBJECT_ID, how="semi"),
        o2o=o2o.join(objects.select(pl.col(OBJECT_ID).alias(TARGET_ID)), on=TARGET_ID, how="semi")
        .join(objects.select(pl.col(OBJECT_ID).alias(SOURCE_ID)), on=SOURCE_ID, how="semi")
        .unique(maintain_order=True),
        types=_types(events, objects, changes),
    )


def work_item_object_id(column: str = "id") -> pl.Expr:
    """The object id of a DevOps work item: ``ADO-<id>``."""
    return pl.lit("ADO-") + pl.col(column).cast(pl.String)


def _work_item_type(column: str = "work_item_type") -> pl.Expr:
    return (
        pl.col(column)
        .replace_strict(dict(WORK_ITEM_TYPES), default=pl.col(column).str.to_lowercase())
        .cast(pl.String)
    )


def _area_names(tables: LandscapeTables) -> dict[str, str]:
    """Any spelling of a service area (ServiceNow group name, DevOps area name) to the
    ServiceNow name, which names the service-area objects."""
    names = tables.groups["name"].drop_nulls().to_list()
    by_key = {service_area_key(n): n for n in names}
    spellings = set(names) | set(tables.devops_events[ORG_UNIT].drop_nulls().unique().to_list())
    return {s: by_key.get(service_area_key(s), s) for s in spellings}


def _area(column: str, areas: Mapping[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(
        dict(areas), default=pl.col(column), return_dtype=pl.String
    )


def _events_and_e2o(
    tables: LandscapeTables, areas: Mapping[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    parts = [
        _event_part(tables.incident_events, "sn-incident", pl.lit("incident")),
        _event_part(tables.order_events, "sn-order", pl.lit("requested item")),
        # A DevOps event's case is its work item's id; its type is the type at that revision.
        _event_part(
            tables.devops_events,
            "ado",
            _work_item_type("work_item_type"),
            object_id=work_item_object_id(CASE),
        ),
    ]
    numbered = pl.concat(parts, how="diagonal_relaxed")
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
    e2o = pl.concat([own, tasks, handled], how="vertical").rename({"_qualifier": QUALIFIER})
    return events, e2o.select(list(SCHEMAS["e2o"]))


def _event_part(
    events: pl.DataFrame, prefix: str, qualifier: pl.Expr, *, object_id: pl.Expr | None = None
) -> pl.DataFrame:
    task = pl.col("task_number") if "task_number" in events.columns else pl.lit(None)
    return events.with_row_index("_n", offset=1).select(
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
    requests = dict(tables.requests.select("sys_id", "number").rows())
    items = dict(tables.items.select("sys_id", "number").rows())
    groups = dict(tables.groups.select("sys_id", "name").rows())

    def assigned(frame: pl.DataFrame, source: pl.Expr) -> pl.DataFrame:
        group = pl.col("assignment_group").replace_strict(groups, default=None)
        return frame.select(
            source.alias(SOURCE_ID), group.alias(TARGET_ID), pl.lit("assigned to").alias(QUALIFIER)
        )

    workitems = tables.workitems
    parts = [
        tables.items.select(
            pl.col("request").replace_strict(requests, default=None).alias(SOURCE_ID),
            pl.col("number").alias(TARGET_ID),
            pl.lit("contains").alias(QUALIFIER),
        ),
        tables.tasks.select(
            pl.col("request_item").replace_strict(items, default=None).alias(SOURCE_ID),
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
    cat_items = tables.order_events.group_by(CASE).agg(pl.col("case:cat_item").first())
    parts = [
        cat_items.select(
            pl.col(CASE).alias(OBJECT_ID),
            epoch,
            pl.lit("catalog_item").alias(FIELD),
            pl.col("case:cat_item").alias(VALUE),
        )
        if "case:cat_item" in tables.order_events.columns
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


def _types(events: pl.DataFrame, objects: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    rows: list[tuple[str, str, str | None, str | None]] = []
    for event_type in events[EVENT_TYPE].unique().sort().to_list():
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
