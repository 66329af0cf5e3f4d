"""One business case's benefit realisation ("Gevinstrealisering").

Tabel 1 in Copenhagen's layout with rows for budget, realised and forecast; the savings and
costs per year, and the cumulative net effect; per sub-solution the three measurement
methods side by side with their bands and the realisation. ``?case=<file stem>`` chooses
the case (the first when absent; the links name each case by its title), ``?as_of=`` the
date (default: the data's last day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import flask
from dash import dcc, html
from dash.development.base_component import Component
from werkzeug.wrappers import Response as BaseResponse

from app.dashboard import ids
from app.dashboard.cockpit_components import (
    ExportIds,
    PageTable,
    as_of_line,
    case_links,
    chart,
    coverage_line,
    notes_box,
    own_notes,
    register_xlsx_downloads,
    table_block,
)
from app.dashboard.cockpit_data import CockpitView, load_state_view, load_view, parse_as_of
from app.dashboard.components import note, with_stale_banner
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import OLD_BENEFITS_PATH, REALISATION_PATH
from app.dashboard.usage import load_usage
from app.evidence import describe_disagreement
from app.figures.capacity_table import build_capacity_table
from app.figures.cockpit_charts import build_cumulative_figure, build_yearly_figure
from app.figures.cockpit_tables import (
    AreaUsage,
    build_case_tables,
    build_method_table,
    build_usage_table,
)
from app.figures.dates import format_day
from app.formatting import Language, format_int, format_number
from app.i18n import parse_language, translate
from models.realisation import SolutionRealisation
from models.store import LogStore
from services import CaseOverview

PATH = REALISATION_PATH
EXPORTS = ExportIds(ids.REALISATION_XLSX, ids.REALISATION_XLSX_DOWNLOAD)
USAGE_TABLE = "brugere"
CAPACITY_TABLE = "kapacitet"


def build_layout(
    store: LogStore, language: Language, case: str | None = None, as_of: dt.date | None = None
) -> html.Div:
    """The page for the case ``case`` (a file stem) as of ``as_of``."""
    view = load_view(store.data, language, as_of, message_id=ids.REALISATION_MESSAGE)
    page = build_page(view, language, case, _usage(store, view, case))
    return with_stale_banner(page, store.data, language)


def _usage(store: LogStore, view: CockpitView, case: str | None) -> tuple[AreaUsage, ...]:
    chosen = choose_case(view, case)
    if chosen is None:
        return ()
    return load_usage(store.data, chosen.case_path, view.cockpit.as_of)


def choose_case(view: CockpitView, case: str | None) -> CaseOverview | None:
    """The case whose file stem is ``case``; the first case otherwise."""
    overviews = view.cockpit.overviews
    found = next((o for o in overviews if o.case_path.stem == case), None)
    return found or (overviews[0] if overviews else None)


def build_page(
    view: CockpitView,
    language: Language,
    case: str | None = None,
    usage: Sequence[AreaUsage] = (),
) -> html.Div:
    """The page for the chosen case of the loaded ones (or the message why there is none),
    with ``usage``, its solutions' users per service area."""
    header: list[Component] = [
        html.H1(translate("realisation.title", language), id=ids.REALISATION_TITLE),
        html.P(translate("realisation.intro", language), className="kf-lead"),
    ]
    chosen = choose_case(view, case)
    if view.message is not None or chosen is None:
        # The Store stays (empty): see the overview page.
        return html.Div([*header, view.message, dcc.Store(id=ids.REALISATION_STATE)])
    cockpit = view.cockpit
    as_of = cockpit.as_of.isoformat()
    state = {"lang": language, "as_of": as_of, "case": chosen.case_path.stem}
    return html.Div(
        [
            *header,
            case_links(cockpit.overviews, chosen, language, path=PATH,
                       nav_id=ids.REALISATION_CASES, as_of=as_of),
            html.Div(
                [as_of_line(cockpit.as_of, language, line_id=ids.REALISATION_AS_OF),
                 coverage_line(cockpit.coverage, cockpit.as_of, language,
                               line_id=ids.REALISATION_COVERAGE)],
                className="kf-status-line",
            ),
            *_case_sections(chosen, usage, language),
            dcc.Store(id=ids.REALISATION_STATE, data=state),
        ]
    )  # fmt: skip


def _case_sections(
    overview: CaseOverview, usage: Sequence[AreaUsage], language: Language
) -> list[Component]:
    stem = overview.case_path.stem
    tables = page_tables_of(overview, usage, language)
    solutions = overview.followup.realisation.solutions
    return [
        html.H2(overview.title, id=ids.REALISATION_CASE_TITLE, className="kf-case-title"),
        html.P(_facts(overview, language), id=ids.REALISATION_FACTS, className="kf-muted"),
        *notes_box(own_notes(overview, (), language)),
        html.Div(
            [
                _chart_card("realisation.yearly", build_yearly_figure(overview, language),
                            ids.REALISATION_YEARLY, f"{stem}-gevinst-pr-aar", language),
                _chart_card("overview.curve", build_cumulative_figure(overview, language,
                                                                      height=320),
                            ids.REALISATION_CURVE, f"{stem}-tilbagebetaling", language),
            ],
            className="kf-two-columns",
        ),
        html.Section(
            [html.H3(translate("realisation.tables", language)),
             *[table_block(tables[f"tabel-{i}"], EXPORTS, language,
                           table_id=f"{ids.REALISATION_TABLE}-{i}")
               for i, _ in enumerate(overview.tables, start=1)]],
            className="kf-card",
        ),
        html.Section(
            [html.H3(translate("realisation.methods", language)),
             html.P(translate("realisation.methods_note", language), className="kf-muted"),
             *[_solution_block(s, i, tables, language) for i, s in enumerate(solutions, start=1)]],
            className="kf-card",
        ),
        *_capacity_section(tables, language),
        html.Section(
            [html.H3(translate("realisation.usage", language)),
             html.P(translate("realisation.usage_note", language), className="kf-muted"),
             table_block(tables[USAGE_TABLE], EXPORTS, language, heading=False,
                         table_id=ids.REALISATION_USAGE)],
            className="kf-card",
        ),
    ]  # fmt: skip


def _capacity_section(tables: Mapping[str, PageTable], language: Language) -> list[Component]:
    """Capacity and budget apart, when the binding names where freed time goes."""
    if CAPACITY_TABLE not in tables:
        return []
    return [
        html.Section(
            [html.H3(translate("capacity.title", language)),
             html.P(translate("capacity.note", language), className="kf-muted"),
             table_block(tables[CAPACITY_TABLE], EXPORTS, language, heading=False,
                         table_id=ids.REALISATION_CAPACITY)],
            className="kf-card",
        )
    ]  # fmt: skip


def _facts(overview: CaseOverview, language: Language) -> str:
    return translate(
        "realisation.facts",
        language,
        pl_year=overview.price_level_year,
        hours=format_number(float(overview.hours_per_aav), 0, language),
        kroner=format_int(int(overview.kroner_per_aav), language),
    )


def _chart_card(
    title_key: str, figure: Any, graph_id: str, filename: str, language: Language
) -> html.Section:
    return html.Section(
        [html.H3(translate(title_key, language)), chart(figure, graph_id=graph_id,
                                                       filename=filename)],
        className="kf-card",
    )  # fmt: skip


def _solution_block(
    solution: SolutionRealisation, index: int, tables: Mapping[str, PageTable], language: Language
) -> html.Div:
    method = (
        translate(f"method.{solution.primary}", language)
        if solution.primary
        else translate("realisation.no_method", language)
    )
    facts = translate(
        "realisation.go_live",
        language,
        date=format_day(solution.go_live.date(), language),
        method=method,
    )
    disagreements = [
        note(describe_disagreement(d, language), kind="warning", compact=True)
        for d in solution.disagreements
    ]
    return html.Div(
        [
            html.H4(solution.name),
            html.P(facts, className="kf-muted"),
            table_block(tables[f"metoder-{index}"], EXPORTS, language,
                        table_id=f"{ids.REALISATION_METHODS}-{index}", heading=False),
            *disagreements,
        ],
        id={"type": ids.REALISATION_SOLUTION, "key": str(index)},
        className="kf-solution",
    )  # fmt: skip


def page_tables_of(
    overview: CaseOverview, usage: Sequence[AreaUsage], language: Language
) -> dict[str, PageTable]:
    """The case's tables by key: its KK tables (``tabel-1``, ...), each sub-solution's
    measurements (``metoder-1``, ...), numbered in the case's order, and the users."""
    stem = overview.case_path.stem
    found: dict[str, PageTable] = {}
    for i, (source, table) in enumerate(
        zip(overview.tables, build_case_tables(overview, language), strict=True), start=1
    ):
        found[f"tabel-{i}"] = PageTable(f"tabel-{i}", source.title, table, f"{stem}-{source.key}")
    for i, solution in enumerate(overview.followup.realisation.solutions, start=1):
        table = build_method_table(solution, language)
        found[f"metoder-{i}"] = PageTable(
            f"metoder-{i}", solution.name, table, f"{stem}-metoder-{i}"
        )
    capacity = build_capacity_table(overview.followup.realisation, language)
    if capacity is not None:
        title = translate("capacity.title", language)
        found[CAPACITY_TABLE] = PageTable(CAPACITY_TABLE, title, capacity,
                                          f"{stem}-{CAPACITY_TABLE}")  # fmt: skip
    names = [s.name for s in overview.followup.realisation.solutions]
    users = build_usage_table(names, usage, language)
    title = translate("realisation.col.users", language)
    found[USAGE_TABLE] = PageTable(USAGE_TABLE, title, users, f"{stem}-{USAGE_TABLE}")
    return found


def _tables_for_state(state: Mapping[str, Any]) -> Mapping[str, PageTable]:
    view, language = load_state_view(state, message_id=ids.REALISATION_MESSAGE)
    chosen = choose_case(view, state.get("case"))
    if chosen is None:
        return {}
    usage = load_usage(current_store().data, chosen.case_path, view.cockpit.as_of)
    return page_tables_of(chosen, usage, language)


def page_layout(
    lang: str | None = None, case: str | None = None, as_of: str | None = None, **_query: str
) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), case, parse_as_of(as_of))


def _to_this_page() -> BaseResponse:
    """The old Gevinster address leads here, with its query (case, language)."""
    query = flask.request.query_string.decode()
    return flask.redirect(f"{PATH}?{query}" if query else PATH)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page (the old Gevinster address leads here) and its Excel downloads."""
    del store  # the layout and the downloads read the serving app's store
    register_page(__name__, path=PATH, name="Gevinstrealisering", order=1, layout=page_layout)
    # Dash's own redirect_from registers on the last app made in the process, not this one.
    app.server.add_url_rule(OLD_BENEFITS_PATH, "old-benefits-page", _to_this_page)
    register_xlsx_downloads(app, EXPORTS, state_id=ids.REALISATION_STATE,
                            tables_for=_tables_for_state)  # fmt: skip
