"""The large benchmark case (``kitflow bench-large``), run small: every step in its own process,
the partitioned log's figures equal to an ordinary import's, and the exact checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extractors.files import ReadOptions
from models.store import LogStore
from services.bench_large import LargeStepResult, check_large_results, run_large_bench
from services.imports import import_log
from tests.shared_data import SHARED_DATA, shared_file

GENERATOR = SHARED_DATA.parent / "bench" / "gen_o2c_log.py"


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips, or fails on CI, with the reason
    prefix = tmp_path_factory.mktemp("large") / "o2c"
    subprocess.run(
        [sys.executable, str(GENERATOR), "20000", str(prefix), "42"],
        check=True,
        capture_output=True,
    )
    return prefix.with_suffix(".csv")


def test_every_step_runs_and_its_results_hold(workload: Path, tmp_path: Path) -> None:
    report = run_large_bench(log=workload, workdir=tmp_path, partitions=3)
    store = LogStore(tmp_path / "reference", f"sqlite:///{tmp_path / 'reference.db'}")
    reference = import_log(store, workload, name="o2c", options=ReadOptions()).entry
    assert [step.step for step in report.steps] == [
        "import", "stats", "dfg", "variants", "bottlenecks",
    ]  # fmt: skip
    summaries = {step.step: step.summary for step in report.steps}
    assert summaries["import"] == {
        "events": reference.events,
        "cases": reference.cases,
        "variants": reference.variants,
        "partitions": 3,
    }
    assert summaries["stats"] == {
        "events": reference.events,
        "cases": reference.cases,
        "variants": reference.variants,
    }
    arcs = reference.events - reference.cases
    assert summaries["dfg"]["frequency"] == arcs
    assert summaries["variants"] == {"variants": reference.variants, "cases": reference.cases}
    assert summaries["bottlenecks"]["frequency"] == arcs
    assert all(report.checks.values()) and len(report.checks) == 4
    assert all(step.peak_rss_mb > 50 and step.seconds > 0 for step in report.steps)
    assert not list(tmp_path.glob("kitflow-bench-large-*"))  # the workspace is removed


def test_a_result_that_does_not_add_up_fails_its_check() -> None:
    results = [
        LargeStepResult("import", 1.0, 100.0, {"events": 10, "cases": 3}),
        LargeStepResult("stats", 1.0, 100.0, {"events": 10, "cases": 3}),
        LargeStepResult("dfg", 1.0, 100.0, {"frequency": 7}),
        LargeStepResult("variants", 1.0, 100.0, {"cases": 2}),
        LargeStepResult("bottlenecks", 1.0, 100.0, {"frequency": 8}),
    ]
    assert check_large_results(results) == {
        "stats: events and cases as imported": True,
        "dfg: arcs counted = events - cases": True,
        "variants: cases add up to the cases": False,
        "bottlenecks: waits counted = events - cases": False,
    }
