"""Analysis services over canonical event logs: a fast polars core, and one pm4py adapter.

The facade: notebooks, the CLI and the dashboard import from here.
"""

from mining.bottlenecks import find_bottlenecks
from mining.calendar_dk import (
    DEFAULT_CALENDAR,
    WorkingCalendar,
    compute_working_duration_s,
    find_danish_holidays,
)
from mining.compare import Comparison, compare_periods, compute_case_measure
from mining.dfg import discover_dfg
from mining.durations import (
    TimeMode,
    compute_activity_durations,
    compute_case_durations,
    compute_event_durations,
    compute_time_between,
)
from mining.filters import (
    filter_activities,
    filter_attribute,
    filter_case_duration,
    filter_case_size,
    filter_cases_with_activity,
    filter_endpoints,
    filter_follows,
    filter_org_unit,
    filter_time_window,
    filter_variants,
)
from mining.handovers import (
    MIN_GROUP_SIZE,
    PrivacyError,
    compute_handover_trend,
    compute_handovers,
    compute_handovers_per_case,
    find_ping_pong,
)
from mining.process_map import ProcessMap, discover_process_map
from mining.rework import compute_rework
from mining.stats import LogStats, compute_log_stats
from mining.variants import compare_variants, compute_variants

__all__ = [
    "DEFAULT_CALENDAR",
    "MIN_GROUP_SIZE",
    "Comparison",
    "LogStats",
    "PrivacyError",
    "ProcessMap",
    "TimeMode",
    "WorkingCalendar",
    "compare_periods",
    "compare_variants",
    "compute_activity_durations",
    "compute_case_durations",
    "compute_case_measure",
    "compute_event_durations",
    "compute_handover_trend",
    "compute_handovers",
    "compute_handovers_per_case",
    "compute_log_stats",
    "compute_rework",
    "compute_time_between",
    "compute_variants",
    "compute_working_duration_s",
    "discover_dfg",
    "discover_process_map",
    "filter_activities",
    "filter_attribute",
    "filter_case_duration",
    "filter_case_size",
    "filter_cases_with_activity",
    "filter_endpoints",
    "filter_follows",
    "filter_org_unit",
    "filter_time_window",
    "filter_variants",
    "find_bottlenecks",
    "find_danish_holidays",
    "find_ping_pong",
]
