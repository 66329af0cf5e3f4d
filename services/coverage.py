"""How far each source's stored data reach: the first and last timestamp of what is stored, so
every page and the report's cover can say it, and an as-of date past the data is noticed.

Read cheaply: one column's minimum and maximum per table through a lazy Parquet scan, never
the tables themselves. What each source's reach is read from:

- ServiceNow: the staged task tables (incident, sc_req_item, sc_task): first ``opened_at``,
  last ``sys_updated_on``; without staged tables the stored logs ``servicenow-incidents`` and
  ``servicenow-orders`` (their events' time);
- Azure DevOps: the staged revisions' ``changed_date``;
- time registration: the registered hours' ``date`` (a day: midnight UTC);
- robots: the transactions' ``start`` (first) and ``end`` (last; ``start`` where no end).

``rows`` counts the rows of the tables read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractors.azure_devops import SOURCE as AZURE_DEVOPS
from models.datafolder import DataFolder
from models.schema import TIMESTAMP
from services.cockpit import SOURCE_NAMES, SourceCoverage
from services.ingestion import INCIDENTS_LOG, ORDERS_LOG

SERVICENOW_TABLES = ("incident", "sc_req_item", "sc_task")


@dataclass(frozen=True)
class _Span:
    """One table's reach: where it is and which columns give its first and last time."""

    path: Path
    first: str
    last: str


def find_source_coverage(data: DataFolder) -> tuple[SourceCoverage, ...]:
    """One SourceCoverage per source of ``SOURCE_NAMES``, in that order."""
    return tuple(_read_reach(source, _SPANS[source](data)) for source in SOURCE_NAMES)


def _servicenow(data: DataFolder) -> list[_Span]:
    staged = [
        _Span(data.staged_table("servicenow", table), "opened_at", "sys_updated_on")
        for table in SERVICENOW_TABLES
    ]
    if any(span.path.exists() for span in staged):
        return staged
    return [
        _Span(data.log_table(name), TIMESTAMP, TIMESTAMP) for name in (INCIDENTS_LOG, ORDERS_LOG)
    ]


def _azure_devops(data: DataFolder) -> list[_Span]:
    return [_Span(data.staged_table(AZURE_DEVOPS, "revisions"), "changed_date", "changed_date")]


def _time_registration(data: DataFolder) -> list[_Span]:
    return [_Span(data.hours(), "date", "date")]


def _robots(data: DataFolder) -> list[_Span]:
    return [_Span(data.robot_transactions(), "start", "end")]


_SPANS: dict[str, Callable[[DataFolder], list[_Span]]] = {
    "servicenow": _servicenow,
    "azure-devops": _azure_devops,
    "time-registration": _time_registration,
    "robots": _robots,
}


def _read_reach(source: str, spans: Sequence[_Span]) -> SourceCoverage:
    """The earliest first, the latest last and the rows over the spans' tables there are."""
    found = [_read_span(span) for span in spans if span.path.exists()]
    firsts = [first for first, _, _ in found if first is not None]
    lasts = [last for _, last, _ in found if last is not None]
    return SourceCoverage(
        source, min(firsts, default=None), max(lasts, default=None), sum(n for *_, n in found)
    )


def _read_span(span: _Span) -> tuple[dt.datetime | None, dt.datetime | None, int]:
    # A missing end (a transaction still running) falls back to its start.
    last = pl.max_horizontal(pl.col(span.last).max(), pl.col(span.first).max())
    row = (
        pl.scan_parquet(span.path)
        .select(pl.col(span.first).min().alias("first"), last.alias("last"), pl.len())
        .collect()
        .row(0)
    )
    return _moment(row[0]), _moment(row[1]), int(row[2])


def _moment(value: object) -> dt.datetime | None:
    """A stored time as a UTC datetime; a day as its midnight UTC."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return None
