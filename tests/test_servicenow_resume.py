"""Kill -9 an extraction at random points, start it again, and get exactly what one
uninterrupted run stores: no lost and no duplicated records or events."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from extractors.pseudonym import KEY_ENV
from models.store import LogStore
from services.ingestion import ServiceNowConfig, ServiceNowSource, ingest
from tests.fakes import FakeServiceNow, generate_landscape
from tests.resume_support import kill_after, start_extraction
from tests.test_servicenow_extract import KEY, TABLES, snapshot

PAGE_SIZE = 25
KILLS = 3
CHILD = """
import sys
from pathlib import Path
from services.ingestion import ServiceNowConfig, ServiceNowSource, ingest
from models.store import LogStore

def on_page(stream, pages, records):
    print(stream, pages, flush=True)

config = ServiceNowConfig(base_url=sys.argv[1], tables=tuple(sys.argv[3].split(",")),
                          page_size=int(sys.argv[4]), timeout_s=10)
ingest(LogStore(Path(sys.argv[2])), ServiceNowSource(), settings=config, name="sn",
       on_page=on_page)
print("done", flush=True)
"""


def start_child(url: str, data: Path) -> subprocess.Popen[str]:
    args = [url, str(data), ",".join(TABLES), str(PAGE_SIZE)]
    return start_extraction(CHILD, args, data, {KEY_ENV: KEY})


def test_killed_and_resumed_extraction_equals_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    landscape = generate_landscape(incidents=150, seed=3)
    hidden = [r["sys_id"] for r in landscape["incident"][::17]]
    rng = random.Random(20251123)
    with FakeServiceNow(landscape, hidden=hidden, latency_s=0.002) as fake:
        reference = tmp_path / "reference"
        config = ServiceNowConfig(base_url=fake.url, tables=TABLES, page_size=PAGE_SIZE)
        ingest(LogStore(reference), ServiceNowSource(), settings=config, name="sn")

        killed = tmp_path / "killed"
        kills = 0
        for _ in range(KILLS):
            kills += kill_after(start_child(fake.url, killed), rng.randint(1, 15), rng)
        final = start_child(fake.url, killed)
        output, _ = final.communicate(timeout=60)
    assert final.returncode == 0 and output.rstrip().endswith("done"), output[-500:]
    assert kills >= KILLS - 1  # (a child may finish a short remainder before its kill)
    expected, got = snapshot(reference), snapshot(killed)
    assert got["events"] == expected["events"]
    assert got["quarantine"] == expected["quarantine"]
    assert got["staged"] == expected["staged"]
    # Raw pages may repeat a record (a new run re-reads the bookmark's second), never lose one.
    assert {t: set(r) for t, r in got["raw"].items()} == {
        t: set(r) for t, r in expected["raw"].items()
    }
    assert len(expected["events"]) > 800
