"""Analysis services over canonical event logs: a fast polars core, and one pm4py adapter.

The facade: notebooks, the CLI and the dashboard import from here.
"""

from mining import pm4py_adapter
from mining.aggregates import clear_aggregate_cache
from mining.bottlenecks import find_bottlenecks
from mining.calendar_dk import (
    DEFAULT_CALENDAR,
    WorkingCalendar,
    compute_working_duration_s,
    find_danish_holidays,
)
from mining.case_groups import CaseGroups, find_case_groups
from mining.compare import Comparison, compare_periods, compute_case_measure
from mining.conformance import compute_variant_table, summarize_deviations
from mining.devops_practice import compute_devops_rule_rates
from mining.dfg import discover_dfg, discover_dfg_from_events
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
    filter_view,
    org_unit_key,
)
from mining.handovers import (
    MIN_GROUP_SIZE,
    Performer,
    compute_handover_trend,
    compute_handovers,
    compute_handovers_per_case,
    find_ping_pong,
)
from mining.integration import compute_integration_share
from mining.log_index import clear_log_indexes, find_log_index
from mining.model_view import NetGraph, NetNode, describe_net
from mining.pm4py_adapter import (
    FitnessResult,
    ProcessModel,
    ReplayMethod,
    compute_fitness,
    compute_precision,
    compute_variant_fitness,
    discover_process_model,
    find_deviations,
    read_cache_stats,
    read_process_model,
    write_process_model,
)
from mining.privacy import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    OTHER_GROUP,
    WITHHELD_GROUP,
    GroupSize,
    MergedGroups,
    PrivacyError,
    check_group_size,
    check_period_sizes,
    check_view_size,
    count_people_per_group,
    drop_small_months,
    drop_withheld,
    find_small_months,
    merge_small_activities,
    merge_small_groups,
)
from mining.process_map import (
    ProcessMap,
    discover_process_map,
    filter_case_variants,
    find_case_events,
    find_cases_through,
)
from mining.process_shape import (
    ProcessShape,
    compute_branching,
    compute_case_starts,
    compute_monthly_cv,
    compute_pickup_to_close_hours,
    compute_process_shape,
)
from mining.resources import (
    AreaHours,
    AreaLoad,
    LoadForecast,
    compute_area_hours,
    compute_area_load,
    compute_area_visits,
    forecast_load,
)
from mining.rework import compute_rework
from mining.rule_trends import find_breaking_cases, summarize_breaking_cases
from mining.rules import Rule, SummaryLevel, check_rules, read_rules, summarize_rule_results
from mining.stats import LogStats, compute_log_stats
from mining.stuck import find_stuck_cases
from mining.variants import (
    compare_variants,
    compute_variants,
    compute_variants_from_events,
    store_log_aggregates,
)
from mining.work import compute_human_handling, find_work_cases

__all__ = [
    "DEFAULT_CALENDAR",
    "MIN_GROUP_SIZE",
    "MIN_PEOPLE",
    "OTHER_ACTIVITIES",
    "OTHER_GROUP",
    "WITHHELD_GROUP",
    "AreaHours",
    "AreaLoad",
    "CaseGroups",
    "Comparison",
    "FitnessResult",
    "GroupSize",
    "LoadForecast",
    "LogStats",
    "MergedGroups",
    "NetGraph",
    "NetNode",
    "Performer",
    "PrivacyError",
    "ProcessMap",
    "ProcessModel",
    "ProcessShape",
    "ReplayMethod",
    "Rule",
    "SummaryLevel",
    "TimeMode",
    "WorkingCalendar",
    "check_group_size",
    "check_period_sizes",
    "check_rules",
    "check_view_size",
    "clear_aggregate_cache",
    "clear_log_indexes",
    "compare_periods",
    "compare_variants",
    "compute_activity_durations",
    "compute_area_hours",
    "compute_area_load",
    "compute_area_visits",
    "compute_branching",
    "compute_case_durations",
    "compute_case_measure",
    "compute_case_starts",
    "compute_devops_rule_rates",
    "compute_event_durations",
    "compute_fitness",
    "compute_handover_trend",
    "compute_handovers",
    "compute_handovers_per_case",
    "compute_human_handling",
    "compute_integration_share",
    "compute_log_stats",
    "compute_monthly_cv",
    "compute_pickup_to_close_hours",
    "compute_precision",
    "compute_process_shape",
    "compute_rework",
    "compute_time_between",
    "compute_variant_fitness",
    "compute_variant_table",
    "compute_variants",
    "compute_variants_from_events",
    "compute_working_duration_s",
    "count_people_per_group",
    "describe_net",
    "discover_dfg",
    "discover_dfg_from_events",
    "discover_process_map",
    "discover_process_model",
    "drop_small_months",
    "drop_withheld",
    "filter_activities",
    "filter_attribute",
    "filter_case_duration",
    "filter_case_size",
    "filter_case_variants",
    "filter_cases_with_activity",
    "filter_endpoints",
    "filter_follows",
    "filter_org_unit",
    "filter_time_window",
    "filter_variants",
    "filter_view",
    "find_bottlenecks",
    "find_breaking_cases",
    "find_case_events",
    "find_case_groups",
    "find_cases_through",
    "find_danish_holidays",
    "find_deviations",
    "find_log_index",
    "find_ping_pong",
    "find_small_months",
    "find_stuck_cases",
    "find_work_cases",
    "forecast_load",
    "merge_small_activities",
    "merge_small_groups",
    "org_unit_key",
    "pm4py_adapter",
    "read_cache_stats",
    "read_process_model",
    "read_rules",
    "store_log_aggregates",
    "summarize_breaking_cases",
    "summarize_deviations",
    "summarize_rule_results",
    "write_process_model",
]
