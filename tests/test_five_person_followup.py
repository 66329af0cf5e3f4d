"""The 5-person rule in the follow-up's figures: the robot users per month count people only
(not the robot accounts, not runs without a user), and the SAFe practice per service area
merges the areas whose Features and Stories name fewer than 5 people (left out when fewer
than 5 together). Tiny hand-made tables, 4 people against 5.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from app.evidence import describe
from extractors import Pseudonymiser
from models.datafolder import DataFolder
from models.followup import Fact, FewerThan, Month, Number
from services.benefits import CaseInputs, load_case_inputs
from services.followup import evaluate_followup

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AUTOMATION = CASES / "automation-solutions.yaml"
SOLUTION = "Automatisering af ledelsestilsyn"
KEY = "five-person-followup-key-0123456789"
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def bind(tmp_path: Path, metric: str) -> CaseInputs:
    """The automation case with its row 1 bound to ``metric``; robot account ``svc_robot``."""
    bindings = tmp_path / "automation-solutions.followup.yaml"
    bindings.write_text(
        "case: automation-solutions.yaml\nrobot_accounts: [svc_robot]\nsolutions:\n"
        f"  - {{name: {SOLUTION}, go_live: 2024-01-01, robot_process: P, manual_minutes: 30}}\n"
        f"targets:\n  - {{follow_up: 1, metric: {metric}, solution: {SOLUTION}}}\n",
        encoding="utf-8",
    )
    return load_case_inputs(AUTOMATION, tmp_path / "data", bindings)


def values(facts: tuple[Fact, ...], key: str, *names: str) -> list[tuple[object, ...]]:
    """The named values of the facts with ``key``: months as YYYY-MM, numbers as floats."""

    def plain(value: object) -> object:
        if isinstance(value, Month):
            return value.day.isoformat()[:7]
        return value.value if isinstance(value, Number) else value

    return [tuple(plain(f.values[n]) for n in names) for f in facts if f.key == key]


# --- robot users per month ---------------------------------------------------------------------


@pytest.fixture
def robot_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CaseInputs:
    """Robot P: 3 transactions in March and in April 2024. March's runs: 4 people, the robot
    account and a run without a user; April's: 5 people and the robot account."""
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    data = DataFolder.from_env(tmp_path / "data")
    data.robots_folder().mkdir(parents=True, exist_ok=True)
    starts = [at(f"2024-{m:02}-{d:02} 09:00") for m in (3, 4) for d in (4, 5, 6)]
    pl.DataFrame(
        {"process_name": ["P"] * 6, "start": starts, "end": starts, "status": ["success"] * 6,
         "reference": [f"R{i}" for i in range(6)]}
    ).write_parquet(data.robot_transactions())  # fmt: skip
    robot = Pseudonymiser(KEY.encode())("svc_robot")
    march = [f"u{i}" for i in range(4)] + [robot, None]
    april = [f"u{i}" for i in range(5)] + [robot]
    pl.DataFrame(
        {
            "process_name": ["P"] * 12,
            "start": [at(f"2024-03-{4 + i:02} 10:00") for i in range(6)]
            + [at(f"2024-04-{4 + i:02} 10:00") for i in range(6)],
            "robot_user": march + april,
        }
    ).write_parquet(data.robot_runs())
    return bind(tmp_path, "robot_usage")


def test_robot_users_are_people_and_4_of_them_are_withheld(robot_case: CaseInputs) -> None:
    evidence = evaluate_followup(robot_case, as_of=dt.date(2024, 4, 30)).targets[0].evidence
    usage = values(evidence, "evidence.usage_month", "month", "transactions", "users")
    # Counting the robot account (and the run without a user) March would read 6, April 6.
    assert usage == [("2024-03", 3, FewerThan(5)), ("2024-04", 3, 5)]
    march = next(f for f in evidence if f.key == "evidence.usage_month")
    assert describe((march,), "da") == "marts 2024: 3 transaktioner, antal brugere under 5"


# --- SAFe practice per service area ------------------------------------------------------------


def devops_case(tmp_path: Path, small_people: int) -> CaseInputs:
    """Service area Big: item 1 (keeps every rule) and 2 (at the project root), by p0-p4.
    Small: item 3 (keeps every rule), by q0-q<small_people - 1>. Tiny: item 4 (a Feature
    without an Epic), by r0. Small and Tiny together: small_people + 1 people."""
    data = DataFolder.from_env(tmp_path / "data")
    items = [
        (1, "Feature", "KIT\\Big", "KIT\\PI 1", 7),
        (2, "User Story", "KIT\\Big", "KIT", 1),
        (3, "User Story", "KIT\\Small", "KIT\\PI 1", 1),
        (4, "Feature", "KIT\\Tiny", "KIT\\PI 1", None),
    ]
    workitems = pl.DataFrame(
        items, schema=["id", "work_item_type", "area_path", "iteration_path", "parent"],
        orient="row",
    ).with_columns(created_date=pl.lit(at("2024-01-10 09:00")))  # fmt: skip
    people = {1: [f"p{i}" for i in range(5)], 2: ["p0"], 3: [f"q{i}" for i in range(small_people)],
              4: ["r0"]}  # fmt: skip
    rows = []
    for item, kind, area, iteration, parent in items:
        for rev, person in enumerate(people[item], start=1):
            changed = at(f"2024-02-{rev:02} 09:00")
            rows.append((item, rev, kind, "Active", area, iteration, parent, changed, person))
    revisions = pl.DataFrame(
        rows,
        schema=["id", "rev", "work_item_type", "state", "area_path", "iteration_path", "parent",
                "changed_date", "changed_by"],
        orient="row",
    ).with_columns(
        created_by=pl.col("changed_by"), assigned_to=pl.lit(None, dtype=pl.String)
    )  # fmt: skip
    for name, frame in (("workitems", workitems), ("revisions", revisions)):
        path = data.staged_table("azure-devops", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
    return bind(tmp_path, "devops_practice")


def devops_evidence(inputs: CaseInputs) -> tuple[Fact, ...]:
    return evaluate_followup(inputs, as_of=dt.date(2024, 3, 31)).targets[0].evidence


def test_service_areas_of_5_people_together_are_merged(tmp_path: Path) -> None:
    evidence = devops_evidence(devops_case(tmp_path, small_people=4))
    assert values(evidence, "evidence.devops_area", "area", "items", "pct") == [("Big", 2, 50.0)]
    assert values(evidence, "evidence.devops_other", "count", "items", "pct") == [(2, 2, 50.0)]
    assert [f.key for f in evidence if f.key.startswith("evidence.devops")] == [
        "evidence.devops_area",
        "evidence.devops_other",
    ]
    other = [f for f in evidence if f.key == "evidence.devops_other"]
    assert describe(tuple(other), "da") == (
        "Øvrige (2 serviceområder med under 5 personer, slået sammen): 50,0 % af 2 Features "
        "og Stories bryder en SAFe-regel"
    )


def test_service_areas_of_4_people_together_are_left_out(tmp_path: Path) -> None:
    row = evaluate_followup(devops_case(tmp_path, small_people=3), as_of=dt.date(2024, 3, 31))
    evidence = row.targets[0].evidence
    assert values(evidence, "evidence.devops_area", "area", "items", "pct") == [("Big", 2, 50.0)]
    assert values(evidence, "evidence.devops_other", "count") == []
    withheld = [f for f in evidence if f.key == "evidence.devops_withheld"]
    assert describe(tuple(withheld), "en") == (
        "2 service areas with fewer than 5 people (even together) are left out (the 5-person rule)"
    )
    assert "Small" not in describe(evidence, "da") and "Tiny" not in describe(evidence, "da")


def test_service_areas_without_people_are_shown_as_they_are(tmp_path: Path) -> None:
    inputs = devops_case(tmp_path, small_people=1)
    data = DataFolder.from_env(tmp_path / "data")
    path = data.staged_table("azure-devops", "revisions")
    pl.read_parquet(path).drop("changed_by", "created_by", "assigned_to").write_parquet(path)
    evidence = devops_evidence(inputs)
    assert values(evidence, "evidence.devops_area", "area", "items", "pct") == [
        ("Big", 2, 50.0),
        ("Small", 1, 0.0),
        ("Tiny", 1, 100.0),
    ]
