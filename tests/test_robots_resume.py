"""Kill -9 a robot extraction at random points, start it again, and get exactly what one
uninterrupted run stores: no lost and no duplicated runs or transactions."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from app.robots_pipeline import extract_robots, primary_folder
from extractors.pseudonym import KEY_ENV
from models.store import LogStore
from tests.test_robots_extract import KEY, TOKEN_ENV, fakes, landscape, make_config, raw_records

__all__ = ["landscape"]  # the module-scoped simulated landscape fixture, shared
PAGE_SIZE = 5
KILLS = 3
CHILD = """
import sys
from pathlib import Path
from app.robots_pipeline import extract_robots
from models.store import LogStore
from tests.test_robots_extract import make_config

def on_page(stream, pages, records):
    print(stream, pages, flush=True)

config = make_config(sys.argv[1], sys.argv[2], page_size=int(sys.argv[4]))
extract_robots(LogStore(Path(sys.argv[3])), config, on_page=on_page)
print("done", flush=True)
"""


def start_child(ui_url: str, pa_url: str, data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, KEY_ENV: KEY, TOKEN_ENV: "fake-token", "KITFLOW_DATA_DIR": str(data)}
    env.pop("KITFLOW_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, ui_url, pa_url, str(data), str(PAGE_SIZE)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )


def kill_after(child: subprocess.Popen[str], pages: int, rng: random.Random) -> bool:
    """Let ``child`` store about ``pages`` pages, then SIGKILL it somewhere in the next one."""
    assert child.stdout is not None
    for _ in range(pages):
        line = child.stdout.readline()
        if not line or line.startswith("done"):
            child.wait()
            return False
    time.sleep(rng.uniform(0, 0.02))
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.returncode == -signal.SIGKILL


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
