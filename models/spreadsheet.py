"""Text cells made safe to open in a spreadsheet, and read back unchanged.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula, so a name such as
``=HYPERLINK("http://evil", "Klik")`` in an exported event log would run when an analyst opens
the file ("CSV injection", OWASP). Every CSV and XLSX file KIT Flow writes for people escapes
such text with one leading apostrophe, the spreadsheets' own mark for "this is text":

- only text is escaped: numeric columns are written as numbers, and a text cell that is a plain
  number (``-100``, ``+4.5``, ``-1,5``) is left alone, since a spreadsheet reads it as that number,
  not as a formula;
- a text cell that already starts with apostrophes before such a character gets one more, so
  that un-escaping is exact: ``'=x`` is written ``''=x``.

Reading back (``unescape_formula_cells``, used by every CSV import) removes exactly one leading
apostrophe from a cell that, without it, would have been escaped, so an exported log imported
again is the same log. A CSV from elsewhere whose cell is ``'=x`` is read as ``=x``: what the
apostrophe means in a spreadsheet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

FORMULA_STARTS: Final = "=+-@\t\r"
_APOSTROPHES: Final = r"^'+"
_STARTS_FORMULA: Final = r"^[=+\-@\t\r]"
_PLAIN_NUMBER: Final = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$"
_TEXT_TYPES: Final = (pl.String, pl.Categorical, pl.Enum)


def _needs_escape(text: pl.Expr) -> pl.Expr:
    rest = text.str.replace(_APOSTROPHES, "")
    return rest.str.contains(_STARTS_FORMULA) & ~rest.str.contains(_PLAIN_NUMBER)


def escape_formula_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell a spreadsheet would run as a formula escaped (text
    columns become plain strings; other columns are unchanged)."""
    return frame.with_columns(
        pl.when(_needs_escape(pl.col(name).cast(pl.String)))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, _TEXT_TYPES)
    )


def unescape_formula_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """The inverse of ``escape_formula_cells`` on the text columns of ``frame``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    # Most exports have no cell starting with an apostrophe: one cheap look per column spares
    # the regular expressions on every cell (a third of a CSV import's time).
    marked = frame.select(pl.col(text).str.starts_with("'").any()).row(0)
    return frame.with_columns(
        pl.when(pl.col(name).str.starts_with("'") & _needs_escape(pl.col(name).str.slice(1)))
        .then(pl.col(name).str.slice(1))
        .otherwise(pl.col(name))
        .alias(name)
        for name, has_apostrophe in zip(text, marked, strict=True)
        if has_apostrophe
    )


def _needs_escape_text(text: str) -> bool:
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in FORMULA_STARTS and not re.match(_PLAIN_NUMBER, rest)


def escape_formula(text: str) -> str:
    """One text cell escaped as ``escape_formula_cells`` does (for writers cell by cell, such as
    openpyxl, which would otherwise store a text starting with ``=`` as a formula)."""
    return "'" + text if _needs_escape_text(text) else text


def write_spreadsheet_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV with its text cells escaped: the one way KIT Flow writes a CSV
    file that people open."""
    escape_formula_cells(frame).write_csv(path)
