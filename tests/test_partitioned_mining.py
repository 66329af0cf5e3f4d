"""Scan operations over a log stored in partitions, computed one partition at a time and merged
(mining.partitioned): every merged figure equals the figure of the same log in one file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import app.cli_mining
from app.cli import cli
from mining import (
    OTHER_ACTIVITIES,
    PartitionedLog,
    check_partitioned_view_size,
    check_view_size,
    compute_log_stats,
    compute_partitioned_log_stats,
    compute_partitioned_variants,
    compute_variants,
    discover_dfg,
    discover_partitioned_dfg,
    filter_view,
    find_bottlenecks,
    find_partitioned_bottlenecks,
    merge_partitioned_small_activities,
    merge_small_activities,
    read_partitioned_log,
)
from models.eventlog import CanonicalLog
from models.partitions import assign_partitions, find_partition_files, write_partitions
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    ORG_UNIT,
    RESOURCE,
    SORT_KEY,
    START_TIMESTAMP,
    TIMESTAMP,
    UTC_DATETIME,
    empty_quarantine,
)
from models.store import LogStore
from services.storing import store_canonical_log
from tests.conftest import KitLandscape

T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
FLAT_LANDSCAPE_LOGS = ("servicenow-incidents", "servicenow-orders", "kit-orders", "azure-devops")
FLOAT_SUMS = ("mean_throughput_s", "mean_wait_s", "total_wait_s", "wait_share")
"""Means and totals of float seconds: polars sums them in an order of its own (see
mining.partitioned), so they are compared to a relative 1e-12 where timestamps have fractions
of a second, as tests/test_log_index.py compares the variant means of two paths."""


def _log(rows: list[tuple[str, str, int, str]], *, starts: bool = False) -> pl.DataFrame:
    """A canonical log of (case, activity, minutes after T0, resource) rows, sorted as stored;
    with ``starts``, each event started a minute before it ended (its first event: null)."""
    frame = pl.DataFrame(
        {
            CASE: [r[0] for r in rows],
            ACTIVITY: [r[1] for r in rows],
            TIMESTAMP: [T0 + dt.timedelta(minutes=r[2]) for r in rows],
            EVENT_ORDER: list(range(len(rows))),
            RESOURCE: [r[3] for r in rows],
        },
        schema_overrides={
            ACTIVITY: pl.Categorical(),
            TIMESTAMP: UTC_DATETIME,
            EVENT_ORDER: pl.UInt64,
        },
    )
    if starts:
        begin = pl.when(pl.col(EVENT_ORDER) % 3 != 0).then(
            pl.col(TIMESTAMP) - pl.duration(minutes=1)
        )
        frame = frame.with_columns(begin.cast(UTC_DATETIME).alias(START_TIMESTAMP))
    return frame.sort(SORT_KEY)


# Ten cases, six people. "Audit" and "Check" name 1 and 4 people (merged by the 5-person rule,
# 5 people together); c2 has two
# events at the same minute (file order decides); c5 and c9 are one event each; the pair
# Register → Check occurs four times (an even count: its median is the mean of the middle two).
HAND_MADE = [
    ("c1", "Register", 0, "p1"),
    ("c1", "Check", 10, "p2"),
    ("c1", "Close", 30, "p3"),
    ("c2", "Register", 5, "p4"),
    ("c2", "Check", 5, "p5"),
    ("c2", "Close", 65, "p6"),
    ("c3", "Register", 0, "p2"),
    ("c3", "Check", 40, "p3"),
    ("c3", "Audit", 50, "p1"),
    ("c3", "Close", 55, "p4"),
    ("c4", "Register", 20, "p5"),
    ("c4", "Check", 120, "p6"),
    ("c4", "Close", 121, "p1"),
    ("c5", "Register", 7, "p2"),
    ("c6", "Register", 1, "p3"),
    ("c6", "Close", 2, "p3"),
    ("c7", "Register", 3, "p4"),
    ("c7", "Close", 3, "p5"),
    ("c8", "Close", 9, "p6"),
    ("c8", "Register", 9, "p1"),
    ("c9", "Close", 4, "p2"),
    ("c10", "Register", 0, "p6"),
    ("c10", "Close", 1440, "p5"),
]


def _partitioned(events: pl.DataFrame, folder: Path, partitions: int = 3) -> PartitionedLog:
    write_partitions(events, folder / "events", partitions)
    paths = find_partition_files(folder / "events")
    assert paths is not None
    return read_partitioned_log(paths)


def _exact(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without its means and totals of float seconds (compared exactly)."""
    return frame.drop(FLOAT_SUMS, strict=False)


def _assert_same_figures(events: pl.DataFrame | pl.LazyFrame, log: PartitionedLog) -> None:
    """Every merged figure of ``log`` equals the one-file figure of ``events``."""
    floats: dict[str, Any] = {"rel_tol": 1e-12, "abs_tol": 0.0}
    assert_frame_equal(discover_partitioned_dfg(log), discover_dfg(events), check_exact=True)
    variants, expected = compute_partitioned_variants(log), compute_variants(events)
    assert_frame_equal(_exact(variants), _exact(expected), check_exact=True)
    assert_frame_equal(variants, expected, check_exact=False, **floats)
    for level in ("arc", "activity"):
        waits = find_partitioned_bottlenecks(log, level=level)
        single = find_bottlenecks(events, level=level)
        assert_frame_equal(_exact(waits), _exact(single), check_exact=True)
        assert_frame_equal(waits, single, check_exact=False, **floats)
    assert compute_partitioned_log_stats(log) == compute_log_stats(events)
    assert check_partitioned_view_size(log) == check_view_size(events)
    merged_log, merged = merge_partitioned_small_activities(log)
    single_merge = merge_small_activities(events)
    figures = ("merged", "other_people", "withheld", "people_known")
    assert [getattr(merged, f) for f in figures] == [getattr(single_merge, f) for f in figures]
    relabelled = single_merge.frame.collect()
    assert_frame_equal(
        discover_partitioned_dfg(merged_log), discover_dfg(relabelled), check_exact=True
    )
    assert_frame_equal(
        find_partitioned_bottlenecks(merged_log),
        find_bottlenecks(relabelled),
        check_exact=False,
        **floats,
    )


def test_the_hand_made_log_spreads_its_cases_over_the_partitions() -> None:
    cases = sorted({row[0] for row in HAND_MADE})
    spread = assign_partitions(cases, 3).tolist()
    assert sorted(set(spread)) == [0, 1, 2]


def test_merged_figures_of_a_hand_made_log_equal_the_one_file_figures(tmp_path: Path) -> None:
    events = _log(HAND_MADE)
    log = _partitioned(events, tmp_path)
    _assert_same_figures(events, log)
    # Whole minutes: the means and totals are exact too, so everything is compared bit for bit.
    assert_frame_equal(
        compute_partitioned_variants(log), compute_variants(events), check_exact=True
    )
    assert_frame_equal(
        find_partitioned_bottlenecks(log), find_bottlenecks(events), check_exact=True
    )


def test_the_hand_made_figures_are_the_hand_computed_ones(tmp_path: Path) -> None:
    log = _partitioned(_log(HAND_MADE), tmp_path)
    graph = discover_partitioned_dfg(log)
    register_check = graph.filter(pl.col("source") == "Register", pl.col("target") == "Check")
    # c1 10 min, c2 0 (a tie in time), c3 40, c4 100: median (10 + 40) / 2 = 25 min, mean 37,5.
    assert register_check.row(0) == ("Register", "Check", 4, 37.5 * 60, 25 * 60.0)
    stats = compute_partitioned_log_stats(log)
    assert (stats.cases, stats.events, stats.activities, stats.variants) == (10, 23, 4, 6)
    assert (stats.start, stats.end) == (T0, T0 + dt.timedelta(minutes=1440))
    variants = compute_partitioned_variants(log)
    assert variants.row(0)[:5] == (1, ["Register", "Check", "Close"], 3, pytest.approx(0.3), 3)
    # Throughputs 30, 60 and 101 minutes.
    assert variants.row(0)[5:] == (pytest.approx(191 * 60 / 3, rel=1e-15), 60 * 60.0)
    people = check_partitioned_view_size(log)
    assert (people.people, people.enough) == (6, True)


def test_an_activity_of_fewer_than_5_people_is_merged_across_partitions(tmp_path: Path) -> None:
    log = _partitioned(_log(HAND_MADE), tmp_path)
    merged_log, merged = merge_partitioned_small_activities(log)
    # Audit names p1, Check p1-p3, p5 and p6 (5 together); Register and Close name all six
    # people, though no partition holds all of them.
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 5, False)
    assert merged_log.relabelled == ("Audit", "Check")
    nodes = set(discover_partitioned_dfg(merged_log)["source"])
    assert nodes == {"Register", "Close", OTHER_ACTIVITIES}


def test_start_timestamps_and_one_partition_per_case(tmp_path: Path) -> None:
    events = _log(HAND_MADE, starts=True)
    _assert_same_figures(events, _partitioned(events, tmp_path / "three"))
    # As many partitions as cases and more: most partitions empty, the figures the same.
    _assert_same_figures(events, _partitioned(events, tmp_path / "many", partitions=16))
    _assert_same_figures(events, _partitioned(events, tmp_path / "one", partitions=1))


def test_an_empty_log(tmp_path: Path) -> None:
    events = _log(HAND_MADE).head(0)
    log = _partitioned(events, tmp_path)
    assert discover_partitioned_dfg(log).height == 0
    assert compute_partitioned_variants(log).height == 0
    assert compute_partitioned_log_stats(log) == compute_log_stats(events)
    assert check_partitioned_view_size(log).people is None


@pytest.mark.parametrize("name", FLAT_LANDSCAPE_LOGS)
def test_the_landscape_logs_in_3_partitions(
    kit_landscape: KitLandscape, tmp_path: Path, name: str
) -> None:
    store = LogStore(kit_landscape.data_dir)
    _assert_same_figures(store.scan(name), _partitioned(store.read(name), tmp_path))


def _store_one_and_parts(events: pl.DataFrame, data: Path) -> None:
    """``events`` stored as log "one" in one file and as log "parts" in 3 partitions."""
    store = LogStore(data)
    for name, partitions in (("one", None), ("parts", 3)):
        log = CanonicalLog(events=events, quarantine=empty_quarantine())
        store_canonical_log(
            store,
            log,
            name=name,
            source_path="copy",
            source_format="parquet",
            replace=False,
            partitions=partitions,
        )


def _cli_logs(monkeypatch: pytest.MonkeyPatch, data: Path, events: pl.DataFrame) -> LogStore:
    """The CLI's data folder ``data`` holding ``events`` as logs "one" and "parts"."""
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    _store_one_and_parts(events, data)
    return LogStore(data)


def _cli_json(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_cli_computes_a_partitioned_log_per_partition(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    _cli_logs(monkeypatch, tmp_path / "data", events)
    calls: list[str] = []
    for function in (
        "discover_partitioned_dfg",
        "compute_partitioned_variants",
        "find_partitioned_bottlenecks",
        "compute_partitioned_log_stats",
    ):
        original = getattr(app.cli_mining, function)

        def spy(*args: Any, _name: str = function, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(app.cli_mining, function, spy)
    for command in (
        ["dfg"],
        ["variants", "--top", "50"],
        ["bottlenecks"],
        ["bottlenecks", "--level", "activity"],
    ):
        one, parts = _cli_json([*command, "one"]), _cli_json([*command, "parts"])
        if command[0] == "dfg":
            assert parts == one
        else:
            _assert_close(parts, one)
    one_stats, part_stats = _cli_json(["stats", "one"]), _cli_json(["stats", "parts"])
    assert {**part_stats, "name": "one"} == one_stats
    assert calls == [
        "discover_partitioned_dfg",
        "compute_partitioned_variants",
        "find_partitioned_bottlenecks",
        "find_partitioned_bottlenecks",
        "compute_partitioned_log_stats",
    ]
    # A filtered view of a partitioned log is filtered partition by partition (whole cases, and
    # a case lies in one partition) and merged: the same as the one-file view.
    calls.clear()
    units = events.group_by("org_unit").len().sort("len", "org_unit", descending=[True, False])
    unit = ["--org-unit", str(units["org_unit"][0])]
    period = ["--since", "2024-01-01", "--until", "2024-06-30"]
    for command in (["variants", "--top", "50"], ["bottlenecks"], ["stats"]):
        for view in (period, unit, [*period, *unit]):
            one = _cli_json([*command, "one", *view])
            parts = _cli_json([*command, "parts", *view])
            if command[0] == "stats":
                assert {**parts, "name": "one"} == one
            else:
                _assert_close(parts, one)
    assert calls == [
        *["compute_partitioned_variants"] * 3,
        *["find_partitioned_bottlenecks"] * 3,
        *["compute_partitioned_log_stats"] * 3,
    ]


def test_a_view_filtered_to_units_counts_their_own_people_across_partitions(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filtered to org units, the 5-person rule also counts the units' own people (as for one
    file): every unit's view is shown or withheld alike, partitioned or not."""
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    _cli_logs(monkeypatch, tmp_path / "data", events)
    outcomes = []
    for unit in sorted(events["org_unit"].drop_nulls().unique().to_list()):
        results = [
            CliRunner().invoke(cli, ["stats", name, "--org-unit", unit, "--json"])
            for name in ("one", "parts")
        ]
        assert results[0].exit_code == results[1].exit_code, unit
        assert results[1].output.replace("parts", "one") == results[0].output, unit
        outcomes.append(results[0].exit_code)
    assert 0 in outcomes  # some units are shown


def _assert_close(found: Any, expected: Any) -> None:
    """JSON values equal, floats to a relative 1e-12 (see FLOAT_SUMS)."""
    if isinstance(expected, float):
        assert found == pytest.approx(expected, rel=1e-12, abs=0)
    elif isinstance(expected, dict):
        assert found.keys() == expected.keys()
        for key, value in expected.items():
            _assert_close(found[key], value)
    elif isinstance(expected, list):
        assert len(found) == len(expected)
        for item, value in zip(found, expected, strict=True):
            _assert_close(item, value)
    else:
        assert found == expected


def test_a_partitioned_log_of_4_people_is_withheld(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    # The hand-made log's six people become four: p5 and p6 are p1 and p2 here.
    few = [
        (case, activity, at, {"p5": "p1", "p6": "p2"}.get(who, who))
        for case, activity, at, who in HAND_MADE
    ]
    log = CanonicalLog(events=_log(few), quarantine=empty_quarantine())
    store_canonical_log(
        LogStore(tmp_path / "data"),
        log,
        name="four",
        source_path="hand-made",
        source_format="parquet",
        replace=False,
        partitions=3,
    )
    for command in ("stats", "dfg", "variants", "bottlenecks"):
        result = CliRunner().invoke(cli, [command, "four", "--json"])
        assert result.exit_code != 0 and result.stdout == ""
        assert "the log four shows fewer than 5 people, so its figures are withheld" in str(
            result.exception
        )


def test_a_unit_of_2_people_in_cases_of_6_is_withheld_across_partitions(tmp_path: Path) -> None:
    """The view of the cases touching unit "Lille" shows 6 people, but the unit's own events
    only p1 and p2: withheld, partitioned or not."""
    units = {"Check": "Lille"}
    events = _log(HAND_MADE).with_columns(
        pl.col(ACTIVITY).cast(pl.String).replace_strict(units, default="Stor").alias(ORG_UNIT)
    )
    events = events.with_columns(
        pl.when(pl.col(ORG_UNIT) == "Lille")
        .then(pl.when(pl.col(CASE).is_in(["c1", "c3"])).then(pl.lit("p1")).otherwise(pl.lit("p2")))
        .otherwise(pl.col(RESOURCE))
        .alias(RESOURCE)
    )
    write_partitions(events, tmp_path / "events", 3)
    paths = find_partition_files(tmp_path / "events")
    assert paths is not None
    for chosen, expected in ((("Lille",), 2), (("Stor",), 6), (("Lille", "Stor"), 6)):
        one = check_view_size(filter_view(events, org_units=chosen), org_units=chosen)
        parts = check_partitioned_view_size(read_partitioned_log(paths, org_units=chosen))
        assert (parts.people, one.people) == (expected, expected), chosen
    period = read_partitioned_log(
        paths, start=T0 + dt.timedelta(minutes=100), end=T0 + dt.timedelta(days=2)
    )
    # Cases active from minute 100 on: c4 (p5, p2 as Lille's checker, p1) and c10 (p6, p5).
    view = filter_view(events, start=period.start, end=period.end)
    assert compute_partitioned_log_stats(period) == compute_log_stats(view)
    assert compute_partitioned_log_stats(period).cases == 2
    assert check_partitioned_view_size(period) == check_view_size(view)
    assert check_partitioned_view_size(period).people == 4
