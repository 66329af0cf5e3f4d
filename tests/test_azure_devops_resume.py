"""Kill -9 an Azure DevOps extraction at random points, start it again, and get exactly what one
uninterrupted run stores: no revision or link lost or stored twice, the same staged tables and
the same event log."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from extractors.pseudonym import KEY_ENV
from models.store import LogStore
from services.ingestion import AzureDevOpsSource, ingest
from tests.resume_support import kill_after, start_extraction
from tests.test_azure_devops_extract import (
    FAST,
    KEY,
    PAT,
    PAT_ENV,
    config_for,
    make_fake,
    small_landscape,
    snapshot,
)

BATCH = 20
KILLS = 4
CHILD = """
import sys
from pathlib import Path
from services.ingestion import AzureDevOpsConfig, AzureDevOpsSource, ingest
from models.store import LogStore

def on_page(stream, pages, records):
    print(stream, pages, flush=True)

config = AzureDevOpsConfig(organisation_url=sys.argv[1], project="KIT", pat_env=sys.argv[3],
                           batch_size=int(sys.argv[4]), timeout_s=10)
ingest(LogStore(Path(sys.argv[2])), AzureDevOpsSource(), settings=config, on_page=on_page)
print("done", flush=True)
"""


def start_child(url: str, data: Path) -> subprocess.Popen[str]:
    return start_extraction(CHILD, [url, str(data), PAT_ENV, str(BATCH)], data, {KEY_ENV: KEY})


def test_killed_and_resumed_extraction_equals_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(PAT_ENV, PAT)
    landscape = small_landscape(tmp_path / "landscape")
    rng = random.Random(20251123)
    with make_fake(landscape, latency_s=0.003) as fake:
        reference = tmp_path / "reference"
        config = config_for(fake.url, batch_size=BATCH)
        ingest(LogStore(reference), AzureDevOpsSource(), settings=config, retry=FAST)

        killed = tmp_path / "killed"
        kills = 0
        for _ in range(KILLS):
            kills += kill_after(start_child(fake.url, killed), rng.randint(1, 12), rng)
        final = start_child(fake.url, killed)
        output, _ = final.communicate(timeout=120)
    assert final.returncode == 0 and output.rstrip().endswith("done"), output[-500:]
    assert kills >= KILLS - 1  # (a child may finish a short remainder before its kill)
    expected, got = snapshot(reference), snapshot(killed)
    assert got["events"] == expected["events"]
    assert got["quarantine"] == expected["quarantine"]
    assert got["staged"] == expected["staged"]
    # Revisions and links are read once each; a new run reads every current work item again.
    for stream in ("workitemrevisions", "workitemlinks"):
        assert got["raw"][stream] == expected["raw"][stream]
    assert set(got["raw"]["workitems"]) == set(expected["raw"]["workitems"])
    assert len(expected["events"]) == 528
