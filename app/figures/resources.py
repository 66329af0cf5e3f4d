"""Ressourcestyring's tables and chart: pure functions from the resource view's frames to
display-ready tables (Danish number formats) and one plotly figure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import plotly.graph_objects as go
import polars as pl

from app.figures.chart_style import plotly_separators
from app.figures.tables import Column, TableData
from app.formatting import Language, format_int, format_number
from app.i18n import translate
from mining import OTHER_ACTIVITIES, OTHER_GROUP

_MONTHS_DA = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.",
              "nov.", "dec.")  # fmt: skip
_COLOURS = ("#1f5fa8", "#d1495b", "#2a9d8f", "#e9a03b", "#7b4fa0", "#5c6f82", "#8fb339")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_month(month: dt.date, language: Language) -> str:
    """``jan. 2024`` (da) or ``Jan 2024`` (en)."""
    names = _MONTHS_DA if language == "da" else _MONTHS_EN
    return f"{names[month.month - 1]} {month.year}"


def area_label(area: str, language: Language) -> str:
    """A service area's name, the merged group in the page's language."""
    return translate("resources.other_areas", language) if area == OTHER_GROUP else area


def _labeller(language: Language) -> Callable[[str], str]:
    def label(key: str) -> str:
        return translate(f"resources.col.{key}", language)

    return label


def _hours(value: float | None, language: Language) -> str:
    return "–" if value is None else format_number(value, 1, language)


def build_load_table(monthly: pl.DataFrame, month: dt.date, language: Language) -> TableData:
    """One row per service area in ``month``: received, finished, open at the month's end,
    median throughput, handovers in and out."""
    t = _labeller(language)
    columns = (
        Column("area", t("area")),
        Column("arrivals", t("arrivals"), numeric=True),
        Column("completions", t("completions"), numeric=True),
        Column("open", t("open"), numeric=True),
        Column("throughput", t("throughput"), numeric=True),
        Column("in", t("in"), numeric=True),
        Column("out", t("out"), numeric=True),
    )
    rows = tuple(
        {
            "area": area_label(r["org_unit"], language),
            "arrivals": format_int(r["arrivals"], language),
            "completions": format_int(r["completions"], language),
            "open": format_int(r["open_end"], language),
            "throughput": _hours(r["median_throughput_h"], language),
            "in": format_int(r["handovers_in"], language),
            "out": format_int(r["handovers_out"], language),
        }
        for r in monthly.filter(pl.col("month") == month).sort("org_unit").iter_rows(named=True)
    )
    return TableData(columns, rows)


def build_handover_trend_table(trend: pl.DataFrame, language: Language) -> TableData:
    """One row per month: cases, handovers and handovers per case."""
    t = _labeller(language)
    columns = (
        Column("month", t("month")),
        Column("cases", t("cases"), numeric=True),
        Column("handovers", t("handovers"), numeric=True),
        Column("per_case", t("per_case"), numeric=True),
    )
    rows = tuple(
        {
            "month": format_month(r["month"], language),
            "cases": format_int(r["cases"], language),
            "handovers": format_int(r["handovers"], language),
            "per_case": format_number(r["mean_handovers_per_case"], 2, language),
        }
        for r in trend.iter_rows(named=True)
    )
    return TableData(columns, rows)


def build_wait_table(waits: pl.DataFrame, language: Language) -> TableData:
    """One row per (handed over by, waiting in) pair, most total waiting first."""
    t = _labeller(language)
    columns = (
        Column("from", t("from")),
        Column("waiting_in", t("waiting_in")),
        Column("visits", t("visits"), numeric=True),
        Column("mean", t("mean_wait"), numeric=True),
        Column("median", t("median_wait"), numeric=True),
        Column("total", t("total_wait"), numeric=True),
    )
    rows = tuple(
        {
            "from": area_label(r["source"], language),
            "waiting_in": area_label(r["target"], language),
            "visits": format_int(r["visits"], language),
            "mean": _hours(r["mean_wait_h"], language),
            "median": _hours(r["median_wait_h"], language),
            "total": format_number(r["total_wait_h"], 0, language),
        }
        for r in waits.iter_rows(named=True)
    )
    return TableData(columns, rows)


def build_hours_table(table: pl.DataFrame, month: dt.date, language: Language) -> TableData:
    """One row per service area and activity of ``month``: registered hours."""
    t = _labeller(language)
    columns = (
        Column("area", t("area")),
        Column("activity", t("activity")),
        Column("hours", t("hours"), numeric=True),
    )
    other = translate("resources.other_activities", language)
    rows = tuple(
        {
            "area": r["service_area"],
            "activity": other if r["activity"] == OTHER_ACTIVITIES else r["activity"],
            "hours": format_number(r["hours"], 1, language),
        }
        for r in table.filter(pl.col("month") == month).iter_rows(named=True)
    )
    return TableData(columns, rows)


def build_forecast_table(
    backtest: pl.DataFrame, future: list[dt.date], language: Language
) -> TableData:
    """One row per service area: next quarter's forecast, the model and its back-test error."""
    t = _labeller(language)
    span = f"{format_month(future[0], language)} – {format_month(future[-1], language)}"
    columns = (
        Column("area", t("area")),
        Column("quarter", translate("resources.col.quarter", language, months=span), True),
        Column("model", t("model")),
        Column("history", t("history"), numeric=True),
        Column("mae", t("mae"), numeric=True),
        Column("mape", t("mape"), numeric=True),
    )
    rows = tuple(
        {
            "area": area_label(r["org_unit"], language),
            "quarter": format_int(round(r["next_quarter"]), language),
            "model": translate(f"resources.model.{r['model']}", language),
            "history": format_int(r["months"], language),
            "mae": _hours(r["mae"], language),
            "mape": "–" if r["mape"] is None else format_number(100 * r["mape"], 0, language),
        }
        for r in backtest.iter_rows(named=True)
    )
    return TableData(columns, rows)


def build_load_chart(
    monthly: pl.DataFrame, forecast: pl.DataFrame, language: Language
) -> go.Figure:
    """Work received per month, one line per service area, its forecast dashed."""
    figure = go.Figure()
    groups = monthly.sort("month").group_by("org_unit", maintain_order=True)
    for index, ((area,), group) in enumerate(groups):
        name = area_label(str(area), language)
        labels = [format_month(m, language) for m in group["month"]]
        colour = _COLOURS[index % len(_COLOURS)]
        figure.add_scatter(
            x=labels,
            y=group["arrivals"].to_list(),
            mode="lines",
            name=name,
            line={"color": colour},
        )
        ahead = forecast.filter(pl.col("org_unit") == area).sort("month")
        if ahead.height and group.height:
            x = [labels[-1], *(format_month(m, language) for m in ahead["month"])]
            y = [group["arrivals"][-1], *ahead["forecast"].to_list()]
            figure.add_scatter(
                x=x,
                y=y,
                mode="lines",
                line={"dash": "dash", "color": colour},
                name=name,
                showlegend=False,
            )
    figure.update_layout(
        separators=plotly_separators(language),
        height=340,
        margin={"l": 56, "r": 16, "t": 28, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        hovermode="x unified",
    )
    figure.update_yaxes(
        title_text=translate("resources.col.arrivals", language),
        tickformat=",.0f",
        hoverformat=",.0f",
        gridcolor="#e6ebf1",
    )
    months = sorted({*monthly["month"].to_list(), *forecast["month"].to_list()})
    order = [format_month(m, language) for m in months]
    figure.update_xaxes(
        type="category", categoryorder="array", categoryarray=order, nticks=12, showgrid=False
    )
    return figure
