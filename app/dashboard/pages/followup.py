"""The follow-up targets ("Opfølgning"): every target of every case (or of ``?case=``) with
its status in colour and word, the full target text, the evidence, who answers for it and
its deadline(s); an as-of date (default: the data's last day, not today), a filter by
responsible (each kontorchef sees the targets they answer for), and the KIT DIR report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.cockpit_components import (
    ExportIds,
    PageTable,
    as_of_line,
    coverage_line,
    download_data,
    notes_box,
    own_notes,
    register_xlsx_downloads,
    shared_notes,
    table_block,
)
from app.dashboard.cockpit_data import CockpitView, load_view, parse_as_of
from app.dashboard.components import with_stale_banner
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import FOLLOWUP_PATH, page_href
from app.figures.cockpit_tables import build_followup_table
from app.formatting import Language
from app.i18n import parse_language, translate
from app.reports import REPORT_FORMATS, ReportFormat, render_followup_report, report_file_name
from models.followup import TargetStatus
from models.store import LogStore
from services import CaseOverview

PATH = FOLLOWUP_PATH
EXPORTS = ExportIds(ids.FOLLOWUP_XLSX, ids.FOLLOWUP_XLSX_DOWNLOAD)


@dataclass(frozen=True)
class Choice:
    """What the reader chose: language, case (None: all), as-of date (None: the data's last
    day) and responsible (None: everyone)."""

    language: Language
    case: str | None = None
    as_of: dt.date | None = None
    responsible: str | None = None

    def state(self, as_of: dt.date) -> dict[str, str | None]:
        """The choice as the page keeps it (for its downloads), with the date it shows."""
        return {
            "lang": self.language,
            "case": self.case,
            "as_of": as_of.isoformat(),
            "responsible": self.responsible,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Choice:
        """The choice kept in the page."""
        return cls(
            parse_language(state.get("lang")),
            state.get("case") or None,
            parse_as_of(state.get("as_of")),
            state.get("responsible") or None,
        )


def build_layout(store: LogStore, choice: Choice) -> html.Div:
    """The page for the cases in ``store``'s data folder, as ``choice`` says."""
    return with_stale_banner(build_page(_load(store, choice), choice), store.data, choice.language)


def _load(store: LogStore, choice: Choice) -> CockpitView:
    return load_view(store.data, choice.language, choice.as_of, message_id=ids.FOLLOWUP_MESSAGE)


def shown_cases(view: CockpitView, case: str | None) -> tuple[CaseOverview, ...]:
    """The case ``case`` (a file stem), or every case when it names none of them."""
    overviews = view.cockpit.overviews
    chosen = tuple(o for o in overviews if o.case_path.stem == case)
    return chosen or overviews


def build_page(view: CockpitView, choice: Choice) -> html.Div:
    """Header, controls and the targets (or the message why there are none)."""
    language = choice.language
    header: list[Component] = [
        html.H1(translate("followup.title", language), id=ids.FOLLOWUP_TITLE),
        html.P(translate("followup.intro", language), className="kf-lead"),
    ]
    if view.message is not None:
        return html.Div([*header, view.message, _hidden_controls()])
    cases = shown_cases(view, choice.case)
    return html.Div(
        [
            *header,
            _controls(view, cases, choice),
            html.Div(build_result(view, choice), id=ids.FOLLOWUP_RESULT),
            dcc.Store(id=ids.FOLLOWUP_STATE, data=choice.state(view.cockpit.as_of)),
        ]
    )


def _hidden_controls() -> html.Div:
    """The callbacks' components, empty and hidden, for a page without cases: Dash checks every
    callback's components against the layout it got at the first request, and a fresh
    installation has no cases then (the callbacks never fire: nothing here can be changed)."""
    return html.Div(
        [
            dcc.DatePickerSingle(id=ids.FOLLOWUP_AS_OF),
            dcc.Dropdown(id=ids.FOLLOWUP_RESPONSIBLE),
            dcc.Dropdown(id=ids.FOLLOWUP_REPORT_FORMAT),
            html.Button(id=ids.FOLLOWUP_REPORT_BUTTON),
            dcc.Download(id=ids.FOLLOWUP_REPORT_DOWNLOAD),
            html.Div(id=ids.FOLLOWUP_RESULT),
            dcc.Store(id=ids.FOLLOWUP_STATE),
        ],
        hidden=True,
    )


def _controls(view: CockpitView, cases: Sequence[CaseOverview], choice: Choice) -> html.Section:
    language, as_of = choice.language, view.cockpit.as_of
    everyone = translate("followup.all_responsible", language)
    return html.Section(
        [
            _field("followup.as_of", ids.FOLLOWUP_AS_OF, language, dcc.DatePickerSingle(
                id=ids.FOLLOWUP_AS_OF, date=as_of.isoformat(),
                display_format="D.M.YYYY" if language == "da" else "D MMM YYYY",
                first_day_of_week=1,
            )),
            _field("followup.responsible", ids.FOLLOWUP_RESPONSIBLE, language, dcc.Dropdown(
                id=ids.FOLLOWUP_RESPONSIBLE, options=list(responsible_options(cases)),
                value=choice.responsible, placeholder=everyone, clearable=True,
            )),
            _report_field(language),
            _case_links(view, choice),
        ],
        className="kf-card kf-followup-controls",
    )  # fmt: skip


def _field(label_key: str, for_id: str, language: Language, control: Component) -> html.Div:
    label = html.Label(translate(label_key, language), htmlFor=for_id)
    return html.Div([label, control], className="kf-field")


def _report_field(language: Language) -> html.Div:
    return html.Div(
        [
            html.Label(translate("followup.report", language), htmlFor=ids.FOLLOWUP_REPORT_FORMAT),
            html.Div(
                [
                    dcc.Dropdown(id=ids.FOLLOWUP_REPORT_FORMAT, value="pdf", clearable=False,
                                 options=[{"label": f.upper(), "value": f}
                                          for f in REPORT_FORMATS]),
                    html.Button(translate("followup.download", language),
                                id=ids.FOLLOWUP_REPORT_BUTTON, n_clicks=0, className="kf-button"),
                    dcc.Download(id=ids.FOLLOWUP_REPORT_DOWNLOAD),
                ],
                className="kf-report-row",
            ),
        ],
        className="kf-field",
    )  # fmt: skip


def _case_links(view: CockpitView, choice: Choice) -> html.Nav:
    """All cases, then each case by its title; the as-of date and responsible go along."""
    language = choice.language
    params = {"as_of": view.cockpit.as_of.isoformat(), "responsible": choice.responsible}
    everything = translate("followup.all_cases", language)
    options = [(None, everything)] + [(o.case_path.stem, o.title) for o in view.cockpit.overviews]
    links = [
        dcc.Link(
            title, href=page_href(PATH, language, case=stem, **params),
            className="kf-case-link" + (" is-active" if stem == choice.case else ""),
        )
        for stem, title in options
    ]  # fmt: skip
    return html.Nav(links, id=ids.FOLLOWUP_CASES, className="kf-case-links")


def responsible_options(cases: Sequence[CaseOverview]) -> tuple[str, ...]:
    """Everyone who answers for a target of ``cases``, by name."""
    return tuple(sorted({t.responsible for o in cases for t in o.followup.targets}))


def chosen_targets(overview: CaseOverview, responsible: str | None) -> tuple[TargetStatus, ...]:
    """The case's targets that ``responsible`` answers for (every target for None)."""
    targets = overview.followup.targets
    return tuple(t for t in targets if responsible is None or t.responsible == responsible)


def build_result(view: CockpitView, choice: Choice) -> list[Component]:
    """The as-of date, the data's reach, the notes, and per case its targets' table."""
    language, cockpit = choice.language, view.cockpit
    cases = shown_cases(view, choice.case)
    tables = page_tables(view, choice)
    sections = [_case_section(o, cases, tables[o.case_path.stem], choice) for o in cases
                if o.case_path.stem in tables]  # fmt: skip
    return [
        html.Div(
            [as_of_line(cockpit.as_of, language, line_id=ids.FOLLOWUP_AS_OF_LINE),
             coverage_line(cockpit.coverage, cockpit.as_of, language,
                           line_id=ids.FOLLOWUP_COVERAGE)],
            className="kf-status-line",
        ),
        *notes_box(shared_notes(cases, language)),
        *sections,
    ]  # fmt: skip


def _case_section(
    overview: CaseOverview, cases: Sequence[CaseOverview], table: PageTable, choice: Choice
) -> html.Section:
    stem, language = overview.case_path.stem, choice.language
    return html.Section(
        [
            html.Div([html.H2(overview.title), html.Span(_shown(overview, choice),
                                                          className="kf-muted-inline")],
                     className="kf-case-head"),
            *notes_box(own_notes(overview, cases, language), compact=True),
            table_block(table, EXPORTS, language, heading=False,
                        table_id=f"{ids.FOLLOWUP_TARGETS}-{stem}", wrap=True),
        ],
        className="kf-card kf-followup-case",
    )  # fmt: skip


def _shown(overview: CaseOverview, choice: Choice) -> str:
    shown = len(chosen_targets(overview, choice.responsible))
    total = len(overview.followup.targets)
    return translate("followup.shown", choice.language, shown=shown, total=total)


def page_tables(view: CockpitView, choice: Choice) -> dict[str, PageTable]:
    """Per shown case with a target left by the filter, its targets' table, keyed by the
    case's file stem."""
    found: dict[str, PageTable] = {}
    for overview in shown_cases(view, choice.case):
        targets = chosen_targets(overview, choice.responsible)
        if targets:
            stem = overview.case_path.stem
            table = build_followup_table(targets, choice.language)
            name = f"opfoelgning-{stem}-{view.cockpit.as_of.isoformat()}"
            found[stem] = PageTable(stem, overview.title, table, name)
    return found


def build_report(
    store: LogStore, choice: Choice, report_format: ReportFormat
) -> dict[str, Any] | None:
    """The KIT DIR report of the shown cases as of the chosen date, as a download."""
    view = _load(store, choice)
    cases = shown_cases(view, choice.case)
    if view.message is not None or not cases:
        return None
    content = render_followup_report(cases, report_format=report_format, language=choice.language)
    return download_data(content, report_file_name(cases, report_format))


def page_layout(
    lang: str | None = None,
    case: str | None = None,
    as_of: str | None = None,
    responsible: str | None = None,
    **_query: str,
) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    choice = Choice(parse_language(lang), case or None, parse_as_of(as_of), responsible or None)
    return build_layout(current_store(), choice)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: the as-of date and responsible redraw the
    targets; the report button sends the report; the Excel buttons each case's table."""
    del store  # the layout and the callbacks read the serving app's store
    register_page(__name__, path=PATH, name="Opfølgning", order=2, layout=page_layout)

    @app.callback(
        Output(ids.FOLLOWUP_RESULT, "children"),
        Output(ids.FOLLOWUP_STATE, "data"),
        Input(ids.FOLLOWUP_AS_OF, "date"),
        Input(ids.FOLLOWUP_RESPONSIBLE, "value"),
        State(ids.FOLLOWUP_STATE, "data"),
        # Not on page load: the layout has drawn the targets for the URL's choice.
        prevent_initial_call=True,
    )
    def update_targets(
        as_of: str | None, responsible: str | None, state: dict[str, Any] | None
    ) -> tuple[list[Component], dict[str, str | None]]:
        kept = Choice.from_state(state or {})
        choice = Choice(kept.language, kept.case, parse_as_of(as_of), responsible or None)
        view = _load(current_store(), choice)
        return build_result(view, choice), choice.state(view.cockpit.as_of)

    @app.callback(
        Output(ids.FOLLOWUP_REPORT_DOWNLOAD, "data"),
        Input(ids.FOLLOWUP_REPORT_BUTTON, "n_clicks"),
        State(ids.FOLLOWUP_REPORT_FORMAT, "value"),
        State(ids.FOLLOWUP_STATE, "data"),
        prevent_initial_call=True,
    )
    def send_report(
        n_clicks: int | None, report_format: str | None, state: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        del n_clicks  # a click is the trigger; the state says what to build
        chosen: ReportFormat = next((f for f in REPORT_FORMATS if f == report_format), "pdf")
        return build_report(current_store(), Choice.from_state(state or {}), chosen)

    register_xlsx_downloads(
        app, EXPORTS, state_id=ids.FOLLOWUP_STATE,
        tables_for=lambda state: page_tables(
            _load(current_store(), Choice.from_state(state)), Choice.from_state(state)
        ),
    )  # fmt: skip
