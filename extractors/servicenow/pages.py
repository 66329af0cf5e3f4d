"""Saved Table API pages: a folder ``<table>/page-NNNNN.json`` per table, read as a stream.

An administrator (or ``kitflow simulate``) can save what the Table API returned, one folder per
table, each page ``{"result": [...]}`` in value mode, sorted by the stream's keyset
``(replication key, sys_id)``. ``SavedPagesStream`` serves such a folder through the same
``Stream`` protocol as the live ``TableStream``: pages after a cursor, with the same keyset rule
(``>=`` the bookmark on a run's first page, strictly after it later on). So ``run_stream`` stores
them in ``01_raw`` with the same atomic write and bookmark, and importing the same folder twice
adds nothing new; a later, larger dump adds only what came after the bookmark.

Each record keeps only its stream's declared fields (free text such as ``short_description``
is dropped) and its people are pseudonymised before the page is stored, as on the live path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from extractors.base import Cursor, Page, Record
from extractors.errors import FatalError
from extractors.json_input import load_json
from extractors.pseudonym import Pseudonymiser
from extractors.servicenow.streams import (
    STREAMS,
    StreamSpec,
    bookmark_after,
    pseudonymise_in_place,
    stream_spec,
)

# Fields the landscape needs beyond the declared live streams. ``correlation_id`` on a
# requested item holds the Azure DevOps Feature id the integration created, the link from
# ServiceNow's side (sources.md 1 and 6). Kept here until the declared stream asks for it too.
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {"sc_req_item": ("correlation_id",)}

# Records per stored page when saved pages are read: no API limits a page here, and every
# stored page costs a durable write and a bookmark commit, so a page is ten saved files.
SAVED_PAGE_SIZE = 10_000

# Tables whose saved pages are never copied: they hold people in clear (names, e-mails) and the
# event logs need nothing from them (people are pseudonymised where they are referenced).
NEVER_COPIED = frozenset({"sys_user"})


def saved_page_spec(table: str) -> StreamSpec:
    """The declared stream of ``table`` with the landscape's extra fields."""
    spec = stream_spec(table)
    extra = tuple(f for f in EXTRA_FIELDS.get(table, ()) if f not in spec.fields)
    return replace(spec, fields=(*spec.fields, *extra)) if extra else spec


@dataclass(frozen=True)
class SavedTables:
    """What a saved-pages folder holds: the tables that are declared streams (in a fixed
    order), and the sub-folders that are not, each with the reason it is not read."""

    tables: tuple[str, ...]
    not_read: tuple[tuple[str, str], ...]


def find_saved_tables(folder: Path) -> SavedTables:
    """The declared streams saved under ``folder``; raises when there is none."""
    if not folder.is_dir():
        raise FatalError(
            f"{folder} is not a folder: give the folder that holds one sub-folder of "
            "page-NNNNN.json files per ServiceNow table (incident/, sys_audit/, ...)."
        )
    tables, not_read = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name in NEVER_COPIED:
            not_read.append((sub.name, "holds people in clear; never copied"))
        elif sub.name not in STREAMS:
            not_read.append((sub.name, "not a declared ServiceNow stream"))
        elif not any(sub.glob("page-*.json")):
            not_read.append((sub.name, "no page-*.json files"))
        else:
            tables.append(sub.name)
    if not tables:
        raise FatalError(
            f"{folder} holds no saved ServiceNow pages: expected sub-folders named after "
            f"tables ({', '.join(sorted(STREAMS))}) with page-NNNNN.json files."
        )
    # Reference tables first, so labels exist when a log is built from a partial import.
    order = {name: i for i, name in enumerate(STREAMS)}
    return SavedTables(tuple(sorted(tables, key=order.__getitem__)), tuple(not_read))


def _keyset(spec: StreamSpec, record: Any) -> tuple[str, str] | None:
    if not isinstance(record, dict):
        return None
    value, key = record.get(spec.replication_key), record.get(spec.primary_key)
    if isinstance(value, str) and value and isinstance(key, str) and key:
        return value, key
    return None


@dataclass
class SavedPagesStream:
    """A ``Stream`` over one table's saved pages, pseudonymising each page it hands out.

    Records without both keys cannot be placed in the keyset order; each is handed out once, with
    the page whose scan passes it (staging quarantines it with the reason), never dropped. The saved
    pages must be in keyset order, as the Table API returns them with ``ORDERBY``; a record out
    of order stops the import with the file named.
    """

    folder: Path
    spec: StreamSpec
    pseudonym: Pseudonymiser
    page_size: int = SAVED_PAGE_SIZE
    _files: list[Path] = field(init=False, repr=False)
    _start: int = field(default=0, init=False, repr=False)
    _keyless_handed: set[tuple[int, int]] = field(default_factory=set, init=False, repr=False)
    # The last file read, with each record's keyset: a page usually ends mid-file and the next
    # one starts there, so the file is parsed once, not once per page.
    _parsed: tuple[int, list[tuple[Any, tuple[str, str] | None]]] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self._files = sorted(self.folder.glob("page-*.json"))

    @property
    def name(self) -> str:
        """The stream's name (the table's name)."""
        return self.spec.name

    def fetch_page(self, cursor: Cursor) -> Page:
        """The saved records after ``cursor``, at most ``page_size`` of them."""
        records = tuple(self._pick(cursor, _cleaner(self.spec, self.pseudonym)))
        request = {"saved_pages": str(self.folder), "after": _describe(cursor)}
        return Page(records, request, bookmark_after(self.spec, records))

    def _pick(self, cursor: Cursor, clean: Callable[[Any], Any]) -> list[Record]:
        """The cleaned records of the page after ``cursor``, from the file the last page ended
        in: a page never starts before it, because the files are in keyset order (checked
        here). One loop, no generator: it sees every saved record."""
        picked: list[Record] = []
        size, handed = self.page_size, self._keyless_handed
        mark, resume = cursor.bookmark, cursor.resume
        # The keyset rule: >= the bookmark's time on a run's first page, after it later on.
        since = ("", "") if mark is None else (mark.value, mark.key)
        previous: tuple[str, str] | None = None
        for index in range(0 if mark is None else self._start, len(self._files)):
            for offset, (record, keyset) in enumerate(self._parse(index)):
                if keyset is None:
                    if (index, offset) in handed:
                        continue
                    handed.add((index, offset))
                else:
                    if previous is not None and keyset < previous:
                        self._out_of_order(self._files[index], keyset, previous)
                    previous = keyset
                    if mark is not None and (keyset <= since if resume else keyset[0] < since[0]):
                        continue
                picked.append(clean(record))
                if len(picked) == size:
                    self._start = index
                    return picked
        return picked

    def _out_of_order(self, path: Path, keyset: tuple[str, str], previous: tuple[str, str]) -> None:
        raise FatalError(
            f"{path}: record {keyset[1]} ({self.spec.replication_key} {keyset[0]}) "
            f"comes after one at {previous[0]}: saved pages must be in "
            f"({self.spec.replication_key}, sys_id) order, as the Table API returns "
            "them with ORDERBY; save them again in that order."
        )

    def _parse(self, index: int) -> list[tuple[Any, tuple[str, str] | None]]:
        if self._parsed is None or self._parsed[0] != index:
            records = _read_result(self._files[index])
            self._parsed = (index, [(r, _keyset(self.spec, r)) for r in records])
        return self._parsed[1]


def _cleaner(spec: StreamSpec, pseudonym: Pseudonymiser) -> Callable[[Any], Any]:
    """A record's stream fields only, its people pseudonymised, as ``pseudonymise_record`` does
    it, but keeping the record's own order of fields (the staging reads them by name, and a
    stored page sorts them): a copy less the other fields is twice as fast as picking the
    fields one by one. Each person is looked up once a page."""
    wanted = frozenset(spec.fields)
    lookup = _Pseudonyms(pseudonym).__getitem__

    def cleaned(record: Any) -> Any:
        if not isinstance(record, dict):
            return record
        kept = record.copy()
        for name in record.keys() - wanted:
            del kept[name]
        return pseudonymise_in_place(spec, kept, lookup)

    return cleaned


class _Pseudonyms(dict[str, str | None]):
    """Each value's pseudonym, computed on its first lookup."""

    def __init__(self, pseudonym: Pseudonymiser) -> None:
        super().__init__()
        self._pseudonym = pseudonym

    def __missing__(self, value: str) -> str | None:
        self[value] = found = self._pseudonym(value)
        return found


def _describe(cursor: Cursor) -> str:
    if cursor.bookmark is None:
        return "start"
    operator = ">" if cursor.resume else ">="
    return f"{operator} {cursor.bookmark.value} / {cursor.bookmark.key}"


def _read_result(path: Path) -> Sequence[Any]:
    try:
        document = load_json(path.read_bytes(), where=str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FatalError(f"{path} is not a readable JSON page: {error}") from error
    result = document.get("result") if isinstance(document, dict) else None
    if not isinstance(result, list):
        raise FatalError(
            f"{path} is not a Table API page: expected an object with a 'result' list, as "
            "/api/now/table/<table> returns."
        )
    return result
