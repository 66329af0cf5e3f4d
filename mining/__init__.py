"""Analysis services over canonical event logs: a fast polars core, and one pm4py adapter."""

from mining.dfg import discover_dfg
from mining.stats import LogStats, compute_log_stats

__all__ = ["LogStats", "compute_log_stats", "discover_dfg"]
