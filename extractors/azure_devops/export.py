"""Reading saved Azure DevOps batches: a folder or ``.zip`` of JSON batch files as a client (or
the KIT simulator) saved them from the API::

    azure-devops/workitemrevisions/batch-00001.json  {"values", "continuationToken", "isLastBatch"}
    azure-devops/workitemlinks/batch-00001.json      the same contract
    azure-devops/workitems/batch-00001.json          {"count", "value": [work item, ...]}

The path may be the landscape folder that holds ``azure-devops/``, that folder itself, or a zip
of either. Batches are read per stream in file-name order. A file that is not JSON or does not
have its stream's shape stops the import with its name; single records of an unknown shape are
quarantined later, by the mapping. The batches hold people in clear, so they are only ever
copied into the data folder after pseudonymisation (see ``services.ingestion.azure_devops``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from extractors.archives import ZipInput
from extractors.azure_devops.streams import REVISIONS, STREAM_NAMES, WORKITEMS
from extractors.json_input import load_json
from models.errors import InputError

_BATCH = re.compile(r"(?:^|/)(?:azure-devops/)?(workitemrevisions|workitemlinks|workitems)/"
                    r"(batch-\d+\.json)$")  # fmt: skip


@dataclass(frozen=True)
class ExportBatch:
    """One saved batch: its stream, file (as named in the export), records and token.

    ``token`` is the batch's continuationToken (None for work-item batches); ``last`` its
    isLastBatch flag."""

    stream: str
    file: str
    records: list[Any]
    token: str | None
    last: bool


def _member_names(names: list[str]) -> dict[str, list[str]]:
    """Batch files per stream, in file-name order."""
    found: dict[str, list[str]] = {s: [] for s in STREAM_NAMES}
    for name in names:
        match = _BATCH.search(PurePosixPath(name).as_posix())
        if match:
            found[match[1]].append(name)
    for members in found.values():
        members.sort(key=lambda member: PurePosixPath(member).name)
    return found


@contextmanager
def _opened(path: Path) -> Iterator[tuple[dict[str, list[str]], Callable[[str], bytes]]]:
    """The batch files of a folder or zip per stream, and a reader of one file's bytes."""
    if path.is_dir():
        names = [f.relative_to(path).as_posix() for f in path.rglob("batch-*.json")]
        yield _checked(_member_names(names), path), lambda name: (path / name).read_bytes()
    elif path.suffix.lower() == ".zip" and path.is_file():
        with ZipInput(path) as archive:
            yield _checked(_member_names(archive.names()), path), archive.read
    else:
        raise InputError(
            f"there is no export folder or .zip at {path}: give the folder that holds "
            "azure-devops/workitemrevisions/batch-NNNNN.json (or a zip of it)."
        )


def _checked(found: dict[str, list[str]], path: Path) -> dict[str, list[str]]:
    if not found[REVISIONS]:
        raise InputError(
            f"{path} holds no azure-devops/workitemrevisions/batch-NNNNN.json files: an export "
            "needs at least the revision batches."
        )
    return found


def read_export_batches(path: Path) -> Iterator[ExportBatch]:
    """Every saved batch: revisions first, then links, then work items."""
    with _opened(path) as (found, read):
        for stream, names in found.items():
            for name in names:
                yield _batch(stream, name, read(name))


def _batch(stream: str, name: str, data: bytes) -> ExportBatch:
    try:
        body = load_json(data.decode("utf-8"), where=name)
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(
            f"{name} is not a JSON file ({error}): save the API answer as is."
        ) from error
    if stream == WORKITEMS:
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise InputError(
                f'{name} is not a work-item batch: expected {{"count", "value": [...]}} as '
                "POST _apis/wit/workitemsbatch returns it."
            )
        return ExportBatch(stream, name, [v for v in values if v is not None], None, False)
    values = body.get("values") if isinstance(body, dict) else None
    token = body.get("continuationToken") if isinstance(body, dict) else None
    if not isinstance(values, list) or not isinstance(token, str):
        kind = "revision" if stream == REVISIONS else "link"
        raise InputError(
            f"{name} is not a reporting {kind} batch: expected "
            '{"values": [...], "continuationToken", "isLastBatch"} as the reporting API '
            "returns it."
        )
    return ExportBatch(stream, name, values, token, body.get("isLastBatch") is True)


def export_sha256(path: Path) -> str:
    """One digest of an export: of the zip file, or of a folder's batch names and contents."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    with _opened(path) as (found, read):
        for stream, names in found.items():
            for name in names:
                digest.update(f"{stream}/{name}\n".encode())
                digest.update(read(name))
    return digest.hexdigest()
