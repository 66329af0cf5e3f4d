"""Bottlenecks of a log stored in partitions split by month or org unit, or in working time
(mining.partitioned_waits), and the months the 5-person rule leaves out: equal to the one-file
figures (means and totals of float seconds to a relative 1e-12, see mining.partitioned)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import app.cli_mining
from mining import (
    OTHER_GROUP,
    find_bottlenecks,
    find_partitioned_small_months,
    find_partitioned_split_bottlenecks,
    find_small_months,
)
from models.schema import ORG_UNIT, RESOURCE
from models.store import LogStore
from tests.conftest import KitLandscape
from tests.test_partitioned_mining import (
    HAND_MADE,
    _assert_close,
    _cli_json,
    _cli_logs,
    _exact,
    _log,
    _partitioned,
)

SPLITS = [
    ("arc", "month", "calendar"),
    ("activity", "org_unit", "calendar"),
    ("arc", "org_unit", "working"),
    ("arc", "none", "working"),
    ("activity", "month", "working"),
]


def _assert_same_bottlenecks(found: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert_frame_equal(_exact(found), _exact(expected), check_exact=True)
    assert_frame_equal(found, expected, check_exact=False, rel_tol=1e-12, abs_tol=0.0)


@pytest.mark.parametrize(("level", "by", "time"), SPLITS)
def test_split_and_working_time_bottlenecks_equal_the_one_file_figures(
    kit_landscape: KitLandscape, tmp_path: Path, level: str, by: str, time: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    log = _partitioned(events, tmp_path)
    found = find_partitioned_split_bottlenecks(log, level=level, by=by, time=time)  # type: ignore[arg-type]
    expected = find_bottlenecks(events, level=level, by=by, time=time)  # type: ignore[arg-type]
    assert found.height == expected.height > 20
    _assert_same_bottlenecks(found, expected)


def test_the_hand_made_waits_by_month_are_the_hand_computed_ones(tmp_path: Path) -> None:
    events = _log(HAND_MADE)
    found = find_partitioned_split_bottlenecks(
        _partitioned(events, tmp_path), level="activity", by="month"
    )
    # Every wait lies in March 2024: Check waits 10, 0, 40 and 100 min (150 in all), Close
    # 20, 60, 5, 1, 1, 0, 1.440 min (1.527) and Register 0 min (c8, after Close), Audit 10.
    assert found.select("activity", "frequency", "total_wait_s").rows() == [
        ("Close", 7, 1527 * 60.0),
        ("Check", 4, 150 * 60.0),
        ("Audit", 1, 10 * 60.0),
        ("Register", 1, 0.0),
    ]
    assert found["month"].unique().to_list() == [dt.date(2024, 3, 1)]
    assert_frame_equal(found, find_bottlenecks(events, level="activity", by="month"))


def test_small_org_units_are_merged_over_all_partitions(tmp_path: Path) -> None:
    # Units A (p1-p3) and B (p4-p6): 3 people each, so both are merged, 6 people together.
    events = _log(HAND_MADE).with_columns(
        pl.when(pl.col(RESOURCE).is_in(["p1", "p2", "p3"])).then(pl.lit("A")).otherwise(
            pl.lit("B")
        ).alias(ORG_UNIT)
    )  # fmt: skip
    found = find_partitioned_split_bottlenecks(
        _partitioned(events, tmp_path, partitions=5), level="activity", by="org_unit"
    )
    assert found["org_unit"].unique().to_list() == [OTHER_GROUP]
    assert found["frequency"].sum() == 13
    assert_frame_equal(found, find_bottlenecks(events, level="activity", by="org_unit"))


def test_a_log_without_org_units_cannot_be_split_by_them(tmp_path: Path) -> None:
    log = _partitioned(_log(HAND_MADE), tmp_path)
    with pytest.raises(Exception, match="no org unit column"):
        find_partitioned_split_bottlenecks(log, by="org_unit")


@pytest.mark.parametrize("of", ["event", "case"])
def test_small_months_are_counted_over_all_partitions(
    kit_landscape: KitLandscape, tmp_path: Path, of: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    # Keep the first 3 months' events of only 4 people, so those months are small.
    cut = events["timestamp"].min() + dt.timedelta(days=80)  # type: ignore[operator]
    people = sorted(events[RESOURCE].drop_nulls().unique().to_list())[:4]
    thinned = events.filter(
        (pl.col("timestamp") >= cut) | pl.col(RESOURCE).is_in(people) | pl.col(RESOURCE).is_null()
    )
    log = _partitioned(thinned, tmp_path)
    found = find_partitioned_small_months(log, of=of)  # type: ignore[arg-type]
    assert found == find_small_months(thinned, of=of)  # type: ignore[arg-type]
    assert len(found) >= 2


def test_the_cli_splits_a_partitioned_log_per_partition(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    _cli_logs(monkeypatch, tmp_path / "data", events)
    calls: list[str] = []
    original = find_partitioned_split_bottlenecks

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(kw["by"])
        return original(*args, **kw)

    monkeypatch.setattr(app.cli_mining, "find_partitioned_split_bottlenecks", spy)
    for options in (["--by", "month"], ["--by", "org_unit", "--working-time"], ["--working-time"]):
        command = ["bottlenecks", "{}", *options, "--top", "50"]
        one = _cli_json([part.format("one") for part in command])
        parts = _cli_json([part.format("parts") for part in command])
        assert len(one) > 10
        _assert_close(parts, one)
    assert calls == ["month", "org_unit", "none"]
