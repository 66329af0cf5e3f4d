"""The ServiceNow order as one case: a requested item's events with its approvals and its tasks.

``build_events`` (extractors.servicenow) maps one task table at a time. An order (bestilling) is a
requested item (``sc_req_item``) whose work is done in catalog tasks (``sc_task``) and which may
wait for the customer's approval first. This module joins the pieces, pure and in memory:

- the item's own events (Created, State, Assigned to group/person, from ``sys_audit``);
- one event per audited approval change of the item (``fieldname='approval'``): "Approved",
  "Rejected", or "Approval: <value>" for other values; its org unit is the item's group at the
  time (the approver is a customer, not a service area);
- the events of each catalog task, prefixed "Task: " and moved into the order's case (the task's
  number is kept in ``task_number``). A task whose item is not among the extracted items is
  quarantined with the reason, never dropped;
- case attributes: the catalog item's name (``case:cat_item``), the request's number
  (``case:request``) and the DevOps Feature id the integration wrote (``case:correlation_id``).

Grain of the result: one row per event, canonical columns, ``event_order`` renumbered in
(case, time, item-before-approval-before-task, original order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from models.eventlog import REASON_COLUMN, quarantine_rows
from models.schema import ACTIVITY, CASE, EVENT_ORDER, ORG_UNIT, RESOURCE, SOURCE_SYSTEM, TIMESTAMP

TASK_PREFIX = "Task: "
APPROVAL_ACTIVITIES: Mapping[str, str] = {
    "approved": "Approved",
    "rejected": "Rejected",
    "requested": "Approval requested",
    "not requested": "Approval not requested",
}
_RANK = "_rank"


@dataclass(frozen=True)
class OrderEvents:
    """Order events ready for ``build_canonical_log`` and the rows set aside (with reasons)."""

    staged: pl.DataFrame
    quarantine: pl.DataFrame


def build_order_events(
    *,
    item_events: pl.DataFrame,
    task_events: pl.DataFrame,
    audit: pl.DataFrame,
    items: pl.DataFrame,
    tasks: pl.DataFrame,
    cat_items: pl.DataFrame | None = None,
    requests: pl.DataFrame | None = None,
) -> OrderEvents:
    """Join the item events, approval changes and task events into one case per item.

    ``item_events``/``task_events`` are ``build_events`` output for ``sc_req_item``/``sc_task``;
    ``audit``, ``items``, ``tasks``, ``cat_items`` and ``requests`` are staged tables.
    """
    approvals = approval_events(audit, items)
    moved, orphans = task_events_by_item(task_events, tasks, items)
    staged = order_events_of(
        item_events, approvals, moved, items=items, cat_items=cat_items, requests=requests
    )
    return OrderEvents(staged=staged, quarantine=orphans)


def order_events_of(
    item_events: pl.DataFrame,
    approvals: pl.DataFrame,
    moved: pl.DataFrame,
    *,
    items: pl.DataFrame,
    cat_items: pl.DataFrame | None = None,
    requests: pl.DataFrame | None = None,
    offset: int = 0,
) -> pl.DataFrame:
    """The order events of the item events, approval events (``approval_events``) and moved
    task events (``task_events_by_item``) of some whole orders, numbered from ``offset``: the
    orders cut into ranges of case ids, in order, give ``build_order_events``' rows."""
    parts = [
        _with_rank(item_events, 0),
        _with_rank(approvals, 1),
        _with_rank(moved, 2),
    ]
    columns = _union_columns(parts)
    merged = pl.concat([_aligned(p, columns) for p in parts], how="vertical")
    ordered = (
        merged.sort([CASE, TIMESTAMP, _RANK, EVENT_ORDER])
        .with_columns(
            # The approval's org unit: the group in charge of the item at that moment.
            pl.when(pl.col(_RANK) == 1)
            .then(pl.col(ORG_UNIT).forward_fill().over(CASE))
            .otherwise(pl.col(ORG_UNIT))
            .alias(ORG_UNIT),
        )
        .drop(EVENT_ORDER, _RANK)
        .with_row_index(EVENT_ORDER, offset=offset)
    )
    return _with_case_attributes(ordered, items, cat_items, requests)


def _with_rank(frame: pl.DataFrame, rank: int) -> pl.DataFrame:
    return frame.with_columns(pl.lit(rank, dtype=pl.Int8).alias(_RANK))


def _union_columns(parts: list[pl.DataFrame]) -> dict[str, pl.DataType]:
    columns: dict[str, pl.DataType] = {}
    for part in parts:
        for name, dtype in part.schema.items():
            columns.setdefault(name, dtype)
    return columns


def _aligned(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select(
        [
            (pl.col(n) if n in frame.columns else pl.lit(None)).cast(t).alias(n)
            for n, t in columns.items()
        ]
    )


def approval_events(audit: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """One event per audited approval change of an extracted item."""
    rows = audit.filter(
        (pl.col("tablename") == "sc_req_item") & (pl.col("fieldname") == "approval")
    ).join(
        items.select(pl.col("sys_id").alias("documentkey"), pl.col("number")),
        on="documentkey",
        how="inner",
    )
    new = pl.col("newvalue").fill_null("")
    label = new.replace_strict(
        dict(APPROVAL_ACTIVITIES), default=pl.lit("Approval: ") + new, return_dtype=pl.String
    )
    return rows.select(
        pl.col("number").alias(CASE),
        label.alias(ACTIVITY),
        pl.col("sys_created_on").alias(TIMESTAMP),
        pl.int_range(pl.len(), dtype=pl.UInt32).cast(pl.UInt64).alias(EVENT_ORDER),
        pl.col("user").alias(RESOURCE),
        pl.lit(None, dtype=pl.String).alias(ORG_UNIT),
        pl.lit("servicenow").alias(SOURCE_SYSTEM),
        pl.col("documentkey").alias("case:sys_id"),
        (pl.lit("sys_audit:") + pl.col("sys_id")).alias("source_record"),
    )


def task_events_by_item(
    task_events: pl.DataFrame, tasks: pl.DataFrame, items: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Task events moved into their item's case, and those of tasks without an extracted item."""
    owner = tasks.select(
        pl.col("sys_id").alias("case:sys_id"), pl.col("request_item").alias("item_sys_id")
    ).join(
        items.select(pl.col("sys_id").alias("item_sys_id"), pl.col("number").alias("item_number")),
        on="item_sys_id",
        how="left",
    )
    joined = task_events.join(owner, on="case:sys_id", how="left")
    orphan = joined.filter(pl.col("item_number").is_null())
    moved = joined.filter(pl.col("item_number").is_not_null()).select(
        pl.col("item_number").alias(CASE),
        (pl.lit(TASK_PREFIX) + pl.col(ACTIVITY).cast(pl.String)).alias(ACTIVITY),
        TIMESTAMP,
        EVENT_ORDER,
        RESOURCE,
        ORG_UNIT,
        SOURCE_SYSTEM,
        pl.col("item_sys_id").alias("case:sys_id"),
        pl.col(CASE).alias("task_number"),
        "source_record",
    )
    reason = (
        pl.lit("sc_task ")
        + pl.col(CASE)
        + pl.lit(" belongs to requested item ")
        + pl.col("item_sys_id").fill_null("(none)")
        + pl.lit(
            ", which is not among the extracted sc_req_item records: extract sc_req_item "
            "again (or check the integration user may read it)"
        )
    )
    bad = orphan.select(
        EVENT_ORDER,
        reason.alias(REASON_COLUMN),
        "source_record",
        pl.col(CASE).alias("task_number"),
        pl.col(ACTIVITY).cast(pl.String),
        pl.col(TIMESTAMP).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return moved, quarantine_rows(bad)


def _with_case_attributes(
    events: pl.DataFrame,
    items: pl.DataFrame,
    cat_items: pl.DataFrame | None,
    requests: pl.DataFrame | None,
) -> pl.DataFrame:
    attributes = items.select(
        pl.col("number").alias(CASE),
        pl.col("cat_item"),
        pl.col("request"),
        pl.col("correlation_id").replace("", None).alias("case:correlation_id")
        if "correlation_id" in items.columns
        else pl.lit(None, dtype=pl.String).alias("case:correlation_id"),
    )
    names = _lookup(cat_items, "name")
    numbers = _lookup(requests, "number")
    attributes = attributes.with_columns(
        pl.col("cat_item")
        .replace_strict(names, default=pl.col("cat_item"), return_dtype=pl.String)
        .alias("case:cat_item"),
        pl.col("request")
        .replace_strict(numbers, default=pl.col("request"), return_dtype=pl.String)
        .alias("case:request"),
    ).drop("cat_item", "request")
    return events.drop([c for c in attributes.columns if c != CASE], strict=False).join(
        attributes, on=CASE, how="left"
    )


def _lookup(frame: pl.DataFrame | None, column: str) -> dict[str, str]:
    if frame is None or frame.height == 0:
        return {}
    return dict(frame.select("sys_id", column).rows())
