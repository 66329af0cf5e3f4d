"""One look for every plotly chart: the language's number format on axes and hovers.

Plotly abbreviates large numbers with SI suffixes (14.7k) and separates thousands with a comma
unless told otherwise; a Danish reader expects 14.673. ``separators`` gives plotly the
language's decimal and thousands marks, and a d3 format without ``s`` keeps the digits whole.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from app.formatting import Language

WHOLE_NUMBERS = ",.0f"
"""d3 format of an amount: thousands separated, no decimals, no SI suffix."""
ONE_DECIMAL = ",.1f"


def plotly_separators(language: Language) -> str:
    """Plotly's ``separators``: the decimal mark, then the thousands mark."""
    return ",." if language == "da" else ".,"


def apply_number_format(
    figure: go.Figure, language: Language, *, value_format: str = WHOLE_NUMBERS
) -> go.Figure:
    """The language's number format everywhere in ``figure``, the one place every chart goes
    through: plotly's separators (14.673 and 0,5 in Danish), and every number plotly would
    otherwise abbreviate with an SI suffix ("14,673k", "0,5M") written out with ``value_format``:
    the ticks and hovers of numeric axes that have no format of their own, the colour bars'
    ticks, and bare ``%{z}``/``%{y}``/``%{x}`` of numeric values in text and hover templates.
    Date and category axes keep theirs."""
    figure.update_layout(separators=plotly_separators(language))
    numeric = _numeric_axes(figure)
    for axis in numeric:
        settings = figure.layout[axis]
        if not settings.tickformat:
            settings.tickformat = value_format
        if not settings.hoverformat:
            settings.hoverformat = settings.tickformat
    for trace in figure.data:
        _format_trace(trace, numeric, value_format)
    return figure


_AXIS_NAMES = {"x": "xaxis", "y": "yaxis"}


def _numeric_axes(figure: go.Figure) -> set[str]:
    """The layout names (``yaxis``, ``xaxis2``, ...) of the axes that carry numbers: not typed
    date or category, and showing numeric values of some trace."""
    numeric: set[str] = set()
    for trace in figure.data:
        for letter in ("x", "y"):
            values = getattr(trace, letter, None)
            if values is None or trace.type in {"heatmap", "pie"}:
                continue
            anchor = getattr(trace, f"{letter}axis", None) or letter
            name = _AXIS_NAMES[letter] + anchor[1:]
            axis_type = figure.layout[name].type if name in figure.layout else None
            if axis_type in {"date", "category", "multicategory"}:
                continue
            if any(_is_number(v) for v in values):
                numeric.add(name)
    return numeric


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_SCALED_TRACES = frozenset({"heatmap", "histogram2d", "contour", "choropleth", "densitymapbox"})


def _has_colour_bar(trace: Any, holder: Any) -> bool:
    """Whether ``holder`` (a trace or its marker) draws a colour bar."""
    if holder is trace and trace.type in _SCALED_TRACES:
        return True
    drawn = holder.to_plotly_json()
    return "colorbar" in drawn or "colorscale" in drawn


def _format_trace(trace: Any, numeric: set[str], value_format: str) -> None:
    marker = getattr(trace, "marker", None)
    for holder in (trace, marker):
        if holder is None or not _has_colour_bar(trace, holder):
            continue  # touching ``colorbar`` would make plotly draw one
        if not holder.colorbar.tickformat:
            holder.colorbar.tickformat = value_format
    letters = ["z"] + [
        letter
        for letter in ("x", "y")
        if _AXIS_NAMES[letter] + (getattr(trace, f"{letter}axis", None) or letter)[1:] in numeric
        and any(_is_number(v) for v in getattr(trace, letter, None) or ())
    ]
    for template in ("texttemplate", "hovertemplate"):
        text = getattr(trace, template, None)
        if isinstance(text, str):
            for letter in letters:
                text = text.replace(f"%{{{letter}}}", f"%{{{letter}:{value_format}}}")
            setattr(trace, template, text)


def style_chart(
    figure: go.Figure,
    language: Language,
    *,
    y_title: str,
    height: int,
    y_format: str = WHOLE_NUMBERS,
) -> go.Figure:
    """``figure`` with the language's separators, whole-number y ticks and hovers, years as
    plain labels on the x axis (never 2.024), a legend above the plot and tight margins."""
    figure.update_layout(
        separators=plotly_separators(language),
        height=height,
        margin={"l": 64, "r": 16, "t": 28, "b": 28},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        font={"family": "Inter, Segoe UI, Roboto, Helvetica, Arial, sans-serif", "size": 12},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        hovermode="x unified",
    )
    figure.update_yaxes(
        title_text=y_title,
        tickformat=y_format,
        hoverformat=y_format,
        gridcolor="#e6ebf1",
        zerolinecolor="#9aa8b8",
    )
    figure.update_xaxes(tickformat="d", hoverformat="d", dtick=1, showgrid=False)
    return apply_number_format(figure, language, value_format=y_format)
