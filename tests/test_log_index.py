"""Filtered views of a stored log as row masks over an in-memory index (``mining.log_index``).

Checked: every filter kind (period in each mode, attribute at event and case level, org unit,
variants by count and by coverage, and chains of them) applied to a stored log keeps exactly the
rows the polars filters keep on the same events in memory, and the DFG, variants and bottlenecks
computed from the mask equal those computed from the kept rows; a hash collision between two
sequences falls back to grouping the sequences themselves; org units spelt with "&" and "og" are
one unit in the filter. Equality with pm4py on the same filtered rows: tests/test_bench.py runs
every filtered operation of ``kitflow bench`` against pm4py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from extractors.files import ReadOptions
from mining import (
    compute_variants,
    discover_dfg,
    filter_attribute,
    filter_org_unit,
    filter_time_window,
    filter_variants,
    filter_view,
    find_bottlenecks,
    log_index,
)
from mining.log_index import find_view
from models.store import LogStore
from services.imports import import_log
from tests.test_dfg_aggregate import _load_generator

Log = pl.LazyFrame | pl.DataFrame


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> tuple[LogStore, pl.DataFrame]:
    """The standard workload at 20,000 events with an org unit per event (two spellings of one
    unit: "Drift & Infrastruktur" for resources R000-R009, "Drift og Infrastruktur" for
    R010-R019), stored; and its events in memory (where the filters run in polars)."""
    events: pl.DataFrame = _load_generator().generate(20_000, 42)  # type: ignore[attr-defined]
    number = pl.col("resource").str.extract(r"(\d+)").cast(pl.Int64) // 10
    unit = (
        pl.when(number == 0)
        .then(pl.lit("Drift & Infrastruktur"))
        .when(number == 1)
        .then(pl.lit("Drift og Infrastruktur"))
        .otherwise(pl.format("Enhed {}", number))
    )
    folder = tmp_path_factory.mktemp("log-index")
    source = folder / "o2c.parquet"
    events.with_columns(unit.alias("org_unit")).write_parquet(source)
    store = LogStore(folder / "data", f"sqlite:///{folder / 'catalog.db'}")
    # Kept in clear: the filters below name resources (the generator's are not people).
    import_log(store, source, name="log", options=ReadOptions(pseudonymise=False))
    return store, store.read("log")


def _window(frame: pl.DataFrame) -> tuple[dt.datetime, dt.datetime]:
    first, last = frame.select(
        pl.col("timestamp").min().alias("a"), pl.col("timestamp").max().alias("b")
    ).row(0)
    return first + (last - first) / 4, first + (last - first) * 3 / 4


FILTERS: dict[str, Callable[[Log, dt.datetime, dt.datetime], pl.LazyFrame]] = {
    "trim": lambda log, a, b: filter_time_window(log, start=a, end=b, mode="trim"),
    "intersecting": lambda log, a, b: filter_view(log, start=a, end=b),
    # From before the log's start: the cases that ended before three quarters of its span.
    "contained": lambda log, a, b: filter_time_window(
        log, start=a - (b - a), end=b, mode="contained"
    ),
    # The cases that started in the first 1 % of the span (most start in the first 2 %).
    "started": lambda log, a, b: filter_time_window(
        log, start=a - (b - a) / 2, end=a - (b - a) * 0.48, mode="started"
    ),
    "completed": lambda log, a, b: filter_time_window(log, start=a, end=b, mode="completed"),
    "event_attribute": lambda log, a, b: filter_attribute(
        log, "resource", ["R001", "R002", "R050"], level="event"
    ),
    "case_attribute_dropped": lambda log, a, b: filter_attribute(
        log, "resource", ["R001", "R002"], level="case", keep=False
    ),
    "org_unit": lambda log, a, b: filter_org_unit(log, ["Enhed 3", "Enhed 4"]),
    "top_variants": lambda log, a, b: filter_variants(log, top_k=7),
    "variant_coverage": lambda log, a, b: filter_variants(log, coverage=0.6),
    "period_then_unit_then_variants": lambda log, a, b: filter_variants(
        filter_view(log, start=a, end=b, org_units=["Enhed 2"]), top_k=5
    ),
    "trim_then_case_attribute_then_coverage": lambda log, a, b: filter_variants(
        filter_attribute(
            filter_time_window(log, start=a, end=b, mode="trim"), "resource", ["R007"]
        ),
        coverage=0.5,
    ),
}


@pytest.mark.parametrize("kind", list(FILTERS))
def test_a_filtered_view_keeps_the_same_rows_and_computes_the_same_figures(
    workload: tuple[LogStore, pl.DataFrame], kind: str
) -> None:
    store, events = workload
    start, end = _window(events)
    narrow = FILTERS[kind]
    fast, slow = narrow(store.scan("log"), start, end), narrow(events, start, end)
    assert find_view(fast, bare=False) is not None  # served from the index
    kept = slow.collect()
    assert 0 < kept.height < events.height
    assert_frame_equal(fast.collect(), kept)
    assert_frame_equal(discover_dfg(fast), discover_dfg(slow))
    assert_frame_equal(compute_variants(fast), compute_variants(slow), rel_tol=1e-12)
    for level in ("arc", "activity"):
        assert_frame_equal(
            find_bottlenecks(fast, level=level),  # type: ignore[arg-type]
            find_bottlenecks(slow, level=level),  # type: ignore[arg-type]
            rel_tol=1e-12,
        )


def test_a_hash_collision_falls_back_to_the_sequences_themselves(
    workload: tuple[LogStore, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, events = workload
    start, end = _window(events)
    # Multiplier 0: every sequence hashes to its first activity, so nearly all collide.
    monkeypatch.setattr(log_index, "_HASH_MULTIPLIERS", (log_index.np.uint64(0),))
    log_index.clear_log_indexes()
    fast = filter_time_window(store.scan("log"), start=start, end=end, mode="trim")
    slow = filter_time_window(events, start=start, end=end, mode="trim")
    assert_frame_equal(compute_variants(fast), compute_variants(slow), rel_tol=1e-12)
    whole = compute_variants(filter_org_unit(store.scan("log"), ["Enhed 5"]))
    assert_frame_equal(whole, compute_variants(filter_org_unit(events, ["Enhed 5"])), rel_tol=1e-12)
    log_index.clear_log_indexes()


@pytest.mark.parametrize("spelling", ["Drift og Infrastruktur", "Drift & Infrastruktur"])
def test_either_spelling_of_a_unit_keeps_the_events_of_both(
    workload: tuple[LogStore, pl.DataFrame], spelling: str
) -> None:
    store, events = workload
    both = events.filter(pl.col("org_unit").str.starts_with("Drift"))
    assert set(both["org_unit"].unique()) == {"Drift & Infrastruktur", "Drift og Infrastruktur"}
    for log in (store.scan("log"), events):
        kept = filter_org_unit(log, [spelling], level="event").collect()
        assert_frame_equal(kept, both)
