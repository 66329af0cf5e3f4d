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
from collections.abc import Sequence

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar, compute_working_duration_s
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
) -> pl.DataFrame:
    """One row per case open at ``as_of`` whose last event before it lies at least
    ``min_working_days`` working days back; oldest wait first (then by case id).

    Columns: ``case_id``, ``org_unit`` (where it waits; ``(none)`` when no event names one),
    ``in_unit_since`` (UTC), ``last_activity``, ``waiting_since`` (UTC, its last event) and
    ``waiting_working_days``. A case with any activity of ``closing`` before ``as_of`` has ended.
    """
    moment = as_of.astimezone(dt.UTC)
    lazy = events.lazy().filter(pl.col(TIMESTAMP) < moment)
    schema = lazy.collect_schema()
    unit = pl.col(ORG_UNIT).cast(pl.String) if ORG_UNIT in schema else pl.lit(None, pl.String)
    frame = lazy.select(
        pl.col(CASE).cast(pl.String),
        pl.col(ACTIVITY).cast(pl.String),
        pl.col(TIMESTAMP),
        unit.alias(ORG_UNIT),
    ).collect()
    frame = frame.with_columns(pl.col(ORG_UNIT).replace(_one_spelling(frame[ORG_UNIT])))
    ended = frame.group_by(CASE).agg(pl.col(ACTIVITY).is_in(list(closing)).any().alias("_ended"))
    # The org unit each event belongs to: its own, or the last one named before it in the case.
    filled = frame.with_columns(pl.col(ORG_UNIT).forward_fill().over(CASE).alias("_unit"))
    runs = filled.with_columns(
        (pl.col("_unit").ne_missing(pl.col("_unit").shift(1)).over(CASE))
        .cum_sum()
        .over(CASE)
        .alias("_run")
    )
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


def _one_spelling(units: pl.Series) -> dict[str, str]:
    """Each spelling of an org unit -> the spelling of its unit the log uses most (ties: the
    first in sort order)."""
    counts = (
        units.drop_nulls().value_counts(name="n").sort(["n", units.name], descending=[True, False])
    )
    most: dict[str, str] = {}
    for name, _ in counts.iter_rows():
        most.setdefault(service_area_key(name), name)
    return {name: most[service_area_key(name)] for name, _ in counts.iter_rows()}
