"""Datakilder: each source's streams as ``kitflow sources`` shows them (last run, records,
bookmark), their quarantined records counted per reason, their freshness, and which are stale.

A source fetched over its API (ServiceNow, Azure DevOps) is stale when its last finished run
is older than :data:`FETCHED_STALE_AFTER` (2 days) or its last run failed; a source read from
export files (time registration, robot run exports, saved exports) states the date it was read
and is stale after :data:`EXPORT_STALE_AFTER` (35 days: a monthly export plus a few days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl

from models.datafolder import DataFolder
from models.extraction import StreamStatus

FETCHED_SOURCES: Final = frozenset({"servicenow", "azure-devops"})
FETCHED_STALE_AFTER: Final = dt.timedelta(days=2)
EXPORT_STALE_AFTER: Final = dt.timedelta(days=35)
SourceKind = Literal["fetched", "export"]


@dataclass(frozen=True)
class StreamHealth:
    """One stream of a source: its ``status`` (what ``kitflow sources`` shows), ``kind``, the
    ``age`` of its last finished run (None: never finished) and whether it is ``stale``."""

    status: StreamStatus
    kind: SourceKind
    age: dt.timedelta | None
    stale: bool


@dataclass(frozen=True)
class QuarantineReason:
    """Records of ``source`` set aside for ``reason``: ``records`` of them."""

    source: str
    reason: str
    records: int


@dataclass(frozen=True)
class SourcesReport:
    """Every stream's health (sorted by source and stream) and the quarantine per reason."""

    streams: tuple[StreamHealth, ...]
    reasons: tuple[QuarantineReason, ...]

    @property
    def stale(self) -> tuple[StreamHealth, ...]:
        return tuple(s for s in self.streams if s.stale)


def source_kind(source: str) -> SourceKind:
    """Fetched over an API, or read from export files."""
    return "fetched" if source in FETCHED_SOURCES else "export"


def check_sources(data: DataFolder, *, now: dt.datetime | None = None) -> SourcesReport:
    """The health of every recorded stream and the quarantine reasons of every source."""
    moment = now or dt.datetime.now(dt.UTC)
    with data.extraction_catalog() as catalog:
        states = catalog.list()
    streams = tuple(_health(state, moment) for state in states)
    sources = sorted({s.source for s in states})
    reasons = tuple(r for source in sources for r in _reasons(data, source))
    return SourcesReport(streams, reasons)


def _health(status: StreamStatus, now: dt.datetime) -> StreamHealth:
    kind = source_kind(status.source)
    finished = status.last_run_finished_at
    age = None if finished is None else now - finished
    limit = FETCHED_STALE_AFTER if kind == "fetched" else EXPORT_STALE_AFTER
    failed = status.last_run_status == "failed"
    stale = failed or age is None or age > limit
    return StreamHealth(status, kind, age, stale)


def _quarantine_files(data: DataFolder, source: str) -> list[Path]:
    files = sorted(data.staged(source).glob("*.quarantine.csv"))
    if source == "time-registration":
        files.append(data.hours_quarantine())
    if source == "robots":
        files.append(data.robot_quarantine())
    return [path for path in files if path.exists()]


def _reasons(data: DataFolder, source: str) -> list[QuarantineReason]:
    counts: dict[str, int] = {}
    for path in _quarantine_files(data, source):
        frame = pl.read_csv(path, infer_schema=False, columns=["reason"])
        for reason, records in frame.group_by("reason").len().iter_rows():
            counts[str(reason)] = counts.get(str(reason), 0) + int(records)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [QuarantineReason(source, reason, records) for reason, records in ordered]
