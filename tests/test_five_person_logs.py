"""The log list (kitflow logs, Hændelseslogs) does not show the counts of a log that names
fewer than 5 people: its cases and events would be figures about them (the 5-person rule)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import cli
from app.dashboard.pages import logs
from extractors.files import ReadOptions
from models.store import LogStore
from services.imports import import_log
from tests.cli_support import runner
from tests.test_dashboard import table_rows


def people_log(people: int) -> str:
    """One case per person, each with two events."""
    lines = ["case_id,activity,timestamp,resource"]
    for i in range(people):
        lines += [
            f"c{i},a,2024-03-0{i + 1}T08:00:00Z,p{i}",
            f"c{i},b,2024-03-0{i + 1}T09:00:00Z,p{i}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogStore]:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    store = LogStore(tmp_path / "data")
    for people in (4, 5):
        path = tmp_path / f"p{people}.csv"
        path.write_text(people_log(people), encoding="utf-8")
        import_log(store, path, name=f"people-{people}", options=ReadOptions())
    yield store
    store.catalog.dispose()


def test_kitflow_logs_withholds_the_counts_of_a_log_of_fewer_than_5_people(
    store: LogStore,
) -> None:
    listed = json.loads(runner.invoke(cli, ["logs", "--json"]).stdout)
    counts = {e["name"]: (e["withheld"], e["cases"], e["events"]) for e in listed}
    assert counts == {"people-4": (True, None, None), "people-5": (False, 5, 10)}
    shown = runner.invoke(cli, ["logs"]).stdout
    assert "counts withheld: the log names fewer than 5 people" in shown
    assert "5 cases · 10 events" in shown


def test_the_logs_page_says_under_5_people_instead_of_the_counts(store: LogStore) -> None:
    rows = {row[0]: row[3:5] for row in table_rows(logs.build_layout(store, "da"))}
    assert rows == {"people-4": ["under 5 personer"] * 2, "people-5": ["5", "10"]}
