"""The large benchmark case: a CSV of the standard workload at 100 million events imported and
mined on one machine, each step in a fresh process, with its time and peak memory.

Steps (``kitflow bench-large``): ``import`` (the CSV in batches, stored in partitions: from 20
million events automatically), then ``stats``, ``dfg``, ``variants`` and ``bottlenecks`` of the
whole log, computed one partition at a time and merged (``mining.partitioned``). Each step runs
in its own process, ``python -m services.bench_large STEP SPEC``, so its peak resident memory
(Linux's ``VmHWM``) is its own and nothing is cached between steps.

pm4py is not run at this size: at 10 million events it already peaks at 3.9 GB (the reference
table in ../shared/bench/README.md), and ``kitflow bench`` compares with it up to there. The
results are checked instead by what must hold exactly for any log: the arcs of the map and the
waits of the bottlenecks number events minus cases, the variants' cases add up to the cases,
and every step sees the events and cases the import stored. Equality with the one-file results
is tested at small sizes (tests/test_partitioned_mining.py, tests/test_import_memory.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl

from extractors.files import ReadOptions
from models.errors import KitflowError
from models.partitions import Partitions
from models.store import LogStore
from services.bench import SEED, describe_environment, generate_workload
from services.imports import import_log

LargeStep = Literal["import", "stats", "dfg", "variants", "bottlenecks"]
LARGE_STEPS: tuple[LargeStep, ...] = get_args(LargeStep)
LOG_NAME = "large"
ROWS_ENV = "KITFLOW_MAX_ROWS"

Step = Callable[[str], None]


@dataclass(frozen=True)
class LargeStepResult:
    """One step: wall seconds, the peak resident memory of its process (MB) and a summary."""

    step: LargeStep
    seconds: float
    peak_rss_mb: float
    summary: dict[str, Any]


@dataclass(frozen=True)
class LargeBenchReport:
    """The large case: the workload, each step, and the exact checks of the results."""

    source: str
    events: int
    cases: int
    partitions: int | None
    steps: tuple[LargeStepResult, ...]
    checks: dict[str, bool]
    environment: dict[str, str]


def _no_step(_: str) -> None:
    return None


def run_large_bench(
    *,
    events: int = 100_000_000,
    log: Path | None = None,
    workdir: Path | None = None,
    partitions: Partitions = "auto",
    step: Step = _no_step,
) -> LargeBenchReport:
    """Generate the standard workload of ``events`` events as CSV (or take the CSV or Parquet
    file ``log``) in a temporary folder under ``workdir``, then run every step in a fresh
    process; the log is stored in ``partitions`` (automatic: from 20 million events). At 100
    million events the folder needs about 10 GB of disk."""
    with tempfile.TemporaryDirectory(prefix="kitflow-bench-large-", dir=workdir) as folder:
        workspace = Path(folder)
        source = log if log is not None else _generate_csv(events, workspace, step)
        spec = workspace / "spec.json"
        spec.write_text(
            json.dumps(
                {
                    "source": str(source.resolve()),
                    "data_dir": str(workspace / "data"),
                    "partitions": partitions,
                }
            ),
            "utf-8",
        )
        results = []
        for name in LARGE_STEPS:
            step(name)
            results.append(_run_step(name, spec))
    imported = results[0].summary
    return LargeBenchReport(
        source=str(log) if log is not None else f"gen_o2c_log.py {events} (seed {SEED}), CSV",
        events=int(imported["events"]),
        cases=int(imported["cases"]),
        partitions=imported["partitions"],
        steps=tuple(results),
        checks=check_large_results(results),
        environment=describe_environment(),
    )


def check_large_results(results: list[LargeStepResult]) -> dict[str, bool]:
    """What must hold exactly for the steps' results of one log."""
    by_step = {result.step: result.summary for result in results}
    events, cases = by_step["import"]["events"], by_step["import"]["cases"]
    return {
        "stats: events and cases as imported": (
            by_step["stats"]["events"] == events and by_step["stats"]["cases"] == cases
        ),
        "dfg: arcs counted = events - cases": by_step["dfg"]["frequency"] == events - cases,
        "variants: cases add up to the cases": by_step["variants"]["cases"] == cases,
        "bottlenecks: waits counted = events - cases": (
            by_step["bottlenecks"]["frequency"] == events - cases
        ),
    }


def _generate_csv(events: int, workspace: Path, step: Step) -> Path:
    prefix = generate_workload(events, workspace, step)
    prefix.with_suffix(".parquet").unlink(missing_ok=True)  # the CSV is what is imported
    return prefix.with_suffix(".csv")


def _run_step(name: LargeStep, spec: Path) -> LargeStepResult:
    """``name`` in a fresh process; its peak memory from the kernel's account of that child."""
    environment = {**os.environ, "POLARS_VERBOSE": "0"}
    # A 100M-row file is above the default row limit, which guards readers that hold a whole
    # file; the import here reads in batches.
    environment[ROWS_ENV] = str(max(int(os.environ.get(ROWS_ENV, "0") or 0), 2_000_000_000))
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "services.bench_large", name, str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - began
    if child.returncode != 0:
        raise KitflowError(f"the step {name} failed: {stderr.strip()[-800:]}")
    value: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return LargeStepResult(name, seconds, float(value.pop("peak_rss_mb")), value)


def run_step_here(name: LargeStep, spec_path: Path) -> dict[str, Any]:
    """The worker: run step ``name`` in this process and summarise its result."""
    spec = json.loads(spec_path.read_text("utf-8"))
    data = Path(spec["data_dir"])
    store = LogStore(data, f"sqlite:///{data}/catalog.db")
    if name == "import":
        entry = import_log(
            store,
            Path(spec["source"]),
            name=LOG_NAME,
            options=ReadOptions(),
            partitions=spec["partitions"],
        ).entry
        parts = store.partition_paths(LOG_NAME)
        summary: dict[str, Any] = {
            "events": entry.events,
            "cases": entry.cases,
            "variants": entry.variants,
            "partitions": None if parts is None else len(parts),
        }
    else:
        summary = _mine(name, store)
    summary["peak_rss_mb"] = _peak_rss_mb()
    return summary


def _mine(name: LargeStep, store: LogStore) -> dict[str, Any]:
    from mining import (  # noqa: PLC0415 - only the worker of a mining step loads mining
        compute_log_stats,
        compute_partitioned_log_stats,
        compute_partitioned_variants,
        compute_variants,
        discover_dfg,
        discover_partitioned_dfg,
        find_bottlenecks,
        find_partitioned_bottlenecks,
        read_partitioned_log,
    )

    paths = store.partition_paths(LOG_NAME)
    log = None if paths is None else read_partitioned_log(paths)
    scan = store.scan(LOG_NAME)
    if name == "stats":
        stats = compute_log_stats(scan) if log is None else compute_partitioned_log_stats(log)
        return {"events": stats.events, "cases": stats.cases, "variants": stats.variants}
    if name == "dfg":
        graph = discover_dfg(scan) if log is None else discover_partitioned_dfg(log)
        return {"arcs": graph.height, "frequency": _total(graph, "frequency")}
    if name == "variants":
        table = compute_variants(scan) if log is None else compute_partitioned_variants(log)
        return {"variants": table.height, "cases": _total(table, "cases")}
    ranked = find_bottlenecks(scan) if log is None else find_partitioned_bottlenecks(log)
    return {"arcs": ranked.height, "frequency": _total(ranked, "frequency")}


def _total(table: pl.DataFrame, column: str) -> int:
    return int(table.get_column(column).sum())


def _peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), MB."""
    for line in Path("/proc/self/status").read_text("utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise KitflowError("no VmHWM in /proc/self/status: the large benchmark needs Linux")


def large_report_as_json(report: LargeBenchReport) -> dict[str, Any]:
    """The report as plain JSON values."""
    return {
        "source": report.source,
        "events": report.events,
        "cases": report.cases,
        "partitions": report.partitions,
        "steps": [
            {
                "step": r.step,
                "seconds": round(r.seconds, 2),
                "peak_rss_mb": round(r.peak_rss_mb, 1),
                "summary": r.summary,
            }
            for r in report.steps
        ],
        "checks": report.checks,
        "environment": report.environment,
    }


if __name__ == "__main__":
    step_name, spec_file = sys.argv[1], Path(sys.argv[2])
    if step_name not in LARGE_STEPS:
        raise SystemExit(f"unknown step {step_name!r}: one of {', '.join(LARGE_STEPS)}")
    print(json.dumps(run_step_here(step_name, spec_file)))
