"""A before/after comparison of a log stored in partitions (mining.partitioned_compare): every
measure, in calendar and working time, equals the comparison of the same log in one file, and
the 5-person rule counts each period's people over all partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from mining import PrivacyError, compare_periods
from mining.partitioned_compare import check_partitioned_period_sizes
from models.schema import RESOURCE
from models.store import LogStore
from tests.conftest import KitLandscape
from tests.test_partitioned_mining import (
    HAND_MADE,
    T0,
    _cli_json,
    _cli_logs,
    _log,
    _partitioned,
)

AT = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
MEASURES: list[dict[str, Any]] = [
    {"measure": "throughput_s"},
    {"measure": "throughput_s", "statistic": "median", "time": "working"},
    {"measure": "events"},
    {"measure": "handovers"},
    {"measure": "rework"},
    {"measure": "wait_s", "time": "working"},
    {"measure": "time_between_s", "source": "Created", "target": "Approved"},
]


@pytest.mark.parametrize("options", MEASURES, ids=lambda o: "-".join(map(str, o.values())))
def test_every_measure_of_a_partitioned_log_equals_the_one_file_comparison(
    kit_landscape: KitLandscape, tmp_path: Path, options: dict[str, Any]
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    log = _partitioned(events, tmp_path)
    found = compare_periods(log, at=AT, resamples=200, **options)
    expected = compare_periods(events, at=AT, resamples=200, **options)
    assert found == expected
    assert found.cases_before > 100 and found.cases_after > 100


def test_each_period_counts_its_people_over_all_partitions(tmp_path: Path) -> None:
    # Cases started before T0 + 5 min: c1, c3, c6, c7, c9, c10 (people p1-p6); from it: c2, c4,
    # c5, c8 (p1, p2, p4, p5, p6). Six partitions spread them; the people of a period are
    # counted once over all of them.
    events = _log(HAND_MADE)
    log = _partitioned(events, tmp_path, partitions=6)
    at = T0 + dt.timedelta(minutes=5)
    check_partitioned_period_sizes(log, at=at)
    found = compare_periods(log, at=at, measure="events", resamples=50)
    assert (found.cases_before, found.cases_after) == (6, 4)
    assert found == compare_periods(events, at=at, measure="events", resamples=50)
    # Without p6, the cases started from it show 4 people: withheld in both stores.
    fewer = events.with_columns(
        pl.when(pl.col(RESOURCE) == "p6").then(pl.lit("p1")).otherwise(pl.col(RESOURCE))
        .alias(RESOURCE)
    )  # fmt: skip
    fewer_log = _partitioned(fewer, tmp_path / "fewer", partitions=6)
    withheld = "cases started from 2024-03-01T08:05:00"
    with pytest.raises(PrivacyError, match=withheld):
        compare_periods(fewer_log, at=at, measure="events", resamples=50)
    with pytest.raises(PrivacyError, match=withheld):
        compare_periods(fewer, at=at, measure="events", resamples=50)


def test_the_cli_compares_a_partitioned_log_per_partition(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    _cli_logs(monkeypatch, tmp_path / "data", events)
    command = ["compare", "{}", "--at", "2024-07-01", "--measure", "wait_s", "--resamples", "300"]
    one = _cli_json([part.format("one") for part in command])
    parts = _cli_json([part.format("parts") for part in command])
    assert parts == one
    assert one["measure"] == "wait_s" and one["cases_before"] > 100
