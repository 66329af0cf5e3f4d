"""The model store writes a version whole before it is seen: a reader (the dashboard, while
`make run` trains in the background) never meets a half-written one, and two trainers of one
name get two versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.datafolder import DataFolder
from services import model_store
from services.model_store import load_model, store_model, version_folder


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataFolder:
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(tmp_path / "keys" / "model.key"))
    return DataFolder(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")


def card() -> dict[str, object]:
    return {"task": "test", "trained_at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC).isoformat()}


def test_versions_are_numbered_and_no_staging_folder_is_left(data: DataFolder) -> None:
    first = store_model(data, "m", {"weights": [1, 2]}, card())
    second = store_model(data, "m", {"weights": [3]}, card())
    assert (first.name, second.name) == ("1", "2")
    assert sorted(p.name for p in (data.model_store() / "m").iterdir()) == ["1", "2"]
    assert load_model(data, "m", dict) == {"weights": [3]}
    assert load_model(data, "m", dict, version="1") == {"weights": [1, 2]}


def test_a_version_is_invisible_until_it_is_whole(
    data: DataFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_model(data, "m", {"weights": [1]}, card())
    seen: list[str] = []
    put = model_store._put_as_next_version

    def look_then_put(staging: Path, folder: Path) -> Path:
        # Everything of the new version is written, but not yet renamed: readers see version 1.
        assert sorted(p.name for p in staging.iterdir()) == [
            "card.json", "model.joblib", "model.joblib.hmac",
        ]  # fmt: skip
        seen.append(version_folder(data, "m").name)
        return put(staging, folder)

    monkeypatch.setattr(model_store, "_put_as_next_version", look_then_put)
    store_model(data, "m", {"weights": [2]}, card())
    assert seen == ["1"]
    assert version_folder(data, "m").name == "2"


def test_a_version_number_taken_meanwhile_makes_the_next(
    data: DataFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = data.model_store() / "m"
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "model.joblib").write_bytes(b"another trainer's")
    staging = folder / ".staging.tmp"
    staging.mkdir()
    (staging / "model.joblib").write_bytes(b"ours")
    looks = iter([[], [1]])  # our first look came before the other trainer's rename
    monkeypatch.setattr(model_store, "_versions", lambda _folder: next(looks))
    # The rename to 1 fails (the other's folder is there and not empty): we take 2.
    assert model_store._put_as_next_version(staging, folder).name == "2"
    assert (folder / "2" / "model.joblib").read_bytes() == b"ours"
