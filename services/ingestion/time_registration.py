"""Time registration's declaration for the ingestion runner: exports (and ServiceNow time
cards) to the hours table, not to an event log. It has no API and no configuration.

- ``--export PATH`` (repeatable; files or folders of them) reads each export, pseudonymises its
  employee column and keeps that copy under ``01_raw/time-registration/exports/<file>.json`` (the
  original, with names in clear, is never copied); each file is a run of stream ``<file>``, its
  bookmark the file's SHA-256.
- The build reads only the data folder: every stored export, plus the ServiceNow ``time_card``
  raw pages once time cards were asked for (``--servicenow``, remembered as the stream
  ``servicenow-time_card``), and writes ``03_primary/time-registration/hours.parquet`` (one row
  per booking; ``extractors.time_registration.mapping`` has the columns and the whole-day rule)
  and ``hours.quarantine.csv`` beside it (file, line, reason, record).

When an export and the time cards hold the same hours (KIT's system feeds both), the table holds
both, told apart by ``source``: sum one of them, not both.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from extractors import Bookmark, Stream
from extractors.time_registration import (
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
from models.datafolder import TIME_REGISTRATION
from models.errors import InputError
from services.ingestion.runner import Mode, Plan, Run, SourceInfo

SOURCE = TIME_REGISTRATION
EXPORTS_STREAM = "exports"
TIME_CARD_STREAM = "servicenow-time_card"
SERVICENOW_SOURCE = "servicenow"
TASK_TABLES = ("incident", "sc_req_item", "sc_task", "sc_request")


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


def _time_cards(run: Run) -> HoursTable:
    """The ServiceNow time cards as bookings, recorded as a run of ``servicenow-time_card``."""
    folder = run.data.raw(SERVICENOW_SOURCE, "time_card")
    if not folder.is_dir():
        raise InputError(
            f"there are no ServiceNow time_card pages in {folder}: add time_card to the "
            "'tables' of the ServiceNow configuration and run 'kitflow extract servicenow' first."
        )
    cards = _unique_records(run.raw_records("time_card", source=SERVICENOW_SOURCE))
    lookup = task_lookup(
        (r for table in TASK_TABLES for r in run.raw_records(table, source=SERVICENOW_SOURCE)),
        run.raw_records("sys_user_group", source=SERVICENOW_SOURCE),
    )
    mapped = map_time_cards(list(enumerate(cards, start=1)), lookup)
    status = run.state.status(SERVICENOW_SOURCE, "time_card")
    mark = f"{status.bookmark_value or ''} {status.bookmark_key or ''}".strip()
    run.record_file(TIME_CARD_STREAM, bookmark=Bookmark(mark or "-", "time_card"),
                    records=len(cards))  # fmt: skip
    return mapped


def _no_settings(path: Path) -> None:
    # Never called: choose_mode refuses --config for a source without an API first.
    raise InputError(f"time registration takes no configuration file ({path}).")


INFO = SourceInfo("time", "time registration", _no_settings, lambda: None, has_api=False,
                  many_exports=True)  # fmt: skip
PLAN = Plan(SOURCE, "time registration becomes the table hours in 03_primary/time-registration")


@dataclass(frozen=True)
class TimeSource:
    """Time registration for the ingestion runner; ``servicenow`` also maps the time cards a
    ServiceNow extraction stored (and remembers to, for later rebuilds)."""

    servicenow: bool = False
    info: SourceInfo[None] = field(default=INFO, init=False)

    def plan(self, config: None, mode: Mode, exports: tuple[Path, ...]) -> Plan:
        """A table, not a log."""
        return PLAN

    def fetch(self, run: Run, config: None) -> Generator[Stream, None, None]:
        """No API (``choose_mode`` never asks)."""
        raise InputError("time registration has no API: give --export PATH or --rebuild.")
        yield  # a generator, as the runner expects

    def store_export(self, run: Run, config: None, exports: tuple[Path, ...]) -> None:
        """Each export file pseudonymised into ``01_raw``, recorded as a run of its own."""
        folder = run.data.raw(SOURCE, EXPORTS_STREAM)
        for path in find_export_files(exports):
            table = pseudonymise_cells(read_export(path), run.pseudonymiser())
            write_raw_table(table, folder)
            run.record_file(table.file, bookmark=Bookmark(table.sha256, table.file),
                            records=len(table.rows))  # fmt: skip

    def build(self, run: Run, config: None) -> None:
        """The hours table from the data folder alone (stored exports and time cards)."""
        parts = [
            (t.file, map_cell_table(t))
            for t in read_raw_tables(run.data.raw(SOURCE, EXPORTS_STREAM))
        ]
        remembered = {(s.source, s.stream) for s in run.state.list()}
        if self.servicenow or (SOURCE, TIME_CARD_STREAM) in remembered:
            parts.append((TIME_CARD_STREAM, _time_cards(run)))
        if not parts:
            raise InputError(
                "there are no time-registration data to build from: run "
                "'kitflow extract time --export FILE' (or --rebuild --servicenow after a "
                "ServiceNow extraction of time_card) first."
            )
        frame = pl.concat([t.frame for _, t in parts])
        run.write_table("hours", frame.sort(["date", "source", "source_row"], maintain_order=True),
                        run.data.hours())  # fmt: skip
        run.write_quarantine(pl.concat([t.quarantine for _, t in parts]),
                             run.data.hours_quarantine())  # fmt: skip
        for stream, table in parts:
            run.set_aside(table.quarantine.height, stream=stream)
            for note in table.notes:
                run.note(note)
