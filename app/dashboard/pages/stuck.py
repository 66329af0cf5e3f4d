"""The worklist *Fastlåste sager*: open orders and items untouched for at least a number of
working days, where they wait and since when, oldest first, exportable.

A list of cases, not a figure about people: the 5-person rule does not apply, and no person is
shown (:func:`services.find_stuck`). When the log has a stored prediction model (``kitflow
predict cases-train LOG``), each case shows its expected remaining time, its risk of breaching
the SLA and its expected next event as of the list's moment (:mod:`app.dashboard.open_cases`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import empty_store_message, note, render_table
from app.dashboard.data import current_store
from app.dashboard.open_cases import (
    find_predictions,
    model_text,
    prediction_cells,
    prediction_columns,
)
from app.dashboard.pages import register_page
from app.dashboard.routes import STUCK_PATH
from app.dashboard.workbench import export_buttons, export_table, log_picker, table_card, text_field
from app.figures.tables import Amount, Cell, Column, TableData
from app.formatting import (
    DISPLAY_ZONE,
    Language,
    format_date,
    format_datetime,
    format_int,
    format_number,
)
from app.i18n import parse_language, translate
from models.errors import KitflowError
from models.store import LogStore
from services import DEFAULT_STUCK_DAYS, OpenCasePredictions, StuckReport, find_stuck

PATH = STUCK_PATH
PREFERRED_LOGS = ("servicenow-orders", "kit-orders")


def build_layout(store: LogStore, language: Language, log: str | None = None) -> html.Div:
    """The page in ``language``; ``log`` (from the URL) preselects a stored flat log."""
    flat = [e.name for e in store.list() if e.kind == "flat"]
    preferred = [name for name in PREFERRED_LOGS if name in flat]
    chosen = log if log in flat else (preferred[0] if preferred else None)
    head: list[Component] = [
        html.H1(translate("stuck.title", language), id=ids.STUCK_TITLE),
        html.P(translate("stuck.intro", language), className="kf-lead"),
    ]
    if not flat:
        head.append(empty_store_message(language, message_id=ids.STUCK_EMPTY))
    return html.Div(
        [
            *head,
            html.Div(
                [
                    html.Section(
                        [
                            log_picker(ids.STUCK_LOG, flat, chosen, language),
                            text_field(
                                translate("stuck.as_of", language),
                                ids.STUCK_AS_OF,
                                placeholder=translate("stuck.as_of_placeholder", language),
                            ),
                            text_field(
                                translate("stuck.days", language),
                                ids.STUCK_DAYS,
                                value=format_number(DEFAULT_STUCK_DAYS, 0, language),
                            ),
                        ],
                        className="kf-card kf-controls",
                    ),
                    html.P(id=ids.STUCK_SUMMARY, className="kf-muted"),
                    html.Div(id=ids.STUCK_MESSAGE),
                    table_card(
                        translate("stuck.areas_title", language), [html.Div(id=ids.STUCK_AREAS)]
                    ),
                    table_card(
                        translate("stuck.list_title", language),
                        [html.Div(id=ids.STUCK_TABLE)],
                        buttons=export_buttons(
                            ids.STUCK_CSV, ids.STUCK_XLSX, ids.STUCK_DOWNLOAD, language
                        ),
                    ),
                ],
                hidden=not flat,
            ),
            dcc.Store(id=ids.STUCK_LANGUAGE, data=language),
        ]
    )


def parse_days(text: object) -> float | None:
    """Working days typed as 5, 2,5 or 2.5 (0 or more); None when it is not such a number."""
    try:
        value = float(str(text).strip().replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def parse_day(text: str) -> dt.date | None:
    """A date typed as 30.06.2025, 30.6.2025, 30-06-2025 or 2025-06-30; None otherwise."""
    cleaned = text.strip()
    for pattern in ("%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    return None


def as_of_moment(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Copenhagen (midnight after it), as a UTC moment."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), DISPLAY_ZONE)
    return midnight.astimezone(dt.UTC)


@dataclass(frozen=True)
class StuckView:
    """What the page's callback shows."""

    areas: Component | None = None
    table: Component | None = None
    summary: str = ""
    message: Component | None = None


def compute_view_report(
    store: LogStore, log: str | None, as_of_text: str | None, days_text: object, language: Language
) -> StuckReport | Component:
    """The report for the controls' values, or a note saying what to fix."""
    if not log:
        return note(translate("stuck.choose", language))
    days = parse_days(days_text)
    if days is None:
        return note(translate("stuck.bad_days", language), kind="error")
    moment = None
    if as_of_text and as_of_text.strip():
        day = parse_day(as_of_text)
        if day is None:
            return note(translate("stuck.bad_date", language, value=as_of_text), kind="error")
        moment = as_of_moment(day)
    try:
        return find_stuck(store, log, as_of=moment, min_working_days=days)
    except KitflowError as error:
        return note(translate("stuck.error", language, error=str(error)), kind="error")


def render_stuck(
    store: LogStore, log: str | None, as_of_text: str | None, days_text: object, language: Language
) -> StuckView:
    """The summary, the count per unit and the list, or a note saying why not."""
    report = compute_view_report(store, log, as_of_text, days_text, language)
    if not isinstance(report, StuckReport):
        return StuckView(message=report)
    summary = translate(
        "stuck.summary",
        language,
        stuck=format_int(report.cases.height, language),
        open=format_int(report.open_cases, language),
        days=format_number(report.min_working_days, 0 if report.min_working_days.is_integer()
                           else 1, language),
        as_of=_moment_text(report.as_of, as_of_text, language),
    )  # fmt: skip
    if report.cases.is_empty():
        return StuckView(summary=summary, message=note(translate("stuck.none", language)))
    found = find_stuck_predictions(store, report)
    table = stuck_table(report, language, None if found is None else by_case(found))
    if found is None:
        message = note(translate("stuck.no_model", language, log=report.log), compact=True)
    else:
        message = note(model_text(found.card, language), compact=True)
    return StuckView(
        areas=render_table(unit_table(report, language), table_id=f"{ids.STUCK_AREAS}-table"),
        table=render_table(table, table_id=f"{ids.STUCK_TABLE}-table", compact=True),
        summary=summary,
        message=message,
    )


def find_stuck_predictions(store: LogStore, report: StuckReport) -> OpenCasePredictions | None:
    """The waiting cases' predictions as of the list's moment; None without a model."""
    cases = report.cases["case_id"].to_list()
    return find_predictions(store, report.log, as_of=report.as_of, cases=cases)


def by_case(found: OpenCasePredictions) -> dict[str, dict[str, Any]]:
    """Each case's prediction row by its id."""
    return {row["case_id"]: row for row in found.cases.iter_rows(named=True)}


def _moment_text(moment: dt.datetime, typed: str | None, language: Language) -> str:
    """A typed date as that day (the list is as of its end); the log's end as its time."""
    if typed and typed.strip():
        return format_date(moment - dt.timedelta(microseconds=1), language)
    return format_datetime(moment, language)


def unit_table(report: StuckReport, language: Language) -> TableData:
    """The waiting cases per unit, the most first."""
    counts = Counter(report.cases["org_unit"].to_list())
    columns = (
        Column("unit", translate("stuck.col.unit", language)),
        Column("cases", translate("stuck.col.cases", language), numeric=True),
    )
    rows = tuple(
        {"unit": unit, "cases": Amount(count, format_int(count, language))}
        for unit, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    return TableData(columns, rows)


def stuck_table(
    report: StuckReport,
    language: Language,
    predicted: dict[str, dict[str, Any]] | None = None,
) -> TableData:
    """One row per waiting case, oldest wait first; with ``predicted`` (per case) the
    prediction columns too."""
    columns = (
        Column("case", translate("stuck.col.case", language)),
        Column("unit", translate("stuck.col.unit", language)),
        Column("in_unit_since", translate("stuck.col.in_unit_since", language)),
        Column("last_activity", translate("stuck.col.last_activity", language)),
        Column("waiting_since", translate("stuck.col.waiting_since", language)),
        Column("days", translate("stuck.col.days", language), numeric=True),
        *(prediction_columns(language) if predicted is not None else ()),
    )
    rows: list[dict[str, Cell]] = [
        {
            "case": row["case_id"],
            "unit": row["org_unit"],
            "in_unit_since": format_datetime(row["in_unit_since"], language),
            "last_activity": row["last_activity"],
            "waiting_since": format_datetime(row["waiting_since"], language),
            "days": Amount(
                round(row["waiting_working_days"], 1),
                format_number(row["waiting_working_days"], 1, language),
                1,
            ),
            **(
                prediction_cells(predicted.get(row["case_id"]), language)
                if predicted is not None
                else {}
            ),
        }
        for row in report.cases.iter_rows(named=True)
    ]
    return TableData(columns, tuple(rows))


def page_layout(lang: str | None = None, log: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: the list, and its export."""
    register_page(__name__, path=PATH, name="Fastlåste sager", order=7, layout=page_layout)

    @app.callback(
        Output(ids.STUCK_AREAS, "children"),
        Output(ids.STUCK_TABLE, "children"),
        Output(ids.STUCK_SUMMARY, "children"),
        Output(ids.STUCK_MESSAGE, "children"),
        Input(ids.STUCK_LOG, "value"),
        Input(ids.STUCK_AS_OF, "value"),
        Input(ids.STUCK_DAYS, "value"),
        State(ids.STUCK_LANGUAGE, "data"),
    )
    def update(
        log: str | None, as_of: str | None, days: object, language: str | None
    ) -> tuple[Any, ...]:
        view = render_stuck(store, log, as_of, days, parse_language(language))
        return view.areas, view.table, view.summary, view.message

    @app.callback(
        Output(ids.STUCK_DOWNLOAD, "data"),
        Input(ids.STUCK_CSV, "n_clicks"),
        Input(ids.STUCK_XLSX, "n_clicks"),
        State(ids.STUCK_LOG, "value"),
        State(ids.STUCK_AS_OF, "value"),
        State(ids.STUCK_DAYS, "value"),
        State(ids.STUCK_LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def download(
        _csv: int | None,
        _xlsx: int | None,
        log: str | None,
        as_of: str | None,
        days: object,
        language: str | None,
    ) -> dict[str, Any] | None:
        kind = "xlsx" if ctx.triggered_id == ids.STUCK_XLSX else "csv"
        return export_stuck(
            store, log=log, as_of=as_of, days=days, language=parse_language(language), kind=kind
        )


def export_stuck(
    store: LogStore,
    *,
    log: str | None,
    as_of: str | None,
    days: object,
    language: Language,
    kind: str,
) -> dict[str, Any] | None:
    """The list as a CSV or XLSX download (None when the controls' values are not valid)."""
    report = compute_view_report(store, log, as_of, days, language)
    if not isinstance(report, StuckReport):
        return None
    day = format_date(report.as_of - dt.timedelta(microseconds=1), language)
    stem = f"{translate('stuck.file_stem', language)}-{report.log}-{day}"
    return export_table(
        stuck_table(report, language, _predicted(store, report)),
        title=translate("stuck.title", language),
        stem=stem,
        kind="xlsx" if kind == "xlsx" else "csv",
    )


def _predicted(store: LogStore, report: StuckReport) -> dict[str, dict[str, Any]] | None:
    found = find_stuck_predictions(store, report)
    return None if found is None else by_case(found)
