"""The 5-person rule everywhere: no figure about an org unit, an activity or a period shows
fewer than 5 distinct people (DESIGN.md, People).

Hand-made logs with exact merges, the BPIC 2013 figures, and the faces (CLI, dashboard) going
through the same rule.
"""

from __future__ import annotations

import polars as pl
import pytest

from extractors.files import ReadOptions
from mining import (
    OTHER_GROUP,
    WITHHELD_GROUP,
    check_group_size,
    check_view_size,
    count_people_per_group,
    drop_withheld,
    merge_small_groups,
)
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import shared_file

BPIC_2013 = "bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz"


@pytest.fixture(scope="module")
def bpic(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    """BPIC 2013 incidents: 649 org units (org:group), 1440 resources."""
    store = LogStore(tmp_path_factory.mktemp("bpic") / "data")
    import_log(store, shared_file(BPIC_2013), name="bpic13", options=ReadOptions())
    return store


def people_log(groups: dict[str, int], *, offset: int = 0) -> pl.DataFrame:
    """One event per person of each group: ``org_unit`` and ``resource`` (p<offset+n>)."""
    rows: list[dict[str, str]] = []
    for unit, size in groups.items():
        rows += [{"org_unit": unit, "resource": f"p{offset + i}"} for i in range(size)]
        offset += size
    return pl.DataFrame(rows)


def test_three_groups_of_6_2_and_1_keep_one_and_withhold_the_other_3() -> None:
    merged = merge_small_groups(people_log({"A": 6, "B": 2, "C": 1}), by="org_unit")
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 3, True)
    units = merged.frame.collect()["org_unit"].to_list()
    assert units == ["A"] * 6 + [WITHHELD_GROUP] * 3
    shown = drop_withheld(merged.frame.collect(), ("org_unit",))
    assert shown["org_unit"].unique().to_list() == ["A"]


def test_small_groups_of_5_people_together_are_shown_as_other() -> None:
    merged = merge_small_groups(people_log({"A": 6, "B": 3, "C": 2, "D": 5}), by="org_unit")
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 5, False)
    per_group = count_people_per_group(merged.frame, by="org_unit")
    assert per_group.rows() == [("A", 6), ("D", 5), (OTHER_GROUP, 5)]


def test_a_person_in_two_small_groups_counts_once_in_other() -> None:
    log = pl.concat([people_log({"A": 5}), people_log({"B": 4}), people_log({"C": 1}, offset=9)])
    # B holds p0..p3 (also in A), C holds p9: other = {p0, p1, p2, p3, p9} = 5 people.
    merged = merge_small_groups(log, by="org_unit")
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 5, False)


def test_no_small_group_changes_nothing() -> None:
    log = people_log({"A": 5, "B": 7})
    merged = merge_small_groups(log, by="org_unit")
    assert (merged.merged, merged.withheld, merged.people_known) == (0, False, True)
    assert merged.frame.collect().equals(log)


def test_a_log_without_people_is_not_merged_and_says_so() -> None:
    no_column = pl.DataFrame({"org_unit": ["A", "B"]})
    all_null = no_column.with_columns(pl.lit(None, dtype=pl.String).alias("resource"))
    for log in (no_column, all_null):
        merged = merge_small_groups(log, by="org_unit")
        assert (merged.merged, merged.withheld, merged.people_known) == (0, False, False)
        size = check_group_size(log)
        assert (size.people, size.people_known, size.enough) == (None, False, True)


@pytest.mark.parametrize(("people", "enough"), [(1, False), (4, False), (5, True), (9, True)])
def test_a_view_needs_5_people(people: int, enough: bool) -> None:
    size = check_group_size(people_log({"A": people}))
    assert (size.people, size.enough) == (people, enough)


def test_a_view_filtered_to_a_unit_counts_the_units_own_people() -> None:
    # The cases touching B hold 8 people in all, but B's own work is 2 people's.
    view = people_log({"A": 6, "B": 2})
    assert check_view_size(view).people == 8
    assert check_view_size(view, org_units=("B",)).people == 2
    assert not check_view_size(view, org_units=("B",)).enough
    assert check_view_size(view, org_units=("A", "B")).enough


def test_bpic2013_merges_241_of_649_org_units_into_other(bpic: LogStore) -> None:
    events = bpic.scan("bpic13")
    per_group = count_people_per_group(events, by="org_unit")
    assert (per_group.height, per_group.filter(pl.col("people") < 5).height) == (649, 241)
    merged = merge_small_groups(events, by="org_unit")
    # The 241 small units hold 338 people together: shown as one group, not withheld.
    assert (merged.merged, merged.other_people, merged.withheld) == (241, 338, False)
    after = count_people_per_group(merged.frame, by="org_unit")
    assert after.height == 649 - 241 + 1
    assert after["people"].min() == 5
