"""Durations and waiting: case throughput, time between two activities, waiting before and
service time of each activity, in calendar time or in Danish working time.

Definitions (seconds throughout):

- throughput of a case: its last timestamp minus its first (pm4py's case duration);
- waiting before an event: from the previous event's (end) timestamp in the same case to this
  event's start timestamp when the log has one, else to its timestamp; a case's first event has
  no waiting time (null);
- service time of an event: its timestamp minus its start timestamp (null without one);
- working time: the office seconds of a :class:`~mining.calendar_dk.WorkingCalendar` between
  the two moments (weekdays 08-16 Copenhagen time without Danish days off, by default).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar, compute_working_duration_s
from models.errors import InputError
from models.schema import ACTIVITY, CASE, START_TIMESTAMP, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame
TimeMode = Literal["calendar", "working"]


def compute_elapsed_s(
    start: pl.Expr,
    end: pl.Expr,
    *,
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.Expr:
    """Seconds from ``start`` to ``end`` (UTC datetimes) in calendar or working time."""
    if time == "working":
        return compute_working_duration_s(start, end, calendar=calendar)
    return (end - start).dt.total_microseconds() / 1e6


def compute_case_durations(
    events: Log, *, time: TimeMode = "calendar", calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> pl.DataFrame:
    """One row per case, in stored order: ``case_id``, ``start``, ``end`` (first and last
    timestamps, UTC), ``events`` and ``duration_s`` (throughput)."""
    per_case = (
        events.lazy()
        .group_by(CASE, maintain_order=True)
        .agg(
            pl.col(TIMESTAMP).min().alias("start"),
            pl.col(TIMESTAMP).max().alias("end"),
            pl.len().cast(pl.Int64).alias("events"),
        )
    )
    duration = compute_elapsed_s(pl.col("start"), pl.col("end"), time=time, calendar=calendar)
    return per_case.with_columns(duration.alias("duration_s")).collect()


def compute_time_between(
    events: Log,
    *,
    source: str,
    target: str,
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.DataFrame:
    """One row per case that has ``source`` and, later, ``target``: ``case_id``,
    ``source_time`` (the first ``source`` event), ``target_time`` (the first ``target`` event
    after it in stored order) and ``duration_s``. Cases without the pair are left out."""
    name = pl.col(ACTIVITY).cast(pl.String)
    position = pl.int_range(pl.len())
    first_source = position.filter(name == source).first()
    per_case = (
        events.lazy()
        .group_by(CASE, maintain_order=True)
        .agg(
            pl.col(TIMESTAMP).filter(position == first_source).first().alias("source_time"),
            pl.col(TIMESTAMP)
            .filter((name == target) & (position > first_source))
            .first()
            .alias("target_time"),
        )
        .drop_nulls(["source_time", "target_time"])
    )
    duration = compute_elapsed_s(
        pl.col("source_time"), pl.col("target_time"), time=time, calendar=calendar
    )
    return per_case.with_columns(duration.alias("duration_s")).collect()


def compute_event_durations(
    events: Log, *, time: TimeMode = "calendar", calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> pl.LazyFrame:
    """The log's events with ``wait_s`` and ``service_s`` added (one row per event, stored
    order); see the module docstring for the definitions."""
    lazy = events.lazy()
    has_start = START_TIMESTAMP in lazy.collect_schema()
    same_case = pl.col(CASE).shift(1) == pl.col(CASE)
    previous_end = pl.when(same_case).then(pl.col(TIMESTAMP).shift(1))
    begin = pl.col(START_TIMESTAMP).fill_null(pl.col(TIMESTAMP)) if has_start else pl.col(TIMESTAMP)
    service = (
        compute_elapsed_s(pl.col(START_TIMESTAMP), pl.col(TIMESTAMP), time=time, calendar=calendar)
        if has_start
        else pl.lit(None, dtype=pl.Float64)
    )
    return lazy.with_columns(
        compute_elapsed_s(previous_end, begin, time=time, calendar=calendar).alias("wait_s"),
        service.alias("service_s"),
    )


def compute_activity_durations(
    events: Log, *, time: TimeMode = "calendar", calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> pl.DataFrame:
    """One row per activity, by name: ``activity``, ``frequency`` (events), ``mean_wait_s``,
    ``median_wait_s``, ``p90_wait_s`` (linear interpolation, as numpy's default),
    ``total_wait_s`` (waiting before the activity), ``mean_service_s`` and
    ``median_service_s`` (null when the log has no start timestamps)."""
    timed = compute_event_durations(events, time=time, calendar=calendar)
    return (
        timed.group_by(pl.col(ACTIVITY).cast(pl.String))
        .agg(
            pl.len().cast(pl.Int64).alias("frequency"),
            pl.col("wait_s").mean().alias("mean_wait_s"),
            pl.col("wait_s").median().alias("median_wait_s"),
            pl.col("wait_s").quantile(0.9, interpolation="linear").alias("p90_wait_s"),
            pl.col("wait_s").sum().alias("total_wait_s"),
            pl.col("service_s").mean().alias("mean_service_s"),
            pl.col("service_s").median().alias("median_service_s"),
        )
        .sort(ACTIVITY)
        .collect()
    )


def check_start_timestamps(events: Log) -> None:
    """Raise when the log has no start timestamps (service time cannot be measured)."""
    lazy = events.lazy()
    if START_TIMESTAMP not in lazy.collect_schema():
        raise InputError(
            "this log has no start timestamps, so service time cannot be measured: import it "
            "with --start-timestamp COLUMN (or XES start/complete events with --lifecycle pair)."
        )
