"""Formatted tables: what a table shows, cell by cell, without saying how it is drawn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A cell that leads to another page."""

    text: str
    href: str


Cell = str | Link


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
    """Columns and rows of display-ready cells (already formatted for one language)."""

    columns: tuple[Column, ...]
    rows: tuple[dict[str, Cell], ...]

    def column(self, key: str) -> list[Cell]:
        """All cells of one column, top to bottom."""
        return [row[key] for row in self.rows]
