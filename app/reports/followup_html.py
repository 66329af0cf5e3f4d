"""The follow-up report as one self-contained HTML file: inline CSS, the payback chart as
inline SVG, no script, font or image fetched from anywhere, so it opens offline and prints
as the PDF does. Every text is escaped: a target's text comes from a case file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from app.figures.dates import format_day
from app.i18n import translate
from app.reports.chart import (
    GRID_COLOUR,
    LEGEND,
    ZERO_COLOUR,
    Box,
    ChartLayout,
    lay_out_payback,
)
from app.reports.content import (
    CaseSection,
    Cell,
    ReportContent,
    ReportTable,
    TargetRow,
    cell_text,
)
from app.reports.style import (
    ACCENT,
    HEADING_FILL,
    INK,
    LINE,
    MUTED,
    STATUS_COLOURS,
    WARNING_FILL,
)

_CHART_WIDTH = 720
_CHART_HEIGHT = 280
_CHART_BOX = Box(left=64, top=16, width=_CHART_WIDTH - 80, height=_CHART_HEIGHT - 48)

_CSS = f"""
body {{ font-family: Helvetica, Arial, sans-serif; color: {INK}; margin: 32px auto;
       max-width: 960px; padding: 0 16px; font-size: 14px; line-height: 1.4; }}
h1 {{ color: {ACCENT}; font-size: 28px; margin-bottom: 4px; }}
h2 {{ color: {ACCENT}; font-size: 22px; margin-top: 40px; border-top: 2px solid {LINE};
      padding-top: 24px; }}
h3 {{ font-size: 16px; margin: 24px 0 8px; }}
.subtitle {{ font-size: 17px; margin-top: 0; }}
.facts, .axis {{ color: {MUTED}; }}
table {{ border-collapse: collapse; margin-bottom: 8px; }}
th {{ background: {HEADING_FILL}; text-align: left; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid {LINE}; vertical-align: top; }}
td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
tr.total td {{ font-weight: bold; }}
.status {{ font-weight: bold; white-space: nowrap; }}
.warning {{ background: {WARNING_FILL}; padding: 6px 10px; margin: 4px 0; }}
.legend span {{ margin-right: 18px; }}
.legend i {{ display: inline-block; width: 24px; border-top: 3px solid; margin-right: 6px;
            vertical-align: middle; }}
.targets td {{ font-size: 13px; }}
.judgement {{ font-weight: normal; display: block; }}
@media print {{ h2 {{ page-break-before: always; }} }}
"""


def render_html(content: ReportContent) -> bytes:
    """The report as the bytes of one UTF-8 HTML file."""
    body = "\n".join(
        (
            f"<h1>{escape(content.title)}</h1>",
            f'<p class="subtitle">{escape(content.subtitle)}</p>',
            _table(content.cases_table, content),
            _table(content.status_table, content, status_headings=True),
            _table(content.coverage_table, content),
            *_warnings(content),
            *(_case(section, content) for section in content.cases),
            f"<h2>{escape(content.method_title)}</h2>",
            *(f"<p>{escape(note)}</p>" for note in content.method_notes),
            f"<h2>{escape(content.method_notes_title)}</h2>",
            *(f"<p>{escape(text)}</p>" for text in content.method_paragraphs),
            _table(content.solution_notes_table, content),
        )
    )
    title = f"{content.title}: {format_day(content.as_of, content.language)}"
    page = (
        f'<!DOCTYPE html>\n<html lang="{content.language}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


def _warnings(content: ReportContent) -> Iterable[str]:
    if content.warnings:
        yield f"<h3>{escape(translate('report.notes', content.language))}</h3>"
        yield from (f'<p class="warning">{escape(text)}</p>' for text in content.warnings)


def _case(section: CaseSection, content: ReportContent) -> str:
    language = content.language
    parts = [
        f"<h2>{escape(section.title)}</h2>",
        f'<p class="facts">{escape(section.facts)}</p>',
        *(f'<p class="warning">{escape(note)}</p>' for note in section.notes),
        _table(section.key_figures, content),
        *(_table(table, content) for table in section.tables),
        f"<h3>{escape(translate('report.payback', language))}</h3>",
        f'<p class="axis">{escape(section.payback.axis_label)}</p>',
        payback_svg(lay_out_payback(section.payback, _CHART_BOX, language)),
        _legend(content),
        _targets(section.targets, content),
    ]
    return "\n".join(parts)


# --- Tables ------------------------------------------------------------------------------------


def _table(table: ReportTable, content: ReportContent, *, status_headings: bool = False) -> str:
    first = table.rows[0].cells if table.rows else ()
    headings = "".join(
        _heading_cell(heading, first[i] if status_headings and i < len(first) else None)
        for i, heading in enumerate(table.columns)
    )
    rows = "".join(
        f"<tr{' class=total' if row.bold else ''}>"
        + "".join(_cell(cell, content, coloured=not status_headings) for cell in row.cells)
        + "</tr>"
        for row in table.rows
    )
    return (
        f"<h3>{escape(table.title)}</h3>\n<table>\n<thead><tr>{headings}</tr></thead>\n"
        f"<tbody>{rows}</tbody>\n</table>"
    )


def _heading_cell(text: str, cell: Cell | None) -> str:
    style = _status_style(cell) if cell is not None and cell.status else ""
    return f"<th{style}>{escape(text)}</th>"


def _cell(cell: Cell, content: ReportContent, *, coloured: bool) -> str:
    css = ' class="num"' if cell.kind != "text" else ""
    style = _status_style(cell) if coloured and cell.status else ""
    return f"<td{css}{style}>{escape(cell_text(cell, content.language))}</td>"


def _status_style(cell: Cell) -> str:
    assert cell.status is not None
    fill, text = STATUS_COLOURS[cell.status]
    return f' style="background:{fill};color:{text};font-weight:bold"'


def _targets(targets: Sequence[TargetRow], content: ReportContent) -> str:
    def t(key: str) -> str:
        return escape(translate(key, content.language))

    columns = ("report.col.number", "report.col.status", "report.col.target",
               "report.col.responsible", "report.col.evidence")  # fmt: skip
    rows = "".join(_target_row(target, t("report.col.measure"), t("report.col.deadline"))
                   for target in targets)  # fmt: skip
    headings = "".join(f"<th>{t(key)}</th>" for key in columns)
    return (
        f"<h3>{t('report.targets')}</h3>\n<table class=targets>\n"
        f"<thead><tr>{headings}</tr></thead>\n<tbody>{rows}</tbody>\n</table>"
    )


def _target_row(target: TargetRow, measure: str, deadline: str) -> str:
    fill, text = STATUS_COLOURS[target.status]
    judgements = "".join(f'<span class="judgement">{escape(j)}</span>' for j in target.judgements)
    return (
        f'<tr><td class="num">{target.number}</td>'
        f'<td class="status" style="background:{fill};color:{text}">'
        f"{escape(target.status_text)}{judgements}</td>"
        f"<td>{escape(target.target)}<br><small>{measure}: {escape(target.measure)}</small></td>"
        f"<td>{escape(target.responsible)}<br><small>{deadline}: "
        f"{escape(target.deadline_text)}</small></td>"
        f"<td>{escape(target.evidence or '–')}</td></tr>"
    )


# --- The payback chart -------------------------------------------------------------------------


def payback_svg(layout: ChartLayout) -> str:
    """The chart as an inline SVG element."""
    box = layout.box
    right = box.left + box.width
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CHART_WIDTH}" '
        f'height="{_CHART_HEIGHT}" viewBox="0 0 {_CHART_WIDTH} {_CHART_HEIGHT}" role="img" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="11" fill="{MUTED}">'
    ]
    for y, label in layout.y_ticks:
        parts.append(_svg_rule(box.left, right, y, GRID_COLOUR, 1.0))
        parts.append(_svg_text(box.left - 6, y + 4, label, "end"))
    parts.append(_svg_rule(box.left, right, layout.zero_y, ZERO_COLOUR, 1.5))
    parts += [_svg_text(x, box.top + box.height + 18, year, "middle") for x, year in layout.x_ticks]
    parts += [_svg_line(line.points, line.colour, dashed=line.dashed) for line in layout.lines]
    for marker in layout.markers:
        x, y = marker.centre
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="{marker.colour}" '
            'stroke-width="2"/>'
        )
        label_y = y - 12 if marker.above else y + 20
        style = f' fill="{marker.colour}" font-weight="bold"'
        parts.append(_svg_text(x, label_y, marker.label, "middle", style))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_rule(left: float, right: float, y: float, colour: str, width: float) -> str:
    return (
        f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{colour}" '
        f'stroke-width="{width}"/>'
    )


def _svg_text(x: float, y: float, text: str, anchor: str, style: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{style}>{escape(text)}</text>'


def _svg_line(points: Sequence[tuple[float, float]], colour: str, *, dashed: bool) -> str:
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="7 4"' if dashed else ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
    return (
        f'<polyline points="{coordinates}" fill="none" stroke="{colour}" '
        f'stroke-width="2.5"{dash}/>{dots}'
    )


def _legend(content: ReportContent) -> str:
    spans = "".join(
        f'<span><i style="border-top-color:{colour};border-top-style:'
        f'{"dashed" if dashed else "solid"}"></i>{escape(translate(key, content.language))}</span>'
        for key, colour, dashed in LEGEND
    )
    return f'<p class="legend">{spans}</p>'
