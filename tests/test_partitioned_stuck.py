"""Fastlåste sager of a log stored in partitions (mining.find_partitioned_stuck_cases): one
partition at a time, equal to the one-file list, with the org units' spellings counted over all
partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import services.governance
from app.dashboard.pages import stuck
from extractors.files import ReadOptions
from mining import (
    PartitionedLog,
    find_partitioned_stuck_cases,
    find_stuck_cases,
    find_unit_spellings,
)
from mining.stuck import STUCK_COLUMNS
from models.partitions import assign_partitions
from models.store import LogStore
from services import find_stuck
from services.governance import CLOSING_ACTIVITIES, CLOSING_PREFIX
from services.imports import import_log
from tests.conftest import KitLandscape
from tests.test_dashboard import table_rows
from tests.test_partitioned_mining import _partitioned
from tests.test_stuck_cases import AS_OF, LOG_CSV

AMPERSAND, OG = "Drift & Infrastruktur", "Drift og Infrastruktur"
# In two partitions, c0, c2, c4 lie in partition 0 and c1, c3, c5, c7 in partition 1 (asserted
# below): partition 0 alone spells the unit with "&", the whole log more often with "og".
SPELLED = [("c0", AMPERSAND), ("c2", AMPERSAND), ("c4", AMPERSAND)] + [
    (case, OG) for case in ("c1", "c3", "c5", "c7")
]


def _spelling_log() -> pl.DataFrame:
    """One 'Created' event per case, an hour apart from Monday 2 June 2025 06:00 UTC."""
    start = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "case_id": [case for case, _ in SPELLED],
            "activity": ["Created"] * len(SPELLED),
            "timestamp": [start + dt.timedelta(hours=i) for i in range(len(SPELLED))],
            "org_unit": [unit for _, unit in SPELLED],
        },
        schema_overrides={"activity": pl.Categorical(), "timestamp": pl.Datetime("us", "UTC")},
    )


def test_the_spellings_are_counted_over_all_partitions(tmp_path: Path) -> None:
    events = _spelling_log()
    assert assign_partitions(events["case_id"].to_list(), 2).tolist() == [0, 0, 0, 1, 1, 1, 1]
    log = _partitioned(events, tmp_path / "parts", partitions=2)
    assert find_unit_spellings(log, as_of=AS_OF) == {AMPERSAND: OG, OG: OG}
    found = find_partitioned_stuck_cases(log, as_of=AS_OF, min_working_days=0, closing=[])
    # Every case waits in the unit as the whole log names it, oldest first, as one file lists it.
    assert found.select("case_id", "org_unit").rows() == [(case, OG) for case, _ in SPELLED]
    assert_frame_equal(found, find_stuck_cases(events, as_of=AS_OF, min_working_days=0, closing=[]))
    # Partition 0 read alone would name its unit with "&": the confounder the count guards.
    alone = find_stuck_cases(
        pl.scan_parquet(log.paths[0]), as_of=AS_OF, min_working_days=0, closing=[]
    )
    assert alone["org_unit"].unique().to_list() == [AMPERSAND]


def test_the_spellings_count_only_events_before_the_moment(tmp_path: Path) -> None:
    log = _partitioned(_spelling_log(), tmp_path, partitions=2)
    # Before 08:30 only c0, c2 and c4 (06:00-08:00) have begun: "&" is the only spelling.
    moment = dt.datetime(2025, 6, 2, 8, 30, tzinfo=dt.UTC)
    assert find_unit_spellings(log, as_of=moment) == {AMPERSAND: AMPERSAND}


@pytest.mark.parametrize("log_name", ["servicenow-orders", "servicenow-incidents"])
def test_the_landscape_lists_equal_the_one_file_lists(
    kit_landscape: KitLandscape, tmp_path: Path, log_name: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read(log_name)
    log = _partitioned(events, tmp_path)
    activities = events["activity"].cast(pl.String).unique().to_list()
    closing = [a for a in activities if a.startswith(CLOSING_PREFIX) or a in CLOSING_ACTIVITIES]
    assert closing
    times = events["timestamp"].sort()
    listed = 0
    for tenth in (1, 3, 5, 7, 9):  # moments a tenth, three tenths ... through the log
        moment = times[times.len() * tenth // 10]
        found = find_partitioned_stuck_cases(log, as_of=moment, min_working_days=0, closing=closing)
        expected = find_stuck_cases(events, as_of=moment, min_working_days=0, closing=closing)
        assert_frame_equal(found, expected, check_exact=True)
        listed += expected.height
    assert listed > 50  # the landscape's cases close quickly: 10 to 37 open at each moment


@pytest.fixture
def store(tmp_path: Path) -> Any:
    """The hand-made log of tests/test_stuck_cases.py as "one" (one file) and "parts" (3
    partitions)."""
    log_store = LogStore(tmp_path / "data")
    path = tmp_path / "orders.csv"
    path.write_text(LOG_CSV, encoding="utf-8")
    for name, partitions in (("one", None), ("parts", 3)):
        import_log(log_store, path, name=name, options=ReadOptions(), partitions=partitions)
    assert log_store.partition_paths("parts") is not None
    yield log_store
    log_store.catalog.dispose()


def test_the_service_reads_a_partitioned_log_per_partition(
    store: LogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = find_stuck(store, "one", as_of=AS_OF, min_working_days=3)

    def whole(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a partitioned log was read whole")

    monkeypatch.setattr(services.governance, "find_stuck_cases", whole)
    parts = find_stuck(store, "parts", as_of=AS_OF, min_working_days=3)
    assert parts.cases["case_id"].to_list() == ["E", "A"]
    assert_frame_equal(parts.cases, one.cases)
    assert (parts.open_cases, parts.as_of) == (one.open_cases, one.as_of) == (3, AS_OF)
    at_end = find_stuck(store, "parts")  # just after the last event (20.6 09:00), D under 5 days
    assert at_end.as_of == dt.datetime(2025, 6, 20, 9, 0, 0, 1, tzinfo=dt.UTC)
    assert at_end.cases["case_id"].to_list() == ["A", "C"]


def test_the_page_shows_a_partitioned_log_as_one_file(store: LogStore) -> None:
    views = [
        stuck.render_stuck(store, log=name, as_of_text="12.06.2025", days_text="3", language="da")
        for name in ("one", "parts")
    ]
    one, parts = views
    assert parts.summary == one.summary
    assert parts.summary == "2 af 3 åbne sager har ventet mindst 3 arbejdsdage pr. 12.06.2025."
    assert table_rows(parts.table) == table_rows(one.table)
    assert table_rows(parts.table) == [
        ["E", "Servicedesk", "30.05.2025 11:00", "Assigned to group", "30.05.2025 11:00", "7,6"],
        ["A", "Drift", "03.06.2025 10:00", "State: Work in Progress", "04.06.2025 12:00", "4,5"],
    ]
    assert table_rows(parts.areas) == [["Drift", "1"], ["Servicedesk", "1"]]


def test_a_log_of_no_partitions_lists_no_case() -> None:
    found = find_partitioned_stuck_cases(
        PartitionedLog(()), as_of=AS_OF, min_working_days=0, closing=[]
    )
    assert (found.height, tuple(found.columns)) == (0, STUCK_COLUMNS)
