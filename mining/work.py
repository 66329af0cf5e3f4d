"""The work a solution takes over: its cases in the staged ServiceNow tables, and the human
handling time of each case in the event log of those tables.

A ``WorkSelector`` (models/followup.py) names the work: the incidents of a category, or the
orders (``sc_req_item``) of some catalog items. With ``start``/``end`` activities, the cases of
orders are their catalog tasks (``sc_task``), since a person handles a task, and each keeps its
order's number as ``reference`` (robots and time registration cite the order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from mining.durations import compute_time_between
from models.followup import WorkSelector
from models.schema import ACTIVITY, CASE, RESOURCE


def find_work_cases(tables: Mapping[str, pl.DataFrame], *, selector: WorkSelector) -> pl.DataFrame:
    """One row per case of the work: ``case_id`` (the case in the event log), ``reference``
    (the order or incident number, as robots and time registration cite it) and ``opened``.

    ``tables``: the staged ServiceNow tables by name (``incident``; or ``sc_cat_item``,
    ``sc_req_item`` and, with ``selector.start``, ``sc_task``)."""
    if selector.table == "incident":
        incidents = tables["incident"].filter(pl.col("category") == selector.category)
        return _cases_by_number(incidents)
    items = tables["sc_cat_item"].filter(pl.col("name").is_in(list(selector.catalog_items)))
    orders = tables["sc_req_item"].filter(pl.col("cat_item").is_in(items["sys_id"].implode()))
    if selector.start is None:
        return _cases_by_number(orders)
    return (
        tables["sc_task"]
        .join(orders.select("sys_id", pl.col("number").alias("reference")),
              left_on="request_item", right_on="sys_id")
        .select(pl.col("number").alias(CASE), "reference", pl.col("opened_at").alias("opened"))
    )  # fmt: skip


def _cases_by_number(records: pl.DataFrame) -> pl.DataFrame:
    """Records that are cases themselves: the number is both case id and reference."""
    return records.select(
        pl.col("number").alias(CASE), pl.col("number").alias("reference"),
        pl.col("opened_at").alias("opened"),
    )  # fmt: skip


def compute_human_handling(
    events: pl.DataFrame,
    cases: pl.DataFrame,
    *,
    start: str,
    end: str,
    robot_resources: Iterable[str] = (),
) -> pl.DataFrame:
    """One row per case of ``cases`` (``find_work_cases``), its columns kept, with
    ``reached_end`` (the case has an ``end`` event) and ``human_minutes`` (calendar minutes
    from the first ``start`` to the first ``end`` after it, on the events no robot did; 0 when
    no person handled it, e.g. a robot did). ``robot_resources``: the robot accounts as they
    appear in the log's ``resource`` column (their pseudonyms)."""
    mine = events.filter(pl.col(CASE).is_in(cases[CASE].implode()))
    reached = mine.group_by(CASE).agg((pl.col(ACTIVITY) == end).any().alias("reached_end"))
    human = mine.filter(~pl.col(RESOURCE).is_in(list(robot_resources)))
    handled = compute_time_between(human, source=start, target=end).select(
        CASE, (pl.col("duration_s") / 60).alias("human_minutes")
    )
    return (
        cases.join(reached, on=CASE, how="left")
        .join(handled, on=CASE, how="left")
        .with_columns(
            pl.col("reached_end").fill_null(False), pl.col("human_minutes").fill_null(0.0)
        )
    )
