"""The resource-management figures (:mod:`mining.resources`) and the handover trend of a log
stored in partitions, one partition at a time.

A visit (a run of a case's events in one org unit) lies in its case's partition, so each
partition's visits are found alone (:func:`mining.resources.load_visits`: four short columns and
three numbers a visit, no case ids, no people) and put together; the monthly load and the waits
are then computed from them exactly as for one file. Counts add and medians are the same (the
same multiset of durations); the waits' means and totals of float hours are polars' sums of the
same values in another order, so they can differ from the one-file figure in the last bits (the
tests compare them to a relative 1e-12, as the other float sums of partitioned logs). The org
units of fewer than 5 people are merged over all partitions first
(:func:`mining.merge_partitioned_small_groups`), and a unit's people per month are a set union
over the partitions. Memory: one partition's events, and the visits of the whole log (about 40
bytes a visit), not the events of the whole log.
"""

from __future__ import annotations

import polars as pl

from mining.handovers import compute_handover_trend
from mining.partitioned import (
    PartitionedLog,
    SmallGroups,
    merge_partitioned_small_groups,
    one_moment_per_month,
)
from mining.resources import AreaLoad, area_load_of, count_people_per_month, load_visits
from models.schema import ORG_UNIT, RESOURCE, TIMESTAMP


def compute_partitioned_area_load(log: PartitionedLog) -> AreaLoad:
    """:func:`mining.compute_area_load` of the whole log, one partition at a time."""
    groups, merged = merge_partitioned_small_groups(log, by=ORG_UNIT)
    visits, moments = [], []
    for lazy in log.partitions():
        relabelled = groups.apply(lazy)
        visits.append(load_visits(relabelled))
        moments.append(_unit_month_people(relabelled))
    people = count_people_per_month(pl.concat(moments).lazy()) if moments else _no_people()
    return area_load_of(pl.concat(visits) if visits else load_visits(_EMPTY), people, merged)


def compute_partitioned_handover_trend(
    log: PartitionedLog, groups: SmallGroups | None = None
) -> pl.DataFrame:
    """:func:`mining.compute_handover_trend` (between org units) of the whole log, each
    partition first relabelled by ``groups`` when given."""
    return merge_handover_trends(
        [
            compute_handover_trend(lazy if groups is None else groups.apply(lazy), level="org_unit")
            for lazy in log.partitions()
        ]
    )


def merge_handover_trends(trends: list[pl.DataFrame]) -> pl.DataFrame:
    """The handover trend of a log from its partitions' trends (:func:`mining.handover_trend_of`):
    a case's handovers and its start month lie in its partition, so the months' cases,
    handovers and ping-pongs add."""
    if not trends:
        return compute_handover_trend(_EMPTY, level="org_unit")
    schema = trends[0].schema
    return (
        pl.concat(trends)
        .group_by("month")
        .agg(pl.col("cases", "handovers", "ping_pongs").sum())
        .with_columns((pl.col("handovers") / pl.col("cases")).alias("mean_handovers_per_case"))
        .select(schema.names())
        .cast(schema)
        .sort("month")
    )


def _unit_month_people(events: pl.LazyFrame) -> pl.DataFrame:
    """One event per (org unit, Copenhagen month, person) of ``events``: counted over all
    partitions, their people per unit and month are the log's (a set union)."""
    schema = events.collect_schema()
    if RESOURCE not in schema:
        return pl.DataFrame(schema={ORG_UNIT: pl.String, TIMESTAMP: schema[TIMESTAMP]})
    named = events.filter(pl.col(ORG_UNIT).is_not_null())
    keys = [pl.col(ORG_UNIT).cast(pl.String), pl.col(RESOURCE).cast(pl.String)]
    return one_moment_per_month(named, pl.col(TIMESTAMP), keys)


def _no_people() -> pl.DataFrame:
    return count_people_per_month(pl.LazyFrame(schema={ORG_UNIT: pl.String}))


_EMPTY = pl.LazyFrame(
    schema={
        "case_id": pl.String,
        TIMESTAMP: pl.Datetime("us", "UTC"),
        ORG_UNIT: pl.String,
    }
)
