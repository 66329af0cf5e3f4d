"""The one owner of the data folder: every path of every layer, the reserved names, the
catalogs and the writers' locks.

Layout (``<data>`` is ``KITFLOW_DATA_DIR`` or ``./data``)::

    <data>/01_raw/<source>/<stream>/page-NNNNNNN.json     exactly what came (people pseudonymised)
    <data>/02_intermediate/<source>/<table>.parquet       staged (typed) tables, quarantine beside
    <data>/03_primary/<log>/events.parquet                a stored event log (+ aggregates)
    <data>/03_primary/<log>/entry.json                    its catalog entry, written with it
    <data>/03_primary/.<log>.<id>.tmp|old|trash           a write in progress (``log_aside``)
    <data>/03_primary/<source table folder>/...           robots, time-registration, landscape-links
    <data>/07_model_output/conformance/                   cached conformance results
    <data>/landscape/manifest.json                        the simulated landscape's planted effects
    <data>/business_cases/<case>.yaml                     investment cases and their bindings
    <data>/candidates/criticality.json                    the analysts' criticality per process
    <data>/.locks/<kind>-<name>.lock                      one writer per log name / per source
    <data>/.spill/<id>/ (+ <id>.lock)                     a large import's sorted pieces, meanwhile
    <data>/kitflow.db                                     catalogs (SQLite by default)

No other module builds a path under ``<data>`` by hand. A log cannot take the name of a folder
that holds a source's tables in ``03_primary`` (``RESERVED_LOG_NAMES``): its quarantine file
would overwrite theirs and deleting it would remove them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, cast

from models.catalog import Catalog
from models.errors import InputError, KitflowError
from models.eventlog import check_log_name
from models.extraction import ExtractionCatalog

RAW = "01_raw"
INTERMEDIATE = "02_intermediate"
PRIMARY = "03_primary"
MODEL_OUTPUT = "07_model_output"
LANDSCAPE = "landscape"
BUSINESS_CASES = "business_cases"
LOCKS = ".locks"
SPILL = ".spill"
EVENTS_TABLE = "events"
QUARANTINE_FILE = "quarantine.csv"
LOG_ENTRY_FILE = "entry.json"

ROBOTS = "robots"
TIME_REGISTRATION = "time-registration"
LANDSCAPE_LINKS = "landscape-links"
PRIMARY_SOURCE_FOLDERS = (ROBOTS, TIME_REGISTRATION, LANDSCAPE_LINKS)
"""Folders of ``03_primary`` that hold a source's tables, not a log."""
RESERVED_LOG_NAMES = frozenset(PRIMARY_SOURCE_FOLDERS)

LOCK_TIMEOUT_ENV = "KITFLOW_LOCK_TIMEOUT_S"
DEFAULT_LOCK_TIMEOUT_S = 60.0
LockKind = Literal["log", "source"]
AsideRole = Literal["tmp", "old", "trash"]


class LockTimeoutError(KitflowError):
    """Another process held a writer's lock for longer than we may wait."""


def default_data_dir() -> Path:
    """``KITFLOW_DATA_DIR`` or ``./data``, resolved."""
    return Path(os.environ.get("KITFLOW_DATA_DIR", "data")).resolve()


def default_database_url(data_dir: Path) -> str:
    """``KITFLOW_DATABASE_URL`` or a SQLite file in the data folder."""
    return os.environ.get("KITFLOW_DATABASE_URL") or f"sqlite:///{data_dir / 'kitflow.db'}"


def check_new_log_name(name: str) -> str:
    """``name`` if a log may be stored under it: a valid name that is not a source's folder."""
    check_log_name(name)
    if name in RESERVED_LOG_NAMES:
        raise InputError(
            f"the log name {name!r} is reserved: the folders "
            f"{', '.join(sorted(RESERVED_LOG_NAMES))} of 03_primary hold the sources' tables. "
            f"Choose another --name (for example {name}-log)."
        )
    return name


@dataclass(frozen=True)
class DataFolder:
    """The data folder and its database. Build it once per command or page request and pass
    it down; ``DataFolder.from_env()`` reads ``KITFLOW_DATA_DIR`` and ``KITFLOW_DATABASE_URL``."""

    root: Path
    database_url: str

    @classmethod
    def from_env(cls, root: Path | None = None, database_url: str | None = None) -> DataFolder:
        """The folder at ``root`` (default ``KITFLOW_DATA_DIR`` or ``./data``), created if
        missing, with ``database_url`` (default ``KITFLOW_DATABASE_URL`` or SQLite inside)."""
        folder = (root or default_data_dir()).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder, database_url or default_database_url(folder))

    # -- layers ---------------------------------------------------------------------------------

    def raw(self, source: str, stream: str | None = None) -> Path:
        """``01_raw/<source>[/<stream>]``: the stored pages of a source or one stream."""
        folder = self.root / RAW / source
        return folder if stream is None else folder / stream

    def staged(self, source: str) -> Path:
        """``02_intermediate/<source>``: the staged tables of a source."""
        return self.root / INTERMEDIATE / source

    def staged_table(self, source: str, table: str) -> Path:
        """``02_intermediate/<source>/<table>.parquet``."""
        return self.staged(source) / f"{table}.parquet"

    def staged_quarantine(self, source: str, table: str) -> Path:
        """``02_intermediate/<source>/<table>.quarantine.csv``."""
        return self.staged(source) / f"{table}.quarantine.csv"

    def intermediate(self) -> Path:
        """``02_intermediate``: every source's staged tables."""
        return self.root / INTERMEDIATE

    def primary(self) -> Path:
        """``03_primary``: stored logs and the sources' primary tables."""
        return self.root / PRIMARY

    def log_folder(self, name: str) -> Path:
        """``03_primary/<name>``: where the tables of log ``name`` live."""
        return self.primary() / check_new_log_name(name)

    def log_table(self, name: str, table: str = EVENTS_TABLE) -> Path:
        """``03_primary/<name>/<table>.parquet``."""
        return self.log_folder(name) / f"{table}.parquet"

    def log_quarantine(self, name: str) -> Path:
        """``03_primary/<name>/quarantine.csv``."""
        return self.log_folder(name) / QUARANTINE_FILE

    def is_stored_log_table(self, path: Path) -> bool:
        """True for ``03_primary/<log>/events.parquet`` of this folder (aggregates may be
        written beside it; never beside a user's own file or a source's table)."""
        parent = path.resolve().parent
        return (
            path.name == f"{EVENTS_TABLE}.parquet"
            and parent.parent == self.primary().resolve()
            and parent.name not in RESERVED_LOG_NAMES
        )

    # -- a log's writes and what a killed one leaves ------------------------------------------

    def log_entry_file(self, name: str) -> Path:
        """``03_primary/<name>/entry.json``: the log's catalog entry, written with its tables, so
        the folder and the catalog can be made to agree again after a killed write."""
        return self.log_folder(name) / LOG_ENTRY_FILE

    def log_aside(self, name: str, role: AsideRole) -> Path:
        """``03_primary/.<name>.<id>.<role>``: a unique hidden folder beside log ``name`` for a
        write in progress: ``tmp`` holds the new tables being written, ``old`` the previous log
        while its replacement is put in place, ``trash`` a deleted log being removed."""
        return self.primary() / f".{check_new_log_name(name)}.{uuid.uuid4().hex}.{role}"

    def find_log_asides(self) -> list[LogAside]:
        """The hidden folders of ``03_primary`` made by ``log_aside`` (writes in progress, or
        left by killed ones), by path."""
        found = []
        for path in _children(self.primary()):
            match = _ASIDE.fullmatch(path.name)
            if match is not None:
                found.append(LogAside(path, match["name"], cast(AsideRole, match["role"])))
        return found

    def find_log_folders(self) -> list[Path]:
        """The folders of ``03_primary`` that hold a log: not hidden, not a source's, by name."""
        return [
            path
            for path in _children(self.primary())
            if path.is_dir() and not path.name.startswith(".")
            if path.name not in RESERVED_LOG_NAMES
        ]

    def robots_folder(self) -> Path:
        """``03_primary/robots``: runs, transactions and their quarantine."""
        return self.primary() / ROBOTS

    def robot_runs(self) -> Path:
        """``03_primary/robots/runs.parquet``."""
        return self.robots_folder() / "runs.parquet"

    def robot_transactions(self) -> Path:
        """``03_primary/robots/transactions.parquet``."""
        return self.robots_folder() / "transactions.parquet"

    def robot_quarantine(self) -> Path:
        """``03_primary/robots/quarantine.csv``: robot records set aside, with the reason."""
        return self.robots_folder() / QUARANTINE_FILE

    def hours(self) -> Path:
        """``03_primary/time-registration/hours.parquet``."""
        return self.primary() / TIME_REGISTRATION / "hours.parquet"

    def hours_quarantine(self) -> Path:
        """``03_primary/time-registration/hours.quarantine.csv``."""
        return self.hours().with_name("hours.quarantine.csv")

    def links_folder(self) -> Path:
        """``03_primary/landscape-links``: order links, dangling links, unlinked items."""
        return self.primary() / LANDSCAPE_LINKS

    def order_links(self) -> Path:
        """``03_primary/landscape-links/order_links.parquet``."""
        return self.links_folder() / "order_links.parquet"

    def dangling_links(self) -> Path:
        """``03_primary/landscape-links/dangling_links.csv``: links that point at nothing."""
        return self.links_folder() / "dangling_links.csv"

    def unlinked_items(self) -> Path:
        """``03_primary/landscape-links/unlinked_items.parquet``: items without a link."""
        return self.links_folder() / "unlinked_items.parquet"

    def conformance_cache(self) -> Path:
        """``07_model_output/conformance``."""
        return self.root / MODEL_OUTPUT / "conformance"

    def model_store(self) -> Path:
        """``07_model_output/models``: trained models, ``<name>/<version>/`` with a card."""
        return self.root / MODEL_OUTPUT / "models"

    def manifest(self) -> Path:
        """``landscape/manifest.json``: the simulated landscape's planted effects."""
        return self.root / LANDSCAPE / "manifest.json"

    def business_cases(self) -> Path:
        """``business_cases``: investment cases and their binding files."""
        return self.root / BUSINESS_CASES

    def candidate_criticality(self) -> Path:
        """``candidates/criticality.json``: the criticality weight an analyst set per process."""
        return self.root / "candidates" / "criticality.json"

    def contains(self, path: Path) -> bool:
        """True when ``path`` lies inside the data folder (links resolved)."""
        return path.resolve().is_relative_to(self.root.resolve())

    # -- catalogs -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def log_catalog(self) -> Iterator[Catalog]:
        """The catalog of stored logs, its connections closed on exit."""
        catalog = Catalog(self.database_url)
        try:
            yield catalog
        finally:
            catalog.dispose()

    @contextlib.contextmanager
    def extraction_catalog(self) -> Iterator[ExtractionCatalog]:
        """Extraction runs and bookmarks (same database as the logs), closed on exit."""
        catalog = ExtractionCatalog(self.database_url)
        try:
            yield catalog
        finally:
            catalog.dispose()

    # -- writers' locks -------------------------------------------------------------------------

    @contextlib.contextmanager
    def spill_folder(self) -> Iterator[Path]:
        """A new empty folder ``.spill/<id>/`` for a large import's intermediate files (people
        already pseudonymised), removed when the context ends. It lies in the data folder, so
        its files can be renamed into a log's folder, and it is held by a file lock while in use,
        so ``remove_stale_spills`` removes only what a killed import left."""
        root = self.root / SPILL
        root.mkdir(parents=True, exist_ok=True)
        while True:
            folder = root / uuid.uuid4().hex
            lock = root / f"{folder.name}.lock"
            with lock.open("a+", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                # Between creating the lock file and locking it, another process's
                # remove_stale_spills may have found it free and deleted it: then our lock
                # guards nothing, and a folder made now would look stale. Take a new one.
                if not _same_file(handle, lock):
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    continue
                folder.mkdir()
                try:
                    yield folder
                finally:
                    shutil.rmtree(folder, ignore_errors=True)
                    lock.unlink(missing_ok=True)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                return

    def remove_stale_spills(self) -> None:
        """Remove the spill folders of imports that were killed (their lock is free)."""
        for lock in sorted((self.root / SPILL).glob("*.lock")):
            try:
                with lock.open("a+", encoding="utf-8") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    shutil.rmtree(lock.with_suffix(""), ignore_errors=True)
                    lock.unlink(missing_ok=True)
                    fcntl.flock(handle, fcntl.LOCK_UN)
            except (BlockingIOError, OSError):
                continue  # in use by a running import, or a store we may only read
        for folder in _children(self.root / SPILL):
            if folder.is_dir() and not folder.with_suffix(".lock").exists():
                shutil.rmtree(folder, ignore_errors=True)

    def lock_path(self, kind: LockKind, name: str) -> Path:
        """``.locks/<kind>-<name>.lock``."""
        return self.root / LOCKS / f"{kind}-{name}.lock"

    @contextlib.contextmanager
    def writer_lock(
        self, kind: LockKind, name: str, *, timeout_s: float | None = None
    ) -> Iterator[None]:
        """Hold the one writer's lock of log or source ``name``; a second writer waits up to
        ``timeout_s`` (default ``KITFLOW_LOCK_TIMEOUT_S`` or 60 s), then stops with a message
        naming the holder. The lock is an OS file lock: a killed holder releases it at once."""
        path = self.lock_path(kind, name)
        held = _locks_held_here()
        if path in held:
            # This thread holds it already (an import's store step around its save): a second
            # file lock on the same file would wait for ourselves.
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        wait_s = _lock_timeout(timeout_s)
        with path.open("a+", encoding="utf-8") as handle:
            _acquire(handle, path, kind=kind, name=name, wait_s=wait_s)
            held.add(path)
            try:
                handle.seek(0)
                handle.truncate()
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                handle.write(f"pid {os.getpid()} since {stamp}\n")
                handle.flush()
                yield
            finally:
                held.discard(path)
                fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class LogAside:
    """A hidden folder beside log ``name`` (``DataFolder.log_aside``)."""

    path: Path
    name: str
    role: AsideRole


_ASIDE = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{32}\.(?P<role>tmp|old|trash)")
_PARTIAL_FILE = re.compile(r"\..+\.[0-9a-f]{32}\.tmp")


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except FileNotFoundError:
        return []


def partial_file(target: Path) -> Path:
    """A unique hidden name beside ``target`` to write it under before renaming it over
    ``target`` (a reader sees the old file or the new one, never half of one). A killed
    writer's partial file is removed at the next start (``is_partial_file``)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def is_partial_file(path: Path) -> bool:
    """True for a name ``partial_file`` makes."""
    return _PARTIAL_FILE.fullmatch(path.name) is not None


_held_here = threading.local()


def _locks_held_here() -> set[Path]:
    """The writers' locks this thread holds (so holding one twice is no deadlock)."""
    if not hasattr(_held_here, "paths"):
        _held_here.paths = set()
    paths: set[Path] = _held_here.paths
    return paths


def _lock_timeout(timeout_s: float | None) -> float:
    if timeout_s is not None:
        return timeout_s
    text = os.environ.get(LOCK_TIMEOUT_ENV)
    if not text:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        return float(text)
    except ValueError as error:
        raise InputError(
            f"{LOCK_TIMEOUT_ENV}={text!r} is not a number of seconds: set it to e.g. 60."
        ) from error


def _acquire(handle: IO[str], path: Path, *, kind: LockKind, name: str, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = path.read_text("utf-8").strip() or "another process"
                raise LockTimeoutError(
                    f"another kitflow process ({holder}) is writing {kind} {name!r}; waited "
                    f"{wait_s:g} s for it. Run the command again when that one has finished "
                    f"(or raise {LOCK_TIMEOUT_ENV} to wait longer)."
                ) from None
            time.sleep(0.05)


def _same_file(handle: IO[str], path: Path) -> bool:
    """Whether the open ``handle`` is still the file at ``path`` (not unlinked or replaced)."""
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False
