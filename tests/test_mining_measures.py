"""The measures behind benefits, follow-up and candidates, on tiny hand-checkable inputs: the
DevOps rule rates, the integration share per month, a work's cases and their human handling,
the processes of a log and the shape of their cases. And the facade that exports them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import polars as pl
import pytest

import mining
from mining import (
    ProcessShape,
    compute_branching,
    compute_case_starts,
    compute_devops_rule_rates,
    compute_human_handling,
    compute_integration_share,
    compute_monthly_cv,
    compute_pickup_to_close_hours,
    compute_process_shape,
    find_case_groups,
    find_work_cases,
)
from models.followup import WorkSelector

NEW_NAMES = {
    "CaseGroups",
    "ProcessShape",
    "compute_branching",
    "compute_case_starts",
    "compute_devops_rule_rates",
    "compute_human_handling",
    "compute_integration_share",
    "compute_monthly_cv",
    "compute_pickup_to_close_hours",
    "compute_process_shape",
    "find_case_groups",
    "find_work_cases",
}


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def log(
    rows: list[tuple[str, str, str, str]], **case_columns: Sequence[str | None]
) -> pl.DataFrame:
    """A sorted canonical log from (case, activity, UTC 'YYYY-MM-DD HH:MM', resource) rows;
    ``case_columns`` add one value per row."""
    return pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [utc(r[2]) for r in rows],
            "resource": [r[3] for r in rows],
            "event_order": list(range(len(rows))),
            **case_columns,
        }
    ).with_columns(
        pl.col("activity").cast(pl.Categorical),
        pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
        pl.col("event_order").cast(pl.UInt64),
    )


# -- the facade ------------------------------------------------------------------------------------


def test_the_facade_exports_the_measures_and_every_name_imports() -> None:
    assert set(mining.__all__) >= NEW_NAMES
    assert len(mining.__all__) == len(set(mining.__all__))
    for name in mining.__all__:
        assert getattr(mining, name) is not None, name


# -- follow-up: DevOps practice and the integration ------------------------------------------------


def test_devops_rule_rates_count_an_item_once_whatever_it_breaks() -> None:
    workitems = pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "work_item_type": ["Feature", "Feature", "User Story", "User Story", "User Story",
                               "Epic"],
            "area_path": ["KIT\\Drift", "KIT\\Drift", "KIT\\Drift", "KIT\\Sikkerhed",
                          "KIT\\Sikkerhed", "KIT"],
            "iteration_path": ["KIT\\PI 1", "KIT\\PI 1", "KIT", "KIT\\PI 2", "KIT\\PI 2", "KIT"],
            "parent": [None, 9, 2, 1, 1, None],
        }
    )  # fmt: skip
    revisions = pl.DataFrame(
        {
            "id": [3, 3, 4, 4, 5, 5, 5, 5],
            "state": ["New", "Closed", "New", "Closed", "New", "Closed", "Active", "Closed"],
        }
    )
    rates = compute_devops_rule_rates(workitems, revisions)
    # Drift: 1 has no parent; 2 has one (any parent will do); 3 sits at the root and skipped
    # Active, and counts once. Sikkerhed: 4 skipped Active; 5 was Active after a reopening.
    # The Epic (6) is not planned work.
    assert rates.rows() == [("Drift", 3, pytest.approx(200 / 3)), ("Sikkerhed", 2, 50.0)]


def test_integration_share_per_copenhagen_month_of_three_orders() -> None:
    links = pl.DataFrame(
        {
            "item_number": ["R1", "R2", "R3"],
            "linked_by": ["hyperlink_number", "correlation_id",
                          "hyperlink_number+hyperlink_sys_id"],
            "opened_at": [utc("2024-01-10 09:00"), utc("2024-01-20 09:00"),
                          utc("2024-01-31 23:30")],
            "lag_s": [3600, 7200, None],
        }
    )  # fmt: skip
    # R3 was opened at 00:30 on 1 February in Copenhagen: a February order, linked by the
    # integration (its Hyperlink by sys_id), without a lag to take a median of.
    months = compute_integration_share(links, until=dt.date(2024, 2, 29))
    assert months.rows() == [
        (dt.date(2024, 1, 1), 2, 1, 50.0, 5400.0),
        (dt.date(2024, 2, 1), 1, 1, 100.0, None),
    ]
    january = compute_integration_share(links, until=dt.date(2024, 1, 31))
    assert january["month"].to_list() == [dt.date(2024, 1, 1)]


# -- benefits: a work's cases and their human handling ---------------------------------------------

TABLES = {
    "incident": pl.DataFrame(
        {
            "number": ["INC1", "INC2"],
            "category": ["password", "network"],
            "opened_at": [utc("2024-01-02 08:00"), utc("2024-01-03 08:00")],
        }
    ),
    "sc_cat_item": pl.DataFrame({"sys_id": ["c1", "c2"], "name": ["Laptop", "Phone"]}),
    "sc_req_item": pl.DataFrame(
        {
            "sys_id": ["r1", "r2", "r3"],
            "number": ["RITM1", "RITM2", "RITM3"],
            "cat_item": ["c1", "c2", "c1"],
            "opened_at": [
                utc("2024-01-02 08:00"),
                utc("2024-01-03 08:00"),
                utc("2024-01-04 08:00"),
            ],
        }
    ),
    "sc_task": pl.DataFrame(
        {
            "number": ["TASK1", "TASK2", "TASK3", "TASK4"],
            "request_item": ["r1", "r2", "r3", "r1"],
            "opened_at": [
                utc("2024-01-02 09:00"),
                utc("2024-01-03 09:00"),
                utc("2024-01-04 09:00"),
                utc("2024-01-05 09:00"),
            ],
        }
    ),
}
LAPTOPS = WorkSelector("sc_req_item", catalog_items=("Laptop",), start="Assigned", end="Closed")


def test_work_cases_of_incidents_orders_and_their_tasks() -> None:
    incidents = find_work_cases(TABLES, selector=WorkSelector("incident", category="password"))
    assert incidents.rows() == [("INC1", "INC1", utc("2024-01-02 08:00"))]
    orders = find_work_cases(
        TABLES, selector=WorkSelector("sc_req_item", catalog_items=("Laptop",))
    )
    assert orders.select("case_id", "reference").rows() == [("RITM1", "RITM1"), ("RITM3", "RITM3")]
    # With start and end, the cases are the orders' tasks: a person handles a task.
    tasks = find_work_cases(TABLES, selector=LAPTOPS)
    assert sorted(tasks.select("case_id", "reference").rows()) == [
        ("TASK1", "RITM1"), ("TASK3", "RITM3"), ("TASK4", "RITM1"),
    ]  # fmt: skip


def test_human_handling_leaves_the_robots_events_out() -> None:
    events = log(
        [
            ("TASK1", "Assigned", "2024-01-02 09:00", "anna"),
            ("TASK1", "Closed", "2024-01-02 09:30", "anna"),
            ("TASK2", "Assigned", "2024-01-03 09:00", "bo"),
            ("TASK2", "Closed", "2024-01-03 11:00", "bo"),
            ("TASK3", "Assigned", "2024-01-04 09:00", "robot-1"),
            ("TASK3", "Closed", "2024-01-04 09:05", "robot-1"),
            ("TASK4", "Assigned", "2024-01-05 09:00", "bo"),
        ]
    )
    cases = find_work_cases(TABLES, selector=LAPTOPS)
    handled = compute_human_handling(
        events, cases, start="Assigned", end="Closed", robot_resources=["robot-1"]
    )
    # TASK1: 30 minutes by a person; TASK3: done by the robot (0); TASK4: not closed. TASK2 is
    # a Phone's task, not this work's.
    assert sorted(
        handled.select("case_id", "reference", "reached_end", "human_minutes").rows()
    ) == [
        ("TASK1", "RITM1", True, 30.0),
        ("TASK3", "RITM3", True, 0.0),
        ("TASK4", "RITM1", False, 0.0),
    ]


# -- candidates: the processes of a log and the shape of their cases ------------------------------


def test_case_groups_from_a_case_attribute() -> None:
    events = log(
        [("A", "x", "2024-01-01 09:00", "r"), ("B", "x", "2024-01-02 09:00", "r")],
        **{"case:category": ["password", None]},
    )
    groups = find_case_groups(events)
    assert groups.found_by == "case:category"
    assert groups.cases.rows() == [("A", "password"), ("B", "(none)")]


def test_case_groups_name_catalog_items_by_their_staged_names() -> None:
    events = log(
        [("A", "x", "2024-01-01 09:00", "r"), ("B", "x", "2024-01-02 09:00", "r")],
        **{"case:cat_item": ["c1", "c7"]},
    )
    groups = find_case_groups(events, catalog_items=TABLES["sc_cat_item"])
    # c7 is not staged: its sys_id stays the group's name.
    assert groups.cases.rows() == [("A", "Laptop"), ("B", "c7")]


def test_case_groups_from_the_staged_orders_else_the_whole_log() -> None:
    events = log([("RITM2", "x", "2024-01-01 09:00", "r"), ("RITM9", "x", "2024-01-02 09:00", "r")])
    ordered = TABLES["sc_req_item"].select("number", "cat_item")
    groups = find_case_groups(events, catalog_items=TABLES["sc_cat_item"], ordered_items=ordered)
    assert groups.found_by == "catalog item"
    assert groups.cases.rows() == [("RITM2", "Phone"), ("RITM9", "(none)")]
    unknown = log([("X1", "x", "2024-01-01 09:00", "r")])
    whole = find_case_groups(unknown, catalog_items=TABLES["sc_cat_item"], ordered_items=ordered)
    assert (whole.found_by, whole.cases.rows()) == ("log", [("X1", "(all cases)")])


SHAPED = log(
    [
        ("c1", "a", "2024-01-01 09:00", "r"), ("c1", "b", "2024-01-01 10:00", "r"),
        ("c1", "c", "2024-01-01 11:00", "r"),
        ("c2", "a", "2024-01-02 09:00", "r"), ("c2", "b", "2024-01-02 10:00", "r"),
        ("c2", "c", "2024-01-02 11:00", "r"),
        ("c3", "a", "2024-01-03 09:00", "r"), ("c3", "b", "2024-01-03 10:00", "r"),
        ("c3", "b", "2024-01-03 11:00", "r"), ("c3", "c", "2024-01-03 12:00", "r"),
        ("c4", "a", "2024-02-01 09:00", "r"), ("c4", "c", "2024-02-01 10:00", "r"),
        ("c4", "x", "2024-02-01 11:00", "r"),
    ]
)  # fmt: skip


def test_process_shape_of_four_cases() -> None:
    # Variants: abc ×2, abbc, acx. Ends: c, c, c, x. Rework: c3 repeats b.
    shape = compute_process_shape(SHAPED)
    assert shape.standardisation == 1.0
    assert compute_process_shape(SHAPED, top_variants=1).standardisation == 0.5
    # Entropy: -(1/2 log2 1/2 + 2 × 1/4 log2 1/4) = 1.5 bits over log2(4 cases) = 2.
    assert shape.variant_entropy == pytest.approx(0.75)
    assert shape.exception_rate == 0.25
    assert shape.rework_rate == 0.25
    # Left: a 4 times (to b, c), b 4 times (to c, b), c once (to x): (4·2 + 4·2 + 1·1) / 9.
    assert shape.branching == pytest.approx(17 / 9)
    assert compute_process_shape(SHAPED.head(0)) == ProcessShape()


def test_branching_of_a_straight_line_and_of_single_events_is_one() -> None:
    assert compute_branching(SHAPED.filter(pl.col("case_id") == "c1")) == 1.0
    assert compute_branching(SHAPED.filter(pl.col("activity") == "a")) == 1.0


def test_pickup_to_close_hours_are_office_hours() -> None:
    events = log(
        [
            # Monday 4 March 2024, Copenhagen is UTC+1: pickup 09:00, close 11:30 local: 2.5 h.
            ("A", "Opened", "2024-03-04 07:00", "r"), ("A", "Assigned", "2024-03-04 08:00", "r"),
            ("A", "Closed", "2024-03-04 10:30", "r"),
            # Friday 15:00 to Monday 09:00 local: 1 h + 1 h; the weekend counts nothing.
            ("B", "Opened", "2024-03-08 13:00", "r"), ("B", "Assigned", "2024-03-08 14:00", "r"),
            ("B", "Closed", "2024-03-11 08:00", "r"),
            # One event: never picked up.
            ("C", "Opened", "2024-03-05 08:00", "r"),
        ]
    )  # fmt: skip
    assert compute_pickup_to_close_hours(events) == pytest.approx(4.5)


def test_case_starts_and_the_monthly_variation_of_the_volume() -> None:
    starts = compute_case_starts(SHAPED).sort("case_id")
    assert starts.rows() == [
        ("c1", dt.date(2024, 1, 1)), ("c2", dt.date(2024, 1, 2)), ("c3", dt.date(2024, 1, 3)),
        ("c4", dt.date(2024, 2, 1)),
    ]  # fmt: skip
    days = starts["day"]
    # January 3, February 1, March 0: mean 4/3, variance ((5/3)² + (1/3)² + (4/3)²) / 3 = 14/9.
    cv = compute_monthly_cv(days, start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31))
    assert cv == pytest.approx(math.sqrt(14 / 9) / (4 / 3))
    # Weighted (hours): January 1 + 1 + 1 = 3, February 3: no variation.
    weights = pl.Series([1.0, 1.0, 1.0, 3.0])
    flat = compute_monthly_cv(
        days, start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 29), weights=weights
    )
    assert flat == 0.0
    # One month: nothing to vary; no case in the period: no volume to compare.
    assert compute_monthly_cv(days, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31)) is None
    assert compute_monthly_cv(days, start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31)) is None
