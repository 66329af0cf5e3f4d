"""Readers of robot run exports: saved OData pages and a generic CSV.

**Saved OData pages**, as the simulator (and a script saving API answers) writes them::

    <folder>/uipath/{Jobs,QueueItems,QueueItemEvents,QueueDefinitions}/page-NNNNN.json
    <folder>/power-automate/{flowsessions,workflows}/page-NNNNN.json

each page an object with a ``value`` list. ``<folder>`` may be the landscape root (holding
``robots/``), the ``robots`` folder itself, or one platform's folder.

**Generic CSV** (``,`` or ``;``; UTF-8), one row per transaction or per run, with a header naming
these columns (``process``, ``run_id``, ``start`` and ``status`` required):

| column | meaning |
|---|---|
| process | the process / automation name |
| run_id | the run (job) id; rows sharing it form one run |
| start, end | ISO-8601 times; without a zone they are local (the declared zone) |
| status | success, business exception, system exception (also: failed, faulted, |
|        | application exception), cancelled (also: stopped), running (also: pending) |
| machine | the machine the run ran on |
| robot_user | the account the robot ran as (pseudonymised when read) |
| items | items handled by the run (default 1 a row) |
| reference | the handled case (RITM/INC number); a row with one is also a transaction |
| transaction_id, queue, exception_reason, retry_number | optional transaction details |
| run_mode | attended (RDA, a person starts the robot) or unattended (RPA); else unknown |
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extractors.files.privacy import redact_personal_values
from extractors.json_input import load_json
from extractors.limits import row_counter
from extractors.pseudonym import Pseudonymiser
from extractors.robots.mapping import CSV_COLUMNS
from extractors.robots.streams import ALL_STREAMS, RobotStreamSpec, clean_record
from models.errors import InputError


def find_page_folders(root: Path) -> dict[str, Path]:
    """Stream name → folder of saved pages, for every declared stream found under ``root``."""
    candidates = [root, root / "robots"]
    found: dict[str, Path] = {}
    for spec in ALL_STREAMS.values():
        for base in candidates:
            for folder in (base / spec.platform / spec.entity, base / spec.entity):
                if spec.platform in str(folder) and folder.is_dir() and spec.name not in found:
                    found[spec.name] = folder
    if not found:
        raise InputError(
            f"{root} holds no saved OData pages: expected uipath/<Entity>/page-*.json or "
            "power-automate/<table>/page-*.json (Entity: Jobs, QueueItems, QueueItemEvents, "
            "QueueDefinitions; table: flowsessions, workflows)."
        )
    return found


def read_saved_pages(
    folder: Path, spec: RobotStreamSpec, pseudonym: Pseudonymiser
) -> Iterator[tuple[str, list[Any]]]:
    """Each saved page of a stream (file name, its records cleaned and pseudonymised)."""
    for path in sorted(folder.glob("page-*.json")):
        try:
            body = load_json(path.read_text("utf-8"), where=str(path))
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(f"{path} is not a JSON page: {error}") from error
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise InputError(f"{path} has no 'value' list: is it an OData page?")
        yield path.name, [clean_record(spec, r, pseudonym) for r in values]


def read_robot_csv(path: Path, pseudonym: Pseudonymiser) -> list[tuple[int, dict[str, str]]]:
    """The rows of a generic robot CSV (line number, row by lower-case column), robot_user
    pseudonymised; columns other than the documented ones are left out."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path.name}: byte {error.start} is not UTF-8.") from error
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in first else ",")
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    count_row = row_counter(where=str(path))
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().casefold() for c in cells]
            _check_header(path.name, header)
            continue
        count_row()
        row = {h: c for h, c in zip(header, cells, strict=False) if h in CSV_COLUMNS}
        if row.get("robot_user"):
            row["robot_user"] = pseudonym(row["robot_user"]) or ""
        if row.get("exception_reason"):
            row["exception_reason"] = redact_personal_values(row["exception_reason"])
        rows.append((reader.line_num, row))
    if header is None:
        raise InputError(f"{path.name} is empty: expected a header row.")
    return rows


def _check_header(file: str, header: list[str]) -> None:
    missing = [c for c in ("process", "run_id", "start", "status") if c not in header]
    if missing:
        raise InputError(
            f"{file}: the header lacks {', '.join(missing)} (found: {', '.join(header)}); a "
            f"robot CSV has the columns {', '.join(CSV_COLUMNS)} (process, run_id, start, "
            "status required)."
        )
