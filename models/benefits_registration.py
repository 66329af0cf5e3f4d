"""Savings measured in the time registration (a pure engine; part of models/benefits.py).

**Per case, volume-normalised.** Each case of the work (manual and robot alike) carries the
hours registered on its reference (on the solution's activity, or on a catch-all activity with
the reference) and belongs to the month it was opened in. Before go-live, the registered hours
per case give the rate; from go-live each month saves its cases × that rate minus the hours
registered on its cases. The same count of cases stands on both sides of the subtraction, so a
robot that takes only some of the cases, or more of them month by month, is measured as it is.

**Unregistered cases.** Some cases never get a registration. The share of cases registered
before go-live (ρ) scales the registered hours up to the work they stand for, on both sides.

**A comparison process** that is never automated (named in the binding file) carries what
changes for all work alike: registration habits (missing days, a new time system), or a
changed way of working. Its registered hours per case, relative to its level before the
solution's go-live, index every month (pooled over three months against noise): the solution's
registered hours are divided by the index before the subtraction (a difference-in-differences
in ratios).

**Without case references** the months cannot be normalised by volume: each month after
go-live is compared with the same month a year before where that lies before go-live (so the
seasons cancel), else with the mean month before.

Bands are 95 % bootstrap intervals over the cases before go-live and the comparison's cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from models.benefits import (
    BOOTSTRAP_REPLICATES,
    Estimate,
    FloatArray,
    bootstrap_rng,
    month_start,
    monthly_frame,
    resample_means,
)

INDEX_WINDOW_MONTHS = 3


@dataclass(frozen=True)
class RegistrationIndex:
    """A comparison process's registered hours per case by month, relative to its level in the
    reference months (1.0 = unchanged), with bootstrap replicates (B, months)."""

    name: str
    months: tuple[dt.date, ...]
    factor: FloatArray
    replicates: FloatArray
    reference_rate: float

    def at(self, months: list[dt.date]) -> tuple[FloatArray, FloatArray]:
        """The index and its replicates at ``months`` (1.0 where the comparison has no data)."""
        where = {m: i for i, m in enumerate(self.months)}
        point = np.ones(len(months))
        replicates = np.ones((BOOTSTRAP_REPLICATES, len(months)))
        for j, month in enumerate(months):
            if month in where:
                point[j] = self.factor[where[month]]
                replicates[:, j] = self.replicates[:, where[month]]
        return point, replicates

    def shift_pct(self, since: dt.date) -> float | None:
        """How far the index moved from 1 on average from ``since`` on, in per cent."""
        after = [f for m, f in zip(self.months, self.factor, strict=True) if m >= since]
        return (float(np.mean(after)) - 1) * 100 if after else None


def case_months(cases: pl.DataFrame) -> pl.DataFrame:
    """Per month of the cases (reference, month, hours): cases, registered cases, hours."""
    # Sorted first: a float sum depends on its order, and a figure must not move between runs.
    return (
        cases.sort("month", "reference")
        .group_by("month", maintain_order=True)
        .agg(
            pl.len().alias("cases"),
            (pl.col("hours") > 0).sum().alias("registered"),
            pl.col("hours").sum(),
        )
        .sort("month")
    )


def measure_registration_index(
    name: str, cases: pl.DataFrame, *, go_live: dt.datetime
) -> RegistrationIndex | None:
    """The index of a comparison process (``cases``: reference, month, hours) against its
    level in the months before ``go_live``; None without cases or hours there."""
    if cases.is_empty():
        return None
    months = sorted(cases["month"].unique().to_list())
    position = {m: i for i, m in enumerate(months)}
    at = np.array([position[m] for m in cases["month"].to_list()])
    hours = cases["hours"].to_numpy().astype(np.float64)
    before = np.array([m < month_start(go_live) for m in months])
    point = _index(_month_sums(hours, at, len(months)), _month_sums(np.ones_like(hours), at,
                   len(months)), before)  # fmt: skip
    if point is None:
        return None
    factor, reference = point
    replicates = _index_replicates(hours, at, len(months), before)
    return RegistrationIndex(name, tuple(months), factor, replicates, reference)


def _month_sums(values: FloatArray, at: np.ndarray, months: int) -> FloatArray:
    return np.bincount(at, weights=values, minlength=months).astype(np.float64)


def _index(
    hours: FloatArray, cases: FloatArray, before: np.ndarray
) -> tuple[FloatArray, float] | None:
    """Pooled hours per case over a centred window of months, relative to the months before."""
    if cases[before].sum() == 0 or hours[before].sum() == 0:
        return None
    reference = float(hours[before].sum() / cases[before].sum())
    kernel = np.ones(INDEX_WINDOW_MONTHS)
    pooled_hours = np.convolve(hours, kernel, mode="same")
    pooled_cases = np.convolve(cases, kernel, mode="same")
    rate = np.divide(pooled_hours, pooled_cases, out=np.full(len(hours), reference),
                     where=pooled_cases > 0)  # fmt: skip
    return rate / reference, reference


def _index_replicates(
    hours: FloatArray, at: np.ndarray, months: int, before: np.ndarray
) -> FloatArray:
    """The index recomputed on resamples of the comparison's cases."""
    rng = bootstrap_rng()
    out = np.ones((BOOTSTRAP_REPLICATES, months))
    for b in range(BOOTSTRAP_REPLICATES):
        pick = rng.integers(0, len(hours), len(hours))
        found = _index(
            _month_sums(hours[pick], at[pick], months),
            _month_sums(np.ones(len(pick)), at[pick], months),
            before,
        )
        if found is not None:
            out[b] = found[0]
    return out


@dataclass(frozen=True)
class RegistrationRate:
    """What the cases before go-live registered: hours per case (all cases, index-corrected)
    and the share of cases with any registration."""

    hours_per_case: float
    registered_share: float
    cases: int

    @property
    def minutes_per_registered_case(self) -> float:
        """Registered minutes of a case that is registered at all."""
        return self.hours_per_case / self.registered_share * 60


def estimate_from_time_registration(
    cases: pl.DataFrame,
    *,
    go_live: dt.datetime,
    loose: pl.DataFrame | None = None,
    index: RegistrationIndex | None = None,
) -> tuple[Estimate, RegistrationRate] | None:
    """Hours saved per month from the work's cases (reference, month opened, hours registered
    on them) and ``loose`` hours (month, hours) on the activity that name no case of the work;
    None without any case before go-live or any hours there."""
    first = month_start(go_live)
    months_frame = _months(cases, loose)
    months = months_frame["month"].to_list()
    count = months_frame["cases"].to_numpy().astype(np.float64)
    hours = months_frame["hours"].to_numpy().astype(np.float64)
    registered = months_frame["registered"].to_numpy().astype(np.float64)
    d, d_replicates = index.at(months) if index else (np.ones(len(months)), None)
    before = np.array([m < first for m in months], dtype=bool)
    if count[before].sum() == 0 or hours[before].sum() == 0:
        return None
    rate = float((hours[before] / d[before]).sum() / count[before].sum())
    share = float(registered[before].sum() / count[before].sum())
    after = ~before
    point = (count[after] * rate - hours[after] / d[after]) / share
    replicates = _replicates(cases, months_frame, first, d, d_replicates)
    frame = monthly_frame([m for m, a in zip(months, after, strict=True) if a], count[after],
                          point, replicates[:, after])  # fmt: skip
    found = RegistrationRate(rate, share, int(count[before].sum()))
    return Estimate("time_registration", frame, _basis(found, index)), found


def _months(cases: pl.DataFrame, loose: pl.DataFrame | None) -> pl.DataFrame:
    """Cases, registered cases and hours per month, the loose hours added to their month."""
    frame = case_months(cases)
    if loose is None or loose.is_empty():
        return frame
    extra = loose.group_by("month", maintain_order=True).agg(pl.col("hours").sum().alias("loose"))
    return (
        frame.join(extra, on="month", how="full", coalesce=True)
        .with_columns(
            pl.col("cases").fill_null(0),
            pl.col("registered").fill_null(0),
            (pl.col("hours").fill_null(0.0) + pl.col("loose").fill_null(0.0)).alias("hours"),
        )
        .drop("loose")
        .sort("month")
    )


def _replicates(
    cases: pl.DataFrame,
    months_frame: pl.DataFrame,
    first: dt.date,
    d: FloatArray,
    d_replicates: FloatArray | None,
) -> FloatArray:
    """Monthly savings recomputed on resamples of the cases before go-live (their hours per
    case and registered share) and of the comparison's index."""
    months = months_frame["month"].to_list()
    position = {m: i for i, m in enumerate(months)}
    early = cases.filter(pl.col("month") < first)
    at = np.array([position[m] for m in early["month"].to_list()])
    hours = early["hours"].to_numpy().astype(np.float64)
    loose_before = float(months_frame.filter(pl.col("month") < first)["hours"].sum() - hours.sum())
    rng = bootstrap_rng()
    reps = d_replicates if d_replicates is not None else np.ones((BOOTSTRAP_REPLICATES, len(d)))
    count = months_frame["cases"].to_numpy().astype(np.float64)
    month_hours = months_frame["hours"].to_numpy().astype(np.float64)
    out = np.empty((BOOTSTRAP_REPLICATES, len(months)))
    n = len(hours)
    for b in range(BOOTSTRAP_REPLICATES):
        pick = rng.integers(0, n, n)
        deflated = hours[pick] / reps[b, at[pick]]
        loose = loose_before / float(np.mean(reps[b, at])) if n else 0.0
        rate = (deflated.sum() + loose) / n
        share = max(float((hours[pick] > 0).mean()), 1e-9)
        out[b] = (count * rate - month_hours / reps[b]) / share
    return out


def _basis(rate: RegistrationRate, index: RegistrationIndex | None) -> str:
    corrected = (
        f"; registered hours indexed by the comparison process {index.name}"
        if index
        else "; no comparison process: a change common to all work is not told apart"
    )
    return (
        f"{rate.minutes_per_registered_case:.1f} registered minutes per registered case before "
        f"go-live ({rate.registered_share:.0%} of {rate.cases} cases registered) × cases per "
        f"month − hours registered on them{corrected}"
    )


def estimate_without_references(hours: pl.DataFrame, *, go_live: dt.datetime) -> Estimate | None:
    """Without case references (``hours``: month, hours): each month after go-live against the
    same month a year before where that lies before go-live, else the mean month before."""
    first = month_start(go_live)
    by_month = dict(
        hours.group_by("month", maintain_order=True).agg(pl.col("hours").sum()).iter_rows()
    )
    before = np.array([h for m, h in sorted(by_month.items()) if m < first], dtype=np.float64)
    if len(before) == 0:
        return None
    after = sorted(m for m in by_month if m >= first)
    means = resample_means(before, bootstrap_rng()) if len(before) > 1 else None
    point, replicates = [], []
    for month in after:
        year_before = dt.date(month.year - 1, month.month, 1)
        if year_before < first and year_before in by_month:
            counterfactual = by_month[year_before]
            replicates.append(np.full(BOOTSTRAP_REPLICATES, counterfactual))
        else:
            counterfactual = float(before.mean())
            replicates.append(
                means if means is not None else np.full(BOOTSTRAP_REPLICATES, counterfactual)
            )
        point.append(counterfactual - by_month[month])
    saved = np.array(point)
    reps = (np.stack(replicates, axis=1) if after else np.empty((BOOTSTRAP_REPLICATES, 0))) - (
        np.array([by_month[m] for m in after])
    )
    frame = monthly_frame(after, np.zeros(len(after)), saved, reps).with_columns(
        pl.lit(None, dtype=pl.Int64).alias("volume")
    )
    basis = (
        f"hours registered each month after go-live against the same month a year before "
        f"(else the mean month before, {before.mean():.1f} hours): no case references, so not "
        "normalised by volume"
    )
    return Estimate("time_registration", frame, basis)
