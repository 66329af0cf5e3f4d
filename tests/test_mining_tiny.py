"""The polars analysis core on a 17-event log whose every figure is computed by hand below.

The log (times UTC, minutes after the case's start; org unit in brackets):

    c1 (2024-03-04 08:00): A 0 [u1], B 10 [u2], C 30 [u2], D 60 [u1]
    c2 (2024-03-05 08:00): A 0 [u1], C 20 [u2], B 25 [u3], D 45 [u1]
    c3 (2024-03-06 08:00): A 0 [u1], B 5 [u2], B 15 [u2], C 35 [u1], D 95 [u2]
    c4 (2024-03-07 08:00): A 0 [u1], B 10 [u1], C 30 [u1], D 60 [u1]
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from mining.bottlenecks import find_bottlenecks
from mining.compare import compare_periods, compute_case_measure
from mining.dfg import discover_dfg
from mining.durations import (
    check_start_timestamps,
    compute_activity_durations,
    compute_case_durations,
    compute_event_durations,
    compute_time_between,
)
from mining.filters import (
    filter_activities,
    filter_attribute,
    filter_case_duration,
    filter_case_size,
    filter_cases_with_activity,
    filter_endpoints,
    filter_follows,
    filter_org_unit,
    filter_time_window,
    filter_variants,
)
from mining.handovers import (
    PrivacyError,
    compute_handover_trend,
    compute_handovers,
    compute_handovers_per_case,
    find_ping_pong,
)
from mining.process_map import END, START, discover_process_map
from mining.rework import compute_rework
from mining.variants import compare_variants, compute_variants
from models.errors import InputError
from models.eventlog import build_canonical_log

UTC = dt.UTC
TINY_CASES = {
    "c1": (dt.datetime(2024, 3, 4, 8, tzinfo=UTC), "A0u1 B10u2 C30u2 D60u1"),
    "c2": (dt.datetime(2024, 3, 5, 8, tzinfo=UTC), "A0u1 C20u2 B25u3 D45u1"),
    "c3": (dt.datetime(2024, 3, 6, 8, tzinfo=UTC), "A0u1 B5u2 B15u2 C35u1 D95u2"),
    "c4": (dt.datetime(2024, 3, 7, 8, tzinfo=UTC), "A0u1 B10u1 C30u1 D60u1"),
}


def build_log(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A canonical log from rows of case_id, activity, timestamp (+ optional columns), in the
    given order (which becomes event_order)."""
    staged = pl.DataFrame(rows).with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt64).alias("event_order")
    )
    return build_canonical_log(staged).events


def tiny_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for case, (start, spec) in TINY_CASES.items():
        for token in spec.split():
            activity, rest = token[0], token[1:]
            minutes, unit = rest.split("u")
            rows.append(
                {
                    "case_id": case,
                    "activity": activity,
                    "timestamp": start + dt.timedelta(minutes=int(minutes)),
                    "org_unit": f"u{unit}",
                }
            )
    return rows


@pytest.fixture
def log() -> pl.DataFrame:
    return build_log(tiny_rows())


def cases_of(view: pl.LazyFrame | pl.DataFrame) -> list[str]:
    return (
        view.lazy()
        .select(pl.col("case_id").unique(maintain_order=True))
        .collect()
        .to_series()
        .to_list()
    )


def arcs_of(frame: pl.DataFrame) -> dict[tuple[str, str], int]:
    return {(r["source"], r["target"]): r["frequency"] for r in frame.iter_rows(named=True)}


# --- process map -----------------------------------------------------------------------------


def test_dfg_frequencies_and_durations(log: pl.DataFrame) -> None:
    dfg = discover_dfg(log)
    assert arcs_of(dfg) == {
        ("A", "B"): 3,
        ("B", "C"): 3,
        ("C", "D"): 3,
        ("A", "C"): 1,
        ("B", "B"): 1,
        ("B", "D"): 1,
        ("C", "B"): 1,
    }
    first = dfg.row(0, named=True)
    assert first == {
        "source": "A",
        "target": "B",
        "frequency": 3,
        "mean_duration_s": 500.0,
        "median_duration_s": 600.0,
    }


def test_process_map_arcs_and_activities(log: pl.DataFrame) -> None:
    pmap = discover_process_map(log)
    arcs = {(r["source"], r["target"]): r for r in pmap.arcs.iter_rows(named=True)}
    assert arcs[(START, "A")]["frequency"] == 4
    assert arcs[("D", END)]["frequency"] == 4
    assert arcs[(START, "A")]["mean_duration_s"] is None
    c_d = arcs[("C", "D")]
    assert (c_d["frequency"], c_d["cases"]) == (3, 3)
    assert c_d["mean_duration_s"] == 2400.0
    assert c_d["median_duration_s"] == 1800.0
    assert c_d["p90_duration_s"] == pytest.approx(3240.0)
    assert c_d["total_duration_s"] == 7200.0
    # B→B happens once, in c3: one case.
    assert (arcs[("B", "B")]["frequency"], arcs[("B", "B")]["cases"]) == (1, 1)
    acts = {r["activity"]: r for r in pmap.activities.iter_rows(named=True)}
    assert pmap.activities["activity"].to_list() == ["B", "A", "C", "D"]
    assert (acts["B"]["frequency"], acts["B"]["cases"]) == (5, 4)
    assert acts["B"]["mean_wait_s"] == 480.0
    assert acts["B"]["total_wait_s"] == 2400.0
    assert acts["D"]["median_wait_s"] == 1800.0
    assert acts["A"]["mean_wait_s"] is None
    assert acts["A"]["mean_service_s"] is None


def test_path_slider_keeps_the_map_connected(log: pl.DataFrame) -> None:
    # Arc frequencies 4,4,3,3,3,1,1,1,1 (21): half keeps ▶→A, D→■, A→B; B→C and C→D come back
    # because C and D would otherwise be unreachable.
    pmap = discover_process_map(log, path_coverage=0.5)
    assert set(arcs_of(pmap.arcs)) == {(START, "A"), ("D", END), ("A", "B"), ("B", "C"), ("C", "D")}
    assert arcs_of(discover_process_map(log, path_coverage=1.0).arcs) == arcs_of(
        discover_process_map(log).arcs
    )


def test_activity_slider_projects_the_log(log: pl.DataFrame) -> None:
    # Frequencies B 5, A 4, C 4, D 4 (17 events): half keeps B and A only.
    pmap = discover_process_map(log, activity_coverage=0.5)
    assert arcs_of(pmap.arcs) == {(START, "A"): 4, ("A", "B"): 4, ("B", "B"): 1, ("B", END): 4}
    with pytest.raises(InputError, match=r"path_coverage 1\.5 is not a share"):
        discover_process_map(log, path_coverage=1.5)


# --- variants --------------------------------------------------------------------------------


def test_variants_table(log: pl.DataFrame) -> None:
    table = compute_variants(log)
    assert table.select("variant_rank", "variant", "cases", "events").rows() == [
        (1, ["A", "B", "C", "D"], 2, 4),
        (2, ["A", "B", "B", "C", "D"], 1, 5),
        (3, ["A", "C", "B", "D"], 1, 4),
    ]
    assert table["share"].to_list() == [0.5, 0.25, 0.25]
    assert table["mean_throughput_s"].to_list() == [3600.0, 5700.0, 2700.0]
    assert table["median_throughput_s"].to_list() == [3600.0, 5700.0, 2700.0]


def test_compare_variants_between_two_periods(log: pl.DataFrame) -> None:
    cut = dt.datetime(2024, 3, 6, tzinfo=UTC)
    early = filter_time_window(log, start=dt.datetime(2024, 1, 1, tzinfo=UTC), end=cut)
    late = filter_time_window(log, start=cut, end=dt.datetime(2025, 1, 1, tzinfo=UTC))
    table = compare_variants(early, late)
    rows = {tuple(r["variant"]): r for r in table.iter_rows(named=True)}
    abcd = rows[("A", "B", "C", "D")]
    assert (abcd["cases_a"], abcd["cases_b"], abcd["share_a"], abcd["share_b"]) == (1, 1, 0.5, 0.5)
    assert abcd["share_change_pp"] == 0.0
    acbd = rows[("A", "C", "B", "D")]
    assert (acbd["cases_a"], acbd["cases_b"], acbd["share_change_pp"]) == (1, 0, -50.0)
    assert acbd["mean_throughput_change_s"] is None
    assert table["variant"].to_list()[0] == ["A", "B", "C", "D"]


# --- filters ---------------------------------------------------------------------------------


def test_filter_activities_projects_events(log: pl.DataFrame) -> None:
    kept = filter_activities(log, ["A", "D"]).collect()
    assert kept.height == 8
    assert arcs_of(discover_dfg(filter_activities(log, ["B"], keep=False))) == {
        ("A", "C"): 4,
        ("C", "D"): 4,
    }


def test_filter_variants_top_k_and_coverage(log: pl.DataFrame) -> None:
    assert cases_of(filter_variants(log, top_k=1)) == ["c1", "c4"]
    assert cases_of(filter_variants(log, coverage=0.5)) == ["c1", "c4"]
    assert cases_of(filter_variants(log, coverage=0.51)) == ["c1", "c3", "c4"]
    assert cases_of(filter_variants(log, coverage=1.0)) == ["c1", "c2", "c3", "c4"]
    with pytest.raises(InputError, match="exactly one"):
        filter_variants(log)


def test_filter_case_size_and_duration(log: pl.DataFrame) -> None:
    assert cases_of(filter_case_size(log, min_events=5)) == ["c3"]
    assert cases_of(filter_case_size(log, max_events=4)) == ["c1", "c2", "c4"]
    assert cases_of(filter_case_duration(log, max_s=3600)) == ["c1", "c2", "c4"]
    assert cases_of(filter_case_duration(log, min_s=3000, max_s=3600)) == ["c1", "c4"]


def test_filter_follows(log: pl.DataFrame) -> None:
    assert cases_of(filter_follows(log, "C", "B")) == ["c2"]
    assert cases_of(filter_follows(log, "C", "B", keep=False)) == ["c1", "c3", "c4"]
    assert cases_of(filter_follows(log, "C", "B", relation="eventually")) == ["c2"]
    assert cases_of(filter_follows(log, "A", "D")) == []
    assert cases_of(filter_follows(log, "A", "D", relation="eventually")) == [
        "c1",
        "c2",
        "c3",
        "c4",
    ]
    assert cases_of(filter_follows(log, "B", "B")) == ["c3"]


def test_filter_endpoints_and_activity_presence(log: pl.DataFrame) -> None:
    assert cases_of(filter_endpoints(log, ["A"])) == ["c1", "c2", "c3", "c4"]
    assert cases_of(filter_endpoints(log, ["C"], position="end")) == []
    assert cases_of(filter_endpoints(log, ["D"], position="end", keep=False)) == []
    assert cases_of(filter_cases_with_activity(log, ["B"])) == ["c1", "c2", "c3", "c4"]


def test_filter_time_window_modes(log: pl.DataFrame) -> None:
    start = dt.datetime(2024, 3, 4, 8, 30, tzinfo=UTC)
    end = dt.datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert cases_of(filter_time_window(log, start=start, end=end, mode="contained")) == []
    assert cases_of(filter_time_window(log, start=start, end=end)) == ["c1", "c2"]
    assert cases_of(filter_time_window(log, start=start, end=end, mode="started")) == ["c2"]
    assert cases_of(filter_time_window(log, start=start, end=end, mode="completed")) == ["c1"]
    # Trim: c1's C (08:30) and D (09:00), c2's A, C and B (08:00, 08:20, 08:25).
    assert filter_time_window(log, start=start, end=end, mode="trim").collect().height == 5
    with pytest.raises(InputError, match="no time zone"):
        filter_time_window(log, start=dt.datetime(2024, 3, 4), end=end)


def test_filter_attribute_and_org_unit(log: pl.DataFrame) -> None:
    assert cases_of(filter_org_unit(log, ["u3"])) == ["c2"]
    assert filter_org_unit(log, ["u3"], level="event").collect().height == 1
    assert cases_of(filter_attribute(log, "org_unit", ["u2"], keep=False)) == ["c4"]
    with pytest.raises(InputError, match="no column 'team'"):
        filter_attribute(log, "team", ["x"])


def test_filters_return_lazy_views(log: pl.DataFrame) -> None:
    view = filter_case_size(filter_follows(log.lazy(), "A", "B"), min_events=4)
    assert isinstance(view, pl.LazyFrame)
    assert cases_of(view) == ["c1", "c3", "c4"]


# --- durations -------------------------------------------------------------------------------


def test_case_durations(log: pl.DataFrame) -> None:
    table = compute_case_durations(log)
    assert table.select("case_id", "events", "duration_s").rows() == [
        ("c1", 4, 3600.0),
        ("c2", 4, 2700.0),
        ("c3", 5, 5700.0),
        ("c4", 4, 3600.0),
    ]
    # 08:00 UTC is 09:00 in Copenhagen (winter time): every case lies inside office hours.
    working = compute_case_durations(log, time="working")
    assert working["duration_s"].to_list() == table["duration_s"].to_list()


def test_time_between_two_activities(log: pl.DataFrame) -> None:
    table = compute_time_between(log, source="B", target="D")
    assert table.select("case_id", "duration_s").rows() == [
        ("c1", 3000.0),
        ("c2", 1200.0),
        ("c3", 5400.0),
        ("c4", 3000.0),
    ]
    # C comes after B except in c2, where the first C precedes the first B.
    assert compute_time_between(log, source="B", target="C")["case_id"].to_list() == [
        "c1",
        "c3",
        "c4",
    ]


def test_waiting_time_per_activity(log: pl.DataFrame) -> None:
    table = compute_activity_durations(log)
    rows = {r["activity"]: r for r in table.iter_rows(named=True)}
    assert (rows["B"]["frequency"], rows["B"]["mean_wait_s"]) == (5, 480.0)
    assert (rows["C"]["mean_wait_s"], rows["C"]["total_wait_s"]) == (1200.0, 4800.0)
    assert (rows["D"]["mean_wait_s"], rows["D"]["median_wait_s"]) == (2100.0, 1800.0)
    assert rows["D"]["p90_wait_s"] == pytest.approx(3060.0)
    assert rows["B"]["mean_service_s"] is None


def test_service_time_with_start_timestamps() -> None:
    t0 = dt.datetime(2024, 3, 4, 8, tzinfo=UTC)
    minutes = [(0, 5), (20, 30), (35, 60)]
    log = build_log(
        [
            {
                "case_id": "k",
                "activity": name,
                "start_timestamp": t0 + dt.timedelta(minutes=start),
                "timestamp": t0 + dt.timedelta(minutes=end),
            }
            for name, (start, end) in zip("XYZ", minutes, strict=True)
        ]
    )
    check_start_timestamps(log)
    timed = compute_event_durations(log).collect()
    # Waiting: from the previous end to this start: Y 20-5, Z 35-30. Service: end - start.
    assert timed["wait_s"].to_list() == [None, 900.0, 300.0]
    assert timed["service_s"].to_list() == [300.0, 600.0, 1500.0]
    with pytest.raises(InputError, match="no start timestamps"):
        check_start_timestamps(build_log(tiny_rows()))


# --- bottlenecks -----------------------------------------------------------------------------


def test_bottlenecks_by_activity_and_arc(log: pl.DataFrame) -> None:
    acts = find_bottlenecks(log, level="activity")
    assert acts.select("activity", "rank", "frequency", "total_wait_s").rows() == [
        ("D", 1, 4, 8400.0),
        ("C", 2, 4, 4800.0),
        ("B", 3, 5, 2400.0),
    ]
    assert acts["wait_share"].sum() == pytest.approx(1.0)
    arcs = find_bottlenecks(log, top=4)
    assert arcs.select("source", "target", "total_wait_s").rows() == [
        ("C", "D", 7200.0),
        ("B", "C", 3600.0),
        ("A", "B", 1500.0),
        ("A", "C", 1200.0),
    ]


def test_bottlenecks_by_month_and_org_unit(log: pl.DataFrame) -> None:
    monthly = find_bottlenecks(log, level="activity", by="month", top=1)
    assert monthly.select("month", "activity", "total_wait_s").rows() == [
        (dt.date(2024, 3, 1), "D", 8400.0)
    ]
    units = find_bottlenecks(log, level="activity", by="org_unit")
    # D waited in u1 in c1, c2, c4 (30+20+30 min) and in u2 in c3 (60 min).
    assert units.filter(pl.col("activity") == "D").select("org_unit", "total_wait_s").rows() == [
        ("u1", 4800.0),
        ("u2", 3600.0),
    ]
    assert (
        units.group_by("org_unit").agg(pl.col("wait_share").sum())["wait_share"].to_list()
        == [pytest.approx(1.0)] * 3
    )


# --- handovers -------------------------------------------------------------------------------


def test_handover_matrix(log: pl.DataFrame) -> None:
    matrix = compute_handovers(log)
    assert matrix.select("source", "target", "handovers", "cases").rows() == [
        ("u1", "u2", 4, 3),
        ("u2", "u1", 2, 2),
        ("u2", "u3", 1, 1),
        ("u3", "u1", 1, 1),
    ]
    assert matrix["share"].to_list() == [0.5, 0.25, 0.125, 0.125]


def test_ping_pong_and_per_case(log: pl.DataFrame) -> None:
    assert find_ping_pong(log).select("source", "target", "occurrences", "cases").rows() == [
        ("u1", "u2", 2, 2),
        ("u2", "u1", 1, 1),
    ]
    per_case = compute_handovers_per_case(log)
    assert per_case.select("case_id", "handovers", "ping_pongs").rows() == [
        ("c1", 2, 1),
        ("c2", 3, 0),
        ("c3", 3, 2),
        ("c4", 0, 0),
    ]
    trend = compute_handover_trend(log)
    assert trend.rows() == [(dt.date(2024, 3, 1), 4, 8, 2.0, 3)]


def test_resource_handovers_need_five_people(log: pl.DataFrame) -> None:
    few = log.with_columns(pl.col("org_unit").alias("resource"))
    with pytest.raises(PrivacyError, match="3 resource"):
        compute_handovers(few, level="resource")
    with pytest.raises(PrivacyError, match="below the privacy rule"):
        compute_handovers(few, level="resource", min_group_size=2)
    with pytest.raises(InputError, match="no resource column"):
        compute_handovers(log, level="resource")


def test_resource_matrix_is_sorted_by_name_not_ranked() -> None:
    people = [f"p{i}" for i in range(6)]
    rows = [
        {
            "case_id": f"k{n}",
            "activity": "A",
            "timestamp": dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=m),
            "resource": people[(n + m) % 6] if m < 2 else people[n % 6],
        }
        for n in range(6)
        for m in range(3)
    ]
    matrix = compute_handovers(build_log(rows), level="resource")
    assert matrix.select("source", "target").rows() == sorted(
        matrix.select("source", "target").rows()
    )
    assert matrix["handovers"].sum() == 12


# --- rework ----------------------------------------------------------------------------------


def test_rework_per_activity_and_case(log: pl.DataFrame) -> None:
    table = compute_rework(log)
    assert table.rows() == [
        ("A", 4, 4, 0, 0.0, 0, 0),
        ("B", 5, 4, 1, 0.25, 1, 1),
        ("C", 4, 4, 0, 0.0, 0, 0),
        ("D", 4, 4, 0, 0.0, 0, 0),
    ]
    per_case = compute_rework(log, level="case")
    assert per_case.rows() == [
        ("c1", 4, 0, 0, False),
        ("c2", 4, 0, 0, False),
        ("c3", 5, 1, 1, True),
        ("c4", 4, 0, 0, False),
    ]


# --- before/after ----------------------------------------------------------------------------


def test_compare_throughput_around_a_date(log: pl.DataFrame) -> None:
    at = dt.datetime(2024, 3, 6, tzinfo=UTC)
    result = compare_periods(log, at=at, resamples=500, seed=1)
    # Before: c1 3600, c2 2700 (mean 3150); after: c3 5700, c4 3600 (mean 4650).
    assert (result.cases_before, result.cases_after) == (2, 2)
    assert (result.before, result.after, result.difference) == (3150.0, 4650.0, 1500.0)
    # Resampled differences lie between the extremes (3600 - 3600) and (5700 - 2700).
    assert 0.0 <= result.ci_low <= result.difference <= result.ci_high <= 3000.0
    assert 0.0 < result.p_value <= 1.0
    again = compare_periods(log, at=at, resamples=500, seed=1)
    assert again == result


def test_permutation_p_value_matches_the_exact_one() -> None:
    # Three cases of 1, 2, 3 events before, three of 11, 12, 13 after: of the 20 ways to split
    # the six cases in two, 2 are as extreme as the observed one, so the exact p is 0.1.
    rows = []
    for n, size in enumerate([1, 2, 3, 11, 12, 13]):
        start = dt.datetime(2024, 1 if n < 3 else 6, 1, tzinfo=UTC)
        rows += [
            {"case_id": f"k{n}", "activity": "A", "timestamp": start + dt.timedelta(minutes=m)}
            for m in range(size)
        ]
    log = build_log(rows)
    result = compare_periods(
        log, at=dt.datetime(2024, 3, 1, tzinfo=UTC), measure="events", resamples=4000
    )
    assert (result.before, result.after, result.difference) == (2.0, 12.0, 10.0)
    assert result.p_value == pytest.approx(0.1, abs=0.02)
    assert 8.0 <= result.ci_low <= result.ci_high <= 12.0
    median = compare_periods(
        log, at=dt.datetime(2024, 3, 1, tzinfo=UTC), measure="events", statistic="median"
    )
    assert median.difference == 10.0


def test_case_measures(log: pl.DataFrame) -> None:
    def values(**options: object) -> list[float]:
        return compute_case_measure(log, **options)["value"].to_list()  # type: ignore[arg-type]

    assert values(measure="events") == [4.0, 4.0, 5.0, 4.0]
    assert values(measure="handovers") == [2.0, 3.0, 3.0, 0.0]
    assert values(measure="rework") == [0.0, 0.0, 1.0, 0.0]
    assert values(measure="time_between_s", source="A", target="C") == [
        1800.0,
        1200.0,
        2100.0,
        1800.0,
    ]
    # Waiting before D: c1 30, c2 20, c3 60, c4 30 minutes; before all events: the throughput.
    assert values(measure="wait_s", target="D") == [1800.0, 1200.0, 3600.0, 1800.0]
    assert values(measure="wait_s") == [3600.0, 2700.0, 5700.0, 3600.0]
    with pytest.raises(InputError, match="needs both --source and --target"):
        values(measure="time_between_s")
    with pytest.raises(InputError, match="at least 2 cases"):
        compare_periods(log, at=dt.datetime(2024, 3, 5, tzinfo=UTC))
    with pytest.raises(InputError, match="no time zone"):
        compare_periods(log, at=dt.datetime(2024, 3, 6))


def test_every_view_of_an_empty_filter_result_is_empty(log: pl.DataFrame) -> None:
    empty = filter_case_size(log, min_events=100)
    assert discover_dfg(empty).height == 0
    pmap = discover_process_map(empty, activity_coverage=0.5, path_coverage=0.5)
    assert (pmap.arcs.height, pmap.activities.height) == (0, 0)
    assert pmap.arcs.schema["source"] == pl.String
    assert compute_variants(empty).height == 0
    assert find_bottlenecks(empty).height == 0
    assert compute_handovers(empty).height == 0
    assert compute_handovers_per_case(empty).height == 0
    assert compute_rework(empty).height == 0
    assert compute_case_durations(empty).height == 0


def test_dfg_with_more_than_65536_categories_in_the_process(log: pl.DataFrame) -> None:
    # Categories are process-wide: past 2**16 names the DFG switches to 64-bit pair keys.
    many = pl.Series([f"other activity {i}" for i in range(70_000)], dtype=pl.Categorical())
    assert many.dtype.categories.to_series().len() > 2**16  # type: ignore[attr-defined]
    late = build_log([{**row, "activity": f"late {row['activity']}"} for row in tiny_rows()])
    assert arcs_of(discover_dfg(late)) == {
        (f"late {s}", f"late {t}"): n for (s, t), n in arcs_of(discover_dfg(log)).items()
    }
