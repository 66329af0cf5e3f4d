"""The Gevinster page's measured savings are cached per version of every file the measuring
reads: a staged table rewritten below ``02_intermediate`` (whose folder's own modification
time does not change) is measured afresh."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from app.dashboard.data import list_business_cases, load_followup
from models.datafolder import DataFolder
from services.benefits import load_case_inputs
from services.followup import FollowUpReport, evaluate_followup, followup_input_files
from tests.conftest import KitLandscape

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AS_OF = dt.date(2026, 11, 23)


def _hours(report: FollowUpReport) -> dict[tuple[str, str], float]:
    """Each solution's hours saved per method: the figures the savings table shows."""
    return {
        (solution.name, estimate.method): estimate.hours
        for solution in report.realisation.solutions
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
    case = next(p for p in list_business_cases(data) if p.stem == "automation-solutions")
    first = _hours(load_followup(data, case, AS_OF))
    audit = data.staged_table("servicenow", "sys_audit")
    assert audit in followup_input_files(data, case)
    intermediate = data.intermediate().stat().st_mtime_ns
    # Half the audit trail: the process-mining method sees fewer handling times.
    table = pl.read_parquet(audit)
    table.head(table.height // 2).write_parquet(audit)
    assert data.intermediate().stat().st_mtime_ns == intermediate  # what the old key read
    fresh = _hours(evaluate_followup(load_case_inputs(case, data.root), as_of=AS_OF))
    assert fresh != first
    assert _hours(load_followup(data, case, AS_OF)) == fresh


def test_an_unchanged_folder_is_measured_once(kit_landscape: KitLandscape, tmp_path: Path) -> None:
    data = _copy(kit_landscape, tmp_path)
    case = next(iter(list_business_cases(data)))
    assert load_followup(data, case, AS_OF) is load_followup(data, case, AS_OF)
