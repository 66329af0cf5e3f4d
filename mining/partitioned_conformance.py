"""Discovery and conformance checking of a log stored in partitions, one partition at a time.

Discovery and conformance work on a log's variant table (``mining.conformance``): one row per
distinct activity sequence with the cases that follow it, numbered in the order of the first
case (by case id) that follows it. A case lies in one partition, so each partition's cases give
their sequences alone; the merged table adds the cases of a sequence over the partitions and
takes the least first case id, which orders the variants exactly as the single-file table
orders them (the single file is sorted by case id). The result equals
:func:`mining.compute_variant_table` of the same log (``tests/test_partitioned_conformance.py``),
so the inductive miner, token replay, alignments and precision give the same figures, and the
conformance cache (keyed by the variant table) is shared with the single-file log.

Memory follows one partition's cases and the variant table, never the whole log.
"""

from __future__ import annotations

import polars as pl

from mining.conformance import (
    ACTIVITIES,
    CASE_COUNT,
    VARIANT_ID,
    LogVariants,
    compute_case_variants,
)
from mining.partitioned import PartitionedLog
from models.schema import ACTIVITY, CASE

_SEQUENCE = "_sequence"
_FIRST = "_first_case"


def partitioned_log_variants(log: PartitionedLog) -> LogVariants:
    """The variants of a partitioned log, for discovery and conformance checking: the merged
    variant table, and each case's variant computed one partition at a time when asked."""
    return LogVariants(
        table=compute_partitioned_variant_table(log),
        case_variants=lambda variants: compute_partitioned_case_variants(log, variants),
    )


def compute_partitioned_variant_table(log: PartitionedLog) -> pl.DataFrame:
    """:func:`mining.compute_variant_table` of the whole log, one partition at a time:
    ``variant_id``, ``activities`` (list of str) and ``case_count``."""
    names = log.activity_names()
    parts = [_partition_sequences(lazy) for lazy in log.coded(names)]
    empty = pl.DataFrame(
        schema={_SEQUENCE: pl.List(pl.UInt32), _FIRST: pl.String, CASE_COUNT: pl.Int64}
    )
    merged = (
        pl.concat([empty, *parts])
        .group_by(_SEQUENCE)
        .agg(pl.col(_FIRST).min(), pl.col(CASE_COUNT).sum())
        .sort(_FIRST)
    )
    activities = [[names[code] for code in sequence] for sequence in merged[_SEQUENCE].to_list()]
    return pl.DataFrame(
        {
            VARIANT_ID: pl.int_range(merged.height, dtype=pl.Int64, eager=True),
            ACTIVITIES: pl.Series(activities, dtype=pl.List(pl.String)),
            CASE_COUNT: merged.get_column(CASE_COUNT),
        }
    )


def _partition_sequences(lazy: pl.LazyFrame) -> pl.DataFrame:
    """Per distinct activity sequence of a partition (codes of the log-wide ``Enum``): its
    first case id and its number of cases."""
    return (
        lazy.group_by(CASE, maintain_order=True)
        .agg(pl.col(ACTIVITY).to_physical().cast(pl.UInt32).alias(_SEQUENCE))
        .group_by(_SEQUENCE)
        .agg(
            pl.col(CASE).cast(pl.String).min().alias(_FIRST),
            pl.len().cast(pl.Int64).alias(CASE_COUNT),
        )
        .collect()
    )


def compute_partitioned_case_variants(log: PartitionedLog, variants: pl.DataFrame) -> pl.DataFrame:
    """:func:`mining.compute_case_variants` of the whole log, one partition at a time: one row
    per case, ``case_id`` and ``variant_id``, in case-id order as the single file has them."""
    parts = [compute_case_variants(lazy, variants) for lazy in log.partitions()]
    if not parts:
        return pl.DataFrame(schema={CASE: pl.String, VARIANT_ID: pl.Int64})
    return pl.concat(parts).sort(CASE, maintain_order=True)
