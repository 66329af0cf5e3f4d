"""The orchestration: plan arrivals, build every source, write the files and the manifest."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.azure_devops import build_devops
from simulator.cases import AuditSequence
from simulator.confounders import registration_noise
from simulator.context import Context
from simulator.effects import (
    AUTOMATIONS,
    COMPARISON,
    Bottleneck,
    Confounders,
    Integration,
    Scenario,
    Volumes,
)
from simulator.ids import IntArray
from simulator.manifest import build_manifest
from simulator.orders import build_orders, plan_orders
from simulator.reference_tables import build_reference_tables
from simulator.robots import write_robots
from simulator.servicenow import (
    build_catalog_automation,
    build_incidents,
    build_simple_incidents,
    iso_s,
)
from simulator.time_registration import collect_entries, time_cards, write_csv
from simulator.world import DAY_S, arrivals, build_world
from simulator.writer import Spill, dump_json, write_servicenow_table

ROBOT_STREAMS = (
    "uipath_jobs",
    "uipath_queue_items",
    "uipath_queue_item_events",
    "power_automate_flowsessions",
)
OUTPUTS = ("servicenow", "azure-devops", "robots", "time-registration", "manifest.json")
Progress = Callable[[str, float], None]
COMPARISON_STREAM = 45  # rng streams of the never-automated comparison process (45, 46)


@dataclass(frozen=True)
class SimulationSummary:
    """What ``simulate`` wrote: record counts per stream, the event total and the time taken."""

    out_dir: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    events: int = 0
    files: int = 0
    seconds: float = 0.0


def _ranks(groups: dict[str, IntArray]) -> dict[str, IntArray]:
    """Record numbers in order of opening across kinds that share a number sequence."""
    names = list(groups)
    times = np.concatenate([groups[k] for k in names])
    kind = np.concatenate([np.full(len(groups[k]), i) for i, k in enumerate(names)])
    order = np.lexsort((kind, times))
    rank = np.empty(len(times), dtype=np.int64)
    rank[order] = np.arange(len(times))
    out: dict[str, IntArray] = {}
    offset = 0
    for k in names:
        out[k] = rank[offset : offset + len(groups[k])]
        offset += len(groups[k])
    return out


def _arrivals(ctx: Context) -> tuple[dict[str, IntArray], dict[str, IntArray]]:
    """Opening times of every incident and requested item, by kind."""
    rng = ctx.rng(0)
    lo, hi, s = ctx.world.start_s, ctx.world.end_s, ctx.scale
    per_year = Volumes().incidents_per_year * s
    incidents = {"incidents": arrivals(rng, lo, hi, per_year / 12, seasonal=True, exact=False)}
    items: dict[str, IntArray] = {}
    conf = ctx.confounders
    for auto in AUTOMATIONS:
        target = incidents if auto.source_table == "incident" else items
        volume = auto.monthly_volume * s
        # Confounded: automations follow the season too, and each its own demand trend.
        seasonal, trend = (False, 0.0) if conf is None else (True, conf.trend(auto.key))
        target[auto.key] = arrivals(rng, lo, hi, volume, seasonal=seasonal, exact=True, trend=trend)
    orders = Integration().orders_per_year * s / 12
    trend = 0.0 if conf is None else conf.trend("orders")
    items["orders"] = arrivals(rng, lo, hi, orders, seasonal=True, exact=True, trend=trend)
    if conf is not None:
        volume = COMPARISON.monthly_volume * s
        trend = conf.trend(COMPARISON.key)
        items[COMPARISON.key] = arrivals(
            ctx.rng(COMPARISON_STREAM), lo, hi, volume, seasonal=True, exact=True, trend=trend
        )
    return incidents, items


def _clear(out: Path) -> None:
    """Remove earlier outputs (only the generator's own names) so a re-run is byte-identical."""
    for name in OUTPUTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def simulate(
    out: Path,
    *,
    seed: int = 42,
    scale: float = 1.0,
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    progress: Progress | None = None,
    scenario: Scenario = "clean",
) -> SimulationSummary:
    """Write the simulated KIT landscape and its manifest into ``out``.

    ``end`` is the last simulated day (inclusive): the export is taken at midnight after it, so
    cases still open then appear open. ``scenario='confounded'`` plants the ``Confounders``
    (trends, adoption ramp, costly exceptions, registration noise, a comparison process);
    'clean' writes exactly what it always did.
    """
    began = time.perf_counter()
    report = progress or (lambda _label, _done: None)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    world = build_world(seed, iso_s(start), iso_s(end) + DAY_S)
    ctx = Context(world, scale, Spill(out / ".spill"), AuditSequence(seed))
    ctx.confounders = Confounders() if scenario == "confounded" else None
    report("planning arrivals", 0.02)
    incidents, items = _arrivals(ctx)
    inc_seq, item_seq = _ranks(incidents), _ranks(items)
    build_reference_tables(ctx)
    report("ServiceNow incidents", 0.05)
    build_incidents(ctx, incidents["incidents"], inc_seq["incidents"])
    _build_automations(ctx, incidents, items, inc_seq, item_seq)
    report("Azure DevOps", 0.35)
    plan, ritm = plan_orders(ctx, items["orders"], item_seq["orders"])
    features = build_devops(ctx, plan, out)
    build_orders(ctx, plan, ritm, features)
    report("robot run data", 0.5)
    write_robots(ctx, out)
    report("time registration", 0.6)
    entries = registration_noise(ctx, collect_entries(ctx))
    write_csv(ctx, entries, out)
    ctx.spill.add("time_card", time_cards(ctx, entries))
    sn_counts = _write_servicenow(ctx, out, report)
    counts = _counts(ctx, sn_counts, entries.height)
    options = {
        "seed": seed,
        "scale": scale,
        "start": f"{start}T00:00:00Z",
        "end_exclusive": _iso(world.end_s),
    }
    report("manifest", 0.98)
    dump_json(out / "manifest.json", build_manifest(ctx, plan, entries, counts, options))
    ctx.spill.close()
    files = sum(1 for name in OUTPUTS for p in (out / name).rglob("*") if p.is_file()) + 1
    events = _events(counts)
    report("done", 1.0)
    return SimulationSummary(out, counts, events, files, time.perf_counter() - began)


def _iso(t: int) -> str:
    """Epoch seconds as ISO-8601 UTC with Z."""
    return str(np.datetime64(t, "s")) + "Z"


def _build_automations(
    ctx: Context,
    incidents: dict[str, IntArray],
    items: dict[str, IntArray],
    inc_seq: dict[str, IntArray],
    item_seq: dict[str, IntArray],
) -> None:
    """The five automation targets: manual before go-live, robot (and exceptions) after."""
    for stream, auto in enumerate(AUTOMATIONS, start=3):
        if auto.source_table == "incident":
            build_simple_incidents(ctx, auto, incidents[auto.key], inc_seq[auto.key])
            continue
        bottleneck = Bottleneck() if auto.key == "standard_requests" else None
        build_catalog_automation(
            ctx, auto, items[auto.key], item_seq[auto.key], stream=stream, bottleneck=bottleneck
        )
    if COMPARISON.key in items:
        key = COMPARISON.key
        build_catalog_automation(
            ctx, COMPARISON, items[key], item_seq[key], stream=COMPARISON_STREAM + 1
        )
        # Never live, so the robot saw nothing: no queue, no flow for it.
        ctx.transactions = [tx for tx in ctx.transactions if tx.automation.key != key]


SYS_AUDIT_KEY = {"sys_audit": "sys_created_on"}


def _write_servicenow(ctx: Context, out: Path, report: Progress) -> dict[str, int]:
    """Sort and page each spilled table, one table in memory at a time."""
    counts: dict[str, int] = {}
    tables = ctx.spill.tables()
    for i, table in enumerate(tables):
        report(f"ServiceNow {table}", 0.6 + 0.38 * i / max(len(tables), 1))
        key = SYS_AUDIT_KEY.get(table, "sys_updated_on")
        counts[table] = write_servicenow_table(out, table, ctx.spill, key)
    return counts


def _counts(ctx: Context, sn_counts: dict[str, int], time_rows: int) -> dict[str, dict[str, int]]:
    """Records written per source and stream."""
    return {
        "servicenow": dict(sorted(sn_counts.items())),
        "azure_devops": ctx.counts.get("azure_devops", {}),
        "robots": {k: ctx.counts.get("robots", {}).get(k, 0) for k in ROBOT_STREAMS},
        "time_registration": {"rows": time_rows},
    }


def _events(counts: dict[str, dict[str, int]]) -> int:
    """Events an extractor can turn into an event log: changes, revisions, runs, time rows."""
    sn = counts["servicenow"]
    records = sum(sn.get(t, 0) for t in ("incident", "sc_req_item", "sc_task", "sc_request"))
    return (
        records
        + sn.get("sys_audit", 0)
        + sn.get("task_sla", 0)
        + counts["azure_devops"]["workitemrevisions"]
        + counts["azure_devops"]["workitemlinks"]
        + counts["robots"]["uipath_queue_item_events"]
        + counts["robots"]["uipath_jobs"]
        + counts["robots"]["power_automate_flowsessions"]
        + counts["time_registration"]["rows"]
    )
