"""The directors' figures of a case as of a date, a pure engine over the business case and its
realisation (:mod:`models.realisation`): each budget year's hours measured and forecast, what
counts "to date", the cumulative effect with actual costs, the break-even year, and Tabel 1
extended with rows for budget, realised and forecast.

Signs: savings are positive here, as directors read them; the cumulative effect and the table
keep KK's sign (savings negative, costs positive), as Tabel 1 prints them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from models.business_case import CaseTable, RowRole, TableRow
from models.realisation import CaseRealisation, find_last_complete_month

TKR = Decimal("0.1")
AARSVAERK = Decimal("0.01")

LABEL_CUMULATIVE_BUDGET = "Akkumuleret, totaløkonomi"
LABEL_SAVINGS_BUDGET = "Varig effektivisering i casen"
LABEL_SAVINGS_REALISED = "Varig effektivisering, realiseret"
LABEL_SAVINGS_FORECAST = "Varig effektivisering, realiseret og fremskrevet"
LABEL_COSTS_BUDGET = "Omkostninger i casen"
LABEL_COSTS_ACTUAL = "Omkostninger, faktiske"
LABEL_CUMULATIVE_FORECAST = "Akkumuleret, realiseret og fremskrevet"


@dataclass(frozen=True)
class YearHours:
    """One budget year's hours saved as of a date, over all solutions.

    ``measured``: the primary methods' hours in the complete months up to the date; None for a
    year after the date or after the data, and for a year in which nothing was expected and
    nothing saved (before the first go-live). ``forecast``: measured plus the run rate for the
    year's months after the data; None without any data to forecast from, or when nothing was
    expected or saved. ``is_forecast``: some of the year is the run rate.
    """

    year: int
    measured: float | None
    forecast: float | None
    is_forecast: bool


def find_year_hours(
    realisation: CaseRealisation, *, expected_tkr: Mapping[int, Decimal]
) -> tuple[YearHours, ...]:
    """The hours of each budget year of a realisation made as of a date
    (:func:`models.realisation.realise_as_of`)."""
    has_data = any(s.primary is not None for s in realisation.solutions)
    years = []
    for year in realisation.forecast:
        # A year with nothing expected and nothing saved is shown "-", as Tabel 1 shows it.
        idle = not expected_tkr.get(year.year) and not year.hours
        measured = None if idle else _measured_hours(realisation, year.year)
        forecast = None if idle or not has_data else year.hours
        years.append(YearHours(year.year, measured, forecast, year.forecast))
    return tuple(years)


def _measured_hours(realisation: CaseRealisation, year: int) -> float | None:
    hours = [
        y.primary_hours
        for solution in realisation.solutions
        for y in solution.years
        if y.year == year and y.primary_hours is not None
    ]
    return sum(hours) if hours else None


def compute_to_date(by_year: Mapping[int, Decimal], *, as_of: dt.date, places: Decimal) -> Decimal:
    """The years before the as-of year in full and the as-of year pro rata by its complete
    months (what was expected by the date), rounded half-up to ``places``."""
    last = find_last_complete_month(as_of)
    months = last.month if last.year == as_of.year else 0
    before = sum((v for y, v in by_year.items() if y < as_of.year), Decimal(0))
    total = before + by_year.get(as_of.year, Decimal(0)) * months / 12
    return total.quantize(places, rounding=ROUND_HALF_UP)


def sum_known(values: Iterable[Decimal | None]) -> Decimal:
    """The sum of the values that are there (zero when none is)."""
    return sum((v for v in values if v is not None), Decimal(0))


def compute_pct(part: Decimal | None, whole: Decimal) -> float | None:
    """``part`` as a percentage of ``whole``; None without a part or with nothing to compare."""
    if part is None or whole <= 0:
        return None
    return float(part / whole * 100)


def cumulate_effect(
    costs_tkr: Sequence[Decimal], savings_tkr: Sequence[Decimal | None]
) -> tuple[Decimal, ...]:
    """Tabel 1's running total in KK's sign (costs − savings, savings given positive), year by
    year; a year without savings counts its costs only."""
    effects = (c - (s or Decimal(0)) for c, s in zip(costs_tkr, savings_tkr, strict=True))
    return tuple(itertools.accumulate(effects))


def find_break_even_year(payback_years: int | None, first_year: int | None) -> int | None:
    """The calendar year a payback of ``payback_years`` ends in (``first_year`` is year 1)."""
    if payback_years is None or first_year is None:
        return None
    return first_year + payback_years - 1


class OverviewYear(Protocol):
    """What the extended Tabel 1 reads of a year (``services.cockpit.YearFigures`` has it)."""

    @property
    def budget_savings_tkr(self) -> Decimal: ...
    @property
    def realised_savings_tkr(self) -> Decimal | None: ...
    @property
    def forecast_savings_tkr(self) -> Decimal | None: ...
    @property
    def budget_costs_tkr(self) -> Decimal: ...
    @property
    def actual_costs_tkr(self) -> Decimal | None: ...
    @property
    def cumulative_budget_tkr(self) -> Decimal: ...
    @property
    def cumulative_forecast_tkr(self) -> Decimal: ...


def build_overview_table(tabel_1: CaseTable, years: Sequence[OverviewYear]) -> CaseTable:
    """Tabel 1 as the case prints it, then its cumulative total and rows for the savings in
    the case, realised and forecast, the costs in the case and actual, and the cumulative
    total with the realised-and-forecast savings and the actual costs (KK's sign, "-" where a
    figure is not there)."""
    rows: list[tuple[str, RowRole, list[Decimal | None]]] = [
        (LABEL_CUMULATIVE_BUDGET, "total", [y.cumulative_budget_tkr for y in years]),
        # The case's empty cells stay "-"; a measured zero is shown, as it is a shortfall.
        (LABEL_SAVINGS_BUDGET, "line", [_saving(y.budget_savings_tkr or None) for y in years]),
        (LABEL_SAVINGS_REALISED, "line", [_saving(y.realised_savings_tkr) for y in years]),
        (LABEL_SAVINGS_FORECAST, "line", [_saving(y.forecast_savings_tkr) for y in years]),
        (LABEL_COSTS_BUDGET, "line", [y.budget_costs_tkr for y in years]),
        (LABEL_COSTS_ACTUAL, "line", [y.actual_costs_tkr for y in years]),
        (LABEL_CUMULATIVE_FORECAST, "total", [y.cumulative_forecast_tkr for y in years]),
    ]
    extra = tuple(TableRow(label, role, None, tuple(cells)) for label, role, cells in rows)
    return replace(tabel_1, rows=tabel_1.rows + extra)


def _saving(amount: Decimal | None) -> Decimal | None:
    """A saving in KK's sign (negative); None stays None ("-")."""
    return None if amount is None else Decimal(0) - amount
