"""The directors' pages' overviews are cached per as-of date and version of every file they
read: a staged table rewritten below ``02_intermediate`` (whose folder's own modification time
does not change) is measured afresh."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from app.dashboard.data import Cockpit, cockpit_input_files, load_cockpit
from models.datafolder import DataFolder
from services.cockpit import CaseOverview, build_overviews
from tests.conftest import KitLandscape

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AS_OF = dt.date(2026, 11, 23)


def _hours(overviews: tuple[CaseOverview, ...]) -> dict[tuple[str, str], float]:
    """Each solution's hours saved per method: the figures the methods tables show."""
    return {
        (solution.name, estimate.method): estimate.hours
        for overview in overviews
        for solution in overview.followup.realisation.solutions
        for estimate in solution.estimates
    }


def _copy(kit_landscape: KitLandscape, tmp_path: Path) -> DataFolder:
    """A data folder of our own (the session's landscape is shared): the landscape and the
    committed cases."""
    root = tmp_path / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    shutil.copytree(CASES, root / "business_cases")
    return DataFolder.from_env(root)


def test_a_rewritten_staged_table_is_measured_again(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    data = _copy(kit_landscape, tmp_path)
    first = _hours(load_cockpit(data, AS_OF).overviews)
    audit = data.staged_table("servicenow", "sys_audit")
    assert audit in cockpit_input_files(data)
    intermediate = data.intermediate().stat().st_mtime_ns
    # Half the audit trail: the process-mining method sees fewer handling times.
    table = pl.read_parquet(audit)
    table.head(table.height // 2).write_parquet(audit)
    assert data.intermediate().stat().st_mtime_ns == intermediate  # what the old key read
    fresh = _hours(build_overviews(data, as_of=AS_OF))
    assert fresh != first
    assert _hours(load_cockpit(data, AS_OF).overviews) == fresh


def test_an_unchanged_folder_is_measured_once_per_date(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    data = _copy(kit_landscape, tmp_path)
    first: Cockpit = load_cockpit(data, AS_OF)
    assert load_cockpit(data, AS_OF).overviews is first.overviews
    other = load_cockpit(data, dt.date(2024, 12, 31))
    assert other.overviews is not first.overviews
    assert other.as_of == dt.date(2024, 12, 31)


def test_the_default_date_is_the_last_day_of_the_data(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    data = _copy(kit_landscape, tmp_path)
    # The last ServiceNow update is 1 January 2026 at 23:37 UTC; the services cut data by
    # the UTC day, so that is the day the data reach (not today, which lies past them).
    found = load_cockpit(data)
    assert found.as_of == dt.date(2026, 1, 1)
    assert {o.as_of for o in found.overviews} == {dt.date(2026, 1, 1)}
