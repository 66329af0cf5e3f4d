"""What an OCEL 2.0 SQLite file must pass before its rows are read.

An SQLite file is a program as much as data: a view, a virtual table or a generated column is
computed while it is read, so a file of a few kilobytes can produce gigabytes (a generated column
``printf('%.*c', 1e9, 'x')``), and a type map that sends a thousand types to one table reads
that table a thousand times. So, before any row is read:

- the header's page count must fit in the file;
- the file may hold no views, triggers, virtual tables or generated columns, and no tables but
  OCEL's: the six core tables, one ``event_<type>`` / ``object_<type>`` table per mapped type
  (each type its own table), and SQLite's own ``sqlite_*`` tables;
- each table's rows are counted (``SELECT count(*)``) against ``KITFLOW_MAX_ROWS`` before it is
  read, and each read is limited to that many rows;
- one value may be at most ``KITFLOW_MAX_VALUE_MB`` long (SQLite's own length limit).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from extractors.limits import VALUE_ENV, check_rows, input_limits, too_large
from models.errors import InputError

CORE_TABLES: Final = (
    "event",
    "object",
    "event_object",
    "object_object",
    "event_map_type",
    "object_map_type",
)
_HEADER_BYTES: Final = 100
_SHOWN: Final = 5


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` whose header was checked, with the value limit set."""
    _check_header(path)
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, input_limits().value_bytes)
    return db


def _check_header(path: Path) -> None:
    with path.open("rb") as handle:
        header = handle.read(_HEADER_BYTES)
    if len(header) < _HEADER_BYTES:
        return  # too short for a database: SQLite itself says what is wrong
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count counts only when the change counter matches its "valid for" copy.
    counted = pages and header[24:28] == header[92:96]
    size = path.stat().st_size
    if counted and pages * page_size > size:
        raise InputError(
            f"cannot read the OCEL 2.0 SQLite file {path.name}: its header declares {pages:,} "
            f"pages of {page_size:,} bytes ({pages * page_size:,} bytes), but the file holds "
            f"{size:,} bytes. It is damaged (or made to mislead): export the log again."
        )


def value_too_long(path: Path, error: sqlite3.Error) -> InputError | None:
    """The refusal for SQLite's "string or blob too big", or None for another error."""
    if "too big" not in str(error):
        return None
    limit_mb = input_limits().value_bytes >> 20
    found = f"a value is longer than {limit_mb:,} MB, the limit for one value"
    return too_large(path.name, found, VALUE_ENV)


def check_nothing_computed(db: sqlite3.Connection, path: Path) -> None:
    """Refuse views, triggers, virtual tables and generated columns."""
    computed = [
        f"{kind} {name}"
        for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master")
        if kind in ("view", "trigger") or str(sql or "").upper().startswith("CREATE VIRTUAL")
    ]
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = db.execute(f"PRAGMA table_xinfo({quote(table)})").fetchall()
        computed += [f"generated column {table}.{c[1]}" for c in columns if c[6] != 0]
    if computed:
        raise InputError(
            f"{path.name} is not an OCEL 2.0 log as it is written: it holds "
            f"{_listed(computed)}, whose values are computed while they are read. An OCEL "
            "SQLite file holds plain tables only; export the log again from its source."
        )


def check_only_ocel_tables(
    db: sqlite3.Connection, path: Path, maps: dict[str, dict[str, str]]
) -> None:
    """Refuse tables that are not OCEL's, and type maps that send two types to one table.

    ``maps`` is ``{"event": {type: suffix}, "object": {type: suffix}}``."""
    allowed = set(CORE_TABLES)
    for scope, mapped in maps.items():
        tables = [f"{scope}_{suffix}" for suffix in mapped.values()]
        shared = sorted({t for t in tables if tables.count(t) > 1})
        if shared:
            raise InputError(
                f"{path.name}: {scope}_map_type sends several types to the table(s) "
                f"{_listed(shared)}; OCEL 2.0 gives each type its own table. Export the log again."
            )
        allowed.update(tables)
    present = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    foreign = [t for t in present if t not in allowed and not t.startswith("sqlite_")]
    if foreign:
        raise InputError(
            f"{path.name} holds table(s) that are not OCEL 2.0's: {_listed(foreign)} (OCEL "
            "has event, object, event_object, object_object, the two type maps and one table "
            "per mapped type). Import only OCEL files; export the log again from its source."
        )


def checked_rows(db: sqlite3.Connection, table: str, path: Path) -> int:
    """The number of rows of ``table``, refused beyond ``KITFLOW_MAX_ROWS``."""
    (rows,) = db.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
    check_rows(int(rows), where=f"{path.name}, table {table}")
    return int(rows)


def row_limit() -> int:
    """The ``LIMIT`` every read of a table carries (``KITFLOW_MAX_ROWS``)."""
    return input_limits().rows


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + identifier.replace('"', '""') + '"'


def _listed(items: Iterable[str]) -> str:
    shown = list(items)
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(shown[:_SHOWN]) + more
