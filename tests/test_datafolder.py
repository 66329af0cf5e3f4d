"""The data folder's owner: its paths, reserved names, catalogs and writers' locks."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.catalog import LogEntry
from models.datafolder import (
    RESERVED_LOG_NAMES,
    DataFolder,
    LockTimeoutError,
    check_new_log_name,
)
from models.errors import InputError
from models.extraction import ExtractionCatalog
from models.store import LogStore


def test_every_layer_has_its_place(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path / "data", "sqlite:///:memory:")
    root = tmp_path / "data"
    assert data.root == root.resolve()
    relative = {
        "raw": data.raw("servicenow", "incident"),
        "staged": data.staged_table("servicenow", "incident"),
        "staged_quarantine": data.staged_quarantine("azure-devops", "revisions"),
        "log": data.log_table("uci"),
        "log_quarantine": data.log_quarantine("uci"),
        "runs": data.robot_runs(),
        "transactions": data.robot_transactions(),
        "hours": data.hours(),
        "hours_quarantine": data.hours_quarantine(),
        "order_links": data.order_links(),
        "conformance": data.conformance_cache(),
        "manifest": data.manifest(),
        "cases": data.business_cases(),
    }
    assert {k: str(v.relative_to(data.root)) for k, v in relative.items()} == {
        "raw": "01_raw/servicenow/incident",
        "staged": "02_intermediate/servicenow/incident.parquet",
        "staged_quarantine": "02_intermediate/azure-devops/revisions.quarantine.csv",
        "log": "03_primary/uci/events.parquet",
        "log_quarantine": "03_primary/uci/quarantine.csv",
        "runs": "03_primary/robots/runs.parquet",
        "transactions": "03_primary/robots/transactions.parquet",
        "hours": "03_primary/time-registration/hours.parquet",
        "hours_quarantine": "03_primary/time-registration/hours.quarantine.csv",
        "order_links": "03_primary/landscape-links/order_links.parquet",
        "conformance": "07_model_output/conformance",
        "manifest": "landscape/manifest.json",
        "cases": "business_cases",
    }


@pytest.mark.parametrize("name", sorted(RESERVED_LOG_NAMES))
def test_a_log_cannot_take_a_source_folder_name(name: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        check_new_log_name(name)
    message = str(error.value)
    assert f"{name!r} is reserved" in message
    assert "landscape-links, robots, time-registration" in message
    with pytest.raises(InputError):
        LogStore(tmp_path / "data", "sqlite:///:memory:").folder(name)


def test_only_a_stored_log_table_counts_as_one(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path, "sqlite:///:memory:")
    assert data.is_stored_log_table(data.log_table("uci"))
    assert not data.is_stored_log_table(data.robots_folder() / "events.parquet")
    assert not data.is_stored_log_table(tmp_path / "elsewhere" / "events.parquet")
    assert not data.is_stored_log_table(data.log_folder("uci") / "objects.parquet")
    assert data.contains(data.hours())
    assert not data.contains(tmp_path.parent / "outside.csv")


def _entry(name: str) -> LogEntry:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return LogEntry(name, "flat", "x.csv", "csv", 1, 2, 2, 1, 0, now, now, 1, now)


def test_both_catalogs_use_the_stores_own_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    store = LogStore(tmp_path / "data", url)
    with store.data.log_catalog() as catalog:
        catalog.put(_entry("one"))
    with store.data.extraction_catalog() as runs:
        run_id, _ = runs.open_run("robots", "uipath-Jobs")
        runs.close_run(run_id, status="finished")
    assert not (tmp_path / "data" / "kitflow.db").exists()
    assert store.catalog.get("one") is not None
    other = ExtractionCatalog(url)
    try:
        assert [(s.source, s.stream) for s in other.list()] == [("robots", "uipath-Jobs")]
    finally:
        other.dispose()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from models.datafolder import DataFolder
data = DataFolder.from_env(Path(sys.argv[1]), "sqlite:///:memory:")
with data.writer_lock("log", "uci"):
    print("held", flush=True)
    time.sleep(60)
"""


def _hold_lock(root: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_writer_waits_then_stops_naming_the_holder(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path, "sqlite:///:memory:")
    child = _hold_lock(tmp_path)
    try:
        began = time.monotonic()
        with (
            pytest.raises(LockTimeoutError) as error,
            data.writer_lock("log", "uci", timeout_s=0.3),
        ):
            pass
        assert time.monotonic() - began >= 0.3
        assert f"pid {child.pid}" in str(error.value)
        assert "writing log 'uci'" in str(error.value)
        with data.writer_lock("log", "other", timeout_s=0):
            pass  # another name is another writer
    finally:
        child.kill()
        child.wait()


def test_a_killed_writer_leaves_no_lock_behind(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path, "sqlite:///:memory:")
    child = _hold_lock(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with data.writer_lock("log", "uci", timeout_s=0):
        assert f"pid {os.getpid()}" in data.lock_path("log", "uci").read_text("utf-8")


def test_a_bad_lock_timeout_setting_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_LOCK_TIMEOUT_S", "soon")
    data = DataFolder.from_env(tmp_path, "sqlite:///:memory:")
    lock = data.writer_lock("source", "robots")
    with pytest.raises(InputError, match="KITFLOW_LOCK_TIMEOUT_S='soon' is not a number"), lock:
        pass
