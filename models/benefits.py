"""Realised savings of an investment, measured three ways from stored data (a pure engine).

Every method gives hours saved per calendar month (UTC) from the go-live month on, with a low
and a high bound, and the volume it rests on:

- **robot run data** ("aflæses i kørselsdata"): successful transactions × (manual minutes per
  case − residual human minutes per successful case) − exceptions × extra human minutes an
  exception costs beyond a manual case. The manual minutes are *measured* from the manual
  cases before go-live where the work can be mined, else taken from the binding.
- **time registration**: the hours registered on the work per case before go-live (total hours
  over distinct case references) × the month's volume, minus the hours registered that month.
  Without case references the volume cannot be normalised and the monthly mean before is used.
- **process mining**: per case handled after go-live, the manual minutes measured before minus
  the human handling time mined for that case (robot events left out), summed per month. For
  work that has no handling activities (coordination around orders), the fall in handovers per
  case × the hours a handover cost before (registered hours per case / handovers per case).

Bounds come from the uncertainty of the per-case baseline (mean ± 1.96 standard errors over
the cases, or over the months for time registration): the counts themselves are exact.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import polars as pl

Method = Literal["robot", "time_registration", "process_mining"]
METHODS: tuple[Method, ...] = ("robot", "time_registration", "process_mining")
SUCCESS = "success"
_Z95 = 1.96
# Columns of every method's monthly frame.
MONTHLY_COLUMNS = ("month", "volume", "hours_saved", "hours_low", "hours_high")


@dataclass(frozen=True)
class Baseline:
    """A per-case figure in minutes with its 95 % band and how many observations it rests on."""

    minutes: float
    low: float
    high: float
    observations: int
    source: str

    @classmethod
    def fixed(cls, minutes: float, source: str) -> Baseline:
        """A figure taken as given (from a binding or a business case): no band."""
        return cls(minutes, minutes, minutes, 0, source)


@dataclass(frozen=True)
class Estimate:
    """One method's realised savings for one solution: ``monthly`` has MONTHLY_COLUMNS."""

    method: Method
    monthly: pl.DataFrame
    basis: str

    @property
    def hours(self) -> float:
        """All hours saved."""
        return float(self.monthly["hours_saved"].sum())

    def hours_in(self, year: int) -> tuple[float, float, float]:
        """Hours saved in ``year`` with the low and high bound."""
        rows = self.monthly.filter(pl.col("month").dt.year() == year)
        return (
            float(rows["hours_saved"].sum()),
            float(rows["hours_low"].sum()),
            float(rows["hours_high"].sum()),
        )


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the calendar month of ``moment``."""
    return dt.date(moment.year, moment.month, 1)


def measure_baseline(work: pl.DataFrame, *, go_live: dt.datetime) -> Baseline | None:
    """Mean human minutes per case over the manual cases opened before go-live that reached
    their end (``work``: reference, opened, reached_end, human_minutes); None without any."""
    before = work.filter((pl.col("opened") < go_live) & pl.col("reached_end"))
    return _mean_band(before["human_minutes"], "mined from manual cases before go-live")


def _mean_band(values: pl.Series, source: str) -> Baseline | None:
    """The mean of ``values`` with mean ± 1.96 standard errors; None when empty."""
    n = values.len()
    if n == 0:
        return None
    mean = float(values.mean())  # type: ignore[arg-type]
    sd = float(values.std()) if n > 1 else 0.0  # type: ignore[arg-type]
    half = _Z95 * sd / math.sqrt(n)
    return Baseline(mean, max(mean - half, 0.0), mean + half, n, source)


def measure_residual(
    work: pl.DataFrame, transactions: pl.DataFrame, *, go_live: dt.datetime
) -> tuple[float, float]:
    """Human minutes per successful transaction's case after go-live (attended assistants leave
    some), and the mean human minutes of an exception's case: ``(residual, exception)``; each
    0 when there is no such case."""
    after = work.filter((pl.col("opened") >= go_live) & pl.col("reached_end"))
    outcome = transactions.group_by("reference").agg(
        (pl.col("status") == SUCCESS).any().alias("succeeded")
    )
    joined = after.join(outcome, on="reference", how="inner")
    ok = joined.filter(pl.col("succeeded"))["human_minutes"]
    failed = joined.filter(~pl.col("succeeded"))["human_minutes"]
    return (
        float(ok.mean()) if ok.len() else 0.0,  # type: ignore[arg-type]
        float(failed.mean()) if failed.len() else 0.0,  # type: ignore[arg-type]
    )


def estimate_from_robot_runs(
    transactions: pl.DataFrame,
    *,
    go_live: dt.datetime,
    baseline: Baseline,
    residual_minutes: float,
    exception_extra_minutes: float = 0.0,
) -> Estimate:
    """Hours saved per month from the solution's transactions (start, status, reference)."""
    monthly = (
        transactions.filter(pl.col("start") >= go_live)
        .group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
        .agg(
            pl.len().alias("volume"),
            (pl.col("status") == SUCCESS).sum().alias("successful"),
            (pl.col("status") != SUCCESS).sum().alias("exceptions"),
        )
        .sort("month")
    )
    extra = monthly["exceptions"] * exception_extra_minutes

    def hours(per_case: float) -> pl.Series:
        return (monthly["successful"] * (per_case - residual_minutes) - extra) / 60

    frame = monthly.select(
        "month",
        pl.col("volume").cast(pl.Int64),
        hours(baseline.minutes).alias("hours_saved"),
        hours(baseline.low).alias("hours_low"),
        hours(baseline.high).alias("hours_high"),
    )
    basis = (
        f"successful transactions × ({baseline.minutes:.1f} min manual − "
        f"{residual_minutes:.1f} min residual) − exceptions × {exception_extra_minutes:.1f} "
        f"extra min; manual minutes {baseline.source}"
    )
    return Estimate("robot", frame, basis)


def estimate_from_time_registration(
    hours: pl.DataFrame, volume: pl.DataFrame, *, go_live: dt.datetime
) -> Estimate | None:
    """Hours saved per month from registered hours (date, case_reference, hours) and the
    month's volume (month, volume); None without any registration before go-live."""
    first_month = month_start(go_live)
    by_month = (
        hours.group_by(pl.col("date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("hours").sum(), pl.col("case_reference").drop_nulls().n_unique().alias("refs"))
        .sort("month")
    )
    before = by_month.filter(pl.col("month") < first_month)
    if before.is_empty():
        return None
    after = by_month.filter(pl.col("month") >= first_month)
    if int(before["refs"].sum()) == 0:
        return _unnormalised(before, after)
    ratios = before.filter(pl.col("refs") > 0).select(pl.col("hours") / pl.col("refs"))
    per_case = float(before["hours"].sum()) / float(before["refs"].sum())
    band = _mean_band(ratios.to_series(), "registered hours per case before go-live")
    assert band is not None  # before has references, so at least one ratio
    half = band.high - band.minutes
    months = (
        volume.filter(pl.col("month") >= first_month)
        .join(
            after.select("month", pl.col("hours").alias("registered")),
            on="month",
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("volume").fill_null(0), pl.col("registered").fill_null(0.0))
    )

    def saved(rate: float) -> pl.Expr:
        return pl.col("volume") * rate - pl.col("registered")

    frame = months.sort("month").select(
        "month",
        pl.col("volume").cast(pl.Int64),
        saved(per_case).alias("hours_saved"),
        saved(max(per_case - half, 0.0)).alias("hours_low"),
        saved(per_case + half).alias("hours_high"),
    )
    basis = (
        f"{per_case:.3f} registered hours per case before go-live × cases per month − hours "
        "registered after"
    )
    return Estimate("time_registration", frame, basis)


def _unnormalised(before: pl.DataFrame, after: pl.DataFrame) -> Estimate:
    """Without case references: the monthly mean before minus each month after."""
    band = _mean_band(before["hours"], "registered hours per month before go-live")
    assert band is not None
    frame = after.select(
        "month",
        pl.lit(None, dtype=pl.Int64).alias("volume"),
        (band.minutes - pl.col("hours")).alias("hours_saved"),
        (band.low - pl.col("hours")).alias("hours_low"),
        (band.high - pl.col("hours")).alias("hours_high"),
    )
    basis = (
        f"{band.minutes:.1f} hours per month registered before go-live minus each month after "
        "(no case references, so not normalised by volume)"
    )
    return Estimate("time_registration", frame, basis)


def estimate_from_handling_time(
    work: pl.DataFrame, *, go_live: dt.datetime, baseline: Baseline
) -> Estimate:
    """Hours saved per month: for each case opened after go-live that reached its end, the
    manual minutes before minus the human minutes mined for it."""
    after = work.filter((pl.col("opened") >= go_live) & pl.col("reached_end"))
    frame = (
        after.group_by(pl.col("opened").dt.truncate("1mo").dt.date().alias("month"))
        .agg(pl.len().alias("volume"), pl.col("human_minutes").sum().alias("human"))
        .sort("month")
        .select(
            "month",
            pl.col("volume").cast(pl.Int64),
            *[
                ((pl.col("volume") * value - pl.col("human")) / 60).alias(name)
                for name, value in (
                    ("hours_saved", baseline.minutes),
                    ("hours_low", baseline.low),
                    ("hours_high", baseline.high),
                )
            ],
        )
    )
    basis = (
        f"cases × {baseline.minutes:.1f} manual minutes ({baseline.source}) − human handling "
        "minutes mined per case after go-live"
    )
    return Estimate("process_mining", frame, basis)


def estimate_from_handovers(
    handovers: pl.DataFrame, *, go_live: dt.datetime, hours_per_case_before: float
) -> Estimate | None:
    """Coordination saved through fewer handovers (``handovers``: case_id, start, value = the
    case's handovers between org units): each case after go-live saves (handovers per case
    before − its handovers) × the hours a handover cost before."""
    before = handovers.filter(pl.col("start") < go_live)["value"]
    band = _mean_band(before.cast(pl.Float64), "handovers per case before go-live")
    if band is None or band.minutes == 0:
        return None
    per_handover = hours_per_case_before / band.minutes
    after = handovers.filter(pl.col("start") >= go_live)
    frame = (
        after.group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
        .agg(pl.len().alias("volume"), pl.col("value").sum().alias("after"))
        .sort("month")
        .select(
            "month",
            pl.col("volume").cast(pl.Int64),
            *[
                ((pl.col("volume") * value - pl.col("after")) * per_handover).alias(name)
                for name, value in (
                    ("hours_saved", band.minutes),
                    ("hours_low", band.low),
                    ("hours_high", band.high),
                )
            ],
        )
    )
    basis = (
        f"fewer handovers than the {band.minutes:.2f} per case before go-live × "
        f"{per_handover:.2f} hours per handover (registered coordination per case / handovers)"
    )
    return Estimate("process_mining", frame, basis)


def monthly_volume(opened: pl.Series) -> pl.DataFrame:
    """Cases per calendar month of their opening time: month, volume."""
    return (
        opened.to_frame("opened")
        .group_by(pl.col("opened").dt.truncate("1mo").dt.date().alias("month"))
        .agg(pl.len().cast(pl.Int64).alias("volume"))
        .sort("month")
    )
