"""The KIT DIR follow-up report in PDF, XLSX and HTML, from the cases' ``CaseOverview``:
``kitflow report followup`` and the Opfølgning page's download both call
:func:`render_followup_report`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, get_args

from app.formatting import Language
from app.reports.content import ReportContent, build_report_content
from app.reports.followup_html import render_html
from app.reports.followup_pdf import render_pdf
from app.reports.followup_xlsx import render_xlsx
from services import CaseOverview

ReportFormat = Literal["pdf", "xlsx", "html"]
REPORT_FORMATS: tuple[ReportFormat, ...] = get_args(ReportFormat)
MEDIA_TYPES: dict[ReportFormat, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}

_RENDERERS: dict[ReportFormat, Callable[[ReportContent], bytes]] = {
    "pdf": render_pdf,
    "xlsx": render_xlsx,
    "html": render_html,
}


def render_followup_report(
    overviews: Sequence[CaseOverview], *, report_format: ReportFormat, language: Language = "da"
) -> bytes:
    """The report of one or more cases (all as of one date) as the bytes of a file."""
    if not overviews:
        raise ValueError("a follow-up report needs at least one case")
    return _RENDERERS[report_format](build_report_content(overviews, language=language))


def report_file_name(overviews: Sequence[CaseOverview], report_format: ReportFormat) -> str:
    """A download's file name: ``opfoelgning-2024-12-31.pdf`` (one name for one or all cases,
    dated so two reports of different dates do not overwrite each other)."""
    return f"opfoelgning-{overviews[0].as_of.isoformat()}.{report_format}"


__all__ = [
    "MEDIA_TYPES",
    "REPORT_FORMATS",
    "ReportFormat",
    "render_followup_report",
    "report_file_name",
]
