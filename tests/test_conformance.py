"""Model discovery and conformance through the pm4py adapter equal pm4py on the same data.

pm4py's side is computed in the test, on pm4py's own reading of the same file, with the model
its inductive miner discovers; ours reads the stored log and the model from a file.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_conformance import register
from extractors.files import ReadOptions
from mining.conformance import compute_variant_table, summarize_deviations
from mining.pm4py_adapter import (
    ProcessModel,
    clear_cache,
    compute_fitness,
    compute_precision,
    discover_process_model,
    find_deviations,
    read_cache_stats,
    read_process_model,
    write_process_model,
)
from models.errors import InputError
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import SHARED_DATA, shared_file

GENERATOR = SHARED_DATA.parent / "bench" / "gen_o2c_log.py"


def pm4py_module() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - the reference side only

    return pm4py


@dataclass
class Case:
    """One log as both sides see it, and pm4py's inductive model of it."""

    store: LogStore
    name: str
    frame: Any  # pandas, as pm4py takes it
    net: Any
    im: Any
    fm: Any
    model: ProcessModel


def make_case(root: Path, source: Path, frame: Any, noise: float) -> Case:
    pm4py = pm4py_module()
    store = LogStore(root / "data")
    import_log(store, source, name="log", options=ReadOptions())
    net, im, fm = pm4py.discover_petri_net_inductive(frame, noise_threshold=noise)
    pm4py.write_pnml(net, im, fm, str(root / "model.pnml"))
    return Case(store, "log", frame, net, im, fm, read_process_model(root / "model.pnml"))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Case:
    path = shared_file("pm4py-examples/running-example.xes")
    frame = pm4py_module().read_xes(str(path))
    return make_case(tmp_path_factory.mktemp("running"), path, frame, 0.0)


@pytest.fixture(scope="module")
def o2c(tmp_path_factory: pytest.TempPathFactory) -> Case:
    """About 5,000 events of the standard workload (seed 42)."""
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips, or fails on CI, with the reason
    root = tmp_path_factory.mktemp("o2c")
    subprocess.run(
        [sys.executable, str(GENERATOR), "5000", str(root / "o2c"), "42"],
        check=True,
        capture_output=True,
    )
    raw = pl.read_parquet(root / "o2c.parquet").to_pandas()
    frame = pm4py_module().format_dataframe(
        raw, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    return make_case(root, root / "o2c.parquet", frame, 0.2)


@pytest.fixture(params=["running", "o2c"])
def case(request: pytest.FixtureRequest) -> Case:
    value: Case = request.getfixturevalue(request.param)
    return value


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


# ------------------------------------------------------------------------ equal to pm4py


def test_token_replay_fitness_and_precision_equal_pm4py(case: Case) -> None:
    pm4py = pm4py_module()
    reference = pm4py.fitness_token_based_replay(case.frame, case.net, case.im, case.fm)
    ours = compute_fitness(case.store.scan(case.name), case.model, method="token_replay")
    assert ours.log_fitness == reference["log_fitness"]
    assert ours.fitting_cases_pct == reference["percentage_of_fitting_traces"]
    assert ours.average_case_fitness == pytest.approx(reference["average_trace_fitness"], rel=1e-12)
    precision = pm4py.precision_token_based_replay(case.frame, case.net, case.im, case.fm)
    assert compute_precision(case.store.scan(case.name), case.model) == precision


def test_alignment_fitness_and_precision_equal_pm4py(case: Case) -> None:
    pm4py = pm4py_module()
    reference = pm4py.fitness_alignments(case.frame, case.net, case.im, case.fm)
    ours = compute_fitness(case.store.scan(case.name), case.model, method="alignments")
    assert ours.log_fitness == reference["log_fitness"]
    assert ours.fitting_cases_pct == reference["percentage_of_fitting_traces"]
    assert ours.average_case_fitness == pytest.approx(reference["average_trace_fitness"], rel=1e-12)
    precision = pm4py.precision_alignments(case.frame, case.net, case.im, case.fm)
    ours_precision = compute_precision(case.store.scan(case.name), case.model, method="alignments")
    assert ours_precision == precision


def test_o2c_figures_are_not_trivial(o2c: Case) -> None:
    # The equalities above would be weak if everything fitted perfectly.
    fitness = compute_fitness(o2c.store.scan(o2c.name), o2c.model, method="alignments")
    assert 0.9 < fitness.log_fitness < 1.0
    assert 40.0 < fitness.fitting_cases_pct < 100.0
    assert fitness.variants < fitness.cases


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_discovered_tree_equals_pm4py(case: Case, noise: float) -> None:
    reference = pm4py_module().discover_process_tree_inductive(case.frame, noise_threshold=noise)
    ours = discover_process_model(case.store.scan(case.name), noise_threshold=noise)
    assert str(ours.tree) == str(reference)


# ------------------------------------------------------------------------------ model files


def test_bpmn_export_opens_in_pm4py_and_in_a_modeller(running: Case, tmp_path: Path) -> None:
    model = discover_process_model(running.store.scan(running.name))
    path = write_process_model(model, tmp_path / "model.bpmn")
    bpmn = pm4py_module().read_bpmn(str(path))
    tasks = {n.get_name() for n in bpmn.get_nodes() if type(n).__name__ == "Task"}
    assert tasks == set(model.activities)
    text = path.read_text(encoding="utf-8")
    # A modeller (Camunda, bpmn.io) needs the diagram interchange part to draw it.
    assert "bpmndi:BPMNDiagram" in text and "dc:Bounds" in text
    again = read_process_model(path)
    fitness = compute_fitness(running.store.scan(running.name), again, method="alignments")
    # The inductive miner without noise fits its log. (pm4py's log fitness counts each silent
    # step at 1/10000 of a deviation, so it is a hair under 1: the per-case figures are exact.)
    assert (fitness.average_case_fitness, fitness.fitting_cases_pct) == (1.0, 100.0)


def test_pnml_round_trip_keeps_the_fitness(running: Case, tmp_path: Path) -> None:
    model = discover_process_model(running.store.scan(running.name), noise_threshold=0.2)
    again = read_process_model(write_process_model(model, tmp_path / "model.pnml"))
    assert again.activities == model.activities
    events = running.store.scan(running.name)
    assert compute_fitness(events, again) == compute_fitness(events, model)


def test_model_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"must end in \.bpmn or \.pnml"):
        read_process_model(tmp_path / "model.txt")
    with pytest.raises(InputError, match="does not exist"):
        read_process_model(tmp_path / "missing.bpmn")
    broken = tmp_path / "broken.pnml"
    broken.write_text("<pnml><net>", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read the PNML model"):
        read_process_model(broken)


# ------------------------------------------------------------------------------- deviations

SEQUENCE_PNML = """<?xml version="1.0" encoding="UTF-8"?>
<pnml><net id="n" type="http://www.pnml.org/version-2009/grammar/pnmlcoremodel"><page id="p">
<place id="p0"><name><text>p0</text></name><initialMarking><text>1</text></initialMarking></place>
<place id="p1"><name><text>p1</text></name></place>
<place id="p2"><name><text>p2</text></name></place>
<place id="p3"><name><text>p3</text></name></place>
<transition id="a"><name><text>a</text></name></transition>
<transition id="b"><name><text>b</text></name></transition>
<transition id="c"><name><text>c</text></name></transition>
<arc id="x1" source="p0" target="a"/><arc id="x2" source="a" target="p1"/>
<arc id="x3" source="p1" target="b"/><arc id="x4" source="b" target="p2"/>
<arc id="x5" source="p2" target="c"/><arc id="x6" source="c" target="p3"/>
</page><finalmarkings><marking><place idref="p3"><text>1</text></place></marking>
</finalmarkings></net></pnml>
"""


def tiny_log(traces: dict[str, str]) -> pl.DataFrame:
    """A sorted canonical log: each case's activities, one letter each, a minute apart."""
    rows = [
        (case, activity, minute)
        for case, letters in traces.items()
        for minute, activity in enumerate(letters)
    ]
    return pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [
                dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=r[2]) for r in rows
            ],
            "event_order": list(range(len(rows))),
        }
    ).with_columns(
        pl.col("activity").cast(pl.Categorical),
        pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
        pl.col("event_order").cast(pl.UInt64),
    )


def test_deviations_against_a_hand_made_model(tmp_path: Path) -> None:
    (tmp_path / "abc.pnml").write_text(SEQUENCE_PNML, encoding="utf-8")
    model = read_process_model(tmp_path / "abc.pnml")
    events = tiny_log(
        {"fit1": "abc", "fit2": "abc", "skip": "ac", "insert": "abxc", "twice": "abbc", "z": "b"}
    )
    by_case = find_deviations(events, model, level="case")
    assert by_case.rows() == [
        ("insert", "x", "inserted", 1),
        ("skip", "b", "skipped", 1),
        ("twice", "b", "inserted", 1),
        ("z", "a", "skipped", 1),
        ("z", "c", "skipped", 1),
    ]
    variants = compute_variant_table(events)
    by_variant = find_deviations(events, model)
    named = {
        (tuple(variants.row(v, named=True)["activities"]), a, k, n, c)
        for v, a, k, n, c in by_variant.rows()
    }
    assert named == {
        (("a", "c"), "b", "skipped", 1, 1),
        (("a", "b", "x", "c"), "x", "inserted", 1, 1),
        (("a", "b", "b", "c"), "b", "inserted", 1, 1),
        (("b",), "a", "skipped", 1, 1),
        (("b",), "c", "skipped", 1, 1),
    }
    assert summarize_deviations(by_variant).rows() == [
        ("b", "inserted", 1, 1),
        ("x", "inserted", 1, 1),
        ("a", "skipped", 1, 1),
        ("b", "skipped", 1, 1),
        ("c", "skipped", 1, 1),
    ]
    fitness = compute_fitness(events, model, method="alignments")
    # cost 0,0,1,1,1,2 moves against worst costs 6,6,5,7,7,4 (3 model moves + the events)
    assert fitness.log_fitness == pytest.approx(1 - 5 / 35)
    assert fitness.fitting_cases_pct == pytest.approx(100 * 2 / 6)


# ------------------------------------------------------------------------------------ cache


def test_results_are_cached_per_log_and_model(running: Case, tmp_path: Path) -> None:
    events = running.store.scan(running.name)
    first = compute_fitness(events, running.model, method="alignments")
    assert read_cache_stats() == read_cache_stats().__class__(hits=0, disk_hits=0, misses=1)
    assert compute_fitness(events, running.model, method="alignments") == first
    find_deviations(events, running.model)  # the same alignments serve the deviations
    assert read_cache_stats().hits == 2 and read_cache_stats().misses == 1
    compute_fitness(events, running.model, method="token_replay")  # another result: computed
    assert read_cache_stats().misses == 2

    cache_dir = tmp_path / "cache"
    clear_cache()
    on_disk = compute_fitness(events, running.model, method="alignments", cache_dir=cache_dir)
    clear_cache()  # a new process: memory empty, the file stays
    again = compute_fitness(events, running.model, method="alignments", cache_dir=cache_dir)
    assert again == on_disk == first
    assert read_cache_stats().disk_hits == 1 and read_cache_stats().misses == 0
    assert len(list(cache_dir.glob("alignments-*.json"))) == 1


def test_another_log_with_the_same_variants_shares_the_results(running: Case) -> None:
    events = running.store.read(running.name)
    renamed = events.with_columns(("other-" + pl.col("case_id")).alias("case_id"))
    compute_fitness(events, running.model)
    compute_fitness(renamed, running.model)
    assert (read_cache_stats().hits, read_cache_stats().misses) == (1, 1)


# -------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    register(app)
    path = shared_file("pm4py-examples/running-example.xes")
    import_log(LogStore(), path, name="running", options=ReadOptions())
    return app


def test_cli_discover_then_conformance(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    model = tmp_path / "running.bpmn"
    done = runner.invoke(
        cli, ["discover", "running", "--noise", "0", "--out", str(model), "--json"]
    )
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert found["format"] == "bpmn" and model.exists()
    assert len(found["activities"]) == 8

    args = ["conformance", "running", "--model", str(model), "--method", "alignments", "--json"]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["fitness"]["fitting_cases_pct"] == 100.0
    assert report["cases"] == 6 and report["deviations"] == []
    assert 0.0 < report["precision"] < 1.0
    cached = list((tmp_path / "data" / "07_model_output" / "conformance").glob("*.json"))
    assert len(cached) == 2  # alignments and alignment precision

    human = runner.invoke(cli, ["conformance", "running", "--model", str(model)])
    assert human.exit_code == 0 and "fitness (log)" in human.stdout


def test_cli_conformance_reports_a_bad_method(cli: typer.Typer, tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli, ["conformance", "running", "--model", str(tmp_path / "m.bpmn"), "--method", "x"]
    )
    assert isinstance(done.exception, InputError)
    assert "--method 'x' is not one of token_replay|alignments" in str(done.exception)
