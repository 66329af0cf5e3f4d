"""The processes within an event log: which group of cases (catalog item of an order, category of
an incident, else the whole log) each case belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from models.schema import CASE

# Columns that name the process of a case, most specific first.
GROUP_COLUMNS = ("case:cat_item_name", "case:cat_item", "case:category")
NO_GROUP = "(none)"
WHOLE_LOG = "(all cases)"


@dataclass(frozen=True)
class CaseGroups:
    """``cases``: one row per case, in the log's order: ``case_id`` and ``group``.
    ``found_by``: the case attribute that named the groups (one of ``GROUP_COLUMNS``),
    ``"catalog item"`` (the staged orders named them) or ``"log"`` (one group, the whole log)."""

    cases: pl.DataFrame
    found_by: str


def find_case_groups(
    events: pl.DataFrame,
    *,
    catalog_items: pl.DataFrame | None = None,
    ordered_items: pl.DataFrame | None = None,
) -> CaseGroups:
    """The group of each case: the first of ``GROUP_COLUMNS`` the log has (a catalog item's
    sys_id named through ``catalog_items``), else the catalog item of the order whose number
    is the case id (``ordered_items``), else the whole log. A case without a value is in
    ``(none)``.

    ``catalog_items``: ``sys_id``, ``name`` (staged ``sc_cat_item``); ``ordered_items``:
    ``number``, ``cat_item`` (staged ``sc_req_item``), each one row per key."""
    present = [c for c in GROUP_COLUMNS if c in events.columns]
    cases = events.group_by(CASE, maintain_order=True).agg(
        *(pl.col(c).drop_nulls().first().cast(pl.String) for c in present)
    )
    if present:
        return CaseGroups(_named_by_column(cases, present[0], catalog_items), present[0])
    if catalog_items is not None and ordered_items is not None:
        joined = cases.select(CASE).join(
            _item_of_order(ordered_items, catalog_items), on=CASE, how="left"
        )
        if joined["group"].null_count() < joined.height:
            return CaseGroups(
                joined.with_columns(pl.col("group").fill_null(NO_GROUP)), "catalog item"
            )
    return CaseGroups(cases.select(CASE, pl.lit(WHOLE_LOG).alias("group")), "log")


def _named_by_column(
    cases: pl.DataFrame, column: str, catalog_items: pl.DataFrame | None
) -> pl.DataFrame:
    named = cases.select(CASE, pl.col(column).alias("group"))
    if column == "case:cat_item" and catalog_items is not None:
        named = named.join(catalog_items, left_on="group", right_on="sys_id", how="left").select(
            CASE, pl.coalesce("name", "group").alias("group")
        )
    return named.with_columns(pl.col("group").fill_null(NO_GROUP))


def _item_of_order(ordered_items: pl.DataFrame, catalog_items: pl.DataFrame) -> pl.DataFrame:
    """``case_id`` (the RITM number) -> catalog item name (its sys_id when not named)."""
    return ordered_items.join(
        catalog_items, left_on="cat_item", right_on="sys_id", how="left"
    ).select(pl.col("number").alias(CASE), pl.coalesce("name", "cat_item").alias("group"))
