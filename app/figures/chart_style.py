"""One look for every plotly chart: the language's number format on axes and hovers.

Plotly abbreviates large numbers with SI suffixes (14.7k) and separates thousands with a comma
unless told otherwise; a Danish reader expects 14.673. ``separators`` gives plotly the
language's decimal and thousands marks, and a d3 format without ``s`` keeps the digits whole.
"""

from __future__ import annotations

import plotly.graph_objects as go

from app.formatting import Language

WHOLE_NUMBERS = ",.0f"
"""d3 format of an amount: thousands separated, no decimals, no SI suffix."""
ONE_DECIMAL = ",.1f"


def plotly_separators(language: Language) -> str:
    """Plotly's ``separators``: the decimal mark, then the thousands mark."""
    return ",." if language == "da" else ".,"


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
    return figure
