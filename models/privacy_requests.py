"""The record of every privacy command (lookup, erase, retention, key rotation): an append-only
table ``privacy_request`` in the catalog database (``catalog.Base``).

It holds when, who (the OS user), what was done, the stated reason and the pseudonyms of the
identifiers concerned, never the identifiers in clear. Nothing here updates or deletes a row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.catalog import Base, as_utc


class PrivacyRequestRow(Base):
    """One privacy command run: a row is only ever added."""

    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(2000))
    pseudonyms: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(2000), default="")


@dataclass(frozen=True)
class PrivacyRequest:
    """A recorded privacy command."""

    at: dt.datetime
    who: str
    action: str
    reason: str
    pseudonyms: tuple[str, ...]
    summary: str


class PrivacyRequestLog:
    """Append and read the ``privacy_request`` table."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine)

    def append(self, request: PrivacyRequest) -> None:
        """Add one row."""
        row = PrivacyRequestRow(
            at=request.at,
            who=request.who,
            action=request.action,
            reason=request.reason,
            pseudonyms=json.dumps(list(request.pseudonyms)),
            summary=request.summary[:2000],
        )
        with Session(self._engine) as session, session.begin():
            session.add(row)

    def list(self) -> list[PrivacyRequest]:
        """Every recorded command, oldest first."""
        with Session(self._engine) as session:
            rows = session.scalars(select(PrivacyRequestRow).order_by(PrivacyRequestRow.id))
            return [_request(row) for row in rows]

    def dispose(self) -> None:
        """Close the connections."""
        self._engine.dispose()


def _request(row: PrivacyRequestRow) -> PrivacyRequest:
    return PrivacyRequest(
        at=as_utc(row.at) or row.at,
        who=row.who,
        action=row.action,
        reason=row.reason,
        pseudonyms=tuple(json.loads(row.pseudonyms)),
        summary=row.summary,
    )
