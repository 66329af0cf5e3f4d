"""The event-log store: Parquet tables under ``<data>/03_primary/<name>/`` plus the catalog.

A flat log is one table, ``events.parquet``; an object-centric log keeps its OCEL tables
(``events``, ``objects``, ``e2o``, ``o2o``, ``object_changes``). The quarantine of an import lies
next to it as ``quarantine.csv``.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import polars as pl

from models.catalog import Catalog, LogEntry
from models.datafolder import (
    EVENTS_TABLE,
    PRIMARY,
    QUARANTINE_FILE,
    DataFolder,
    default_data_dir,
    default_database_url,
)
from models.errors import InputError, LogNotFoundError
from models.eventlog import check_log_name

__all__ = [
    "EVENTS_TABLE",
    "PRIMARY",
    "QUARANTINE_FILE",
    "LogStore",
    "default_data_dir",
    "default_database_url",
]


class LogStore:
    """Stored event logs: their Parquet tables and their catalog entries, in one data folder
    (``self.data``, the owner of every path) and its database."""

    def __init__(self, data_dir: Path | None = None, database_url: str | None = None) -> None:
        self.data = DataFolder.from_env(data_dir, database_url)
        self.data_dir = self.data.root
        self.catalog = Catalog(self.data.database_url)

    def folder(self, name: str) -> Path:
        """Where the tables of log ``name`` live (a reserved source folder is refused)."""
        return self.data.log_folder(name)

    def save(
        self,
        entry: LogEntry,
        tables: dict[str, pl.DataFrame],
        quarantine: pl.DataFrame,
        *,
        replace: bool = False,
    ) -> LogEntry:
        """Write the tables and the quarantine, then record the entry.

        The tables are written to a temporary folder and moved into place, so a crash never
        leaves a half-written log behind a catalog entry.
        """
        target = self.folder(entry.name)
        if (target.exists() or self.catalog.get(entry.name)) and not replace:
            raise InputError(
                f"a log named {entry.name!r} is stored already: choose another --name, "
                f"or replace it with --replace (or 'kitflow delete {entry.name}' first)."
            )
        staging = target.parent / f".{entry.name}.{uuid.uuid4().hex}.tmp"
        staging.mkdir(parents=True)
        try:
            for table, frame in tables.items():
                frame.write_parquet(staging / f"{table}.parquet", statistics=True)
            if quarantine.height:
                quarantine.write_csv(staging / QUARANTINE_FILE)
            if target.exists():
                _remove_folder(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.catalog.put(entry)
        return entry

    def entry(self, name: str) -> LogEntry:
        """The catalog entry of ``name``; raises with the stored names when there is none."""
        found = self.catalog.get(check_log_name(name))
        if found is None:
            known = ", ".join(e.name for e in self.catalog.list()) or "none yet"
            raise LogNotFoundError(
                f"no stored log is named {name!r} (stored: {known}). "
                "List them with 'kitflow logs' or import one with 'kitflow import'."
            )
        return found

    def table_path(self, name: str, table: str = EVENTS_TABLE) -> Path:
        """The Parquet file of one table of a stored log."""
        self.entry(name)
        path = self.folder(name) / f"{table}.parquet"
        if not path.exists():
            raise LogNotFoundError(
                f"log {name!r} has no table {table!r} at {path}; the store is damaged: "
                f"delete the log and import it again."
            )
        return path

    def scan(self, name: str, table: str | None = None) -> pl.LazyFrame:
        """A lazy scan of a stored log's table; by default its flat event log, sorted as stored."""
        return pl.scan_parquet(self.table_path(name, table or self._flat_events(name)))

    def read(self, name: str, table: str | None = None) -> pl.DataFrame:
        """A stored log's table read whole; by default its flat event log."""
        return pl.read_parquet(self.table_path(name, table or self._flat_events(name)))

    def _flat_events(self, name: str) -> str:
        entry = self.entry(name)
        if entry.kind == "object-centric":
            raise InputError(
                f"{name!r} is an object-centric (OCEL) log: it has no single case notion, which "
                "this view needs. Import the file again flattened on one object type, e.g. "
                f"'kitflow import {entry.source_path} --name {name}-orders --object-type order'."
            )
        return EVENTS_TABLE

    def quarantine_path(self, name: str) -> Path:
        """Where the quarantine of ``name`` lies (it may not exist: nothing was set aside)."""
        return self.folder(name) / QUARANTINE_FILE

    def list(self) -> list[LogEntry]:
        """All stored logs, by name."""
        return self.catalog.list()

    def delete(self, name: str) -> LogEntry:
        """Remove a stored log, its tables and its quarantine."""
        entry = self.entry(name)
        folder = self.folder(name)
        if folder.exists():
            _remove_folder(folder)
        self.catalog.remove(name)
        return entry


def _remove_folder(folder: Path) -> None:
    """Move a log's folder aside under a unique name, then delete it: a reader writing a file
    into it meanwhile (a stored aggregate) can no longer make the removal fail or leave a
    folder behind under the log's name."""
    trash = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.trash"
    folder.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
