"""Extraction runs and bookmarks, in the same database as the log catalog (``catalog.Base``).

Two tables:

- ``extraction_run``: one row per run of one (source, stream); a run killed or failed is resumed
  by the next start (``resumed`` counts how often), so a run row may span several processes.
- ``stream_state``: one row per (source, stream): the bookmark of the last durably stored page,
  the run that committed it, and the totals (pages and records stored, records quarantined by
  the last staging).

A page's bookmark and counts are committed in one transaction, after the page file is on disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import DateTime, Integer, String, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.catalog import Base, as_utc

_OPEN = ("running", "failed")


class ExtractionRunRow(Base):
    """One run of one stream (table ``extraction_run``)."""

    __tablename__ = "extraction_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    stream: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(2000), default="")


class StreamStateRow(Base):
    """The bookmark and totals of one (source, stream) (table ``stream_state``)."""

    __tablename__ = "stream_state"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    bookmark_value: Mapped[str | None] = mapped_column(String(200))
    bookmark_key: Mapped[str | None] = mapped_column(String(200))
    bookmark_run_id: Mapped[int | None] = mapped_column(Integer)
    pages_stored: Mapped[int] = mapped_column(Integer, default=0)
    records_stored: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BookmarkLike(Protocol):
    """A bookmark: replication value and tie-breaking key (``extractors.base.Bookmark``)."""

    @property
    def value(self) -> str:
        """The replication-key value of the last stored record."""
        ...

    @property
    def key(self) -> str:
        """The primary key of the last stored record."""
        ...


@dataclass(frozen=True)
class StreamStatus:
    """What ``kitflow sources`` shows for one stream: bookmark, totals and its last run."""

    source: str
    stream: str
    bookmark_value: str | None
    bookmark_key: str | None
    bookmark_run_id: int | None
    pages_stored: int
    records_stored: int
    quarantined: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_started_at: dt.datetime | None
    last_run_finished_at: dt.datetime | None
    last_run_pages: int
    last_run_records: int
    last_run_message: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExtractionCatalog:
    """Reads and writes runs and stream states; one short transaction per call."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine)

    def open_run(self, source: str, stream: str) -> tuple[int, StreamStatus]:
        """Resume the stream's unfinished run (running or failed), or start a new one."""
        with Session(self._engine) as session, session.begin():
            state = self._state_row(session, source, stream)
            run = session.get(ExtractionRunRow, state.last_run_id) if state.last_run_id else None
            if run is not None and run.status in _OPEN:
                run.status, run.resumed, run.message = "running", run.resumed + 1, ""
            else:
                run = ExtractionRunRow(
                    source=source, stream=stream, status="running", started_at=_now(),
                    finished_at=None, pages=0, records=0, resumed=0, message="",
                )  # fmt: skip
                session.add(run)
                session.flush()
            state.last_run_id = run.id
            session.flush()
            return run.id, self._status(session, state)

    def commit_page(
        self, run_id: int, *, bookmark: BookmarkLike, records: int, pages: int = 1
    ) -> StreamStatus:
        """Record durably stored pages (one, or the ``pages`` of an export stored together):
        new bookmark, page and record counts."""
        with Session(self._engine) as session, session.begin():
            run = session.get_one(ExtractionRunRow, run_id)
            state = self._state_row(session, run.source, run.stream)
            state.bookmark_value, state.bookmark_key = bookmark.value, bookmark.key
            state.bookmark_run_id = run_id
            state.pages_stored += pages
            state.records_stored += records
            state.updated_at = _now()
            run.pages += pages
            run.records += records
            session.flush()
            return self._status(session, state)

    def close_run(self, run_id: int, *, status: str, message: str = "") -> None:
        """Mark a run ``finished`` or ``failed`` (with the error message)."""
        with Session(self._engine) as session, session.begin():
            run = session.get_one(ExtractionRunRow, run_id)
            run.status, run.message = status, message[:2000]
            run.finished_at = _now()

    def set_quarantined(self, source: str, stream: str, count: int) -> None:
        """Record how many records of the stream the last staging quarantined."""
        with Session(self._engine) as session, session.begin():
            state = self._state_row(session, source, stream)
            state.quarantined = count
            state.updated_at = _now()

    def status(self, source: str, stream: str) -> StreamStatus:
        """The current state of one stream (zeros for a stream never run)."""
        with Session(self._engine) as session, session.begin():
            return self._status(session, self._state_row(session, source, stream))

    def list(self) -> list[StreamStatus]:
        """Every stream ever run, by source and stream."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(StreamStateRow).order_by(StreamStateRow.source, StreamStateRow.stream)
            )
            return [self._status(session, row) for row in rows]

    def dispose(self) -> None:
        """Close the connection pool."""
        self._engine.dispose()

    @staticmethod
    def _state_row(session: Session, source: str, stream: str) -> StreamStateRow:
        row = session.get(StreamStateRow, (source, stream))
        if row is None:
            row = StreamStateRow(
                source=source, stream=stream, bookmark_value=None, bookmark_key=None,
                bookmark_run_id=None, pages_stored=0, records_stored=0, quarantined=0,
                last_run_id=None, updated_at=_now(),
            )  # fmt: skip
            session.add(row)
            session.flush()
        return row

    @staticmethod
    def _status(session: Session, row: StreamStateRow) -> StreamStatus:
        run = session.get(ExtractionRunRow, row.last_run_id) if row.last_run_id else None
        return StreamStatus(
            source=row.source,
            stream=row.stream,
            bookmark_value=row.bookmark_value,
            bookmark_key=row.bookmark_key,
            bookmark_run_id=row.bookmark_run_id,
            pages_stored=row.pages_stored,
            records_stored=row.records_stored,
            quarantined=row.quarantined,
            last_run_id=row.last_run_id,
            last_run_status=run.status if run else None,
            last_run_started_at=as_utc(run.started_at) if run else None,
            last_run_finished_at=as_utc(run.finished_at) if run else None,
            last_run_pages=run.pages if run else 0,
            last_run_records=run.records if run else 0,
            last_run_message=run.message if run else "",
        )
