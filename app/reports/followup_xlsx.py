"""The follow-up report as an Excel workbook (openpyxl): one sheet per table, numbers stored
as numbers and dates as dates, so a director can sum, sort and chart them.

Number formats use Excel's placeholders (``#,##0.0``): Excel shows them with the reader's own
separators, 1.234,5 on a Danish machine. A text cell that Excel would take for a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
apostrophe by the one rule of every file KIT Flow writes for people (models/spreadsheet.py): a
target's text from a case file can never run as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.i18n import translate
from app.reports.content import (
    CaseSection,
    Cell,
    CellKind,
    ReportContent,
    ReportTable,
    payback_table,
    targets_table,
)
from app.reports.style import HEADING_FILL, STATUS_COLOURS
from models.spreadsheet import escape_formula

NUMBER_FORMATS: dict[CellKind, str] = {
    "tkr": "#,##0.0",
    "aav": "#,##0.00",
    "pct": '0.0" %"',
    "int": "#,##0",
    "year": "0",
    "date": "d.m.yyyy",
}
_MAX_SHEET_TITLE = 31
_WIDE_COLUMN = 60
_NUMBER_COLUMN = 14


def render_xlsx(content: ReportContent) -> bytes:
    """The report as the bytes of an .xlsx file."""
    book = Workbook()
    overview = book.active
    assert overview is not None  # a new workbook has its first sheet
    language = content.language

    def title(key: str) -> str:
        return translate(f"report.sheet.{key}", language)

    overview.title = title("overview")
    key_figures = [_of_case(c.key_figures, c) for c in content.cases]
    _write_tables(
        overview,
        [content.cases_table, content.status_table, *key_figures],
        heading=f"{content.title}: {content.subtitle}",
    )
    _write_case_tables(book, content, title("table_1"))
    paybacks = [_of_case(payback_table(c.payback, language), c) for c in content.cases]
    _write_tables(book.create_sheet(title("payback")), paybacks)
    targets = [targets_table(c, language) for c in content.cases]
    _write_tables(book.create_sheet(title("followup")), [_joined(targets)])
    _write_tables(book.create_sheet(title("coverage")), [content.coverage_table])
    _write_notes(book.create_sheet(title("method")), content)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _of_case(table: ReportTable, section: CaseSection) -> ReportTable:
    """A per-case table on a sheet of every case: its title names the case."""
    return replace(table, title=f"{table.title}: {section.title}")


def _write_case_tables(book: Workbook, content: ReportContent, base: str) -> None:
    """One Tabel 1 sheet per case, named "Tabel 1" (or "Tabel 1 (2)" for the second case)."""
    for number, section in enumerate(content.cases, start=1):
        name = base if number == 1 else f"{base} ({number})"
        sheet = book.create_sheet(name[:_MAX_SHEET_TITLE])
        _write_tables(sheet, list(section.tables), heading=f"{section.title} · {section.facts}")


def _joined(tables: Sequence[ReportTable]) -> ReportTable:
    """The cases' target tables as one (they share their columns; the first names the case)."""
    return ReportTable(tables[0].title, tables[0].columns, tuple(r for t in tables for r in t.rows))


def _write_tables(
    sheet: Worksheet,
    tables: Sequence[ReportTable],
    *,
    heading: str | None = None,
) -> None:
    """``tables`` one below the other, under ``heading``."""
    row = 1
    if heading:
        _text(sheet, row, 1, heading).font = Font(bold=True, size=13)
        row += 2
    for table in tables:
        row = _write_table(sheet, table, row) + 1
    _set_widths(sheet, tables)


def _write_table(sheet: Worksheet, table: ReportTable, row: int) -> int:
    """Write ``table`` from ``row``; the next free row."""
    _text(sheet, row, 1, table.title).font = Font(bold=True)
    row += 1
    fill = PatternFill("solid", fgColor=HEADING_FILL.lstrip("#"))
    for column, heading in enumerate(table.columns, start=1):
        cell = _text(sheet, row, column, heading)
        cell.font, cell.fill = Font(bold=True), fill
    for report_row in table.rows:
        row += 1
        for column, value in enumerate(report_row.cells, start=1):
            written = _cell(sheet, row, column, value)
            if report_row.bold:
                written.font = Font(bold=True)
    return row + 1


def _cell(sheet: Worksheet, row: int, column: int, cell: Cell) -> SheetCell:
    if isinstance(cell.value, str) or cell.value is None:
        written = _text(sheet, row, column, cell.value)
    else:
        written = sheet.cell(row=row, column=column, value=cell.value)
        written.number_format = NUMBER_FORMATS[cell.kind]
    if cell.status is not None:
        fill, text = STATUS_COLOURS[cell.status]
        written.fill = PatternFill("solid", fgColor=fill.lstrip("#"))
        written.font = Font(bold=True, color=text.lstrip("#"))
    return written


def _text(sheet: Worksheet, row: int, column: int, text: str | None) -> SheetCell:
    cell = sheet.cell(row=row, column=column, value=None if text is None else escape_formula(text))
    # Long texts (targets, evidence) wrap inside their column instead of running over others.
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _set_widths(sheet: Worksheet, tables: Sequence[ReportTable]) -> None:
    columns = max((len(t.columns) for t in tables), default=0)
    for column in range(1, columns + 1):
        texts = any(
            len(r.cells) >= column and r.cells[column - 1].kind == "text"
            for t in tables
            for r in t.rows
        )
        sheet.column_dimensions[get_column_letter(column)].width = (
            _WIDE_COLUMN if texts and column == 1 else (36 if texts else _NUMBER_COLUMN)
        )


def _write_notes(sheet: Worksheet, content: ReportContent) -> None:
    _text(sheet, 1, 1, content.method_title).font = Font(bold=True, size=13)
    texts = (*content.method_notes, *content.warnings)
    for row, note in enumerate(texts, start=3):
        _text(sheet, row, 1, note)
    # Metodenoter below: a paragraph per method, then each solution's checks.
    top = len(texts) + 4
    _text(sheet, top, 1, content.method_notes_title).font = Font(bold=True, size=13)
    for offset, text in enumerate(content.method_paragraphs, start=2):
        _text(sheet, top + offset, 1, text)
    _write_table(sheet, content.solution_notes_table, top + len(content.method_paragraphs) + 3)
    sheet.column_dimensions["A"].width = 120
    for column, width in (("B", 36), ("C", 90), ("D", 18)):
        sheet.column_dimensions[column].width = width
