"""The follow-up as of a date: every metric reads only the data up to the as-of date, each
deadline of a row is judged on its own, and a row is never missed before the period its metric
measures has ended. Tiny hand-made tables with hand-counted answers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from mining import compute_devops_rule_rates, compute_integration_share

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
