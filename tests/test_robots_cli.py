"""``kitflow extract time`` and ``kitflow extract robots`` on the real command tree, with the
quarantine counts ``kitflow sources`` shows afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.pseudonym import KEY_ENV
from tests.cli_support import run

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "cli-test-key-0123456789")


def test_extract_time_and_robots_then_sources(data_dir: Path) -> None:
    time_report = json.loads(
        run("extract", "time", "--export", str(FIXTURES / "time_registration"), "--json")
    )
    hours = time_report["tables"][0]
    assert (hours["name"], hours["rows"], time_report["quarantined"]) == ("hours", 3, 5)
    assert [(s["stream"], s["records"], s["quarantined"]) for s in time_report["streams"]] == [
        ("small.csv", 8, 5)
    ]
    assert Path(hours["path"]) == (data_dir / "03_primary" / "time-registration" / "hours.parquet")
    robots = json.loads(
        run("extract", "robots", "--export", str(FIXTURES / "robots" / "runs.csv"), "--json")
    )
    rows = {t["name"]: t["rows"] for t in robots["tables"]}
    assert (rows["runs"], rows["transactions"], robots["quarantined"]) == (2, 2, 2)
    rebuilt = json.loads(run("extract", "robots", "--rebuild", "--json"))
    rows = {t["name"]: t["rows"] for t in rebuilt["tables"]}
    assert (rows["runs"], rows["transactions"], rebuilt["quarantined"]) == (2, 2, 2)
    again = json.loads(run("extract", "time", "--rebuild", "--json"))
    assert (again["tables"][0]["rows"], again["quarantined"]) == (3, 5)
    sources = {
        (s["source"], s["stream"]): s["quarantined"] for s in json.loads(run("sources", "--json"))
    }
    assert sources == {("robots", "csv-runs"): 2, ("time-registration", "small.csv"): 5}
    text = run("extract", "robots", "--rebuild")
    assert "Stored 'runs': 2 rows" in text and "Stored 'transactions': 2 rows" in text
    assert "Quarantined 2 records" in text
