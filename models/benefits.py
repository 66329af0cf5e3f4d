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
from collections.abc import Mapping
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
    an exception then counts as a manual case). ``by_mode``: the residual of successful
    transactions per run mode (``attended``/``unattended``) where the run data say it; a
    transaction without a mode takes ``residual``."""

    residual: Baseline
    exception: Baseline | None
    by_mode: Mapping[str, Baseline] = field(default_factory=dict)


def measure_robot_case_minutes(
    work: pl.DataFrame, transactions: pl.DataFrame, *, go_live: dt.datetime
) -> RobotCaseMinutes:
    """Human minutes of the robot's cases after go-live, mined (``work``: reference, opened,
    reached_end, human_minutes), split by the transaction's outcome and run mode."""
    after = work.filter((pl.col("opened") >= go_live) & pl.col("reached_end"))
    joined = after.join(outcomes(transactions), on="reference", how="inner")
    return split_case_minutes(
        joined.rename({"human_minutes": "minutes"}), "mined from the robot's cases after go-live"
    )


def split_case_minutes(cases: pl.DataFrame, source: str) -> RobotCaseMinutes:
    """The minutes of the robot's cases (``cases``: minutes, succeeded, run_mode) by outcome
    and, for the successful ones, by run mode."""
    succeeded = cases.filter(pl.col("succeeded"))
    ok = mean_baseline(succeeded["minutes"], source)
    failed = mean_baseline(cases.filter(~pl.col("succeeded"))["minutes"], source)
    by_mode: dict[str, Baseline] = {}
    for mode in sorted(succeeded["run_mode"].drop_nulls().unique().to_list()):
        found = mean_baseline(succeeded.filter(pl.col("run_mode") == mode)["minutes"], source)
        if found is not None:
            by_mode[str(mode)] = found
    return RobotCaseMinutes(ok or Baseline.fixed(0.0, source), failed, by_mode)


def outcomes(transactions: pl.DataFrame) -> pl.DataFrame:
    """Per reference whether any of its transactions succeeded, and its run mode (the last
    transaction's; null when the run data do not say)."""
    mode = (
        pl.col("run_mode").sort_by("start").last()
        if "run_mode" in transactions.columns
        else pl.lit(None, dtype=pl.String)
    )
    return transactions.group_by("reference").agg(
        (pl.col("status") == SUCCESS).any().alias("succeeded"), mode.alias("run_mode")
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
    """Hours saved per month from the solution's transactions (start, status, reference, and
    run_mode where known: attended and unattended successes each save the manual minutes less
    their own residual)."""
    modes = list(robot_minutes.by_mode) if "run_mode" in transactions.columns else []
    success = pl.col("status") == SUCCESS
    monthly = (
        transactions.filter(pl.col("start") >= go_live)
        .group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
        .agg(
            pl.len().alias("volume"),
            success.sum().alias("successful"),
            (~success).sum().alias("exceptions"),
            *[(success & (pl.col("run_mode") == m)).sum().alias(f"ok_{m}") for m in modes],
        )
        .sort("month")
    )
    exception = robot_minutes.exception or baseline

    def count(column: str) -> FloatArray:
        return monthly[column].to_numpy().astype(np.float64)

    by_mode = {m: count(f"ok_{m}") for m in modes}
    groups = [(count("successful") - sum(by_mode.values(), np.zeros(monthly.height)),
               robot_minutes.residual)]  # fmt: skip
    groups += [(by_mode[m], robot_minutes.by_mode[m]) for m in modes]
    exceptions = count("exceptions")

    def hours(manual: FloatArray, failed: FloatArray, residuals: list[FloatArray]) -> FloatArray:
        saved = exceptions * (manual - failed)[..., None]
        for (successes, _), residual in zip(groups, residuals, strict=True):
            saved = saved + successes * (manual - residual)[..., None]
        return np.asarray(saved / 60)

    point = hours(np.array(baseline.minutes), np.array(exception.minutes),
                  [np.array(b.minutes) for _, b in groups])  # fmt: skip
    rng = bootstrap_rng()
    replicates = hours(baseline.replicates(rng), exception.replicates(rng),
                       [b.replicates(rng) for _, b in groups])  # fmt: skip
    frame = monthly_frame(monthly["month"].to_list(), monthly["volume"].to_numpy(), point,
                          replicates)  # fmt: skip
    return Estimate("robot", frame, _robot_basis(baseline, robot_minutes, exception, modes))


def _robot_basis(
    baseline: Baseline, minutes: RobotCaseMinutes, exception: Baseline, modes: list[str]
) -> str:
    residual = (
        ", ".join(f"{minutes.by_mode[m].minutes:.1f} min {m}" for m in modes)
        if modes
        else f"{minutes.residual.minutes:.1f} min"
    )
    return (
        f"successful transactions × ({baseline.minutes:.1f} min manual − residual {residual}) "
        f"+ exceptions × ({baseline.minutes:.1f} − {exception.minutes:.1f} min an exception "
        f"cost); manual minutes {baseline.source}"
    )


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
