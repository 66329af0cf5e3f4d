"""The stored aggregates of a stored log (``mining.aggregates``): the DFG and the variant table
kept beside the events file per file version.

Checked: they equal a fresh computation (receipt log, standard workload, a hand-checked tiny
log); a re-import or an events file changed in place is never served another version's figures;
a corrupt, truncated or foreign aggregate file is recomputed and replaced, not an error; threads
asking at once all get the right answer and leave a valid file; filtered views and in-memory
frames never use an aggregate.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from extractors.files import ReadOptions
from mining.aggregates import (
    AGGREGATE_FORMAT,
    VERSION_KEY,
    aggregate_path,
    clear_aggregate_cache,
    find_events_version,
    read_aggregate,
    write_aggregate,
)
from mining.dfg import _discover_dfg, discover_dfg
from mining.filters import filter_attribute, filter_time_window
from mining.stats import compute_log_stats
from mining.variants import _compute_variants, compute_variants, store_log_aggregates
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import shared_file

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_o2c_log.py"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fresh_memory() -> None:
    """Each test starts without aggregates kept in memory, as a fresh process does."""
    clear_aggregate_cache()


def _store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data", f"sqlite:///{tmp_path / 'catalog.db'}")


def _write_log(path: Path, cases: dict[str, list[tuple[str, int]]]) -> Path:
    """A flat log file: per case, (activity, hours after T0) in order."""
    rows = [
        (case, activity, T0 + hours * HOUR)
        for case, events in cases.items()
        for activity, hours in events
    ]
    pl.DataFrame(rows, schema=["case_id", "activity", "timestamp"], orient="row").write_parquet(
        path
    )
    return path


TINY = {
    "c1": [("A", 0), ("B", 1), ("C", 4)],
    "c2": [("A", 0), ("B", 3), ("C", 4)],
    "c3": [("A", 0), ("C", 2)],
}
"""Arcs: A→B twice (1 h, 3 h), B→C twice (3 h, 1 h), A→C once (2 h).
Variants: A,B,C twice (throughput 4 h both), A,C once (2 h)."""
TINY_DFG = [
    ("A", "B", 2, 7200.0, 7200.0),
    ("B", "C", 2, 7200.0, 7200.0),
    ("A", "C", 1, 7200.0, 7200.0),
]
TINY_VARIANTS = [
    (1, ["A", "B", "C"], 2, 2 / 3, 3, 14400.0, 14400.0),
    (2, ["A", "C"], 1, 1 / 3, 2, 7200.0, 7200.0),
]


def _import_tiny(
    tmp_path: Path, cases: dict[str, list[tuple[str, int]]] = TINY, *, keep: bool = False
) -> LogStore:
    """The tiny log imported; unless ``keep``, without the aggregates the import stored (as a
    log imported by an older version is), so that each test starts from no aggregate at all."""
    store = _store(tmp_path)
    source = _write_log(tmp_path / "tiny.parquet", cases)
    import_log(store, source, name="log", options=ReadOptions(), replace=True)
    if not keep:
        for kind in ("dfg", "variants"):
            aggregate_path(store.table_path("log"), kind).unlink()
        clear_aggregate_cache()
    return store


def test_an_import_stores_both_aggregates_of_the_new_version(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path, keep=True)
    events = store.table_path("log")
    version = find_events_version(events)
    assert version is not None
    clear_aggregate_cache()  # what a fresh process finds: the files
    assert read_aggregate(events, "dfg", version) is not None
    assert pl.read_parquet(aggregate_path(events, "dfg")).rows() == TINY_DFG
    assert pl.read_parquet(aggregate_path(events, "variants")).rows() == TINY_VARIANTS


def test_a_tiny_log_stores_exactly_the_hand_computed_graph_and_variants(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    seconds = store_log_aggregates(events)
    assert set(seconds) == {"dfg", "variants"}
    version = find_events_version(events)
    assert version is not None
    for kind in ("dfg", "variants"):
        metadata = pl.read_parquet_metadata(aggregate_path(events, kind))
        assert metadata[VERSION_KEY] == version
    stored_dfg = read_aggregate(events, "dfg", version)
    stored_variants = read_aggregate(events, "variants", version)
    assert stored_dfg is not None and stored_variants is not None
    assert stored_dfg.rows() == TINY_DFG
    assert stored_variants.rows() == TINY_VARIANTS
    # Served from the stored files in a "fresh process" (nothing in memory).
    clear_aggregate_cache()
    assert discover_dfg(store.scan("log")).rows() == TINY_DFG
    assert compute_variants(store.scan("log")).rows() == TINY_VARIANTS


def _load_generator() -> object:
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips or fails with the missing path
    spec = importlib.util.spec_from_file_location("gen_o2c_log", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


@pytest.mark.parametrize("log", ["receipt", "o2c-seed42"])
def test_the_stored_aggregates_equal_a_fresh_computation(tmp_path: Path, log: str) -> None:
    store = _store(tmp_path)
    if log == "receipt":
        source = shared_file("pm4py-examples/receipt.xes.gz")
    else:
        generated: pl.DataFrame = _load_generator().generate(20_000, 42)  # type: ignore[attr-defined]
        source = tmp_path / "o2c.parquet"
        generated.write_parquet(source)
    import_log(store, source, name="log", options=ReadOptions())
    fresh_dfg = _discover_dfg(store.read("log"))
    fresh_variants = _compute_variants(store.read("log"))
    store_log_aggregates(store.table_path("log"))
    clear_aggregate_cache()
    served_dfg = discover_dfg(store.scan("log"))
    served_variants = compute_variants(store.scan("log"))
    # Equal to the last bit: Parquet keeps float64 as it is.
    assert served_dfg.equals(fresh_dfg) and served_variants.equals(fresh_variants)
    assert served_dfg.height == fresh_dfg.height > 0
    if log == "receipt":
        assert (served_dfg.height, served_variants.height) == (99, 116)  # as pm4py counts them
        assert served_variants.get_column("cases").sum() == 1434
    else:
        assert served_variants.get_column("cases").sum() == store.entry("log").cases


def test_a_first_request_stores_the_aggregate_for_the_next_process(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    dfg_file = aggregate_path(events, "dfg")
    assert not dfg_file.exists()  # as after an import by an older version
    assert discover_dfg(store.scan("log")).rows() == TINY_DFG
    assert dfg_file.exists()
    assert pl.read_parquet_metadata(dfg_file)[VERSION_KEY] == find_events_version(events)
    assert pl.read_parquet(dfg_file).rows() == TINY_DFG


def test_a_reimport_never_serves_the_old_aggregate(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    store_log_aggregates(store.table_path("log"))
    assert discover_dfg(store.scan("log")).rows() == TINY_DFG
    # A re-import under the same name: a new events file, a new version, new figures.
    store = _import_tiny(tmp_path, {"c1": [("A", 0), ("C", 1), ("C", 3)]})
    assert discover_dfg(store.scan("log")).rows() == [
        ("A", "C", 1, 3600.0, 3600.0),
        ("C", "C", 1, 7200.0, 7200.0),
    ]
    assert compute_variants(store.scan("log")).rows() == [
        (1, ["A", "C", "C"], 1, 1.0, 3, 10800.0, 10800.0)
    ]


def test_the_version_tells_apart_files_of_same_size_and_modification_time(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    first.write_bytes(b"x" * 100)
    second.write_bytes(b"y" * 100)
    for path in (first, second):
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    one, other = find_events_version(first), find_events_version(second)
    assert one is not None and other is not None
    assert one.split(":")[:2] == other.split(":")[:2] == ["100", "1700000000000000000"]
    assert one != other
    assert find_events_version(tmp_path / "missing.parquet") is None


def test_an_events_file_changed_in_place_is_never_served_the_old_aggregate(
    tmp_path: Path,
) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    store_log_aggregates(events)
    status = events.stat()
    # Other content written over the file, its modification time set back to the old one.
    other = pl.read_parquet(events).with_columns(
        pl.when((pl.col("case_id") == "c3") & (pl.col("activity") == "C"))
        .then(pl.col("timestamp") + pl.duration(hours=1))
        .otherwise(pl.col("timestamp"))
    )
    other.write_parquet(events, statistics=True)
    os.utime(events, ns=(status.st_atime_ns, status.st_mtime_ns))
    clear_aggregate_cache()
    assert discover_dfg(store.scan("log")).rows() == [
        ("A", "B", 2, 7200.0, 7200.0),
        ("B", "C", 2, 7200.0, 7200.0),
        ("A", "C", 1, 10800.0, 10800.0),
    ]
    assert compute_variants(store.scan("log")).get_column("median_throughput_s").to_list() == [
        14400.0,
        10800.0,
    ]


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "other-version", "older-format", "not-a-file"],
)
def test_a_damaged_or_foreign_aggregate_is_recomputed_not_an_error(
    tmp_path: Path, damage: str
) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    store_log_aggregates(events)
    for kind in ("dfg", "variants"):
        target = aggregate_path(events, kind)
        if damage == "garbage":
            target.write_bytes(b"this is not a parquet file" * 10)
        elif damage == "truncated":
            target.write_bytes(target.read_bytes()[:-40])
        elif damage == "empty":
            target.write_bytes(b"")
        elif damage == "other-version":
            pl.DataFrame({"x": [1]}).write_parquet(target, metadata={VERSION_KEY: "1:2:abc:1"})
        elif damage == "older-format":  # this very events file, as older code stored it
            current = find_events_version(events)
            assert current is not None and current.endswith(f":{AGGREGATE_FORMAT}")
            older = current.rsplit(":", 1)[0] + f":{AGGREGATE_FORMAT - 1}"
            pl.DataFrame({"x": [1]}).write_parquet(target, metadata={VERSION_KEY: older})
        else:
            target.unlink()
            target.mkdir()  # a folder where the file should be: cannot be read nor replaced
    clear_aggregate_cache()
    assert discover_dfg(store.scan("log")).rows() == TINY_DFG
    assert compute_variants(store.scan("log")).rows() == TINY_VARIANTS
    if damage != "not-a-file":  # the recomputed aggregate replaced the bad file
        version = find_events_version(events)
        assert version is not None
        dfg = read_aggregate(events, "dfg", version)
        assert dfg is not None and dfg.rows() == TINY_DFG


def test_an_unwritable_store_still_answers(tmp_path: Path) -> None:
    missing_folder = tmp_path / "gone" / "events.parquet"
    table = pl.DataFrame({"x": [1]})
    assert write_aggregate(missing_folder, "dfg", "1:2:abc", table) is False
    assert list(tmp_path.iterdir()) == []  # and no partial file left behind


def test_threads_asking_at_once_get_the_right_answer_and_leave_a_valid_file(
    tmp_path: Path,
) -> None:
    generated: pl.DataFrame = _load_generator().generate(5_000, 42)  # type: ignore[attr-defined]
    source = tmp_path / "o2c.parquet"
    generated.write_parquet(source)
    store = _store(tmp_path)
    import_log(store, source, name="log", options=ReadOptions())
    expected_dfg = _discover_dfg(store.read("log"))
    expected_variants = _compute_variants(store.read("log"))

    def ask(index: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        if index % 4 == 0:
            clear_aggregate_cache()  # some threads find nothing in memory and read the file
        return discover_dfg(store.scan("log")), compute_variants(store.scan("log"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(32)))
    assert len(answers) == 32
    for graph, variants in answers:
        assert graph.equals(expected_dfg) and variants.equals(expected_variants)
    events = store.table_path("log")
    version = find_events_version(events)
    assert version is not None
    stored = read_aggregate(events, "dfg", version)
    assert stored is not None and stored.equals(expected_dfg)
    leftovers = [p.name for p in events.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_filtered_views_and_frames_never_use_the_aggregate(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    version = find_events_version(events)
    assert version is not None
    # A planted aggregate, current for this version but with figures no log has: served for
    # the bare scan, which proves it is read, and never for a view of the log.
    planted = pl.DataFrame(
        {
            "source": ["X"],
            "target": ["Y"],
            "frequency": [99],
            "mean_duration_s": [1.0],
            "median_duration_s": [1.0],
        }
    )
    assert write_aggregate(events, "dfg", version, planted)
    assert discover_dfg(store.scan("log")).rows() == [("X", "Y", 99, 1.0, 1.0)]
    everything = filter_time_window(
        store.scan("log"), start=T0, end=T0 + 10 * HOUR, mode="intersecting"
    )
    assert discover_dfg(everything).rows() == TINY_DFG
    assert discover_dfg(store.read("log")).rows() == TINY_DFG
    assert discover_dfg(store.scan("log").select("case_id", "activity", "timestamp")).rows() == (
        TINY_DFG
    )
    only_c1 = filter_attribute(store.scan("log"), "case_id", ["c1"], level="event")
    assert discover_dfg(only_c1).rows() == [
        ("A", "B", 1, 3600.0, 3600.0),
        ("B", "C", 1, 10800.0, 10800.0),
    ]
    assert compute_variants(only_c1).rows() == [(1, ["A", "B", "C"], 1, 1.0, 3, 14400.0, 14400.0)]
    # The planted table stays what the bare scan gets, and nothing overwrote it.
    assert pl.read_parquet(aggregate_path(events, "dfg")).equals(planted)


def test_the_variant_count_of_a_stored_log_comes_from_its_variant_table(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    events = store.table_path("log")
    assert not aggregate_path(events, "variants").exists()
    stats = compute_log_stats(store.scan("log"))
    assert (stats.cases, stats.events, stats.activities, stats.variants) == (3, 8, 3, 2)
    assert pl.read_parquet(aggregate_path(events, "variants")).rows() == TINY_VARIANTS
    # A view counts its own variants: only case c3 is left, one variant.
    assert compute_log_stats(filter_attribute(store.scan("log"), "case_id", ["c3"])).variants == 1
    assert compute_log_stats(store.read("log")).variants == 2


def test_filters_on_the_categorical_activity_match_names_exactly(tmp_path: Path) -> None:
    from mining.filters import filter_activities  # noqa: PLC0415

    store = _import_tiny(tmp_path)
    scan = store.scan("log")
    assert isinstance(scan.collect_schema()["activity"], pl.Categorical)
    by_event = filter_attribute(scan, "activity", ["B", "no such activity"], level="event")
    assert by_event.select("case_id").collect().to_series().to_list() == ["c1", "c2"]
    by_case = filter_attribute(scan, "activity", ["B"], level="case", keep=False)
    assert by_case.select("case_id").collect().to_series().to_list() == ["c3", "c3"]
    without_b = filter_activities(scan, ["B"], keep=False)
    assert discover_dfg(without_b).rows() == [("A", "C", 3, 12000.0, 14400.0)]
    assert filter_activities(scan, ["no such activity"]).collect().height == 0


@pytest.mark.parametrize("log", ["receipt", "o2c-seed42"])
def test_variants_of_a_log_sorted_by_case_equal_those_grouped_by_case_id(
    tmp_path: Path, log: str
) -> None:
    from mining.dfg import find_activity_names  # noqa: PLC0415
    from mining.variants import compute_case_sequences, rank_variants  # noqa: PLC0415

    store = _store(tmp_path)
    if log == "receipt":
        source = shared_file("pm4py-examples/receipt.xes.gz")
    else:
        generated: pl.DataFrame = _load_generator().generate(20_000, 42)  # type: ignore[attr-defined]
        source = tmp_path / "o2c.parquet"
        generated.write_parquet(source)
    import_log(store, source, name="log", options=ReadOptions())
    events = store.read("log")
    by_case_id = rank_variants(compute_case_sequences(events), find_activity_names(events))
    assert _compute_variants(events).equals(by_case_id.drop("_sequence").collect())


def test_variants_of_a_log_not_sorted_by_case_group_by_case_id() -> None:
    interleaved = pl.DataFrame(
        {
            "case_id": ["c2", "c1", "c2", "c1", "c3", "c3"],
            "activity": ["A", "A", "B", "B", "A", "C"],
            "timestamp": [T0, T0, T0 + HOUR, T0 + 2 * HOUR, T0, T0 + 3 * HOUR],
        }
    ).with_columns(pl.col("activity").cast(pl.Categorical))
    assert compute_variants(interleaved).rows() == [
        (1, ["A", "B"], 2, 2 / 3, 2, 5400.0, 5400.0),
        (2, ["A", "C"], 1, 1 / 3, 2, 10800.0, 10800.0),
    ]
    assert compute_log_stats(interleaved).variants == 2
    assert compute_log_stats(interleaved.sort("case_id", maintain_order=True)).variants == 2


def test_deleting_or_replacing_a_log_leaves_no_folder_behind(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path, keep=True)
    folder = store.table_path("log").parent
    (folder / "late-writer.tmp").write_text("a reader's file written meanwhile")
    store.delete("log")
    assert sorted(p.name for p in folder.parent.iterdir()) == []
    # The name is free again: a new import needs no --replace, and replacing it works too.
    source = _write_log(tmp_path / "again.parquet", TINY)
    import_log(store, source, name="log", options=ReadOptions(), replace=False)
    import_log(store, source, name="log", options=ReadOptions(), replace=True)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["log"]
    assert discover_dfg(store.scan("log")).rows() == TINY_DFG


def test_a_scan_of_a_users_own_parquet_file_leaves_nothing_beside_it(tmp_path: Path) -> None:
    store = _import_tiny(tmp_path)
    own = tmp_path / "mine"
    own.mkdir()
    copy = own / "events.parquet"  # a copy of a stored log, named like one, outside the store
    copy.write_bytes(store.table_path("log").read_bytes())
    assert discover_dfg(pl.scan_parquet(copy)).rows() == TINY_DFG
    assert compute_variants(pl.scan_parquet(copy)).rows() == TINY_VARIANTS
    assert sorted(p.name for p in own.iterdir()) == ["events.parquet"]
