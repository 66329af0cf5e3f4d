"""Kill -9 a robot extraction at random points, start it again, and get exactly what one
uninterrupted run stores: no lost and no duplicated runs or transactions."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import polars as pl
import pytest

from extractors.pseudonym import KEY_ENV
from models.store import LogStore
from tests.resume_support import kill_after, start_extraction
from tests.test_robots_extract import (
    KEY,
    TOKEN_ENV,
    extract_robots,
    fakes,
    landscape,
    make_config,
    primary_folder,
    raw_records,
)

__all__ = ["landscape"]  # the module-scoped simulated landscape fixture, shared
PAGE_SIZE = 5
KILLS = 3
CHILD = """
import sys
from pathlib import Path
from models.store import LogStore
from tests.test_robots_extract import extract_robots, make_config

def on_page(stream, pages, records):
    print(stream, pages, flush=True)

config = make_config(sys.argv[1], sys.argv[2], page_size=int(sys.argv[4]))
extract_robots(LogStore(Path(sys.argv[3])), config, on_page=on_page)
print("done", flush=True)
"""


def start_child(ui_url: str, pa_url: str, data: Path) -> subprocess.Popen[str]:
    args = [ui_url, pa_url, str(data), str(PAGE_SIZE)]
    return start_extraction(CHILD, args, data, {KEY_ENV: KEY, TOKEN_ENV: "fake-token"})


def test_killed_and_resumed_robot_extraction_equals_an_uninterrupted_run(
    landscape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(TOKEN_ENV, "fake-token")
    rng = random.Random(20251123)
    ui, pa = fakes(landscape)
    ui.latency_s = pa.latency_s = 0.002
    with ui, pa:
        reference = tmp_path / "reference"
        extract_robots(LogStore(reference), make_config(ui.url, pa.url, page_size=PAGE_SIZE))
        killed = tmp_path / "killed"
        kills = 0
        for _ in range(KILLS):
            kills += kill_after(start_child(ui.url, pa.url, killed), rng.randint(2, 25), rng)
        final = start_child(ui.url, pa.url, killed)
        output, _ = final.communicate(timeout=120)
    assert final.returncode == 0 and output.rstrip().endswith("done"), output[-500:]
    assert kills >= KILLS - 1
    for stream in ("uipath-Jobs", "uipath-QueueItems", "power-automate-flowsessions"):
        assert set(raw_records(killed, stream)) == set(raw_records(reference, stream)), stream
    for table in ("runs.parquet", "transactions.parquet"):
        expected = pl.read_parquet(primary_folder(reference) / table)
        assert pl.read_parquet(primary_folder(killed) / table).equals(expected), table
    assert pl.read_parquet(primary_folder(reference) / "transactions.parquet").height > 100
