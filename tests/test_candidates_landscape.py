"""Automation candidates on a small simulated KIT landscape (seed 42): the planted automation
targets of the manifest rank at the top when only the period before the go-lives is measured;
a robot's transactions mark a process as already automated; a draft case round-trips."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rich.console import Console

from app.cli_candidates import _table
from models.store import LogStore
from services.candidates import (
    CandidateOptions,
    CandidateReport,
    _automated,
    find_candidates,
    read_parameters,
)
from tests.cli_support import run
from tests.conftest import KitLandscape

BEFORE_GO_LIVES = dt.date(2023, 9, 30)  # the first go-live is 2023-10-01


@pytest.fixture(scope="module")
def landscape(kit_landscape: KitLandscape) -> tuple[Path, dict[str, Any]]:
    """The shared simulated landscape (tests/conftest.py) and the manifest of what was planted."""
    return kit_landscape.data_dir, kit_landscape.manifest


def _rank(data: Path, **options: Any) -> CandidateReport:
    store = LogStore(data)
    return find_candidates(store, CandidateOptions(**options), read_parameters())


def _planted(manifest: dict[str, Any]) -> dict[str, set[str]]:
    """Per automation key, the ids of its rows: time activity, catalog items or category."""
    ids: dict[str, set[str]] = {}
    for auto in manifest["effects"]["automations"]:
        rows = {f"time-registration:{auto['time_registration']['aktivitet']}"}
        work = auto["servicenow"]
        if work["table"] == "incident":
            rows.add(f"servicenow-incidents:{work['category']}")
        else:
            rows |= {f"servicenow-orders:{name}" for name in work["cat_item_names"]}
        ids[auto["key"]] = rows
    return ids


def _row_of(report: CandidateReport, member: str) -> Any:
    """The ranked row (a process, its sources merged) that holds the source row ``member``."""
    return next(
        s for s in report.scores if member in (s.measures.members or (s.measures.candidate_id,))
    )


def test_planted_targets_rank_first_each_one_row_before_their_go_lives(
    landscape: tuple[Path, dict[str, Any]],
) -> None:
    data, manifest = landscape
    report = _rank(data, until=BEFORE_GO_LIVES)
    assert report.period_end == BEFORE_GO_LIVES
    assert all(s.status == "candidate" for s in report.scores)
    planted = _planted(manifest)
    ranked = [s.measures.candidate_id for s in report.scores]
    # Each planted automation is one process: its activity, catalog items or incident category
    # merged into one row (no source row of it is listed twice), and the five rank first.
    rows = {key: _row_of(report, next(iter(ids))) for key, ids in planted.items()}
    for key, ids in planted.items():
        assert set(rows[key].measures.members) == ids, key
    assert {r.rank for r in rows.values()} == {1, 2, 3, 4, 5}
    assert len(ranked) == len(set(ranked))
    # Ledelsestilsyn, the proposal's biggest share (50 %), is the top candidate.
    assert ranked[0] == "time-registration:Ledelsestilsyn"
    assert rows["ledelsestilsyn"].net_savings_tkr > 0


def test_registered_hours_of_a_planted_target_match_the_manifest(
    landscape: tuple[Path, dict[str, Any]],
) -> None:
    data, manifest = landscape
    report = _rank(data, since=dt.date(2023, 1, 1), until=BEFORE_GO_LIVES)
    by_id = {s.measures.candidate_id: s for s in report.scores}
    auto = next(a for a in manifest["effects"]["automations"] if a["key"] == "ledelsestilsyn")
    months = [f"2023-{m:02d}" for m in range(1, 10)]
    expected = sum(auto["time_registration"]["hours_by_month"].get(m, 0.0) for m in months)
    row = by_id["time-registration:Ledelsestilsyn"]
    assert row.measures.handling_hours == pytest.approx(expected)
    assert row.measures.hours_basis == "registered"
    # The period is the data's own inside --since/--until: the first booking is 2023-01-02.
    assert dict((n, (f, t)) for n, f, t in report.periods)["time registration"] == (
        dt.date(2023, 1, 2),
        BEFORE_GO_LIVES,
    )
    years = 272 / 365.25  # 2023-01-02 to 2023-09-30
    assert row.hours_per_year == pytest.approx(expected / years)
    assert "Ledelsestilsyn (servicenow-orders + time registration)" in row.explanation


def test_robot_transactions_mark_a_process_as_already_automated(
    landscape: tuple[Path, dict[str, Any]],
) -> None:
    data, manifest = landscape
    report = _rank(data, since=dt.date(2024, 1, 1), until=dt.date(2024, 6, 30))
    done = {
        member: s
        for s in report.scores
        if s.status == "already automated"
        for member in (s.measures.members or (s.measures.candidate_id,))
    }
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    live = [a for a in manifest["effects"]["automations"] if a["go_live"] < "2024-07"]
    assert [a["key"] for a in live] == ["ledelsestilsyn", "indsigtsanmodninger", "journalisering"]
    for auto in live:
        (item,) = auto["servicenow"]["cat_item_names"]
        automated = done[f"servicenow-orders:{item}"].measures.automated
        assert automated is not None
        robot = auto["robot"]
        transactions = sum(robot["transactions_by_month"].get(m, 0) for m in months)
        successful = sum(robot["successful_by_month"].get(m, 0) for m in months)
        assert automated.robot_process == auto["process_name"]
        assert automated.robot_transactions == transactions
        assert automated.realised_share == pytest.approx(successful / transactions)
        # Hours after go-live are booked on the exceptions only; the activity is still
        # measured against all the robot's transactions, as the orders are.
        aktivitet = auto["time_registration"]["aktivitet"]
        if _employees_in_first_half(data, aktivitet) < 5:
            # Ledelsestilsyn's exceptions were booked by 3 employees in the period: the
            # 5-person rule withholds the activity (alone among the small ones).
            assert aktivitet == "Ledelsestilsyn"
            assert _employees_in_first_half(data, aktivitet) == 3
            ranked = {s.measures.candidate_id for s in report.scores}
            assert not any(i.startswith("time-registration:") and "Ledelse" in i for i in ranked)
            continue
        # The activity is merged into the orders' row (its hours, the orders' volume).
        row = done[f"time-registration:{aktivitet}"]
        assert row is done[f"servicenow-orders:{item}"]
        assert dict(row.measures.factor_sources)["hours"] == "time registration"
        assert row.measures.automated.run_mode == "unattended"
    assert all(s.rank == 0 for s in done.values())
    assert not any("Standard requests" in i or "Simple sager" in i for i in done)


def _employees_in_first_half(data: Path, aktivitet: str) -> int:
    """Distinct employees who booked hours on the activity in the first half of 2024."""
    hours = pl.read_parquet(data / "03_primary" / "time-registration" / "hours.parquet")
    half = pl.col("date").is_between(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    booked = hours.filter(pl.col("activity") == aktivitet, half)
    return int(booked["employee"].n_unique())


def _indsigt_cases(data: Path) -> pl.Series:
    staged = data / "02_intermediate" / "servicenow"
    items = pl.read_parquet(staged / "sc_cat_item.parquet").filter(
        pl.col("name") == "Indsigtsanmodning"
    )
    ritm = pl.read_parquet(staged / "sc_req_item.parquet")
    return ritm.filter(pl.col("cat_item").is_in(items["sys_id"].implode()))["number"]


def test_cli_json_and_draft_case_round_trip(
    landscape: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = landscape
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    ranking = json.loads(run("candidates", "--until", "2023-09-30", "--json"))
    top = ranking["candidates"][0]
    assert top["rank"] == 1
    assert ranking["parameters"]["kroner_per_aarsvaerk"] == 663000.0
    assert ranking["parameters"]["hours_per_aarsvaerk"] == 1924.0
    assert top["explanation"].startswith(f"{top['label']} (")
    draft = tmp_path / "draft.yaml"
    run("candidates", "--until", "2023-09-30", "--draft-case", top["id"], "--out", str(draft))
    evaluated = json.loads(run("case", "evaluate", str(draft), "--json"))
    assert evaluated["title"] == f"Automatisering af {top['label']}"
    saving = round(top["savings_tkr"])
    text = draft.read_text("utf-8")
    assert f"      2025: {-saving}" in text  # development in 2024, savings from 2025
    assert "      2024: 1000" in text
    # The draft comes with follow-up bindings, so it can be followed up at once.
    followup = json.loads(run("followup", "--case", str(draft), "--as-of", "2026-01-01", "--json"))
    (target,) = followup["targets"]
    assert (target["metrics"], target["deadline"]) == ("realised_savings", "2025-12-31")
    (solution,) = followup["savings"]["solutions"]
    assert (solution["name"], solution["go_live"]) == (evaluated["title"], "2025-01-01")


def test_a_robot_on_other_cases_does_not_make_a_process_automated() -> None:
    # The robot handles group B's cases (9 successes) and once failed on A0; process A's ten
    # cases are all manual. The activity-level reading counts all the robot's transactions.
    day = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    robots = pl.DataFrame(
        {
            "reference": [f"B{i}" for i in range(9)] + ["A0"],
            "process_name": ["KIT_Robot"] * 10,
            "status": ["Successful"] * 9 + ["Failed"],
            "start": [day] * 10,
        }
    )
    cases = pl.DataFrame({"reference": [f"A{i}" for i in range(10)], "day": [day.date()] * 10})
    own = _automated(robots, cases)
    assert own is not None
    assert (own.robot_transactions, own.realised_share, own.go_live) == (1, 0.0, "2024-03-01")
    every = _automated(robots, cases, all_runs=True)
    assert every is not None
    assert (every.robot_transactions, every.realised_share) == (10, 9 / 19)


@pytest.fixture(scope="module")
def with_public_log(
    landscape: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the landscape with a small public-style log from 2010 stored beside it."""
    data, _ = landscape
    root = tmp_path_factory.mktemp("candidates") / "data"
    shutil.copytree(data, root, ignore=shutil.ignore_patterns("01_raw"))
    old = root.parent / "old.csv"
    old.write_text(
        "case_id,activity,timestamp\n"
        + "".join(
            f"c{i},Register,2010-0{1 + i % 9}-04T09:00:00\n"
            f"c{i},Close,2010-0{1 + i % 9}-05T09:00:00\n"
            for i in range(20)
        ),
        "utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KITFLOW_DATA_DIR", str(root))
        patch.delenv("KITFLOW_DATABASE_URL", raising=False)
        run("import", str(old), "--name", "public-2010")
    return root


def test_the_default_period_is_each_sources_own_not_the_union_with_a_public_log(
    with_public_log: Path, landscape: tuple[Path, dict[str, Any]]
) -> None:
    _, manifest = landscape
    report = _rank(with_public_log, until=BEFORE_GO_LIVES)
    periods = {name: (first, last) for name, first, last in report.periods}
    assert periods["public-2010"] == (dt.date(2010, 1, 4), dt.date(2010, 9, 4))
    assert periods["time registration"] == (dt.date(2023, 1, 2), BEFORE_GO_LIVES)
    assert report.period_start == dt.date(2010, 1, 4)
    top = report.scores[0]
    assert top.measures.candidate_id == "time-registration:Ledelsestilsyn"
    auto = next(a for a in manifest["effects"]["automations"] if a["key"] == "ledelsestilsyn")
    booked = sum(
        hours
        for month, hours in auto["time_registration"]["hours_by_month"].items()
        if month <= "2023-09"
    )
    # All its hours before go-live, over 2023-01-02 to 2023-09-30 (not from 2010).
    assert top.hours_per_year == pytest.approx(booked / (272 / 365.25))
    assert round(top.hours_per_year) == 290
    assert top.net_savings_tkr > 0
    assert dict(top.measures.factor_sources) == {
        "volume": "servicenow-orders", "shape": "servicenow-orders", "hours": "time registration",
    }  # fmt: skip
    public = next(s for s in report.scores if s.measures.candidate_id.startswith("public-2010"))
    assert public.measures.period == ("2010-01-04", "2010-09-04")
    assert public.cases_per_year == pytest.approx(20 / (244 / 365.25))


def test_criticality_weighs_the_ranking_and_is_kept_in_the_data_folder(
    with_public_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(with_public_log))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    before = _rank(with_public_log, until=BEFORE_GO_LIVES)
    assert [s.measures.label for s in before.scores[:2]] == [
        "Ledelsestilsyn", "Indsigtsanmodninger",
    ]  # fmt: skip
    second = before.scores[1]
    assert second.net_savings_tkr < 0  # a loss is not lifted by a weight
    printed = run(
        "candidates", "--until", "2023-09-30", "--criticality", "ledelsestilsyn=2,5", "--top", "3"
    )
    assert "Criticality of 'ledelsestilsyn' set to 2,5." in printed
    stored = json.loads((with_public_log / "candidates" / "criticality.json").read_text("utf-8"))
    assert stored == {"ledelsestilsyn": 2.5}
    after = _rank(with_public_log, until=BEFORE_GO_LIVES)
    top = after.scores[0]
    assert top.measures.criticality == 2.5
    assert top.priority_tkr == pytest.approx(top.net_savings_tkr * 2.5)
    assert f"ranked by net x criticality = {round(top.priority_tkr)} t.kr." in top.explanation
    # Danish numbers in the table: decimals with a comma, thousands with a point.
    console = Console(width=250, record=True)
    console.print(_table(after, 6))
    lines = {line.split("│")[2].strip(): line for line in console.export_text().splitlines()
             if line.count("│") > 3}  # fmt: skip
    cells = [c.strip() for c in lines["Ledelsestilsyn"].split("│")[1:-1]]
    assert cells == [
        "1", "Ledelsestilsyn", "servicenow-orders + time registration", "290",
        f"{top.suitability:.2f}".replace(".", ","), "2,5", f"{top.aarsvaerk:.2f}".replace(".", ","),
        f"{top.net_savings_tkr:.0f}", f"{top.payback_years:.1f}".replace(".", ","),
    ]  # fmt: skip
    incidents = [c.strip() for c in lines["Incidenthåndtering"].split("│")[1:-1]]
    hours = round(next(s for s in after.scores if s.measures.label == "Incidenthåndtering")
                  .hours_per_year)  # fmt: skip
    assert hours > 1000 and incidents[3] == f"{hours:,}".replace(",", ".")
    run("candidates", "--until", "2023-09-30", "--criticality", "Ledelsestilsyn=1")
    assert json.loads((with_public_log / "candidates" / "criticality.json").read_text()) == {}
