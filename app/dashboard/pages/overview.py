"""The directors' landing page ("Overblik"): every business case side by side, answering
"are we getting what we paid for?" on one screen.

Per case: the savings in the case against those realised, this year and to date, in 1.000 kr.
and ÅV; the realisation; the payback in the case against the one with measured-and-forecast
savings and actual costs; the cumulative net effect per year with the break-even years
marked; and the follow-up targets as coloured counts with the rows that need action, which
lead to Opfølgning. ``?as_of=YYYY-MM-DD`` chooses the date (default: the data's last day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dash
from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.cockpit_components import (
    ExportIds,
    PageTable,
    as_of_line,
    chart,
    coverage_line,
    export_button,
    notes_box,
    own_notes,
    register_xlsx_downloads,
    shared_notes,
)
from app.dashboard.cockpit_data import CockpitView, load_state_view, load_view, parse_as_of
from app.dashboard.components import render_table, with_stale_banner
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import FOLLOWUP_PATH, OVERVIEW_PATH, REALISATION_PATH, page_href
from app.figures.cockpit_charts import build_cumulative_figure
from app.figures.cockpit_tables import (
    attention_targets,
    build_key_figures,
    status_badge,
    status_counts,
)
from app.formatting import Language
from app.i18n import parse_language, translate
from models.followup import TargetStatus
from models.store import LogStore
from services import CaseOverview

PATH = OVERVIEW_PATH
EXPORTS = ExportIds(ids.OVERVIEW_XLSX, ids.OVERVIEW_XLSX_DOWNLOAD)
ATTENTION_SHOWN = 3
"""Rows needing action listed per case; the rest are counted, and wait in Opfølgning."""


def build_layout(store: LogStore, language: Language, as_of: dt.date | None = None) -> html.Div:
    """The page for every case in ``store``'s data folder as of ``as_of``."""
    view = load_view(store.data, language, as_of, message_id=ids.OVERVIEW_MESSAGE)
    return with_stale_banner(build_page(view, language), store.data, language)


def build_page(view: CockpitView, language: Language) -> html.Div:
    """The page for the loaded cases (or the message saying why there are none)."""
    header = html.Div(
        [
            html.H1(translate("overview.title", language), id=ids.OVERVIEW_TITLE),
            html.P(translate("overview.intro", language), className="kf-lead kf-lead--tight"),
        ],
        className="kf-page-head",
    )
    if view.message is not None:
        # The Store stays (empty): the Excel downloads' callback reads it, and Dash checks every
        # callback's components against the layout it got at the first request.
        return html.Div([header, view.message, dcc.Store(id=ids.OVERVIEW_STATE)])
    cockpit = view.cockpit
    state = {"lang": language, "as_of": cockpit.as_of.isoformat()}
    return html.Div(
        [
            header,
            html.Div(
                [
                    as_of_line(cockpit.as_of, language, line_id=ids.OVERVIEW_AS_OF),
                    coverage_line(
                        cockpit.coverage, cockpit.as_of, language, line_id=ids.OVERVIEW_COVERAGE
                    ),
                ],
                className="kf-status-line",
            ),
            *notes_box(shared_notes(cockpit.overviews, language), compact=True),
            html.Div(
                [_case_card(o, cockpit.overviews, language) for o in cockpit.overviews],
                id=ids.OVERVIEW_CASES,
                className="kf-case-grid",
            ),
            dcc.Store(id=ids.OVERVIEW_STATE, data=state),
        ]
    )


def _case_card(
    overview: CaseOverview, overviews: tuple[CaseOverview, ...], language: Language
) -> html.Article:
    stem = overview.case_path.stem
    details = page_href(REALISATION_PATH, language, case=stem, as_of=overview.as_of.isoformat())
    key_figures = _key_figures(overview, language)
    notes = own_notes(overview, overviews, language)
    # One paragraph: the card must leave the page on one screen.
    footnotes = [html.P(" · ".join(notes), className="kf-footnote")] if notes else []
    return html.Article(
        [
            html.Div(
                [html.H2(dcc.Link(overview.title, href=details)),
                 html.Span(f"{overview.price_level_year} p/l", className="kf-muted-inline"),
                 export_button(key_figures, EXPORTS, language)],
                className="kf-case-head",
            ),
            render_table(key_figures.table, table_id=f"{ids.OVERVIEW_KEY_FIGURES}-{stem}",
                         compact=True),
            html.H3(translate("overview.curve", language), className="kf-chart-title"),
            chart(build_cumulative_figure(overview, language, height=205),
                  graph_id={"type": ids.OVERVIEW_CURVE, "key": stem},
                  filename=f"{stem}-tilbagebetaling"),
            _targets(overview, language),
            *footnotes,
        ],
        id={"type": ids.OVERVIEW_CASE, "key": stem},
        className="kf-card kf-case-card",
    )  # fmt: skip


def _key_figures(overview: CaseOverview, language: Language) -> PageTable:
    key = f"{overview.case_path.stem}-noegletal"
    return PageTable(key, overview.title, build_key_figures(overview, language), key)


def _targets(overview: CaseOverview, language: Language) -> html.Div:
    """The status counts, worst first, and the first rows that need action."""
    stem = overview.case_path.stem
    followup = page_href(FOLLOWUP_PATH, language, case=stem, as_of=overview.as_of.isoformat())
    counts = [
        html.Span(
            f"{count} {status_badge(status, language).text}",
            className=f"kf-badge kf-badge--{status_badge(status, language).tone}",
        )
        for status, count in status_counts(overview)
    ]
    waiting = attention_targets(overview)
    rows: list[Component] = [
        _attention_row(t, followup, language) for t in waiting[:ATTENTION_SHOWN]
    ]
    if len(waiting) > ATTENTION_SHOWN:
        more = translate("overview.more", language, count=len(waiting) - ATTENTION_SHOWN)
        rows.append(html.Li(dcc.Link(more, href=followup), className="kf-attention-more"))
    if not waiting:
        rows.append(html.Li(translate("overview.none_need_action", language)))
    return html.Div(
        [
            html.Div(
                [html.H3(dcc.Link(translate("overview.targets", language), href=followup)),
                 html.Div(counts, id={"type": ids.OVERVIEW_COUNTS, "key": stem},
                          className="kf-counts")],
                className="kf-targets-head",
            ),
            html.Ul(rows, id={"type": ids.OVERVIEW_ATTENTION, "key": stem},
                    className="kf-attention"),
        ]
    )  # fmt: skip


def _attention_row(target: TargetStatus, followup: str, language: Language) -> html.Li:
    badge = status_badge(target.status, language)
    return html.Li(
        [
            html.Span(badge.text, className=f"kf-badge kf-badge--{badge.tone}"),
            dcc.Link(f"{target.number}. {target.target}", href=followup, title=target.target),
        ]
    )


def page_tables(view: CockpitView, language: Language) -> dict[str, PageTable]:
    """The page's tables by key (what its Excel buttons download)."""
    if view.message is not None:
        return {}
    tables = (_key_figures(o, language) for o in view.cockpit.overviews)
    return {table.key: table for table in tables}


def _tables_for_state(state: Mapping[str, Any]) -> Mapping[str, PageTable]:
    return page_tables(*load_state_view(state, message_id=ids.OVERVIEW_MESSAGE))


def page_layout(lang: str | None = None, as_of: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), parse_as_of(as_of))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and its Excel downloads; the figures are drawn when it opens."""
    del store  # the layout and the downloads read the serving app's store
    register_page(__name__, path=PATH, name="Overblik", order=0, layout=page_layout)
    register_xlsx_downloads(app, EXPORTS, state_id=ids.OVERVIEW_STATE,
                            tables_for=_tables_for_state)  # fmt: skip
