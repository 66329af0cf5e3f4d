"""Discovery and conformance checking of a log stored in partitions (mining.partitioned_
conformance): the variant table merged from the partitions equals the one-file table, so the
model, fitness, precision and deviations equal those of the same log in one file."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from mining import (
    LogVariants,
    compute_partitioned_variant_table,
    compute_variant_table,
    discover_process_model,
    find_deviations,
    partitioned_log_variants,
)
from mining.conformance import compute_case_variants
from mining.partitioned_conformance import compute_partitioned_case_variants
from models.store import LogStore
from services import check_log_conformance, variant_source
from tests.conftest import KitLandscape
from tests.test_partitioned_mining import (
    FLAT_LANDSCAPE_LOGS,
    HAND_MADE,
    _cli_json,
    _cli_logs,
    _log,
    _partitioned,
    _store_one_and_parts,
)


def test_the_hand_made_variant_table_is_the_hand_computed_one(tmp_path: Path) -> None:
    events = _log(HAND_MADE)
    log = _partitioned(events, tmp_path)
    table = compute_partitioned_variant_table(log)
    # Numbered by each variant's first case in case-id order: c1, c10, c3, c5, c8, c9 (c10
    # sorts before c2 as text, as the stored file sorts it).
    assert table.rows() == [
        (0, ["Register", "Check", "Close"], 3),
        (1, ["Register", "Close"], 3),
        (2, ["Register", "Check", "Audit", "Close"], 1),
        (3, ["Register"], 1),
        (4, ["Close", "Register"], 1),
        (5, ["Close"], 1),
    ]
    assert_frame_equal(table, compute_variant_table(events), check_exact=True)
    cases = compute_partitioned_case_variants(log, table)
    assert cases.rows() == [
        ("c1", 0), ("c10", 1), ("c2", 0), ("c3", 2), ("c4", 0),
        ("c5", 3), ("c6", 1), ("c7", 1), ("c8", 4), ("c9", 5),
    ]  # fmt: skip
    assert_frame_equal(cases, compute_case_variants(events, table), check_exact=True)


def test_an_empty_partitioned_log_has_no_variants(tmp_path: Path) -> None:
    events = _log(HAND_MADE).clear()
    table = compute_partitioned_variant_table(_partitioned(events, tmp_path))
    assert_frame_equal(table, compute_variant_table(events), check_exact=True)


@pytest.mark.parametrize("name", FLAT_LANDSCAPE_LOGS)
def test_the_landscape_logs_variant_tables_in_3_partitions(
    kit_landscape: KitLandscape, tmp_path: Path, name: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read(name)
    log = _partitioned(events, tmp_path)
    table = compute_partitioned_variant_table(log)
    expected = compute_variant_table(events)
    assert table.height == expected.height >= 6
    assert_frame_equal(table, expected, check_exact=True)
    assert_frame_equal(
        compute_partitioned_case_variants(log, table),
        compute_case_variants(events, expected),
        check_exact=True,
    )


def test_discover_and_conformance_of_a_partitioned_log_equal_the_one_file_log(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    store = _cli_logs(monkeypatch, tmp_path / "data", events)
    assert isinstance(variant_source(store, "parts"), LogVariants)
    assert not isinstance(variant_source(store, "one"), LogVariants)
    models = {}
    for name in ("one", "parts"):
        model = tmp_path / f"{name}.pnml"
        found = _cli_json(["discover", name, "--out", str(model), "--noise", "0.2"])
        models[name] = {key: found[key] for key in ("activities", "process_tree")}
    assert models["parts"] == models["one"]
    reports = {}
    for name in ("one", "parts"):
        found = _cli_json(["conformance", name, "--model", str(tmp_path / "one.pnml")])
        reports[name] = {key: found[key] for key in ("cases", "variants", "fitness", "precision")}
    assert reports["parts"] == reports["one"]
    assert reports["one"]["cases"] == events["case_id"].n_unique()


def test_governance_conformance_of_a_partitioned_log_equals_the_one_file_log(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    events = LogStore(kit_landscape.data_dir).read("servicenow-orders")
    _store_one_and_parts(events, data)
    store = LogStore(data)
    one, parts = check_log_conformance(store, "one"), check_log_conformance(store, "parts")
    assert not parts.withheld
    assert parts.fitness == one.fitness
    assert_frame_equal(parts.variants, one.variants, check_exact=True)
    assert_frame_equal(parts.deviations, one.deviations, check_exact=True)
    assert parts.net == one.net
    # Deviations per case spread over the cases of every partition, in case-id order.
    source = partitioned_log_variants(_partitioned(events, tmp_path / "copy"))
    model_events = store.read("one")
    model = discover_process_model(model_events, noise_threshold=0.2)
    assert_frame_equal(
        find_deviations(source, model, level="case"),
        find_deviations(model_events, model, level="case"),
        check_exact=True,
    )
