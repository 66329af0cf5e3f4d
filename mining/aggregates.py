"""Stored aggregates of a stored log: its directly-follows graph and its variant table.

A process map or a variant table of a whole stored log is the same every time it is asked for,
until the log is imported again. So the first computation is kept twice: in memory (per process,
for the dashboard's repeated requests) and on disk next to the events file
(``events.parquet`` → ``events.dfg.parquet``, ``events.variants.parquet``), so a fresh process (a
CLI call, a notebook kernel, a dashboard worker) reads a few hundred rows instead of scanning
millions of events. The import stores them once (``store_log_aggregates``); a log stored without
them gets them on its first request.

Staleness: each aggregate file carries, in its Parquet metadata, the version of the events file
it was computed from: the events file's size, modification time (ns) and a SHA-256 of its Parquet
footer (row-group statistics, offsets and sizes, which change with any change of content). An
aggregate whose version differs from the events file's current one is ignored and replaced, so
a re-import, a restored backup or a copied file never serves another file's figures. A file that
cannot be read (corrupt, truncated, foreign) is likewise recomputed; a store that cannot be
written (read-only) still gets its answer, just not kept.

Only a bare scan of one stored events file is served from here (``stored_log_version``): a
filtered or derived view, or an in-memory frame, is always computed afresh.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import polars as pl

from models.datafolder import DataFolder, default_database_url, partial_file

AggregateKind = Literal["dfg", "variants"]
AGGREGATE_KINDS: tuple[AggregateKind, ...] = ("dfg", "variants")
VERSION_KEY = "kitflow.events_version"
"""The Parquet metadata key under which an aggregate file names its events file's version."""
AGGREGATE_FORMAT = 1
"""Part of every stored version: raise it when a stored table's columns or their definitions
change, so files written by older code are recomputed instead of served."""
FOOTER_BYTES = 1 << 16
"""How much of the events file's tail is hashed: the Parquet footer of a stored log (a few
kilobytes per row group) and the end of its last data page."""

Compute = Callable[[pl.LazyFrame], pl.DataFrame]


def find_stored_events_file(events: pl.LazyFrame | pl.DataFrame) -> Path | None:
    """The stored events file ``events`` is a bare scan of, or None for anything else (an
    in-memory frame, a filtered or derived view, several files, a file outside a store)."""
    if not isinstance(events, pl.LazyFrame):
        return None
    try:
        found = _BARE_SCAN.fullmatch(events.explain(optimized=False))
    except pl.exceptions.PolarsError:
        return None
    if found is None:
        return None
    path = Path(found["path"]).resolve()
    return path if _is_stored_log_table(path) else None


def _is_stored_log_table(path: Path) -> bool:
    """Only a stored log (``<data>/03_primary/<name>/events.parquet``, by the data folder's own
    rule) gets files written beside it: a scan of the user's own Parquet file, or of a source's
    table, is computed and never leaves files next to it."""
    if len(path.parents) < 3:
        return False
    root = path.parents[2]  # the data folder the file would be a stored log's table of
    return DataFolder(root, default_database_url(root)).is_stored_log_table(path)


# The unoptimised plan of a bare Parquet scan, as polars prints it; anything else (a filter,
# a projection, several files) does not match and is computed afresh.
_BARE_SCAN = re.compile(
    r"Parquet SCAN \[(?P<path>[^\n\[\]]+)\]\nPROJECT \*/\d+ COLUMNS(\nESTIMATED ROWS: \d+)?"
)


def find_events_version(path: Path) -> str | None:
    """The version of an events file: size, modification time (ns) and SHA-256 of its last
    ``FOOTER_BYTES``, with the ``AGGREGATE_FORMAT``; None when the file cannot be read."""
    try:
        with path.open("rb") as stream:
            status = os.fstat(stream.fileno())
            stream.seek(max(0, status.st_size - FOOTER_BYTES))
            tail = stream.read()
    except OSError:
        return None
    digest = hashlib.sha256(tail).hexdigest()
    return f"{status.st_size}:{status.st_mtime_ns}:{digest}:{AGGREGATE_FORMAT}"


def aggregate_path(events_path: Path, kind: AggregateKind) -> Path:
    """Where the aggregate ``kind`` of an events file lies (``events.dfg.parquet``)."""
    return events_path.with_name(f"{events_path.stem}.{kind}.parquet")


def find_or_compute_aggregate(
    events: pl.LazyFrame | pl.DataFrame, kind: AggregateKind, compute: Compute
) -> pl.DataFrame:
    """``compute(events)``, served from memory or from the stored aggregate when ``events`` is
    a bare scan of a stored events file whose aggregate is current.

    A miss computes, keeps the result in memory and stores it atomically for other processes.
    The caller gets its own copy: changing it leaves the kept one alone.
    """
    path = find_stored_events_file(events)
    version = None if path is None else find_events_version(path)
    if path is None or version is None:
        return compute(events.lazy())
    key = (str(path), version, kind)
    kept = _remember(key)
    if kept is None:
        kept = read_aggregate(path, kind, version)
    if kept is None:
        kept = compute(pl.scan_parquet(path))
        # Stored only if the events file did not change while it was read: the figures then
        # belong to ``version`` for certain.
        if find_events_version(path) != version:
            return kept
        write_aggregate(path, kind, version, kept)
    _keep(key, kept)
    return kept.clone()


def read_aggregate(events_path: Path, kind: AggregateKind, version: str) -> pl.DataFrame | None:
    """The stored aggregate if it belongs to ``version`` of the events file; None when it is
    missing, stale or unreadable (the caller then computes it)."""
    target = aggregate_path(events_path, kind)
    try:
        metadata = pl.read_parquet_metadata(target)
        if metadata.get(VERSION_KEY) != version:
            return None
        return pl.read_parquet(target)
    except (OSError, pl.exceptions.PolarsError, ValueError):
        return None  # missing, truncated or not Parquet at all: recomputed, never an error


def write_aggregate(
    events_path: Path, kind: AggregateKind, version: str, table: pl.DataFrame
) -> bool:
    """Store ``table`` as the aggregate ``kind`` of ``version`` of the events file, atomically
    (written beside it under a unique name, then renamed over the old one), so a concurrent
    reader sees the old file or the new one, never half of one. False when the folder cannot be
    written (a read-only store): the figures were computed anyway."""
    target = aggregate_path(events_path, kind)
    partial = partial_file(target)  # a killed writer's is removed at the next start
    try:
        table.write_parquet(partial, metadata={VERSION_KEY: version}, statistics=False)
        partial.replace(target)
    except (OSError, pl.exceptions.PolarsError):
        partial.unlink(missing_ok=True)
        return False
    return True


def clear_aggregate_cache() -> None:
    """Forget the aggregates kept in this process's memory (the stored files stay)."""
    with _kept_lock:
        _kept.clear()


_KEPT_TABLES = 32
_kept: OrderedDict[tuple[str, str, str], pl.DataFrame] = OrderedDict()
_kept_lock = threading.Lock()  # the dashboard serves requests from several threads


def _remember(key: tuple[str, str, str]) -> pl.DataFrame | None:
    with _kept_lock:
        table = _kept.get(key)
        if table is not None:
            _kept.move_to_end(key)
        return table


def _keep(key: tuple[str, str, str], table: pl.DataFrame) -> None:
    with _kept_lock:
        _kept[key] = table
        _kept.move_to_end(key)
        while len(_kept) > _KEPT_TABLES:
            _kept.popitem(last=False)
