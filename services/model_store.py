"""Trained models, stored safely: every model KIT Flow trains (the fill-in assistant, the
predictions for open cases) goes through here.

A model version lives in ``<data>/07_model_output/models/<name>/<version>/``: ``model.joblib``,
``model.joblib.hmac`` (HMAC-SHA256 of the file) and ``card.json`` (its model card); the card is
also written to the SQL catalog (table ``trained_model``) so the catalog lists every model
beside the logs. The signing key is a random key outside the data folder
(``~/.config/kitflow/model.key`` or ``KITFLOW_MODEL_KEY_FILE``), created with mode 0600 on the
first training. A model file is unpickled only after its signature matches: a changed file, a
missing signature or another key is refused with a message saying to retrain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import secrets
import uuid
from pathlib import Path
from typing import Any, Final, TypeVar

import joblib

from extractors import read_secret_file
from models.catalog import ModelCardEntry
from models.datafolder import DataFolder
from models.errors import KitflowError

__all__ = ["ModelError", "find_models", "load_model", "store_model", "version_folder"]

KEY_FILE_ENV: Final = "KITFLOW_MODEL_KEY_FILE"
DEFAULT_KEY_FILE: Final = Path("~/.config/kitflow/model.key")
MODEL_FILE: Final = "model.joblib"
SIGNATURE_FILE: Final = "model.joblib.hmac"
CARD_FILE: Final = "card.json"

Model = TypeVar("Model")


class ModelError(KitflowError):
    """A model that is missing, unsigned or tampered with, or input a model cannot read."""


def store_model(data: DataFolder, name: str, model: object, card: dict[str, Any]) -> Path:
    """Store ``model`` as the next version of ``name``, signed, with its ``card`` (which must
    hold ``task`` and ``trained_at``) in the folder and in the catalog; returns the folder."""
    folder = data.model_store() / name
    folder.mkdir(parents=True, exist_ok=True)
    # Written whole in a hidden folder, then renamed to its version number: a reader (the
    # dashboard, while `make run` trains in the background) never sees a half-written version.
    staging = folder / f".{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    payload = buffer.getvalue()
    (staging / MODEL_FILE).write_bytes(payload)
    (staging / SIGNATURE_FILE).write_text(_sign(payload, _model_key(data, create=True)), "utf-8")
    text = json.dumps(card, indent=2)
    (staging / CARD_FILE).write_text(text, "utf-8")
    target = _put_as_next_version(staging, folder)
    with data.log_catalog() as catalog:
        catalog.put_model_card(_catalog_entry(name, int(target.name), card, text))
    return target


def _catalog_entry(name: str, version: int, card: dict[str, Any], text: str) -> ModelCardEntry:
    trained_at = dt.datetime.fromisoformat(str(card["trained_at"]))
    return ModelCardEntry(name, version, str(card["task"])[:200], trained_at, text)


def load_model(
    data: DataFolder, name: str, kind: type[Model], *, version: str | None = None
) -> Model:
    """The stored model ``name`` (latest version unless ``version``) once its HMAC signature
    matches and it is a ``kind``; a missing or wrong signature is refused before anything is
    unpickled."""
    folder = version_folder(data, name, version)
    payload = (folder / MODEL_FILE).read_bytes()
    signature = folder / SIGNATURE_FILE
    expected = _sign(payload, _model_key(data, create=False))
    if not signature.exists() or not hmac.compare_digest(
        signature.read_text("utf-8").strip(), expected
    ):
        raise ModelError(
            f"the model file {folder / MODEL_FILE} does not match its signature: it was changed "
            "after training or signed with another key, so it is not loaded. Retrain it with "
            "'kitflow predict train'."
        )
    model = joblib.load(io.BytesIO(payload))
    if not isinstance(model, kind):
        raise ModelError(f"{folder / MODEL_FILE} holds no {kind.__name__}.")
    return model


def find_models(data: DataFolder) -> list[dict[str, Any]]:
    """The model cards of every stored version, with ``name`` and ``version`` added. Read from
    the model folders, which hold the signed files themselves; the catalog mirrors them."""
    cards = []
    for card in sorted(data.model_store().glob(f"*/*/{CARD_FILE}")):
        body = json.loads(card.read_text("utf-8"))
        cards.append({"name": card.parent.parent.name, "version": card.parent.name, **body})
    return cards


def _put_as_next_version(staging: Path, folder: Path) -> Path:
    """Rename ``staging`` to the next free version number of ``folder``; a second trainer that
    took the number first (its folder is not empty, so the rename fails) makes this one take
    the next."""
    while True:
        target = folder / str(max(_versions(folder), default=0) + 1)
        try:
            staging.rename(target)
        except OSError:
            if target.exists():
                continue
            raise
        return target


def _versions(folder: Path) -> list[int]:
    return [int(p.name) for p in folder.glob("*") if p.name.isdigit()] if folder.exists() else []


def version_folder(data: DataFolder, name: str, version: str | None = None) -> Path:
    """The folder of model ``name``'s ``version`` (the latest unless given); a missing model or
    version is refused with how to train one."""
    folder = data.model_store() / name
    versions = sorted(_versions(folder), reverse=True)
    chosen = version or (str(versions[0]) if versions else None)
    if chosen is None or not (folder / chosen / MODEL_FILE).exists():
        raise ModelError(
            f"there is no model {name!r}{f' version {version}' if version else ''} in {folder}; "
            "train one with 'kitflow predict train'."
        )
    return folder / chosen


def _sign(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _model_key(data: DataFolder, *, create: bool) -> bytes:
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser().resolve()
    if path.is_relative_to(data.root.resolve()):
        raise ModelError(
            f"the model signing key {path} lies inside the data folder: move it out and point "
            f"{KEY_FILE_ENV} at it."
        )
    if not path.exists():
        if not create:
            raise ModelError(
                f"there is no model signing key at {path} ({KEY_FILE_ENV}); without it no stored "
                "model can be verified. Retrain with 'kitflow predict train'."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return read_secret_file(path, what="model signing key").encode("utf-8")
