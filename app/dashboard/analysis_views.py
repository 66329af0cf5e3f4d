"""Tables and charts of the process-analysis page, from mining results to what is drawn.

Pure functions of frames and a language (no store, no Dash callbacks), so each can be tested
with exact expected values. Numbers and dates follow the language (app.formatting); every label
comes from app.i18n.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Final

import plotly.graph_objects as go
import polars as pl

from app.dashboard.analysis_data import HandoverData, OtherVariants, is_partial_month
from app.figures.chart_style import apply_number_format
from app.figures.tables import Cell, Column, TableData
from app.formatting import Language, format_int, format_number
from app.i18n import translate
from mining import OTHER_GROUP

_DURATION_UNITS = (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0))
MATRIX_UNITS = 15
_CHART_MARGIN = {"l": 60, "r": 20, "t": 30, "b": 50}


def format_span(seconds: float | None, language: Language) -> str:
    """A duration in words, in the largest sensible unit: "3,2 dage", "5,0 timer" (da),
    "3.2 days" (en); an en dash for no value."""
    if seconds is None:
        return "–"
    for unit, size in _DURATION_UNITS:
        if abs(seconds) >= size:
            value = format_number(seconds / size, 1, language)
            return translate(f"analysis.unit.{unit}", language, value=value)
    return translate("analysis.unit.seconds", language, value=format_number(seconds, 0, language))


def format_share(share: float | None, language: Language) -> str:
    """A 0-1 share as a percentage with one decimal: "62,5 %"; an en dash for none (a share of
    no waiting at all)."""
    if share is None:
        return "–"
    return f"{format_number(share * 100, 1, language)} %"


def variant_table(top: pl.DataFrame, other: OtherVariants | None, language: Language) -> TableData:
    """The top variants, one row each, and the rest summed in a last row."""
    columns = (
        Column("rank", translate("analysis.col.rank", language), numeric=True),
        Column("variant", translate("analysis.col.variant", language)),
        Column("events", translate("analysis.col.events", language), numeric=True),
        Column("cases", translate("analysis.col.cases", language), numeric=True),
        Column("share", translate("analysis.col.share", language), numeric=True),
        Column("mean", translate("analysis.col.mean", language), numeric=True),
        Column("median", translate("analysis.col.median", language), numeric=True),
    )
    rows: list[dict[str, Cell]] = [
        {
            "rank": str(row["variant_rank"]),
            "variant": " → ".join(row["variant"]),
            "events": format_int(row["events"], language),
            "cases": format_int(row["cases"], language),
            "share": format_share(row["share"], language),
            "mean": format_span(row["mean_throughput_s"], language),
            "median": format_span(row["median_throughput_s"], language),
        }
        for row in top.iter_rows(named=True)
    ]
    if other is not None:
        count = format_int(other.variants, language)
        rows.append(
            {
                "rank": "",
                "variant": translate("analysis.other_variants", language, count=count),
                "events": "",
                "cases": format_int(other.cases, language),
                "share": format_share(other.share, language),
                "mean": format_span(other.mean_throughput_s, language),
                "median": format_span(other.median_throughput_s, language),
            }
        )
    return TableData(columns, tuple(rows))


def coverage_text(top: pl.DataFrame, language: Language) -> str:
    """How much of the cases the top variants cover."""
    share = float(top["share"].sum()) if top.height else 0.0
    return translate(
        "analysis.coverage",
        language,
        top=format_int(top.height, language),
        share=format_number(share * 100, 1, language),
    )


def bottleneck_table(bottlenecks: pl.DataFrame, language: Language) -> TableData:
    """Arcs ranked by total waiting: rank, from, to, frequency, mean and total wait, share."""
    columns = (
        Column("rank", translate("analysis.col.rank", language), numeric=True),
        Column("source", translate("analysis.col.source", language)),
        Column("target", translate("analysis.col.target", language)),
        Column("frequency", translate("analysis.col.frequency", language), numeric=True),
        Column("mean_wait", translate("analysis.col.mean_wait", language), numeric=True),
        Column("total_wait", translate("analysis.col.total_wait", language), numeric=True),
        Column("wait_share", translate("analysis.col.wait_share", language), numeric=True),
    )
    rows: tuple[dict[str, Cell], ...] = tuple(
        {
            "rank": str(row["rank"]),
            "source": row["source"],
            "target": row["target"],
            "frequency": format_int(row["frequency"], language),
            "mean_wait": format_span(row["mean_wait_s"], language),
            "total_wait": format_span(row["total_wait_s"], language),
            "wait_share": format_share(row["wait_share"], language),
        }
        for row in bottlenecks.iter_rows(named=True)
    )
    return TableData(columns, rows)


def _month_axis(
    figure: go.Figure,
    y_title: str,
    language: Language,
    months: pl.DataFrame | None = None,
    *,
    value_format: str = ",.1~f",
) -> go.Figure:
    """Months on x in the language's date style, the language's numbers (app.figures.
    chart_style), a shared look; with ``months`` (``month``, ``cases``, ``partial``) each
    month's label carries its case count, and partial months are drawn as open points."""
    month_format = "%m.%Y" if language == "da" else "%Y-%m"
    figure.update_layout(
        xaxis={
            "title": translate("analysis.month", language),
            "tickformat": month_format,
            "hoverformat": month_format,
            "dtick": "M1",
        },
        yaxis={"title": y_title, "rangemode": "tozero"},
        margin={**_CHART_MARGIN, "b": 100},
        height=380,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    if months is not None and months.height:
        _label_months(figure, months, language)
    return apply_number_format(figure, language, value_format=value_format)


MAX_MONTH_TICKS: Final = 12
"""A month axis with more months is labelled every few months (three years of labels, each
with its case count, overlap); every point's hover still names its month's cases."""


def month_labels(months: pl.DataFrame, language: Language) -> list[str]:
    """Each month's tick label: "03.2024", its case count under it, "(delvis)" when partial."""
    return [
        f"{month.strftime('%m.%Y' if language == 'da' else '%Y-%m')}<br>{cases}"
        for month, cases in zip(months["month"], _month_cases(months, language), strict=True)
    ]


def _month_cases(months: pl.DataFrame, language: Language) -> list[str]:
    """Each month's case count ("5 sager"), with "(delvis)" on a line of its own when partial."""
    texts = []
    for cases, partial in months.select("cases", "partial").iter_rows():
        count = translate("analysis.month_cases", language, cases=format_int(cases, language))
        part = f"<br>({translate('analysis.partial_month', language)})" if partial else ""
        texts.append(f"{count}{part}")
    return texts


def _label_months(figure: go.Figure, months: pl.DataFrame, language: Language) -> None:
    partial = dict(zip(months["month"].to_list(), months["partial"].to_list(), strict=True))
    labelled = months.gather_every(math.ceil(months.height / MAX_MONTH_TICKS))
    figure.update_xaxes(
        tickmode="array",
        tickvals=labelled["month"].to_list(),
        ticktext=month_labels(labelled, language),
        tickangle=0,
        tickfont={"size": 10},
    )
    cases = dict(zip(months["month"].to_list(), _month_cases(months, language), strict=True))
    for trace in figure.data:
        trace.marker.symbol = ["circle-open" if partial.get(x) else "circle" for x in trace.x]
        trace.marker.size = 9
        trace.text = [cases.get(x, "") for x in trace.x]  # shown in the hover only


def bottleneck_figure(
    trend: pl.DataFrame, language: Language, months: pl.DataFrame | None = None
) -> go.Figure:
    """Total waiting (hours) per month of the top arcs, one line each; ``months`` marks the
    partial ones and gives each its case count (``_month_axis``)."""
    lines = []
    for (source, target), arc in trend.group_by("source", "target", maintain_order=True):
        lines.append(
            go.Scatter(
                name=f"{source} → {target}",
                x=arc["month"].to_list(),
                y=(arc["total_wait_s"] / 3600).to_list(),
                mode="lines+markers",
            )
        )
    y_title = translate("analysis.wait_hours", language)
    shown = None if months is None else months.filter(pl.col("month").is_in(trend["month"]))
    return _month_axis(go.Figure(lines), y_title, language, shown)


def busiest_units(matrix: pl.DataFrame, top: int) -> list[str]:
    """The ``top`` org units with the most handovers (given plus received), busiest first, ties
    by name: a heatmap of hundreds of assignment groups is unreadable and slow to draw."""
    given = matrix.group_by(pl.col("source").alias("unit")).agg(pl.col("handovers").sum())
    received = matrix.group_by(pl.col("target").alias("unit")).agg(pl.col("handovers").sum())
    totals = pl.concat([given, received]).group_by("unit").agg(pl.col("handovers").sum())
    ranked = totals.sort(["handovers", "unit"], descending=[True, False]).head(top)
    return [str(unit) for unit in ranked["unit"]]


def handover_matrix(
    matrix: pl.DataFrame, top: int = MATRIX_UNITS
) -> tuple[list[str], list[list[int]]]:
    """The busiest org units (see :func:`busiest_units`) and the counts ``z[from][to]`` between
    them (0 where none were handed over)."""
    units = busiest_units(matrix, top)
    position = {unit: i for i, unit in enumerate(units)}
    z = [[0] * len(units) for _ in units]
    shown = matrix.filter(pl.col("source").is_in(units) & pl.col("target").is_in(units))
    for source, target, count in shown.select("source", "target", "handovers").iter_rows():
        z[position[source]][position[target]] = int(count)
    return units, z


def matrix_note(matrix: pl.DataFrame, language: Language) -> str | None:
    """Says how many units the heatmap leaves out, if any."""
    total = len(set(matrix["source"].to_list()) | set(matrix["target"].to_list()))
    if total <= MATRIX_UNITS:
        return None
    return translate(
        "analysis.matrix_top",
        language,
        shown=format_int(MATRIX_UNITS, language),
        total=format_int(total, language),
    )


def handover_figure(matrix: pl.DataFrame, language: Language) -> go.Figure:
    """A heatmap of handovers from unit (rows) to unit (columns), each cell labelled."""
    units, z = handover_matrix(matrix)
    count = translate("analysis.matrix_count", language)
    heatmap = go.Heatmap(
        z=z,
        x=units,
        y=units,
        colorscale="Blues",
        texttemplate="%{z}",
        hovertemplate=f"%{{y}} → %{{x}}: %{{z}} {count.lower()}<extra></extra>",
        colorbar={"title": count},
    )
    figure = go.Figure(heatmap)
    figure.update_layout(
        xaxis={"title": translate("analysis.matrix_to", language), "type": "category"},
        yaxis={
            "title": translate("analysis.matrix_from", language),
            "type": "category",
            "autorange": "reversed",  # the first unit at the top, as in a table
        },
        margin={"l": 140, "r": 20, "t": 20, "b": 120},
        height=max(320, 60 * len(units) + 160),
    )
    return apply_number_format(figure, language)


def handover_table(matrix: pl.DataFrame, top: int, language: Language) -> TableData:
    """The most frequent handovers between units: from, to, handovers, cases, share."""
    columns = (
        Column("source", translate("analysis.col.source", language)),
        Column("target", translate("analysis.col.target", language)),
        Column("handovers", translate("analysis.col.handovers", language), numeric=True),
        Column("cases", translate("analysis.col.cases", language), numeric=True),
        Column("share", translate("analysis.col.share", language), numeric=True),
    )
    rows: tuple[dict[str, Cell], ...] = tuple(
        {
            "source": row["source"],
            "target": row["target"],
            "handovers": format_int(row["handovers"], language),
            "cases": format_int(row["cases"], language),
            "share": format_share(row["share"], language),
        }
        for row in matrix.head(top).iter_rows(named=True)
    )
    return TableData(columns, rows)


def ping_pong_text(ping_pong: pl.DataFrame, cases_with: int, language: Language) -> str:
    """How often work went A → B → A, and in how many cases."""
    occurrences = int(ping_pong["occurrences"].sum()) if ping_pong.height else 0
    return translate(
        "analysis.ping_pong",
        language,
        occurrences=format_int(occurrences, language),
        cases=format_int(cases_with, language),
    )


def handover_trend_figure(
    trend: pl.DataFrame, language: Language, span: tuple[dt.date, dt.date] | None = None
) -> go.Figure:
    """Mean handovers per case by the month the cases started, each month labelled with the
    cases that started in it; months ``span`` covers only in part drawn as open points."""
    per_case = translate("analysis.per_case", language)
    line = go.Scatter(
        name=per_case,
        x=trend["month"].to_list(),
        y=trend["mean_handovers_per_case"].to_list(),
        mode="lines+markers",
    )
    months = trend.select(
        "month",
        "cases",
        pl.Series("partial", [is_partial_month(m, span) for m in trend["month"]], pl.Boolean),
    )
    return _month_axis(go.Figure(line), per_case, language, months, value_format=",.2~f")


def localise_units(handovers: HandoverData, language: Language) -> HandoverData:
    """``handovers`` with the merged group of small org units named in ``language``."""
    other = translate("privacy.other", language)
    named = [pl.col(c).replace(OTHER_GROUP, other) for c in ("source", "target")]
    matrix, ping_pong = handovers.matrix, handovers.ping_pong
    return dataclasses.replace(
        handovers, matrix=matrix.with_columns(named), ping_pong=ping_pong.with_columns(named)
    )
