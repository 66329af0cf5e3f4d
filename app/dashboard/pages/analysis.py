"""The process-analysis page ("Procesanalyse"): variants, bottlenecks and handovers between org
units of one stored flat log, in a chosen period and for chosen org units.

What ``kitflow variants``, ``kitflow bottlenecks`` and ``kitflow handovers`` print, for analysts
and directors who do not use the command line. Handovers are shown between org units only: no
view on this page profiles a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.analysis_data import (
    AnalysisData,
    AnalysisFilters,
    list_org_units,
    load_analysis,
    log_period,
)
from app.dashboard.analysis_sections import build_sections
from app.dashboard.components import date_range_picker, empty_store_message, note, stale_notes
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.pages.process_map import dropdown_labels
from app.dashboard.process_map_view import LIST_SEPARATOR, as_tuple, read_day
from app.dashboard.routes import ANALYSIS_PATH
from app.formatting import DISPLAY_ZONE, Language, format_date, format_int
from app.i18n import DEFAULT_LANGUAGE, parse_language, translate
from models.errors import InputError, KitflowError
from models.store import LogStore

PATH = ANALYSIS_PATH


def build_layout(
    store: LogStore,
    language: Language,
    log: str | None = None,
    params: Mapping[str, str] | None = None,
) -> html.Div:
    """The page in ``language``; ``log`` (from the URL) preselects a stored flat log and
    ``params`` (the URL's ``start``, ``end`` and ``units``) its period and org units, so a
    link, a reload or a switch of language keeps the view."""
    entries = store.list()
    flat = [e.name for e in entries if e.kind == "flat"]
    others = [e.name for e in entries if e.kind != "flat"]
    chosen = log if log in flat else None
    notes: list[Component] = []
    if not entries:
        notes.append(empty_store_message(language, message_id=ids.ANALYSIS_EMPTY))
    elif not flat:
        notes.append(note(translate("map.only_object_centric", language), kind="warning"))
    if others:
        notes.append(note(translate("map.object_centric", language, names=", ".join(others))))
    notes += stale_notes(store.data, language)
    return html.Div(
        [
            html.H1(translate("analysis.title", language), id=ids.ANALYSIS_TITLE),
            html.P(translate("analysis.intro", language), className="kf-lead"),
            *notes,
            # Kept in the page even when hidden (no flat log), so the callbacks find it.
            html.Div(
                [
                    _controls(store, flat, chosen, language, params or {}),
                    html.P(id=ids.ANALYSIS_SUMMARY, className="kf-muted"),
                    html.Div(id=ids.ANALYSIS_MESSAGE),
                    html.Div(id=ids.ANALYSIS_RESULT),
                ],
                id=ids.ANALYSIS_WORKSPACE,
                hidden=not flat,
            ),
            dcc.Store(id=ids.ANALYSIS_LANGUAGE, data=language),
            dcc.Store(id=ids.ANALYSIS_SEARCH),
        ]
    )


@dataclass(frozen=True)
class LogControls:
    """What the filters offer for one log: its period and its org units."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None
    org_units: tuple[str, ...] = ()


def log_controls(store: LogStore, log: str | None) -> LogControls:
    """The period and org units of ``log``; nothing for no log or one that cannot be read
    (the analysis callback reports the problem)."""
    if not log:
        return LogControls()
    try:
        first, last = log_period(store, log)
        units = list_org_units(store, log) if store.entry(log).kind == "flat" else ()
    except KitflowError:
        return LogControls()
    return LogControls(first, last, units)


def _controls(
    store: LogStore,
    flat: list[str],
    chosen: str | None,
    language: Language,
    params: Mapping[str, str],
) -> html.Section:
    found = log_controls(store, chosen)
    start = _url_day(params.get("start"), language) or found.first_day
    end = _url_day(params.get("end"), language) or found.last_day
    named = (params.get("units") or "").split(LIST_SEPARATOR)
    chosen_units = [u for u in named if u in found.org_units]
    if chosen is None:
        start, end, chosen_units = found.first_day, found.last_day, []
    log_picker = html.Div(
        [
            html.Label(translate("map.log", language), htmlFor=ids.ANALYSIS_LOG),
            dcc.Dropdown(
                id=ids.ANALYSIS_LOG,
                options=[{"label": name, "value": name} for name in flat],
                value=chosen,
                placeholder=translate("map.log_placeholder", language),
                clearable=False,
                labels=dropdown_labels(language),
            ),
        ],
        className="kf-field kf-field--log",
    )
    period = html.Div(
        [
            html.Label(translate("analysis.period", language), htmlFor=ids.ANALYSIS_PERIOD),
            date_range_picker(
                ids.ANALYSIS_PERIOD,
                language,
                start_date=_iso(start),
                end_date=_iso(end),
                min_date_allowed=_iso(found.first_day),
                max_date_allowed=_iso(found.last_day),
            ),
        ],
        className="kf-field",
    )
    units = html.Div(
        [
            html.Label(translate("analysis.org_units", language), htmlFor=ids.ANALYSIS_ORG_UNITS),
            dcc.Dropdown(
                id=ids.ANALYSIS_ORG_UNITS,
                options=list(found.org_units),
                value=chosen_units,
                multi=True,
                placeholder=translate("analysis.org_units_placeholder", language),
                labels=dropdown_labels(language),
            ),
        ],
        id=ids.ANALYSIS_ORG_UNITS_FIELD,
        className="kf-field",
        hidden=not found.org_units,
    )
    return html.Section(
        [log_picker, period, units], id=ids.ANALYSIS_CONTROLS, className="kf-card kf-controls"
    )


@dataclass(frozen=True)
class AnalysisView:
    """What the analysis callback shows: the sections, a summary line, or a note."""

    sections: list[Component] = field(default_factory=list)
    summary: str = ""
    message: Component | None = None


def render_analysis(
    store: LogStore, log: str | None, filters: AnalysisFilters, language: Language
) -> AnalysisView:
    """The three sections for ``log`` under ``filters``, or a note saying why not."""
    if not log:
        return AnalysisView(message=note(translate("analysis.choose", language)))
    try:
        if store.entry(log).kind != "flat":
            text = translate("map.not_flat", language, name=log)
            return AnalysisView(message=note(text, kind="warning"))
        data = load_analysis(store, log, filters)
    except KitflowError as error:
        text = translate("analysis.error", language, error=str(error))
        return AnalysisView(message=note(text, kind="error"))
    if data.withheld:
        text = translate("analysis.withheld", language, name=log)
        return AnalysisView(message=note(text, kind="warning"))
    if data.cases == 0:
        text = translate("analysis.empty_window", language, name=log)
        return AnalysisView(message=note(text, kind="warning"))
    message = None
    if data.partitioned:  # computed one partition at a time: say so
        text = translate("partitioned.analysis_note", language, name=log)
        message = note(text, note_id=ids.ANALYSIS_PARTITIONED)
    return AnalysisView(
        sections=build_sections(data, log, language),
        summary=_summary(store, log, filters, data, language),
        message=message,
    )


def _summary(
    store: LogStore, log: str, filters: AnalysisFilters, data: AnalysisData, language: Language
) -> str:
    first, last = log_period(store, log)
    return translate(
        "analysis.summary",
        language,
        cases=format_int(data.cases, language),
        variants=format_int(data.variant_count, language),
        start=_day(filters.start or first, language),
        end=_day(filters.end or last, language),
    )


def _day(day: dt.date | None, language: Language) -> str:
    # Noon in Copenhagen is the same calendar day there, whatever the offset.
    moment = None if day is None else dt.datetime.combine(day, dt.time(12), DISPLAY_ZONE)
    return format_date(moment, language)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def parse_filters(
    start: str | None,
    end: str | None,
    org_units: list[str] | str | None,
    language: Language = "da",
) -> AnalysisFilters:
    """The filters from the controls' values (dates as ISO text, maybe with a time part, or
    Danish 1.3.2025). Raises InputError, in ``language``, for a value that is no date (as a
    directly sent request may hold) or a period that ends before it begins."""
    first = read_day(str(start), language) if start else None
    last = read_day(str(end), language) if end else None
    if first is not None and last is not None and last < first:
        raise InputError(
            translate("analysis.bad_period", language, start=_day(first, language),
                      end=_day(last, language))
        )  # fmt: skip
    return AnalysisFilters(start=first, end=last, org_units=tuple(sorted(as_tuple(org_units))))


def _url_day(value: str | None, language: Language) -> dt.date | None:
    """A day from the URL, or None when absent or no date (the callback then reports it)."""
    try:
        return read_day(value, language) if value else None
    except InputError:
        return None


def write_search(log: str | None, filters: AnalysisFilters, language: Language) -> str:
    """The URL query (``?log=...&start=...&end=...&units=...``) that reproduces the view."""
    query = {
        "log": log,
        "start": _iso(filters.start),
        "end": _iso(filters.end),
        "units": LIST_SEPARATOR.join(filters.org_units) or None,
    }
    return "?" + urlencode({k: v for k, v in query.items() if v} | _lang(language))


def _lang(language: Language) -> dict[str, str]:
    return {} if language == DEFAULT_LANGUAGE else {"lang": language}


def page_layout(lang: str | None = None, log: str | None = None, **query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log, query)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: log and filters in, sections out; and a newly
    chosen log resets the period and the org units to its own."""
    register_page(__name__, path=PATH, name="Procesanalyse", order=5, layout=page_layout)

    @app.callback(
        Output(ids.ANALYSIS_RESULT, "children"),
        Output(ids.ANALYSIS_SUMMARY, "children"),
        Output(ids.ANALYSIS_MESSAGE, "children"),
        Output(ids.ANALYSIS_SEARCH, "data"),
        Input(ids.ANALYSIS_LOG, "value"),
        Input(ids.ANALYSIS_PERIOD, "start_date"),
        Input(ids.ANALYSIS_PERIOD, "end_date"),
        Input(ids.ANALYSIS_ORG_UNITS, "value"),
        State(ids.ANALYSIS_LANGUAGE, "data"),
    )
    def update_analysis(
        log: str | None,
        start: str | None,
        end: str | None,
        org_units: list[str] | None,
        language: str | None,
    ) -> tuple[list[Component], str, Component | None, Any]:
        chosen = parse_language(language)
        try:
            filters = parse_filters(start, end, org_units, chosen)
        except InputError as error:
            return [], "", note(str(error), kind="error"), dash.no_update
        view = render_analysis(store, log, filters, chosen)
        return view.sections, view.summary, view.message, write_search(log, filters, chosen)

    # The browser's address follows the view (no reload), and the header's language links
    # with it: switching language keeps the log, the period and the org units.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        "function(search) { return search === undefined || search === null ? "
        "window.dash_clientside.no_update : search; }",
        Output(ids.SHELL_URL, "search", allow_duplicate=True),
        Input(ids.ANALYSIS_SEARCH, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.ANALYSIS_PERIOD, "start_date"),
        Output(ids.ANALYSIS_PERIOD, "end_date"),
        Output(ids.ANALYSIS_PERIOD, "min_date_allowed"),
        Output(ids.ANALYSIS_PERIOD, "max_date_allowed"),
        Output(ids.ANALYSIS_ORG_UNITS, "options"),
        Output(ids.ANALYSIS_ORG_UNITS, "value"),
        Output(ids.ANALYSIS_ORG_UNITS_FIELD, "hidden"),
        Input(ids.ANALYSIS_LOG, "value"),
        # Not on page load: then the layout has set the controls for the log in the URL.
        prevent_initial_call=True,
    )
    def reset_filters_for_log(
        log: str | None,
    ) -> tuple[str | None, str | None, str | None, str | None, list[str], list[str], bool]:
        found = log_controls(store, log)
        first, last = _iso(found.first_day), _iso(found.last_day)
        return first, last, first, last, list(found.org_units), [], not found.org_units
