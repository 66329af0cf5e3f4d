"""How far each source's data reach (services/coverage.py), on tiny hand-made tables and on the
simulated landscape."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from models.datafolder import DataFolder
from models.schema import TIMESTAMP
from services.cockpit import SourceCoverage
from services.coverage import find_source_coverage
from tests.conftest import KitLandscape

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _write(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)


def test_an_empty_data_folder_reaches_nowhere(tmp_path: Path) -> None:
    assert find_source_coverage(DataFolder.from_env(tmp_path)) == (
        SourceCoverage("servicenow", None, None, 0),
        SourceCoverage("azure-devops", None, None, 0),
        SourceCoverage("time-registration", None, None, 0),
        SourceCoverage("robots", None, None, 0),
    )


def test_each_source_reaches_from_its_first_to_its_last_stored_time(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path)
    _write(
        data.staged_table("servicenow", "incident"),
        pl.DataFrame(
            {"opened_at": [at("2024-02-01 08:00"), at("2024-01-05 09:00")],
             "sys_updated_on": [at("2024-03-10 12:00"), at("2024-01-06 10:00")]}
        ),
    )  # fmt: skip
    _write(
        data.staged_table("servicenow", "sc_task"),
        pl.DataFrame({"opened_at": [at("2024-01-03 07:00")], "sys_updated_on": [None]}),
    )
    _write(
        data.staged_table("azure-devops", "revisions"),
        pl.DataFrame({"changed_date": [at("2023-12-01 10:00"), at("2024-04-30 16:00")]}),
    )
    _write(data.hours(), pl.DataFrame({"date": [dt.date(2024, 5, 31), dt.date(2023, 11, 1)]}))
    # The last transaction still runs: no end, so its start is the last time there is.
    _write(
        data.robot_transactions(),
        pl.DataFrame(
            {"start": [at("2024-01-10 10:00"), at("2024-06-30 23:50")],
             "end": [at("2024-01-10 10:05"), None]}
        ),
    )  # fmt: skip
    assert find_source_coverage(data) == (
        SourceCoverage("servicenow", at("2024-01-03 07:00"), at("2024-03-10 12:00"), 3),
        SourceCoverage("azure-devops", at("2023-12-01 10:00"), at("2024-04-30 16:00"), 2),
        SourceCoverage("time-registration", at("2023-11-01 00:00"), at("2024-05-31 00:00"), 2),
        SourceCoverage("robots", at("2024-01-10 10:00"), at("2024-06-30 23:50"), 2),
    )


def test_servicenow_without_staged_tables_reaches_as_far_as_its_stored_logs(
    tmp_path: Path,
) -> None:
    data = DataFolder.from_env(tmp_path)
    times = [at("2024-01-02 08:00"), at("2024-02-03 09:00"), at("2024-02-01 10:00")]
    _write(data.log_table("servicenow-incidents"), pl.DataFrame({TIMESTAMP: times[:2]}))
    _write(data.log_table("servicenow-orders"), pl.DataFrame({TIMESTAMP: times[2:]}))
    assert find_source_coverage(data)[0] == SourceCoverage(
        "servicenow", at("2024-01-02 08:00"), at("2024-02-03 09:00"), 3
    )


def test_the_landscape_reaches_over_its_three_simulated_years(
    kit_landscape: KitLandscape,
) -> None:
    coverage = find_source_coverage(DataFolder.from_env(kit_landscape.data_dir))
    reach = {c.source: (c.first and c.first.date(), c.last and c.last.date()) for c in coverage}
    assert reach == {
        "servicenow": (dt.date(2023, 1, 2), dt.date(2026, 1, 1)),
        "azure-devops": (dt.date(2023, 1, 1), dt.date(2025, 12, 31)),
        "time-registration": (dt.date(2023, 1, 2), dt.date(2025, 12, 31)),
        "robots": (dt.date(2023, 10, 3), dt.date(2025, 12, 31)),
    }
    # The staged incidents, orders and catalog tasks; revisions; hours; transactions.
    assert [c.rows for c in coverage] == [17_065, 6_215, 9_190, 3_230]
