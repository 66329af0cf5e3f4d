"""A table as an Excel workbook (openpyxl, built on the server): numbers stay numbers, with
a number format, so a reader can sum them; Excel shows them in the reader's own locale
(14.673 in a Danish Excel)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.figures.tables import Amount, Cell, Column, TableData, cell_text
from models.spreadsheet import escape_formula

_SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)


def build_workbook(title: str, table: TableData) -> bytes:
    """``table`` on one sheet named ``title``: headings in bold, numbers as numbers, an
    estimate's band in two columns of its own after it (low, high)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = sheet_name(title)
    layout = _layout(table)
    sheet.append([heading for _, heading in layout])
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    for row in table.rows:
        _append_row(sheet, row, layout)
    for index, _ in enumerate(layout, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_name(title: str) -> str:
    """``title`` as Excel allows a sheet name: at most 31 characters, none of []:*?/\\."""
    return _NOT_IN_SHEET_NAMES.sub(" ", title)[:_SHEET_NAME_LIMIT].strip() or "Tabel"


_Slot = tuple[tuple[str, str], str]
"""(column key, part: value | low | high), heading."""


def _layout(table: TableData) -> list[_Slot]:
    slots: list[_Slot] = []
    for column in table.columns:
        slots.append(((column.key, "value"), column.label))
        if _has_band(table, column):
            slots.append(((column.key, "low"), f"{column.label} (min.)"))
            slots.append(((column.key, "high"), f"{column.label} (maks.)"))
    return slots


def _has_band(table: TableData, column: Column) -> bool:
    return any(isinstance(c, Amount) and c.band for c in table.column(column.key))


def _append_row(sheet: Worksheet, row: Mapping[str, Cell], layout: list[_Slot]) -> None:
    values: list[object] = []
    formats: list[str | None] = []
    for (key, part), _ in layout:
        value, number_format = _value(row[key], part)
        values.append(value)
        formats.append(number_format)
    sheet.append(values)
    for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
        if number_format:
            cell.number_format = number_format
        elif isinstance(cell.value, str):
            # One rule for every export people open in a spreadsheet: text that starts like a
            # formula gets a leading apostrophe (models.spreadsheet), and stays text.
            cell.value = escape_formula(cell.value)
            cell.data_type = "s"


def _value(cell: Cell, part: str) -> tuple[object, str | None]:
    """What the spreadsheet cell holds and its number format (None for text)."""
    if not isinstance(cell, Amount):
        return (cell_text(cell), None)
    if part != "value":
        low_high = cell.band or (None, None)
        return (low_high[0] if part == "low" else low_high[1], "#,##0")
    if cell.value is None:
        return (None if cell.text in ("–", "-") else cell.text, None)
    return (cell.value, _number_format(cell))


def _number_format(cell: Amount) -> str:
    digits = "#,##0" + ("." + "0" * cell.decimals if cell.decimals else "")
    return f'{digits}" {cell.unit}"' if cell.unit else digits
