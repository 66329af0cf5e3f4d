"""The benchmark runner on a tiny workload: its report's structure, and both sides agree.

No timing is asserted: times are measured and reported, never tested.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.cli_conformance import register
from models.errors import KitflowError
from services.bench import ALL_OPERATIONS, GENERATOR, OperationResult, SideMeasurement, run_bench
from tests.shared_data import shared_file


@pytest.fixture(autouse=True)
def needs_generator() -> None:
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips, or fails on CI, with the reason


def test_every_operation_computes_the_same_as_pm4py() -> None:
    # In one process, for speed: the figures are real, only the memory peaks mix.
    report = run_bench(events=2_000, repeat=2, operations=ALL_OPERATIONS, isolate=False)
    assert report.events >= 2_000 and report.cases > 100 and report.variants > 10
    assert [r.operation for r in report.results] == list(ALL_OPERATIONS)
    for result in report.results:
        assert result.same_result, f"{result.operation}: ours and pm4py differ"
        for side in (result.ours, result.pm4py):
            assert len(side.times_s) == 2 and side.median_s > 0
            assert side.peak_rss_mb >= side.loaded_rss_mb > 0
        assert result.speedup == pytest.approx(result.pm4py.median_s / result.ours.median_s)
    assert report.skipped == {} and not report.isolated
    assert set(report.environment) >= {"python", "polars", "pm4py", "cpus"}


def test_cli_bench_json_in_fresh_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    cli = typer.Typer()
    register(cli)
    args = ["bench", "--events", "2000", "--repeat", "3", "--ops", "dfg", "--json"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)  # exactly one JSON value on stdout
    assert report["isolated"] is True and report["repeat"] == 3
    assert report["source"] == "gen_o2c_log.py 2000 (seed 42)"
    (result,) = report["results"]
    assert set(result) == {f.name for f in fields(OperationResult)}
    assert set(result["ours"]) == {f.name for f in fields(SideMeasurement)}
    assert result["operation"] == "dfg" and result["same_result"] is True
    assert len(result["ours"]["times_s"]) == len(result["pm4py"]["times_s"]) == 3


def test_alignments_are_left_out_of_large_default_runs_with_the_reason() -> None:
    from services.bench import _choose_operations  # noqa: PLC0415 - the rule, without a run

    chosen, skipped = _choose_operations(None, 1_000_000)
    assert "alignments" not in chosen and "many minutes" in skipped["alignments"]
    chosen, skipped = _choose_operations(None, 100_000)
    # The Spark engine's operations (Java, a JVM) run when named.
    assert chosen == tuple(o for o in ALL_OPERATIONS if not o.startswith("spark_"))
    assert set(skipped) == {"spark_dfg", "spark_variants"}
    with pytest.raises(KitflowError, match="unknown operation"):
        _choose_operations(["dfg", "fast"], 10)  # type: ignore[list-item]


# ------------------------------------------- the stored-log DFG cache the bench's dfg measures


def test_dfg_of_a_stored_log_is_cached_per_file_version(tmp_path: Path) -> None:
    import datetime as dt  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    from extractors.files import ReadOptions  # noqa: PLC0415
    from mining.dfg import (  # noqa: PLC0415
        _discover_dfg,
        clear_dfg_cache,
        discover_dfg,
        stored_log_version,
    )
    from models.store import LogStore  # noqa: PLC0415
    from services.imports import import_log  # noqa: PLC0415

    t0 = dt.datetime(2024, 1, 1)
    hour = dt.timedelta(hours=1)

    def write(path: Path, activities: list[str]) -> Path:
        times = [t0 + i * hour for i in range(len(activities))]
        pl.DataFrame({"case_id": "c1", "activity": activities, "timestamp": times}).write_parquet(
            path
        )
        return path

    clear_dfg_cache()
    store = LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    import_log(
        store, write(tmp_path / "a.parquet", ["A", "B", "C"]), name="log", options=ReadOptions()
    )
    first = discover_dfg(store.scan("log"))
    assert first.select("source", "target", "frequency").rows() == [("A", "B", 1), ("B", "C", 1)]
    assert stored_log_version(store.scan("log")) is not None
    again = discover_dfg(store.scan("log"))
    assert again.equals(first) and again.equals(_discover_dfg(store.scan("log")))
    again.clear()  # a caller changing its copy leaves the cached graph alone
    assert discover_dfg(store.scan("log")).equals(first)
    # A re-import writes a new file: a new version, computed afresh.
    source = write(tmp_path / "b.parquet", ["A", "C", "C"])
    import_log(store, source, name="log", options=ReadOptions(), replace=True)
    replaced = discover_dfg(store.scan("log"))
    assert replaced.select("source", "target").rows() == [("A", "C"), ("C", "C")]
    # Views of a log are never taken for the stored log itself.
    view = store.scan("log").filter(pl.col("activity") == "C")
    assert stored_log_version(view) is None and stored_log_version(store.read("log")) is None
    assert discover_dfg(view).select("source", "target").rows() == [("C", "C")]
    clear_dfg_cache()
