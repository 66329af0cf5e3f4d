"""Automatiseringskandidater (issue #15): what ``kitflow candidates`` ranks, for analysts.

The ranked table with each factor shown (volume, hours, repetitiveness, variant spread,
suitability, criticality, net, priority, payback), the explanation per row in the page's
language, filters by log and period (empty: every flat log, each source over its own period),
the criticality an analyst sets per process (kept in the data folder) and "Lav business case":
the draft case's Tabel 1, evaluated, before the draft and its follow-up file are downloaded.
Analysts and administrators only (app/dashboard/auth_access.py); the downloads' callbacks are
checked for the role on the server like every other callback.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard.cockpit_components import download_data
from app.dashboard.components import date_range_picker, note
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import CANDIDATES_PATH
from app.formatting import Language, format_date_only, format_int, format_number
from app.i18n import parse_language, translate
from models.business_case import evaluate_case
from models.business_case_io import parse_business_case
from models.candidates import CandidateScore
from models.errors import KitflowError
from models.store import LogStore
from services import (
    CandidateOptions,
    CandidateReport,
    build_candidate_draft,
    find_candidates,
    parse_criticality,
    read_parameters,
    write_criticality,
)

PATH = CANDIDATES_PATH
TITLE: Final = "candidates-title"
LOGS: Final = "candidates-logs"
PERIOD: Final = "candidates-period"
LANGUAGE: Final = "candidates-language"
MESSAGE: Final = "candidates-message"
PERIODS: Final = "candidates-periods"
TABLE: Final = "candidates-table"
AUTOMATED: Final = "candidates-automated"
RESULT: Final = "candidates-result"
CRIT_PROCESS: Final = "candidates-crit-process"
CRIT_WEIGHT: Final = "candidates-crit-weight"
CRIT_SAVE: Final = "candidates-crit-save"
CRIT_MESSAGE: Final = "candidates-crit-message"
CASE_CHOICE: Final = "candidates-case-choice"
CASE_MAKE: Final = "candidates-case-make"
CASE_RESULT: Final = "candidates-case-result"
CASE_TABLE: Final = "candidates-case-table"
CASE_BUTTON: Final = "candidates-case-button"
BINDINGS_BUTTON: Final = "candidates-bindings-button"
DOWNLOADS: Final = "candidates-downloads"
CASE_DOWNLOAD: Final = "candidates-case-download"
BINDINGS_DOWNLOAD: Final = "candidates-bindings-download"


def build_layout(store: LogStore, language: Language) -> html.Div:
    """The controls and empty result areas; the callbacks fill them."""
    flat = [e.name for e in store.list() if e.kind == "flat"]

    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    controls = html.Section(
        [
            html.Div(
                [
                    html.Label(t("cand.logs"), htmlFor=LOGS),
                    dcc.Dropdown(
                        id=LOGS, options=flat, value=[], multi=True,
                        placeholder=t("cand.logs_placeholder"),
                    ),
                ],
                className="kf-field kf-field--log",
            ),
            html.Div(
                [
                    html.Label(t("cand.period"), htmlFor=PERIOD),
                    date_range_picker(PERIOD, language),
                ],
                className="kf-field",
            ),
        ],
        className="kf-card kf-controls",
    )  # fmt: skip
    criticality = html.Section(
        [
            html.H3(t("cand.criticality_title")),
            html.P(t("cand.criticality_intro"), className="kf-muted"),
            html.Div(
                [
                    html.Label(t("cand.process"), htmlFor=CRIT_PROCESS),
                    dcc.Dropdown(id=CRIT_PROCESS, options=[], placeholder=t("cand.process")),
                    html.Label(t("cand.weight"), htmlFor=CRIT_WEIGHT),
                    dcc.Input(id=CRIT_WEIGHT, type="text", value="2", size="6"),
                    html.Button(t("cand.save"), id=CRIT_SAVE, n_clicks=0),
                ],
                className="kf-field",
            ),
            html.Div(id=CRIT_MESSAGE),
        ],
        className="kf-card",
    )
    case = html.Section(
        [
            html.H3(t("cand.case_title")),
            html.P(t("cand.case_intro"), className="kf-muted"),
            dcc.Dropdown(id=CASE_CHOICE, options=[], placeholder=t("cand.choose")),
            html.Button(t("cand.make"), id=CASE_MAKE, n_clicks=0),
            html.Div(id=CASE_RESULT),
            # In the layout from the start (Dash checks every callback's ids against the pages'
            # layouts), shown once a draft is made.
            html.Div(
                [
                    html.Button(t("cand.download_case"), id=CASE_BUTTON, n_clicks=0),
                    html.Button(t("cand.download_bindings"), id=BINDINGS_BUTTON, n_clicks=0),
                ],
                id=DOWNLOADS,
                hidden=True,
            ),
            dcc.Download(id=CASE_DOWNLOAD),
            dcc.Download(id=BINDINGS_DOWNLOAD),
        ],
        className="kf-card",
    )
    return html.Div(
        [
            html.H1(t("cand.title"), id=TITLE),
            html.P(t("cand.intro"), className="kf-lead"),
            controls,
            html.Div(id=MESSAGE),
            html.P(id=PERIODS, className="kf-muted"),
            html.Div(id=RESULT),
            criticality,
            case,
            dcc.Store(id=LANGUAGE, data=language),
        ]
    )


def rank(
    store: LogStore, logs: list[str] | None, start: str | None, end: str | None
) -> CandidateReport:
    """The ranking for the page's filters (dates as ISO text)."""
    options = CandidateOptions(
        logs=tuple(logs or ()),
        since=dt.date.fromisoformat(start[:10]) if start else None,
        until=dt.date.fromisoformat(end[:10]) if end else None,
    )
    return find_candidates(store, options, read_parameters())


def _n(value: float | None, decimals: int, language: Language) -> str:
    return format_number(value, decimals, language)


def _pct(value: float | None, language: Language) -> str:
    return "–" if value is None else f"{format_number(value * 100, 0, language)} %"


def explain(score: CandidateScore, report: CandidateReport, language: Language) -> str:
    """The row's explanation in ``language``: the factors, the money, criticality, sources."""
    m = score.measures
    p = report.parameters
    unknown = translate("cand.unknown", language)
    text = translate(
        "cand.explain", language,
        cases=_n(score.cases_per_year, 0, language), hours=_n(score.hours_per_year, 0, language),
        basis=translate(f"cand.basis.{m.hours_basis}", language),
        standard=_pct(m.standardisation, language) if m.standardisation is not None else unknown,
        entropy=_n(m.variant_entropy, 2, language) if m.variant_entropy is not None else unknown,
        rework=_pct(m.rework_rate, language) if m.rework_rate is not None else unknown,
        exceptions=_pct(m.exception_rate, language) if m.exception_rate is not None else unknown,
        suitability=_n(score.suitability, 2, language),
        auto=_n(score.automatable_hours_per_year, 0, language),
        aav=_n(score.aarsvaerk, 2, language),
        savings=_n(score.savings_tkr, 0, language), net=_n(score.net_savings_tkr, 0, language),
        operating=_n(p.operating_cost_tkr, 0, language),
    )  # fmt: skip
    weight = _n(m.criticality, 1, language)
    if m.criticality == 1:
        text += " " + translate("cand.explain.no_criticality", language)
    elif score.net_savings_tkr <= 0:
        text += " " + translate("cand.explain.loss", language, weight=weight)
    else:
        priority = _n(score.priority_tkr, 0, language)
        text += " " + translate(
            "cand.explain.criticality", language, weight=weight, priority=priority
        )
    if m.automated is None:
        exceptions = _pct(m.exception_rate, language) if m.exception_rate is not None else unknown
        standard = _pct(m.standardisation, language) if m.standardisation is not None else unknown
        key = f"cand.explain.suggested.{score.suggested_run_mode}"
        text += " " + translate(key, language, exceptions=exceptions, standard=standard)
    if m.factor_sources:
        sources = ", ".join(
            f"{translate(f'cand.factor.{factor}', language)}: {source}"
            for factor, source in m.factor_sources
        )
        text += " " + translate("cand.explain.sources", language, sources=sources)
    if m.automated is not None:
        a = m.automated
        text += " " + translate(
            "cand.explain.automated", language, robot=a.robot_process,
            go_live=format_date_only(dt.date.fromisoformat(a.go_live), language),
            transactions=format_int(a.robot_transactions, language),
            share=_pct(a.realised_share, language), mode=_run_mode(a.run_mode, language),
        )  # fmt: skip
    return text


def _run_mode(mode: str | None, language: Language) -> str:
    return translate(f"cand.run_mode.{mode or 'none'}", language)


_CANDIDATE_COLUMNS = (
    "rank", "process", "sources", "cases", "hours", "standard", "entropy", "suitability",
    "criticality", "aav", "net", "priority", "payback", "suggested",
)  # fmt: skip
_AUTOMATED_COLUMNS = (
    "process", "sources", "cases", "hours", "robot", "run_mode", "realised", "criticality",
)  # fmt: skip


def _source_name(source: str, language: Language) -> str:
    """A source as the reader's language names it: the logs by their own names, the time
    registration (named in English by the ranking) translated."""
    if source == "time registration":
        return translate("evidence.source.time-registration", language)
    return source


def _cells(score: CandidateScore, language: Language) -> dict[str, str]:
    m = score.measures
    a = m.automated
    return {
        "rank": str(score.rank),
        "process": m.label,
        "sources": " + ".join(_source_name(s, language) for s in m.source.split(" + ")),
        "cases": _n(score.cases_per_year, 0, language),
        "hours": _n(score.hours_per_year, 0, language),
        "standard": _pct(m.standardisation, language),
        "entropy": _n(m.variant_entropy, 2, language),
        "suitability": _n(score.suitability, 2, language),
        "criticality": _n(m.criticality, 1, language),
        "aav": _n(score.aarsvaerk, 2, language),
        "net": _n(score.net_savings_tkr, 0, language),
        "priority": _n(score.priority_tkr, 0, language),
        "payback": "–" if score.payback_years is None else _n(score.payback_years, 1, language),
        "suggested": _run_mode(score.suggested_run_mode, language),
        "robot": a.robot_process if a else "–",
        "run_mode": _run_mode(a.run_mode if a else None, language),
        "realised": _pct(a.realised_share if a else None, language),
    }


def _table(
    scores: list[CandidateScore], columns: tuple[str, ...], table_id: str,
    report: CandidateReport, language: Language,
) -> html.Table:  # fmt: skip
    head = html.Thead(html.Tr([html.Th(translate(f"cand.col.{c}", language)) for c in columns]))
    rows: list[Component] = []
    for score in scores:
        cells = _cells(score, language)
        rows.append(html.Tr([html.Td(cells[c]) for c in columns]))
        rows.append(
            html.Tr(
                html.Td(
                    html.Details(
                        [
                            html.Summary(translate("cand.explanation", language)),
                            explain(score, report, language),
                        ]
                    ),
                    colSpan=len(columns),
                    className="kf-muted",
                ),
                className="kf-explanation",
            )
        )
    return html.Table([head, html.Tbody(rows)], id=table_id, className="kf-table kf-table--wrap")


def render(report: CandidateReport, language: Language) -> tuple[list[Component], str]:
    """The two tables (candidates, already automated) and the line of the sources' periods."""
    open_ = [s for s in report.scores if s.status == "candidate"]
    done = [s for s in report.scores if s.status != "candidate"]
    sections: list[Component] = [
        html.H3(translate("cand.candidates", language)),
        html.Div(_table(open_, _CANDIDATE_COLUMNS, TABLE, report, language), className="kf-scroll"),
    ]
    if done:
        sections += [
            html.H3(translate("cand.automated", language)),
            html.Div(
                _table(done, _AUTOMATED_COLUMNS, AUTOMATED, report, language),
                className="kf-scroll",
            ),
        ]
    periods = "; ".join(
        f"{_source_name(name, language)} "
        f"{format_date_only(first, language)}–{format_date_only(last, language)}"
        for name, first, last in report.periods
    )
    return sections, translate("cand.periods", language, periods=periods)


def _choices(report: CandidateReport) -> list[dict[str, str]]:
    return [
        {"label": f"{s.rank}. {s.measures.label}" if s.rank else s.measures.label,
         "value": s.measures.candidate_id}
        for s in report.scores
    ]  # fmt: skip


def case_preview(
    report: CandidateReport, wanted: str, language: Language
) -> tuple[Component, dict[str, str]]:
    """The draft's evaluated Tabel 1 and the download buttons; the draft's texts."""
    draft = build_candidate_draft(report, wanted)
    evaluation = evaluate_case(parse_business_case(draft.case_text, source=draft.case_file))
    case = parse_business_case(draft.case_text, source=draft.case_file)
    years = list(case.budget_years)
    tabel = evaluation.tables[0]
    head = html.Thead(html.Tr([html.Th("")] + [html.Th(str(y)) for y in years]))
    body = html.Tbody(
        [
            html.Tr(
                [html.Td(row.label)]
                + [
                    html.Td("-" if cell is None else format_number(float(cell), 0, language))
                    for cell in row.cells_tkr
                ]
            )
            for row in tabel.rows
        ]
    )
    preview = html.Div(
        [
            html.H4(translate("cand.tabel1", language, title=case.title)),
            html.Table([head, body], id=CASE_TABLE, className="kf-table"),
        ]
    )
    texts = {
        "case_file": draft.case_file,
        "case_text": draft.case_text,
        "bindings_file": draft.bindings_file,
        "bindings_text": draft.bindings_text,
    }
    return preview, texts


def _ranked(
    store: LogStore, logs: list[str] | None, start: str | None, end: str | None, language: Language
) -> tuple[CandidateReport | None, Component | None]:
    """The ranking, or a note in the page saying why not (a bad date, nothing to rank)."""
    try:
        return rank(store, logs, start, end), None
    except ValueError as error:
        text = translate("cand.bad_period", language, error=str(error))
        return None, note(text, kind="error")
    except KitflowError as error:
        return None, note(translate("cand.error", language, error=str(error)), kind="error")


def _save_criticality(
    store: LogStore, process: str | None, weight: str | None, language: Language
) -> Component:
    try:
        name, value = parse_criticality(f"{process or ''}={weight or ''}")
        write_criticality(store.data, name, value)
    except KitflowError:
        return note(translate("cand.bad_weight", language), kind="error")
    return note(translate("cand.saved", language, name=name, weight=_n(value, 1, language)))


def page_layout(lang: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks."""
    register_page(
        __name__, path=PATH, name="Automatiseringskandidater", order=6, layout=page_layout
    )
    drafts: dict[str, dict[str, str]] = {}

    @app.callback(
        Output(RESULT, "children"),
        Output(PERIODS, "children"),
        Output(MESSAGE, "children"),
        Output(CRIT_PROCESS, "options"),
        Output(CASE_CHOICE, "options"),
        Output(CRIT_MESSAGE, "children"),
        Input(LOGS, "value"),
        Input(PERIOD, "start_date"),
        Input(PERIOD, "end_date"),
        Input(CRIT_SAVE, "n_clicks"),
        State(CRIT_PROCESS, "value"),
        State(CRIT_WEIGHT, "value"),
        State(LANGUAGE, "data"),
    )
    def update(  # noqa: PLR0917 (Dash passes the inputs by position)
        logs: list[str] | None, start: str | None, end: str | None, saves: int | None,
        process: str | None, weight: str | None, language: str | None,
    ) -> tuple[Any, ...]:  # fmt: skip
        chosen = parse_language(language)
        saved: Component | None = None
        if saves and dash.ctx.triggered_id == CRIT_SAVE:
            saved = _save_criticality(store, process, weight, chosen)
        report, message = _ranked(store, logs, start, end, chosen)
        if report is None:
            return [], "", message, [], [], saved
        sections, periods = render(report, chosen)
        names = sorted({s.measures.label for s in report.scores})
        return sections, periods, None, names, _choices(report), saved

    @app.callback(
        Output(CASE_RESULT, "children"),
        Output(DOWNLOADS, "hidden"),
        Input(CASE_MAKE, "n_clicks"),
        State(CASE_CHOICE, "value"),
        State(LOGS, "value"),
        State(PERIOD, "start_date"),
        State(PERIOD, "end_date"),
        State(LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def make_case(  # noqa: PLR0917 (Dash passes the inputs by position)
        clicks: int | None, wanted: str | None, logs: list[str] | None, start: str | None,
        end: str | None, language: str | None,
    ) -> tuple[Component, bool]:  # fmt: skip
        chosen = parse_language(language)
        if not wanted:
            return note(translate("cand.choose", chosen), kind="warning"), True
        report, message = _ranked(store, logs, start, end, chosen)
        if report is None or message is not None:
            return message or html.Div(), True
        try:
            preview, texts = case_preview(report, wanted, chosen)
        except KitflowError as error:
            return note(translate("cand.error", chosen, error=str(error)), kind="error"), True
        drafts[wanted] = texts
        return preview, False

    def _send(kind: str) -> Any:
        def send(clicks: int | None, wanted: str | None) -> Any:
            texts = drafts.get(wanted or "")
            if not clicks or texts is None:
                return dash.no_update
            return download_data(texts[f"{kind}_text"].encode("utf-8"), texts[f"{kind}_file"])

        return send

    app.callback(
        Output(CASE_DOWNLOAD, "data"),
        Input(CASE_BUTTON, "n_clicks"),
        State(CASE_CHOICE, "value"),
        prevent_initial_call=True,
    )(_send("case"))
    app.callback(
        Output(BINDINGS_DOWNLOAD, "data"),
        Input(BINDINGS_BUTTON, "n_clicks"),
        State(CASE_CHOICE, "value"),
        prevent_initial_call=True,
    )(_send("bindings"))
