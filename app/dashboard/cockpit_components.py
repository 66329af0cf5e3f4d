"""Building blocks of the directors' pages (Overblik, Gevinstrealisering, Opfølgning): the
as-of date and the data's reach, the case links, charts with a PNG button, and tables with
an Excel button whose workbook the server builds from the same table the page shows."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard.components import render_table
from app.dashboard.routes import page_href
from app.dashboard.spreadsheet import build_workbook
from app.evidence import describe
from app.figures.dates import format_day
from app.figures.tables import TableData
from app.formatting import DISPLAY_ZONE, Language
from app.i18n import translate
from services import CaseOverview, SourceCoverage


@dataclass(frozen=True)
class PageTable:
    """A table of a page with the key its Excel button and download are found by, the
    title of its sheet and the name of its file (without .xlsx)."""

    key: str
    title: str
    table: TableData
    file_stem: str


@dataclass(frozen=True)
class ExportIds:
    """The pattern-matching id types of one page's Excel buttons and downloads."""

    button: str
    download: str

    def button_id(self, key: object) -> dict[str, object]:
        """The id of the Excel button of table ``key`` (or of every table, with ``MATCH``)."""
        return {"type": self.button, "key": key}

    def download_id(self, key: object) -> dict[str, object]:
        """The id of the download of table ``key``."""
        return {"type": self.download, "key": key}


def local_day(moment: dt.datetime | None) -> dt.date | None:
    """The Copenhagen calendar day of a UTC time."""
    return None if moment is None else moment.astimezone(DISPLAY_ZONE).date()


def as_of_line(as_of: dt.date, language: Language, *, line_id: str) -> html.Span:
    """ "Opgjort pr. 31.1.2026"."""
    text = translate("cockpit.as_of", language, date=format_day(as_of, language))
    return html.Span(text, id=line_id, className="kf-as-of")


STALE_AFTER = dt.timedelta(days=31)
"""A source whose data end this long before the as-of date is marked: its figures are old."""


def coverage_line(
    coverage: Sequence[SourceCoverage], as_of: dt.date, language: Language, *, line_id: str
) -> html.P:
    """How far each source's data reach; a source ending more than a month before the as-of
    date is marked (the overview's notes say when the date lies past all the data)."""
    parts: list[Component] = [html.Strong(translate("cockpit.coverage", language) + ": ")]
    for index, source in enumerate(coverage):
        if index:
            parts.append(html.Span(" · "))
        parts.append(_coverage_part(source, as_of, language))
    return html.P(parts, id=line_id, className="kf-coverage")


def _coverage_part(source: SourceCoverage, as_of: dt.date, language: Language) -> html.Span:
    name = _source_name(source.source, language)
    first, last = local_day(source.first), local_day(source.last)
    if last is None:
        return html.Span(
            translate("cockpit.coverage_none", language, source=name), className="is-missing"
        )
    text = translate(
        "cockpit.coverage_source",
        language,
        source=name,
        first=format_day(first, language),
        last=format_day(last, language),
    )
    return html.Span(text, className="is-short" if as_of - last > STALE_AFTER else None)


def _source_name(source: str, language: Language) -> str:
    return translate(f"cockpit.source.{source}", language)


def shared_notes(overviews: Sequence[CaseOverview], language: Language) -> list[str]:
    """The notes every case has (the as-of date past the data, say), in the language, once."""
    texts = [_note_texts(o, language) for o in overviews]
    return [text for text in texts[0] if all(text in other for other in texts[1:])] if texts else []


def own_notes(
    overview: CaseOverview, overviews: Sequence[CaseOverview], language: Language
) -> list[str]:
    """The notes of ``overview`` that not every case of ``overviews`` has."""
    shared = shared_notes(overviews, language)
    return [text for text in _note_texts(overview, language) if text not in shared]


def _note_texts(overview: CaseOverview, language: Language) -> list[str]:
    return [describe((fact,), language) for fact in overview.notes]


def notes_box(texts: Sequence[str], *, compact: bool = False) -> list[Component]:
    """The notes in one warning box, one line each (nothing for no notes)."""
    if not texts:
        return []
    lines = [html.Div(text) for text in texts]
    classes = "kf-note kf-note--warning" + (" kf-note--compact" if compact else "")
    return [html.Div(lines, className=classes, role="status")]


def case_links(
    overviews: Sequence[CaseOverview],
    chosen: CaseOverview | None,
    language: Language,
    *,
    path: str,
    nav_id: str,
    **params: str | None,
) -> html.Nav:
    """One link per case, named by its title, to ``path`` with ``params``."""
    links = [
        dcc.Link(
            overview.title,
            href=page_href(path, language, case=overview.case_path.stem, **params),
            className="kf-case-link" + (" is-active" if overview is chosen else ""),
        )
        for overview in overviews
    ]
    return html.Nav(links, id=nav_id, className="kf-case-links")


def chart(figure: go.Figure, *, graph_id: str | dict[str, str], filename: str) -> dcc.Graph:
    """A plotly chart whose toolbar's camera button saves it as a PNG named ``filename``
    (drawn by plotly.js in the browser: nothing is downloaded from elsewhere)."""
    config: dcc.Graph.Config = {
        "displaylogo": False,
        # The camera alone: a director saves the chart; zooming a yearly curve helps no one.
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }
    return dcc.Graph(id=graph_id, figure=figure, config=config, className="kf-chart")


def export_button(page_table: PageTable, exports: ExportIds, language: Language) -> html.Span:
    """The Excel button of a table, and the download it fills."""
    button = html.Button(
        translate("cockpit.xlsx", language),
        id=exports.button_id(page_table.key),
        title=translate("cockpit.xlsx_title", language),
        className="kf-button kf-button--small",
        n_clicks=0,
    )
    return html.Span([button, dcc.Download(id=exports.download_id(page_table.key))])


def table_block(
    page_table: PageTable,
    exports: ExportIds,
    language: Language,
    *,
    table_id: str,
    heading: bool = True,
    wrap: bool = False,
) -> html.Div:
    """The table with its title and Excel button (``heading=False``: the button only, for a
    table whose title is already said around it)."""
    head = [html.H3(page_table.title)] if heading else []
    return html.Div(
        [
            html.Div([*head, export_button(page_table, exports, language)],
                     className="kf-table-head"),
            render_table(page_table.table, table_id=table_id, compact=True, wrap=wrap),
        ],
        className="kf-table-block",
    )  # fmt: skip


PageTables = Callable[[Mapping[str, Any]], Mapping[str, PageTable]]
"""A page's tables for its state (language, case, as-of date, ...), by key."""


def register_xlsx_downloads(
    app: dash.Dash, exports: ExportIds, *, state_id: str, tables_for: PageTables
) -> None:
    """One callback for every Excel button of a page: the table is built again on the
    server from the page's state, and sent as a workbook."""

    @app.callback(
        Output(exports.download_id(MATCH), "data"),
        Input(exports.button_id(MATCH), "n_clicks"),
        State(exports.button_id(MATCH), "id"),
        State(state_id, "data"),
        prevent_initial_call=True,
    )
    def send_workbook(
        n_clicks: int | None, button: dict[str, str], state: dict[str, Any] | None
    ) -> dict[str, Any]:
        del n_clicks  # a click is the trigger; the state says what to build
        found = tables_for(state or {})[button["key"]]
        content = build_workbook(found.title, found.table)
        return download_data(content, f"{found.file_stem}.xlsx")


def download_data(content: bytes, filename: str) -> dict[str, Any]:
    """What ``dcc.Download`` takes: the bytes base64-encoded, as ``dcc.send_bytes`` makes it."""
    encoded = base64.b64encode(content).decode("ascii")
    return {"content": encoded, "filename": filename, "type": None, "base64": True}
