"""The benchmark: each operation of ours against its pm4py counterpart, same data, same run.

The standard workload is made by ``../shared/bench/gen_o2c_log.py N PREFIX 42`` (run, never
copied), imported through the ordinary ``import_log`` into a temporary store. Then each
(operation, side) runs in a fresh Python process (``python -m services.bench ...``): it loads its
inputs untimed, runs the operation ``repeat`` times, and reports the times, the peak resident
memory of that process and a summary of the result. Separate processes keep one side's imports,
caches and memory peak out of the other's. The parent compares the two results: the speed-up
counts only when both computed the same thing.

Our side reads the stored log (Parquet, sorted, activities encoded); pm4py's side gets the same
stored events as a pandas frame already passed through ``format_dataframe``, untimed, which is
the most favourable start pm4py can have.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl

from extractors.files import ReadOptions
from mining import store_log_aggregates
from models.errors import KitflowError
from models.store import LogStore
from services.imports import import_log

Operation = Literal[
    "dfg",
    "filter_dfg",
    "filter_variants",
    "filter_bottlenecks",
    "period_dfg",
    "period_variants",
    "period_bottlenecks",
    "attribute_dfg",
    "attribute_variants",
    "attribute_bottlenecks",
    "org_unit_dfg",
    "org_unit_variants",
    "org_unit_bottlenecks",
    "variant_dfg",
    "variant_variants",
    "variant_bottlenecks",
    "variants",
    "discover",
    "token_replay",
    "alignments",
    "import_dfg_variants",
    "spark_dfg",
    "spark_variants",
]
Side = Literal["ours", "pm4py"]
ALL_OPERATIONS: tuple[Operation, ...] = get_args(Operation)
# Alignments in pm4py take minutes from a few hundred thousand events on: above this size the
# run leaves them out unless asked for by name.
ALIGNMENT_EVENTS_LIMIT = 300_000
FILTER_KINDS = ("filter", "period", "attribute", "org_unit", "variant")
FILTERED: dict[str, tuple[str, str]] = {
    f"{kind}_{result}": (kind, result)
    for kind in FILTER_KINDS
    for result in ("dfg", "variants", "bottlenecks")
}
"""Each filtered operation: the filter (see ``_filter_ours``) and what is computed after it."""
UNITS_LOG = "bench_units"
"""The workload with an org unit per event (its resource's unit), for the org-unit filter."""
VARIANT_TOP_K = 10
"""The variant filter keeps at least this many of the most frequent variants (more when the
next variants tie with the last one: pm4py and we break ties differently)."""
SLOW_OPERATIONS = frozenset({"discover", "token_replay", "alignments", "import_dfg_variants"})
SLOW_REPEAT = 3
SPARK_OPERATIONS: dict[str, str] = {"spark_dfg": "dfg", "spark_variants": "variants"}
"""The Spark engine (local mode, ``KITFLOW_SPARK_MASTER`` or ``local[*]``) against the polars
engine, both computing from the events: for these the "pm4py" side is the polars engine, and
the Spark side's peak memory adds the JVM's peak to the Python process's."""
NOISE_THRESHOLD = 0.2
SEED = 42
LOG_NAME = "bench"

REPO_ROOT = Path(__file__).resolve().parents[1]
GENERATOR = REPO_ROOT.parent / "shared" / "bench" / "gen_o2c_log.py"

Step = Callable[[str], None]


@dataclass(frozen=True)
class SideMeasurement:
    """One side of one operation: each repetition's seconds, their median, and the process's
    resident memory (MB) after loading its inputs and at its peak.

    ``computed_s``: for our ``dfg`` and ``variants``, whose timed runs read the log's stored
    aggregate, the median seconds of up to three computations from the events in the same
    process (measured after the timed runs, so the first of those stays a first request); None
    elsewhere.
    """

    times_s: tuple[float, ...]
    median_s: float
    loaded_rss_mb: float
    peak_rss_mb: float
    computed_s: float | None = None
    prepared_s: float | None = None
    """Our filtered operations: seconds to build the log's in-memory index (``mining.log_index``:
    codes, case bounds, each case's variant, the codes of the column the filter reads), once per
    process and log version, untimed as pm4py's ``format_dataframe`` is; None elsewhere."""


@dataclass(frozen=True)
class OperationResult:
    """One operation measured on both sides: one row of the benchmark table.

    ``speedup`` is pm4py's median over ours (above 1: ours is faster); ``same_result`` says
    whether both sides computed the same values (``compared`` says which).
    """

    operation: Operation
    ours: SideMeasurement
    pm4py: SideMeasurement
    speedup: float
    same_result: bool
    compared: str


@dataclass(frozen=True)
class BenchReport:
    """One benchmark run: the workload, the environment and one result per operation."""

    source: str
    events: int
    cases: int
    variants: int
    repeat: int
    isolated: bool
    environment: dict[str, str]
    results: tuple[OperationResult, ...]
    skipped: dict[str, str]
    aggregates_stored_s: dict[str, float]
    """Seconds to store the log's DFG and variant aggregates after the import (only a check of
    them when the import stored them already)."""


def _no_step(_: str) -> None:
    return None


# ------------------------------------------------------------------------------------ runner


def run_bench(
    *,
    events: int = 1_000_000,
    log: Path | None = None,
    repeat: int = 5,
    operations: Sequence[Operation] | None = None,
    isolate: bool = True,
    step: Step = _no_step,
) -> BenchReport:
    """Generate (or take ``log``), import, then measure each operation on both sides.

    ``isolate=False`` runs the sides in this process instead of fresh ones: quicker, for tests,
    but the memory peaks then mix and mean nothing.
    """
    if repeat < 1:
        raise KitflowError(f"--repeat {repeat} must be at least 1.")
    chosen, skipped = _choose_operations(operations, events if log is None else None)
    with tempfile.TemporaryDirectory(prefix="kitflow-bench-") as folder:
        workspace = Path(folder)
        source = log
        if source is None:
            source = generate_workload(events, workspace, step).with_suffix(".parquet")
        step("importing")
        store = LogStore(workspace / "data", f"sqlite:///{workspace / 'catalog.db'}")
        entry = import_log(store, source, name=LOG_NAME, options=ReadOptions()).entry
        step("storing the DFG and variant aggregates")
        aggregates_stored_s = store_log_aggregates(store.table_path(LOG_NAME))
        spec = _write_spec(store, source, workspace, chosen, step)
        results = []
        for operation in chosen:
            step(operation)
            results.append(_measure_both(operation, spec, repeat, isolate=isolate))
    return BenchReport(
        source=str(log) if log is not None else f"gen_o2c_log.py {events} (seed {SEED})",
        events=entry.events,
        cases=entry.cases,
        variants=entry.variants,
        repeat=repeat,
        isolated=isolate,
        environment=describe_environment(),
        results=tuple(results),
        skipped=skipped,
        aggregates_stored_s={str(k): v for k, v in aggregates_stored_s.items()},
    )


def _choose_operations(
    operations: Sequence[Operation] | None, generated_events: int | None
) -> tuple[tuple[Operation, ...], dict[str, str]]:
    if operations is not None:
        unknown = [o for o in operations if o not in ALL_OPERATIONS]
        if unknown:
            raise KitflowError(
                f"unknown operation(s) {', '.join(unknown)}: choose from "
                f"{', '.join(ALL_OPERATIONS)}."
            )
        return tuple(operations), {}
    skipped: dict[str, str] = {}
    if generated_events is None or generated_events > ALIGNMENT_EVENTS_LIMIT:
        skipped["alignments"] = (
            f"pm4py's alignments take many minutes above {ALIGNMENT_EVENTS_LIMIT:,} events; "
            "name them with --ops to run them anyway"
        )
    for operation in SPARK_OPERATIONS:
        skipped[operation] = "needs PySpark and Java (docs/spark.md): name it with --ops"
    return tuple(o for o in ALL_OPERATIONS if o not in skipped), skipped


def generate_workload(events: int, workspace: Path, step: Step) -> Path:
    """The standard workload of ``events`` events (seed ``SEED``) written by ../shared's
    generator as ``<workspace>/o2c.parquet`` and ``o2c.csv``; returns the prefix ``o2c``."""
    if not GENERATOR.is_file():
        raise KitflowError(
            f"the workload generator {GENERATOR} is missing: ../shared must sit beside the "
            "repository, or pass --log PATH to benchmark a file of your own."
        )
    step(f"generating {events:,} events")
    prefix = workspace / "o2c"
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(events), str(prefix), str(SEED)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise KitflowError(f"the workload generator failed: {done.stderr.strip()[-500:]}")
    return prefix


def _write_spec(
    store: LogStore, source: Path, workspace: Path, operations: Sequence[Operation], step: Step
) -> Path:
    """The inputs every worker reads: where the log is, the filter, the model file."""
    scan = store.scan(LOG_NAME)
    first, last = (
        scan.select(
            pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last")
        )
        .collect()
        .row(0)
    )
    span = last - first
    # The middle half of the log's time span, and half of its resources (sorted).
    start = (first + span / 4).replace(microsecond=0)
    end = (first + span * 3 / 4).replace(microsecond=0)
    columns = scan.collect_schema().names()
    resources: list[str] = []
    if "resource" in columns:
        every = scan.select(pl.col("resource").drop_nulls().unique().sort()).collect()
        resources = every.to_series().to_list()[: max(1, every.height // 2)]
    units = _store_units_log(store, operations, step)
    model_path = workspace / "model.pnml"
    if {"token_replay", "alignments"} & set(operations):
        step("discovering the reference model")
        from mining import (  # noqa: PLC0415 - pm4py loads slowly
            discover_process_model,
            write_process_model,
        )

        write_process_model(
            discover_process_model(scan, noise_threshold=NOISE_THRESHOLD), model_path
        )
    spec = {
        "data_dir": str(store.data_dir),
        "database_url": f"sqlite:///{workspace / 'catalog.db'}",
        "source": str(source),
        "scratch": str(workspace / "scratch"),
        "model": str(model_path),
        "window": [start.isoformat(), end.isoformat()],
        "resources": resources,
        "case_resources": resources[:3],
        "units": units,
        "top_k": _untied_top_k(scan),
    }
    path = workspace / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _store_units_log(store: LogStore, operations: Sequence[Operation], step: Step) -> list[str]:
    """For the org-unit operations: the log again with each resource's unit as ``org_unit``
    ("Enhed 1" for R010-R019, ...), stored as ``UNITS_LOG``; the two units the filter keeps."""
    if not any(FILTERED.get(o, ("",))[0] == "org_unit" for o in operations):
        return []
    step("storing the workload with org units")
    events = store.read(LOG_NAME)
    if "resource" not in events.columns:
        raise KitflowError("the org-unit operations need a resource column to derive units from.")
    number = pl.col("resource").str.extract(r"(\d+)").cast(pl.Int64, strict=False)
    unit = pl.format("Enhed {}", number // 10).fill_null("Enhed ukendt").alias("org_unit")
    source = store.data_dir / "units.parquet"
    events.select("case_id", "activity", "timestamp", "resource", unit).write_parquet(source)
    import_log(store, source, name=UNITS_LOG, options=ReadOptions())
    store_log_aggregates(store.table_path(UNITS_LOG))
    return ["Enhed 1", "Enhed 2"]


def _untied_top_k(scan: pl.LazyFrame) -> int:
    """``VARIANT_TOP_K``, raised past any variants that tie with the last one kept."""
    from mining import compute_variants  # noqa: PLC0415

    counts = compute_variants(scan).get_column("cases").to_list()
    top_k = min(VARIANT_TOP_K, len(counts))
    while 0 < top_k < len(counts) and counts[top_k - 1] == counts[top_k]:
        top_k += 1
    return top_k


def _measure_both(
    operation: Operation, spec: Path, repeat: int, *, isolate: bool
) -> OperationResult:
    times = min(repeat, SLOW_REPEAT) if operation in SLOW_OPERATIONS else repeat
    run = _run_isolated if isolate else measure
    ours = run(operation, "ours", spec, times)
    theirs = run(operation, "pm4py", spec, times)
    if operation in SPARK_OPERATIONS:
        same = _same_rows(ours["value"], theirs["value"])
        compared = "Spark against polars: every row; floats to rel. 1e-12 (sub-second times)"
    else:
        same, compared = _same_result(operation, ours["value"], theirs["value"])
    ours_m, theirs_m = _side(ours), _side(theirs)
    return OperationResult(
        operation=operation,
        ours=ours_m,
        pm4py=theirs_m,
        speedup=theirs_m.median_s / ours_m.median_s if ours_m.median_s > 0 else float("inf"),
        same_result=same,
        compared=compared,
    )


def _side(raw: dict[str, Any]) -> SideMeasurement:
    times = tuple(float(t) for t in raw["times"])
    return SideMeasurement(
        times_s=times,
        median_s=statistics.median(times),
        loaded_rss_mb=float(raw["loaded_rss_mb"]),
        peak_rss_mb=float(raw["peak_rss_mb"]),
        computed_s=raw.get("computed_s"),
        prepared_s=raw.get("prepared_s"),
    )


def _run_isolated(operation: Operation, side: Side, spec: Path, repeat: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "services.bench", operation, side, str(spec), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PM4PY_SHOW_PROGRESS_BAR": "False", "POLARS_VERBOSE": "0"},
    )
    if done.returncode != 0:
        raise KitflowError(
            f"the benchmark of {operation} ({side}) failed: {done.stderr.strip()[-800:]}"
        )
    # The worker prints exactly one JSON line last; pm4py may have printed before it.
    value: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return value


def describe_environment() -> dict[str, str]:
    """Versions, CPUs, the load and the time of a measurement."""
    return {
        "python": platform.python_version(),
        "polars": version("polars"),
        "pm4py": version("pm4py"),
        "cpus": str(os.cpu_count()),
        "machine": platform.machine(),
        "load_average_1min": f"{os.getloadavg()[0]:.2f}",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


# ------------------------------------------------------------------------------- comparing


def _same_result(operation: Operation, ours: Any, theirs: Any) -> tuple[bool, str]:
    if operation in FILTERED or operation == "dfg":
        return _same_filtered(FILTERED.get(operation, ("", "dfg"))[1], ours, theirs)
    if operation == "token_replay":
        # pm4py's replay breaks ties between equally short hidden paths in the iteration order
        # of its sets (memory addresses), so its own figures can differ from one process to the
        # next. Our replayer follows the same order; the fair check is on one net object: the
        # pm4py worker also runs ours (untimed) on the net it replayed.
        same = _same_fitness(theirs["ours_on_this_net"], theirs)
        return same, (
            "log fitness (abs. 1e-12) and % fitting cases, on the same net object in pm4py's "
            f"process (across processes: {'equal' if _same_fitness(ours, theirs) else 'differ'})"
        )
    if operation == "alignments":
        return _same_fitness(ours, theirs), "log fitness (abs. 1e-12) and % fitting cases"
    if operation == "variants":
        return ours == theirs, "every variant and its case count (hash)"
    if operation == "discover":
        return ours == theirs, "the process tree, as text"
    return ours == theirs, "number of arcs of the DFG and number of variants"


def _same_filtered(result: str, ours: Any, theirs: Any) -> tuple[bool, str]:
    if result == "variants":
        return ours == theirs, "every variant and its case count (hash)"
    if result == "bottlenecks":
        return _same_dfg(ours, theirs), (
            "waits per arc: mean and median against pm4py's performance DFG (rel. 1e-9)"
        )
    return _same_dfg(ours, theirs), "arcs and their mean and median durations (rel. 1e-9)"


def _same_fitness(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return bool(
        abs(ours["log_fitness"] - theirs["log_fitness"]) <= 1e-12
        and abs(ours["fitting_pct"] - theirs["fitting_pct"]) <= 1e-9
    )


def _same_dfg(ours: list[list[Any]], theirs: list[list[Any]]) -> bool:
    if [row[:2] for row in ours] != [row[:2] for row in theirs]:
        return False
    return all(
        abs(a - b) <= 1e-9 * max(1.0, abs(b))
        for mine, other in zip(ours, theirs, strict=True)
        for a, b in zip(mine[2:], other[2:], strict=True)
    )


# ------------------------------------------------------------------------------- the worker


def measure(operation: Operation, side: Side, spec_path: Path, repeat: int) -> dict[str, Any]:
    """Load the inputs of one side, run the operation ``repeat`` times, report.

    Returns ``times`` (seconds per run), ``loaded_rss_mb`` and ``peak_rss_mb`` (this process)
    and ``value``: a JSON summary of the last run's result for the comparison.
    """
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    prepared_s = None
    if side == "ours" and operation in FILTERED:
        prepared_s = _prepare_index(spec, operation)
    run, summarize = _ours(operation, spec) if side == "ours" else _theirs(operation, spec)
    loaded = _rss_mb()
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    # The kernel updates its per-thread memory counters lazily: a later read can come out a
    # few hundred kB lower, and a peak is never below what was already resident.
    peak = max(loaded, _rss_mb())
    summary = summarize(result)
    if isinstance(summary, dict) and "jvm_peak_rss_mb" in summary:
        peak += summary.pop("jvm_peak_rss_mb")  # the Spark side: its JVM's peak too
    # Summarised after the clock stops: hashing thousands of variants is not the operation.
    measured: dict[str, Any] = {
        "times": times,
        "loaded_rss_mb": loaded,
        "peak_rss_mb": peak,
        "value": summary,
    }
    if prepared_s is not None:
        measured["prepared_s"] = prepared_s
    if side == "ours" and operation in ("dfg", "variants"):
        measured["computed_s"] = statistics.median(
            _time_computation(operation, spec) for _ in range(min(repeat, SLOW_REPEAT))
        )
    return measured


def _time_computation(operation: Operation, spec: dict[str, Any]) -> float:
    """Seconds one computation of our ``dfg`` or ``variants`` takes from the stored events,
    without the stored aggregate: what a log stored without aggregates costs on its first
    request, and what the import pays for it."""
    from mining import (  # noqa: PLC0415 - the worker loads only its side
        compute_variants_from_events,
        discover_dfg_from_events,
    )

    compute = discover_dfg_from_events if operation == "dfg" else compute_variants_from_events
    store = LogStore(Path(spec["data_dir"]), spec["database_url"])
    began = time.perf_counter()
    compute(store.scan(LOG_NAME))
    return time.perf_counter() - began


def _log_name(operation: Operation) -> str:
    return UNITS_LOG if FILTERED.get(operation, ("",))[0] == "org_unit" else LOG_NAME


_FILTER_COLUMNS = {"filter": "resource", "attribute": "resource", "org_unit": "org_unit"}
"""The column each filter kind reads (the index encodes it on first use)."""


def _prepare_index(spec: dict[str, Any], operation: Operation) -> float:
    """Build the stored log's in-memory index (its cases' variants, and the codes of the column
    the operation's filter reads); seconds."""
    from mining import find_log_index  # noqa: PLC0415

    store = LogStore(Path(spec["data_dir"]), spec["database_url"])
    began = time.perf_counter()
    index = find_log_index(store.table_path(_log_name(operation)))
    if index is not None:
        index.case_variants()
        column = _FILTER_COLUMNS.get(FILTERED[operation][0])
        if column is not None:
            index.column_codes(column)
    return time.perf_counter() - began


def _rss_mb() -> float:
    """This process's peak resident memory so far, MB.

    Linux's VmHWM belongs to the process image: ``ru_maxrss`` would instead carry over the
    peak of the parent that forked this worker (the kernel keeps it across exec), which made
    every worker look as large as the runner.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


Runner = tuple[Callable[[], Any], Callable[[Any], Any]]
"""The timed call of one side and how its result becomes the JSON summary compared."""


def _same(result: Any) -> Any:
    return result


def _ours(operation: Operation, spec: dict[str, Any]) -> Runner:
    from mining import (  # noqa: PLC0415
        clear_aggregate_cache,
        compute_variants,
        discover_dfg,
        filter_attribute,
        filter_time_window,
    )

    store = LogStore(Path(spec["data_dir"]), spec["database_url"])
    start, end = (dt.datetime.fromisoformat(t) for t in spec["window"])

    # Every run of dfg and variants is a first request of a fresh process: nothing kept in
    # memory, the stored aggregate read from disk (a repeat in one process is cheaper still).
    def dfg() -> Any:
        clear_aggregate_cache()
        return discover_dfg(store.scan(LOG_NAME))

    def filter_dfg() -> Any:
        kept = filter_time_window(store.scan(LOG_NAME), start=start, end=end, mode="trim")
        kept = filter_attribute(kept, "resource", spec["resources"], level="event")
        return discover_dfg(kept)

    def variants() -> Any:
        clear_aggregate_cache()
        return compute_variants(store.scan(LOG_NAME))

    def import_dfg_variants() -> Any:
        scratch = LogStore(Path(spec["scratch"]), f"sqlite:///{spec['scratch']}/catalog.db")
        import_log(scratch, Path(spec["source"]), name="m", options=ReadOptions(), replace=True)
        arcs = discover_dfg(scratch.scan("m")).height
        return [arcs, compute_variants(scratch.scan("m")).height]

    simple: dict[str, Runner] = {
        "dfg": (dfg, _dfg_rows),
        "filter_dfg": (filter_dfg, _dfg_rows),
        "variants": (variants, _variant_table_digest),
        "import_dfg_variants": (import_dfg_variants, _same),
    }
    if operation in simple:
        return simple[operation]
    if operation in SPARK_OPERATIONS:
        return _spark_runner(operation, store)
    if operation in FILTERED:
        return _ours_filtered(operation, spec, store)
    return _ours_pm4py_backed(operation, spec, store)


def _ours_filtered(operation: Operation, spec: dict[str, Any], store: LogStore) -> Runner:
    from mining import compute_variants, discover_dfg, find_bottlenecks  # noqa: PLC0415

    kind, result = FILTERED[operation]
    compute: dict[str, Callable[[pl.LazyFrame], pl.DataFrame]] = {
        "dfg": discover_dfg,
        "variants": compute_variants,
        "bottlenecks": find_bottlenecks,
    }

    def run() -> Any:
        return compute[result](_filter_ours(kind, store.scan(_log_name(operation)), spec))

    return run, _variant_table_digest if result == "variants" else _dfg_rows_of(result)


def _filter_ours(kind: str, scan: pl.LazyFrame, spec: dict[str, Any]) -> pl.LazyFrame:
    """Our filter of ``kind`` (see ``run_pm4py_filtered`` for what each keeps)."""
    from mining import (  # noqa: PLC0415
        filter_attribute,
        filter_org_unit,
        filter_time_window,
        filter_variants,
        filter_view,
    )

    start, end = (dt.datetime.fromisoformat(t) for t in spec["window"])
    if kind == "filter":
        kept = filter_time_window(scan, start=start, end=end, mode="trim")
        return filter_attribute(kept, "resource", spec["resources"], level="event")
    if kind == "period":
        return filter_view(scan, start=start, end=end)
    if kind == "attribute":
        return filter_attribute(scan, "resource", spec["case_resources"], level="case")
    if kind == "org_unit":
        return filter_org_unit(scan, spec["units"], level="case")
    return filter_variants(scan, top_k=int(spec["top_k"]))


def _dfg_rows_of(result: str) -> Callable[[pl.DataFrame], list[list[Any]]]:
    if result == "dfg":
        return _dfg_rows
    return lambda table: sorted(
        [r[0], r[1], float(r[2]), float(r[3])]
        for r in table.select("source", "target", "mean_wait_s", "median_wait_s").iter_rows()
    )


def _ours_pm4py_backed(operation: Operation, spec: dict[str, Any], store: LogStore) -> Runner:
    from mining import pm4py_adapter as adapter  # noqa: PLC0415

    if operation == "discover":
        return (
            lambda: adapter.discover_process_model(
                store.scan(LOG_NAME), noise_threshold=NOISE_THRESHOLD
            ),
            lambda model: str(model.tree),
        )
    model = adapter.read_process_model(Path(spec["model"]))
    method: adapter.ReplayMethod = "alignments" if operation == "alignments" else "token_replay"

    def fitness() -> Any:
        adapter.clear_cache()  # every repetition computes; the cache would make it free
        return adapter.compute_fitness(store.scan(LOG_NAME), model, method=method)

    return fitness, _fitness_summary


def _fitness_summary(result: Any) -> dict[str, float]:
    return {"log_fitness": result.log_fitness, "fitting_pct": result.fitting_cases_pct}


def _spark_runner(operation: Operation, store: LogStore) -> Runner:
    """The Spark engine on the stored log: the session started and the JVM warmed untimed
    (as pm4py's ``format_dataframe``); each run reads the Parquet and computes."""
    from mining import spark_engine  # noqa: PLC0415

    session = spark_engine.start_spark_session(os.environ.get("KITFLOW_SPARK_MASTER") or None)
    paths = [str(p) for p in store.table_paths(LOG_NAME)]
    compute = (
        spark_engine.spark_discover_dfg
        if SPARK_OPERATIONS[operation] == "dfg"
        else spark_engine.spark_compute_variants
    )
    jvm = session.sparkContext._jvm
    jvm_status = Path(f"/proc/{jvm.ProcessHandle.current().pid()}/status") if jvm else None
    compute(spark_engine.read_spark_log(session, paths))  # untimed: the JVM's first query

    def run() -> Any:
        result = compute(spark_engine.read_spark_log(session, paths))
        return result, _status_hwm_mb(jvm_status) if jvm_status else 0.0

    def summarize(value: Any) -> Any:
        result, jvm_peak_mb = value
        return {"rows": _json_rows(result), "jvm_peak_rss_mb": jvm_peak_mb}

    return run, summarize


def _status_hwm_mb(status: Path) -> float:
    """The peak resident memory (VmHWM) of the process whose /proc status file this is, MB."""
    for line in status.read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _json_rows(frame: pl.DataFrame) -> list[list[Any]]:
    """Every row of a result frame, as JSON lists, for the Spark/polars comparison."""
    rows: list[dict[str, Any]] = json.loads(frame.write_json())
    return [list(row.values()) for row in rows]


def _same_rows(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """The same rows in the same order; floats equal to a relative 1e-12 (with sub-second
    times, polars adds a variant's throughputs in another order than Spark)."""
    mine, other = ours["rows"], theirs["rows"]
    if len(mine) != len(other):
        return False
    for row, expected in zip(mine, other, strict=True):
        for a, b in zip(row, expected, strict=True):
            close = isinstance(a, float) and isinstance(b, float)
            if (abs(a - b) > 1e-12 * max(1.0, abs(b))) if close else a != b:
                return False
    return True


def _theirs(operation: Operation, spec: dict[str, Any]) -> Runner:
    from mining import pm4py_adapter as adapter  # noqa: PLC0415

    if operation in SPARK_OPERATIONS:
        from mining import compute_variants_from_events, discover_dfg_from_events  # noqa: PLC0415

        store = LogStore(Path(spec["data_dir"]), spec["database_url"])
        polars_compute = (
            discover_dfg_from_events
            if SPARK_OPERATIONS[operation] == "dfg"
            else compute_variants_from_events
        )

        def polars_run() -> Any:
            return polars_compute(store.scan(LOG_NAME))

        return polars_run, lambda frame: {"rows": _json_rows(frame)}
    if operation == "import_dfg_variants":
        return lambda: adapter.run_pm4py_load_and_mine(Path(spec["source"])), _same
    store = LogStore(Path(spec["data_dir"]), spec["database_url"])
    frame = adapter.format_for_pm4py(store.read(_log_name(operation)))
    model = (
        adapter.read_process_model(Path(spec["model"]))
        if operation in ("token_replay", "alignments")
        else None
    )
    window = tuple(dt.datetime.fromisoformat(t) for t in spec["window"])
    if operation in FILTERED:
        kind, result = FILTERED[operation]
        if kind == "variant":
            frame = adapter.as_object_columns(frame)  # untimed, like format_dataframe

        def filtered() -> Any:
            return adapter.run_pm4py_filtered(
                frame,
                kind,  # type: ignore[arg-type]
                result,  # type: ignore[arg-type]
                window=(window[0], window[1]),
                resources=tuple(spec["resources"]),
                case_resources=tuple(spec["case_resources"]),
                units=tuple(spec["units"]),
                top_k=int(spec["top_k"]),
            )

        return filtered, lambda value: _pm4py_summary(
            "variants" if result == "variants" else "dfg", value
        )

    def run() -> Any:
        return adapter.run_pm4py_operation(
            operation,  # type: ignore[arg-type]  # the filtered ones returned above
            frame,
            model=model,
            window=(window[0], window[1]),
            resources=tuple(spec["resources"]),
            noise_threshold=NOISE_THRESHOLD,
        )

    def summarize(result: Any) -> Any:
        summary = _pm4py_summary(operation, result)
        if operation == "token_replay" and model is not None:
            summary["ours_on_this_net"] = _fitness_summary(
                adapter.compute_fitness(store.scan(LOG_NAME), model, method="token_replay")
            )
        return summary

    return run, summarize


def _pm4py_summary(operation: Operation, result: Any) -> Any:
    if operation in ("dfg", "filter_dfg"):
        rows = [[a, b, float(v["mean"]), float(v["median"])] for (a, b), v in result.items()]
        return sorted(rows)
    if operation == "variants":
        return _variants_digest((list(k), int(n)) for k, n in result.items())
    if operation in ("token_replay", "alignments"):
        return {
            "log_fitness": float(result["log_fitness"]),
            "fitting_pct": float(result["percentage_of_fitting_traces"]),
        }
    return result


def _dfg_rows(graph: pl.DataFrame) -> list[list[Any]]:
    return sorted(
        [r[0], r[1], float(r[2]), float(r[3])]
        for r in graph.select(
            "source", "target", "mean_duration_s", "median_duration_s"
        ).iter_rows()
    )


def _variant_table_digest(table: pl.DataFrame) -> dict[str, Any]:
    pairs = zip(table["variant"].to_list(), table["cases"].to_list(), strict=True)
    return _variants_digest(pairs)


def _variants_digest(pairs: Any) -> dict[str, Any]:
    rows = sorted([list(v), int(n)] for v, n in pairs)
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return {"variants": len(rows), "sha256": digest}


def report_as_json(report: BenchReport) -> dict[str, Any]:
    """The report as plain JSON values."""
    return asdict(report)


def _worker_main(arguments: list[str]) -> None:
    operation, side, spec, repeat = arguments
    result = measure(operation, side, Path(spec), int(repeat))  # type: ignore[arg-type]
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
