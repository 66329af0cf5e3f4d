"""The Spark engine (PySpark in local mode) gives the polars engine's results, exactly, on the
same stored logs: BPIC 2013 incidents in 4 partitions (Spark) against its one-file copy
(polars), and the running example."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from app.cli import cli
from extractors.files import ReadOptions
from mining import (
    check_rules,
    check_view_size,
    compute_case_durations,
    compute_handovers,
    compute_variants,
    discover_dfg,
    filter_activities,
    filter_attribute,
    filter_case_size,
    filter_time_window,
    filter_view,
    find_bottlenecks,
    find_ping_pong,
    find_small_months,
    merge_small_activities,
    merge_small_groups,
    spark_engine,
)
from models.schema import CASE, ORG_UNIT, SORT_KEY
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import shared_file
from tests.test_partitioned_store import (
    BPIC_2013,
    RULES,
    RUNNING,
    WINDOW,
    store_partitioned_copy,
)

MASTER = "local[2]"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark") / "data"
    store = LogStore(root)
    import_log(store, shared_file(BPIC_2013), name="bpic", options=ReadOptions())
    store_partitioned_copy(store, "bpic", "bpic-p", 4)
    import_log(store, shared_file(RUNNING), name="running", options=ReadOptions(), partitions=2)
    return root


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the test session (the JVM starts once)."""
    session = spark_engine.start_spark_session(MASTER)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def logs(data: Path, spark: Any) -> tuple[Any, pl.LazyFrame]:
    """(the partitioned BPIC 2013 log as a Spark frame, its one-file copy as a polars scan)."""
    store = LogStore(data)
    paths = [str(p) for p in store.table_paths("bpic-p")]
    assert len(paths) == 4
    return spark_engine.read_spark_log(spark, paths), store.scan("bpic")


Pair = tuple[Callable[[Any], pl.DataFrame], Callable[[pl.LazyFrame], pl.DataFrame]]
se = spark_engine
OPERATIONS: dict[str, Pair] = {
    "dfg": (se.spark_discover_dfg, discover_dfg),
    "variants": (se.spark_compute_variants, compute_variants),
    "case-durations": (
        se.spark_compute_case_durations,
        lambda e: compute_case_durations(e).sort(CASE),
    ),
    "bottleneck-arcs": (se.spark_find_bottlenecks, find_bottlenecks),
    "bottleneck-activities-by-month": (
        lambda e: se.spark_find_bottlenecks(e, level="activity", by="month", top=3),
        lambda e: find_bottlenecks(e, level="activity", by="month", top=3),
    ),
    "bottleneck-arcs-by-org-unit": (
        lambda e: se.spark_find_bottlenecks(e, by="org_unit"),
        lambda e: find_bottlenecks(e, by="org_unit"),
    ),
    "handovers-between-org-units": (se.spark_compute_handovers, compute_handovers),
    "ping-pong-between-org-units": (se.spark_find_ping_pong, find_ping_pong),
    "rules": (lambda e: se.spark_check_rules(e, RULES, buckets=2), lambda e: check_rules(e, RULES)),
    "filtered-dfg": (
        lambda e: se.spark_discover_dfg(
            se.spark_filter_view(e, start=WINDOW[0], end=WINDOW[1], org_units=["V30"])
        ),
        lambda e: discover_dfg(filter_view(e, start=WINDOW[0], end=WINDOW[1], org_units=["V30"])),
    ),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_scan_operation_equals_the_polars_engine(logs: Any, operation: str) -> None:
    spark_events, polars_events = logs
    on_spark, on_polars = OPERATIONS[operation]
    expected = on_polars(polars_events)
    assert expected.height > 0
    assert_frame_equal(on_spark(spark_events), expected, check_exact=True, categorical_as_str=True)


def test_bpic_figures_on_spark(logs: Any) -> None:
    spark_events, _ = logs
    graph = se.spark_discover_dfg(spark_events)
    assert graph.row(0) == ("Accepted", "Accepted", 22_527, pytest.approx(105_936.385138), 178.0)
    assert se.spark_count_cases(spark_events) == 7_554
    variants = se.spark_compute_variants(spark_events)
    assert (variants.height, variants["cases"][0], variants["events"][0]) == (1_511, 1_754, 3)


FILTERS: dict[str, tuple[Callable[[Any], Any], Callable[[pl.LazyFrame], pl.LazyFrame]]] = {
    "time-window-started": (
        lambda e: se.spark_filter_time_window(e, start=WINDOW[0], end=WINDOW[1], mode="started"),
        lambda e: filter_time_window(e, start=WINDOW[0], end=WINDOW[1], mode="started"),
    ),
    "time-window-trim": (
        lambda e: se.spark_filter_time_window(e, start=WINDOW[0], end=WINDOW[1], mode="trim"),
        lambda e: filter_time_window(e, start=WINDOW[0], end=WINDOW[1], mode="trim"),
    ),
    "attribute-case": (
        lambda e: se.spark_filter_attribute(e, "impact", ["High"], level="case"),
        lambda e: filter_attribute(e, "impact", ["High"], level="case"),
    ),
    "attribute-event-dropped": (
        lambda e: se.spark_filter_attribute(e, ORG_UNIT, ["V30"], level="event", keep=False),
        lambda e: filter_attribute(e, ORG_UNIT, ["V30"], level="event", keep=False),
    ),
    "case-size": (
        lambda e: se.spark_filter_case_size(e, min_events=3, max_events=8),
        lambda e: filter_case_size(e, min_events=3, max_events=8),
    ),
    "activities": (
        lambda e: se.spark_filter_activities(e, ["Queued"], keep=False),
        lambda e: filter_activities(e, ["Queued"], keep=False),
    ),
}


def test_every_filter_keeps_the_events_the_polars_filter_keeps(logs: Any) -> None:
    spark_events, polars_events = logs
    for name, (on_spark, on_polars) in FILTERS.items():
        kept = se.to_polars(on_spark(spark_events).select(*SORT_KEY)).sort(SORT_KEY)
        # Spark reads Parquet's unsigned 64-bit integers as decimal(20, 0).
        kept = kept.with_columns(pl.col("event_order").cast(pl.UInt64))
        expected = on_polars(polars_events).select(SORT_KEY).collect().sort(SORT_KEY)
        assert 0 < expected.height < 65_533, name
        assert_frame_equal(kept, expected, check_exact=True), name


def test_the_five_person_rule_on_spark_is_the_polars_rule(logs: Any) -> None:
    spark_events, polars_events = logs
    _, units = se.spark_merge_small_groups(spark_events, by=ORG_UNIT)
    expected = merge_small_groups(polars_events, by=ORG_UNIT)
    assert (units.merged, units.other_people, units.withheld) == (
        expected.merged,
        expected.other_people,
        expected.withheld,
    )
    assert units.merged > 0
    _, activities = se.spark_merge_small_activities(spark_events)
    assert activities.merged == merge_small_activities(polars_events).merged
    for of in ("event", "case"):
        small = se.spark_find_small_months(spark_events, of=of)  # type: ignore[arg-type]
        assert small == find_small_months(polars_events, of=of)  # type: ignore[arg-type]
    assert se.spark_check_view_size(spark_events, org_units=("V30",)) == (
        check_view_size(polars_events, org_units=("V30",)).people
    )


RULES_YAML = """rules:
  - {id: queued-then-accepted, kind: response_within, source: Queued, target: Accepted,
     within_days: 2}
  - {id: four-eyes, kind: four_eyes, first: Accepted, second: Completed}
"""


@pytest.mark.parametrize(
    "command",
    [
        ["dfg"],
        ["variants", "--top", "5"],
        ["bottlenecks", "--by", "month"],
        ["handovers"],
        ["rules", "--by", "org_unit"],
    ],
)
def test_the_cli_engine_spark_prints_what_polars_prints(
    data: Path, spark: Any, monkeypatch: pytest.MonkeyPatch, command: list[str], tmp_path: Path
) -> None:
    if command[0] == "rules":
        (tmp_path / "rules.yaml").write_text(RULES_YAML, "utf-8")
        command = [*command, "--rules", str(tmp_path / "rules.yaml")]
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data))
    monkeypatch.setenv("KITFLOW_SPARK_MASTER", MASTER)
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    runner = CliRunner()
    printed = {}
    for log, engine in (("bpic", "polars"), ("bpic-p", "spark")):
        result = runner.invoke(cli, [*command, log, "--engine", engine, "--json"])
        assert result.exit_code == 0, (result.output, result.exception)
        printed[engine] = json.loads(result.stdout)
    if command[0] == "rules":  # the log's name is part of the report
        assert (printed["spark"].pop("log"), printed["polars"].pop("log")) == ("bpic-p", "bpic")
    assert printed["spark"] == printed["polars"]
    assert printed["spark"]
    assert os.environ["KITFLOW_SPARK_MASTER"] == MASTER


def test_the_running_example_on_spark(data: Path, spark: Any) -> None:
    store = LogStore(data)
    events = se.read_spark_log(spark, [str(p) for p in store.table_paths("running")])
    graph = se.spark_discover_dfg(events)
    assert_frame_equal(graph, discover_dfg(store.scan("running")), check_exact=True)
    pairs = {(r["source"], r["target"]): r["frequency"] for r in graph.iter_rows(named=True)}
    assert pairs[("check ticket", "decide")] == 6
    assert sum(pairs.values()) == 36


def test_what_spark_does_not_measure_is_refused_with_the_way_out(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    runner = CliRunner()
    working = runner.invoke(cli, ["bottlenecks", "bpic", "--engine", "spark", "--working-time"])
    assert "--working-time is measured by the polars engine" in str(working.exception)
    people = runner.invoke(cli, ["handovers", "bpic", "--engine", "spark", "--level", "resource"])
    assert "--engine spark counts handovers between org units" in str(people.exception)
    wrong = runner.invoke(cli, ["dfg", "bpic", "--engine", "duckdb"])
    assert "--engine 'duckdb' is not one of polars|spark" in str(wrong.exception)


def test_local_settings_only_where_spark_runs_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert se._runs_locally("local[2]") and se._runs_locally(None)
    assert not se._runs_locally("spark://spark-master:7077") and not se._runs_locally("yarn")
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "40000")  # started by spark-submit
    assert not se._runs_locally(None)
