"""Rule checks on tiny hand-made logs: exact per-case, per-org-unit and per-month results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_conformance import register
from extractors.files import ReadOptions
from mining import WITHHELD_GROUP
from mining.rules import Rule, build_rule, check_rules, read_rules, summarize_rule_results
from models.errors import InputError
from models.store import LogStore
from services.imports import import_log

EXAMPLE_RULES = Path(__file__).resolve().parents[1] / "docs" / "examples" / "rules.yaml"


def make_log(rows: list[tuple[str, str, str, dict[str, Any]]]) -> pl.DataFrame:
    """A canonical log from (case, activity, UTC time 'YYYY-MM-DD HH:MM', attributes) rows."""
    attributes = sorted({key for *_, extra in rows for key in extra})
    frame = pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [dt.datetime.fromisoformat(r[2]).replace(tzinfo=dt.UTC) for r in rows],
            **{key: [r[3].get(key) for r in rows] for key in attributes},
        }
    ).with_columns(
        pl.col("activity").cast(pl.Categorical),
        pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
    )
    return (
        frame.with_row_index("event_order")
        .with_columns(pl.col("event_order").cast(pl.UInt64))
        .sort("case_id", "timestamp", "event_order")
    )


def rule(**fields: Any) -> Rule:
    return build_rule({"id": "r", **fields})


def per_case(events: pl.DataFrame, the_rule: Rule) -> dict[str, tuple[bool, int]]:
    """case -> (applies, violations)."""
    results = check_rules(events, (the_rule,))
    return {r["case_id"]: (r["applies"], r["violations"]) for r in results.iter_rows(named=True)}


# ----------------------------------------------------------------------- one test per kind


def test_parent_type_checks_features_only() -> None:
    w, p = "case:work_item_type", "case:parent_type"
    events = make_log(
        [
            ("f1", "New", "2024-01-10 08:00", {w: "Feature", p: "Epic"}),
            ("f2", "New", "2024-01-10 08:00", {w: "Feature", p: "Feature"}),
            ("f3", "New", "2024-01-10 08:00", {w: "Feature", p: None}),
            ("s1", "New", "2024-01-10 08:00", {w: "User Story", p: None}),
        ]
    )
    the_rule = rule(kind="parent_type", values=["Epic"], when={"column": w, "values": ["Feature"]})
    assert the_rule.column == "case:parent_type"
    assert per_case(events, the_rule) == {
        "f1": (True, 0),
        "f2": (True, 1),
        "f3": (True, 1),
        "s1": (False, 0),
    }


def test_attribute_present() -> None:
    events = make_log(
        [
            ("a", "New", "2024-01-10 08:00", {"case:parent_id": "E1"}),
            ("b", "New", "2024-01-10 08:00", {"case:parent_id": None}),
        ]
    )
    assert per_case(events, rule(kind="attribute_present", column="case:parent_id")) == {
        "a": (True, 0),
        "b": (True, 1),
    }


def test_attribute_not_in_counts_each_event_at_the_root() -> None:
    events = make_log(
        [
            ("a", "New", "2024-01-10 08:00", {"area_path": "KIT\\Team A"}),
            ("a", "Active", "2024-01-11 08:00", {"area_path": "KIT"}),
            ("a", "Closed", "2024-01-12 08:00", {"area_path": "KIT"}),
            ("b", "New", "2024-01-10 08:00", {"area_path": "KIT\\Team B"}),
        ]
    )
    the_rule = rule(kind="attribute_not_in", column="area_path", values=["KIT"])
    assert per_case(events, the_rule) == {"a": (True, 2), "b": (True, 0)}


def test_required_between_new_closed_via_active() -> None:
    events = make_log(
        [
            # fine: New, Active, Closed
            ("ok", "New", "2024-01-10 08:00", {}),
            ("ok", "Active", "2024-01-11 08:00", {}),
            ("ok", "Closed", "2024-01-12 08:00", {}),
            # straight from New to Closed
            ("skip", "New", "2024-01-10 08:00", {}),
            ("skip", "Closed", "2024-01-12 08:00", {}),
            # reopened to New after Active, then closed without a new Active
            ("reopen", "New", "2024-01-10 08:00", {}),
            ("reopen", "Active", "2024-01-11 08:00", {}),
            ("reopen", "New", "2024-01-12 08:00", {}),
            ("reopen", "Closed", "2024-01-13 08:00", {}),
            # closed without ever being New: the rule does not speak of it, but Closed is there
            ("nonew", "Active", "2024-01-10 08:00", {}),
            ("nonew", "Closed", "2024-01-11 08:00", {}),
            # never closed
            ("open", "New", "2024-01-10 08:00", {}),
        ]
    )
    the_rule = rule(kind="required_between", source="New", target="Closed", via="Active")
    assert per_case(events, the_rule) == {
        "nonew": (True, 0),
        "ok": (True, 0),
        "open": (False, 0),
        "reopen": (True, 1),
        "skip": (True, 1),
    }


def test_four_eyes_on_approvals() -> None:
    events = make_log(
        [
            ("same", "Request Change", "2024-01-10 08:00", {"resource": "u1"}),
            ("same", "Approve Change", "2024-01-10 09:00", {"resource": "u1"}),
            ("other", "Request Change", "2024-01-10 08:00", {"resource": "u1"}),
            ("other", "Approve Change", "2024-01-10 09:00", {"resource": "u2"}),
            ("unknown", "Request Change", "2024-01-10 08:00", {"resource": None}),
            ("unknown", "Approve Change", "2024-01-10 09:00", {"resource": None}),
            ("twice", "Request Change", "2024-01-10 08:00", {"resource": "u3"}),
            ("twice", "Approve Change", "2024-01-10 09:00", {"resource": "u4"}),
            ("twice", "Approve Change", "2024-01-10 10:00", {"resource": "u3"}),
            ("none", "Request Change", "2024-01-10 08:00", {"resource": "u1"}),
        ]
    )
    the_rule = rule(kind="four_eyes", first="Request Change", second="Approve Change")
    assert per_case(events, the_rule) == {
        "none": (False, 0),
        "other": (True, 0),
        "same": (True, 1),
        "twice": (True, 1),
        "unknown": (True, 0),
    }


def test_response_within_days() -> None:
    events = make_log(
        [
            ("fast", "Resolved", "2024-01-10 08:00", {}),
            ("fast", "Closed", "2024-01-12 08:00", {}),
            ("slow", "Resolved", "2024-01-10 08:00", {}),
            ("slow", "Closed", "2024-01-16 08:00", {}),
            ("never", "Resolved", "2024-01-10 08:00", {}),
            # two resolutions: the first is closed in time by the one Closed, the second not
            ("two", "Resolved", "2024-01-10 08:00", {}),
            ("two", "Closed", "2024-01-11 08:00", {}),
            ("two", "Resolved", "2024-01-12 08:00", {}),
            ("none", "New", "2024-01-10 08:00", {}),
        ]
    )
    within = rule(kind="response_within", source="Resolved", target="Closed", within_days=5)
    assert per_case(events, within) == {
        "fast": (True, 0),
        "never": (True, 1),
        "none": (False, 0),
        "slow": (True, 1),
        "two": (True, 1),
    }
    eventually = rule(kind="response_within", source="Resolved", target="Closed")
    assert per_case(events, eventually)["slow"] == (True, 0)


# ------------------------------------------------------------------- per org unit and month


def test_summaries_per_rule_org_unit_and_month() -> None:
    # c2 starts 31 January 23:30 UTC, which is 1 February in Copenhagen: its month is February.
    events = make_log(
        [
            ("c1", "New", "2024-01-10 08:00", {"org_unit": "Drift"}),
            ("c1", "Closed", "2024-01-12 08:00", {"org_unit": "Udvikling"}),
            ("c2", "New", "2024-01-31 23:30", {"org_unit": "Udvikling"}),
            ("c2", "Active", "2024-02-01 08:00", {"org_unit": "Udvikling"}),
            ("c2", "Closed", "2024-02-02 08:00", {"org_unit": "Udvikling"}),
            ("c3", "New", "2024-02-10 08:00", {"org_unit": "Drift"}),
            ("c3", "Closed", "2024-02-11 08:00", {"org_unit": "Drift"}),
            ("c4", "New", "2024-02-12 08:00", {"org_unit": None}),
        ]
    )
    the_rule = rule(kind="required_between", source="New", target="Closed", via="Active")
    results = check_rules(events, (the_rule,))
    assert results.select("case_id", "org_unit", "month", "passed").rows() == [
        ("c1", "Drift", "2024-01", False),
        ("c2", "Udvikling", "2024-02", True),
        ("c3", "Drift", "2024-02", False),
        ("c4", "(none)", "2024-02", None),
    ]
    columns = ["cases", "violating_cases", "violations", "compliance_pct"]
    by_rule = summarize_rule_results(results, level="rule")
    assert by_rule.select("rule", *columns).rows() == [("r", 3, 2, 2, 100.0 / 3)]
    by_org = summarize_rule_results(results, level="org_unit")
    assert by_org.select("org_unit", *columns).rows() == [
        ("(none)", 0, 0, 0, None),
        ("Drift", 2, 2, 2, 0.0),
        ("Udvikling", 1, 0, 0, 100.0),
    ]
    by_month = summarize_rule_results(results, level="month")
    assert by_month.select("month", *columns).rows() == [
        ("2024-01", 1, 1, 1, 0.0),
        ("2024-02", 2, 1, 1, 50.0),
    ]


def test_a_month_whose_cases_show_fewer_than_5_people_is_withheld() -> None:
    """January's cases name 5 people, February's 4: February's figures would describe them."""
    rows: list[tuple[str, str, str, dict[str, Any]]] = []
    for month, people in (("01", 5), ("02", 4)):
        for i in range(people):
            extra = {"org_unit": "Drift", "resource": f"p{month}{i}"}
            rows += [(f"c{month}{i}", "New", f"2024-{month}-10 08:00", extra)]
            rows += [(f"c{month}{i}", "Closed", f"2024-{month}-11 08:00", extra)]
    the_rule = rule(kind="required_between", source="New", target="Closed", via="Active")
    results = check_rules(make_log(rows), (the_rule,))
    assert sorted(set(results["month"].to_list())) == ["2024-01", WITHHELD_GROUP]
    by_month = summarize_rule_results(results, level="month")
    assert by_month.select("month", "cases", "violating_cases").rows() == [("2024-01", 5, 5)]


def test_org_units_of_fewer_than_5_people_are_merged_or_withheld() -> None:
    """Drift has 5 people, Test 2 and Support 3 (together 5: "Other"); on its own a unit of 3
    people or fewer (Support alone) is withheld: its row is left out of the summary."""
    rows: list[tuple[str, str, str, dict[str, Any]]] = []
    staff = {"Drift": 5, "Test": 2, "Support": 3}
    for unit, size in staff.items():
        for i in range(size):
            case = f"{unit}-{i}"
            extra = {"org_unit": unit, "resource": f"{unit}{i}"}
            rows += [(case, "New", "2024-01-10 08:00", extra)]
            rows += [(case, "Closed", "2024-01-11 08:00", extra)] if i % 2 else []
    the_rule = rule(kind="attribute_present", column="resource")
    results = check_rules(make_log(rows), (the_rule,))
    assert results["org_unit"].value_counts(sort=True).rows() == [
        ("Drift", 5),
        ("Other (fewer than 5 people)", 5),
    ]
    by_org = summarize_rule_results(results, level="org_unit")
    assert by_org.select("org_unit", "cases").rows() == [
        ("Drift", 5),
        ("Other (fewer than 5 people)", 5),
    ]
    alone = [r for r in rows if r[3]["org_unit"] == "Support"]
    small = check_rules(make_log(alone), (the_rule,))
    assert small["org_unit"].unique().to_list() == ["Withheld (fewer than 5 people)"]
    assert summarize_rule_results(small, level="org_unit").height == 0
    assert summarize_rule_results(small, level="rule")["cases"].to_list() == [3]


def test_several_rules_give_one_row_per_rule_and_case() -> None:
    events = make_log(
        [
            ("a", "New", "2024-01-10 08:00", {"resource": "u1"}),
            ("a", "Closed", "2024-01-11 08:00", {"resource": "u1"}),
        ]
    )
    rules = (
        build_rule({"id": "b-rule", "kind": "attribute_present", "column": "resource"}),
        build_rule(
            {
                "id": "a-rule",
                "kind": "required_between",
                "source": "New",
                "target": "Closed",
                "via": "Active",
            }
        ),
    )
    results = check_rules(events, rules)
    assert results.select("rule", "case_id", "passed").rows() == [
        ("a-rule", "a", False),
        ("b-rule", "a", True),
    ]
    assert check_rules(events, ()).height == 0


# ----------------------------------------------------------------------------- YAML and errors


def test_the_example_rules_file_reads() -> None:
    rules = read_rules(EXAMPLE_RULES)
    assert [r.kind for r in rules] == [
        "parent_type",
        "attribute_present",
        "required_between",
        "attribute_not_in",
        "four_eyes",
        "response_within",
    ]
    assert rules[0].when is not None and rules[0].when.values == ("Feature",)
    assert rules[-1].within_days == 5.0


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"kind": "four_eyes"}, "give the rule an 'id'"),
        ({"id": "x", "kind": "nope"}, "kind 'nope' is not one of"),
        ({"id": "x", "kind": "four_eyes", "first": "A"}, "needs second"),
        ({"id": "x", "kind": "attribute_present", "column": "c", "colour": 1}, "unknown key"),
        (
            {
                "id": "x",
                "kind": "response_within",
                "source": "A",
                "target": "B",
                "within_days": "soon",
            },
            "within_days must be a number",
        ),
        ({"id": "x", "kind": "attribute_present", "column": "c", "when": "Feature"}, "'when'"),
    ],
)
def test_bad_rules_say_what_to_fix(item: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_rule(item)


def test_bad_files_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("checks: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="top-level 'rules:' list"):
        read_rules(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "rules:\n  - {id: a, kind: attribute_present, column: x}\n"
        "  - {id: a, kind: attribute_present, column: y}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="repeated: a"):
        read_rules(twice)
    events = make_log([("a", "New", "2024-01-10 08:00", {})])
    with pytest.raises(InputError, match="reads column 'area_path'"):
        check_rules(events, (rule(kind="attribute_not_in", column="area_path", values=["KIT"]),))


# -------------------------------------------------------------------------------------- CLI


def test_cli_rules_json_per_org_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "tickets.csv"
    source.write_text(
        "case_id,activity,timestamp,resource,org_unit\n"
        "t1,Request Change,2024-03-01T08:00:00+00:00,u1,Drift\n"
        "t1,Approve Change,2024-03-01T09:00:00+00:00,u1,Drift\n"
        "t2,Request Change,2024-03-02T08:00:00+00:00,u1,Drift\n"
        "t2,Approve Change,2024-03-02T09:00:00+00:00,u2,Drift\n"
        "t3,Request Change,2024-04-02T08:00:00+00:00,u6,Udvikling\n"
        "t3,Approve Change,2024-04-02T09:00:00+00:00,u7,Udvikling\n"
        "t4,Request Change,2024-03-03T08:00:00+00:00,u3,Drift\n"
        "t4,Approve Change,2024-03-03T09:00:00+00:00,u4,Drift\n"
        "t5,Request Change,2024-03-04T08:00:00+00:00,u5,Drift\n"
        "t5,Approve Change,2024-03-04T09:00:00+00:00,u3,Drift\n"
        "t6,Request Change,2024-04-03T08:00:00+00:00,u8,Test\n"
        "t6,Approve Change,2024-04-03T09:00:00+00:00,u9,Test\n"
        "t7,Request Change,2024-04-04T08:00:00+00:00,u10,Test\n"
        "t7,Approve Change,2024-04-04T09:00:00+00:00,u8,Test\n",
        encoding="utf-8",
    )
    import_log(LogStore(), source, name="tickets", options=ReadOptions())
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - {id: four-eyes, kind: four_eyes, first: Request Change, "
        "second: Approve Change}\n",
        encoding="utf-8",
    )
    cli = typer.Typer()
    register(cli)
    args = ["rules", "tickets", "--rules", str(rules), "--by", "org_unit", "--cases", "--json"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["rules"] == [{"id": "four-eyes", "kind": "four_eyes", "description": ""}]
    assert report["summary"] == [
        {
            "rule": "four-eyes",
            "org_unit": "Drift",
            "cases": 4,
            "violating_cases": 1,
            "violations": 1,
            "compliance_pct": 75.0,
        },
        {
            # Udvikling (2 people) and Test (3) merged by the 5-person rule.
            "rule": "four-eyes",
            "org_unit": "Other (fewer than 5 people)",
            "cases": 3,
            "violating_cases": 0,
            "violations": 0,
            "compliance_pct": 100.0,
        },
    ]
    assert report["violating_cases"] == [
        {
            "rule": "four-eyes",
            "case_id": "t1",
            "org_unit": "Drift",
            "month": "2024-03",
            "violations": 1,
        }
    ]
    human = CliRunner().invoke(cli, ["rules", "tickets", "--rules", str(rules), "--by", "month"])
    assert human.exit_code == 0 and "2024-04" in human.stdout
    per_unit = CliRunner().invoke(
        cli, ["rules", "tickets", "--rules", str(rules), "--by", "org_unit"]
    )
    assert per_unit.exit_code == 0, per_unit.output
    assert "Øvrige (under 5 personer)" in per_unit.stdout
    assert "Org units with fewer than 5 people are merged" in per_unit.stdout
