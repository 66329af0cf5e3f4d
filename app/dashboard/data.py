"""What the dashboard reads from the store: the one place pages touch it.

The store an app serves is kept in its Flask config by :func:`app.dashboard.create_app`, so that
page layouts (which Dash Pages keeps in a process-wide registry) find the store of the app that
serves the request, and two apps in one process (as in tests) never share one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import flask
import polars as pl

from mining import discover_dfg
from models.datafolder import DataFolder
from models.followup import BINDING_SUFFIX, binding_path_for
from models.schema import ACTIVITY
from models.store import LogStore
from services import FollowUpReport, evaluate_followup, followup_input_files, load_case_inputs

STORE_CONFIG_KEY: Final = "KITFLOW_LOG_STORE"


def current_store() -> LogStore:
    """The store of the app serving the current request."""
    store = flask.current_app.config.get(STORE_CONFIG_KEY)
    if not isinstance(store, LogStore):
        raise RuntimeError("this Flask app has no KIT Flow store: build it with create_app()")
    return store


@dataclass(frozen=True)
class ProcessMapData:
    """What the process map of one log needs: its DFG and its events per activity."""

    dfg: pl.DataFrame
    activity_counts: dict[str, int]


def load_process_map(store: LogStore, name: str) -> ProcessMapData:
    """The DFG and activity counts of stored flat log ``name``.

    Cached per log and import time: moving the arcs slider re-filters a ready DFG instead of
    scanning the log again, and a re-imported log (new ``imported_at``) is read afresh.
    """
    entry = store.entry(name)
    return _load_process_map(store, name, entry.imported_at)


@lru_cache(maxsize=16)
def _load_process_map(store: LogStore, name: str, imported_at: dt.datetime) -> ProcessMapData:
    events = store.scan(name)
    return ProcessMapData(discover_dfg(events), count_activities(events))


def count_activities(events: pl.LazyFrame) -> dict[str, int]:
    """Events per activity of a canonical log.

    A one-line scan; it belongs in ``mining`` once a second caller needs it.
    """
    counts = events.group_by(ACTIVITY).agg(pl.len().alias("events")).collect()
    return {
        str(activity): int(n)
        for activity, n in counts.select(pl.col(ACTIVITY).cast(pl.String), "events").iter_rows()
    }


# -- the benefits page ---------------------------------------------------------------------------

FileVersion = tuple[str, int, int]
"""A file's name, size and modification time in nanoseconds; (name, -1, -1) when missing."""


def list_business_cases(data: DataFolder) -> list[Path]:
    """The case files of the data folder that have a binding file beside them, by name."""
    folder = data.business_cases()
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.yaml")
        if not path.name.endswith(BINDING_SUFFIX) and binding_path_for(path).exists()
    )


def load_followup(data: DataFolder, case: Path, as_of: dt.date) -> FollowUpReport:
    """The follow-up of ``case`` as of ``as_of``: its savings measured and targets checked.

    Cached per version of every file the measuring reads: a rewritten table measures again.
    A folder's own modification time would not do: it changes only when a name in it does.
    """
    version = read_file_versions(followup_input_files(data, case))
    return _load_followup(data, case, as_of, version)


@lru_cache(maxsize=8)
def _load_followup(
    data: DataFolder, case: Path, as_of: dt.date, version: tuple[FileVersion, ...]
) -> FollowUpReport:
    del version  # part of the cache key only
    return evaluate_followup(load_case_inputs(case, data.root), as_of=as_of)


def read_file_versions(paths: Iterable[Path]) -> tuple[FileVersion, ...]:
    """The version of each file: a rewrite changes its size or its modification time."""
    return tuple(_file_version(path) for path in paths)


def _file_version(path: Path) -> FileVersion:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), -1, -1)
    return (str(path), stat.st_size, stat.st_mtime_ns)
