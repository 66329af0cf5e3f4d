"""The payback chart's geometry, shared by the PDF (drawn with the PDF's own lines) and the
HTML (an inline SVG): no plotting library, so the report is made offline by what the set-up
installs.

Like the dashboard's curve (app/figures/cockpit_charts.py) it shows the cumulative *net gain*,
minus Tabel 1's cumulative total: it rises as the case pays back and crosses zero in the
break-even year. Coordinates grow rightwards and downwards, as in both a PDF page (fpdf2) and
SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from app.formatting import Language, format_number
from app.reports.content import PaybackChart

BUDGET_COLOUR = "#8a9bb0"
REALISED_COLOUR = "#1d4f8a"
FORECAST_COLOUR = "#4f8fd6"
GRID_COLOUR = "#e6ebf1"
ZERO_COLOUR = "#5b6b7c"

LEGEND = (
    ("report.chart.budget", BUDGET_COLOUR, True),
    ("report.chart.realised", REALISED_COLOUR, False),
    ("report.chart.forecast", FORECAST_COLOUR, True),
)
"""(label key, colour, dashed) of each curve, in the legend's order."""

Point = tuple[float, float]
_HEADROOM = 0.08


@dataclass(frozen=True)
class Box:
    """The plotting area inside the chart (axes' labels go outside it)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Line:
    """A polyline of the chart: ``dashed`` for the budget and the forecast."""

    points: tuple[Point, ...]
    colour: str
    dashed: bool


@dataclass(frozen=True)
class Marker:
    """A ring on a curve at its break-even year, with the year written beside it."""

    centre: Point
    colour: str
    label: str
    above: bool


@dataclass(frozen=True)
class ChartLayout:
    """Everything to draw, in the caller's units."""

    box: Box
    zero_y: float
    y_ticks: tuple[tuple[float, str], ...]
    x_ticks: tuple[tuple[float, str], ...]
    lines: tuple[Line, ...]
    markers: tuple[Marker, ...]


def net_gain(cumulative_tkr: Decimal) -> float:
    """Tabel 1's cumulative total (KK sign: below 0 = paid back) as a gain (above 0)."""
    return -float(cumulative_tkr) + 0.0  # + 0.0: no "-0" label


def lay_out_payback(chart: PaybackChart, box: Box, language: Language) -> ChartLayout:
    """Scale the chart's years and amounts into ``box``."""
    budget = [net_gain(v) for v in chart.budget_tkr]
    measured = [net_gain(v) for v in chart.forecast_tkr]
    low, high = min(0.0, *budget, *measured), max(0.0, *budget, *measured)
    # Headroom, so that a break-even ring and its year stay inside the chart.
    ticks = nice_ticks(low - (high - low) * _HEADROOM, high + (high - low) * _HEADROOM)
    low, high = ticks[0], ticks[-1]

    def x_of(index: int) -> float:
        # Half a step of margin at each end, so the first and last points are not on the axes.
        return box.left + box.width * (index + 0.5) / len(chart.years)

    def y_of(value: float) -> float:
        return box.top + box.height * (high - value) / (high - low)

    def points(values: list[float], indexes: range | list[int]) -> tuple[Point, ...]:
        return tuple((x_of(i), y_of(values[i])) for i in indexes)

    years = list(chart.years)
    realised = [i for i, forecast in enumerate(chart.forecast) if not forecast]
    # The forecast starts from the last realised year, so the two lines join.
    forecast = [i for i, f in enumerate(chart.forecast) if f]
    if realised and forecast:
        forecast = [realised[-1], *forecast]
    lines = (
        Line(points(budget, range(len(budget))), BUDGET_COLOUR, dashed=True),
        Line(points(measured, realised), REALISED_COLOUR, dashed=False),
        Line(points(measured, forecast), FORECAST_COLOUR, dashed=True),
    )
    markers = tuple(
        Marker((x_of(years.index(year)), y_of(values[years.index(year)])), colour, str(year), above)
        for year, values, colour, above in (
            (chart.break_even_budget_year, budget, BUDGET_COLOUR, True),
            (chart.break_even_forecast_year, measured, REALISED_COLOUR, False),
        )
        if year is not None and year in years
    )
    return ChartLayout(
        box=box,
        zero_y=y_of(0.0),
        y_ticks=tuple((y_of(v), format_number(v, 0, language)) for v in ticks),
        x_ticks=tuple((x_of(i), str(year)) for i, year in enumerate(chart.years)),
        lines=tuple(line for line in lines if len(line.points) > 1),
        markers=markers,
    )


def nice_ticks(low: float, high: float, *, count: int = 5) -> list[float]:
    """Round axis values (steps of 1, 2 or 5 × 10^k) from at most ``low`` to at least
    ``high``, about ``count`` of them."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    steps = round((last - first) / step)
    # Rounded: 3 × 0,2 is 0,6000000000000001 in floats, and axis values must be exact.
    return [round(first + i * step, 9) + 0.0 for i in range(steps + 1)]
