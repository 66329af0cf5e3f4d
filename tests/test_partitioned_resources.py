"""Ressourcestyring of a log stored in partitions (mining.partitioned_resources): one partition
at a time, equal to the one-file figures (the waits' means and totals of float hours to a
relative 1e-12, see the module), and the visits found without grouping the events."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import services.resources
from app.dashboard.pages import resources
from mining import (
    PartitionedLog,
    compute_area_load,
    compute_area_visits,
    compute_handover_trend,
    compute_partitioned_area_load,
    compute_partitioned_handover_trend,
    merge_small_groups,
)
from mining.resources import AreaLoad, load_visits
from models.schema import ORG_UNIT
from models.store import LogStore
from services import build_resource_view
from services.resources import ResourceView
from tests.conftest import KitLandscape
from tests.test_dashboard import text
from tests.test_partitioned_mining import _partitioned, _store_one_and_parts
from tests.test_resources_sources import DEVELOPMENT, tiny_log

FLOAT_SUMS = ("mean_wait_h", "total_wait_h")


def _assert_same_load(found: AreaLoad, expected: AreaLoad) -> None:
    assert_frame_equal(found.monthly, expected.monthly, check_exact=True)
    exact = found.waits.drop(FLOAT_SUMS), expected.waits.drop(FLOAT_SUMS)
    assert_frame_equal(*exact, check_exact=True)
    assert_frame_equal(found.waits, expected.waits, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
    found_rule = (found.merged, found.withheld, found.months_withheld, found.people_known)
    expected_rule = (expected.merged, expected.withheld, expected.months_withheld)
    assert found_rule == (*expected_rule, expected.people_known)


@pytest.mark.parametrize("log_name", ["servicenow-orders", "servicenow-incidents", "kit-orders"])
def test_the_landscape_load_and_trend_equal_the_one_file_figures(
    kit_landscape: KitLandscape, tmp_path: Path, log_name: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read(log_name)
    log = _partitioned(events, tmp_path)
    expected = compute_area_load(events)
    assert expected.monthly.height > 20
    assert expected.waits.height >= 5
    _assert_same_load(compute_partitioned_area_load(log), expected)
    trend = compute_partitioned_handover_trend(log)
    assert_frame_equal(trend, compute_handover_trend(events), check_exact=True)


def test_the_visits_without_grouping_equal_the_grouped_visits(
    kit_landscape: KitLandscape,
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    merged = merge_small_groups(events, by=ORG_UNIT).frame
    grouped = compute_area_visits(merged).drop("case_id", "people")
    assert grouped.height > 5_000
    assert_frame_equal(load_visits(merged), grouped, check_exact=True)
    assert_frame_equal(
        load_visits(tiny_log()), compute_area_visits(tiny_log()).drop("case_id", "people")
    )


# Edge cases of a visit: a null unit at the first and the last row and between two events of
# one unit (it does not break the visit), a case whose units are all null (no visit), one-event
# cases, a case that returns to a unit. Cases c1..c9 and r1..r5 spread over 3 partitions.
EDGES = [
    ("c1", 0, None, "p1"), ("c1", 1, "SD", "p2"), ("c1", 2, None, "p3"), ("c1", 3, "SD", "p4"),
    ("c1", 4, "APP", "p5"), ("c2", 0, None, "p1"), ("c2", 5, None, "p2"), ("c3", 1, "APP", "p3"),
    ("c4", 2, "SD", "p4"), ("c4", 3, "APP", "p5"), ("c4", 9, "SD", "p6"), ("c5", 4, "FU", None),
    ("c6", 6, "SD", "p1"), ("c6", 7, "FU", "p2"), ("c6", 8, None, "p3"),
    *((f"r{i}", 10 + i, "SD", f"p{i}") for i in range(1, 6)),
    *((f"s{i}", 11 + i, "APP", f"q{i}") for i in range(1, 6)),
]  # fmt: skip


def _edges(*, people: bool = True) -> pl.DataFrame:
    """:data:`EDGES` as a stored log (hours after 1 March 2024 08:00 UTC), sorted as stored."""
    start = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "case_id": [r[0] for r in EDGES],
            "activity": ["work"] * len(EDGES),
            "timestamp": [start + dt.timedelta(hours=r[1]) for r in EDGES],
            "event_order": list(range(len(EDGES))),
            "org_unit": [r[2] for r in EDGES],
            "resource": [r[3] for r in EDGES],
        },
        schema_overrides={
            "activity": pl.Categorical(),
            "timestamp": pl.Datetime("us", "UTC"),
            "event_order": pl.UInt64,
        },
    ).sort("case_id", "timestamp", "event_order")
    return frame if people else frame.drop("resource")


def test_the_visits_of_the_edge_cases_are_the_grouped_visits() -> None:
    events = _edges()
    visits = load_visits(events)
    assert_frame_equal(visits, compute_area_visits(events).drop("case_id", "people"))
    # c1: SD (rows 1-3, the null between does not break it) handed to APP; c2: no visit.
    assert visits.head(3).select("org_unit", "source", "target", "duration_s").rows() == [
        ("SD", None, "APP", 3 * 3600.0),
        ("APP", "SD", None, 0.0),
        ("APP", None, None, 0.0),
    ]


@pytest.mark.parametrize("people", [True, False])
@pytest.mark.parametrize("partitions", [3, 40])  # 40: most partitions hold no case
def test_the_edge_cases_in_partitions_equal_one_file(
    tmp_path: Path, people: bool, partitions: int
) -> None:
    events = _edges(people=people)
    log = _partitioned(events, tmp_path, partitions=partitions)
    expected = compute_area_load(events)
    assert expected.people_known is people
    _assert_same_load(compute_partitioned_area_load(log), expected)
    trend = compute_partitioned_handover_trend(log)
    assert_frame_equal(trend, compute_handover_trend(events), check_exact=True)


def test_a_log_of_no_partitions_has_no_load() -> None:
    load = compute_partitioned_area_load(PartitionedLog(()))
    assert (load.monthly.height, load.waits.height, load.people_known) == (0, 0, False)
    assert compute_partitioned_handover_trend(PartitionedLog(())).height == 0


def test_a_visits_seconds_are_correctly_rounded() -> None:
    # 3 h 38 min 46,137 s: polars' "/ 1e6" multiplies by 1e-6 and gives 13126.136999999999.
    start = dt.datetime(2023, 1, 1, 0, 7, 12, 757000, tzinfo=dt.UTC)
    end = start + dt.timedelta(microseconds=13_126_137_000)
    events = pl.DataFrame(
        {
            "case_id": ["a", "a", "b"],
            "timestamp": [start, end, end],
            "org_unit": ["SD", "APP", "SD"],
        }
    )
    assert load_visits(events)["duration_s"].to_list() == [13126.137, 0.0, 0.0]
    assert compute_area_visits(events)["duration_s"].to_list() == [13126.137, 0.0, 0.0]


@pytest.fixture(scope="module")
def store(
    kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LogStore]:
    """The landscape's orders as "one" (one file) and "parts" (3 partitions), and its time
    registration."""
    data = tmp_path_factory.mktemp("partitioned-resources") / "data"
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    _store_one_and_parts(events, data)
    log_store = LogStore(data)
    hours = log_store.data.hours()
    hours.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(LogStore(kit_landscape.data_dir).data.hours(), hours)
    yield log_store
    log_store.catalog.dispose()


def _assert_same_view(found: ResourceView, expected: ResourceView) -> None:
    _assert_same_load(found.load, expected.load)
    assert_frame_equal(found.handover_trend, expected.handover_trend, check_exact=True)
    # The forecast is fitted on the same monthly counts (exact): the same floats.
    assert_frame_equal(found.forecast.forecast, expected.forecast.forecast, check_exact=True)
    assert_frame_equal(found.forecast.backtest, expected.forecast.backtest, check_exact=True)
    same = ("item", "trend_months_withheld", "partial_month", "items")
    assert [getattr(found, a) for a in same] == [getattr(expected, a) for a in same]
    assert found.hours is not None
    assert expected.hours is not None
    assert_frame_equal(found.hours.table, expected.hours.table, check_exact=True)


@pytest.mark.parametrize(
    ("item", "partial"),
    [(None, dt.date(2026, 1, 1)), (DEVELOPMENT, None)],  # the last month left out when partial
)
def test_the_service_reads_a_partitioned_log_per_partition(
    store: LogStore, monkeypatch: pytest.MonkeyPatch, item: str | None, partial: dt.date | None
) -> None:
    services.resources._build.cache_clear()  # so that "parts" is computed under the spies
    expected = build_resource_view(store, "one", item=item)

    def whole(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a partitioned log was read whole")

    for name in ("compute_area_load", "compute_handover_trend", "find_small_months"):
        monkeypatch.setattr(services.resources, name, whole)
    found = build_resource_view(store, "parts", item=item)
    _assert_same_view(found, expected)
    assert found.partial_month == partial
    assert (found.item, DEVELOPMENT in found.items) == (item, True)


def test_the_page_shows_a_partitioned_log_as_one_file(store: LogStore) -> None:
    one, parts = (
        resources.render_resources(store, name, None, "2025-06-01", "da")
        for name in ("one", "parts")
    )
    assert parts[1:4] == one[1:4]  # the item and month options, the month shown
    assert parts[3] == "2025-06-01"
    assert parts[4] is None
    assert one[4] is None
    assert [text(section) for section in parts[0]] == [text(section) for section in one[0]]
    assert len(parts[0]) >= 4
