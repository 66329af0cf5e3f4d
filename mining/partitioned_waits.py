"""Bottlenecks of a log stored in partitions split by month or org unit, or in working time, one
partition at a time; and the months the 5-person rule leaves out, counted over all partitions.

:func:`mining.find_partitioned_bottlenecks` covers the whole log in calendar time with exact
integer sums. A split, or working time (office seconds, fractions where the timestamps have
them), is computed here the way :func:`mining.find_bottlenecks` computes it in one file: each
event's wait (a case lies in one partition, so every wait is measured inside one) is keyed by
its group (the month or org unit, and the arc or activity), the keys numbered over all
partitions as they are met, and the (key, seconds) pairs spilled to temporary Parquet files
bucketed by key (``mining.partitioned``'s spill), so that each key's waits meet in one bucket:

- ``frequency`` adds up; ``median_wait_s`` is exact (polars' median of the same values);
- ``total_wait_s`` and ``mean_wait_s`` are polars' sum (and sum / frequency) of the same float
  seconds in an order of its own, so they can differ from the one-file figure in the last bits
  (tests compare them to a relative 1e-12, as the other float sums of partitioned logs).

Org units of fewer than 5 people are merged (or withheld) over all partitions first
(:func:`mining.merge_partitioned_small_groups`), then relabelled in each partition.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Literal

import polars as pl

from mining.bottlenecks import (
    BottleneckLevel,
    Split,
    bottleneck_waits,
    check_org_units,
    order_bottlenecks,
)
from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar
from mining.durations import TimeMode
from mining.partitioned import (
    PartitionedLog,
    Spill,
    merge_partitioned_small_groups,
    one_moment_per_month,
)
from mining.privacy import drop_withheld, find_small_months
from models.schema import CASE, ORG_UNIT, RESOURCE, TIMESTAMP

_KEY = "_key"
_VALUE = "_us"


def find_partitioned_split_bottlenecks(
    log: PartitionedLog,
    *,
    level: BottleneckLevel = "arc",
    by: Split = "none",
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.DataFrame:
    """:func:`mining.find_bottlenecks` of the whole log split ``by`` month or org unit, in
    ``time``, one partition at a time (see the module docstring): the same rows and columns."""
    keys = ["source", "target"] if level == "arc" else ["activity"]
    split: list[str] = [] if by == "none" else [by]
    check_org_units(pl.scan_parquet(log.paths[0]) if log.paths else pl.LazyFrame(), by)
    units = merge_partitioned_small_groups(log, by=ORG_UNIT)[0] if by == "org_unit" else None
    numbered = _GroupNumbers([*split, *keys])
    with tempfile.TemporaryDirectory(prefix="kitflow-split-waits-") as folder:
        spill = Spill(Path(folder), len(log.paths))
        for lazy in log.partitions():
            source = units.apply(lazy) if units is not None else lazy
            waits = bottleneck_waits(source, level=level, by=by, time=time, calendar=calendar)
            spill.add(numbered.key(waits.collect()))
        grouped = spill.group(pl.col(_VALUE).median().alias("median_wait_s"), exact=False)
    table = (
        numbered.groups()
        .join(grouped, on=_KEY)
        .select(
            *split,
            *keys,
            "frequency",
            (pl.col("_sum_us") / pl.col("frequency")).cast(pl.Float64).alias("mean_wait_s"),
            pl.col("median_wait_s").cast(pl.Float64),
            pl.col("_sum_us").cast(pl.Float64).alias("total_wait_s"),
        )
    )
    ranked = order_bottlenecks(table.lazy(), keys, split).collect()
    return drop_withheld(ranked, tuple(split))


class _GroupNumbers:
    """A number for each distinct group (values of ``columns``) over all partitions, in the
    order met: the spill's key of the group's waits."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self._seen: pl.DataFrame | None = None

    def key(self, waits: pl.DataFrame) -> pl.DataFrame:
        """``waits`` as (``_key``, ``_us``) pairs: the group's number and the wait (seconds)."""
        found = waits.select(self.columns).unique(maintain_order=True)
        if self._seen is None:
            self._seen = found.with_row_index(_KEY).cast({_KEY: pl.UInt64})
        else:
            new = found.join(self._seen, on=self.columns, how="anti", nulls_equal=True)
            offset = self._seen.height
            numbered = new.with_row_index(_KEY, offset=offset).cast({_KEY: pl.UInt64})
            self._seen = pl.concat([self._seen, numbered.select(self._seen.columns)])
        keyed = waits.join(self._seen, on=self.columns, how="left", nulls_equal=True)
        return keyed.select(_KEY, pl.col("wait_s").alias(_VALUE))

    def groups(self) -> pl.DataFrame:
        """Every group met, with its ``_key``."""
        if self._seen is None:
            return pl.DataFrame(schema={_KEY: pl.UInt64})
        return self._seen


def find_partitioned_small_months(
    log: PartitionedLog,
    *,
    of: Literal["event", "case"] = "event",
    people_column: str = RESOURCE,
) -> list[dt.date]:
    """:func:`mining.find_small_months` of the whole log: each partition's people per
    Copenhagen month (of an event, or of its case's start), one moment kept per (month,
    person), united over the partitions and counted as one file counts them."""
    if not log.paths or people_column not in pl.scan_parquet(log.paths[0]).collect_schema():
        return []
    moment = pl.col(TIMESTAMP) if of == "event" else pl.col(TIMESTAMP).min().over(CASE)
    person = [pl.col(people_column).cast(pl.String)]
    kept = pl.concat(one_moment_per_month(lazy, moment, person) for lazy in log.partitions())
    # Each kept moment its own case, so that "of the case's start" is the moment itself.
    cases = pl.int_range(pl.len()).cast(pl.String).alias(CASE)
    return find_small_months(kept.with_columns(cases), of=of, people_column=people_column)
