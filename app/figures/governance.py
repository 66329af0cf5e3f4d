"""The governance trend: the share of items breaking a rule per service area and month, with
the threshold as a dashed line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
import polars as pl

from app.figures.chart_style import ONE_DECIMAL, style_chart
from app.figures.dates import format_month
from app.formatting import Language, format_number
from app.i18n import translate
from mining import NetGraph


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


def build_net_elements(net: NetGraph) -> list[dict[str, Any]]:
    """Cytoscape elements of a Petri net: places as circles (the start one green, the end one
    dark), visible transitions as boxes with their activity, silent ones as slim black bars."""
    elements: list[dict[str, Any]] = []
    for node in net.nodes:
        if node.kind == "place":
            classes = "place" + (f" {node.marking}" if node.marking else "")
            elements.append({"data": {"id": node.id, "label": ""}, "classes": classes})
        else:
            silent = node.label is None
            elements.append(
                {
                    "data": {"id": node.id, "label": "" if silent else node.label},
                    "classes": "silent" if silent else "transition",
                }
            )
    elements += [
        {"data": {"id": f"{source}-{target}", "source": source, "target": target}}
        for source, target in net.arcs
    ]
    return elements


def build_net_stylesheet() -> list[dict[str, Any]]:
    """How a Petri net's places, transitions and arcs look."""
    return [
        {
            "selector": ".transition",
            "style": {
                "shape": "round-rectangle",
                "label": "data(label)",
                "width": 150,
                "height": 44,
                "background-color": "#e8f0fa",
                "border-width": 1,
                "border-color": "#1d4f8a",
                "font-size": 12,
                "text-wrap": "wrap",
                "text-max-width": 140,
                "text-valign": "center",
                "text-halign": "center",
            },
        },
        {
            "selector": ".silent",
            "style": {
                "shape": "rectangle",
                "width": 10,
                "height": 36,
                "background-color": "#26323f",
            },
        },
        {
            "selector": ".place",
            "style": {
                "shape": "ellipse",
                "width": 26,
                "height": 26,
                "background-color": "#ffffff",
                "border-width": 2,
                "border-color": "#26323f",
            },
        },
        {"selector": ".start", "style": {"background-color": "#2e7d32"}},
        {"selector": ".end", "style": {"background-color": "#26323f"}},
        {
            "selector": "edge",
            "style": {
                "curve-style": "bezier",
                "width": 1.5,
                "line-color": "#7a8899",
                "target-arrow-color": "#7a8899",
                "target-arrow-shape": "triangle",
            },
        },
    ]


def build_net_layout() -> dict[str, Any]:
    """Left to right in layers (dagre, served by dash-cytoscape itself)."""
    return {"name": "dagre", "rankDir": "LR", "nodeSep": 18, "rankSep": 40}
