"""Time registration end to end: read exports (and ServiceNow time cards), store the hours table.

``import_time_exports`` reads each export file, pseudonymises its employee column and keeps that
pseudonymised copy under ``01_raw/time-registration/exports/<file>.json`` (the original, with
names in clear, is never copied), records the run in the extraction catalog (source
``time-registration``, stream = file name, bookmark = the file's SHA-256), then rebuilds.
``rebuild_time`` reads only the data folder: every stored export, plus the ServiceNow
``time_card`` raw pages when time cards were asked for once (``--servicenow``), and writes

- ``03_primary/time-registration/hours.parquet`` (one row per booking; see
  ``extractors.time_registration.mapping`` for columns and the whole-day rule), and
- ``hours.quarantine.csv`` beside it (file, line, reason, record) when rows were set aside;

each stream's quarantine count goes to the catalog, so ``kitflow sources`` shows it.

When an export and the time cards hold the same hours (KIT's system feeds both), the table holds
both, told apart by ``source``: sum one of them, not both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from extractors.base import Bookmark, iter_raw_pages, raw_folder
from extractors.pseudonym import Pseudonymiser, load_key
from extractors.time_registration import (
    HOURS_SCHEMA,
    QUARANTINE_SCHEMA,
    TIME_CARD_SOURCE,
    HoursTable,
    find_export_files,
    map_cell_table,
    map_time_cards,
    pseudonymise_cells,
    read_export,
    read_raw_tables,
    task_lookup,
    write_raw_table,
)
from models.errors import InputError
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url

SOURCE = "time-registration"
EXPORTS_STREAM = "exports"
TIME_CARD_STREAM = "servicenow-time_card"
SERVICENOW_SOURCE = "servicenow"
TASK_TABLES = ("incident", "sc_req_item", "sc_task", "sc_request")
PRIMARY_FOLDER = Path("03_primary") / SOURCE


@dataclass(frozen=True)
class StreamSummary:
    """One input: a file or the time cards; rows read, bookings kept, rows set aside."""

    stream: str
    records: int
    rows: int
    quarantined: int
    bookmark: str


@dataclass(frozen=True)
class TimeReport:
    """What an import or rebuild stored."""

    hours_path: Path
    quarantine_path: Path | None
    streams: tuple[StreamSummary, ...]
    rows: int
    quarantined: int
    notes: tuple[str, ...] = ()


def hours_path(data_dir: Path) -> Path:
    """``<data>/03_primary/time-registration/hours.parquet``."""
    return data_dir / PRIMARY_FOLDER / "hours.parquet"


def _catalog(data_dir: Path) -> ExtractionCatalog:
    return ExtractionCatalog(default_database_url(data_dir))


def import_time_exports(
    store: LogStore,
    paths: Sequence[Path],
    *,
    servicenow: bool = False,
    say: Any = None,
) -> TimeReport:
    """Read export files (or folders of them), keep them pseudonymised, rebuild the table.

    ``servicenow`` also maps the ``time_card`` pages a ServiceNow extraction stored."""
    files = find_export_files(paths)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say or (lambda _m: None)))
    folder = raw_folder(store.data_dir, SOURCE, EXPORTS_STREAM)
    catalog = _catalog(store.data_dir)
    try:
        for path in files:
            table = pseudonymise_cells(read_export(path), pseudonym)
            write_raw_table(table, folder)
            run_id, _ = catalog.open_run(SOURCE, table.file)
            catalog.commit_page(
                run_id, bookmark=Bookmark(table.sha256, table.file), records=len(table.rows)
            )
            catalog.close_run(run_id, status="finished")
    finally:
        catalog.dispose()
    return rebuild_time(store, servicenow=servicenow)


def rebuild_time(store: LogStore, *, servicenow: bool = False) -> TimeReport:
    """Rebuild the hours table from the data folder alone (stored exports and time cards)."""
    data_dir = store.data_dir
    catalog = _catalog(data_dir)
    try:
        known = {(s.source, s.stream) for s in catalog.list()}
        with_cards = servicenow or (SOURCE, TIME_CARD_STREAM) in known
        parts: list[tuple[str, int, HoursTable, str]] = [
            (t.file, len(t.rows), map_cell_table(t), t.sha256)
            for t in read_raw_tables(raw_folder(data_dir, SOURCE, EXPORTS_STREAM))
        ]
        if with_cards:
            parts.append(_time_card_part(data_dir, catalog))
        if not parts:
            raise InputError(
                "there are no time-registration data to build from: run "
                "'kitflow extract time --export FILE' (or --servicenow after a ServiceNow "
                "extraction of time_card) first."
            )
        summaries = tuple(
            StreamSummary(name, records, t.frame.height, t.quarantine.height, mark)
            for name, records, t, mark in parts
        )
        for s in summaries:
            catalog.set_quarantined(SOURCE, s.stream, s.quarantined)
    finally:
        catalog.dispose()
    tables = [t for _, _, t, _ in parts]
    return _write_outputs(data_dir, tables, summaries)


def _time_card_part(data_dir: Path, catalog: ExtractionCatalog) -> tuple[str, int, HoursTable, str]:
    folder = raw_folder(data_dir, SERVICENOW_SOURCE, "time_card")
    if not folder.is_dir():
        raise InputError(
            f"there are no ServiceNow time_card pages in {folder}: add time_card to the "
            "'tables' of the ServiceNow configuration and run 'kitflow extract servicenow' first."
        )
    cards = list(enumerate(_unique_records(_records(data_dir, "time_card")), start=1))
    lookup = task_lookup(
        (r for table in TASK_TABLES for r in _records(data_dir, table)),
        _records(data_dir, "sys_user_group"),
    )
    mapped = map_time_cards(cards, lookup)
    sn_state = catalog.status(SERVICENOW_SOURCE, "time_card")
    mark = f"{sn_state.bookmark_value or ''} {sn_state.bookmark_key or ''}".strip()
    run_id, _ = catalog.open_run(SOURCE, TIME_CARD_STREAM)
    catalog.commit_page(run_id, bookmark=Bookmark(mark or "-", "time_card"), records=len(cards))
    catalog.close_run(run_id, status="finished")
    return TIME_CARD_SOURCE, len(cards), mapped, mark


def _records(data_dir: Path, table: str) -> Iterator[Any]:
    for _, page in iter_raw_pages(raw_folder(data_dir, SERVICENOW_SOURCE, table)):
        yield from page.get("result", [])


def _unique_records(records: Iterable[Any]) -> list[Any]:
    """The last stored version of each sys_id, in first-seen order: a new ServiceNow run
    re-reads its bookmark's second, so a raw record may repeat (later pages are newer)."""
    latest: dict[str, Any] = {}
    others: list[Any] = []
    for record in records:
        key = record.get("sys_id") if isinstance(record, dict) else None
        if isinstance(key, str) and key:
            latest[key] = record
        else:
            others.append(record)
    return [*latest.values(), *others]


def _write_outputs(
    data_dir: Path, tables: list[HoursTable], summaries: tuple[StreamSummary, ...]
) -> TimeReport:
    frame = pl.concat([t.frame for t in tables]) if tables else pl.DataFrame(schema=HOURS_SCHEMA)
    quarantine = (
        pl.concat([t.quarantine for t in tables])
        if tables
        else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    path = hours_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.sort(["date", "source", "source_row"], maintain_order=True).write_parquet(path)
    quarantine_path = path.with_name("hours.quarantine.csv")
    if quarantine.height:
        quarantine.write_csv(quarantine_path)
    else:
        quarantine_path.unlink(missing_ok=True)
    return TimeReport(
        hours_path=path,
        quarantine_path=quarantine_path if quarantine.height else None,
        streams=summaries,
        rows=frame.height,
        quarantined=quarantine.height,
        notes=tuple(n for t in tables for n in t.notes),
    )
