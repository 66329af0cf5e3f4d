"""The 5-person rule of a before/after comparison (``mining.compare_periods``) of a log stored
in partitions: each period's people counted over all partitions (a set union: a person in
several partitions counts once), as :func:`mining.check_period_sizes` counts them in one file.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from mining.partitioned import PartitionedLog, distinct_people
from mining.privacy import GroupSize, check_period_side, started_before_expr
from models.schema import RESOURCE


def check_partitioned_period_sizes(
    log: PartitionedLog, *, at: dt.datetime, people_column: str = RESOURCE
) -> None:
    """Raise PrivacyError unless the cases started before ``at`` and those started from it
    each show 5 people or more over all partitions (or the log names none)."""
    pairs = distinct_people(log, started_before_expr(at), people_column)
    if pairs is None:
        return
    for side, started_before in (("before", True), ("from", False)):
        people = pairs.filter(pl.col("_group") == started_before)[people_column]
        check_period_side(GroupSize(people.drop_nulls().n_unique() or None), side=side, at=at)
