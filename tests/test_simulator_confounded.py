"""The 'confounded' scenario (issue #14): trends, adoption ramp, costly exceptions, registration
noise, freed hours moved to other work and a never-automated comparison process.

Everything is read from the written files, the way an analyst would, and compared with the
planted parameters and the manifest's truth blocks. Tolerances are binomial: a share p measured on
n cases has a standard deviation sqrt(p(1-p)/n); we allow four of them (a false alarm about once
in 16,000 runs, and the run is deterministic anyway, so a pass stays a pass).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from app.cli_demo import register as register_demo
from app.cli_demo_landscape import register
from simulator import simulate
from simulator.effects import AUTOMATIONS, COMPARISON, Confounders
from simulator.world import SEASON

SEED, SCALE = 7, 0.1
CONF = Confounders()
BY_KEY = {a.key: a for a in AUTOMATIONS}
# sha256 of the clean seed-7, scale-0.05 landscape written by the code before the scenarios
# existed (manifest.json without the keys added since, see _landscape_hash).
CLEAN_HASH = "7661e6460fb6180a648205577fea8ae9289e1fa0d77252360c042941aa1bcb0e"
Row = dict[str, Any]


@pytest.fixture(scope="module")
def land(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("confounded")
    simulate(out, seed=SEED, scale=SCALE, scenario="confounded")
    return out


@pytest.fixture(scope="module")
def manifest(land: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((land / "manifest.json").read_text("utf-8"))
    return result


def _pages(folder: Path, key: str) -> list[Row]:
    rows: list[Row] = []
    for page in sorted(folder.glob("*.json")):
        rows.extend(json.loads(page.read_text("utf-8"))[key])
    return rows


@pytest.fixture(scope="module")
def entries(land: Path) -> list[Row]:
    rows: list[Row] = []
    for path in sorted((land / "time-registration").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter=";"):
                rows.append({**row, "hours": float(row["Timer"].replace(",", "."))})
    return rows


@pytest.fixture(scope="module")
def cases(land: Path) -> dict[str, dict[str, str]]:
    """Per process key: case number -> opening time ('YYYY-MM-DD HH:MM:SS')."""
    names = {name: a.key for a in (*AUTOMATIONS, COMPARISON) for name in a.catalog_items}
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for item in _pages(land / "servicenow" / "sc_req_item", "result"):
        key = names.get(item["short_description"])
        if key is not None:
            out[key][item["number"]] = item["opened_at"]
    for inc in _pages(land / "servicenow" / "incident", "result"):
        if inc["category"] == "adgang":
            out["simple_sager"][inc["number"]] = inc["opened_at"]
    return out


@pytest.fixture(scope="module")
def robot(land: Path) -> dict[str, tuple[bool, str]]:
    """Every robot transaction: case reference -> (successful, start time ISO)."""
    out: dict[str, tuple[bool, str]] = {}
    for item in _pages(land / "robots" / "uipath" / "QueueItems", "value"):
        out[item["Reference"]] = (item["Status"] == "Successful", item["StartProcessing"])
    for flow in _pages(land / "robots" / "power-automate" / "flowsessions", "value"):
        out[flow["name"]] = (flow["statuscode"] == 4, flow["startedon"])
    return out


def _quarter_up(hours: float) -> float:
    return math.ceil(round(hours * 4, 6)) / 4


def _shares(cases: dict[str, str], robot: dict[str, Any], go_live: str) -> dict[int, list[int]]:
    """Months since go-live -> [robot transactions, cases opened] (by opening month)."""
    live = int(go_live[:4]) * 12 + int(go_live[5:7])
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for number, opened in cases.items():
        month = int(opened[:4]) * 12 + int(opened[5:7]) - live
        if month >= 0:
            out[month][0] += number in robot
            out[month][1] += 1
    return out


def _pooled(shares: dict[int, list[int]], months: range) -> tuple[float, int]:
    taken = sum(shares[m][0] for m in months if m in shares)
    n = sum(shares[m][1] for m in months if m in shares)
    return taken / n, n


def _within(share: float, p: float, n: int) -> bool:
    return abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n)


# -- demand ---------------------------------------------------------------------------------------


def test_journalisering_demand_follows_season_and_trend_exactly(
    cases: dict[str, dict[str, str]],
) -> None:
    # Planted volumes are exact: each month's expected count, rounded on the running total.
    auto = BY_KEY["journalisering"]
    means = [
        auto.monthly_volume * SCALE * SEASON[i % 12] * (1 + CONF.trend(auto.key)) ** (i / 12)
        for i in range(36)
    ]
    totals = np.floor(np.cumsum(means) + 0.5).astype(int)
    expected = np.diff(np.concatenate([[0], totals])).tolist()
    by_month = Counter(opened[:7] for opened in cases[auto.key].values())
    assert [by_month[m] for m in sorted(by_month)] == expected
    assert expected[-1] < expected[-13]  # shrinking by a quarter a year


# -- adoption -------------------------------------------------------------------------------------


def test_robot_share_ramps_from_a_third_to_the_final_share(
    cases: dict[str, dict[str, str]], robot: dict[str, Any]
) -> None:
    keys = ("journalisering", "standard_requests", "simple_sager")
    shares = {k: _shares(cases[k], robot, BY_KEY[k].go_live) for k in keys}
    # Go-live month, pooled over the three high-volume automations (~180 cases).
    first = [_pooled(shares[k], range(1)) for k in keys]
    taken = sum(s * n for s, n in first)
    n = sum(n for _, n in first)
    assert _within(taken / n, CONF.ramp_start_share, n), (taken / n, n)
    for key in keys:
        final, n = _pooled(shares[key], range(CONF.ramp_months, 60))
        assert _within(final, CONF.final(key), n), (key, final, n)
    mid, _ = _pooled(shares["journalisering"], range(2, 4))
    assert CONF.ramp_start_share < mid < CONF.final("journalisering")


def test_cases_the_robot_left_stay_manual(
    cases: dict[str, dict[str, str]], robot: dict[str, Any], entries: list[Row]
) -> None:
    auto = BY_KEY["ledelsestilsyn"]
    hours = _hours_by_reference(entries)
    left = [
        number
        for number, opened in cases[auto.key].items()
        if opened >= auto.go_live and number not in robot and number in hours
    ]
    assert len(left) >= 3
    assert {hours[number] for number in left} == {_quarter_up(auto.manual_minutes / 60)}


def _hours_by_reference(entries: list[Row]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in entries:
        if row["Sagsreference"]:
            out[row["Sagsreference"]] += row["hours"]
    return out


# -- exceptions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [a.key for a in AUTOMATIONS])
def test_exception_cases_cost_one_and_a_half_manual(
    key: str, cases: dict[str, dict[str, str]], robot: dict[str, Any], entries: list[Row]
) -> None:
    auto = BY_KEY[key]
    hours = _hours_by_reference(entries)
    failed = [n for n in cases[key] if n in robot and not robot[n][0] and n in hours]
    assert failed, key
    expected = _quarter_up(auto.manual_minutes * CONF.exception_cost_factor / 60)
    assert {hours[n] for n in failed} == {expected}


# -- time-registration noise ----------------------------------------------------------------------


def test_every_entry_is_whole_quarter_hours(entries: list[Row]) -> None:
    assert entries
    assert all(round(row["hours"] * 4, 6).is_integer() and row["hours"] > 0 for row in entries)


def test_catch_all_and_moved_hours_are_registered(entries: list[Row]) -> None:
    activities = Counter(row["Aktivitet"] for row in entries)
    assert activities[CONF.catch_all_activity] > 0
    moved = [row for row in entries if row["Aktivitet"] == CONF.moved_activity]
    assert moved and all(row["Sagsreference"] == "" for row in moved)
    cased = [row for row in entries if row["Sagsreference"]]
    share = activities[CONF.catch_all_activity] / len(cased)
    assert _within(share, CONF.catch_all_share, len(cased)), share


def test_about_one_case_in_eight_is_never_registered(
    cases: dict[str, dict[str, str]], entries: list[Row]
) -> None:
    # Manual cases closed before the missing-days shock: only the unregistered share is lost.
    registered = {row["Sagsreference"] for row in entries}
    numbers = [n for n, opened in cases["journalisering"].items() if opened < "2024-05-31"]
    numbers += [n for n, opened in cases[COMPARISON.key].items() if opened < "2024-08-01"]
    missing = sum(n not in registered for n in numbers) / len(numbers)
    assert _within(missing, CONF.unregistered_case_share, len(numbers)), missing


def test_missing_days_thin_the_registration_from_september_2024(
    cases: dict[str, dict[str, str]], entries: list[Row]
) -> None:
    registered = {row["Sagsreference"] for row in entries}
    numbers = cases[COMPARISON.key]
    kept = 1 - CONF.unregistered_case_share
    for lo, hi, p in (
        ("2023-01", "2024-08", kept),
        ("2024-10", "2025-12", kept * (1 - CONF.missing_day_share)),
    ):
        period = [n for n, opened in numbers.items() if lo <= opened[:7] < hi]
        share = sum(n in registered for n in period) / len(period)
        assert _within(share, p, len(period)), (lo, share, len(period))


# -- the comparison process -----------------------------------------------------------------------


def test_comparison_item_is_catalogued_and_never_robotic(
    land: Path, cases: dict[str, dict[str, str]], robot: dict[str, Any], entries: list[Row]
) -> None:
    names = {row["name"] for row in _pages(land / "servicenow" / "sc_cat_item", "result")}
    assert COMPARISON.catalog_items[0] in names
    numbers = cases[COMPARISON.key]
    assert len(numbers) > 500 and not set(numbers) & set(robot)
    hours = {row["hours"] for row in entries if row["Aktivitet"] == COMPARISON.time_category}
    assert hours == {COMPARISON.manual_minutes / 60}


# -- the manifest ---------------------------------------------------------------------------------


def test_manifest_names_the_scenario_and_its_parameters(manifest: dict[str, Any]) -> None:
    scenario = manifest["scenario"]
    assert scenario["name"] == "confounded"
    assert scenario["confounders"]["exception_cost_factor"] == 1.5
    assert scenario["confounders"]["trend_per_year"]["orders"] == -0.15
    comparison = manifest["effects"]["comparison"]
    assert comparison["selector"]["cat_item_name"] == COMPARISON.catalog_items[0]


def test_truth_equals_a_recomputation_from_the_files(
    manifest: dict[str, Any],
    cases: dict[str, dict[str, str]],
    robot: dict[str, Any],
    entries: list[Row],
) -> None:
    auto = BY_KEY["ledelsestilsyn"]
    truth = next(a for a in manifest["effects"]["automations"] if a["key"] == auto.key)["truth"]
    saved: dict[str, float] = defaultdict(float)
    for number in cases[auto.key]:
        if number in robot:
            ok, start = robot[number]
            human = 0 if ok else auto.manual_minutes * CONF.exception_cost_factor
            saved[start[:4]] += (auto.manual_minutes - human) / 60
    assert truth["hours_saved_by_year"] == {y: round(h, 2) for y, h in sorted(saved.items())}
    assert truth["hours_saved"] == round(sum(saved.values()), 2)
    opened = Counter(o[:7] for o in cases[auto.key].values())
    assert truth["cases_by_month"] == dict(sorted(opened.items()))
    shares = _shares(cases[auto.key], robot, auto.go_live)
    assert list(truth["robot_share_by_month"].values()) == [
        round(shares[m][0] / shares[m][1], 4) for m in sorted(shares)
    ]
    assert truth["budget_hours_saved"] == round(
        truth["hours_saved"] - truth["hours_moved_registered"], 2
    )
    moved = sum(row["hours"] for row in entries if row["Aktivitet"] == CONF.moved_activity)
    registered = sum(
        a["truth"]["hours_moved_registered"] for a in manifest["effects"]["automations"]
    )
    assert registered == pytest.approx(moved, abs=0.01 * len(AUTOMATIONS))


def test_integration_truth_counts_orders_from_go_live(land: Path, manifest: dict[str, Any]) -> None:
    integration = manifest["effects"]["integration"]
    orders = [
        item["opened_at"]
        for item in _pages(land / "servicenow" / "sc_req_item", "result")
        if item["short_description"] == integration["orders"]["selector"]["cat_item_name"]
    ]
    after = [o for o in orders if o >= "2023-11-01"]
    # Confounded, a handover costs 0,5 hours: an order after go-live has 1 handover instead of
    # 3 on average (2, 3 or 4 weighted 0,3/0,4/0,3), so it saves 1 hour.
    assert integration["truth"]["coordination_hours_saved"] == 1.0 * len(after)
    by_year = Counter(o[:4] for o in after)
    assert integration["truth"]["by_year"] == {y: 1.0 * c for y, c in sorted(by_year.items())}


# -- clean stays clean, and the CLI ---------------------------------------------------------------


def _strip_new_keys(document: dict[str, Any]) -> dict[str, Any]:
    document.pop("scenario", None)
    effects = document["effects"]
    effects.pop("comparison", None)
    effects["integration"].pop("truth", None)
    for auto in effects["automations"]:
        auto.pop("truth", None)
    return document


def _landscape_hash(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file() and ".spill" not in p.parts):
        rel = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if rel == "manifest.json":
            data = json.dumps(_strip_new_keys(json.loads(data)), sort_keys=True).encode()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def test_clean_scenario_writes_the_same_bytes_as_before(tmp_path: Path) -> None:
    simulate(tmp_path, seed=SEED, scale=0.05)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["scenario"] == {"name": "clean", "confounders": {}}
    assert _landscape_hash(tmp_path) == CLEAN_HASH


def test_cli_simulate_and_demo_take_the_scenario(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    register_demo(app)
    out = tmp_path / "cli"
    args = ["simulate", "--out", str(out), "--scale", "0.02", "--scenario", "confounded"]
    result = CliRunner().invoke(app, [*args, "--start", "2024-01-01", "--end", "2024-12-31"])
    assert result.exit_code == 0, (result.output, result.exception)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["name"] == "confounded"
    assert "--scenario" in CliRunner().invoke(app, ["demo", "--help"]).output
