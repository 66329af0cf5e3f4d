"""Azure DevOps, time registration and robots run in a second process beside ServiceNow
(``build_landscape(beside=True)``, the default below ``BESIDE_LIMIT_BYTES``): the same data as one
step after another, and an error of the second process reaches the caller."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from models.errors import InputError
from models.store import LogStore
from services.ingestion import ingestion_json
from services.ingestion.landscape import BESIDE, WAITED, build_landscape
from simulator import simulate

KEY = "landscape-beside-test-key-0123456789"


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("beside") / "sim"
    simulate(folder, seed=7, scale=0.02, start="2023-09-01", end="2024-02-29")
    return folder


def _stored(root: Path) -> dict[str, pl.DataFrame]:
    return {
        str(path.relative_to(root)): pl.read_parquet(path)
        for path in sorted(root.rglob("*.parquet"))
        # Its row order differs between two runs of the same code (docs/performance.md).
        if path.name != "object_changes.parquet"
    }


def test_beside_stores_what_one_step_after_another_stores(
    landscape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    both = build_landscape(LogStore(tmp_path / "both"), landscape, beside=True)
    alone = build_landscape(LogStore(tmp_path / "alone"), landscape, beside=False)

    assert list(both.sources) == list(alone.sources) == [
        "servicenow", "azure-devops", "time", "robots"
    ]  # fmt: skip
    # The reports, in the order of the steps (the data folders' names apart).
    assert [
        json.dumps(ingestion_json(r)).replace(str(tmp_path / "both"), "-")
        for r in both.sources.values()
    ] == [
        json.dumps(ingestion_json(r)).replace(str(tmp_path / "alone"), "-")
        for r in alone.sources.values()
    ]
    assert list(both.seconds) == ["servicenow", *(f"{s}{BESIDE}" for s in (
        "azure-devops", "time-registration", "robots")), WAITED, "linking"]  # fmt: skip
    assert list(alone.seconds) == [
        "servicenow", "azure-devops", "time-registration", "robots", "linking"
    ]  # fmt: skip
    assert both.wall_s == pytest.approx(
        both.seconds["servicenow"] + both.seconds[WAITED] + both.seconds["linking"]
    )
    stored, expected = _stored(tmp_path / "both"), _stored(tmp_path / "alone")
    assert list(stored) == list(expected) and len(stored) > 20
    for name, frame in expected.items():
        assert stored[name].schema == frame.schema, name
        assert stored[name].equals(frame), name


def test_an_error_in_the_second_process_reaches_the_caller(
    landscape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    broken = tmp_path / "sim"
    shutil.copytree(landscape, broken)
    batch = broken / "azure-devops" / "workitemrevisions" / "batch-00001.json"
    batch.write_text("{not json", "utf-8")
    with pytest.raises(InputError, match=r"batch-00001\.json is not a JSON file"):
        build_landscape(LogStore(tmp_path / "data"), broken, beside=True)
    # ServiceNow, in this process, was stored all the same.
    assert LogStore(tmp_path / "data").catalog.get("servicenow-incidents") is not None
