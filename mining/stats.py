"""Headline figures of an event log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from mining.aggregates import find_stored_events_file
from mining.variants import compute_variants, find_case_runs, is_sorted_by_case
from models.schema import ACTIVITY, CASE, TIMESTAMP


@dataclass(frozen=True)
class LogStats:
    """Counts and time span of one flat log. Times are UTC."""

    cases: int
    events: int
    activities: int
    variants: int
    start: dt.datetime | None
    end: dt.datetime | None


def compute_log_stats(events: pl.LazyFrame | pl.DataFrame) -> LogStats:
    """Cases, events, distinct activities, distinct variants and first/last event time.

    A variant is the sequence of activities of a case in stored order (time, then file order),
    the same sequence pm4py's ``get_variants`` uses.
    """
    lazy = events.lazy()
    figures = lazy.select(
        pl.col(CASE).n_unique().alias("cases"),
        pl.len().alias("events"),
        pl.col(ACTIVITY).n_unique().alias("activities"),
        pl.col(TIMESTAMP).min().alias("start"),
        pl.col(TIMESTAMP).max().alias("end"),
    ).collect()
    row = figures.row(0, named=True)
    return LogStats(
        cases=int(row["cases"]),
        events=int(row["events"]),
        activities=int(row["activities"]),
        variants=count_variants(lazy),
        start=row["start"],
        end=row["end"],
    )


def count_variants(events: pl.LazyFrame) -> int:
    """How many distinct activity sequences the cases of a sorted log follow."""
    # Lists of a categorical's integer codes stand for the lists of names one to one, at a
    # fraction of the memory (4 bytes an event instead of a string each).
    activity = pl.col(ACTIVITY)
    if isinstance(events.collect_schema()[ACTIVITY], pl.Categorical):
        if find_stored_events_file(events) is not None:
            # A stored log: its variant table is stored beside it (or stored now), one row
            # per variant, so later requests read it instead of grouping the events again.
            return compute_variants(events).height
        if is_sorted_by_case(events):  # every log the import builds: no case ids to hash
            runs = find_case_runs(events).select(pl.col("_sequence").n_unique())
            return int(runs.collect().item())
        activity = activity.to_physical()
    else:
        activity = activity.cast(pl.String)
    sequences = events.group_by(CASE, maintain_order=True).agg(activity.alias("sequence"))
    return int(sequences.select(pl.col("sequence").n_unique()).collect().item())
