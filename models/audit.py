"""The audit trail (table ``audit_entry``, in the catalog database): append-only.

Who logged in or failed to, who viewed the benefits and analysis pages, every export and report,
every change to the users. The product only appends and reads: :class:`AuditTrail` has no update
or delete, and on SQLite triggers refuse an UPDATE or DELETE of the table from any other path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import DateTime, Integer, String, create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.catalog import Base, as_utc

_DETAIL_MAX: Final = 2000
_TRIGGERS: Final = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)


class AuditRow(Base):
    """One audit entry (table ``audit_entry``)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(_DETAIL_MAX))


@dataclass(frozen=True)
class AuditEntry:
    """One thing that happened: ``actor`` did ``action`` on ``target`` (UTC time)."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    outcome: str
    address: str
    detail: str


class AuditTrail:
    """Append and read the audit trail in the database at ``database_url``."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine, tables=[AuditRow.__table__])  # type: ignore[list-item]
        if self._engine.dialect.name == "sqlite":
            with self._engine.begin() as connection:
                for trigger in _TRIGGERS:
                    connection.execute(text(trigger))

    def append(
        self,
        *,
        actor: str,
        action: str,
        target: str = "",
        outcome: str = "ok",
        address: str = "",
        detail: str = "",
    ) -> None:
        """Write one entry, timed now."""
        row = AuditRow(
            at=dt.datetime.now(dt.UTC),
            actor=actor[:200],
            action=action[:50],
            target=target[:500],
            outcome=outcome[:20],
            address=address[:100],
            detail=detail[:_DETAIL_MAX],
        )
        with Session(self._engine) as session, session.begin():
            session.add(row)

    def list(self, *, since: dt.datetime | None = None) -> list[AuditEntry]:
        """The entries (from ``since`` on, when given), oldest first."""
        query = select(AuditRow).order_by(AuditRow.id)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        with Session(self._engine) as session:
            return [_entry(row) for row in session.scalars(query)]

    def dispose(self) -> None:
        """Close the database connections."""
        self._engine.dispose()


def _entry(row: AuditRow) -> AuditEntry:
    at = as_utc(row.at)
    assert at is not None
    return AuditEntry(
        row.id, at, row.actor, row.action, row.target, row.outcome, row.address, row.detail
    )
