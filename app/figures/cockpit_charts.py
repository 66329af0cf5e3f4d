"""The directors' charts, from a ``CaseOverview`` to plotly figures. Pure: no store, no Dash.

The charts show gains as positive (the design's rule for charts, labelled so), where the
case's tables keep KK's sign: the cumulative net effect is minus Tabel 1's cumulative total,
so the curve rises as the case pays back and crosses zero in the break-even year.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import plotly.graph_objects as go

from app.figures.chart_style import style_chart
from app.formatting import Language
from app.i18n import translate
from services import CaseOverview, YearFigures

BUDGET_COLOUR = "#8a9bb0"
REALISED_COLOUR = "#1d4f8a"
FORECAST_COLOUR = "#4f8fd6"
COST_COLOUR = "#c2703d"


def build_cumulative_figure(
    overview: CaseOverview, language: Language, *, height: int = 260
) -> go.Figure:
    """The cumulative net effect per year: as budgeted, as realised up to the as-of date,
    and as forecast after it; each break-even year marked on its curve."""
    years = overview.years
    realised = [y for y in years if not y.forecast]
    # The forecast starts from the last realised year, so the two lines join.
    forecast = [y for y in years if y.forecast]
    if realised and forecast:
        forecast = [realised[-1], *forecast]
    figure = go.Figure(
        [
            _net_line(years, "budget", translate("chart.budget", language), BUDGET_COLOUR, "dash"),
            _net_line(realised, "forecast", translate("chart.realised", language),
                      REALISED_COLOUR, "solid"),
            _net_line(forecast, "forecast", translate("chart.forecast", language),
                      FORECAST_COLOUR, "dot"),
        ]
    )  # fmt: skip
    _mark_break_even(figure, years, overview.break_even_budget_year, "budget", BUDGET_COLOUR)
    _mark_break_even(figure, years, overview.break_even_forecast_year, "forecast", REALISED_COLOUR)
    y_title = translate("chart.tkr", language)
    return style_chart(figure, language, y_title=y_title, height=height)


def net_gain_tkr(figures: YearFigures, basis: str) -> float:
    """The cumulative net gain of a year (positive once the case has paid back), from
    Tabel 1's cumulative total (KK sign) as budgeted or as forecast."""
    cumulative = (
        figures.cumulative_budget_tkr if basis == "budget" else figures.cumulative_forecast_tkr
    )
    return -float(cumulative) + 0.0


def _net_line(
    years: Sequence[YearFigures], basis: str, name: str, colour: str, dash: str
) -> go.Scatter:
    return go.Scatter(
        x=[y.year for y in years],
        y=[net_gain_tkr(y, basis) for y in years],
        name=name,
        mode="lines+markers",
        line={"color": colour, "dash": dash, "width": 2.5},
        marker={"size": 6},
    )


def _mark_break_even(
    figure: go.Figure,
    years: Sequence[YearFigures],
    year: int | None,
    basis: str,
    colour: str,
) -> None:
    """A ring on the curve at the break-even year, labelled with the year."""
    found = next((y for y in years if y.year == year), None)
    if found is None:
        return
    figure.add_trace(
        go.Scatter(
            x=[found.year],
            y=[net_gain_tkr(found, basis)],
            mode="markers+text",
            marker={"size": 15, "color": "rgba(0,0,0,0)", "line": {"color": colour, "width": 2.5}},
            text=[str(found.year)],
            textposition="middle left",
            textfont={"color": colour, "size": 12},
            showlegend=False,
            hoverinfo="skip",
        )
    )


def build_yearly_figure(overview: CaseOverview, language: Language) -> go.Figure:
    """Savings per year in 1.000 kr. (positive): the case's budget, realised and forecast
    side by side; and the costs, budgeted against actually spent, as lines."""
    years = [y.year for y in overview.years]
    realised = [_tkr(y.realised_savings_tkr) for y in overview.years]
    forecast_only = [
        _tkr(y.forecast_savings_tkr) - _tkr(y.realised_savings_tkr) if y.forecast else 0.0
        for y in overview.years
    ]
    figure = go.Figure(
        [
            go.Bar(name=translate("chart.budget", language), x=years,
                   y=[_tkr(y.budget_savings_tkr) for y in overview.years],
                   marker_color=BUDGET_COLOUR, offsetgroup="budget"),
            go.Bar(name=translate("chart.realised", language), x=years, y=realised,
                   marker_color=REALISED_COLOUR, offsetgroup="measured"),
            go.Bar(name=translate("chart.forecast", language), x=years, y=forecast_only,
                   base=realised, marker_color=FORECAST_COLOUR, offsetgroup="measured"),
            go.Scatter(name=translate("chart.budget_costs", language), x=years,
                       y=[_tkr(y.budget_costs_tkr) for y in overview.years], mode="lines",
                       line={"color": COST_COLOUR, "dash": "dash"}),
        ]
    )  # fmt: skip
    actual = [None if y.actual_costs_tkr is None else _tkr(y.actual_costs_tkr)
              for y in overview.years]  # fmt: skip
    if any(cost is not None for cost in actual):
        name = translate("chart.actual_costs", language)
        line = {"color": COST_COLOUR}
        figure.add_trace(go.Scatter(name=name, x=years, y=actual, mode="lines+markers", line=line))
    figure.update_layout(barmode="group", bargap=0.25)
    return style_chart(figure, language, y_title=translate("chart.tkr", language), height=320)


def _tkr(value: Decimal | None) -> float:
    return 0.0 if value is None else float(value)
