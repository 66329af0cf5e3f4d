"""Data-subject rights on the platform's own data: find, erase, age out and re-key the rows
linked to people, in every layer of the data folder: raw pages, staged tables, stored logs
(their aggregates rebuilt), the sources' primary tables and every quarantine file.

A person is found by the pseudonyms of the identifiers an administrator gives (user name,
e-mail, sys_id, initials: each is normalised and hashed with the key the data was extracted
with), and by those identifiers in clear where a file still holds one. Every command is recorded
in the append-only audit trail with the pseudonyms only, never the identifiers.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from extractors import (
    FatalError,
    Pseudonymiser,
    is_pseudonym,
    key_fingerprint,
    load_key,
    normalise_user_id,
    read_secret_file,
    write_page_atomically,
)
from mining import store_log_aggregates
from models.audit import AuditEntry, AuditTrail
from models.datafolder import (
    INTERMEDIATE,
    PRIMARY,
    RAW,
    RESERVED_LOG_NAMES,
    DataFolder,
    LockKind,
    partial_file,
)
from models.errors import InputError
from models.eventlog import CanonicalLog
from models.store import LogStore
from services.storing import store_canonical_log

__all__ = [
    "PrivacyFileChange",
    "PrivacyFinding",
    "PrivacyPerson",
    "PrivacyRotation",
    "check_privacy_reason",
    "current_key_fingerprint",
    "erase_person",
    "find_person_data",
    "parse_retention_cutoff",
    "person_from_identifiers",
    "purge_older_than",
    "read_identifier_file",
    "record_privacy_request",
    "recorded_privacy_requests",
    "rotate_pseudonym_key",
]

LayerName = Literal["raw", "staged", "log", "primary", "quarantine"]
_TABLE_SUFFIXES = (".parquet", ".csv")
_PSEUDONYM = re.compile(r"p-[0-9a-f]{16}")
"""A pseudonym inside text (``extractors.is_pseudonym`` checks a whole value)."""
_TIME_COLUMNS = ("timestamp", "date", "start", "start_time", "started_at", "opened_at")
_RECORD_TIME_KEYS = (
    "timestamp", "date", "dato", "start", "starttime", "startdate", "sys_created_on",
    "opened_at", "createddate", "system.createddate", "system.changeddate", "reviseddate",
)  # fmt: skip
AUDIT_PREFIX = "privacy "
"""How the audit trail's action of a privacy command begins."""
_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


@dataclass(frozen=True)
class PrivacyPerson:
    """What identifies one person in the data: the pseudonyms of the given identifiers, and
    those identifiers normalised (kept in memory only, never written or recorded)."""

    pseudonyms: tuple[str, ...]
    clear: frozenset[str] = field(repr=False)


@dataclass(frozen=True)
class PrivacyFinding:
    """Where a person's rows lie in one file."""

    path: str
    layer: LayerName
    rows: int
    columns: tuple[str, ...]
    log: str | None = None
    cases: tuple[str, ...] = ()
    first: str | None = None
    last: str | None = None


@dataclass(frozen=True)
class PrivacyFileChange:
    """What a purge or a rotation did to one file: rows removed (or re-keyed) and kept."""

    path: str
    layer: LayerName
    changed: int
    kept: int
    undated: int = 0


# -- the key and the person --------------------------------------------------------------------


def _key(data: DataFolder) -> bytes:
    return load_key(data_dir=data.root, create=False)


def current_key_fingerprint(data: DataFolder) -> str | None:
    """The fingerprint of the key set for ``data`` (``extractors.pseudonym.key_fingerprint``),
    or None when no key is set."""
    try:
        return key_fingerprint(_key(data))
    except FatalError:
        return None


def person_from_identifiers(data: DataFolder, identifiers: Sequence[str]) -> PrivacyPerson:
    """The person behind ``identifiers`` (user name, e-mail, sys_id, initials), under the key
    the data was extracted with. Raises ``InputError`` when none is given."""
    given = [i for i in identifiers if i.strip()]
    if not given:
        raise InputError("give at least one --identifier (user name, e-mail, sys_id, initials).")
    pseudonymise = Pseudonymiser(_key(data))
    pseudonyms = sorted({p for p in (pseudonymise(i) for i in given) if p and p != "system"})
    if not pseudonyms:
        raise InputError(
            "every --identifier given is a system account, which is kept in clear as 'system' "
            "and is no person: give the person's own user name, e-mail, sys_id or initials."
        )
    return PrivacyPerson(tuple(pseudonyms), frozenset(normalise_user_id(i) for i in given))


# -- the files of the data folder --------------------------------------------------------------


def _data_files(data: DataFolder) -> Iterator[Path]:
    """Every file of the raw, staged and primary layers that can hold rows, by path; hidden
    files (writes in progress), catalog entries and a log's derived aggregates are left out."""
    for layer in (RAW, INTERMEDIATE, PRIMARY):
        base = data.root / layer
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if _holds_rows(data, path, layer):
                yield path


def _holds_rows(data: DataFolder, path: Path, layer: str) -> bool:
    relative = path.relative_to(data.root)
    if not path.is_file() or any(part.startswith(".") for part in relative.parts):
        return False
    if layer == RAW:
        return path.suffix in (".json", *_TABLE_SUFFIXES)
    if path.suffix not in _TABLE_SUFFIXES:
        return False
    return not (_log_of(data, path) and path.name.count(".") > 1)


def _log_of(data: DataFolder, path: Path) -> str | None:
    """The stored log a file belongs to (``03_primary/<log>/...``), else None."""
    parts = path.relative_to(data.root).parts
    if len(parts) >= 3 and parts[0] == PRIMARY and parts[1] not in RESERVED_LOG_NAMES:
        return parts[1]
    return None


def _layer(data: DataFolder, path: Path) -> LayerName:
    parts = path.relative_to(data.root).parts
    if "quarantine" in path.name:
        return "quarantine"
    if parts[0] == RAW:
        return "raw"
    if parts[0] == INTERMEDIATE:
        return "staged"
    return "log" if _log_of(data, path) else "primary"


def _lock_of(data: DataFolder, path: Path) -> tuple[LockKind, str]:
    """The writer's lock a rewrite of ``path`` takes: its log's, else its source's."""
    log = _log_of(data, path)
    return ("log", log) if log else ("source", path.relative_to(data.root).parts[1])


def _relative(data: DataFolder, path: Path) -> str:
    return path.relative_to(data.root).as_posix()


# -- tables: reading, matching, writing --------------------------------------------------------


def _read_table(path: Path) -> pl.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise _unreadable(path, error) from None


def _unreadable(path: Path, error: Exception) -> InputError:
    return InputError(
        f"cannot read {path} ({str(error).splitlines()[0][:200]}); the command stopped there. "
        "Restore that file from a backup or remove it (a staged or primary table is rebuilt by "
        "'kitflow extract ... --rebuild'), then run the command again."
    )


def _write_table(frame: pl.DataFrame, path: Path) -> None:
    """Replace ``path`` in one step (a reader sees the old table or the new one). A CSV file is
    written back as read: its cells were escaped when it was first written."""
    temporary = partial_file(path)
    try:
        if path.suffix == ".parquet":
            frame.write_parquet(temporary)
        else:
            frame.write_csv(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [name for name, kind in frame.schema.items() if isinstance(kind, _TEXT_TYPES)]


def _column_hits(frame: pl.DataFrame, person: PrivacyPerson) -> pl.DataFrame:
    """One boolean column per text column of ``frame``: whether the row names ``person``."""
    pseudonyms, clear = list(person.pseudonyms), list(person.clear)
    return frame.select(
        (
            pl.col(name).cast(pl.String).str.contains_any(pseudonyms)
            | pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase().is_in(clear)
        )
        .fill_null(False)
        .alias(name)
        for name in _text_columns(frame)
    )


def _row_mask(hits: pl.DataFrame, height: int) -> pl.Series:
    if hits.width == 0:
        return pl.Series([False] * height, dtype=pl.Boolean)
    return hits.select(pl.any_horizontal(pl.all())).to_series()


# -- raw pages: documents whose lists of records are the rows ----------------------------------


def _row_lists(document: dict[str, Any]) -> list[str]:
    """The keys of a raw page whose value is a list of records (dicts, or ``[line, cells]``)."""
    return [
        key
        for key, value in document.items()
        if isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value)
    ]


def _record_dict(document: dict[str, Any], row: Any) -> dict[str, Any]:
    """A raw row as a dict: records are; ``[line, cells]`` rows are named by the header."""
    if isinstance(row, dict):
        return row
    cells = row[-1] if row and isinstance(row[-1], list) else row
    header = document.get("header")
    names = header if isinstance(header, list) else [str(i) for i in range(len(cells))]
    return dict(zip(names, cells, strict=False))


def _value_names(value: Any, person: PrivacyPerson) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    if any(p in text for p in person.pseudonyms):
        return True
    if isinstance(value, str):
        return normalise_user_id(value) in person.clear
    if isinstance(value, dict):
        return any(_value_names(v, person) for v in value.values())
    if isinstance(value, list):
        return any(_value_names(v, person) for v in value)
    return False


def _read_page(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise _unreadable(path, error) from None
    if not isinstance(document, dict):
        raise InputError(f"{path} is not a stored page (a JSON object): restore it or delete it.")
    return document


# -- lookup ------------------------------------------------------------------------------------


def find_person_data(data: DataFolder, person: PrivacyPerson) -> list[PrivacyFinding]:
    """Every file of the data folder that holds rows naming ``person``: where, how many, in
    which columns, and for a stored log in which cases and period."""
    found = []
    for path in _data_files(data):
        finding = _find_in_page(data, path, person) if path.suffix == ".json" else None
        if path.suffix != ".json":
            finding = _find_in_table(data, path, person)
        if finding is not None:
            found.append(finding)
    return found


def _find_in_page(data: DataFolder, path: Path, person: PrivacyPerson) -> PrivacyFinding | None:
    document = _read_page(path)
    rows, columns = 0, set()
    for key in _row_lists(document):
        for row in document[key]:
            record = _record_dict(document, row)
            named = {str(k) for k, v in record.items() if _value_names(v, person)}
            rows += bool(named)
            columns |= named
    if not rows:
        return None
    return PrivacyFinding(_relative(data, path), "raw", rows, tuple(sorted(columns)))


def _find_in_table(data: DataFolder, path: Path, person: PrivacyPerson) -> PrivacyFinding | None:
    frame = _read_table(path)
    hits = _column_hits(frame, person)
    mask = _row_mask(hits, frame.height)
    rows = int(mask.sum())
    if not rows:
        return None
    columns = tuple(name for name in hits.columns if hits[name].any())
    matched = frame.filter(mask)
    first, last = _period(matched)
    return PrivacyFinding(
        _relative(data, path), _layer(data, path), rows, columns, _log_of(data, path),
        _cases(matched), first, last,
    )  # fmt: skip


def _cases(frame: pl.DataFrame) -> tuple[str, ...]:
    if "case_id" not in frame.columns:
        return ()
    return tuple(frame["case_id"].cast(pl.String).unique().sort().to_list())


def _period(frame: pl.DataFrame) -> tuple[str | None, str | None]:
    dates = _row_dates(frame).drop_nulls()
    if dates.is_empty():
        return None, None
    return str(dates.min()), str(dates.max())


# -- dates of rows (retention) -----------------------------------------------------------------


def _row_dates(frame: pl.DataFrame) -> pl.Series:
    """The date of each row: its event time, booking date or run start; a quarantine row's from
    its record; null when the row has none."""
    for name in _TIME_COLUMNS:
        if name in frame.columns:
            return _as_date(frame[name])
    if "record" in frame.columns:
        values = [_record_date(_json_or_empty(text)) for text in frame["record"].to_list()]
        return pl.Series(values, dtype=pl.Date)
    return pl.Series([None] * frame.height, dtype=pl.Date)


def _as_date(column: pl.Series) -> pl.Series:
    if column.dtype == pl.Date:
        return column
    if isinstance(column.dtype, pl.Datetime):
        return column.dt.date()
    return column.cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def _json_or_empty(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _record_date(record: dict[str, Any]) -> dt.date | None:
    """The first readable date among a raw record's time fields (also under ADO's ``fields``)."""
    nested = record.get("fields")
    flat = {**record, **nested} if isinstance(nested, dict) else record
    by_name = {str(k).casefold(): v for k, v in flat.items()}
    for name in _RECORD_TIME_KEYS:
        value = by_name.get(name)
        if isinstance(value, dict):
            value = value.get("value")
        date = _parse_date(value)
        if date is not None:
            return date
    return None


def _parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# -- purging (erase and retention) -------------------------------------------------------------

RowTest = Callable[[dict[str, Any]], bool | None]
"""Whether a raw record goes (True), stays (False) or cannot be judged (None: it stays)."""
FrameTest = Callable[[pl.DataFrame], pl.Series]
"""Per row of a table: goes (True), stays (False) or cannot be judged (null: it stays)."""


_Change = PrivacyFileChange | None
_Changes = list[PrivacyFileChange]


def _change(
    data: DataFolder, path: Path, layer: LayerName, frame: pl.DataFrame, goes: pl.Series, *,
    undated: int,
) -> PrivacyFileChange:  # fmt: skip
    removed = int(goes.sum())
    return PrivacyFileChange(_relative(data, path), layer, removed, frame.height - removed, undated)


@dataclass(frozen=True)
class _Purge:
    rows: RowTest
    frame: FrameTest


def _purge(data: DataFolder, purge: _Purge, *, dry_run: bool) -> list[PrivacyFileChange]:
    store = LogStore(data.root, data.database_url)
    changes: list[PrivacyFileChange] = []
    done_logs: set[str] = set()
    for path in list(_data_files(data)):
        log = _log_of(data, path)
        if log is not None:
            if log not in done_logs:
                done_logs.add(log)
                changes += _purge_log(store, log, purge, dry_run=dry_run)
            continue
        change = _purge_file(data, path, purge, dry_run=dry_run)
        if change is not None:
            changes.append(change)
    return changes


def _purge_file(
    data: DataFolder, path: Path, purge: _Purge, *, dry_run: bool
) -> PrivacyFileChange | None:
    kind, name = _lock_of(data, path)
    with data.writer_lock(kind, name):
        if path.suffix == ".json":
            return _purge_page(data, path, purge.rows, dry_run=dry_run)
        frame = _read_table(path)
        goes, undated = _goes(frame, purge.frame)
        change = _change(data, path, _layer(data, path), frame, goes, undated=undated)
        if change.changed and not dry_run:
            _write_table(frame.filter(~goes), path)
    return change if change.changed or change.undated else None


def _goes(frame: pl.DataFrame, test: FrameTest) -> tuple[pl.Series, int]:
    verdict = test(frame)
    return verdict.fill_null(False), int(verdict.null_count())


def _purge_page(
    data: DataFolder, path: Path, test: RowTest, *, dry_run: bool
) -> PrivacyFileChange | None:
    document = _read_page(path)
    removed = kept = undated = 0
    for key in _row_lists(document):
        staying = []
        for row in document[key]:
            verdict = test(_record_dict(document, row))
            undated += verdict is None
            if verdict:
                removed += 1
            else:
                staying.append(row)
        kept += len(staying)
        document[key] = staying
    if removed and not dry_run:
        write_page_atomically(path, document)
    if not removed and not undated:
        return None
    return PrivacyFileChange(_relative(data, path), "raw", removed, kept, undated)


def _purge_log(
    store: LogStore, name: str, purge: _Purge, *, dry_run: bool
) -> list[PrivacyFileChange]:
    """Purge a stored log's events and quarantine; a flat log is stored again through the
    store (its catalog entry and aggregates rebuilt), under its writer's lock."""
    data = store.data
    with data.writer_lock("log", name):
        entry = store.catalog.get(name)
        if entry is None or entry.kind != "flat":
            return _purge_log_tables(data, name, purge, dry_run=dry_run)
        events = pl.read_parquet(data.log_table(name))
        quarantine_path = data.log_quarantine(name)
        quarantine = _read_table(quarantine_path) if quarantine_path.exists() else pl.DataFrame()
        events_go, events_undated = _goes(events, purge.frame)
        quarantine_go, quarantine_undated = _goes(quarantine, purge.frame)
        changes = [
            _change(data, data.log_table(name), "log", events, events_go, undated=events_undated),
            _change(data, quarantine_path, "quarantine", quarantine, quarantine_go,
                    undated=quarantine_undated),
        ]  # fmt: skip
        if not dry_run and (events_go.any() or quarantine_go.any()):
            kept = CanonicalLog(events.filter(~events_go), quarantine.filter(~quarantine_go))
            _store_again(store, name, kept)
    return [c for c in changes if c.changed or c.undated]


def _store_again(store: LogStore, name: str, log: CanonicalLog) -> None:
    entry = store.catalog.get(name)
    assert entry is not None
    if log.events.is_empty():
        store.delete(name)
        return
    store_canonical_log(
        store, log, name=name, source_path=entry.source_path,
        source_format=entry.source_format, replace=True,
    )  # fmt: skip


def _purge_log_tables(
    data: DataFolder, name: str, purge: _Purge, *, dry_run: bool
) -> list[PrivacyFileChange]:
    """An object-centric log: each of its tables purged in place."""
    changes = []
    for path in sorted(data.log_folder(name).glob("*")):
        if _holds_rows(data, path, PRIMARY):
            change = _purge_file(data, path, purge, dry_run=dry_run)
            changes += [change] if change is not None else []
    return changes


# -- erase and retention -----------------------------------------------------------------------


def erase_person(
    data: DataFolder, person: PrivacyPerson, *, dry_run: bool
) -> list[PrivacyFileChange]:
    """Remove every row naming ``person`` from every layer (``dry_run``: only count them)."""

    def frame_test(frame: pl.DataFrame) -> pl.Series:
        return _row_mask(_column_hits(frame, person), frame.height)

    def row_test(record: dict[str, Any]) -> bool:
        return any(_value_names(v, person) for v in record.values())

    return _purge(data, _Purge(row_test, frame_test), dry_run=dry_run)


def purge_older_than(
    data: DataFolder, cutoff: dt.date, *, held: PrivacyPerson | None = None, dry_run: bool
) -> list[PrivacyFileChange]:
    """Remove every row dated before ``cutoff`` (event time, booking date, run start; a raw or
    quarantined record by its own time field) from every layer. Rows without a date stay and
    are counted as undated; rows naming ``held`` (people with an open access request) stay."""

    def frame_test(frame: pl.DataFrame) -> pl.Series:
        old = _row_dates(frame) < cutoff
        return old if held is None else old & ~_row_mask(_column_hits(frame, held), frame.height)

    def row_test(record: dict[str, Any]) -> bool | None:
        date = _record_date(record)
        if date is None or date >= cutoff:
            return None if date is None else False
        return held is None or not any(_value_names(v, held) for v in record.values())

    return _purge(data, _Purge(row_test, frame_test), dry_run=dry_run)


def parse_retention_cutoff(text: str, *, today: dt.date | None = None) -> dt.date:
    """``--older-than``: a number of days before today, or a date YYYY-MM-DD."""
    if text.strip().isdigit():
        return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=int(text))
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--older-than {text!r} is neither a number of days nor a date: write e.g. 365 or "
            "2024-01-01."
        ) from None


# -- key rotation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyRotation:
    """What a rotation did: per file, pseudonyms re-keyed; the pseudonyms it could not map."""

    changes: list[PrivacyFileChange]
    mapped: int
    unmapped: tuple[str, ...]
    new_fingerprint: str


def read_identifier_file(path: Path) -> list[str]:
    """One identifier a line (blank lines and ``#`` comments skipped)."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read the identifier file {path}: {error.strerror}.") from None
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def rotate_pseudonym_key(
    data: DataFolder, new_key_file: Path, identifiers: Iterable[str], *, dry_run: bool
) -> PrivacyRotation:
    """Re-pseudonymise every layer from the current key to the key in ``new_key_file``, for
    the people in ``identifiers``; a pseudonym of anyone else cannot be mapped (a pseudonym is
    one-way) and is reported, left as it is."""
    old, new = Pseudonymiser(_key(data)), Pseudonymiser(_new_key(data, new_key_file))
    mapping = _mapping(old, new, identifiers)
    changes, seen = [], set()
    for path in list(_data_files(data)):
        change, found = _rekey_file(data, path, mapping, dry_run=dry_run)
        seen |= found
        changes += [change] if change is not None else []
    unmapped = tuple(sorted(seen - set(mapping)))
    return PrivacyRotation(changes, len(mapping), unmapped, key_fingerprint(new.key))


def _mapping(old: Pseudonymiser, new: Pseudonymiser, identifiers: Iterable[str]) -> dict[str, str]:
    pairs = ((old(i), new(i)) for i in identifiers if i.strip())
    return {a: b for a, b in pairs if a and b and a != b and is_pseudonym(a) and a != "system"}


def _new_key(data: DataFolder, path: Path) -> bytes:
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(data.root):
        raise InputError(f"the new key file {path} lies inside the data folder: move it out.")
    key = read_secret_file(resolved, what="new pseudonymisation key").strip()
    if len(key) < 16:
        raise InputError(f"the new key in {path} has {len(key)} characters; use at least 16.")
    return key.encode("utf-8")


def _rekey_file(
    data: DataFolder, path: Path, mapping: dict[str, str], *, dry_run: bool
) -> tuple[PrivacyFileChange | None, set[str]]:
    kind, name = _lock_of(data, path)
    with data.writer_lock(kind, name):
        if path.suffix == ".json":
            text = path.read_text("utf-8")
            found = set(_PSEUDONYM.findall(text))
            changed = sum(text.count(old) for old in found & set(mapping))
            if changed and not dry_run:
                write_page_atomically(path, json.loads(_replace_all(text, mapping)))
            return _rekeyed(data, path, changed), found
        return _rekey_table(data, path, mapping, dry_run=dry_run)


def _replace_all(text: str, mapping: dict[str, str]) -> str:
    return _PSEUDONYM.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


def _rekey_table(
    data: DataFolder, path: Path, mapping: dict[str, str], *, dry_run: bool
) -> tuple[PrivacyFileChange | None, set[str]]:
    frame = _read_table(path)
    found: set[str] = set()
    touched = []
    for name in _text_columns(frame):
        values = frame[name].cast(pl.String).drop_nulls().unique().to_list()
        in_column = {p for value in values for p in _PSEUDONYM.findall(value)}
        found |= in_column
        touched += [name] if in_column & set(mapping) else []
    if not touched:
        return None, found
    rekeyed = frame.with_columns(_rekey_column(frame, name, mapping) for name in touched)
    changed = sum(_differing(frame[name], rekeyed[name]) for name in touched)
    if not dry_run:
        _write_table(rekeyed, path)
        _refresh_aggregates(data, path)
    return _rekeyed(data, path, changed), found


def _differing(before: pl.Series, after: pl.Series) -> int:
    return int((before.cast(pl.String) != after.cast(pl.String)).fill_null(False).sum())


def _rekey_column(frame: pl.DataFrame, name: str, mapping: dict[str, str]) -> pl.Expr:
    olds = sorted(mapping)
    column = pl.col(name).cast(pl.String).str.replace_many(olds, [mapping[o] for o in olds])
    return column.cast(frame.schema[name])


def _refresh_aggregates(data: DataFolder, path: Path) -> None:
    if data.is_stored_log_table(path):
        store_log_aggregates(path)


def _rekeyed(data: DataFolder, path: Path, changed: int) -> PrivacyFileChange | None:
    if not changed:
        return None
    return PrivacyFileChange(_relative(data, path), _layer(data, path), changed, 0)


# -- the record of every request ---------------------------------------------------------------


def check_privacy_reason(reason: str) -> None:
    """Every privacy command states why it is run; raises ``InputError`` when it does not."""
    if not reason.strip():
        raise InputError(
            "--reason is required and may not be blank: say why, e.g. "
            "--reason 'indsigtsanmodning j.nr. 2026-17'."
        )


def record_privacy_request(
    data: DataFolder, action: str, reason: str, pseudonyms: Sequence[str], summary: str
) -> None:
    """Add the command to the append-only audit trail (``models.audit``): when, the OS user,
    ``privacy <action>``, the pseudonyms as its target, the reason and what was found or done
    as its detail; never the identifiers in clear."""
    check_privacy_reason(reason)
    trail = AuditTrail(data.database_url)
    try:
        trail.append(
            actor=getpass.getuser(),
            action=f"{AUDIT_PREFIX}{action}",
            target=",".join(pseudonyms),
            detail=f"reason: {reason.strip()}; {summary}",
        )
    finally:
        trail.dispose()


def recorded_privacy_requests(data: DataFolder) -> list[AuditEntry]:
    """The audit trail's entries of privacy commands, oldest first."""
    trail = AuditTrail(data.database_url)
    try:
        return [e for e in trail.list() if e.action.startswith(AUDIT_PREFIX)]
    finally:
        trail.dispose()
