"""Invariants of the polars core on random small logs (hypothesis)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from mining.dfg import discover_dfg
from mining.filters import (
    filter_activities,
    filter_case_duration,
    filter_case_size,
    filter_follows,
    filter_org_unit,
    filter_variants,
)
from mining.handovers import compute_handovers, compute_handovers_per_case, find_ping_pong
from mining.process_map import END, START, discover_process_map
from mining.rework import compute_rework
from mining.variants import compute_variants
from tests.test_mining_tiny import build_log

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
EVENT = st.tuples(
    st.sampled_from("ABCD"),
    st.integers(min_value=0, max_value=600),
    st.sampled_from(["u1", "u2", "u3"]),
)
CASES = st.lists(st.lists(EVENT, min_size=1, max_size=7), min_size=1, max_size=8)


def make_log(cases: list[list[tuple[str, int, str]]]) -> pl.DataFrame:
    rows = []
    for n, events in enumerate(cases):
        moment = T0 + dt.timedelta(days=n)
        for activity, gap, unit in events:
            moment += dt.timedelta(minutes=gap)
            rows.append(
                {"case_id": f"k{n}", "activity": activity, "timestamp": moment, "org_unit": unit}
            )
    return build_log(rows)


def frame_of(view: pl.LazyFrame) -> pl.DataFrame:
    return view.collect().with_columns(pl.col("activity").cast(pl.String))


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_case_filters_commute(cases: list[list[tuple[str, int, str]]]) -> None:
    log = make_log(cases)
    first = filter_case_size(filter_follows(log, "A", "B"), min_events=2)
    second = filter_follows(filter_case_size(log, min_events=2), "A", "B")
    assert frame_of(first).equals(frame_of(second))
    third = filter_org_unit(filter_case_duration(log, max_s=3600 * 3), ["u1"])
    fourth = filter_case_duration(filter_org_unit(log, ["u1"]), max_s=3600 * 3)
    assert frame_of(third).equals(frame_of(fourth))


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_activity_filters_compose(cases: list[list[tuple[str, int, str]]]) -> None:
    log = make_log(cases)
    both = filter_activities(filter_activities(log, ["A", "B", "C"]), ["B", "C", "D"])
    assert frame_of(both).equals(frame_of(filter_activities(log, ["B", "C"])))


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_counts_add_up(cases: list[list[tuple[str, int, str]]]) -> None:
    log = make_log(cases)
    n_cases, n_events = len(cases), log.height
    assert discover_dfg(log)["frequency"].sum() == n_events - n_cases
    arcs = discover_process_map(log).arcs
    assert arcs.filter(pl.col("source") == START)["frequency"].sum() == n_cases
    assert arcs.filter(pl.col("target") == END)["frequency"].sum() == n_cases
    variants = compute_variants(log)
    assert variants["cases"].sum() == n_cases
    assert abs(float(variants["share"].sum()) - 1.0) < 1e-9
    assert filter_variants(log, coverage=1.0).collect().height == n_events
    rework = compute_rework(log)
    assert rework["repeats"].sum() == compute_rework(log, level="case")["repeats"].sum()


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_handovers_per_case_sum_to_the_matrix(cases: list[list[tuple[str, int, str]]]) -> None:
    log = make_log(cases)
    per_case = compute_handovers_per_case(log)
    matrix = compute_handovers(log)
    assert per_case.height == len(cases)
    assert per_case["handovers"].sum() == matrix["handovers"].sum()
    assert per_case["ping_pongs"].sum() == find_ping_pong(log)["occurrences"].sum()
    # A ping-pong is two handovers.
    assert (per_case["handovers"] >= 2 * per_case["ping_pongs"].clip(upper_bound=1)).all()


@settings(max_examples=30, deadline=None)
@given(CASES, st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_simplified_map_stays_connected(
    cases: list[list[tuple[str, int, str]]], activity_coverage: float, path_coverage: float
) -> None:
    log = make_log(cases)
    arcs = discover_process_map(
        log, activity_coverage=activity_coverage, path_coverage=path_coverage
    ).arcs
    edges = list(zip(arcs["source"].to_list(), arcs["target"].to_list(), strict=True))
    nodes = {n for edge in edges for n in edge} - {START, END}
    assert nodes  # at least one activity is always kept
    for root, forward in ((START, True), (END, False)):
        seen, todo = {root}, [root]
        while todo:
            node = todo.pop()
            for s, t in edges:
                a, b = (s, t) if forward else (t, s)
                if a == node and b not in seen:
                    seen.add(b)
                    todo.append(b)
        assert nodes <= seen
