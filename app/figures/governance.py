"""The governance trend: the share of items breaking a rule per service area and month, with
the threshold as a dashed line."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from app.figures.chart_style import ONE_DECIMAL, style_chart
from app.figures.dates import format_month
from app.formatting import Language, format_number
from app.i18n import translate


def month_label(month: str, language: Language) -> str:
    """``2024-03`` as "marts 2024" (da) or "March 2024" (en)."""
    return format_month(dt.date.fromisoformat(f"{month}-01"), language)


def build_rule_trend(by_month: pl.DataFrame, threshold_pct: float, language: Language) -> go.Figure:
    """One line per org unit of ``by_month`` (``org_unit``, ``month``, ``cases``,
    ``breaking_pct``); the hover names the month, the share and the month's item count."""
    figure = go.Figure()
    months = sorted(by_month["month"].unique().to_list())
    labels = [month_label(m, language) for m in months]
    items = translate("governance.col.items", language)
    for unit in sorted(by_month["org_unit"].unique().to_list()):
        # Every month on the axis, a gap where the unit has none (none shown or withheld).
        rows = pl.DataFrame({"month": months}).join(
            by_month.filter(pl.col("org_unit") == unit), on="month", how="left"
        )
        figure.add_trace(
            go.Scatter(
                x=[month_label(m, language) for m in rows["month"]],
                y=rows["breaking_pct"].to_list(),
                customdata=rows["cases"].to_list(),
                name=unit,
                mode="lines+markers",
                connectgaps=False,
                hovertemplate=f"{unit}: %{{y:,.1f}} % (%{{customdata:,d}} {items.lower()})"
                "<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=[threshold_pct] * len(labels),
            name=translate(
                "governance.threshold_line",
                language,
                value=format_number(
                    threshold_pct, 0 if threshold_pct.is_integer() else 1, language
                ),
            ),
            mode="lines",
            line={"dash": "dash", "color": "#b3261e", "width": 2},
            hoverinfo="skip",
        )
    )
    style_chart(
        figure,
        language,
        y_title=translate("governance.trend_y", language),
        height=420,
        y_format=ONE_DECIMAL,
    )
    figure.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=labels,
        tickformat="",
        hoverformat="",
        dtick=None,
        nticks=12,
    )
    figure.update_layout(hovermode="closest")
    return figure
