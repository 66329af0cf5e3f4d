"""Pure functions from mining results to what the dashboard draws.

Nothing here reads the store or knows Dash callbacks: each function takes frames, dataclasses and
a language, and returns cytoscape elements, stylesheets or formatted tables, so it can be tested
with exact expected values.
"""

from app.figures.log_table import build_log_table
from app.figures.process_map import (
    PERFORMANCE_COLOURS,
    LegendItem,
    MapMode,
    Statistic,
    build_arc_table,
    build_performance_legend,
    build_process_map_elements,
    build_process_map_layout,
    build_process_map_stylesheet,
    select_top_activities,
    select_top_arcs,
    shown_activities,
    suggest_top_percent,
)
from app.figures.tables import Column, Link, TableData

__all__ = [
    "PERFORMANCE_COLOURS",
    "Column",
    "LegendItem",
    "Link",
    "MapMode",
    "Statistic",
    "TableData",
    "build_arc_table",
    "build_log_table",
    "build_performance_legend",
    "build_process_map_elements",
    "build_process_map_layout",
    "build_process_map_stylesheet",
    "select_top_activities",
    "select_top_arcs",
    "shown_activities",
    "suggest_top_percent",
]
