"""The process map: a directly-follows graph drawn with dash-cytoscape, and its table of arcs.

Input is the frame :func:`mining.discover_dfg` returns (one row per directly-follows pair:
``source``, ``target``, ``frequency``, ``mean_duration_s``, ``median_duration_s``) and the number
of events per activity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from app.figures.tables import Cell, Column, TableData
from app.formatting import Language, format_duration, format_int
from app.i18n import translate

# Node fill from light (rare) to dark (frequent) blue, with a text colour readable on each.
_NODE_FILLS: tuple[tuple[str, str], ...] = (
    ("#e8f1fa", "#1b2a3a"),
    ("#c6dcf2", "#1b2a3a"),
    ("#8fb8e3", "#1b2a3a"),
    ("#3f7fc4", "#ffffff"),
    ("#1d4f8a", "#ffffff"),
)
MapMode = Literal["frequency", "performance"]
"""Frequency: arcs as thick as they are frequent, labelled with counts; performance: arcs
coloured by the time between their activities, labelled with it."""
Statistic = Literal["median", "mean"]
"""Which time between two activities the performance view shows."""
_STAT_COLUMNS: Final[Mapping[str, str]] = {
    "median": "median_duration_s",
    "mean": "mean_duration_s",
}
# Arc colours of the performance view, from quick (grey) to slow (dark red), by fifths of the
# slowest shown arc's time: one slow arc stands out against the rest.
PERFORMANCE_COLOURS: Final[tuple[str, ...]] = (
    "#9aa8b8",
    "#f2c14e",
    "#f08a3c",
    "#d9492f",
    "#8e1b1b",
)
_FREQUENCY_COLOUR: Final = "#8797ab"
_EDGE_MIN_WIDTH_PX = 1.0
_EDGE_MAX_WIDTH_PX = 8.0
# Rough glyph width of the node font, used to size a box to its label (cytoscape cannot).
_CHAR_PX = 7.2
_NODE_TEXT_MAX_PX = 190.0


def select_top_arcs(dfg: pl.DataFrame, percent: float) -> pl.DataFrame:
    """The most frequent ``percent`` % of the arcs (at least one), most frequent first.

    Keeps ceil(percent % of the arcs) arcs, and also every arc exactly as frequent as the last
    one kept: among equally frequent arcs there is no fair way to pick, so they stay together.
    """
    if dfg.height == 0 or percent >= 100:
        return _by_frequency(dfg)
    keep = max(1, math.ceil(dfg.height * max(percent, 0.0) / 100))
    ranked = _by_frequency(dfg)
    threshold = ranked["frequency"][keep - 1]
    return ranked.filter(pl.col("frequency") >= threshold)


def suggest_top_percent(dfg: pl.DataFrame, *, max_arcs: int = 30, step: int = 5) -> int:
    """The largest percentage (a multiple of ``step``) whose top arcs number at most ``max_arcs``.

    A map of a real log with all its arcs is a hairball; this is where the slider starts, so the
    first map is readable. Never below ``step``, even when ties keep more arcs than ``max_arcs``.
    """
    for percent in range(100, step - 1, -step):
        if select_top_arcs(dfg, percent).height <= max_arcs:
            return percent
    return step


def _by_frequency(dfg: pl.DataFrame) -> pl.DataFrame:
    return dfg.sort(["frequency", "source", "target"], descending=[True, False, False])


def select_top_activities(activity_counts: Mapping[str, int], percent: float) -> list[str]:
    """The most frequent ``percent`` % of the activities (at least one), most events first.

    Keeps ceil(percent % of the activities), and every activity exactly as frequent as the last
    one kept (as :func:`select_top_arcs` keeps ties together).
    """
    ranked = sorted(activity_counts, key=lambda name: (-activity_counts[name], name))
    if not ranked or percent >= 100:
        return ranked
    keep = max(1, math.ceil(len(ranked) * max(percent, 0.0) / 100))
    threshold = activity_counts[ranked[keep - 1]]
    return [name for name in ranked if activity_counts[name] >= threshold]


def build_process_map_elements(
    dfg: pl.DataFrame,
    activity_counts: Mapping[str, int],
    language: Language,
    *,
    mode: MapMode = "frequency",
    statistic: Statistic = "median",
) -> list[dict[str, Any]]:
    """Cytoscape elements: one node per activity on a shown arc, one edge per arc of ``dfg``
    (a self-loop, an activity followed by itself, is an edge from the node to itself).

    A node's label is the activity and its number of events. An edge's width grows with its
    frequency; in the ``frequency`` view its label is its frequency, in the ``performance`` view
    its label is its ``statistic`` time (median or mean) and its colour that time's fifth of the
    slowest shown arc's (:data:`PERFORMANCE_COLOURS`). Activities left without any shown arc are
    left out (scattered loose boxes would shrink the map); with no arcs at all, every activity
    is shown.
    """
    names = shown_activities(dfg, activity_counts)
    top_count = max((activity_counts.get(n, 0) for n in names), default=0)
    nodes = [_node(name, activity_counts.get(name, 0), top_count, language) for name in names]
    top_frequency = int(dfg.select(pl.col("frequency").max()).item() or 0) if dfg.height else 0
    slowest = _slowest(dfg, statistic)
    edges = [
        _edge(index, row, top_frequency, language, mode=mode, statistic=statistic, slowest=slowest)
        for index, row in enumerate(_by_frequency(dfg).iter_rows(named=True))
    ]
    return nodes + edges


def _slowest(dfg: pl.DataFrame, statistic: Statistic) -> float:
    if dfg.height == 0:
        return 0.0
    return float(dfg.select(pl.col(_STAT_COLUMNS[statistic]).max()).item() or 0.0)


def _colour_step(seconds: float | None, slowest: float) -> int:
    if seconds is None or slowest <= 0:
        return 0
    steps = len(PERFORMANCE_COLOURS)
    return min(steps - 1, int(seconds / slowest * steps))


@dataclass(frozen=True)
class LegendItem:
    """One colour of the performance view's legend and the times it stands for."""

    colour: str
    label: str


def build_performance_legend(
    dfg: pl.DataFrame, statistic: Statistic, language: Language
) -> list[LegendItem]:
    """The performance view's colours with the range of times each stands for (fifths of the
    slowest shown arc's ``statistic`` time); empty when no arc has a time."""
    slowest = _slowest(dfg, statistic)
    if slowest <= 0:
        return []
    steps = len(PERFORMANCE_COLOURS)
    bounds = [slowest * i / steps for i in range(steps + 1)]
    items = []
    for i, colour in enumerate(PERFORMANCE_COLOURS):
        low, high = format_duration(bounds[i], language), format_duration(bounds[i + 1], language)
        label = (
            translate("map.legend_under", language, high=high)
            if i == 0
            else translate("map.legend_range", language, low=low, high=high)
        )
        items.append(LegendItem(colour, label))
    return items


def shown_activities(dfg: pl.DataFrame, activity_counts: Mapping[str, int]) -> list[str]:
    """The activities the map draws, most events first, then by name."""
    on_arcs = set(dfg["source"]) | set(dfg["target"])
    names = on_arcs if on_arcs else set(activity_counts)
    return sorted(names, key=lambda name: (-activity_counts.get(name, 0), name))


def _node(name: str, count: int, top_count: int, language: Language) -> dict[str, Any]:
    fill, text = _NODE_FILLS[_shade(count, top_count)]
    text_px = min(len(name) * _CHAR_PX, _NODE_TEXT_MAX_PX)
    name_lines = math.ceil(len(name) * _CHAR_PX / _NODE_TEXT_MAX_PX) or 1
    return {
        "data": {
            "id": name,
            "label": f"{name}\n{format_int(count, language)}",
            "count": count,
            "width": round(text_px + 28, 1),
            "height": 18 * (name_lines + 1) + 14,
            "fill": fill,
            "text_color": text,
        },
        "classes": "activity",
    }


def _shade(count: int, top_count: int) -> int:
    if top_count <= 0:
        return 0
    return round(count / top_count * (len(_NODE_FILLS) - 1))


def _edge(
    index: int,
    row: dict[str, Any],
    top_frequency: int,
    language: Language,
    *,
    mode: MapMode,
    statistic: Statistic,
    slowest: float,
) -> dict[str, Any]:
    frequency = int(row["frequency"])
    share = frequency / top_frequency if top_frequency else 0.0
    width = _EDGE_MIN_WIDTH_PX + (_EDGE_MAX_WIDTH_PX - _EDGE_MIN_WIDTH_PX) * share
    seconds = row[_STAT_COLUMNS[statistic]]
    performance = mode == "performance"
    return {
        "data": {
            # Index ids: activity names may contain any character, so no name-built id is safe.
            "id": f"arc-{index}",
            "source": row["source"],
            "target": row["target"],
            "frequency": frequency,
            "mean_duration_s": row["mean_duration_s"],
            "median_duration_s": row["median_duration_s"],
            "label": format_duration(seconds, language)
            if performance
            else format_int(frequency, language),
            "width": round(width, 2),
            "colour": PERFORMANCE_COLOURS[_colour_step(seconds, slowest)]
            if performance
            else _FREQUENCY_COLOUR,
        },
        "classes": "arc" + (" loop" if row["source"] == row["target"] else ""),
    }


def build_process_map_stylesheet() -> list[dict[str, Any]]:
    """How nodes and edges look; sizes and colours come from each element's data."""
    return [
        {
            "selector": "node",
            "style": {
                "shape": "round-rectangle",
                "label": "data(label)",
                "width": "data(width)",
                "height": "data(height)",
                "background-color": "data(fill)",
                "color": "data(text_color)",
                "border-width": 1,
                "border-color": "#1d4f8a",
                "font-family": "Helvetica, Arial, sans-serif",
                "font-size": 13,
                "text-wrap": "wrap",
                "text-max-width": _NODE_TEXT_MAX_PX,
                "text-valign": "center",
                "text-halign": "center",
            },
        },
        {
            "selector": "edge",
            "style": {
                "curve-style": "bezier",
                "width": "data(width)",
                "line-color": "data(colour)",
                "target-arrow-color": "data(colour)",
                "target-arrow-shape": "triangle",
                "arrow-scale": 1.1,
                "label": "data(label)",
                "font-size": 11,
                # Unreadably small labels (a large map zoomed out) are hidden, not smeared.
                "min-zoomed-font-size": 7,
                "color": "#26323f",
                "text-background-color": "#ffffff",
                "text-background-opacity": 0.9,
                "text-background-padding": 2,
                "text-background-shape": "round-rectangle",
            },
        },
        {
            # A self-loop: drawn on the node's right, clear of its box and of the arcs below.
            "selector": "edge.loop",
            "style": {
                "loop-direction": "90deg",
                "loop-sweep": "-50deg",
                "control-point-step-size": 90,
                "text-margin-x": 12,
            },
        },
        {
            "selector": "edge:selected",
            "style": {"line-color": "#c0392b", "target-arrow-color": "#c0392b"},
        },
        {"selector": "node:selected", "style": {"border-width": 3, "border-color": "#c0392b"}},
    ]


def build_process_map_layout() -> dict[str, Any]:
    """A top-down layered layout (dagre), the way process maps are usually read; ranks and
    neighbours spaced so the arrows' labels and the self-loops beside the boxes do not overlap
    on maps of 20-50 arcs."""
    return {
        "name": "dagre",
        "rankDir": "TB",
        "nodeSep": 120,
        "rankSep": 100,
        "edgeSep": 50,
        "ranker": "network-simplex",
        "animate": False,
        "fit": True,
        "padding": 24,
    }


def build_arc_table(
    dfg: pl.DataFrame, language: Language, *, slowest_first: Statistic | None = None
) -> TableData:
    """One row per arc: from, to, frequency, mean and median time; most frequent first, or
    with ``slowest_first`` the slowest by that time first (the performance view's order)."""
    columns = (
        Column("source", translate("map.col.source", language)),
        Column("target", translate("map.col.target", language)),
        Column("frequency", translate("map.col.frequency", language), numeric=True),
        Column("mean", translate("map.col.mean", language), numeric=True),
        Column("median", translate("map.col.median", language), numeric=True),
    )
    ordered = (
        _by_frequency(dfg)
        if slowest_first is None
        else dfg.sort(
            [_STAT_COLUMNS[slowest_first], "frequency", "source", "target"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
    )
    rows = tuple(_arc_row(row, language) for row in ordered.iter_rows(named=True))
    return TableData(columns, rows)


def _arc_row(row: dict[str, Any], language: Language) -> dict[str, Cell]:
    return {
        "source": str(row["source"]),
        "target": str(row["target"]),
        "frequency": format_int(int(row["frequency"]), language),
        "mean": format_duration(row["mean_duration_s"], language),
        "median": format_duration(row["median_duration_s"], language),
    }
