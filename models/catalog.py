"""The catalog of stored logs and trained models' cards, in a relational database through
SQLAlchemy 2.0.

SQLite file under the data folder by default; any URL through ``KITFLOW_DATABASE_URL``
(``postgresql+psycopg2://user:pw@host/db`` for PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import DateTime, Integer, String, Text, create_engine, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

LogKind = Literal["flat", "object-centric"]


class Base(DeclarativeBase):
    """Declarative base of KIT Flow's tables."""


class StoredLogRow(Base):
    """One stored event log (table ``event_log``)."""

    __tablename__ = "event_log"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_path: Mapped[str] = mapped_column(String(1000))
    source_format: Mapped[str] = mapped_column(String(20))
    cases: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    activities: Mapped[int] = mapped_column(Integer)
    variants: Mapped[int] = mapped_column(Integer)
    objects: Mapped[int | None] = mapped_column(Integer, nullable=True)
    object_types: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quarantined: Mapped[int] = mapped_column(Integer)
    first_event: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_event: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    schema_version: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ModelCardRow(Base):
    """One trained model version's card (table ``trained_model``): the card itself is JSON text,
    so a new field never needs a migration; name, version, task and time are columns to list by."""

    __tablename__ = "trained_model"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(200))
    trained_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    card: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class ModelCardEntry:
    """What the catalog knows of one trained model version; ``card`` is the card's JSON text."""

    name: str
    version: int
    task: str
    trained_at: dt.datetime
    card: str


@dataclass(frozen=True)
class LogEntry:
    """What the catalog knows of one stored log. Times are UTC."""

    name: str
    kind: LogKind
    source_path: str
    source_format: str
    cases: int
    events: int
    activities: int
    variants: int
    quarantined: int
    first_event: dt.datetime | None
    last_event: dt.datetime | None
    schema_version: int
    imported_at: dt.datetime
    objects: int | None = None
    object_types: int | None = None


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime read from the database, as UTC (SQLite hands back naive ones; all we store
    is UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _entry(row: StoredLogRow) -> LogEntry:
    imported_at = as_utc(row.imported_at)
    assert imported_at is not None
    kind: LogKind = "object-centric" if row.kind == "object-centric" else "flat"
    return LogEntry(
        name=row.name,
        kind=kind,
        source_path=row.source_path,
        source_format=row.source_format,
        cases=row.cases,
        events=row.events,
        activities=row.activities,
        variants=row.variants,
        quarantined=row.quarantined,
        first_event=as_utc(row.first_event),
        last_event=as_utc(row.last_event),
        schema_version=row.schema_version,
        imported_at=imported_at,
        objects=row.objects,
        object_types=row.object_types,
    )


def _card_entry(row: ModelCardRow) -> ModelCardEntry:
    trained_at = as_utc(row.trained_at)
    assert trained_at is not None
    return ModelCardEntry(row.name, row.version, row.task, trained_at, row.card)


class Catalog:
    """Reads and writes catalog entries."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine)

    def put(self, entry: LogEntry) -> None:
        """Insert or replace the entry of ``entry.name``."""
        with Session(self._engine) as session, session.begin():
            session.merge(StoredLogRow(**entry.__dict__))

    def get(self, name: str) -> LogEntry | None:
        """The entry named ``name``, or None."""
        with Session(self._engine) as session:
            row = session.get(StoredLogRow, name)
            return _entry(row) if row is not None else None

    def put_model_card(self, entry: ModelCardEntry) -> None:
        """Insert or replace the card of ``entry.name`` version ``entry.version``."""
        with Session(self._engine) as session, session.begin():
            session.merge(ModelCardRow(**entry.__dict__))

    def model_cards(self) -> list[ModelCardEntry]:
        """Every trained model version's card, by name and version."""
        with Session(self._engine) as session:
            order = (ModelCardRow.name, ModelCardRow.version)
            rows = session.scalars(select(ModelCardRow).order_by(*order))
            return [_card_entry(r) for r in rows]

    def list(self) -> list[LogEntry]:
        """All entries, by name."""
        with Session(self._engine) as session:
            rows = session.scalars(select(StoredLogRow).order_by(StoredLogRow.name))
            return [_entry(r) for r in rows]

    def remove(self, name: str) -> None:
        """Forget the entry named ``name``."""
        with Session(self._engine) as session, session.begin():
            session.execute(delete(StoredLogRow).where(StoredLogRow.name == name))

    def dispose(self) -> None:
        """Close the connection pool."""
        self._engine.dispose()
