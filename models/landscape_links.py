"""Following one order across systems: ServiceNow requested items linked to Azure DevOps work items.

An order (a requested item, ``sc_req_item``) is linked to the work items created from it by any
of three marks (sources.md 6):

- ``hyperlink_sys_id``: a work item's ``Hyperlink`` relation to ``.../sc_req_item.do?sys_id=<id>``
  (what the integration writes);
- ``hyperlink_number``: a ``Hyperlink`` with ``...sysparm_query=number=<RITM number>`` (what
  coordinators pasted by hand before the integration);
- ``correlation_id``: the item's ``correlation_id`` holding the work item's id.

A mark that points at nothing extracted is kept as a *dangling* link with the reason, and every
item without a link is listed, so nothing disappears silently. Pure functions over staged frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import polars as pl

from models.schema import ACTIVITY, CASE, EVENT_ORDER, ORG_UNIT, SOURCE_SYSTEM, TIMESTAMP

HYPERLINK: Final = "Hyperlink"
LINK_MARKS: Final = ("hyperlink_sys_id", "hyperlink_number", "correlation_id")
_SYS_ID_IN_URL: Final = r"sc_req_item\.do\?sys_id=([0-9a-fA-F]{32})"
_NUMBER_IN_URL: Final = r"number=(RITM\d+)"


@dataclass(frozen=True)
class OrderLinks:
    """The links between orders and work items.

    ``links``: one row per (order, work item): item_sys_id, item_number, work_item_id,
    work_item_type, linked_by (the marks found, joined by '+'), opened_at (the item's),
    devops_created_at (the work item's System.CreatedDate), lag_s (whole seconds from the
    first to the second).
    ``dangling``: one row per mark that points at nothing extracted: mark, work_item_id,
    target (the sys_id, number or id named), reason.
    ``unlinked``: one row per item without any link: item_sys_id, item_number, cat_item.
    """

    links: pl.DataFrame
    dangling: pl.DataFrame
    unlinked: pl.DataFrame

    @property
    def linked_orders(self) -> int:
        """How many orders have at least one linked work item."""
        return self.links["item_number"].n_unique()


def find_order_links(
    items: pl.DataFrame, workitems: pl.DataFrame, relations: pl.DataFrame
) -> OrderLinks:
    """Link staged ``sc_req_item`` rows to staged Azure DevOps work items (see module doc).

    ``relations`` is the staged relations table (id, rel, url and, when the extractor parsed
    them, servicenow_sys_id and servicenow_number)."""
    marks = pl.concat(
        [_hyperlink_marks(relations), _correlation_marks(items)], how="vertical"
    ).unique()
    item_keys = items.select(
        pl.col("sys_id").alias("item_sys_id"), pl.col("number").alias("item_number"), "opened_at"
    )
    by_sys_id = marks.filter(pl.col("mark") != "hyperlink_number").join(
        item_keys, left_on="target", right_on="item_sys_id", how="left", coalesce=False
    )
    by_number = marks.filter(pl.col("mark") == "hyperlink_number").join(
        item_keys, left_on="target", right_on="item_number", how="left", coalesce=False
    )
    found = pl.concat([by_sys_id, by_number], how="diagonal_relaxed")
    known_items = workitems.select(
        pl.col("id").alias("work_item_id"),
        "work_item_type",
        pl.col("created_date").alias("devops_created_at"),
    )
    with_items = found.join(known_items, on="work_item_id", how="left")
    dangling = _dangling(with_items)
    good = with_items.filter(
        pl.col("item_sys_id").is_not_null() & pl.col("work_item_type").is_not_null()
    )
    links = (
        good.group_by("item_sys_id", "item_number", "work_item_id")
        .agg(
            pl.col("mark").unique().sort().str.join("+").alias("linked_by"),
            pl.col("work_item_type").first(),
            pl.col("opened_at").first(),
            pl.col("devops_created_at").first(),
        )
        .with_columns(_lag_s().alias("lag_s"))
        .sort("item_number", "work_item_id")
    )
    unlinked = (
        items.filter(~pl.col("sys_id").is_in(links["item_sys_id"].implode()))
        .select(
            pl.col("sys_id").alias("item_sys_id"),
            pl.col("number").alias("item_number"),
            pl.col("cat_item"),
        )
        .sort("item_number")
    )
    return OrderLinks(links=links, dangling=dangling, unlinked=unlinked)


def _lag_s() -> pl.Expr:
    """Whole seconds from the item's opening to the work item's creation: ServiceNow times
    have one-second precision, so DevOps' milliseconds are truncated, not compared."""
    return (pl.col("devops_created_at").dt.truncate("1s") - pl.col("opened_at")).dt.total_seconds()


def _hyperlink_marks(relations: pl.DataFrame) -> pl.DataFrame:
    """One row per Hyperlink that names a requested item: mark, work_item_id, target."""
    hyperlinks = relations.filter(pl.col("rel") == HYPERLINK)
    parsed_sys_id = pl.col("url").str.extract(_SYS_ID_IN_URL, 1).str.to_lowercase()
    parsed_number = pl.col("url").str.extract(_NUMBER_IN_URL, 1)
    sys_id = _column_or_null(hyperlinks, "servicenow_sys_id")
    number = _column_or_null(hyperlinks, "servicenow_number")
    frame = hyperlinks.select(
        pl.col("id").alias("work_item_id"),
        pl.coalesce(sys_id, parsed_sys_id).alias("sys_id"),
        pl.coalesce(number, parsed_number).alias("number"),
    )
    return pl.concat(
        [
            frame.filter(pl.col("sys_id").is_not_null()).select(
                pl.lit("hyperlink_sys_id").alias("mark"),
                "work_item_id",
                pl.col("sys_id").alias("target"),
            ),
            frame.filter(pl.col("number").is_not_null()).select(
                pl.lit("hyperlink_number").alias("mark"),
                "work_item_id",
                pl.col("number").alias("target"),
            ),
        ],
        how="vertical",
    )


def _column_or_null(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def _correlation_marks(items: pl.DataFrame) -> pl.DataFrame:
    """One row per item whose correlation_id holds a work item id."""
    if "correlation_id" not in items.columns:
        return pl.DataFrame(
            schema={"mark": pl.String, "work_item_id": pl.Int64, "target": pl.String}
        )
    named = items.filter(pl.col("correlation_id").fill_null("") != "")
    return (
        named.select(
            pl.lit("correlation_id").alias("mark"),
            pl.col("correlation_id")
            .str.strip_chars()
            .cast(pl.Int64, strict=False)
            .alias("work_item_id"),
            pl.col("sys_id").alias("target"),
            pl.col("correlation_id").alias("_raw"),
        )
        .with_columns(
            # A correlation_id that is no number cannot name a work item: keep it to report it.
            pl.when(pl.col("work_item_id").is_null())
            .then(pl.lit(-1, dtype=pl.Int64))
            .otherwise(pl.col("work_item_id"))
            .alias("work_item_id")
        )
        .drop("_raw")
    )


def _dangling(found: pl.DataFrame) -> pl.DataFrame:
    no_item = pl.col("item_sys_id").is_null()
    no_work_item = pl.col("work_item_type").is_null()
    reason = (
        pl.when(no_item & (pl.col("mark") == "hyperlink_number"))
        .then(pl.lit("the Hyperlink names a requested item number that was not extracted"))
        .when(no_item)
        .then(pl.lit("the Hyperlink names a requested item sys_id that was not extracted"))
        .when(no_work_item & (pl.col("work_item_id") < 0))
        .then(pl.lit("correlation_id is not a work item id (not a number)"))
        .otherwise(pl.lit("correlation_id names a work item that was not extracted"))
    )
    return (
        found.filter(no_item | no_work_item)
        .select("mark", "work_item_id", "target", reason.alias("reason"))
        .sort("mark", "work_item_id", "target")
    )


# -- the flattened case view ---------------------------------------------------------------------


def build_order_case_view(
    order_events: pl.DataFrame | pl.LazyFrame,
    devops_events: pl.DataFrame | pl.LazyFrame,
    links: pl.DataFrame,
    workitems: pl.DataFrame,
) -> pl.DataFrame:
    """One case per linked order (the RITM number): its ServiceNow events, and the Azure DevOps
    events of each linked work item and of that item's children (the Feature's Stories).

    DevOps activities are prefixed with the work item type ("Feature: Created", "User Story:
    State: Active"); ``work_item_id`` and ``work_item_type`` say which item an event belongs
    to; their org units are spelt as the orders' (``unify_area_names``). Grain: one row per
    event, ``event_order`` renumbered in (case, time, source order). The logs may be lazy
    scans: only the linked orders' and work items' rows are read."""
    linked = links.select("item_number", "work_item_id", pl.col("linked_by").alias("_by"))
    children = workitems.filter(pl.col("parent").is_not_null()).select(
        pl.col("parent").alias("work_item_id"), pl.col("id").alias("child_id")
    )
    members = pl.concat(
        [
            linked.select("item_number", "work_item_id"),
            linked.join(children, on="work_item_id").select(
                "item_number", pl.col("child_id").alias("work_item_id")
            ),
        ],
        how="vertical",
    ).unique()
    types = workitems.select(pl.col("id").alias("work_item_id"), "work_item_type")
    work_item = pl.col(CASE).cast(pl.Int64)
    devops = (
        devops_events.lazy()
        .filter(work_item.is_in(members.get_column("work_item_id").implode()))
        .collect()
        .with_columns(work_item.alias("work_item_id"))
        .drop("work_item_type", strict=False)
        .join(members, on="work_item_id", how="inner")
        .join(types, on="work_item_id", how="left")
        .with_columns(
            pl.col("item_number").alias(CASE),
            (pl.col("work_item_type") + pl.lit(": ") + pl.col(ACTIVITY).cast(pl.String)).alias(
                ACTIVITY
            ),
            pl.lit(1, dtype=pl.Int8).alias("_part"),
        )
        .drop("item_number")
    )
    linked_orders = pl.col(CASE).is_in(linked["item_number"].implode())
    orders = (
        order_events.lazy()
        .filter(linked_orders)
        .collect()
        .with_columns(pl.col(ACTIVITY).cast(pl.String), pl.lit(0, dtype=pl.Int8).alias("_part"))
    )
    devops = devops.select(
        [c for c in devops.columns if not c.startswith("case:") and c in _DEVOPS_KEPT]
    )
    merged = pl.concat([orders, unify_area_names(devops, orders)], how="diagonal_relaxed")
    firsts = linked.group_by("item_number").agg(
        pl.col("work_item_id").min().alias("case:work_item_id"),
        pl.col("_by").unique().sort().str.join("+").alias("case:linked_by"),
    )
    return (
        merged.sort([CASE, TIMESTAMP, "_part", EVENT_ORDER])
        .drop(EVENT_ORDER, "_part")
        .with_row_index(EVENT_ORDER)
        .join(firsts.rename({"item_number": CASE}), on=CASE, how="left")
        .with_columns(_fill_case_columns(orders.columns))
    )


_DEVOPS_KEPT: Final = frozenset(
    {
        CASE,
        ACTIVITY,
        TIMESTAMP,
        EVENT_ORDER,
        "resource",
        ORG_UNIT,
        SOURCE_SYSTEM,
        "work_item_id",
        "work_item_type",
        "_part",
    }
)


def _fill_case_columns(order_columns: list[str]) -> list[pl.Expr]:
    """Trace attributes of the order spread to its DevOps events too."""
    return [
        pl.col(c).fill_null(pl.col(c).drop_nulls().first().over(CASE))
        for c in order_columns
        if c.startswith("case:")
    ]


def unify_area_names(events: pl.DataFrame, named_by: pl.DataFrame) -> pl.DataFrame:
    """``events`` with each org unit spelt as ``named_by`` spells it (by ``service_area_key``):
    DevOps' "Drift og Infrastruktur" becomes ServiceNow's "Drift & Infrastruktur", so one unit
    in the case view is one unit for its handovers, ping-pong and filters."""
    if ORG_UNIT not in events.columns or ORG_UNIT not in named_by.columns:
        return events
    names = named_by.get_column(ORG_UNIT).cast(pl.String).drop_nulls().unique().sort()
    by_key = {service_area_key(n): n for n in names.to_list()}
    spellings = events.get_column(ORG_UNIT).cast(pl.String).drop_nulls().unique().to_list()
    renamed = {s: by_key[service_area_key(s)] for s in spellings if service_area_key(s) in by_key}
    return events.with_columns(pl.col(ORG_UNIT).cast(pl.String).replace(renamed))


def service_area_key(name: str) -> str:
    """The form two systems' names of one service area share: ServiceNow's group "Drift &
    Infrastruktur" and DevOps' area "Drift og Infrastruktur" are both "drift og infrastruktur"."""
    return re.sub(r"\s+", " ", name.replace("&", " og ")).strip().casefold()
