"""Realised savings against the business case: year by year, a run-rate forecast and the
forecast payback (a pure engine over :mod:`models.benefits` estimates).

The expected savings of a sub-solution are its share of the case's permanent savings lines
(``permanent_change``); a case without sub-solutions is one solution. Hours convert to ÅV and
kroner with the case's own assumptions. The *primary* method is robot run data where the
solution has a robot (the seeds say the gain "aflæses i kørselsdata"), else time registration,
else process mining; the others are cross-checks, and a gap above ``DISAGREEMENT_PCT``
between any of them and the primary is called out with its most likely cause
(models/benefit_checks.py).

Forecast: the run rate is the primary method's mean hours per month over its last
``RUN_RATE_MONTHS`` months. A budget year after the data is forecast at the run rate; the year
the data ends in is its measured months plus the run rate for the months left. The forecast
payback replaces the case's permanent savings lines with the measured-and-forecast savings and
keeps its costs, then counts years as the case does (first year with any amount is year 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from models.benefit_checks import Check, Disagreement, find_disagreements
from models.benefits import METHODS, Estimate, Method, month_start
from models.business_case import (
    AarsvaerkAssumptions,
    BusinessCase,
    build_sub_solution_splits,
    build_year_effects,
    compute_payback_years,
    find_first_effect_year,
)

RUN_RATE_MONTHS = 3


@dataclass(frozen=True)
class MethodYear:
    """One method's hours saved in a year with its band."""

    hours: float
    low: float
    high: float


@dataclass(frozen=True)
class SolutionYear:
    """A budget year of one solution: expected hours (business case) and measured hours."""

    year: int
    expected_hours: float
    measured: Mapping[Method, MethodYear]
    primary_hours: float | None
    realisation_pct: float | None


@dataclass(frozen=True)
class SolutionRealisation:
    """One solution's estimates, years, primary method, run rate and disagreement notes."""

    name: str
    go_live: dt.datetime
    estimates: tuple[Estimate, ...]
    primary: Method | None
    years: tuple[SolutionYear, ...]
    run_rate_hours_per_month: float | None
    last_month: dt.date | None
    disagreements: tuple[Disagreement, ...]
    checks: tuple[Check, ...] = ()

    def estimate(self, method: Method) -> Estimate | None:
        """The estimate of ``method``, if it could be made."""
        return next((e for e in self.estimates if e.method == method), None)


@dataclass(frozen=True)
class ForecastYear:
    """A budget year's savings in hours and 1.000 kr. (negative), measured or forecast, and
    the case's cumulative effect with them."""

    year: int
    hours: float
    savings_tkr: Decimal
    forecast: bool
    cumulative_tkr: Decimal


@dataclass(frozen=True)
class CaseRealisation:
    """The whole case: its solutions, the forecast per budget year and the paybacks."""

    title: str
    price_level_year: int
    solutions: tuple[SolutionRealisation, ...]
    forecast: tuple[ForecastYear, ...]
    expected_payback_years: int | None
    forecast_payback_years: int | None
    first_effect_year: int | None = None
    moved_hours: Mapping[int, float] | None = None

    def capacity_hours(self, year: int) -> float | None:
        """Hours freed in ``year`` by the primary methods (measured months only)."""
        found = [y.primary_hours for s in self.solutions for y in s.years if y.year == year]
        measured = [h for h in found if h is not None]
        return sum(measured) if measured else None

    def budget_hours(self, year: int) -> float | None:
        """Hours freed in ``year`` less those that moved to other work (the activities the
        binding names): what no longer has to be paid for. None without the moved hours."""
        capacity = self.capacity_hours(year)
        if capacity is None or self.moved_hours is None:
            return None
        return capacity - self.moved_hours.get(year, 0.0)

    @property
    def forecast_payback_year(self) -> int | None:
        """The calendar year the measured-and-forecast savings pay the case back."""
        if self.forecast_payback_years is None or self.first_effect_year is None:
            return None
        return self.first_effect_year + self.forecast_payback_years - 1


def expected_hours(case: BusinessCase) -> dict[str, dict[int, float]]:
    """Expected hours saved per solution name and budget year (the case title for a case
    without sub-solutions)."""
    effects = build_year_effects(case)
    per_aav_hours = float(case.aarsvaerk.hours_per_aarsvaerk)
    per_aav_tkr = float(case.aarsvaerk.kroner_per_aarsvaerk) / 1000

    def hours(savings_tkr: Decimal) -> float:
        # + 0.0 turns the -0.0 of a year without savings into 0.0.
        return -float(savings_tkr) / per_aav_tkr * per_aav_hours + 0.0

    if not case.sub_solutions:
        return {case.title: {e.year: hours(e.permanent_savings_tkr) for e in effects}}
    return {
        split.name: {e.year: hours(s) for e, s in zip(effects, split.savings_tkr, strict=True)}
        for split in build_sub_solution_splits(case, effects)
    }


def realise_solution(
    name: str,
    *,
    go_live: dt.datetime,
    estimates: Sequence[Estimate],
    expected: Mapping[int, float],
    checks: Sequence[Check] = (),
) -> SolutionRealisation:
    """Compare the estimates of one solution with its expected hours, year by year; years
    after the primary method's last month are not measured (the forecast covers them)."""
    primary = _primary(estimates)
    chosen = next((e for e in estimates if e.method == primary), None)
    run_rate, last = _run_rate(chosen)
    years = tuple(
        _year(y, h, estimates if last and y <= last.year else (), primary)
        for y, h in sorted(expected.items())
    )
    return SolutionRealisation(
        name, go_live, tuple(estimates), primary, years, run_rate, last,
        find_disagreements(estimates, primary, checks), tuple(checks),
    )  # fmt: skip


def _primary(estimates: Sequence[Estimate]) -> Method | None:
    present = {e.method for e in estimates if not e.monthly.is_empty()}
    return next((m for m in METHODS if m in present), None)


def _year(
    year: int, expected: float, estimates: Sequence[Estimate], primary: Method | None
) -> SolutionYear:
    measured = {e.method: MethodYear(*e.hours_in(year)) for e in estimates}
    primary_hours = measured[primary].hours if primary in measured else None
    pct = primary_hours / expected * 100 if primary_hours is not None and expected > 0 else None
    return SolutionYear(year, expected, measured, primary_hours, pct)


def _run_rate(estimate: Estimate | None) -> tuple[float | None, dt.date | None]:
    if estimate is None or estimate.monthly.is_empty():
        return None, None
    tail = estimate.monthly.sort("month").tail(RUN_RATE_MONTHS)
    return float(tail["hours_saved"].mean()), tail["month"].max()  # type: ignore[arg-type,return-value]


def realise_case(
    case: BusinessCase,
    solutions: Sequence[SolutionRealisation],
    moved_hours: Mapping[int, float] | None = None,
) -> CaseRealisation:
    """The case's forecast per budget year and the expected and forecast payback."""
    per_aav_hours = Decimal(case.aarsvaerk.hours_per_aarsvaerk)
    per_aav_tkr = Decimal(case.aarsvaerk.kroner_per_aarsvaerk) / 1000
    effects = build_year_effects(case)
    first_year = find_first_effect_year(case)
    forecast: list[ForecastYear] = []
    cumulative = Decimal(0)
    for effect in effects:
        hours, is_forecast = _year_hours(effect.year, solutions)
        savings = -(Decimal(str(round(hours, 1))) / per_aav_hours * per_aav_tkr)
        costs = effect.samlet_oekonomisk_paavirkning_tkr - effect.permanent_savings_tkr
        cumulative += costs + savings
        forecast.append(
            ForecastYear(
                effect.year, hours, savings.quantize(Decimal("0.1")), is_forecast,
                cumulative.quantize(Decimal("0.1")),
            )
        )  # fmt: skip
    expected = compute_payback_years(
        [(e.year, e.cumulative_total_tkr) for e in effects], first_year=first_year
    )
    measured = compute_payback_years(
        [(f.year, f.cumulative_tkr) for f in forecast], first_year=first_year
    )
    return CaseRealisation(
        case.title, case.price_level_year, tuple(solutions), tuple(forecast), expected, measured,
        first_year, moved_hours,
    )  # fmt: skip


def _year_hours(year: int, solutions: Sequence[SolutionRealisation]) -> tuple[float, bool]:
    """Measured hours of ``year`` over all solutions, topped up at the run rate for months
    after each solution's data; whether any part is forecast."""
    total, forecast = 0.0, False
    for solution in solutions:
        measured = next((y.primary_hours for y in solution.years if y.year == year), None)
        total += measured or 0.0
        if solution.run_rate_hours_per_month is None or solution.last_month is None:
            continue
        months_left = _months_after(solution.last_month, year)
        if months_left:
            total += solution.run_rate_hours_per_month * months_left
            forecast = True
    return total, forecast


def _months_after(last: dt.date, year: int) -> int:
    """Months of ``year`` that come after the month ``last``."""
    if year < last.year:
        return 0
    if year > last.year:
        return 12
    return 12 - last.month


# --- As of a date ------------------------------------------------------------------------------


def find_last_complete_month(as_of: dt.date) -> dt.date:
    """The first day of the last calendar month that has ended by ``as_of`` (inclusive): data
    are monthly, so a month counts only once the whole of it lies up to the date."""
    if (as_of + dt.timedelta(days=1)).day == 1:
        return month_start(as_of)
    return month_start(month_start(as_of) - dt.timedelta(days=1))


def cut_solution(solution: SolutionRealisation, *, through: dt.date) -> SolutionRealisation:
    """The solution as its data stood at the end of the month ``through``: every estimate's
    later months left out, then realised again (primary method, years, run rate)."""
    estimates = [
        replace(e, monthly=e.monthly.filter(pl.col("month") <= through)) for e in solution.estimates
    ]
    expected = {y.year: y.expected_hours for y in solution.years}
    return realise_solution(
        solution.name, go_live=solution.go_live, estimates=estimates, expected=expected,
        checks=solution.checks,
    )  # fmt: skip


def realise_as_of(
    case: BusinessCase, solutions: Sequence[SolutionRealisation], *, as_of: dt.date
) -> CaseRealisation:
    """The case realised from the complete months up to ``as_of`` only, so the figures of a
    date stay the same when later data arrive; the rest is forecast at the run rate then."""
    through = find_last_complete_month(as_of)
    return realise_case(case, [cut_solution(s, through=through) for s in solutions])


def compute_hours_tkr(hours: float, assumptions: AarsvaerkAssumptions) -> Decimal:
    """Hours as 1.000 kr. with the case's kroner and hours per ÅV, rounded half-up to 0,1."""
    exact = Decimal(repr(hours)) / assumptions.hours_per_aarsvaerk
    return (exact * assumptions.kroner_per_aarsvaerk / 1000).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def compute_hours_aarsvaerk(hours: float, assumptions: AarsvaerkAssumptions) -> Decimal:
    """Hours as ÅV with the case's hours per ÅV, rounded half-up to 2 decimals."""
    return (Decimal(repr(hours)) / assumptions.hours_per_aarsvaerk).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
