"""The pure-polars side of conformance checking: variants, their weights, deviation tables.

Replay and alignments cost per distinct trace, not per case, so everything here works on the
variants of a log (one row per distinct activity sequence, with how many cases follow it) and
spreads per-variant results back over the cases. The pm4py side is in ``mining.pm4py_adapter``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from models.schema import ACTIVITY, CASE

VARIANT_ID = "variant_id"
ACTIVITIES = "activities"
CASE_COUNT = "case_count"

DEVIATION_KINDS = ("skipped", "inserted")
"""``skipped``: the model requires the activity here but the case did not do it (a move on
model); ``inserted``: the case did an activity the model does not allow here (a move on log)."""


@dataclass(frozen=True)
class LogVariants:
    """A log given by its variant table (as :func:`compute_variant_table` makes it), computed
    elsewhere: a log stored in partitions has its table merged from the partitions'
    (``mining.partitioned_conformance``). ``case_variants`` gives the ``case_id`` →
    ``variant_id`` rows of :func:`compute_case_variants` for a table, only when a result per
    case is asked for (it reads every case again)."""

    table: pl.DataFrame
    case_variants: Callable[[pl.DataFrame], pl.DataFrame]


VariantSource = pl.LazyFrame | pl.DataFrame | LogVariants
"""What conformance checking and discovery take: the events of a log, or its variants."""


def variant_table(source: VariantSource) -> pl.DataFrame:
    """The variant table of ``source``: computed from events, or the one given."""
    if isinstance(source, LogVariants):
        return source.table
    return compute_variant_table(source)


def case_variant_table(source: VariantSource, variants: pl.DataFrame) -> pl.DataFrame:
    """Each case's ``variant_id`` in ``variants``: computed from events, or by ``source``."""
    if isinstance(source, LogVariants):
        return source.case_variants(variants)
    return compute_case_variants(source, variants)


def compute_variant_table(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per variant (distinct activity sequence of a case, in stored order).

    Columns: ``variant_id`` (0, 1, ... in order of the first case, by case id, that follows the
    variant: the order pm4py meets them in), ``activities`` (list of str) and ``case_count``. The
    log must be sorted as every stored log is.
    """
    lazy = events.lazy()
    variants = (
        _case_codes(lazy)
        .group_by("_codes", maintain_order=True)
        .agg(pl.len().cast(pl.Int64).alias(CASE_COUNT))
        .collect()
    )
    return (
        _name_codes(variants, lazy)
        .with_row_index(VARIANT_ID)
        .with_columns(pl.col(VARIANT_ID).cast(pl.Int64))
        .select(VARIANT_ID, ACTIVITIES, CASE_COUNT)
    )


def compute_case_variants(
    events: pl.LazyFrame | pl.DataFrame, variants: pl.DataFrame
) -> pl.DataFrame:
    """One row per case: ``case_id`` and the ``variant_id`` of its sequence in ``variants``."""
    lazy = events.lazy()
    per_case = _name_codes(_case_codes(lazy).collect(), lazy)
    return per_case.join(
        variants.select(VARIANT_ID, ACTIVITIES), on=ACTIVITIES, how="left", nulls_equal=True
    ).select(CASE, VARIANT_ID)


def _case_codes(events: pl.LazyFrame) -> pl.LazyFrame:
    # Sequences of the categorical's integer codes group far faster than lists of strings;
    # maintain_order keeps cases in stored order (by case id), so the first-seen order of the
    # variants is the one pm4py sees when it groups a frame sorted by case.
    return events.group_by(CASE, maintain_order=True).agg(
        pl.col(ACTIVITY).to_physical().cast(pl.Int64).alias("_codes")
    )


def _name_codes(frame: pl.DataFrame, events: pl.LazyFrame) -> pl.DataFrame:
    """Replace the ``_codes`` lists of ``frame`` by ``activities`` (lists of names)."""
    present = events.select(pl.col(ACTIVITY).unique()).collect().to_series()
    codes = present.to_physical().cast(pl.Int64).to_list()
    names = present.cast(pl.String).to_list()
    named = pl.col("_codes").list.eval(
        pl.element().replace_strict(codes, names, return_dtype=pl.String)
    )
    return frame.with_columns(named.alias(ACTIVITIES)).drop("_codes")


def fingerprint_variants(variants: pl.DataFrame) -> str:
    """A stable hash of a variant table: conformance results depend on nothing else of a log.

    Two logs with the same variants and counts share results, whatever their case ids or times.
    """
    digest = hashlib.sha256()
    for activities, count in variants.select(ACTIVITIES, CASE_COUNT).sort(ACTIVITIES).iter_rows():
        digest.update("\x1f".join(activities).encode())
        digest.update(f"\x1e{count}\x1d".encode())
    return digest.hexdigest()[:32]


def weighted_mean(values: Sequence[float], weights: Sequence[int]) -> float:
    """The mean of per-variant ``values`` over cases (each variant counts ``weights`` times)."""
    total = sum(weights)
    if total == 0:
        return 0.0
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def build_deviation_table(
    variants: pl.DataFrame, moves: Iterable[tuple[int, str, str]]
) -> pl.DataFrame:
    """One row per (variant, activity, kind) that deviates from the model.

    ``moves`` are ``(variant_id, activity, kind)`` for each deviating move of a variant's
    alignment, kind ``skipped`` or ``inserted``. Columns: ``variant_id``, ``activity``, ``kind``,
    ``occurrences`` (moves of that kind per case of the variant) and ``case_count`` (cases that
    follow the variant). Sorted by affected cases, then variant, kind, activity.
    """
    moves_frame = pl.DataFrame(
        list(moves),
        schema={VARIANT_ID: pl.Int64, ACTIVITY: pl.String, "kind": pl.String},
        orient="row",
    )
    counted = moves_frame.group_by(VARIANT_ID, ACTIVITY, "kind").agg(
        pl.len().cast(pl.Int64).alias("occurrences")
    )
    return counted.join(variants.select(VARIANT_ID, CASE_COUNT), on=VARIANT_ID).sort(
        [CASE_COUNT, VARIANT_ID, "kind", ACTIVITY], descending=[True, False, False, False]
    )


def spread_deviations_to_cases(
    deviations: pl.DataFrame, case_variants: pl.DataFrame
) -> pl.DataFrame:
    """One row per (case, activity, kind) that deviates: ``case_id``, ``activity``, ``kind``,
    ``occurrences``. A case deviates exactly as its variant does. Sorted by case, kind, activity.
    """
    return (
        case_variants.join(deviations.drop(CASE_COUNT), on=VARIANT_ID)
        .select(CASE, ACTIVITY, "kind", "occurrences")
        .sort(CASE, "kind", ACTIVITY)
    )


def summarize_deviations(deviations: pl.DataFrame) -> pl.DataFrame:
    """One row per (activity, kind): ``cases`` affected and total ``occurrences`` over the log.

    Sorted by cases affected, most first.
    """
    return (
        deviations.group_by(ACTIVITY, "kind")
        .agg(
            pl.col(CASE_COUNT).sum().alias("cases"),
            (pl.col("occurrences") * pl.col(CASE_COUNT)).sum().alias("occurrences"),
        )
        .sort(["cases", "kind", ACTIVITY], descending=[True, False, False])
    )


def compute_prefix_counts(variants: pl.DataFrame) -> dict[tuple[str, ...], tuple[set[str], int]]:
    """For each proper prefix of the variants: the activities that follow it and how many cases
    pass through it (the inputs of ETConformance precision, weighted by variant counts)."""
    prefixes: dict[tuple[str, ...], tuple[set[str], int]] = {}
    for activities, count in variants.select(ACTIVITIES, CASE_COUNT).iter_rows():
        for i in range(1, len(activities)):
            key = tuple(activities[:i])
            following, seen = prefixes.get(key, (set(), 0))
            following.add(activities[i])
            prefixes[key] = (following, seen + count)
    return prefixes
