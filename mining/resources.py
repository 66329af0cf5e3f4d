"""Resource management across service areas (ressourcestyring): the work each org unit receives,
finishes and holds per month, the handovers in and out, who waits on whom, the registered hours
per activity, and a forecast of next quarter's load.

A *visit* is a run of consecutive events of a case performed by the same org unit (stored order;
events without an org unit are skipped, as in :mod:`mining.handovers`). It begins with its first
event and ends when the case is handed to the next unit (that unit's first event) or, for the
case's last visit, with the case's last event. Per org unit and Copenhagen month:

- ``arrivals``: visits begun in the month; ``completions``: visits ended in it;
- ``open_end``: visits begun by the month's end and not ended by then (arrivals minus
  completions, summed over the months so far);
- ``handovers_in`` / ``handovers_out``: visits begun by a handover from another unit / ended by
  one to another unit (their sums over the units equal :func:`mining.compute_handovers`' total);
- ``median_throughput_h``: the median length of the visits ended in the month, in hours.

The 5-person rule (:mod:`mining.privacy`): org units with fewer than 5 people are merged into
one group first (or withheld); then a unit's month whose events show fewer than 5 people is
left out (counted in ``months_withheld``). Registered hours follow the same rule per service
area and month, with an area-month's activities of fewer than 5 people merged into one row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from mining.calendar_dk import local_month
from mining.privacy import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    WITHHELD_GROUP,
    MergedGroups,
    merge_small_groups,
)
from models.schema import CASE, ORG_UNIT, RESOURCE, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame
FORECAST_HORIZON: Final = 3
MIN_FORECAST_MONTHS: Final = 12
"""A unit with fewer months of history (shown months) gets no forecast."""
MIN_SEASONAL_MONTHS: Final = 24
"""With fewer months of history the forecast is the mean of the last three months."""


_COLUMNS: Final = (
    "arrivals",
    "completions",
    "open_end",
    "handovers_in",
    "handovers_out",
    "median_throughput_h",
    "people",
)


def compute_area_visits(events: Log) -> pl.DataFrame:
    """One row per visit (see the module docstring): ``case_id``, ``org_unit``, ``source`` (the
    unit it came from; null for the case's first), ``target`` (the unit it went to; null for the
    last), ``start``, ``end`` (UTC), ``duration_s`` and ``people`` (list of its resources)."""
    lazy = events.lazy()
    has_people = RESOURCE in lazy.collect_schema()
    person = pl.col(RESOURCE).cast(pl.String) if has_people else pl.lit(None, dtype=pl.String)
    performed = lazy.select(
        CASE, TIMESTAMP, pl.col(ORG_UNIT).cast(pl.String).alias(ORG_UNIT), person.alias(RESOURCE)
    ).filter(pl.col(ORG_UNIT).is_not_null())
    new_visit = (pl.col(CASE) != pl.col(CASE).shift(1)) | (
        pl.col(ORG_UNIT) != pl.col(ORG_UNIT).shift(1)
    )
    numbered = performed.with_columns(new_visit.fill_null(True).cum_sum().alias("_visit"))
    visits = numbered.group_by("_visit", maintain_order=True).agg(
        pl.col(CASE).first(),
        pl.col(ORG_UNIT).first(),
        pl.col(TIMESTAMP).first().alias("start"),
        pl.col(TIMESTAMP).last().alias("_last"),
        pl.col(RESOURCE).drop_nulls().unique().alias("people"),
    )
    same_before = pl.col(CASE).shift(1) == pl.col(CASE)
    same_after = pl.col(CASE).shift(-1) == pl.col(CASE)
    linked = visits.sort("_visit").with_columns(
        pl.when(same_before).then(pl.col(ORG_UNIT).shift(1)).alias("source"),
        pl.when(same_after).then(pl.col(ORG_UNIT).shift(-1)).alias("target"),
        pl.when(same_after).then(pl.col("start").shift(-1)).otherwise(pl.col("_last")).alias("end"),
    )
    return (
        linked.with_columns(_seconds(pl.col("end") - pl.col("start")).alias("duration_s"))
        .select(CASE, ORG_UNIT, "source", "target", "start", "end", "duration_s", "people")
        .collect()
    )


def load_visits(events: Log) -> pl.DataFrame:
    """:func:`compute_area_visits` without its case ids and people, which the load does not
    need: ``org_unit``, ``source``, ``target``, ``start``, ``end``, ``duration_s``, in the same
    order. A visit's first and last events are found by comparing each event with its
    neighbours (the events of a case are stored together), not by grouping the events."""
    same_case = (pl.col(CASE) == pl.col(CASE).shift(1)).fill_null(False)
    begins = ~same_case | (pl.col(ORG_UNIT) != pl.col(ORG_UNIT).shift(1)).fill_null(True)
    marked = (
        events.lazy()
        .select(CASE, TIMESTAMP, pl.col(ORG_UNIT).cast(pl.String))
        .filter(pl.col(ORG_UNIT).is_not_null())
        .select(ORG_UNIT, TIMESTAMP, begins.alias("_begins"), same_case.alias("_handed_in"))
        .collect()
    )
    ends = marked["_begins"].shift(-1).fill_null(True)
    first = marked.filter("_begins").select(
        ORG_UNIT, pl.col(TIMESTAMP).alias("start"), "_handed_in"
    )
    last = marked.filter(ends).select(pl.col(TIMESTAMP).alias("_last"))
    del marked
    handed_on = pl.col("_handed_in").shift(-1).fill_null(False)
    linked = pl.concat([first, last], how="horizontal").with_columns(
        pl.when("_handed_in").then(pl.col(ORG_UNIT).shift(1)).alias("source"),
        pl.when(handed_on).then(pl.col(ORG_UNIT).shift(-1)).alias("target"),
        pl.when(handed_on).then(pl.col("start").shift(-1)).otherwise(pl.col("_last")).alias("end"),
    )
    duration = _seconds(pl.col("end") - pl.col("start")).alias("duration_s")
    return linked.select(ORG_UNIT, "source", "target", "start", "end", duration)


def _seconds(delta: pl.Expr) -> pl.Expr:
    """``delta`` in seconds, correctly rounded. Polars divides by a literal as a multiplication
    by its reciprocal (a last-bit error for about a quarter of the values, where depending on
    how the column is chunked), so the visits of a partition and of one file could differ in
    the last bit; numpy's division is exact."""
    return delta.dt.total_microseconds().map_batches(
        lambda us: pl.Series(us.name, us.to_numpy() / 1e6, dtype=pl.Float64, nan_to_null=True),
        return_dtype=pl.Float64,
        is_elementwise=True,
    )


@dataclass(frozen=True)
class AreaLoad:
    """The monthly load per org unit: ``monthly`` (one row per org unit and month, the columns
    of the module docstring plus ``people``), ``waits`` (one row per pair: ``source`` (the unit
    that handed over), ``target`` (the unit the case then waited in), ``visits``,
    ``mean_wait_h``, ``median_wait_h``, ``total_wait_h``; most total waiting first), the org units
    ``merged`` into one group, whether that group is ``withheld``, the unit-months left out
    (``months_withheld``), and ``people_known`` (False: the log names no people)."""

    monthly: pl.DataFrame
    waits: pl.DataFrame
    merged: int
    withheld: bool
    months_withheld: int
    people_known: bool


def compute_area_load(events: Log) -> AreaLoad:
    """The load per org unit and month, and who waits on whom (see :class:`AreaLoad`)."""
    merged = merge_small_groups(events, by=ORG_UNIT)
    people = count_people_per_month(merged.frame)
    return area_load_of(load_visits(merged.frame), people, merged)


def area_load_of(visits: pl.DataFrame, people: pl.DataFrame, merged: MergedGroups) -> AreaLoad:
    """:class:`AreaLoad` of the ``visits`` (:func:`load_visits`) of a log whose org units were
    ``merged`` (the 5-person rule) and whose units' people per month are ``people``
    (:func:`count_people_per_month`)."""
    if merged.withheld:
        visits = visits.filter(pl.col(ORG_UNIT) != WITHHELD_GROUP)
    monthly = _monthly(visits, people)
    months_withheld = 0
    if merged.people_known:
        small = pl.col("people") < MIN_PEOPLE
        months_withheld = monthly.filter(small).height
        monthly = monthly.filter(~small)
    waits = _waits(visits)
    return AreaLoad(
        monthly, waits, merged.merged, merged.withheld, months_withheld, merged.people_known
    )


def _monthly(visits: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    if visits.is_empty():
        return _empty_monthly()
    lazy = visits.lazy()  # each count reads only its columns
    begun_lazy = lazy.group_by(ORG_UNIT, local_month(pl.col("start")).alias("month")).agg(
        pl.len().cast(pl.Int64).alias("arrivals"),
        pl.col("source").is_not_null().sum().cast(pl.Int64).alias("handovers_in"),
    )
    ended_lazy = lazy.group_by(ORG_UNIT, local_month(pl.col("end")).alias("month")).agg(
        pl.len().cast(pl.Int64).alias("completions"),
        pl.col("target").is_not_null().sum().cast(pl.Int64).alias("handovers_out"),
        (pl.col("duration_s").median() / 3600).alias("median_throughput_h"),
    )
    begun, ended = pl.collect_all([begun_lazy, ended_lazy])
    seen: list[dt.date] = [*begun["month"], *ended["month"]]
    first, last = min(seen), max(seen)
    months = pl.DataFrame({"month": pl.date_range(first, last, "1mo", eager=True)})
    grid = visits.select(pl.col(ORG_UNIT).unique().sort()).join(months, how="cross")
    counts = ("arrivals", "handovers_in", "completions", "handovers_out")
    table = (
        grid.join(begun, on=[ORG_UNIT, "month"], how="left")
        .join(ended, on=[ORG_UNIT, "month"], how="left")
        .with_columns(pl.col(*counts).fill_null(0))
        .sort(ORG_UNIT, "month")
        .with_columns(
            (pl.col("arrivals") - pl.col("completions"))
            .cum_sum()
            .over(ORG_UNIT)
            .cast(pl.Int64)
            .alias("open_end")
        )
    )
    return (
        table.join(people, on=[ORG_UNIT, "month"], how="left")
        .with_columns(pl.col("people").fill_null(0))
        .select(ORG_UNIT, "month", *_COLUMNS)
    )


def count_people_per_month(events: pl.LazyFrame) -> pl.DataFrame:
    """The distinct people of each org unit and Copenhagen month (``org_unit``, ``month``,
    ``people``; empty when the log names no people)."""
    if RESOURCE not in events.collect_schema():
        return pl.DataFrame(schema={ORG_UNIT: pl.String, "month": pl.Date, "people": pl.Int64})
    return (
        events.filter(pl.col(ORG_UNIT).is_not_null())
        .group_by(pl.col(ORG_UNIT).cast(pl.String), local_month(pl.col(TIMESTAMP)).alias("month"))
        .agg(pl.col(RESOURCE).drop_nulls().n_unique().cast(pl.Int64).alias("people"))
        .collect()
    )


def _empty_monthly() -> pl.DataFrame:
    ints = ("arrivals", "completions", "open_end", "handovers_in", "handovers_out")
    schema: dict[str, pl.DataType | type[pl.DataType]] = {ORG_UNIT: pl.String, "month": pl.Date}
    schema |= {name: pl.Int64 for name in ints}
    schema |= {"median_throughput_h": pl.Float64, "people": pl.Int64}
    return pl.DataFrame(schema=schema)


def _waits(visits: pl.DataFrame) -> pl.DataFrame:
    # Seconds turned into hours after aggregating: polars divides a column by a literal as a
    # multiplication (last-bit errors that depend on how the column is chunked).
    seconds = pl.col("duration_s")
    return (
        visits.lazy()
        .filter(pl.col("source").is_not_null())
        .group_by(pl.col("source"), pl.col(ORG_UNIT).alias("target"))
        .agg(
            pl.len().cast(pl.Int64).alias("visits"),
            (seconds.mean() / 3600).alias("mean_wait_h"),
            (seconds.median() / 3600).alias("median_wait_h"),
            (seconds.sum() / 3600).alias("total_wait_h"),
        )
        .sort(["total_wait_h", "source", "target"], descending=[True, False, False])
        .collect()
    )


@dataclass(frozen=True)
class AreaHours:
    """Registered hours: ``table`` (one row per service area, month and activity: ``hours``,
    ``people``; an area-month's activities of fewer than 5 people summed into one
    :data:`OTHER_ACTIVITIES` row), the area-months left out as they show fewer than 5 people
    (``months_withheld``) and the area-month activity rows merged (``activities_merged``)."""

    table: pl.DataFrame
    months_withheld: int
    activities_merged: int


def compute_area_hours(
    hours: pl.DataFrame,
    *,
    area: str = "service_area",
    activity: str = "activity",
    people_column: str = "employee",
) -> AreaHours:
    """Hours per service area, month (of the registration ``date``) and activity, under the
    5-person rule (see :class:`AreaHours`)."""
    frame = hours.select(
        pl.col(area).cast(pl.String).alias("service_area"),
        pl.col("date").dt.truncate("1mo").alias("month"),
        pl.col(activity).cast(pl.String).alias("activity"),
        pl.col(people_column).alias("_person"),
        pl.col("hours").cast(pl.Float64),
    ).filter(pl.col("service_area").is_not_null())
    keys = ["service_area", "month"]
    month_people = frame.group_by(keys).agg(pl.col("_person").n_unique().alias("_month_people"))
    shown = frame.join(month_people, on=keys).filter(pl.col("_month_people") >= MIN_PEOPLE)
    withheld = month_people.filter(pl.col("_month_people") < MIN_PEOPLE).height
    per_activity = shown.group_by([*keys, "activity"]).agg(
        pl.col("_person").n_unique().alias("_activity_people")
    )
    labelled = shown.join(per_activity, on=[*keys, "activity"]).with_columns(
        pl.when(pl.col("_activity_people") < MIN_PEOPLE)
        .then(pl.lit(OTHER_ACTIVITIES))
        .otherwise(pl.col("activity"))
        .alias("activity")
    )
    merged_rows = per_activity.filter(pl.col("_activity_people") < MIN_PEOPLE).height
    table = (
        labelled.group_by([*keys, "activity"])
        .agg(
            pl.col("hours").sum().alias("hours"),
            pl.col("_person").n_unique().cast(pl.Int64).alias("people"),
        )
        .sort(*keys, "activity")
    )
    # An 'other' row of fewer than 5 people would describe them: it joins no figure.
    small_other = (pl.col("activity") == OTHER_ACTIVITIES) & (pl.col("people") < MIN_PEOPLE)
    return AreaHours(table.filter(~small_other), withheld, merged_rows)


@dataclass(frozen=True)
class LoadForecast:
    """A forecast per org unit: ``forecast`` (one row per unit and future month: ``org_unit``,
    ``month``, ``forecast``), ``backtest`` (one row per unit: ``model`` ("trend+season" or
    "level"), ``months`` of history, ``mae`` and ``mape`` of the last ``horizon`` known months
    predicted from the months before them, ``next_quarter`` (the forecast's sum)), and the units
    ``skipped`` for a history shorter than :data:`MIN_FORECAST_MONTHS`."""

    forecast: pl.DataFrame
    backtest: pl.DataFrame
    skipped: int = 0


def forecast_load(
    monthly: pl.DataFrame, *, value: str = "arrivals", horizon: int = FORECAST_HORIZON
) -> LoadForecast:
    """The ``horizon`` months after the frame's last month, of ``value`` per org unit, from the
    unit's months in the frame (a unit with fewer than 12 is skipped).

    Model: with at least 24 months, a least-squares line over time plus one level per month of
    the year (trend + season); with fewer, the mean of the last three months (level). The
    back-test fits the same model without the last ``horizon`` months and predicts them."""
    rows: list[dict[str, object]] = []
    tests: list[dict[str, object]] = []
    skipped = 0
    seen: list[dt.date] = monthly["month"].to_list()
    future = [_add_months(max(seen), step) for step in range(1, horizon + 1)] if seen else []
    for (unit,), group in monthly.sort("month").group_by(ORG_UNIT, maintain_order=True):
        months = group["month"].to_list()
        values = group[value].cast(pl.Float64).to_numpy()
        if len(values) < MIN_FORECAST_MONTHS:
            skipped += 1
            continue
        predicted, model = _predict(months, values, future)
        rows += [
            {ORG_UNIT: unit, "month": m, "forecast": max(p, 0.0)}
            for m, p in zip(future, predicted, strict=True)
        ]
        mae = mape = None
        if len(values) > horizon + 3:
            known, held = values[:-horizon], values[-horizon:]
            back, _ = _predict(months[:-horizon], known, months[-horizon:])
            errors = np.abs(np.maximum(back, 0.0) - held)
            mae = float(errors.mean())
            mape = float((errors / held).mean()) if (held > 0).all() else None
        tests.append({
            ORG_UNIT: unit, "model": model, "months": len(values), "mae": mae, "mape": mape,
            "next_quarter": float(np.maximum(predicted, 0.0).sum()),
        })  # fmt: skip
    forecast_schema = {ORG_UNIT: pl.String, "month": pl.Date, "forecast": pl.Float64}
    test_schema = {
        ORG_UNIT: pl.String, "model": pl.String, "months": pl.Int64, "mae": pl.Float64,
        "mape": pl.Float64, "next_quarter": pl.Float64,
    }  # fmt: skip
    return LoadForecast(
        pl.DataFrame(rows, schema=forecast_schema),
        pl.DataFrame(tests, schema=test_schema),
        skipped,
    )


def _predict(
    months: list[dt.date], values: np.ndarray, future: list[dt.date]
) -> tuple[np.ndarray, str]:
    if len(values) < MIN_SEASONAL_MONTHS:
        level = float(values[-3:].mean())
        return np.full(len(future), level), "level"
    origin = months[0]
    design = _design(months, origin)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    return _design(future, origin) @ coefficients, "trend+season"


def _design(months: list[dt.date], origin: dt.date) -> np.ndarray:
    """Columns: the months since ``origin`` (trend), then one indicator per month of the year."""
    matrix = np.zeros((len(months), 13))
    for row, month in enumerate(months):
        matrix[row, 0] = (month.year - origin.year) * 12 + month.month - origin.month
        matrix[row, month.month] = 1.0
    return matrix


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)
