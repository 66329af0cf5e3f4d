"""Realised savings on the confounded landscape (issue #14): the planted truth against what each
method measures when demand trends and seasons, adoption ramps, a robot takes only part of the
cases, exceptions cost more than manual work, time is rounded, unregistered, booked on a
catch-all activity or lost on missing days, and freed hours move to other work.

The primary method (robot run data with the manual minutes mined in ServiceNow) must come within
10 % of each automation's planted saving with a band that covers it; a method more than 20 % off
must carry a disagreement note naming the confounder that fooled it; the integration's
coordination hours must come within 10 % by both time registration and process mining. Two seeds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from models.datafolder import DataFolder, default_database_url
from models.realisation import CaseRealisation
from services.benefits import load_case_inputs, measure_case
from tests.conftest import KitLandscape

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AUTOMATION = CASES / "automation-solutions.yaml"
TASK_MANAGEMENT = CASES / "cross-cutting-task-management.yaml"
SEEDS = (7, 11)
# The automations whose handling takes minutes: rounded up to a quarter hour, the time
# registration shows several times the real time.
SHORT_TASKS = ("journalisering", "standard_requests", "simple_sager")

Landscapes = Callable[[int], KitLandscape]
PRECISION = 0.01  # the manifest states hours with two decimals


def _measure(landscape: KitLandscape, case: Path, data: Path | None = None) -> CaseRealisation:
    return measure_case(load_case_inputs(case, data or landscape.data_dir))


def _planted(landscape: KitLandscape, realisation: CaseRealisation) -> list[tuple[Any, ...]]:
    """(solution, its automation in the manifest, the planted hours saved), in case order."""
    automations = landscape.manifest["effects"]["automations"]
    return [
        (solution, planted, planted["truth"]["hours_saved"])
        for solution, planted in zip(realisation.solutions, automations, strict=True)
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_primary_method_recovers_each_planted_saving_and_its_band_covers_it(
    confounded_landscape: Landscapes, seed: int
) -> None:
    landscape = confounded_landscape(seed)
    assert landscape.manifest["scenario"]["name"] == "confounded"
    for solution, planted, truth in _planted(landscape, _measure(landscape, AUTOMATION)):
        primary = solution.estimate(solution.primary)
        assert solution.primary == "robot", planted["key"]
        assert primary is not None
        assert primary.hours == pytest.approx(truth, rel=0.10), planted["key"]
        low, high = primary.bounds
        assert low - PRECISION <= truth <= high + PRECISION, planted["key"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_method_more_than_20_percent_off_is_named_with_the_confounder_that_fooled_it(
    confounded_landscape: Landscapes, seed: int
) -> None:
    landscape = confounded_landscape(seed)
    for solution, planted, truth in _planted(landscape, _measure(landscape, AUTOMATION)):
        off = {e.method for e in solution.estimates if abs(e.hours / truth - 1) > 0.20}
        noted = {d.method: d.cause.cause if d.cause else None for d in solution.disagreements}
        assert set(noted) == off, planted["key"]
        if planted["key"] in SHORT_TASKS:
            # Minutes rounded up to a quarter hour: the registration shows far more than the
            # handling time mined in ServiceNow, and the note says so.
            assert noted == {"time_registration": "registration_rounded"}, planted["key"]
        else:
            assert noted == {}, planted["key"]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_checks_find_each_planted_confounder(
    confounded_landscape: Landscapes, seed: int
) -> None:
    landscape = confounded_landscape(seed)
    trends = dict(landscape.manifest["scenario"]["confounders"]["trend_per_year"])
    shown = 0
    for solution, planted, _ in _planted(landscape, _measure(landscape, AUTOMATION)):
        checks = {c.cause: c for c in solution.checks}
        if "few_people" in checks:
            # Fewer than 5 people registered the work in a year: the time registration and
            # what it would reveal are withheld (the 5-person rule).
            assert solution.estimate("time_registration") is None, planted["key"]
            assert not {"unregistered_cases", "catch_all"} & set(checks), planted["key"]
            continue
        shown += 1
        for cause in ("unregistered_cases", "catch_all", "registration_shift",
                      "costly_exceptions"):  # fmt: skip
            assert checks[cause].corrected, (planted["key"], cause)
        # Exceptions cost 1,5 times the manual minutes, measured in ServiceNow.
        values = checks["costly_exceptions"].values
        assert values["exception_minutes"] == pytest.approx(1.5 * values["manual_minutes"])
        # Registration fell about 15 % for all work from September 2024 (missing days).
        assert -25 < checks["registration_shift"].values["shift_pct"] < -5, planted["key"]
        trend = trends[planted["key"]]
        if abs(trend) >= 0.25:
            assert checks["demand_change"].values["change_pct"] * trend > 0, planted["key"]
    assert shown >= 4
    standard = _measure(landscape, AUTOMATION).solutions[3]
    share = {c.cause: c for c in standard.checks}["partial_takeover"].values["share_pct"]
    assert 40 < share < 80  # the robot takes 60 % of the standard requests


@pytest.mark.parametrize("seed", SEEDS)
def test_the_integrations_coordination_hours_by_both_methods(
    confounded_landscape: Landscapes, seed: int
) -> None:
    landscape = confounded_landscape(seed)
    truth = landscape.manifest["effects"]["integration"]["truth"]["coordination_hours_saved"]
    (solution,) = _measure(landscape, TASK_MANAGEMENT).solutions
    hours = {e.method: e.hours for e in solution.estimates}
    assert set(hours) == {"time_registration", "process_mining"}
    assert hours["time_registration"] == pytest.approx(truth, rel=0.10)
    assert hours["process_mining"] == pytest.approx(truth, rel=0.10)
    # No service area was left untouched; the comparison is another process.
    assert "indexed by the comparison process Fællesdrev" in solution.estimates[0].basis


def test_capacity_and_budget_are_kept_apart(confounded_landscape: Landscapes) -> None:
    landscape = confounded_landscape(SEEDS[0])
    realisation = _measure(landscape, AUTOMATION)
    moved = realisation.moved_hours
    assert moved is not None
    planted = sum(
        a["truth"]["hours_moved_registered"] for a in landscape.manifest["effects"]["automations"]
    )
    assert sum(moved.values()) == pytest.approx(planted, abs=0.01)
    for year in (2024, 2025):
        capacity = realisation.capacity_hours(year)
        assert capacity is not None
        assert realisation.budget_hours(year) == pytest.approx(capacity - moved[year])


def _naive(hours: pl.DataFrame, activity: str, go_live: str) -> float:
    """The naive before/after: mean registered hours a month before go-live minus each month
    after, summed (no volume, no correction)."""
    monthly = (
        hours.filter(pl.col("activity") == activity)
        .group_by(pl.col("date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("hours").sum())
    )
    first = pl.lit(go_live).str.to_date()
    before = monthly.filter(pl.col("month") < first)["hours"]
    after = monthly.filter(pl.col("month") >= first)["hours"]
    return float(before.mean()) * after.len() - float(after.sum())  # type: ignore[arg-type]


def test_the_confounders_fool_the_naive_before_and_after(
    confounded_landscape: Landscapes,
) -> None:
    landscape = confounded_landscape(SEEDS[0])
    data = DataFolder(landscape.data_dir, default_database_url(landscape.data_dir))
    hours = pl.read_parquet(data.hours())
    fooled = []
    for planted in landscape.manifest["effects"]["automations"]:
        naive = _naive(hours, planted["time_registration"]["aktivitet"], planted["go_live"][:10])
        if abs(naive / planted["truth"]["hours_saved"] - 1) > 0.20:
            fooled.append(planted["key"])
    assert fooled == ["ledelsestilsyn", "indsigtsanmodninger", "journalisering",
                      "standard_requests", "simple_sager"]  # fmt: skip


def test_robot_runs_with_time_registration_alone(
    confounded_landscape: Landscapes, tmp_path: Path
) -> None:
    """A real installation may have robot run data and time registration but no ServiceNow:
    the manual minutes then come from the hours registered per case before go-live."""
    landscape = confounded_landscape(SEEDS[0])
    copy = tmp_path / "data"
    shutil.copytree(landscape.data_dir, copy)
    data = DataFolder(copy, default_database_url(copy))
    shutil.rmtree(data.staged_table("servicenow", "incident").parent)
    realisation = _measure(landscape, AUTOMATION, copy)
    for solution, planted, truth in _planted(landscape, realisation):
        robot = solution.estimate("robot")
        assert robot is not None, planted["key"]
        assert "registered per case reference before go-live" in robot.basis
        causes = {c.cause for c in solution.checks}
        if planted["key"] in SHORT_TASKS:
            # Without ServiceNow nothing shows the real minutes: the rounding is flagged.
            assert "registration_floor" in causes, planted["key"]
            continue
        assert robot.hours == pytest.approx(truth, rel=0.10), planted["key"]
        low, high = robot.bounds
        assert low - PRECISION <= truth <= high + PRECISION, planted["key"]
