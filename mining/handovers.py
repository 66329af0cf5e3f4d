"""Handovers of work between org units (service areas, assignment groups) or pseudonymous
resources.

A handover is two consecutive events of a case, in stored order, whose performers differ;
events without a performer are skipped (the work passes from the last known performer to the
next). pm4py's handover-of-work network (beta 0) counts the same consecutive pairs but keeps a
performer's pairs with itself and divides by the number of all pairs: its value for (a, b),
a != b, times that number is our count.

Ping-pong: work that goes from a to b and straight back to a (a→b→a in the sequence of
performers once repeats of the same performer are merged).

Privacy (DESIGN.md): resources are pseudonyms, and a figure per resource is shown only when the
view holds at least ``MIN_GROUP_SIZE`` distinct resources; resource rows are sorted by name,
never ranked.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from mining.calendar_dk import local_month
from mining.privacy import MIN_PEOPLE, PrivacyError
from models.errors import InputError
from models.schema import CASE, ORG_UNIT, RESOURCE, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame
Performer = Literal["org_unit", "resource"]
MIN_GROUP_SIZE: Final = MIN_PEOPLE  # the one 5-person rule of mining.privacy


def _performer_column(level: Performer) -> str:
    return ORG_UNIT if level == "org_unit" else RESOURCE


def _performers(events: Log, level: Performer, min_group_size: int) -> pl.LazyFrame:
    """The events that have a performer: ``case_id``, ``timestamp``, ``performer``."""
    lazy = events.lazy()
    column = _performer_column(level)
    if column not in lazy.collect_schema():
        flag = "--group" if level == "org_unit" else "--resource"
        raise InputError(
            f"this log has no {column} column, so handovers by {level} cannot be counted: "
            f"import it with {flag} COLUMN."
        )
    performed = lazy.select(
        CASE, TIMESTAMP, pl.col(column).cast(pl.String).alias("performer")
    ).filter(pl.col("performer").is_not_null())
    if level == "resource":
        _check_group_size(performed, min_group_size)
    return performed


def _check_group_size(performed: pl.LazyFrame, min_group_size: int) -> None:
    if min_group_size < MIN_GROUP_SIZE:
        raise PrivacyError(
            f"min_group_size {min_group_size} is below the privacy rule's {MIN_GROUP_SIZE}: "
            "figures per person need at least 5 people in the group shown."
        )
    people = performed.select(pl.col("performer").n_unique()).collect().item()
    if people < min_group_size:
        raise PrivacyError(
            f"this view holds {people} resource(s); figures per person need at least "
            f"{min_group_size}. Widen the filter, or look at handovers by org unit instead."
        )


def _pairs(performed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per consecutive pair of performed events in a case: ``case_id``, ``source``,
    ``target``, ``timestamp`` (of the target)."""
    same_case = pl.col(CASE).shift(1) == pl.col(CASE)
    return performed.select(
        CASE,
        pl.col("performer").shift(1).alias("source"),
        pl.col("performer").alias("target"),
        TIMESTAMP,
        same_case.alias("_same"),
    ).filter(pl.col("_same"))


def compute_handovers(
    events: Log, *, level: Performer = "org_unit", min_group_size: int = MIN_GROUP_SIZE
) -> pl.DataFrame:
    """The handover-of-work matrix: one row per (``source``, ``target``) performer pair.

    Columns: ``source``, ``target``, ``handovers`` (count), ``cases`` (cases with at least one)
    and ``share`` (of all handovers). Org units are sorted by handovers, most first; resources by
    name (no ranking of people). Resources need ``min_group_size`` (at least 5) of them.
    """
    handed = _pairs(_performers(events, level, min_group_size)).filter(
        pl.col("source") != pl.col("target")
    )
    matrix = handed.group_by("source", "target").agg(
        pl.len().cast(pl.Int64).alias("handovers"),
        pl.col(CASE).n_unique().cast(pl.Int64).alias("cases"),
    )
    matrix = matrix.with_columns((pl.col("handovers") / pl.col("handovers").sum()).alias("share"))
    if level == "resource":
        return matrix.sort("source", "target").collect()
    return matrix.sort(["handovers", "source", "target"], descending=[True, False, False]).collect()


def _collapsed(performed: pl.LazyFrame) -> pl.LazyFrame:
    """The performer sequence of each case with repeats of the same performer merged."""
    repeat = (pl.col(CASE).shift(1) == pl.col(CASE)) & (
        pl.col("performer").shift(1) == pl.col("performer")
    )
    return performed.filter(~repeat.fill_null(False))


def find_ping_pong(
    events: Log, *, level: Performer = "org_unit", min_group_size: int = MIN_GROUP_SIZE
) -> pl.DataFrame:
    """One row per ping-pong pattern a→b→a: ``source`` (a), ``target`` (b), ``occurrences``
    and ``cases``. Sorted like :func:`compute_handovers`."""
    steps = _collapsed(_performers(events, level, min_group_size))
    same_case_2 = pl.col(CASE).shift(-2) == pl.col(CASE)
    bounced = steps.select(
        CASE,
        pl.col("performer").alias("source"),
        pl.col("performer").shift(-1).alias("target"),
        (same_case_2 & (pl.col("performer").shift(-2) == pl.col("performer"))).alias("_back"),
    ).filter(pl.col("_back"))
    found = bounced.group_by("source", "target").agg(
        pl.len().cast(pl.Int64).alias("occurrences"),
        pl.col(CASE).n_unique().cast(pl.Int64).alias("cases"),
    )
    if level == "resource":
        return found.sort("source", "target").collect()
    return found.sort(
        ["occurrences", "source", "target"], descending=[True, False, False]
    ).collect()


def compute_handovers_per_case(
    events: Log, *, level: Performer = "org_unit", min_group_size: int = MIN_GROUP_SIZE
) -> pl.DataFrame:
    """One row per case (every case of the log, stored order): ``case_id``, ``start`` (first
    timestamp, UTC), ``handovers`` and ``ping_pongs``. Its ``handovers`` sum to the matrix
    total of :func:`compute_handovers`."""
    lazy = events.lazy()
    performed = _performers(lazy, level, min_group_size)
    handed = _pairs(performed).filter(pl.col("source") != pl.col("target"))
    counts = handed.group_by(CASE).agg(pl.len().cast(pl.Int64).alias("handovers"))
    steps = _collapsed(performed)
    back = (pl.col(CASE).shift(-2) == pl.col(CASE)) & (
        pl.col("performer").shift(-2) == pl.col("performer")
    )
    bounces = (
        steps.filter(back.fill_null(False))
        .group_by(CASE)
        .agg(pl.len().cast(pl.Int64).alias("ping_pongs"))
    )
    cases = lazy.group_by(CASE, maintain_order=True).agg(pl.col(TIMESTAMP).min().alias("start"))
    joined = cases.join(counts, on=CASE, how="left", maintain_order="left").join(
        bounces, on=CASE, how="left", maintain_order="left"
    )
    return joined.with_columns(pl.col("handovers", "ping_pongs").fill_null(0)).collect()


def compute_handover_trend(
    events: Log, *, level: Performer = "org_unit", min_group_size: int = MIN_GROUP_SIZE
) -> pl.DataFrame:
    """One row per month (Copenhagen month in which the case started, as the date of its first
    day): ``month``, ``cases``, ``handovers``, ``mean_handovers_per_case``, ``ping_pongs``."""
    per_case = compute_handovers_per_case(events, level=level, min_group_size=min_group_size)
    return handover_trend_of(per_case)


def handover_trend_of(per_case: pl.DataFrame) -> pl.DataFrame:
    """:func:`compute_handover_trend` of the rows of :func:`compute_handovers_per_case`."""
    return (
        per_case.group_by(local_month(pl.col("start")).alias("month"))
        .agg(
            pl.len().cast(pl.Int64).alias("cases"),
            pl.col("handovers").sum(),
            pl.col("handovers").mean().alias("mean_handovers_per_case"),
            pl.col("ping_pongs").sum(),
        )
        .sort("month")
    )
