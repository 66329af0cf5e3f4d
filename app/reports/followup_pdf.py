"""The follow-up report as PDF, made with fpdf2 (pure Python, no download at run time).

Font: fpdf2 bundles no TTF font and the set-up installs none, so the text is in the PDF's
built-in Helvetica with the Windows-1252 encoding (WinAnsi): it holds æ, ø, å, é, the en dash,
the middle dot and typographic quotes. The few signs outside it are written in ASCII
(``_ASCII``), and anything else left becomes "?" rather than failing the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from app.figures.dates import format_day
from app.formatting import Language
from app.i18n import translate
from app.reports.chart import (
    LEGEND,
    Box,
    ChartLayout,
    lay_out_payback,
)
from app.reports.content import (
    CaseSection,
    ReportContent,
    ReportTable,
    TargetRow,
    cell_text,
)
from app.reports.style import ACCENT, HEADING_FILL, INK, LINE, MUTED, STATUS_COLOURS, WARNING_FILL
from app.reports.style import rgb as _rgb
from models.followup import Status

ENCODING = "cp1252"
_ASCII = str.maketrans({"≥": ">=", "≤": "<=", "→": "->", "←": "<-", "−": "-", "≈": "~"})
_MARGIN_MM = 15.0
_WIDTH_MM = 210.0 - 2 * _MARGIN_MM
_LINE_MM = 4.2
_CHART_HEIGHT_MM = 62.0


def to_pdf_text(text: str) -> str:
    """``text`` in the characters the built-in font can show."""
    return text.translate(_ASCII).encode(ENCODING, errors="replace").decode(ENCODING)


class _ReportPdf(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self._footer_text = footer
        self.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=_MARGIN_MM + 3)

    def normalize_text(self, text: str) -> str:
        # Every text the document writes passes here: one place for the font's character set.
        return super().normalize_text(to_pdf_text(text))

    def footer(self) -> None:
        self.set_y(-_MARGIN_MM)
        _font(self, 7.5, colour=MUTED)
        self.cell(0, 5, self._footer_text.format(page=self.page_no()), align="C")


def render_pdf(content: ReportContent) -> bytes:
    """The report as the bytes of a PDF file."""
    footer = translate(
        "report.footer",
        content.language,
        date=format_day(content.as_of, content.language),
        page="{page}",
    )
    pdf = _ReportPdf(footer)
    pdf.set_title(to_pdf_text(f"{content.title}: {content.subtitle}"))
    pdf.set_author("KIT Flow")
    _cover(pdf, content)
    for section in content.cases:
        _case(pdf, section, content)
    _method(pdf, content)
    _method_notes(pdf, content)
    return bytes(pdf.output())


# --- Sections ----------------------------------------------------------------------------------


def _cover(pdf: _ReportPdf, content: ReportContent) -> None:
    _page_title(pdf, content.title, content.subtitle, size=22)
    language = content.language
    _table(pdf, content.cases_table, language, widths=(110, 22, 22, 26))
    _table(pdf, content.status_table, language, widths=(80, *[20] * 5), status_columns=True)
    _table(pdf, content.coverage_table, language, widths=(70, 40, 40, 30))
    if content.warnings:
        _warnings(pdf, content)


def _warnings(pdf: _ReportPdf, content: ReportContent) -> None:
    _heading(pdf, translate("report.notes", content.language), size=11)
    _notes(pdf, content.warnings)


def _notes(pdf: _ReportPdf, texts: Sequence[str]) -> None:
    _font(pdf, 9, colour=INK)
    pdf.set_fill_color(*_rgb(WARNING_FILL))
    for text in texts:
        _paragraph(pdf, _LINE_MM + 0.6, text, boxed=True)
        pdf.ln(1.5)


def _case(pdf: _ReportPdf, section: CaseSection, content: ReportContent) -> None:
    _page_title(pdf, section.title, section.facts, size=16)
    _notes(pdf, section.notes)
    language = content.language
    _table(pdf, section.key_figures, language, widths=(90, 45, 45))
    for table in section.tables:
        widths = _case_table_widths(len(table.columns))
        _table(pdf, table, language, widths=widths, size=7.5)
    _payback(pdf, section, content)
    _targets(pdf, section.targets, content)


def _case_table_widths(columns: int) -> tuple[float, ...]:
    years = columns - 2
    year_mm = min(16.0, (_WIDTH_MM - 75) / max(years, 1))
    return (_WIDTH_MM - 20 - years * year_mm, 20, *([year_mm] * years))


def _method(pdf: _ReportPdf, content: ReportContent) -> None:
    if pdf.get_y() > pdf.h - 90:
        pdf.add_page()
    _heading(pdf, content.method_title, size=13)
    _font(pdf, 9.5, colour=INK)
    for note in content.method_notes:
        _paragraph(pdf, _LINE_MM + 0.4, note)
        pdf.ln(2)


def _method_notes(pdf: _ReportPdf, content: ReportContent) -> None:
    """Metodenoter: a paragraph per method, then each solution's checks and disagreements."""
    pdf.ln(2)
    _heading(pdf, content.method_notes_title, size=13)
    _font(pdf, 9.5, colour=INK)
    for text in content.method_paragraphs:
        _paragraph(pdf, _LINE_MM + 0.4, text)
        pdf.ln(2)
    if content.solution_notes_table.rows:
        _table(pdf, content.solution_notes_table, content.language, widths=(42, 38, 76, 24))


# --- Tables ------------------------------------------------------------------------------------


def _table(
    pdf: _ReportPdf,
    table: ReportTable,
    language: Language,
    *,
    widths: Sequence[float],
    size: float = 8.5,
    status_columns: bool = False,
) -> None:
    """A report table with its title; numbers right-aligned; totals bold; a status column's
    cells (or, with ``status_columns``, its headings too) in the status's colours."""
    _start_table(pdf, table.title, size)
    aligns = _aligns(table)
    with pdf.table(
        width=sum(widths),
        col_widths=tuple(widths),
        text_align=aligns,
        line_height=_LINE_MM,
        padding=(0.8, 1.2),
        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=HEADING_FILL),
        borders_layout="HORIZONTAL_LINES",
        align="LEFT",
    ) as grid:
        headings = grid.row()
        for column, heading in enumerate(table.columns):
            headings.cell(heading, style=_status_style(table, column) if status_columns else None)
        for row in table.rows:
            cells = grid.row(style=FontFace(emphasis="BOLD") if row.bold else None)
            for cell in row.cells:
                style = _status_face(cell.status) if cell.status and not status_columns else None
                cells.cell(cell_text(cell, language), style=style)
    pdf.ln(3)


def _start_table(pdf: _ReportPdf, title: str, size: float) -> None:
    _heading(pdf, title, size=11)
    _font(pdf, size, colour=INK)
    # fpdf2's table draws with the current colours and line width: the chart's would show.
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(*_rgb(MUTED))
    pdf.set_line_width(0.2)


def _aligns(table: ReportTable) -> tuple[str, ...]:
    kinds = [cell.kind for cell in table.rows[0].cells] if table.rows else []
    return tuple("LEFT" if kind == "text" else "RIGHT" for kind in kinds) or ("LEFT",)


def _status_style(table: ReportTable, column: int) -> FontFace | None:
    first = table.rows[0].cells[column] if table.rows else None
    return _status_face(first.status) if first and first.status else None


def _status_face(status: Status) -> FontFace:
    fill, text = STATUS_COLOURS[status]
    return FontFace(emphasis="BOLD", color=text, fill_color=fill)


def _targets(pdf: _ReportPdf, targets: Sequence[TargetRow], content: ReportContent) -> None:
    language = content.language

    def t(key: str) -> str:
        return translate(key, language)

    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    _start_table(pdf, t("report.targets"), 8)
    columns = ("report.col.number", "report.col.status", "report.col.target",
               "report.col.responsible", "report.col.evidence")  # fmt: skip
    with pdf.table(
        width=_WIDTH_MM,
        col_widths=(7, 20, 60, 36, 57),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT"),
        line_height=_LINE_MM - 0.4,
        padding=(1, 1.2),
        v_align="TOP",
        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=HEADING_FILL),
        borders_layout="HORIZONTAL_LINES",
        align="LEFT",
    ) as grid:
        grid.row([t(key) for key in columns])
        for target in targets:
            row = grid.row()
            row.cell(str(target.number))
            row.cell(_status_lines(target), style=_status_face(target.status))
            row.cell(f"{target.target}\n{t('report.col.measure')}: {target.measure}")
            row.cell(f"{target.responsible}\n{t('report.col.deadline')}: {target.deadline_text}")
            row.cell(target.evidence or "–")
    pdf.ln(3)


def _status_lines(target: TargetRow) -> str:
    """The row's status; below it, after a blank line, its judgement at each deadline."""
    if not target.judgements:
        return target.status_text
    return "\n".join((target.status_text, "", *target.judgements))


# --- The payback chart -------------------------------------------------------------------------


def _payback(pdf: _ReportPdf, section: CaseSection, content: ReportContent) -> None:
    if pdf.get_y() > pdf.h - (_CHART_HEIGHT_MM + 40):
        pdf.add_page()
    _heading(pdf, translate("report.payback", content.language), size=11)
    _font(pdf, 8, colour=MUTED)
    _paragraph(pdf, _LINE_MM, section.payback.axis_label)
    top = pdf.get_y() + 2
    box = Box(pdf.l_margin + 16, top, _WIDTH_MM - 20, _CHART_HEIGHT_MM - 12)
    layout = lay_out_payback(section.payback, box, content.language)
    _axes(pdf, layout)
    _curves(pdf, layout)
    pdf.set_y(top + _CHART_HEIGHT_MM - 4)
    _legend(pdf, content)
    pdf.ln(4)


def _axes(pdf: _ReportPdf, layout: ChartLayout) -> None:
    box = layout.box
    _font(pdf, 7, colour=MUTED)
    pdf.set_line_width(0.15)
    for y, label in layout.y_ticks:
        pdf.set_draw_color(*_rgb(LINE))
        pdf.line(box.left, y, box.left + box.width, y)
        pdf.set_xy(box.left - 17, y - 2)
        pdf.cell(15, 4, label, align="R")
    pdf.set_draw_color(*_rgb(MUTED))
    pdf.set_line_width(0.35)
    pdf.line(box.left, layout.zero_y, box.left + box.width, layout.zero_y)
    for x, label in layout.x_ticks:
        pdf.set_xy(x - 8, box.top + box.height + 1)
        pdf.cell(16, 4, label, align="C")


def _curves(pdf: _ReportPdf, layout: ChartLayout) -> None:
    pdf.set_line_width(0.6)
    for line in layout.lines:
        pdf.set_draw_color(*_rgb(line.colour))
        pdf.set_fill_color(*_rgb(line.colour))
        _dash(pdf, dashed=line.dashed)
        pdf.polyline(list(line.points))
        _dash(pdf, dashed=False)
        for x, y in line.points:
            pdf.circle(x, y, 0.8, style="F")
    for marker in layout.markers:
        x, y = marker.centre
        pdf.set_draw_color(*_rgb(marker.colour))
        pdf.set_line_width(0.5)
        pdf.circle(x, y, 2.2, style="D")
        _font(pdf, 7.5, bold=True, colour=marker.colour)
        pdf.set_xy(x - 8, y - 7 if marker.above else y + 3)
        pdf.cell(16, 4, marker.label, align="C")


def _legend(pdf: _ReportPdf, content: ReportContent) -> None:
    x = pdf.l_margin + 16
    y = pdf.get_y() + 2
    _font(pdf, 8, colour=INK)
    for key, colour, dashed in LEGEND:
        pdf.set_draw_color(*_rgb(colour))
        pdf.set_line_width(0.6)
        _dash(pdf, dashed=dashed)
        pdf.line(x, y, x + 8, y)
        _dash(pdf, dashed=False)
        label = translate(key, content.language)
        pdf.set_xy(x + 10, y - 2)
        pdf.cell(pdf.get_string_width(label) + 1, 4, label)
        x += 10 + pdf.get_string_width(label) + 8
    pdf.set_y(y + 3)


# --- Text --------------------------------------------------------------------------------------


def _page_title(pdf: _ReportPdf, title: str, subtitle: str, *, size: float) -> None:
    """A new page under ``title`` (in ``size`` points) and ``subtitle``."""
    pdf.add_page()
    _font(pdf, size, bold=True, colour=ACCENT)
    _paragraph(pdf, size * 0.47, title)
    _font(pdf, size * 0.6, colour=MUTED)
    _paragraph(pdf, size * 0.33, subtitle)
    pdf.ln(3)


def _dash(pdf: FPDF, *, dashed: bool) -> None:
    if dashed:
        pdf.set_dash_pattern(dash=1.6, gap=1.0)
    else:
        pdf.set_dash_pattern()


def _heading(pdf: _ReportPdf, text: str, *, size: float) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    _font(pdf, size, bold=True, colour=INK)
    _paragraph(pdf, size * 0.5, text)
    pdf.ln(1)


def _paragraph(pdf: FPDF, height: float, text: str, *, boxed: bool = False) -> None:
    """Text across the page, wrapped (``boxed``: on the fill colour, with padding); the next
    line starts at the left margin."""
    padding = 2 if boxed else 0
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", fill=boxed, padding=padding)


def _font(pdf: FPDF, size: float, *, bold: bool = False, colour: str = INK) -> None:
    pdf.set_font("helvetica", "B" if bold else "", size)
    pdf.set_text_color(*_rgb(colour))
