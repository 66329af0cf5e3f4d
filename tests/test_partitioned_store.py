"""The partitioned store: a log split by a stable hash of the case id gives, in every scan
operation of the polars engine, the results of the same log stored as one file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from app.cli import cli
from extractors.files import ReadOptions
from mining import (
    check_rules,
    compute_activity_durations,
    compute_case_durations,
    compute_handovers,
    compute_variants,
    discover_dfg,
    discover_dfg_from_events,
    filter_attribute,
    filter_case_size,
    filter_time_window,
    filter_view,
    find_bottlenecks,
    find_ping_pong,
)
from mining.rules import build_rule
from models.errors import InputError
from models.eventlog import CanonicalLog
from models.partitions import (
    assign_partitions,
    automatic_partitions,
    choose_partitions,
    stable_case_hash,
)
from models.schema import CASE, SORT_KEY, empty_quarantine
from models.store import LogStore
from services.imports import import_log
from services.storing import store_canonical_log
from tests.shared_data import shared_file

BPIC_2013 = "bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz"
RUNNING = "pm4py-examples/running-example.xes"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    """BPIC 2013 incidents (65,533 events, 7,554 cases, org units) and the running example,
    each stored as one file and in partitions."""
    store = LogStore(tmp_path_factory.mktemp("partitioned") / "data")
    for name, path, parts in (("bpic", BPIC_2013, 4), ("running", RUNNING, 3)):
        import_log(store, shared_file(path), name=name, options=ReadOptions())
        store_partitioned_copy(store, name, f"{name}-p", parts)
    return store


def store_partitioned_copy(store: LogStore, name: str, copy: str, partitions: int) -> None:
    """Stored log ``name`` stored again as ``copy`` in partitions, as an import stores it (the
    file is parsed once; ``test_the_cli_imports_in_partitions`` goes through the import)."""
    log = CanonicalLog(events=store.read(name), quarantine=empty_quarantine())
    store_canonical_log(
        store,
        log,
        name=copy,
        source_path="copy",
        source_format="parquet",
        replace=False,
        partitions=partitions,
    )


def test_the_case_hash_is_64_bit_fnv1a_of_the_utf8_bytes() -> None:
    # The published FNV-1a test vectors, and a Danish letter (two UTF-8 bytes).
    hashes = stable_case_hash(["", "a", "foobar", "æ"])
    assert [int(h) for h in hashes] == [
        0xCBF29CE484222325,
        0xAF63DC4C8601EC8C,
        0x85944171F73967E8,
        fnv1a64("æ".encode()),
    ]
    assert assign_partitions(["a", "foobar"], 7).tolist() == [
        0xAF63DC4C8601EC8C % 7,
        0x85944171F73967E8 % 7,
    ]


def fnv1a64(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) % 2**64
    return value


def test_a_partitioned_log_is_its_cases_split_by_hash_each_part_sorted(store: LogStore) -> None:
    parts = store.partition_paths("bpic-p")
    assert parts is not None
    assert [p.name for p in parts] == [f"part-000{i}.parquet" for i in range(4)]
    assert store.partition_paths("bpic") is None
    description = json.loads((parts[0].parent / "_partitioning.json").read_text("utf-8"))
    assert description == {
        "hash": "fnv1a64-utf8",
        "partitions": 4,
        "key": "case_id",
        "sorted_by": ["case_id", "timestamp", "event_order"],
    }
    whole = store.read("bpic")
    heights = []
    for index, path in enumerate(parts):
        part = pl.read_parquet(path)
        heights.append(part.height)
        assert_frame_equal(part, part.sort(SORT_KEY, maintain_order=True))
        cases = part.get_column(CASE).unique().to_list()
        assert set(assign_partitions(cases, 4).tolist()) == {index}
    assert sum(heights) == whole.height == 65_533
    assert min(heights) > 0
    together = store.read("bpic-p").sort(SORT_KEY)
    assert_frame_equal(together, whole, categorical_as_str=True)
    # The catalog entry counts the same log.
    single, split = store.entry("bpic"), store.entry("bpic-p")
    assert (split.cases, split.events, split.variants) == (single.cases, single.events, 1_511)
    assert (split.cases, split.events) == (7_554, 65_533)


def test_table_path_refuses_a_partitioned_log_and_names_what_to_use(store: LogStore) -> None:
    with pytest.raises(InputError, match="stored in partitions"):
        store.table_path("bpic-p")
    assert store.table_paths("bpic") == [store.table_path("bpic")]


def test_partitions_must_be_a_usable_count(store: LogStore) -> None:
    with pytest.raises(InputError, match="--partitions 0 is not a usable count"):
        import_log(store, shared_file(RUNNING), name="zero", options=ReadOptions(), partitions=0)
    assert automatic_partitions(19_999_999) is None
    assert automatic_partitions(20_000_000) == 4
    assert automatic_partitions(100_000_001) == 21
    # kitflow import asks for "auto"; the services' default (extraction, the bench) is one file.
    assert choose_partitions("auto", 42) is None
    assert choose_partitions("auto", 25_000_000) == 5
    assert choose_partitions(None, 25_000_000) is None
    assert choose_partitions(3, 10) == 3


Operation = Callable[[pl.LazyFrame], pl.DataFrame]
WINDOW = (dt.datetime(2011, 1, 1, tzinfo=dt.UTC), dt.datetime(2012, 1, 1, tzinfo=dt.UTC))
RULES = (
    build_rule({"id": "queued-then-accepted", "kind": "response_within", "source": "Queued",
                "target": "Accepted", "within_days": 2}),
    build_rule({"id": "no-completed-without-accepted", "kind": "required_between",
                "source": "Queued", "target": "Completed", "via": "Accepted"}),
    build_rule({"id": "four-eyes", "kind": "four_eyes", "first": "Accepted",
                "second": "Completed"}),
    build_rule({"id": "impact-known", "kind": "attribute_in", "column": "impact",
                "values": ["Low", "Medium", "High"], "when": {"column": "lifecycle",
                "values": ["In Progress"]}}),
)  # fmt: skip

# Operations whose rows are one per case come in stored order, which differs between one file
# (all cases by id) and partitions (by partition, then id): compared sorted by case.
OPERATIONS: dict[str, Operation] = {
    "dfg": discover_dfg,
    "dfg-from-events": discover_dfg_from_events,
    "variants": compute_variants,
    "case-durations": lambda e: compute_case_durations(e).sort(CASE),
    "activity-durations": compute_activity_durations,
    "bottleneck-arcs": find_bottlenecks,
    "bottleneck-activities-by-month": lambda e: find_bottlenecks(e, level="activity", by="month"),
    "bottleneck-arcs-by-org-unit": lambda e: find_bottlenecks(e, by="org_unit"),
    "handovers": compute_handovers,
    "ping-pong": find_ping_pong,
    "rules": lambda e: check_rules(e, RULES),
    "filtered-dfg": lambda e: discover_dfg(
        filter_view(e, start=WINDOW[0], end=WINDOW[1], org_units=["V30"])
    ),
    "trimmed-variants": lambda e: compute_variants(
        filter_time_window(e, start=WINDOW[0], end=WINDOW[1], mode="trim")
    ),
    "event-filter-bottlenecks": lambda e: find_bottlenecks(
        filter_attribute(e, "activity", ["Queued"], level="event", keep=False)
    ),
    "case-size-handovers": lambda e: compute_handovers(filter_case_size(e, min_events=5)),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_scan_operation_equals_the_single_file(store: LogStore, operation: str) -> None:
    compute = OPERATIONS[operation]
    single = compute(store.scan("bpic"))
    split = compute(store.scan("bpic-p"))
    assert single.height > 0
    assert_frame_equal(split, single, check_exact=True, categorical_as_str=True)


@pytest.mark.parametrize("operation", ["dfg", "variants", "case-durations", "bottleneck-arcs"])
def test_the_running_example_in_partitions_equals_one_file(store: LogStore, operation: str) -> None:
    compute = OPERATIONS[operation]
    assert_frame_equal(
        compute(store.scan("running-p")),
        compute(store.scan("running")),
        check_exact=True,
        categorical_as_str=True,
    )


def test_running_example_dfg_in_three_partitions_has_pm4pys_counts(store: LogStore) -> None:
    assert store.partition_paths("running-p") is not None
    graph = discover_dfg(store.scan("running-p"))
    pairs = {(r["source"], r["target"]): r["frequency"] for r in graph.iter_rows(named=True)}
    # pm4py's discover_dfg on running-example.xes (6 cases, 42 events).
    assert pairs[("register request", "examine casually")] == 3
    assert pairs[("check ticket", "decide")] == 6
    assert pairs[("reinitiate request", "check ticket")] == 1
    assert sum(pairs.values()) == 42 - 6


def test_the_cli_imports_in_partitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        cli, ["import", str(shared_file(RUNNING)), "--name", "r", "--partitions", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    parts = LogStore(tmp_path / "data").partition_paths("r")
    assert parts is not None
    assert [p.name for p in parts] == ["part-0000.parquet", "part-0001.parquet"]
