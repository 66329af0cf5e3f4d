"""The resource-management page ("Ressourcestyring"): the load per service area and month of a
stored log (orders or incidents), handovers in and out, who waits on whom, registered hours per
activity, and next quarter's forecast. Analysts and administrators; no figure describes fewer
than 5 people (:mod:`services.resources`)."""

from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import note, render_table, stale_notes
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import RESOURCES_PATH
from app.figures.resources import (
    area_label,
    build_forecast_table,
    build_handover_trend_table,
    build_hours_table,
    build_load_chart,
    build_load_table,
    build_wait_table,
    format_month,
)
from app.formatting import Language, format_int
from app.i18n import parse_language, translate
from mining import OTHER_GROUP
from models.errors import KitflowError
from models.store import LogStore
from services import ResourceView, build_resource_view, list_resource_logs

PATH = RESOURCES_PATH
ALL_ITEMS = "__all__"


def build_layout(
    store: LogStore,
    language: Language,
    log: str | None = None,
    item: str | None = None,
    month: str | None = None,
) -> html.Div:
    """The page in ``language``; ``log``, ``item`` and ``month`` (from the URL) preselect."""
    logs = list_resource_logs(store)
    header: list[Component] = [
        html.H1(translate("resources.title", language), id=ids.RESOURCES_TITLE),
        html.P(translate("resources.intro", language), className="kf-lead"),
        *stale_notes(store.data, language),
    ]
    if not logs:
        text = translate("resources.no_logs", language)
        empty = note(text, kind="warning", note_id=ids.RESOURCES_EMPTY)
        return html.Div([*header, empty, _hidden_controls(language)])
    chosen = log if log in logs else logs[0]

    def field(label: str, control: Component) -> html.Div:
        return html.Div([html.Label(translate(label, language)), control], className="kf-field")

    controls = html.Section(
        [
            field(
                "resources.log",
                dcc.Dropdown(
                    id=ids.RESOURCES_LOG,
                    options=[{"label": n, "value": n} for n in logs],
                    value=chosen,
                    clearable=False,
                    searchable=False,
                ),
            ),
            field(
                "resources.item",
                dcc.Dropdown(
                    id=ids.RESOURCES_ITEM,
                    options=_item_options([item] if item else [], language),
                    value=item or ALL_ITEMS,
                    clearable=False,
                    searchable=False,
                ),
            ),
            field(
                "resources.month",
                dcc.Dropdown(
                    id=ids.RESOURCES_MONTH,
                    options=_month_options(month, language),
                    value=month,
                    clearable=False,
                    searchable=False,
                ),
            ),
        ],
        className="kf-card kf-controls",
    )
    return html.Div(
        [
            *header,
            controls,
            html.Div(id=ids.RESOURCES_MESSAGE),
            html.Div(id=ids.RESOURCES_RESULT),
            dcc.Store(id=ids.RESOURCES_LANGUAGE, data=language),
        ]
    )


def _hidden_controls(language: Language) -> html.Div:
    """The callback's components, hidden, for a data folder without logs: Dash checks every
    callback's components against the layout it got at the first request (its one call then
    answers "no logs" into the hidden message)."""
    return html.Div(
        [
            dcc.Dropdown(id=ids.RESOURCES_LOG),
            dcc.Dropdown(id=ids.RESOURCES_ITEM),
            dcc.Dropdown(id=ids.RESOURCES_MONTH),
            html.Div(id=ids.RESOURCES_MESSAGE),
            html.Div(id=ids.RESOURCES_RESULT),
            dcc.Store(id=ids.RESOURCES_LANGUAGE, data=language),
        ],
        hidden=True,
    )


def render_resources(
    store: LogStore, log: str | None, item: str | None, month: str | None, language: Language
) -> tuple[
    list[Component], list[dict[str, str]], list[dict[str, str]], str | None, Component | None
]:
    """The sections, the item and month options, the month shown, and a note (or None)."""
    all_items = _item_options([], language)
    if not log:
        return [], all_items, [], None, note(translate("resources.no_logs", language))
    try:
        view = build_resource_view(store, log, item=None if item in (None, ALL_ITEMS) else item)
    except KitflowError as error:
        text = translate("resources.error", language, error=str(error))
        return [], all_items, [], None, note(text, kind="error")
    items = _item_options(list(view.items), language)
    months = sorted(set(view.load.monthly["month"].to_list()), reverse=True)
    options = [{"label": format_month(m, language), "value": m.isoformat()} for m in months]
    if not months:
        return [], items, [], None, note(translate("resources.nothing", language), kind="warning")
    shown, message = _month(month, months, language)
    return _sections(view, shown, language), items, options, shown.isoformat(), message


def _item_options(items: list[str], language: Language) -> list[dict[str, str]]:
    every = {"label": translate("resources.item_all", language), "value": ALL_ITEMS}
    return [every, *({"label": i, "value": i} for i in items)]


def _month_options(month: str | None, language: Language) -> list[dict[str, str]]:
    """The month from the URL as the dropdown's one option until the log's months arrive (a
    dropdown drops a value it has no option for)."""
    try:
        day = dt.date.fromisoformat((month or "")[:10])
    except ValueError:
        return []
    return [{"label": format_month(day, language), "value": month or ""}]


def _month(
    month: str | None, months: list[dt.date], language: Language
) -> tuple[dt.date, Component | None]:
    if not month:
        return months[0], None
    try:
        wanted = dt.date.fromisoformat(month[:10]).replace(day=1)
    except ValueError:
        wanted = None
    if wanted in months:
        return wanted, None
    text = translate("resources.bad_month", language, month=month)
    return months[0], note(text, kind="warning")


def _sections(view: ResourceView, month: dt.date, language: Language) -> list[Component]:

    def t(key: str, **values: object) -> str:
        return translate(f"resources.{key}", language, **values)

    notes = [text for text in _privacy_notes(view, language) if text]
    load = html.Section(
        [
            html.H2(t("load", month=format_month(month, language))),
            render_table(
                build_load_table(view.load.monthly, month, language),
                table_id=ids.RESOURCES_LOAD_TABLE,
            ),
            html.H3(t("load_chart")),
            dcc.Graph(
                id=ids.RESOURCES_LOAD_CHART,
                figure=build_load_chart(view.load.monthly, view.forecast.forecast, language),
                config={"displayModeBar": False},
            ),
        ],
        className="kf-card",
    )
    future = sorted(set(view.forecast.forecast["month"].to_list()))
    forecast = html.Section(
        [
            html.H2(t("forecast")),
            html.P(t("forecast_note"), className="kf-muted"),
            *_skipped(view, language),
            render_table(
                build_forecast_table(view.forecast.backtest, future, language),
                table_id=ids.RESOURCES_FORECAST_TABLE,
            )
            if view.forecast.backtest.height
            else html.P("–"),
        ],
        className="kf-card",
    )
    handovers = html.Section(
        [
            html.H2(t("handovers")),
            html.P(t("handovers_note"), className="kf-muted"),
            render_table(
                build_handover_trend_table(view.handover_trend, language),
                table_id=ids.RESOURCES_HANDOVER_TABLE,
                compact=True,
            ),
        ],
        className="kf-card",
    )
    waits = html.Section(
        [
            html.H2(t("waits")),
            html.P(t("waits_note"), className="kf-muted"),
            render_table(
                build_wait_table(view.load.waits, language), table_id=ids.RESOURCES_WAIT_TABLE
            ),
        ],
        className="kf-card",
    )
    return [
        html.Div([note(text, compact=True) for text in notes], id=ids.RESOURCES_NOTES),
        load,
        forecast,
        handovers,
        waits,
        _hours_section(view, month, language),
    ]


def _skipped(view: ResourceView, language: Language) -> list[Component]:
    if not view.forecast.skipped:
        return []
    count = format_int(view.forecast.skipped, language)
    return [note(translate("resources.forecast_skipped", language, count=count), compact=True)]


def _hours_section(view: ResourceView, month: dt.date, language: Language) -> html.Section:
    title = html.H2(translate("resources.hours", language, month=format_month(month, language)))
    if view.hours is None:
        text = translate("resources.no_hours", language)
        return html.Section([title, note(text)], className="kf-card")
    withheld = translate(
        "resources.hours_withheld", language, count=format_int(view.hours.months_withheld, language)
    )
    return html.Section(
        [
            title,
            html.P(withheld, className="kf-muted"),
            render_table(
                build_hours_table(view.hours.table, month, language),
                table_id=ids.RESOURCES_HOURS_TABLE,
                compact=True,
            ),
        ],
        className="kf-card",
    )


def _privacy_notes(view: ResourceView, language: Language) -> list[str]:
    load = view.load
    texts = []
    if view.partial_month is not None:
        month = format_month(view.partial_month, language)
        texts.append(translate("resources.partial", language, month=month))
    if load.merged:
        other = area_label(OTHER_GROUP, language)
        count = format_int(load.merged, language)
        texts.append(translate("resources.merged", language, count=count, other=other))
    if load.months_withheld:
        count = format_int(load.months_withheld, language)
        texts.append(translate("resources.months_withheld", language, count=count))
    return texts


def page_layout(
    lang: str | None = None,
    log: str | None = None,
    item: str | None = None,
    month: str | None = None,
    **_query: str,
) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log, item, month)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its one callback: log, item and month in, sections out."""
    register_page(__name__, path=PATH, name="Ressourcestyring", order=8, layout=page_layout)

    @app.callback(
        Output(ids.RESOURCES_RESULT, "children"),
        Output(ids.RESOURCES_ITEM, "options"),
        Output(ids.RESOURCES_MONTH, "options"),
        Output(ids.RESOURCES_MONTH, "value"),
        Output(ids.RESOURCES_MESSAGE, "children"),
        Input(ids.RESOURCES_LOG, "value"),
        Input(ids.RESOURCES_ITEM, "value"),
        Input(ids.RESOURCES_MONTH, "value"),
        State(ids.RESOURCES_LANGUAGE, "data"),
    )
    def update_resources(
        log: str | None, item: str | None, month: str | None, language: str | None
    ) -> tuple[
        list[Component], list[dict[str, str]], list[dict[str, str]], str | None, Component | None
    ]:
        return render_resources(store, log, item, month, parse_language(language))
