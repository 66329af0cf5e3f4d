"""``kitflow discover``, ``conformance``, ``rules`` and ``bench``: models, checks and speed.

``register(cli)`` adds the four commands to the main Typer app. Human output uses Danish number
formats; ``--json`` prints exactly one JSON value on stdout (progress goes to stderr).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast, get_args

import polars as pl
import typer
from rich.table import Table

from app.cli_mining import EngineOption, choose_engine, spark_log
from app.console import out, print_json, progress
from app.formatting import format_int, format_number
from app.i18n import translate
from mining import (
    OTHER_GROUP,
    ReplayMethod,
    SummaryLevel,
    check_partitioned_rules,
    check_rules,
    compute_fitness,
    compute_precision,
    discover_process_model,
    find_deviations,
    read_cache_stats,
    read_partitioned_log,
    read_process_model,
    read_rules,
    spark_engine,
    summarize_deviations,
    summarize_rule_results,
    write_process_model,
)
from models.errors import InputError
from models.store import LogStore
from services import (
    ALL_OPERATIONS,
    BenchReport,
    LargeBenchReport,
    Operation,
    check_output_file,
    large_report_as_json,
    report_as_json,
    run_bench,
    run_large_bench,
    variant_source,
    write_output_file,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON value on stdout.")]
NameArg = Annotated[str, typer.Argument(help="Name of the stored log.")]


def register(cli: typer.Typer) -> None:
    """Add ``discover``, ``conformance``, ``rules``, ``bench`` and ``bench-large`` to ``cli``."""
    cli.command("discover")(discover_command)
    cli.command("conformance")(conformance_command)
    cli.command("rules")(rules_command)
    cli.command("bench")(bench_command)
    cli.command("bench-large")(bench_large_command)


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> str:
    if value not in allowed:
        raise InputError(f"{flag} {value!r} is not one of {'|'.join(allowed)}.")
    return value


# ---------------------------------------------------------------------------------- discover


def discover_command(
    name: NameArg,
    out_path: Annotated[
        Path,
        typer.Option("--out", help="Model file to write, outside the data folder: .bpmn or .pnml."),
    ],
    noise: Annotated[
        float, typer.Option(help="Noise threshold of the inductive miner, 0..1 (0: exact IM).")
    ] = 0.2,
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Discover a process model (inductive miner) and write it as BPMN or PNML."""
    store = LogStore()
    check_output_file(store.data, out_path, force=force)  # before the model is discovered
    with progress(f"Discovering a model of {name}"):
        model = discover_process_model(variant_source(store, name), noise_threshold=noise)
        written = write_output_file(
            store.data, out_path, lambda path: write_process_model(model, path), force=force
        )
    model_format = written.suffix.lstrip(".").lower()
    figures = {
        "log": name,
        "noise_threshold": noise,
        "out": str(written),
        "format": model_format,
        "activities": sorted(model.activities),
        "process_tree": str(model.tree),
    }
    if as_json:
        print_json(figures)
        return
    out.print(
        f"Wrote {written} ({model_format.upper()}): {len(model.activities)} activities, "
        f"noise threshold {format_number(noise, 2)}."
    )
    out.print(f"Process tree: {model.tree}", highlight=False)


# ------------------------------------------------------------------------------- conformance


def conformance_command(
    name: NameArg,
    model_path: Annotated[Path, typer.Option("--model", help="Reference model: .bpmn or .pnml.")],
    method: Annotated[str, typer.Option(help="token_replay|alignments")] = "token_replay",
    precision: Annotated[bool, typer.Option(help="Also compute precision.")] = True,
    deviations: Annotated[
        bool,
        typer.Option(help="List skipped and inserted activities (from alignments)."),
    ] = False,
    top: Annotated[int, typer.Option(help="Show the N most common deviations.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Fitness and precision of a stored log against a reference model; deviations per activity.

    Computed on the variants and cached per (log, model) under the data folder, so a second run
    on the same log and model is instant.
    """
    chosen = cast(ReplayMethod, _choice(method, get_args(ReplayMethod), "--method"))
    store = LogStore()
    cache = store.data.conformance_cache()
    with progress(f"Checking {name} against {model_path.name}") as step:
        model = read_process_model(model_path)
        events = variant_source(store, name)
        step("fitness")
        fitness = compute_fitness(events, model, method=chosen, cache_dir=cache)
        step("precision")
        value = (
            compute_precision(events, model, method=chosen, cache_dir=cache) if precision else None
        )
        table = None
        if deviations or chosen == "alignments":
            step("deviations")
            table = summarize_deviations(find_deviations(events, model, cache_dir=cache))
    report = _conformance_json(name, model_path, fitness, value, table, top)
    if as_json:
        print_json(report)
        return
    _print_conformance(report)


def _conformance_json(
    name: str,
    model_path: Path,
    fitness: Any,
    precision: float | None,
    deviations: pl.DataFrame | None,
    top: int,
) -> dict[str, Any]:
    cache = read_cache_stats()
    return {
        "log": name,
        "model": str(model_path),
        "method": fitness.method,
        "cases": fitness.cases,
        "variants": fitness.variants,
        "fitness": {
            "log_fitness": fitness.log_fitness,
            "average_case_fitness": fitness.average_case_fitness,
            "fitting_cases_pct": fitness.fitting_cases_pct,
        },
        "precision": precision,
        "deviations": None if deviations is None else deviations.head(top).to_dicts(),
        "cache": {"hits": cache.hits, "disk_hits": cache.disk_hits, "computed": cache.misses},
    }


def _print_conformance(report: dict[str, Any]) -> None:
    fitness = report["fitness"]
    out.print(
        f"[bold]{report['log']}[/] against {report['model']} ({report['method']}): "
        f"{format_int(report['cases'])} cases in {format_int(report['variants'])} variants"
    )
    out.print(f"  fitness (log):       {format_number(fitness['log_fitness'], 4)}")
    out.print(f"  fitness (mean case): {format_number(fitness['average_case_fitness'], 4)}")
    out.print(f"  fitting cases:       {format_number(fitness['fitting_cases_pct'], 1)} %")
    if report["precision"] is not None:
        out.print(f"  precision:           {format_number(report['precision'], 4)}")
    if report["deviations"]:
        table = Table("Activity", "Deviation", "Cases", "Times")
        for row in report["deviations"]:
            table.add_row(
                row["activity"],
                row["kind"],
                format_int(row["cases"]),
                format_int(row["occurrences"]),
            )
        out.print(table)
    elif report["deviations"] is not None:
        out.print("  no deviations: every case follows the model.")


# ------------------------------------------------------------------------------------- rules


def rules_command(
    name: NameArg,
    rules_path: Annotated[Path, typer.Option("--rules", help="Rules YAML file.")],
    by: Annotated[str, typer.Option(help="Summarise per rule|org_unit|month.")] = "rule",
    cases: Annotated[bool, typer.Option(help="Also list each case that breaks a rule.")] = False,
    engine: EngineOption = "polars",
    as_json: JsonFlag = False,
) -> None:
    """Check declarative rules (YAML) on a stored log: results per case, org unit or month
    (org units of fewer than 5 people merged or left out, the 5-person rule)."""
    level = cast(SummaryLevel, _choice(by, get_args(SummaryLevel), "--by"))
    rules = read_rules(rules_path)
    with progress(f"Checking {len(rules)} rules on {name}"):
        if choose_engine(engine) == "spark":
            results = spark_engine.spark_check_rules(spark_log(name), rules)
        elif (paths := partition_paths(name)) is not None:
            results = check_partitioned_rules(read_partitioned_log(paths), rules)
        else:
            results = check_rules(LogStore().scan(name), rules)
    summary = summarize_rule_results(results, level=level)
    broken = results.filter(pl.col("passed").not_() & pl.col("applies")).drop("applies", "passed")
    if as_json:
        print_json(
            {
                "log": name,
                "rules_file": str(rules_path),
                "rules": [
                    {"id": r.id, "kind": r.kind, "description": r.description} for r in rules
                ],
                "by": level,
                "summary": summary.to_dicts(),
                "violating_cases": broken.to_dicts() if cases else None,
            }
        )
        return
    _print_rules(summary, level, broken if cases else None)


def partition_paths(name: str) -> list[Path] | None:
    """The partition files of the flat log ``name`` when it is stored in partitions (its rules
    are then checked one partition at a time, ``mining.partitioned``), else None."""
    store = LogStore()
    if store.entry(name).kind == "object-centric":
        return None
    return store.partition_paths(name)


def _print_rules(summary: pl.DataFrame, level: str, broken: pl.DataFrame | None) -> None:
    keys = ["rule"] + ([] if level == "rule" else [level])
    table = Table(
        *[k.replace("_", " ").capitalize() for k in keys], "Cases", "Breaking", "Compliance"
    )
    other = translate("privacy.other", "da")
    for row in summary.iter_rows(named=True):
        pct = row["compliance_pct"]
        table.add_row(
            *[other if row[k] == OTHER_GROUP else str(row[k]) for k in keys],
            format_int(row["cases"]),
            format_int(row["violating_cases"]),
            "–" if pct is None else f"{format_number(pct, 1)} %",
        )
    out.print(table)
    if level == "org_unit":
        out.print(
            f"Org units with fewer than 5 people are merged into «{other}», or left out when "
            "they hold fewer than 5 people even together (the 5-person rule).",
            highlight=False,
        )
    if broken is not None:
        for row in broken.iter_rows(named=True):
            out.print(f"{row['rule']}: {row['case_id']} ({row['violations']}×)", highlight=False)


# ------------------------------------------------------------------------------------- bench


def bench_command(
    events: Annotated[int, typer.Option(help="Events of the generated standard workload.")] = (
        1_000_000
    ),
    log: Annotated[
        Path | None, typer.Option("--log", help="Benchmark this event-log file instead.")
    ] = None,
    repeat: Annotated[int, typer.Option(help="Repetitions per operation (slow ones: ≤3).")] = 5,
    ops: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated operations: {','.join(ALL_OPERATIONS)}."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Time each operation of ours and its pm4py counterpart on the same data, in fresh processes.

    Prints medians, the speed-up (pm4py ÷ ours), peak memory per side, and whether both sides
    computed the same result. Measured, not asserted: compare ratios, not absolute times.
    """
    chosen = None if ops is None else tuple(cast(Operation, o.strip()) for o in ops.split(","))
    with progress("Benchmarking") as step:
        report = run_bench(events=events, log=log, repeat=repeat, operations=chosen, step=step)
    if as_json:
        print_json(report_as_json(report))
        return
    _print_bench(report)


def _print_bench(report: BenchReport) -> None:
    out.print(
        f"{report.source}: {format_int(report.events)} events, {format_int(report.cases)} cases, "
        f"{format_int(report.variants)} variants; median of {report.repeat} runs (slow ones ≤3)"
    )
    table = Table("Operation", "Ours", "pm4py", "Speed-up", "Peak MB ours", "Peak MB pm4py", "Same")
    for r in report.results:
        table.add_row(
            r.operation,
            f"{format_number(r.ours.median_s * 1000, 1)} ms",
            f"{format_number(r.pm4py.median_s * 1000, 1)} ms",
            f"{format_number(r.speedup, 1)}×",
            format_number(r.ours.peak_rss_mb, 0),
            format_number(r.pm4py.peak_rss_mb, 0),
            "yes" if r.same_result else "[red]NO[/]",
        )
    out.print(table)
    for operation, reason in report.skipped.items():
        out.print(f"Skipped {operation}: {reason}.")


def bench_large_command(
    events: Annotated[
        int, typer.Option(help="Events of the generated standard workload (as CSV).")
    ] = 100_000_000,
    log: Annotated[
        Path | None, typer.Option("--log", help="Benchmark this CSV or Parquet file instead.")
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Folder for the workload and the stored log (about 10 GB at 100M)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a large CSV in partitions and compute its stats, map, variants and bottlenecks,
    each step in a fresh process: time and peak memory per step, and exact checks."""
    with progress("Benchmarking the large case") as step:
        report = run_large_bench(events=events, log=log, workdir=workdir, step=step)
    if as_json:
        print_json(large_report_as_json(report))
        return
    _print_large_bench(report)


def _print_large_bench(report: LargeBenchReport) -> None:
    parts = "one file" if report.partitions is None else f"{report.partitions} partitions"
    out.print(
        f"{report.source}: {format_int(report.events)} events, {format_int(report.cases)} "
        f"cases, stored in {parts}"
    )
    table = Table("Step", "Seconds", "Peak MB", "Result")
    for result in report.steps:
        summary = ", ".join(f"{key} {value}" for key, value in result.summary.items())
        table.add_row(
            result.step,
            format_number(result.seconds, 1),
            format_number(result.peak_rss_mb, 0),
            summary,
        )
    out.print(table)
    for check, held in report.checks.items():
        out.print(f"{'ok' if held else '[red]FAILED[/]'}: {check}")
