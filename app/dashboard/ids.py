"""Component ids of the dashboard, one namespace per page.

Every id is built here and prefixed with its page (``shell-``, ``logs-``, ``map-``), so two pages
never collide and a test or callback never spells an id by hand.
"""

from __future__ import annotations

from typing import Final

# The frame around every page (header, navigation, language switch).
SHELL_URL: Final = "shell-url"
SHELL_NAV: Final = "shell-nav"
SHELL_LANGUAGE: Final = "shell-language"
SHELL_TAGLINE: Final = "shell-tagline"

# The logs page.
LOGS_TITLE: Final = "logs-title"
LOGS_TABLE: Final = "logs-table"
LOGS_EMPTY: Final = "logs-empty"

# The benefits page.
BENEFITS_TITLE: Final = "benefits-title"
BENEFITS_MESSAGE: Final = "benefits-message"
BENEFITS_CASES: Final = "benefits-cases"
BENEFITS_CASE_TITLE: Final = "benefits-case-title"
BENEFITS_PAYBACK: Final = "benefits-payback"
BENEFITS_SAVINGS: Final = "benefits-savings"
BENEFITS_CHART: Final = "benefits-chart"
BENEFITS_FOLLOWUP: Final = "benefits-followup"

# The process-map page.
MAP_TITLE: Final = "map-title"
MAP_LANGUAGE: Final = "map-language"
MAP_LOG: Final = "map-log"
MAP_TOP_PERCENT: Final = "map-top-percent"
MAP_NOTE: Final = "map-note"
MAP_SUMMARY: Final = "map-summary"
MAP_MESSAGE: Final = "map-message"
MAP_GRAPH: Final = "map-graph"
MAP_ARCS: Final = "map-arcs"
MAP_EMPTY: Final = "map-empty"
MAP_WORKSPACE: Final = "map-workspace"
MAP_CONTROLS: Final = "map-controls"
MAP_RESULT: Final = "map-result"

# The process-analysis page.
ANALYSIS_TITLE: Final = "analysis-title"
ANALYSIS_LANGUAGE: Final = "analysis-language"
ANALYSIS_LOG: Final = "analysis-log"
ANALYSIS_PERIOD: Final = "analysis-period"
ANALYSIS_ORG_UNITS: Final = "analysis-org-units"
ANALYSIS_ORG_UNITS_FIELD: Final = "analysis-org-units-field"
ANALYSIS_EMPTY: Final = "analysis-empty"
ANALYSIS_WORKSPACE: Final = "analysis-workspace"
ANALYSIS_CONTROLS: Final = "analysis-controls"
ANALYSIS_MESSAGE: Final = "analysis-message"
ANALYSIS_SUMMARY: Final = "analysis-summary"
ANALYSIS_RESULT: Final = "analysis-result"
ANALYSIS_VARIANTS: Final = "analysis-variants"
ANALYSIS_VARIANT_TABLE: Final = "analysis-variant-table"
ANALYSIS_COVERAGE: Final = "analysis-coverage"
ANALYSIS_BOTTLENECKS: Final = "analysis-bottlenecks"
ANALYSIS_BOTTLENECK_TABLE: Final = "analysis-bottleneck-table"
ANALYSIS_BOTTLENECK_CHART: Final = "analysis-bottleneck-chart"
ANALYSIS_HANDOVERS: Final = "analysis-handovers"
ANALYSIS_HANDOVER_MATRIX: Final = "analysis-handover-matrix"
ANALYSIS_MATRIX_NOTE: Final = "analysis-matrix-note"
ANALYSIS_HANDOVER_TABLE: Final = "analysis-handover-table"
ANALYSIS_PING_PONG: Final = "analysis-ping-pong"
ANALYSIS_HANDOVER_TREND: Final = "analysis-handover-trend"
