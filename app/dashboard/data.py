"""What the dashboard reads from the store: the one place pages touch it.

The store an app serves is kept in its Flask config by :func:`app.dashboard.create_app`, so that
page layouts (which Dash Pages keeps in a process-wide registry) find the store of the app that
serves the request, and two apps in one process (as in tests) never share one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import flask
import polars as pl

from mining import discover_dfg
from models.schema import ACTIVITY
from models.store import LogStore

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
