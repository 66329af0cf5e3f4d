"""Invariants of import, storage, export and the DFG on generated logs (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.files import ReadOptions
from mining import compute_log_stats, discover_dfg
from models.store import LogStore
from services.imports import export_log, import_log

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

rows = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "c10"]),
        st.sampled_from(["Registrer", "Vurdér", "Godkend", "Luk", 'a,b "quoted"']),
        st.integers(min_value=0, max_value=20),  # few distinct minutes: many ties in time
    ),
    min_size=1,
    max_size=60,
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def import_rows(events: list[tuple[str, str, int]], folder: Path) -> LogStore:
    frame = pl.DataFrame(
        {
            "case_id": [c for c, _, _ in events],
            "activity": [a for _, a, _ in events],
            "timestamp": [(BASE + dt.timedelta(minutes=m)).isoformat() for _, _, m in events],
        }
    )
    frame.write_csv(folder / "log.csv")
    store = LogStore(folder / "data")
    import_log(store, folder / "log.csv", name="log", options=ReadOptions())
    return store


@FAST
@given(rows)
def test_stored_log_is_sorted_with_ties_in_file_order(events: list[tuple[str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stored = import_rows(events, Path(folder)).read("log")
    expected = sorted(range(len(events)), key=lambda i: (events[i][0], events[i][2], i))
    assert stored["event_order"].to_list() == expected
    assert stored["activity"].cast(pl.String).to_list() == [events[i][1] for i in expected]


@FAST
@given(rows)
def test_counts_survive_export_and_import(events: list[tuple[str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = import_rows(events, Path(folder))
        export_log(store, "log", file_format="xes", out=Path(folder) / "log.xes")
        import_log(store, Path(folder) / "log.xes", name="again", options=ReadOptions())
        first, second = compute_log_stats(store.scan("log")), compute_log_stats(store.scan("again"))
    assert first == second
    assert first.events == len(events)
    assert first.cases == len({c for c, _, _ in events})


@FAST
@given(rows)
def test_dfg_frequencies_sum_to_events_minus_cases(events: list[tuple[str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = import_rows(events, Path(folder))
        dfg = discover_dfg(store.scan("log"))
    cases = len({c for c, _, _ in events})
    assert int(dfg["frequency"].sum()) == len(events) - cases
    assert (dfg["mean_duration_s"] >= 0).all()
