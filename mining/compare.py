"""Before/after comparison around a date (say, an integration's go-live).

Each case gets one value of the chosen measure and belongs to the period in which it started
(first event before ``at``: before; at or after: after). The periods' statistic (mean or
median) is compared as after minus before, with a percentile bootstrap confidence interval
(cases resampled with replacement within each period) and a two-sided permutation test p-value
(period labels shuffled; p = (1 + as extreme) / (1 + resamples), never 0). Both use a seeded
generator, so a figure is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar
from mining.durations import (
    TimeMode,
    compute_case_durations,
    compute_event_durations,
    compute_time_between,
)
from mining.handovers import compute_handovers_per_case
from mining.partitioned import PartitionedLog
from mining.partitioned_compare import check_partitioned_period_sizes
from mining.privacy import check_period_sizes
from mining.rework import compute_rework
from models.errors import InputError
from models.schema import ACTIVITY, CASE, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame
CaseMeasure = Literal["throughput_s", "time_between_s", "wait_s", "events", "handovers", "rework"]
Statistic = Literal["mean", "median"]
Floats = npt.NDArray[np.float64]

# Resampled values held at once: keeps memory flat on logs with many cases.
_CHUNK_VALUES = 4_000_000


@dataclass(frozen=True)
class Comparison:
    """One measure before and after ``at``: the statistic per period, their difference (after
    minus before), its bootstrap confidence interval and the permutation p-value."""

    measure: CaseMeasure
    statistic: Statistic
    at: dt.datetime
    cases_before: int
    cases_after: int
    before: float
    after: float
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    resamples: int


def compute_case_measure(
    events: Log,
    *,
    measure: CaseMeasure,
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    source: str | None = None,
    target: str | None = None,
) -> pl.DataFrame:
    """One row per case that has the measure: ``case_id``, ``start`` (first timestamp, UTC),
    ``value``. ``throughput_s``, ``time_between_s`` (from ``source`` to ``target``) and
    ``wait_s`` (the case's total waiting before its ``target`` events, or before all its events
    without ``target``) honour ``time``; ``handovers`` are between org units; ``rework`` is 1 for
    a case with a repeated activity, else 0 (so its mean is the share of cases with rework)."""
    lazy = events.lazy()
    starts = lazy.group_by(CASE).agg(pl.col(TIMESTAMP).min().alias("start"))
    if measure == "throughput_s":
        values = compute_case_durations(lazy, time=time, calendar=calendar).select(
            CASE, pl.col("duration_s").alias("value")
        )
    elif measure == "time_between_s":
        if source is None or target is None:
            raise InputError("the measure time_between_s needs both --source and --target.")
        values = compute_time_between(
            lazy, source=source, target=target, time=time, calendar=calendar
        ).select(CASE, pl.col("duration_s").alias("value"))
    elif measure == "wait_s":
        values = _case_wait_s(lazy, target=target, time=time, calendar=calendar)
    elif measure == "events":
        values = lazy.group_by(CASE).agg(pl.len().cast(pl.Float64).alias("value")).collect()
    elif measure == "handovers":
        values = compute_handovers_per_case(lazy).select(
            CASE, pl.col("handovers").cast(pl.Float64).alias("value")
        )
    else:
        values = compute_rework(lazy, level="case").select(
            CASE, pl.col("has_rework").cast(pl.Float64).alias("value")
        )
    return starts.collect().join(values, on=CASE, how="inner").sort(CASE)


def _case_wait_s(
    lazy: pl.LazyFrame, *, target: str | None, time: TimeMode, calendar: WorkingCalendar
) -> pl.DataFrame:
    timed = compute_event_durations(lazy, time=time, calendar=calendar)
    if target is not None:
        timed = timed.filter(pl.col(ACTIVITY).cast(pl.String) == target)
    return timed.group_by(CASE).agg(pl.col("wait_s").sum().alias("value")).collect()


def compare_periods(
    events: Log | PartitionedLog,
    *,
    at: dt.datetime,
    measure: CaseMeasure = "throughput_s",
    statistic: Statistic = "mean",
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    source: str | None = None,
    target: str | None = None,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Compare ``measure`` between cases started before ``at`` and cases started from it.

    Raises PrivacyError (mining.privacy) when either period shows fewer than 5 people: the
    5-person rule is checked here, so every caller (CLI, follow-up) withholds alike.

    A log stored in partitions (``PartitionedLog``) is measured one partition at a time: every
    measure is a value per case and a case lies in one partition, so the rows put together in
    case-id order are those of the log in one file, and so are the statistics, the interval
    and the p-value (the seeded generator draws over the same arrays). Its periods' people are
    counted over all partitions (``mining.partitioned_compare``)."""
    if at.tzinfo is None:
        raise InputError(
            f"the date {at.isoformat()} has no time zone: give one (e.g. 2024-05-01T00:00+02:00)."
        )

    def measured(log: Log) -> pl.DataFrame:
        return compute_case_measure(
            log, measure=measure, time=time, calendar=calendar, source=source, target=target
        )

    if isinstance(events, PartitionedLog):
        check_partitioned_period_sizes(events, at=at)
        parts = [measured(lazy) for lazy in events.partitions()]
        values = pl.concat(parts).sort(CASE, maintain_order=True)
    else:
        check_period_sizes(events, at=at)
        values = measured(events)
    cut = at.astimezone(dt.UTC)
    early = values.filter(pl.col("start") < cut)["value"].to_numpy().astype(np.float64)
    late = values.filter(pl.col("start") >= cut)["value"].to_numpy().astype(np.float64)
    if len(early) < 2 or len(late) < 2:
        raise InputError(
            f"{len(early)} case(s) started before {at.isoformat()} and {len(late)} from it: each "
            "period needs at least 2 cases with the measure. Choose another date."
        )
    stat = _statistic(statistic)
    rng = np.random.default_rng(seed)
    observed = float(stat(late[None, :])[0] - stat(early[None, :])[0])
    diffs = _bootstrap(early, late, stat, resamples, rng)
    tail = (1.0 - confidence) / 2
    return Comparison(
        measure=measure,
        statistic=statistic,
        at=at,
        cases_before=len(early),
        cases_after=len(late),
        before=float(stat(early[None, :])[0]),
        after=float(stat(late[None, :])[0]),
        difference=observed,
        ci_low=float(np.quantile(diffs, tail)),
        ci_high=float(np.quantile(diffs, 1.0 - tail)),
        confidence=confidence,
        p_value=_permutation_p(early, late, observed, stat, resamples, rng=rng),
        resamples=resamples,
    )


def _statistic(statistic: Statistic) -> Callable[[Floats], Floats]:
    """The row-wise statistic of a (resamples × cases) matrix."""
    if statistic == "mean":
        return lambda matrix: np.asarray(matrix.mean(axis=1), dtype=np.float64)
    return lambda matrix: np.asarray(np.median(matrix, axis=1), dtype=np.float64)


def _chunks(resamples: int, cases: int) -> list[int]:
    size = max(1, _CHUNK_VALUES // max(cases, 1))
    return [min(size, resamples - done) for done in range(0, resamples, size)]


def _bootstrap(
    early: Floats,
    late: Floats,
    stat: Callable[[Floats], Floats],
    resamples: int,
    rng: np.random.Generator,
) -> Floats:
    """Differences of the statistic on period-wise resamples with replacement."""
    out: list[Floats] = []
    for n in _chunks(resamples, len(early) + len(late)):
        a = early[rng.integers(0, len(early), size=(n, len(early)))]
        b = late[rng.integers(0, len(late), size=(n, len(late)))]
        out.append(stat(b) - stat(a))
    return np.concatenate(out)


def _permutation_p(
    early: Floats,
    late: Floats,
    observed: float,
    stat: Callable[[Floats], Floats],
    resamples: int,
    *,
    rng: np.random.Generator,
) -> float:
    """Two-sided: the share of label shuffles whose difference is at least as far from 0."""
    pooled = np.concatenate([early, late])
    cut = len(early)
    extreme = 0
    for _ in range(resamples):
        # One shuffle at a time: numpy's row-wise shuffle of a matrix is far slower.
        shuffled = rng.permutation(pooled)[None, :]
        diff = float(stat(shuffled[:, cut:])[0] - stat(shuffled[:, :cut])[0])
        # A tiny tolerance: equal differences computed in another order must count as equal.
        extreme += abs(diff) >= abs(observed) - 1e-12 * max(1.0, abs(observed))
    return (1 + extreme) / (1 + resamples)
