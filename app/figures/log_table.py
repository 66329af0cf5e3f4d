"""The table of stored logs on the logs page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePath

from app.figures.tables import Cell, Column, Link, TableData
from app.formatting import Language, format_datetime, format_int
from app.i18n import translate
from models.catalog import LogEntry

# (key, numeric) in display order; headings come from app/i18n.py as "logs.col.<key>".
_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("name", False),
    ("source", False),
    ("kind", False),
    ("cases", True),
    ("events", True),
    ("activities", True),
    ("variants", True),
    ("quarantined", True),
    ("first_event", False),
    ("last_event", False),
    ("imported_at", False),
)


def build_log_table(
    entries: Sequence[LogEntry],
    language: Language,
    *,
    link_for: Callable[[LogEntry], str | None] | None = None,
    withheld: Callable[[LogEntry], bool] | None = None,
) -> TableData:
    """One row per stored log, its figures in ``language``'s number and date formats.

    Times are shown in Copenhagen time. ``link_for`` may give a page address per log; the log's
    name then becomes a link to it. A log for which ``withheld`` is true (it names fewer than 5
    people: the 5-person rule) shows "under 5 personer" instead of its counts.
    """
    columns = tuple(
        Column(key, translate(f"logs.col.{key}", language), numeric) for key, numeric in _COLUMNS
    )
    rows = tuple(
        _withhold(row, language) if withheld is not None and withheld(entry) else row
        for entry, row in ((e, _row(e, language, link_for)) for e in entries)
    )
    return TableData(columns, rows)


_COUNTS = ("cases", "events", "activities", "variants")


def _withhold(row: dict[str, Cell], language: Language) -> dict[str, Cell]:
    """The row with its counts replaced by the 5-person rule's note."""
    note = translate("logs.withheld", language)
    return {key: note if key in _COUNTS else value for key, value in row.items()}


def _row(
    entry: LogEntry,
    language: Language,
    link_for: Callable[[LogEntry], str | None] | None,
) -> dict[str, Cell]:
    href = link_for(entry) if link_for is not None else None
    name: Cell = Link(entry.name, href) if href else entry.name
    return {
        "name": name,
        # The stored path is absolute and long; the file name is what people recognise.
        "source": PurePath(entry.source_path).name,
        "kind": translate(f"kind.{entry.kind}", language),
        "cases": format_int(_per_case(entry, entry.cases), language),
        "events": format_int(entry.events, language),
        "activities": format_int(entry.activities, language),
        "variants": format_int(_per_case(entry, entry.variants), language),
        "quarantined": format_int(entry.quarantined, language),
        "first_event": format_datetime(entry.first_event, language),
        "last_event": format_datetime(entry.last_event, language),
        "imported_at": format_datetime(entry.imported_at, language),
    }


def _per_case(entry: LogEntry, value: int) -> int | None:
    # An object-centric log has no case notion until it is flattened on an object type, so its
    # case and variant counts are shown as "–", not as a misleading 0.
    return None if entry.kind == "object-centric" else value
