"""Filtered views of a stored log as row masks over an in-memory index (``mining.log_index``).

Checked: every filter kind (period in each mode, attribute at event and case level, org unit,
variants by count and by coverage, and chains of them) applied to a stored log keeps exactly the
rows the polars filters keep on the same events in memory, and the DFG, variants and bottlenecks
computed from the mask equal those computed from the kept rows; a hash collision between two
sequences falls back to grouping the sequences themselves (also between sequences of different
lengths, and on a hand-made log whose variants are known exactly); the order of tied variants by
their names is the same when computed from the names' ranks or from the names themselves; org
units spelt with "&" and "og" are one unit in the filter. Equality with pm4py on the same
filtered rows: tests/test_bench.py runs every filtered operation of ``kitflow bench`` against
pm4py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
from mining.log_index import LogIndex, View, find_view, view_variants
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
    monkeypatch.setattr(log_index, "_HASH_MULTIPLIER", np.uint64(0))
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


# A hand-made index: activities a, b, c (codes 0, 1, 2); each case's events with the kept ones
# marked, and its first and last kept time (seconds). Kept sequences: (c, a) twice, then once
# each (a, b), (c), (a, a), a nine times, a eight times then b; the last case keeps nothing.
HAND_MADE: list[tuple[list[int], list[bool], float, float]] = [
    ([2, 1, 0], [True, False, True], 0.0, 10.0),
    ([0, 1], [True, True], 5.0, 6.0),
    ([2, 0, 2], [True, True, False], 100.0, 131.0),
    ([2], [True], 7.0, 7.0),
    ([0, 0], [True, True], 0.0, 4.0),
    ([1, 1], [False, False], 0.0, 1.0),
    ([0] * 9, [True] * 9, 0.0, 90.0),
    ([0] * 8 + [1], [True] * 9, 0.0, 80.0),
]
HAND_MADE_VARIANTS = pl.DataFrame(
    {
        "variant_rank": [1, 2, 3, 4, 5, 6],
        # Ties (one case each) by the names as lists: a prefix first, then element by element.
        "variant": [["c", "a"], ["a", "a"], ["a"] * 9, ["a"] * 8 + ["b"], ["a", "b"], ["c"]],
        "cases": [2, 1, 1, 1, 1, 1],
        "share": [2 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7],
        "events": [2, 2, 9, 9, 2, 1],
        "mean_throughput_s": [20.5, 4.0, 90.0, 80.0, 1.0, 0.0],
        "median_throughput_s": [20.5, 4.0, 90.0, 80.0, 1.0, 0.0],
    }
)


def _hand_made_view() -> View:
    codes: list[int] = []
    mask: list[bool] = []
    times: list[float] = []
    case_of: list[int] = []
    starts: list[int] = []
    for number, (sequence, kept, first, last) in enumerate(HAND_MADE):
        starts.append(len(codes))
        codes += sequence
        mask += kept
        case_of += [number] * len(sequence)
        # The first and last kept events at the given times, the others between them; a
        # dropped event at its predecessor's time (rows are sorted by time within a case).
        moments = iter(np.linspace(first, last, sum(kept)))
        moment = first
        for keep in kept:
            moment = next(moments) if keep else moment
            times.append(moment)
    index = LogIndex(
        path=Path("hand-made.parquet"),
        codes=np.array(codes, dtype=np.uint32),
        names=pl.Series(["a", "b", "c"]),
        time_us=(np.array(times) * 1e6).astype(np.int64),
        case_of=np.array(case_of, dtype=np.int64),
        bounds=np.array([*starts, len(codes)], dtype=np.int64),
        has_start=False,
    )
    return View(index, np.array(mask), whole_cases=False)


def test_variants_of_an_event_level_view_are_exact_on_a_hand_made_log() -> None:
    view = _hand_made_view()
    assert_frame_equal(view_variants(view), HAND_MADE_VARIANTS)
    # The same as polars computes from the kept rows themselves.
    index, kept = view.index, view.mask
    rows = pl.DataFrame(
        {
            "case_id": [f"C{number}" for number in index.case_of[kept]],
            "activity": index.names.gather(pl.Series(index.codes[kept])).cast(pl.Categorical),
            "timestamp": pl.Series(index.time_us[kept]).cast(pl.Datetime("us", "UTC")),
        }
    )
    assert_frame_equal(compute_variants(rows), HAND_MADE_VARIANTS)


@pytest.mark.parametrize(
    ("multiplier", "mixer"),
    [
        # (c, a) and (a, b) both hash to 3 + 1 * 2 = 1 + 2 * 2 = 5: same length, different codes.
        (2, None),
        # Without the length in the key, (c) hashes to 3 and (a, a) to 1 + 1 * 2 = 3.
        (2, 0),
        # Every sequence to its first activity: nearly all collide.
        (0, 0),
    ],
)
def test_colliding_hashes_never_merge_two_variants(
    monkeypatch: pytest.MonkeyPatch, multiplier: int, mixer: int | None
) -> None:
    monkeypatch.setattr(log_index, "_HASH_MULTIPLIER", np.uint64(multiplier))
    if mixer is not None:
        monkeypatch.setattr(log_index, "_LENGTH_MIXER", np.uint64(mixer))
    view = _hand_made_view()
    runs = log_index._runs(view.index, view.mask)
    codes = view.index.codes[runs.rows]
    assert log_index._number_by_hash(codes, runs) is None  # the collision is seen
    assert_frame_equal(view_variants(view), HAND_MADE_VARIANTS)


def test_tied_variants_are_ordered_alike_from_the_names_ranks_and_from_the_names(
    workload: tuple[LogStore, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, events = workload
    resources = sorted(events.get_column("resource").unique())
    trimmed = filter_attribute(
        store.scan("log"), "resource", resources[: len(resources) // 2], level="event"
    )
    from_ranks = compute_variants(trimmed)
    assert (from_ranks.get_column("cases") == 1).sum() == 80  # many ties to break
    # No room for the ranks' arrays: the names are sorted as text instead.
    monkeypatch.setattr(log_index, "_RANK_WORDS_LIMIT", 0)
    assert_frame_equal(compute_variants(trimmed), from_ranks)
    monkeypatch.setattr(log_index, "_RANK_WORDS_LIMIT", 16_000_000)
    assert_frame_equal(view_variants(_hand_made_view()), HAND_MADE_VARIANTS)
