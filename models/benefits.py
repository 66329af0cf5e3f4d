"""Realised savings of an investment, measured three ways from stored data (a pure engine).

Every method gives hours saved per calendar month (UTC) from the go-live month on, with a low
and a high bound, and the volume it rests on:

- **robot run data** ("aflæses i kørselsdata"): per robot transaction, the manual minutes a
  case cost before go-live minus what the case still cost a person: successful transactions ×
  (manual − residual minutes) + exceptions × (manual − exception minutes); an exception that
  costs more than a manual case counts against the robot. The manual minutes are *measured*
  from the manual cases before go-live where the work can be mined, else from the hours the
  time registration holds per case reference before go-live, else taken from the binding.
  Residual and exception minutes are measured the same way on the robot's cases.
- **time registration**: models/benefits_registration.py (volume-normalised, corrected for
  unregistered cases and, with a comparison process, for changes common to all work).
- **process mining**: per case handled after go-live, the manual minutes measured before minus
  the human handling time mined for that case (robot events left out), summed per month. For
  work that has no handling activities (coordination around orders), the fall in handovers per
  case × the hours a handover cost before (registered hours per case / handovers per case).

Bands are 95 % bootstrap intervals (``BOOTSTRAP_REPLICATES`` resamples of the cases behind each
per-case figure, with a fixed seed so a figure is the same every time): the counts of
transactions and cases are exact, the per-case minutes are estimates.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

Method = Literal["robot", "time_registration", "process_mining"]
METHODS: tuple[Method, ...] = ("robot", "time_registration", "process_mining")
SUCCESS = "success"
_Z95 = 1.96
BOOTSTRAP_REPLICATES = 400
BOOTSTRAP_SEED = 20241
# Columns of every method's monthly frame.
MONTHLY_COLUMNS = ("month", "volume", "hours_saved", "hours_low", "hours_high")
FloatArray = np.ndarray


def bootstrap_rng() -> np.random.Generator:
    """The resampling stream: fixed, so the same data always give the same band."""
    return np.random.default_rng(BOOTSTRAP_SEED)


@dataclass(frozen=True)
class Baseline:
    """A per-case figure in minutes with its 95 % band, how many observations it rests on, and
    (when measured) the per-case values, which the estimates resample for their bands."""

    minutes: float
    low: float
    high: float
    observations: int
    source: str
    samples: FloatArray | None = field(default=None, compare=False, repr=False)

    @classmethod
    def fixed(cls, minutes: float, source: str) -> Baseline:
        """A figure taken as given (from a binding or a business case): no band."""
        return cls(minutes, minutes, minutes, 0, source)

    def replicates(self, rng: np.random.Generator) -> FloatArray:
        """``BOOTSTRAP_REPLICATES`` resampled means (the figure itself when not measured)."""
        if self.samples is None or len(self.samples) < 2:
            return np.full(BOOTSTRAP_REPLICATES, self.minutes)
        return resample_means(self.samples, rng)


def resample_means(values: FloatArray, rng: np.random.Generator) -> FloatArray:
    """The means of ``BOOTSTRAP_REPLICATES`` resamples (with replacement) of ``values``."""
    n = len(values)
    # In blocks of replicates, so memory stays bounded for large case counts.
    block = max(1, min(BOOTSTRAP_REPLICATES, 4_000_000 // max(n, 1)))
    means = [
        values[rng.integers(0, n, (min(block, BOOTSTRAP_REPLICATES - done), n))].mean(axis=1)
        for done in range(0, BOOTSTRAP_REPLICATES, block)
    ]
    return np.asarray(np.concatenate(means), dtype=np.float64)


def band(replicates: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The 2.5 and 97.5 percentiles over the replicates (axis 0)."""
    low, high = np.percentile(replicates, [2.5, 97.5], axis=0)
    return np.asarray(low), np.asarray(high)


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

    @property
    def bounds(self) -> tuple[float, float]:
        """The low and high bound of all hours saved."""
        return float(self.monthly["hours_low"].sum()), float(self.monthly["hours_high"].sum())


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the calendar month of ``moment``."""
    return dt.date(moment.year, moment.month, 1)


def monthly_frame(
    months: list[dt.date], volume: FloatArray, point: FloatArray, replicates: FloatArray
) -> pl.DataFrame:
    """A method's monthly frame from its point estimate and bootstrap replicates (B, months)."""
    low, high = band(replicates) if len(months) else (point, point)
    return pl.DataFrame(
        {
            "month": months,
            "volume": np.asarray(volume, dtype=np.int64),
            "hours_saved": np.asarray(point, dtype=np.float64),
            # A band never excludes its own point (percentiles of few distinct replicates can).
            "hours_low": np.minimum(low, point),
            "hours_high": np.maximum(high, point),
        },
        schema={"month": pl.Date, "volume": pl.Int64, "hours_saved": pl.Float64,
                "hours_low": pl.Float64, "hours_high": pl.Float64},
    )  # fmt: skip


def measure_baseline(work: pl.DataFrame, *, go_live: dt.datetime) -> Baseline | None:
    """Mean human minutes per case over the manual cases opened before go-live that reached
    their end (``work``: reference, opened, reached_end, human_minutes); None without any."""
    before = work.filter((pl.col("opened") < go_live) & pl.col("reached_end"))
    return mean_baseline(before["human_minutes"], "mined from manual cases before go-live")


def mean_baseline(values: pl.Series, source: str) -> Baseline | None:
    """The mean of ``values`` with mean ± 1.96 standard errors (and the values, for the
    bootstrap); None when empty."""
    # Sorted: the mean's last bits and the resamples then do not depend on the rows' order.
    values = values.cast(pl.Float64).sort()
    n = values.len()
    if n == 0:
        return None
    mean = float(values.mean())  # type: ignore[arg-type]
    sd = float(values.std()) if n > 1 else 0.0  # type: ignore[arg-type]
    half = _Z95 * sd / math.sqrt(n)
    samples = values.to_numpy()
    return Baseline(mean, max(mean - half, 0.0), mean + half, n, source, samples)


@dataclass(frozen=True)
class RobotCaseMinutes:
    """What the robot's cases still cost a person, in minutes per case: after a successful
    transaction (attended assistants leave some) and after an exception (None when unknown:
    an exception then counts as a manual case)."""

    residual: Baseline
    exception: Baseline | None


def measure_robot_case_minutes(
    work: pl.DataFrame, transactions: pl.DataFrame, *, go_live: dt.datetime
) -> RobotCaseMinutes:
    """Human minutes of the robot's cases after go-live, mined (``work``: reference, opened,
    reached_end, human_minutes), split by the transaction's outcome."""
    after = work.filter((pl.col("opened") >= go_live) & pl.col("reached_end"))
    joined = after.join(_outcomes(transactions), on="reference", how="inner")
    source = "mined from the robot's cases after go-live"
    ok = mean_baseline(joined.filter(pl.col("succeeded"))["human_minutes"], source)
    failed = mean_baseline(joined.filter(~pl.col("succeeded"))["human_minutes"], source)
    return RobotCaseMinutes(ok or Baseline.fixed(0.0, source), failed)


def _outcomes(transactions: pl.DataFrame) -> pl.DataFrame:
    """Per reference whether any of its transactions succeeded."""
    return transactions.group_by("reference").agg(
        (pl.col("status") == SUCCESS).any().alias("succeeded")
    )


def measure_residual(
    work: pl.DataFrame, transactions: pl.DataFrame, *, go_live: dt.datetime
) -> tuple[float, float]:
    """Mean human minutes of a successful transaction's case and of an exception's case after
    go-live: ``(residual, exception)``; each 0 when there is no such case."""
    minutes = measure_robot_case_minutes(work, transactions, go_live=go_live)
    exception = minutes.exception.minutes if minutes.exception is not None else 0.0
    return minutes.residual.minutes, exception


def estimate_from_robot_runs(
    transactions: pl.DataFrame,
    *,
    go_live: dt.datetime,
    baseline: Baseline,
    robot_minutes: RobotCaseMinutes,
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
    exception = robot_minutes.exception or baseline
    successful = monthly["successful"].to_numpy().astype(np.float64)
    exceptions = monthly["exceptions"].to_numpy().astype(np.float64)

    def hours(manual: FloatArray, residual: FloatArray, failed: FloatArray) -> FloatArray:
        per_success = (manual - residual)[..., None]
        per_exception = (manual - failed)[..., None]
        return np.asarray((successful * per_success + exceptions * per_exception) / 60)

    point = hours(*(np.array(b.minutes) for b in (baseline, robot_minutes.residual, exception)))
    rng = bootstrap_rng()
    replicates = hours(*(b.replicates(rng) for b in (baseline, robot_minutes.residual, exception)))
    frame = monthly_frame(monthly["month"].to_list(), monthly["volume"].to_numpy(), point,
                          replicates)  # fmt: skip
    basis = (
        f"successful transactions × ({baseline.minutes:.1f} min manual − "
        f"{robot_minutes.residual.minutes:.1f} min residual) + exceptions × "
        f"({baseline.minutes:.1f} − {exception.minutes:.1f} min an exception cost); manual "
        f"minutes {baseline.source}"
    )
    return Estimate("robot", frame, basis)


def estimate_from_handling_time(
    work: pl.DataFrame, *, go_live: dt.datetime, baseline: Baseline
) -> Estimate:
    """Hours saved per month: for each case opened after go-live that reached its end, the
    manual minutes before minus the human minutes mined for it."""
    after = work.filter((pl.col("opened") >= go_live) & pl.col("reached_end"))
    monthly = (
        after.group_by(pl.col("opened").dt.truncate("1mo").dt.date().alias("month"))
        .agg(pl.len().alias("volume"), pl.col("human_minutes").sum().alias("human"))
        .sort("month")
    )
    volume = monthly["volume"].to_numpy().astype(np.float64)
    human = monthly["human"].to_numpy().astype(np.float64)
    point = (volume * baseline.minutes - human) / 60
    replicates = (volume * baseline.replicates(bootstrap_rng())[:, None] - human) / 60
    frame = monthly_frame(monthly["month"].to_list(), volume, point, replicates)
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
    before = mean_baseline(
        handovers.filter(pl.col("start") < go_live)["value"].cast(pl.Float64),
        "handovers per case before go-live",
    )
    if before is None or before.minutes == 0:
        return None
    per_handover = hours_per_case_before / before.minutes
    monthly = (
        handovers.filter(pl.col("start") >= go_live)
        .group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
        .agg(pl.len().alias("volume"), pl.col("value").sum().alias("after"))
        .sort("month")
    )
    volume = monthly["volume"].to_numpy().astype(np.float64)
    after = monthly["after"].to_numpy().astype(np.float64)
    # The cost of one handover is fixed by the hours per case: resampling the handovers per
    # case moves both the avoided handovers and their price.
    means = before.replicates(bootstrap_rng())[:, None]
    point = (volume * before.minutes - after) * per_handover
    replicates = (volume * means - after) * (hours_per_case_before / means)
    frame = monthly_frame(monthly["month"].to_list(), volume, point, replicates)
    basis = (
        f"fewer handovers than the {before.minutes:.2f} per case before go-live × "
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
