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
