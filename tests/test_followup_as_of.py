"""The follow-up as of a date: every metric reads only the data up to the as-of date, each
deadline of a row is judged on its own, and a row is never missed before the period its metric
measures has ended. Tiny hand-made tables with hand-counted answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.evidence import describe
from mining import compare_periods, compute_devops_rule_rates, compute_integration_share
from models.datafolder import DataFolder
from models.followup import Fact, FactValue, FewerThan, Month, Number
from services.benefits import CaseInputs, load_case_inputs
from services.followup import FollowUpReport, evaluate_followup
from tests.conftest import KitLandscape

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- DevOps practice: the items as they stood at the cut ---------------------------------------

WORKITEMS = pl.DataFrame(
    {
        "id": [1, 2, 3],
        "work_item_type": ["Feature", "User Story", "User Story"],
        "area_path": ["KIT\\Drift", "KIT\\Drift", "KIT\\Drift"],
        "iteration_path": ["KIT\\PI 2", "KIT\\PI 1", "KIT"],
        "parent": [7, 1, 1],
        "created_date": [at("2024-01-10 09:00"), at("2024-01-12 09:00"), at("2024-06-01 09:00")],
    }
)
REVISIONS = pl.DataFrame(
    {
        "id": [1, 1, 2, 2, 2, 3],
        "rev": [1, 2, 1, 2, 3, 1],
        "work_item_type": ["Feature", "Feature", "User Story", "User Story", "User Story",
                           "User Story"],
        "state": ["New", "Active", "New", "Closed", "Active", "New"],
        "area_path": ["KIT\\Drift"] * 6,
        "iteration_path": ["KIT", "KIT\\PI 2", "KIT\\PI 1", "KIT\\PI 1", "KIT\\PI 1", "KIT"],
        "parent": [None, 7, 1, 1, 1, 1],
        "changed_date": [at("2024-01-10 09:00"), at("2024-04-02 10:00"), at("2024-01-12 09:00"),
                         at("2024-02-20 10:00"), at("2024-05-03 10:00"), at("2024-06-01 09:00")],
    }
)  # fmt: skip


def test_devops_rules_without_a_cut_read_the_items_as_stored() -> None:
    # Item 3 sits at the project root; items 1 and 2 keep every rule (2 was Active at last).
    rates = compute_devops_rule_rates(WORKITEMS, REVISIONS)
    assert rates.rows() == [("Drift", 3, pytest.approx(100 / 3))]


def test_devops_rules_as_of_a_date_see_the_items_and_revisions_of_then() -> None:
    # On 1 March 2024: item 3 did not exist; item 1 was a Feature without a parent at the
    # project root (its revision 1), item 2 had been closed without ever being Active.
    rates = compute_devops_rule_rates(WORKITEMS, REVISIONS, until=at("2024-03-02 00:00"))
    assert rates.rows() == [("Drift", 2, 100.0)]
    # On 1 May 2024 item 1 had its Epic and iteration; item 2 was still closed unactivated.
    rates = compute_devops_rule_rates(WORKITEMS, REVISIONS, until=at("2024-05-02 00:00"))
    assert rates.rows() == [("Drift", 2, 50.0)]


def test_an_item_without_revisions_before_the_cut_keeps_its_stored_fields() -> None:
    # Its history was not extracted: it counts from its creation with what is stored.
    rates = compute_devops_rule_rates(
        WORKITEMS.filter(pl.col("id") == 1), REVISIONS.filter(pl.col("id") != 1),
        until=at("2024-03-02 00:00"),
    )  # fmt: skip
    assert rates.rows() == [("Drift", 1, 0.0)]


# --- Integration: a link exists from its work item's creation on -------------------------------


def test_an_order_linked_after_the_cut_was_not_linked_at_the_cut() -> None:
    links = pl.DataFrame(
        {
            "item_number": ["R1", "R2", "R3"],
            "linked_by": ["hyperlink_sys_id", "hyperlink_number", "correlation_id"],
            "opened_at": [at("2024-03-04 08:00"), at("2024-03-05 08:00"), at("2024-03-28 08:00")],
            # R3's work item was created 5 days after its order: on 2 April.
            "lag_s": [60, 3_600, 5 * 86_400],
        }
    )
    march = dt.date(2024, 3, 1)
    assert compute_integration_share(links, until=dt.date(2024, 3, 31)).rows() == [
        (march, 2, 1, 50.0, 1_830.0)
    ]
    assert compute_integration_share(links, until=dt.date(2024, 4, 30)).rows() == [
        (march, 3, 2, pytest.approx(200 / 3), 3_600.0)
    ]


# --- Every metric of the follow-up, cut at the as-of date, on the simulated landscape ----------

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AUTOMATION = CASES / "automation-solutions.yaml"
TASK_MANAGEMENT = CASES / "cross-cutting-task-management.yaml"


@pytest.fixture(scope="module")
def task_management(kit_landscape: KitLandscape) -> Callable[[str], FollowUpReport]:
    inputs = load_case_inputs(TASK_MANAGEMENT, kit_landscape.data_dir)
    return cache(lambda day: evaluate_followup(inputs, as_of=dt.date.fromisoformat(day)))


@pytest.fixture(scope="module")
def automation(kit_landscape: KitLandscape) -> Callable[[str], FollowUpReport]:
    inputs = load_case_inputs(AUTOMATION, kit_landscape.data_dir)
    return cache(lambda day: evaluate_followup(inputs, as_of=dt.date.fromisoformat(day)))


def _values(facts: tuple[Fact, ...], key: str, *names: str) -> list[tuple[object, ...]]:
    """The named values of the facts with ``key``, numbers as plain floats."""
    return [tuple(_plain(fact.values[name]) for name in names) for fact in facts if fact.key == key]


def _plain(value: FactValue) -> object:
    if isinstance(value, Month):
        return f"{value.day:%Y-%m}"
    return value.value if isinstance(value, Number) else value


def _judged(report: FollowUpReport, number: int) -> list[tuple[str, str]]:
    return [(j.deadline_text, j.status) for j in report.targets[number - 1].judgements]


def test_devops_practice_counts_the_items_there_were_at_each_deadline_and_as_of_date(
    task_management: Callable[[str], FollowUpReport],
) -> None:
    # Row 1, "Ultimo 2023 og ultimo 2024": every item was counted at every date before
    # (1.552 Features and Stories on this landscape, 5.238 on the full-size demo).
    by_2023 = {"Applikationer": 144, "Digital Udvikling": 223, "Drift og Infrastruktur": 106,
               "Forretningsudvikling": 14, "Servicedesk": 19, "Sikkerhed": 31}  # fmt: skip
    for day, by_2024 in (
        ("2024-03-01", {"Applikationer": 162, "Digital Udvikling": 247,
                        "Drift og Infrastruktur": 128, "Forretningsudvikling": 14,
                        "Servicedesk": 19, "Sikkerhed": 51}),
        ("2024-12-31", {"Applikationer": 290, "Digital Udvikling": 364,
                        "Drift og Infrastruktur": 213, "Forretningsudvikling": 34,
                        "Servicedesk": 28, "Sikkerhed": 115}),
    ):  # fmt: skip
        ultimo_2023, ultimo_2024 = task_management(day).targets[0].judgements
        assert _items_by_area(ultimo_2023.evidence) == by_2023
        assert _items_by_area(ultimo_2024.evidence) == by_2024, day


def _items_by_area(facts: tuple[Fact, ...]) -> dict[object, object]:
    return {area: items for area, items in _values(facts, "evidence.devops_area", "area", "items")}


def test_integration_use_counts_only_the_links_made_by_the_as_of_date(
    task_management: Callable[[str], FollowUpReport],
) -> None:
    # One October order's work item was created in November: on 31 October it was unlinked.
    october = task_management("2023-10-31").targets[1]
    assert _values(october.evidence, "evidence.integration_month", "month", "orders", "pct") == [
        ("2023-08", 10, 0.0), ("2023-09", 12, 0.0), ("2023-10", 11, 0.0),
    ]  # fmt: skip
    assert october.status == "at risk"
    december = task_management("2023-12-31").targets[1]
    assert _values(december.evidence, "evidence.integration_month", "month", "orders", "pct") == [
        ("2023-10", 12, 0.0), ("2023-11", 12, 100.0), ("2023-12", 9, 100.0),
    ]  # fmt: skip
    assert december.status == "met"


def test_handovers_compare_only_the_orders_opened_by_the_as_of_date_or_deadline(
    task_management: Callable[[str], FollowUpReport],
) -> None:
    def cases(day: str) -> list[tuple[object, ...]]:
        facts = task_management(day).targets[2].evidence
        return _values(facts, "evidence.handovers", "n_before", "n_after")

    # After the go-live (1 November 2023): 12 orders in November, 9 in December, 12 in
    # January; row 3's deadline, Primo 2024, ends the count at 31 January.
    assert cases("2023-12-31") == [(107, 21)]
    assert cases("2024-03-01") == [(107, 33)]
    assert cases("2025-12-31") == [(107, 33)]
    before = task_management("2023-10-31").targets[2]
    assert before.status == "no data"
    assert describe(before.evidence[:1], "en") == (
        "too few orders before and after the go-live 1 Nov 2023 by 31 Oct 2023 to compare"
    )


def test_handovers_of_fewer_than_5_people_on_a_side_are_no_data(
    kit_landscape: KitLandscape, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compare_periods' own 5-person rule reaches the follow-up as "no data", not a crash."""

    def few_people(events: pl.LazyFrame, **kwargs: Any) -> Any:
        # Only the orders worked by the first 4 people: each side shows at most 4.
        lazy = events.lazy()
        four = lazy.select(pl.col("resource").drop_nulls().unique().sort().head(4)).collect()
        return compare_periods(
            lazy.filter(pl.col("resource").is_in(four["resource"].implode())), **kwargs
        )

    monkeypatch.setattr("services.followup.compare_periods", few_people)
    inputs = load_case_inputs(TASK_MANAGEMENT, kit_landscape.data_dir)
    target = evaluate_followup(inputs, as_of=dt.date(2024, 3, 1)).targets[2]
    assert target.status == "no data"
    assert describe(target.evidence[:1], "en") == (
        "the orders before or after the go-live 1 Nov 2023 by 31 Jan 2024 show fewer than 5 "
        "people, so the comparison is withheld (the 5-person rule)"
    )


def test_realised_savings_measure_the_months_complete_by_the_as_of_date(
    automation: Callable[[str], FollowUpReport], kit_landscape: KitLandscape
) -> None:
    planted = kit_landscape.manifest["effects"]["automations"][0]["robot"]["successful_by_month"]
    hours_per_success = 6  # 360 manual minutes, no residual (the manifest)
    first_half = sum(n for month, n in planted.items() if "2025-01" <= month <= "2025-06")
    whole_year = sum(n for month, n in planted.items() if month.startswith("2025"))
    assert (first_half * hours_per_success, whole_year * hours_per_success) == (132, 264)

    def savings(day: str) -> list[tuple[object, ...]]:
        row = automation(day).targets[5]  # ledelsestilsyn's savings, Udgangen af 2025
        return [
            *_values(row.evidence, "evidence.savings", "year", "measured", "expected"),
            *_values(row.evidence, "evidence.savings_forecast", "forecast"),
        ]

    # Before 2025: nothing measured yet, the run rate (22 h a month) for every month of it.
    assert savings("2024-03-01") == [("2025", 0.0, 2886.0), (264.0,)]
    # Mid-July: June is the last complete month; the run rate of April-June is 24 h.
    assert savings("2025-07-15") == [("2025", 132.0, 2886.0), (132.0 + 6 * 24.0,)]
    assert savings("2025-12-31") == [("2025", 264.0, 2886.0)]
    assert [s.last_month for s in automation("2025-07-15").realisation.solutions] == [
        dt.date(2025, 6, 1)
    ] * 5


def test_robot_usage_reads_the_transactions_up_to_the_deadline_or_as_of_date(
    automation: Callable[[str], FollowUpReport],
) -> None:
    def usage(day: str) -> list[tuple[object, ...]]:
        facts = automation(day).targets[0].evidence
        return _values(facts, "evidence.usage_month", "month", "transactions")

    assert usage("2024-03-01") == [("2023-12", 4), ("2024-01", 4), ("2024-02", 4)]
    # The deadline, Udgangen af 2024, ends the window however late the as-of date.
    assert usage("2025-12-31") == [("2024-10", 4), ("2024-11", 4), ("2024-12", 4)]


# --- Each deadline judged on its own; no "missed" before the measured period has ended ---------


def test_a_row_with_two_deadlines_is_judged_at_each(
    task_management: Callable[[str], FollowUpReport],
) -> None:
    row = task_management("2024-03-01").targets[0]
    assert _judged(task_management("2024-03-01"), 1) == [
        ("Ultimo 2023", "missed"), ("Ultimo 2024", "at risk"),
    ]  # fmt: skip
    # The current deadline is the first not yet passed: Ultimo 2024.
    assert (row.status, row.deadline, row.deadline_text) == (
        "at risk", dt.date(2024, 12, 31), "Ultimo 2023 og ultimo 2024",
    )  # fmt: skip
    assert row.evidence == row.judgements[1].evidence
    assert _judged(task_management("2025-12-31"), 1) == [
        ("Ultimo 2023", "missed"), ("Ultimo 2024", "missed"),
    ]  # fmt: skip


def test_a_deadline_before_the_end_of_the_measured_year_is_not_missed_before_it_ends(
    task_management: Callable[[str], FollowUpReport],
) -> None:
    # Row 3, Primo 2024, with the savings of 2024: on track or at risk until 2024 has ended.
    # Measured on January and February: the 23 orders opened then × the planted 1,5 hours
    # (each case's hours count in the month it was opened, whenever they were registered).
    assert _judged(task_management("2024-03-01"), 3) == [("Primo 2024", "at risk")]
    assert _values(
        task_management("2024-03-01").targets[2].evidence, "evidence.savings", "year", "measured"
    ) == [("2024", pytest.approx(23 * 1.5, abs=0.005))]
    assert _judged(task_management("2024-12-31"), 3) == [("Primo 2024", "at risk")]
    assert _judged(task_management("2025-01-01"), 3) == [("Primo 2024", "missed")]


# --- Robot users and the data's reach, on tiny hand-made tables --------------------------------

LEDELSESTILSYN = "Automatisering af ledelsestilsyn"


def _robot_case(tmp_path: Path, row: int, metric: str, more: str = "") -> CaseInputs:
    """The automation case on a data folder with one robot's transactions and runs, its
    ledelsestilsyn bound to that robot, and ``row`` to ``metric`` (``more``: other keys)."""
    data = DataFolder.from_env(tmp_path / "data")
    starts = [at(f"2024-01-{d:02} 09:00") for d in (8, 9)] + [
        at("2024-02-05 09:00"), at("2024-03-04 09:00"), at("2024-03-20 09:00"),
    ]  # fmt: skip
    data.robots_folder().mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {"process_name": ["P"] * 5, "start": starts, "end": starts, "status": ["success"] * 5,
         "reference": [f"R{i}" for i in range(5)]}
    ).write_parquet(data.robot_transactions())  # fmt: skip
    # A second robot account took over on 20 March.
    pl.DataFrame(
        {"process_name": ["P"] * 5, "start": starts,
         "robot_user": ["robot-a"] * 4 + ["robot-b"]}
    ).write_parquet(data.robot_runs())  # fmt: skip
    bindings = tmp_path / "automation-solutions.followup.yaml"
    bindings.write_text(
        "case: automation-solutions.yaml\nsolutions:\n"
        f"  - {{name: {LEDELSESTILSYN}, go_live: 2024-01-01, robot_process: P,\n"
        "     manual_minutes: 30}\n"
        f"targets:\n  - {{follow_up: {row}, metric: {metric}, solution: {LEDELSESTILSYN}{more}}}\n",
        encoding="utf-8",
    )
    return load_case_inputs(AUTOMATION, tmp_path / "data", bindings)


def _usage(inputs: CaseInputs, day: str) -> list[tuple[object, ...]]:
    evidence = evaluate_followup(inputs, as_of=dt.date.fromisoformat(day)).targets[0].evidence
    return _values(evidence, "evidence.usage_month", "month", "transactions", "users")


def test_fewer_than_five_robot_users_are_withheld(tmp_path: Path) -> None:
    inputs = _robot_case(tmp_path, 1, "robot_usage")
    withheld = FewerThan(5)
    assert _usage(inputs, "2024-03-31") == [
        ("2024-01", 2, withheld), ("2024-02", 1, withheld), ("2024-03", 2, withheld),
    ]  # fmt: skip
    evidence = evaluate_followup(inputs, as_of=dt.date(2024, 3, 31)).targets[0].evidence
    march = [f for f in evidence if f.key == "evidence.usage_month"][-1]
    assert describe((march,), "da") == "marts 2024: 2 transaktioner, antal brugere under 5"


def test_robot_users_are_counted_from_the_runs_up_to_the_as_of_date(tmp_path: Path) -> None:
    inputs = _robot_case(tmp_path, 1, "robot_usage")
    data = DataFolder.from_env(tmp_path / "data")
    # Five attended users in early March, a sixth from 20 March: the count the 5-person rule
    # lets through, cut at the as-of date.
    starts = [at(f"2024-03-{d:02} 09:00") for d in (4, 5, 6, 7, 8, 20)]
    pl.DataFrame(
        {"process_name": ["P"] * 6, "start": starts, "robot_user": [f"u{i}" for i in range(6)]}
    ).write_parquet(data.robot_runs())
    assert _usage(inputs, "2024-03-15")[-1] == ("2024-03", 1, 5)
    assert _usage(inputs, "2024-03-31")[-1] == ("2024-03", 2, 6)


def test_savings_of_a_stated_period_count_its_months_and_a_twelfth_of_the_year_each(
    tmp_path: Path,
) -> None:
    more = ", period: {start: 2024-01-01, end: 2024-06-30}"
    inputs = _robot_case(tmp_path, 6, "realised_savings", more)
    row = evaluate_followup(inputs, as_of=dt.date(2024, 3, 15)).targets[5]
    # January and February are complete: 3 successes × 30 minutes. March to June come at the
    # run rate of the measured months, (1 + 0,5) / 2 hours a month.
    assert _values(row.evidence, "evidence.savings", "year", "measured", "expected") == [
        ("2024-01-01–2024-06-30", 1.5, pytest.approx(1011.3333333 / 2)),
    ]
    assert _values(row.evidence, "evidence.savings_forecast", "forecast") == [(1.5 + 4 * 0.75,)]
    # Far below 90 % of the half year's hours, before the row's deadline (Udgangen af 2025).
    assert (row.deadline, row.status) == (dt.date(2025, 12, 31), "at risk")


def test_a_metric_reading_past_its_sources_data_says_how_far_they_reach(
    tmp_path: Path,
) -> None:
    inputs = _robot_case(tmp_path, 1, "robot_usage", ", deadline: 2024-06-30")
    row = evaluate_followup(inputs, as_of=dt.date(2024, 8, 1)).targets[0]
    assert row.evidence[-1] == Fact(
        "evidence.as_of_past_data",
        {"source": "robots", "last": dt.date(2024, 3, 20), "date": dt.date(2024, 6, 30)},
    )
    assert describe(row.evidence[-1:], "da") == (
        "kørselsdata: data rækker kun til 20.3.2024, ikke til 30.6.2024"
    )
    early = evaluate_followup(inputs, as_of=dt.date(2024, 3, 20)).targets[0]
    assert [f.key for f in early.evidence if f.key == "evidence.as_of_past_data"] == []
