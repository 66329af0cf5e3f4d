"""Real public logs imported through the store equal what pm4py computes on the same files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from extractors.files import ColumnMapping, ReadOptions
from mining import compute_log_stats, discover_dfg
from models.store import LogStore
from services.imports import ImportReport, import_log
from tests.pm4py_reference import format_with_pm4py, pm4py_figures, read_xes_with_pm4py
from tests.shared_data import shared_file


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data")


def assert_same_as_pm4py(store: LogStore, name: str, reference: dict[str, Any]) -> None:
    stats = compute_log_stats(store.scan(name))
    assert (stats.cases, stats.events, stats.variants) == (
        reference["cases"],
        reference["events"],
        reference["variants"],
    )
    dfg = discover_dfg(store.scan(name))
    ours = {(r["source"], r["target"]): r for r in dfg.iter_rows(named=True)}
    assert {pair: r["frequency"] for pair, r in ours.items()} == reference["frequency"]
    for pair, row in ours.items():
        assert row["mean_duration_s"] == pytest.approx(reference["mean"][pair], rel=1e-12)
        assert row["median_duration_s"] == pytest.approx(reference["median"][pair], rel=1e-12)


def test_running_example_xes_equals_pm4py(store: LogStore) -> None:
    path = shared_file("pm4py-examples/running-example.xes")
    report = import_log(store, path, name="running", options=ReadOptions())
    assert (report.entry.cases, report.entry.events, report.quarantined) == (6, 42, 0)
    assert_same_as_pm4py(store, "running", pm4py_figures(read_xes_with_pm4py(str(path))))


def test_running_example_csv_equals_pm4py(store: LogStore) -> None:
    path = shared_file("pm4py-examples/running-example.csv")
    report = import_log(store, path, name="running-csv", options=ReadOptions())
    assert (report.entry.cases, report.entry.events, report.quarantined) == (6, 42, 0)
    raw = pd.read_csv(path)
    raw["time:timestamp"] = pd.to_datetime(raw["time:timestamp"], utc=True)
    reference = format_with_pm4py(
        raw, case="case:concept:name", activity="concept:name", timestamp="time:timestamp"
    )
    assert_same_as_pm4py(store, "running-csv", pm4py_figures(reference))


def test_csv_and_xes_of_the_running_example_are_the_same_log(store: LogStore) -> None:
    import_log(
        store, shared_file("pm4py-examples/running-example.xes"), name="x", options=ReadOptions()
    )
    import_log(
        store, shared_file("pm4py-examples/running-example.csv"), name="c", options=ReadOptions()
    )
    columns = ["case_id", "activity", "timestamp", "resource"]
    xes = store.read("x").select(columns).with_columns(pl.col("activity").cast(pl.String))
    csv = store.read("c").select(columns).with_columns(pl.col("activity").cast(pl.String))
    assert xes.equals(csv)


def test_receipt_counts(store: LogStore) -> None:
    path = shared_file("pm4py-examples/receipt.xes.gz")
    report = import_log(store, path, name="receipt", options=ReadOptions())
    assert (report.entry.cases, report.entry.events, report.quarantined) == (1434, 8577, 0)
    assert_same_as_pm4py(store, "receipt", pm4py_figures(read_xes_with_pm4py(str(path))))


@pytest.mark.slow
def test_bpic2013_incidents_equal_pm4py(store: LogStore) -> None:
    path = shared_file("bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz")
    report = import_log(store, path, name="bpic13", options=ReadOptions())
    assert (report.entry.cases, report.entry.events, report.quarantined) == (7554, 65533, 0)
    # BPIC 2013 uses lifecycle:transition for sub-states, not start/complete: every event is kept.
    assert store.read("bpic13")["lifecycle"].null_count() == 0
    assert_same_as_pm4py(store, "bpic13", pm4py_figures(read_xes_with_pm4py(str(path))))


UCI_OPTIONS = ReadOptions(
    columns=ColumnMapping(case="number", activity="incident_state", timestamp="sys_updated_at"),
    dayfirst=True,
    null_values=("?",),
)


@pytest.mark.slow
def test_servicenow_uci_export_accounts_for_every_row(store: LogStore) -> None:
    path = shared_file("servicenow-uci-incidents/incident_event_log.zip")
    report: ImportReport = import_log(store, path, name="uci", options=UCI_OPTIONS)
    assert report.entry.cases == 24918
    assert report.entry.events + report.quarantined == 141712
    assert report.quarantined == 5
    assert report.quarantine_path is not None
    quarantine = pl.read_csv(report.quarantine_path)
    assert quarantine["reason"].str.starts_with("activity has no letters").all()
    assert all('"activity":"-100"' in record for record in quarantine["record"])
    # The reference: pandas reads the same file, the same rule sets the 5 '-100' rows aside.
    raw = pd.read_csv(path, na_values="?", keep_default_na=False, dtype=str)
    raw = raw[raw["incident_state"] != "-100"].copy()
    raw["sys_updated_at"] = pd.to_datetime(raw["sys_updated_at"], format="%d/%m/%Y %H:%M", utc=True)
    reference = format_with_pm4py(
        raw, case="number", activity="incident_state", timestamp="sys_updated_at"
    )
    assert_same_as_pm4py(store, "uci", pm4py_figures(reference))
