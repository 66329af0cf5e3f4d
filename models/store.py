"""The event-log store: Parquet tables under ``<data>/03_primary/<name>/`` plus the catalog.

A flat log is one table, ``events.parquet``, or for a large log a folder of partitions split by
a stable hash of the case id, ``events/part-0000.parquet`` … (``models.partitions``: each
partition sorted by (case, time, order), one case in one partition); an object-centric log keeps
its OCEL tables
(``events``, ``objects``, ``e2o``, ``o2o``, ``object_changes``). The quarantine of an import lies
next to it as ``quarantine.csv``, and its catalog entry as ``entry.json``.

Writes are safe against a second writer and against a kill (``kill -9`` included):

- One writer per log name: ``save``, ``delete`` and an import's store step hold the log's writer
  lock (``writing``) and only then look whether the name is taken.
- A log is written whole into a hidden ``.<name>.<id>.tmp`` folder, with its catalog entry as
  ``entry.json``; a log it replaces is renamed to ``.<name>.<id>.old``, the new folder is renamed
  into place, the catalog entry is put, and only then is the old folder removed. So the previous
  log stays readable until the new one is complete and in place.
- Every start (each ``LogStore``) and every write makes the folder and the catalog agree again
  (``recover``): a log folder whose ``entry.json`` the catalog lacks, or has older, is registered
  from it; a log missing while its ``.old`` folder is there is put back; a ``.trash`` folder's log
  is forgotten; every hidden ``.tmp``/``.old``/``.trash`` folder and partial aggregate file a
  killed run left is removed (they may hold personal data).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import polars as pl

from models.catalog import Catalog, LogEntry
from models.datafolder import (
    EVENTS_TABLE,
    LOG_ENTRY_FILE,
    PRIMARY,
    QUARANTINE_FILE,
    DataFolder,
    LockTimeoutError,
    LogAside,
    check_new_log_name,
    default_data_dir,
    default_database_url,
    is_partial_file,
)
from models.errors import InputError, LogNotFoundError
from models.partitions import find_partition_files, write_partitions
from models.spreadsheet import write_spreadsheet_csv

__all__ = [
    "EVENTS_TABLE",
    "PRIMARY",
    "QUARANTINE_FILE",
    "TEST_HOOK_ENV",
    "LogStore",
    "default_data_dir",
    "default_database_url",
    "read_entry_file",
]


class LogStore:
    """Stored event logs: their Parquet tables and their catalog entries, in one data folder
    (``self.data``, the owner of every path) and its database."""

    def __init__(self, data_dir: Path | None = None, database_url: str | None = None) -> None:
        self.data = DataFolder.from_env(data_dir, database_url)
        self.data_dir = self.data.root
        self.catalog = Catalog(self.data.database_url)
        self.recover()

    def folder(self, name: str) -> Path:
        """Where the tables of log ``name`` live (a reserved source folder is refused)."""
        return self.data.log_folder(name)

    @contextlib.contextmanager
    def writing(self, name: str) -> Iterator[None]:
        """Be the one writer of log ``name`` while inside: a second writer (another process or
        thread) waits up to ``KITFLOW_LOCK_TIMEOUT_S``, then stops naming this one. The same
        thread may enter again (an import's store step around its ``save``)."""
        check_new_log_name(name)
        reach("locking")
        with self.data.writer_lock("log", name):
            yield

    def save(
        self,
        entry: LogEntry,
        tables: Mapping[str, pl.DataFrame | Path],
        quarantine: pl.DataFrame,
        *,
        replace: bool = False,
        partitions: int | None = None,
    ) -> LogEntry:
        """Write the tables, the quarantine and the entry, as the one writer of ``entry.name``;
        with ``partitions``, the events table as that many partitions (``models.partitions``).
        A table given as a path (a file, or a folder of partitions, in this data folder) is
        written already and is moved in.

        The new log is written whole to a hidden folder and renamed into place; a log it replaces
        stays readable until then and is removed only once the catalog names the new one. A
        killed save leaves the previous log or the new one, never a mix (see ``recover``).
        """
        target = self.folder(entry.name)
        with self.writing(entry.name):
            self._recover_log(entry.name)
            # Looked at under the lock: a writer that finished while we waited is seen.
            if self.catalog.get(entry.name) is not None and not replace:
                raise InputError(
                    f"a log named {entry.name!r} is stored already: choose another --name, "
                    f"or replace it with --replace (or 'kitflow delete {entry.name}' first)."
                )
            staging = self.data.log_aside(entry.name, "tmp")
            try:
                _write_log_folder(staging, entry, tables, quarantine, partitions)
                reach("staged")
                previous = self._put_in_place(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            self.catalog.put(entry)
            reach("registered")
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
        return entry

    def _put_in_place(self, staging: Path, target: Path) -> Path | None:
        """Rename ``staging`` to ``target``; a log already there goes aside first (returned, to
        be removed once the catalog names the new one)."""
        previous = None
        if target.exists():
            previous = self.data.log_aside(target.name, "old")
            target.rename(previous)
            reach("moved-old")
        try:
            staging.rename(target)
        except BaseException:  # Ctrl-C too: the previous log goes back at once
            if previous is not None:
                previous.rename(target)
            raise
        reach("placed")
        return previous

    def entry(self, name: str) -> LogEntry:
        """The catalog entry of ``name``; raises with the stored names when there is none."""
        found = self.catalog.get(check_new_log_name(name))
        if found is None:
            known = ", ".join(e.name for e in self.catalog.list()) or "none yet"
            raise LogNotFoundError(
                f"no stored log is named {name!r} (stored: {known}). "
                "List them with 'kitflow logs' or import one with 'kitflow import'."
            )
        return found

    def table_path(self, name: str, table: str = EVENTS_TABLE) -> Path:
        """The Parquet file of one table of a stored log (a partitioned table has several:
        ``table_paths``)."""
        self.entry(name)
        if table == EVENTS_TABLE and self.partition_paths(name) is not None:
            raise InputError(
                f"log {name!r} is stored in partitions: read its files with "
                "LogStore.table_paths or scan it with LogStore.scan."
            )
        path = self.folder(name) / f"{table}.parquet"
        if not path.exists():
            raise LogNotFoundError(
                f"log {name!r} has no table {table!r} at {path}; the store is damaged: "
                f"delete the log and import it again."
            )
        return path

    def partition_paths(self, name: str) -> list[Path] | None:
        """The partition files of log ``name``'s events in partition order; None when the log
        is one file (every log but a partitioned one)."""
        return find_partition_files(self.folder(name) / EVENTS_TABLE)

    def table_paths(self, name: str, table: str = EVENTS_TABLE) -> list[Path]:
        """The Parquet files of one table: its partitions in order, or its one file."""
        if table == EVENTS_TABLE:
            self.entry(name)
            parts = self.partition_paths(name)
            if parts is not None:
                return parts
        return [self.table_path(name, table)]

    def scan(self, name: str, table: str | None = None) -> pl.LazyFrame:
        """A lazy scan of a stored log's table; by default its flat event log, sorted as stored
        (a partitioned log: its partitions one after the other, each sorted by case)."""
        paths = self.table_paths(name, table or self._flat_events(name))
        return pl.scan_parquet(paths[0] if len(paths) == 1 else paths)

    def read(self, name: str, table: str | None = None) -> pl.DataFrame:
        """A stored log's table read whole; by default its flat event log."""
        return self.scan(name, table).collect()

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
        """Remove a stored log, its tables and its quarantine, as the one writer of ``name``.

        The folder is renamed aside before the catalog entry goes and removed after it, so a
        reader writing an aggregate into it meanwhile cannot make the removal fail, and a killed
        delete is finished at the next start.
        """
        folder = self.folder(name)
        with self.writing(name):
            self._recover_log(name)
            entry = self.entry(name)
            trash = self.data.log_aside(name, "trash")
            if folder.exists():
                folder.rename(trash)
                reach("trashed")
            self.catalog.remove(name)
            shutil.rmtree(trash, ignore_errors=True)
        return entry

    # -- after a killed write ------------------------------------------------------------------

    def recover(self) -> None:
        """Make the data folder and the catalog agree again after killed writes, and remove
        what those left. Cheap when nothing was killed: a listing of ``03_primary`` and of each
        log's folder, and one catalog query. A log whose writer is at work now is left to it."""
        self.data.remove_stale_spills()
        for name in self._names_to_recover():
            try:
                with self.data.writer_lock("log", name, timeout_s=0):
                    self._recover_log(name)
            except (LockTimeoutError, InputError, OSError):
                # A writer at work (it finishes its own), a folder that is no log's name, or a
                # store we may only read: reading still works, and the next write here recovers.
                continue

    def _names_to_recover(self) -> set[str]:
        names = {aside.name for aside in self.data.find_log_asides()}
        entries = {entry.name: entry for entry in self.catalog.list()}
        for folder in self.data.find_log_folders():
            written = read_entry_file(folder)
            unregistered = written is not None and written != entries.get(folder.name)
            if unregistered or any(is_partial_file(path) for path in folder.iterdir()):
                names.add(folder.name)
        return names

    def _recover_log(self, name: str) -> None:
        """Under ``name``'s writer lock: finish or undo what a killed writer of ``name`` left."""
        target = self.folder(name)
        asides = [aside for aside in self.data.find_log_asides() if aside.name == name]
        if not target.exists():
            self._restore_or_forget(name, asides)
        for aside in asides:
            shutil.rmtree(aside.path, ignore_errors=True)
        if not target.is_dir():
            return
        written = read_entry_file(target)
        # The folder is what was written last: its entry is the true one.
        if written is not None and written != self.catalog.get(name):
            self.catalog.put(written)
        for path in target.iterdir():
            if is_partial_file(path):
                path.unlink(missing_ok=True)

    def _restore_or_forget(self, name: str, asides: Sequence[LogAside]) -> None:
        """Log ``name`` has no folder: a replacement killed before the new log was in place puts
        the previous one back; a delete killed after moving the folder aside is finished."""
        previous = [aside.path for aside in asides if aside.role == "old"]
        if previous:
            max(previous, key=lambda path: path.stat().st_mtime_ns).rename(self.folder(name))
        elif any(aside.role == "trash" for aside in asides):
            self.catalog.remove(name)


_ENTRY_TIMES = ("first_event", "last_event", "imported_at")


def _write_log_folder(
    folder: Path,
    entry: LogEntry,
    tables: Mapping[str, pl.DataFrame | Path],
    quarantine: pl.DataFrame,
    partitions: int | None = None,
) -> None:
    folder.mkdir(parents=True)
    for table, frame in tables.items():
        if isinstance(frame, Path):
            # Written already (a large import's sorted pieces), in the data folder: moved in.
            frame.rename(folder / (table if frame.is_dir() else f"{table}.parquet"))
        elif partitions is not None and table == EVENTS_TABLE:
            write_partitions(frame, folder / EVENTS_TABLE, partitions)
        else:
            frame.write_parquet(folder / f"{table}.parquet", statistics=True)
    if quarantine.height:
        write_spreadsheet_csv(quarantine, folder / QUARANTINE_FILE)
    fields = dataclasses.asdict(entry)
    for key in _ENTRY_TIMES:
        fields[key] = None if fields[key] is None else fields[key].isoformat()
    (folder / LOG_ENTRY_FILE).write_text(json.dumps(fields, indent=2), "utf-8")


def read_entry_file(folder: Path) -> LogEntry | None:
    """The catalog entry written inside a log's folder; None when there is none (a log stored
    before entries were written there) or it is not the entry of a log of this folder's name."""
    try:
        fields = json.loads((folder / LOG_ENTRY_FILE).read_text("utf-8"))
        for key in _ENTRY_TIMES:
            fields[key] = None if fields[key] is None else dt.datetime.fromisoformat(fields[key])
        entry = LogEntry(**fields)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return entry if entry.name == folder.name else None


TEST_HOOK_ENV = "KITFLOW_TEST_HOOK"


def reach(point: str) -> None:
    """A step of a log write where the crash and concurrency tests act on this process; does
    nothing unless ``KITFLOW_TEST_HOOK`` names ``point``: ``<point>:kill`` kills the process
    there as ``kill -9`` would; ``<point>:wait:<file>`` creates ``<file>.reached`` and waits
    until ``<file>`` exists; ``<point>:mark:<file>`` creates ``<file>`` and goes on.

    Points: ``locking`` (before taking a log's lock), ``staged`` (new tables written aside),
    ``moved-old`` (the replaced log aside), ``placed`` (the new log in place, not yet in the
    catalog), ``registered`` (in the catalog, the replaced log not yet removed), ``trashed`` (a
    deleted log's folder aside, still in the catalog)."""
    where, _, action = os.environ.get(TEST_HOOK_ENV, "").partition(":")
    if where != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("wait:"):
        release = Path(action.removeprefix("wait:"))
        Path(f"{release}.reached").touch()
        while not release.exists():
            time.sleep(0.02)
    elif action.startswith("mark:"):
        Path(action.removeprefix("mark:")).touch()
