"""Cases that wait: open at a moment, and untouched for longer than a number of working days.

The worklist *Fastlåste sager*: orders (and the work items linked to them) that lie still in a
service area. A case counts as of ``as_of``: it had begun (an event before it) and had not ended
(no closing activity before it). It waits since its last event before ``as_of``, in the org unit
of its last event that names one; it has been in that org unit since the first event of the run
of events in that unit that the last one ends (events without an org unit do not break a run).
Spellings of one org unit ("Drift & Infrastruktur", "Drift og Infrastruktur") are one unit,
named as the log spells it most often. Waiting is measured in working time on the Danish
calendar (:mod:`mining.calendar_dk`), in working days of the calendar's office hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar, compute_working_duration_s
from mining.partitioned import PartitionedLog
from models.landscape_links import service_area_key
from models.schema import ACTIVITY, CASE, ORG_UNIT, TIMESTAMP

NO_ORG_UNIT = "(none)"
STUCK_COLUMNS = (
    CASE,
    ORG_UNIT,
    "in_unit_since",
    "last_activity",
    "waiting_since",
    "waiting_working_days",
)


def find_stuck_cases(
    events: pl.LazyFrame | pl.DataFrame,
    *,
    as_of: dt.datetime,
    min_working_days: float,
    closing: Sequence[str],
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    spellings: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """One row per case open at ``as_of`` whose last event before it lies at least
    ``min_working_days`` working days back; oldest wait first (then by case id).

    Columns: ``case_id``, ``org_unit`` (where it waits; ``(none)`` when no event names one),
    ``in_unit_since`` (UTC), ``last_activity``, ``waiting_since`` (UTC, its last event) and
    ``waiting_working_days``. A case with any activity of ``closing`` before ``as_of`` has ended.
    ``spellings`` maps each spelling of an org unit to its unit's name; by default it is found
    in ``events`` (a part of a log is given the whole log's, :func:`find_unit_spellings`).
    """
    moment = as_of.astimezone(dt.UTC)
    frame = _events_before(events, moment).collect()
    if spellings is None:
        spellings = _one_spelling(_count_units(frame.lazy()).collect())
    frame = frame.with_columns(pl.col(ORG_UNIT).replace(dict(spellings)))
    ended = frame.group_by(CASE).agg(pl.col(ACTIVITY).is_in(list(closing)).any().alias("_ended"))
    # The org unit each event belongs to: its own, or the last one named before it in the case.
    filled = frame.with_columns(pl.col(ORG_UNIT).forward_fill().over(CASE).alias("_unit"))
    # Two windows one after the other: polars evaluates a window nested in another per case
    # (21 s instead of 1,3 s for 5M events).
    changed = pl.col("_unit").ne_missing(pl.col("_unit").shift(1)).over(CASE).alias("_run")
    runs = filled.with_columns(changed).with_columns(pl.col("_run").cum_sum().over(CASE))
    last = runs.group_by(CASE, maintain_order=True).agg(
        pl.col("_unit").last().fill_null(NO_ORG_UNIT).alias(ORG_UNIT),
        pl.col("_run").last().alias("_last_run"),
        pl.col(ACTIVITY).last().alias("last_activity"),
        pl.col(TIMESTAMP).last().alias("waiting_since"),
    )
    since = (
        runs.join(last.select(CASE, "_last_run"), on=CASE)
        .filter(pl.col("_run") == pl.col("_last_run"))
        .group_by(CASE)
        .agg(pl.col(TIMESTAMP).min().alias("in_unit_since"))
    )
    office_s = float(calendar.office_s)
    waiting = compute_working_duration_s(pl.col("waiting_since"), pl.lit(moment), calendar=calendar)
    return (
        last.join(ended, on=CASE)
        .filter(~pl.col("_ended"))
        .join(since, on=CASE)
        .with_columns((waiting / office_s).alias("waiting_working_days"))
        .filter(pl.col("waiting_working_days") >= min_working_days)
        .sort("waiting_since", CASE)
        .select(STUCK_COLUMNS)
    )


def find_partitioned_stuck_cases(
    log: PartitionedLog,
    *,
    as_of: dt.datetime,
    min_working_days: float,
    closing: Sequence[str],
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> pl.DataFrame:
    """:func:`find_stuck_cases` of a log stored in partitions, one partition at a time.

    Every figure of a row is the case's own, and a case lies in one partition; only the names of
    the org units look at the whole log, so their spellings are counted over all partitions
    first. The rows are then ordered as one file orders them (the keys, a wait's start and the
    case id, are unique), so the frame equals the one-file result."""
    moment = as_of.astimezone(dt.UTC)
    spellings = find_unit_spellings(log, as_of=moment)
    found = [
        find_stuck_cases(
            lazy,
            as_of=moment,
            min_working_days=min_working_days,
            closing=closing,
            calendar=calendar,
            spellings=spellings,
        )
        for lazy in log.partitions()
    ]
    if not found:
        return find_stuck_cases(_EMPTY, as_of=moment, min_working_days=0.0, closing=closing)
    return pl.concat(found).sort("waiting_since", CASE)


def find_unit_spellings(log: PartitionedLog, *, as_of: dt.datetime) -> dict[str, str]:
    """Each spelling of an org unit before ``as_of`` -> its unit's name, counted over all the
    partitions of ``log`` (as :func:`find_stuck_cases` counts them in one file)."""
    moment = as_of.astimezone(dt.UTC)
    counts = [_count_units(_events_before(lazy, moment)).collect() for lazy in log.partitions()]
    if not counts:
        return {}
    total = pl.concat(counts).group_by(ORG_UNIT).agg(pl.col("n").sum())
    return _one_spelling(total)


_EMPTY = pl.DataFrame(
    schema={CASE: pl.String, ACTIVITY: pl.String, TIMESTAMP: pl.Datetime("us", "UTC")}
)


def _events_before(events: pl.LazyFrame | pl.DataFrame, moment: dt.datetime) -> pl.LazyFrame:
    """The columns the list reads, of the events before ``moment`` (no org unit column: null)."""
    lazy = events.lazy().filter(pl.col(TIMESTAMP) < moment)
    schema = lazy.collect_schema()
    unit = pl.col(ORG_UNIT).cast(pl.String) if ORG_UNIT in schema else pl.lit(None, pl.String)
    return lazy.select(
        pl.col(CASE).cast(pl.String),
        pl.col(ACTIVITY).cast(pl.String),
        pl.col(TIMESTAMP),
        unit.alias(ORG_UNIT),
    )


def _count_units(events: pl.LazyFrame) -> pl.LazyFrame:
    """How many events name each spelling of an org unit (``org_unit``, ``n``)."""
    units = events.select(pl.col(ORG_UNIT)).drop_nulls()
    return units.group_by(ORG_UNIT).agg(pl.len().cast(pl.Int64).alias("n"))


def _one_spelling(counts: pl.DataFrame) -> dict[str, str]:
    """Each spelling of an org unit -> the spelling of its unit the log uses most (ties: the
    first in sort order), from the events naming each spelling (``org_unit``, ``n``)."""
    ordered = counts.sort(["n", ORG_UNIT], descending=[True, False])
    most: dict[str, str] = {}
    for name, _ in ordered.iter_rows():
        most.setdefault(service_area_key(name), name)
    return {name: most[service_area_key(name)] for name, _ in ordered.iter_rows()}
