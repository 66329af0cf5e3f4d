"""The 5-person rule everywhere: no figure about an org unit, an activity or a period shows
fewer than 5 distinct people (DESIGN.md, People).

Hand-made logs with exact merges, the BPIC 2013 figures, and the faces (CLI, dashboard) going
through the same rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_mining import register
from app.dashboard import ids
from app.dashboard.analysis_data import AnalysisFilters, list_org_units
from app.dashboard.pages import analysis, process_map
from extractors.files import ReadOptions
from mining import (
    OTHER_GROUP,
    WITHHELD_GROUP,
    PrivacyError,
    check_group_size,
    check_period_sizes,
    check_view_size,
    compare_periods,
    count_people_per_group,
    drop_withheld,
    find_bottlenecks,
    merge_small_groups,
)
from models.store import LogStore
from services import CandidateOptions, find_candidates, read_parameters
from services.imports import import_log
from tests.shared_data import shared_file
from tests.test_dashboard import by_id, table_rows, text

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


# --- the dashboard's process analysis ---------------------------------------------------------


def view_rows(view: analysis.AnalysisView, table_id: str) -> list[list[str]]:
    return table_rows(by_id(view.sections, table_id))


def people_csv() -> str:
    """Cases 1-6: a@A by p<i>, b@B by q<i mod 3>, c@A by p<i>; cases 7-8: a@A by p0, c@C by
    r<0|1>. A holds 6 people, B 3, C 2: B and C merge into one group of 5 people.

    Handovers: A→B 6, B→A 6, A→C 2; merged: A→Other 8 (8 cases), Other→A 6 (6 cases), so
    shares 57,1 % and 42,9 %; ping-pong A→Other→A 6 times in 6 cases."""
    lines = ["case_id,activity,timestamp,org_unit,resource"]
    for i in range(6):
        day = f"2024-03-{i + 4:02d}"
        lines += [
            f"{i + 1},a,{day}T08:00:00Z,A,p{i}",
            f"{i + 1},b,{day}T09:00:00Z,B,q{i % 3}",
            f"{i + 1},c,{day}T10:00:00Z,A,p{i}",
        ]
    for i in range(2):
        lines += [
            f"{i + 7},a,2024-03-2{i}T08:00:00Z,A,p0",
            f"{i + 7},c,2024-03-2{i}T09:00:00Z,C,r{i}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def people(tmp_path: Path) -> Iterator[LogStore]:
    store = LogStore(tmp_path / "data")
    path = tmp_path / "people.csv"
    path.write_text(people_csv(), encoding="utf-8")
    import_log(store, path, name="people", options=ReadOptions())
    yield store
    store.catalog.dispose()


@pytest.fixture
def cli_data(people: LogStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the ``people`` store."""
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(people.data_dir))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)


runner = CliRunner()
cli = typer.Typer()
register(cli)


def run(*args: str) -> str:
    """Run the analysis command ``args``; assert it succeeded and return its stdout."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_handovers_merge_the_small_units_into_other(people: LogStore) -> None:
    view = analysis.render_analysis(people, "people", AnalysisFilters(), "da")
    assert view_rows(view, ids.ANALYSIS_HANDOVER_TABLE) == [
        ["A", "Øvrige (under 5 personer)", "8", "8", "57,1 %"],
        ["Øvrige (under 5 personer)", "A", "6", "6", "42,9 %"],
    ]
    assert "2 enheder med under 5 personer er slået sammen" in text(view.sections)
    english = analysis.render_analysis(people, "people", AnalysisFilters(), "en")
    assert "Other (fewer than 5 people)" in text(english.sections)


def test_a_view_of_a_unit_with_fewer_than_5_people_is_withheld(people: LogStore) -> None:
    for units in (("B",), ("C",)):
        view = analysis.render_analysis(people, "people", AnalysisFilters(org_units=units), "da")
        assert view.sections == [] and view.summary == ""
        assert "under 5 personer" in text(view.message)
        assert "Sager:" not in text(view.message)
    english = analysis.render_analysis(people, "people", AnalysisFilters(org_units=("C",)), "en")
    assert "fewer than 5 people" in text(english.message)
    shown = analysis.render_analysis(people, "people", AnalysisFilters(org_units=("A",)), "da")
    assert shown.summary.startswith("Sager: 8 ·")
    together = AnalysisFilters(org_units=("B", "C"))  # 3 + 2 people: 5 together
    assert analysis.render_analysis(people, "people", together, "da").summary.startswith("Sager: 8")


def test_a_narrow_period_with_fewer_than_5_people_is_withheld(people: LogStore) -> None:
    # 20.03: case 7 only, p0 and r0.
    day = AnalysisFilters(dt.date(2024, 3, 20), dt.date(2024, 3, 20))
    view = analysis.render_analysis(people, "people", day, "da")
    assert view.sections == [] and "under 5 personer" in text(view.message)


def test_the_org_unit_filter_offers_only_units_of_5_people_or_more(people: LogStore) -> None:
    assert list_org_units(people, "people") == ("A",)


def test_procesanalyse_withholds_the_bpic2013_one_person_unit(bpic: LogStore) -> None:
    # S5 is one person's unit: before the rule the page showed its cases ("Sager: 1").
    view = analysis.render_analysis(bpic, "bpic13", AnalysisFilters(org_units=("S5",)), "da")
    assert view.sections == [] and view.summary == ""
    assert "under 5 personer" in text(view.message)
    units = list_org_units(bpic, "bpic13")
    assert len(units) == 649 - 241 and "S5" not in units


# --- mining and the CLI -----------------------------------------------------------------------


def test_bottlenecks_by_org_unit_merge_the_small_units(people: LogStore) -> None:
    # Waits: b (1 h) at B in cases 1-6, c (1 h) at A in cases 1-6, c (1 h) at C in cases 7-8.
    ranked = find_bottlenecks(people.scan("people"), level="activity", by="org_unit")
    assert ranked.select("org_unit", "activity", "frequency").rows() == [
        ("A", "c", 6),
        (OTHER_GROUP, "b", 6),
        (OTHER_GROUP, "c", 2),
    ]


def test_bottlenecks_by_org_unit_leave_out_units_withheld_together() -> None:
    rows = [("1", "a", "A", "p0"), ("1", "b", "B", "q0"), ("1", "c", "A", "p1")]
    rows += [(f"{i + 2}", "a", "A", f"p{i}") for i in range(5)]
    log = pl.DataFrame(rows, schema=["case_id", "activity", "org_unit", "resource"], orient="row")
    log = log.with_columns(
        pl.datetime(2024, 3, 4, time_zone="UTC")
        .dt.offset_by(pl.int_range(pl.len()).cast(pl.String) + "h")
        .alias("timestamp")
    )
    ranked = find_bottlenecks(log, level="activity", by="org_unit")
    assert ranked.select("org_unit", "activity").rows() == [("A", "c")]


def test_cli_handovers_mark_the_merged_rows(people: LogStore, cli_data: None) -> None:
    result = json.loads(run("handovers", "people", "--json"))
    assert [(r["source"], r["target"], r["handovers"], r["merged"]) for r in result["matrix"]] == [
        ("A", OTHER_GROUP, 8, True),
        (OTHER_GROUP, "A", 6, True),
    ]
    assert (result["merged_units"], result["withheld_units"], result["people_counted"]) == (
        2,
        0,
        True,
    )
    assert "2 enheder med under 5 personer er slået sammen" in run("handovers", "people")


def test_cli_handovers_count_the_withheld_units(
    people: LogStore, cli_data: None, tmp_path: Path
) -> None:
    # B's 3 people left out: C's 2 people are still fewer than 5 on their own.
    rows = [line for line in people_csv().splitlines() if ",B," not in line]
    path = tmp_path / "withheld.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_log(people, path, name="withheld", options=ReadOptions())
    result = json.loads(run("handovers", "withheld", "--json"))
    assert (result["matrix"], result["merged_units"], result["withheld_units"]) == ([], 0, 1)
    assert "1 enheder med under 5 personer (også samlet) er udeladt." in run(
        "handovers", "withheld"
    )


def test_cli_bottlenecks_mark_the_merged_rows(people: LogStore, cli_data: None) -> None:
    ranked = json.loads(run("bottlenecks", "people", "--by", "org_unit", "--json"))
    # Activity b is done by 3 people: the arcs into and out of it are figures about them and
    # are left out (the rule per activity); a -> c of cases 7-8 waits in C, merged into Other.
    # Ranked again without them: rank 1 and the whole of the waiting shown, so neither a rank
    # nor a share tells the waiting of the arcs left out.
    assert [
        (r["org_unit"], r["source"], r["target"], r["rank"], r["wait_share"], r["merged"])
        for r in ranked
    ] == [(OTHER_GROUP, "a", "c", 1, 1.0, True)]
    shown = run("bottlenecks", "people")
    assert "1 aktiviteter med under 5 personer (også samlet) er udeladt" in shown


@pytest.mark.parametrize(
    "args",
    [
        ("handovers", "people", "--org-unit", "C"),
        ("bottlenecks", "people", "--org-unit", "B", "--json"),
        ("variants", "people", "--since", "2024-03-20", "--until", "2024-03-20"),
    ],
)
def test_cli_withholds_a_view_of_fewer_than_5_people(
    people: LogStore, cli_data: None, args: tuple[str, ...]
) -> None:
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0
    assert "fewer than 5 people" in str(result.exception)


def test_cli_filters_like_the_dashboard(people: LogStore, cli_data: None) -> None:
    unit_a = json.loads(run("variants", "people", "--org-unit", "A", "--json"))
    assert sum(v["cases"] for v in unit_a["shown"]) == 8
    march_4_to_9 = ("--since", "2024-03-04", "--until", "2024-03-09")
    shown = json.loads(run("variants", "people", *march_4_to_9, "--json"))
    assert sum(v["cases"] for v in shown["shown"]) == 6


# --- time-registration hours per activity (automation candidates) -----------------------------


def hours_rows(activity: str, employees: int, *, first: int = 0) -> list[dict[str, object]]:
    """One booking of 2 hours per employee e<first>... on 2024-03-04, each its own case."""
    return [
        {
            "date": dt.date(2024, 3, 4),
            "employee": f"e{first + i}",
            "service_area": "S",
            "case_reference": f"{activity}-{i}",
            "activity": activity,
            "hours": 2.0,
        }
        for i in range(employees)
    ]


def candidate_rows(tmp_path: Path, rows: list[dict[str, object]]) -> dict[str, float]:
    """The time-registration candidates of ``rows``: candidate id → handling hours."""
    store = LogStore(tmp_path / "data")
    path = store.data.hours()
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(path)
    report = find_candidates(store, CandidateOptions(), read_parameters())
    store.catalog.dispose()
    return {s.measures.candidate_id: s.measures.handling_hours for s in report.scores}


def test_hours_of_activities_with_fewer_than_5_employees_are_merged(tmp_path: Path) -> None:
    rows = hours_rows("big", 6) + hours_rows("small", 3, first=6) + hours_rows("tiny", 2, first=9)
    assert candidate_rows(tmp_path, rows) == {
        "time-registration:big": 12.0,
        f"time-registration:{OTHER_GROUP}": 10.0,
    }


def test_hours_of_activities_withheld_together_are_left_out(tmp_path: Path) -> None:
    rows = hours_rows("big", 6) + hours_rows("small", 2, first=6) + hours_rows("tiny", 1, first=8)
    assert candidate_rows(tmp_path, rows) == {"time-registration:big": 12.0}


# --- the process map of a whole log -----------------------------------------------------------


def test_the_map_of_a_log_of_fewer_than_5_people_is_withheld(
    people: LogStore, tmp_path: Path
) -> None:
    few = tmp_path / "few.csv"
    few.write_text(
        "case_id,activity,timestamp,resource\n1,a,2024-03-04T08:00:00Z,p0\n"
        "1,b,2024-03-04T09:00:00Z,p1\n",
        encoding="utf-8",
    )
    import_log(people, few, name="few", options=ReadOptions())
    withheld = process_map.render_map(people, "few", 100, "da")
    assert withheld.elements == [] and withheld.summary == ""
    assert "under 5 personer" in text(withheld.message)
    shown = process_map.render_map(people, "people", 100, "en")  # 11 people
    assert shown.elements and shown.message is None


def test_a_comparison_of_periods_needs_5_people_on_each_side(
    people: LogStore, cli_data: None
) -> None:
    events = people.scan("people")
    # From 20.03: cases 7 and 8 only, worked by p0, r0 and r1.
    at = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
    with pytest.raises(PrivacyError, match="fewer than 5 people"):
        check_period_sizes(events, at=at)
    # The rule is compare_periods' own, so every caller (CLI, follow-up) withholds alike.
    with pytest.raises(PrivacyError, match="cases started from 2024-03-20T00:00:00"):
        compare_periods(events, at=at, measure="handovers", resamples=10)
    result = runner.invoke(cli, ["compare", "people", "--at", "2024-03-20"])
    assert "fewer than 5 people" in str(result.exception)
    # From 07.03: cases 4-8 (p0, p3-p5, q0-q2, r0, r1); before: cases 1-3 (p0-p2, q0-q2).
    check_period_sizes(events, at=dt.datetime(2024, 3, 7, tzinfo=dt.UTC))
    shown = json.loads(
        run("compare", "people", "--at", "2024-03-07", "--resamples", "10", "--json")
    )
    assert (shown["cases_before"], shown["cases_after"]) == (3, 5)
