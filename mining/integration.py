"""How far the ServiceNow-to-Azure DevOps integration carries the orders, per Copenhagen month.

Input: the order links (``models/landscape_links.py``): one row per (order, work item) with
``item_number`` of the order, ``linked_by`` (the marks found, joined by ``+``), ``opened_at`` of
the order (UTC) and ``lag_s`` (seconds from the order to the work item, null when the item has
no creation time). An order counts as linked by the integration when one of its links
carries a mark the integration writes (``INTEGRATION_MARKS``); a link by RITM number alone was
pasted by hand. A link exists from its work item's creation (the order's time + ``lag_s``) on: as
of a day, a link whose item came later is not there yet (one without a lag is kept, as nothing
says when it came).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from mining.calendar_dk import DISPLAY_ZONE

# The marks the integration writes (models/landscape_links.py): a Hyperlink by sys_id and the
# item's correlation_id.
INTEGRATION_MARKS = ("hyperlink_sys_id", "correlation_id")


def compute_integration_share(links: pl.DataFrame, *, until: dt.date) -> pl.DataFrame:
    """One row per Copenhagen month of the order (orders opened up to ``until``, with their
    links made by then), sorted: ``month`` (its first day), ``orders`` linked to DevOps,
    ``integrated`` (of those, linked by the integration), ``integrated_pct`` and
    ``median_lag_s`` (median over the month's links, null when none has a lag)."""
    linked_at = pl.col("opened_at") + pl.duration(seconds=pl.col("lag_s"))
    return (
        links.filter(_copenhagen_day(linked_at).fill_null(until) <= until)
        .with_columns(day=_copenhagen_day(pl.col("opened_at")))
        .filter(pl.col("day") <= until)
        .with_columns(
            pl.col("day").dt.truncate("1mo").alias("month"),
            pl.any_horizontal(
                pl.col("linked_by").str.contains(mark, literal=True) for mark in INTEGRATION_MARKS
            ).alias("integrated"),
        )
        .group_by("month")
        .agg(
            pl.col("item_number").n_unique().alias("orders"),
            pl.col("item_number").filter("integrated").n_unique().alias("integrated"),
            pl.col("lag_s").median().alias("median_lag_s"),
        )
        .with_columns((pl.col("integrated") / pl.col("orders") * 100).alias("integrated_pct"))
        .select("month", "orders", "integrated", "integrated_pct", "median_lag_s")
        .sort("month")
    )


def _copenhagen_day(moment: pl.Expr) -> pl.Expr:
    return moment.dt.convert_time_zone(DISPLAY_ZONE).dt.date()
