"""Formatted tables: what a table shows, cell by cell, without saying how it is drawn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Link:
    """A cell that leads to another page."""

    text: str
    href: str


@dataclass(frozen=True)
class Amount:
    """A number cell: ``text`` as the table shows it, ``value`` as a spreadsheet keeps it
    (None for no value), with its decimals, unit and, for an estimate, its band."""

    value: float | None
    text: str
    decimals: int = 0
    unit: str = ""
    band: tuple[float, float] | None = None


Tone = Literal["good", "info", "warning", "bad", "neutral"]


@dataclass(frozen=True)
class Badge:
    """A word on a coloured background (a status); the word carries the meaning, the colour
    only repeats it."""

    text: str
    tone: Tone


@dataclass(frozen=True)
class Judged:
    """Several labelled statuses in one cell (a row's deadlines, each with its own)."""

    items: tuple[tuple[str, Badge], ...]

    @property
    def text(self) -> str:
        """ "Ultimo 2023: opfyldt; Ultimo 2024: ikke nået"."""
        return "; ".join(f"{label}: {badge.text}" for label, badge in self.items)


Cell = str | Link | Amount | Badge | Judged


def cell_text(cell: Cell) -> str:
    """The text a reader sees in ``cell``."""
    return cell if isinstance(cell, str) else cell.text


@dataclass(frozen=True)
class Column:
    """One column: its key in each row, its heading, and whether it holds numbers.

    Numeric columns are right-aligned so that digits line up.
    """

    key: str
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class TableData:
    """Columns and rows of display-ready cells (already formatted for one language).

    ``row_classes``, when given, holds one style name per row (a total row, say)."""

    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Cell], ...]
    row_classes: tuple[str, ...] = ()

    def column(self, key: str) -> list[Cell]:
        """All cells of one column, top to bottom."""
        return [row[key] for row in self.rows]

    def texts(self, key: str) -> list[str]:
        """The text of every cell of one column, top to bottom."""
        return [cell_text(row[key]) for row in self.rows]
