"""The process-map page ("Procesoverblik"): the directly-follows graph of one stored flat log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import empty_store_message, note, render_table
from app.dashboard.data import current_store, load_process_map
from app.dashboard.pages import register_page
from app.dashboard.routes import PROCESS_MAP_PATH
from app.figures import (
    TableData,
    build_arc_table,
    build_process_map_elements,
    build_process_map_layout,
    build_process_map_stylesheet,
    select_top_arcs,
    shown_activities,
    suggest_top_percent,
)
from app.formatting import Language, format_int
from app.i18n import parse_language, translate
from mining import check_group_size
from models.errors import KitflowError
from models.store import LogStore

PATH = PROCESS_MAP_PATH
DEFAULT_TOP_PERCENT = 100
_SLIDER_MARKS = (10, 25, 50, 75, 100)


def build_layout(store: LogStore, language: Language, log: str | None = None) -> html.Div:
    """The page in ``language``; ``log`` (from the URL) preselects a stored flat log."""
    entries = store.list()
    flat = [e.name for e in entries if e.kind == "flat"]
    others = [e.name for e in entries if e.kind != "flat"]
    chosen = log if log in flat else None
    notes: list[Component] = []
    if not entries:
        notes.append(empty_store_message(language, message_id=ids.MAP_EMPTY))
    elif not flat:
        notes.append(note(translate("map.only_object_centric", language), kind="warning"))
    if others:
        notes.append(note(translate("map.object_centric", language, names=", ".join(others))))
    return html.Div(
        [
            html.H1(translate("map.title", language), id=ids.MAP_TITLE),
            html.P(translate("map.intro", language), className="kf-lead"),
            *notes,
            # The workspace stays in the page even when hidden (no flat log), so the callback
            # always finds its components.
            html.Div(
                [_controls(flat, chosen, _start_percent(store, chosen), language), *_result()],
                id=ids.MAP_WORKSPACE,
                hidden=not flat,
            ),
            dcc.Store(id=ids.MAP_LANGUAGE, data=language),
        ]
    )


def _start_percent(store: LogStore, log: str | None) -> int:
    """Where the slider starts: a readable map of ``log``, or all arcs when none is chosen."""
    if log is None:
        return DEFAULT_TOP_PERCENT
    try:
        return suggest_top_percent(load_process_map(store, log).dfg)
    except KitflowError:
        return DEFAULT_TOP_PERCENT  # the map callback reports the problem


def _controls(
    flat: list[str], chosen: str | None, percent: int, language: Language
) -> html.Section:
    log_picker = html.Div(
        [
            html.Label(translate("map.log", language), htmlFor=ids.MAP_LOG),
            dcc.Dropdown(
                id=ids.MAP_LOG,
                options=[{"label": name, "value": name} for name in flat],
                value=chosen,
                placeholder=translate("map.log_placeholder", language),
                clearable=False,
                # Keeps the choice when the page is re-drawn, e.g. on a language switch.
                persistence=True,
                persistence_type="session",
            ),
        ],
        className="kf-field kf-field--log",
    )
    slider = html.Div(
        [
            html.Label(translate("map.top_arcs", language), htmlFor=ids.MAP_TOP_PERCENT),
            dcc.Slider(
                id=ids.MAP_TOP_PERCENT,
                min=5,
                max=100,
                step=5,
                value=percent,
                marks={m: f"{m} %" for m in _SLIDER_MARKS},
                persistence=True,
                persistence_type="session",
            ),
        ],
        className="kf-field kf-field--slider",
    )
    return html.Section([log_picker, slider], id=ids.MAP_CONTROLS, className="kf-card kf-controls")


def _result() -> list[Component]:
    return [
        html.P(id=ids.MAP_SUMMARY, className="kf-muted"),
        html.Div(id=ids.MAP_MESSAGE),
        # Filled by the callback. The graph is created there, not here: cytoscape sizes itself
        # when it is mounted, and one mounted in a hidden box would fit the map to nothing.
        html.Div(id=ids.MAP_RESULT, className="kf-map-grid"),
    ]


@dataclass(frozen=True)
class MapView:
    """What the map callback shows: the graph's elements, the arc table, a summary or a note."""

    elements: list[dict[str, Any]] = field(default_factory=list)
    arcs: TableData | None = None
    summary: str = ""
    message: Component | None = None


def has_enough_people(store: LogStore, log: str) -> bool:
    """Whether stored log ``log`` shows 5 people or more, or names none (the 5-person rule)."""
    return _has_enough_people(store, log, store.entry(log).imported_at)


@lru_cache(maxsize=16)
def _has_enough_people(store: LogStore, log: str, imported_at: dt.datetime) -> bool:
    del imported_at  # part of the cache key only
    return check_group_size(store.scan(log)).enough


def render_map(
    store: LogStore, log: str | None, percent: float | None, language: Language
) -> MapView:
    """The map of ``log`` with the top ``percent`` % of its arcs, or a note saying why not."""
    if not log:
        return MapView(message=note(translate("map.choose", language)))
    try:
        if store.entry(log).kind != "flat":
            text = translate("map.not_flat", language, name=log)
            return MapView(message=note(text, kind="warning"))
        data = load_process_map(store, log)
        enough = has_enough_people(store, log)
    except KitflowError as error:
        text = translate("map.error", language, error=str(error))
        return MapView(message=note(text, kind="error"))
    if not enough:
        text = translate("map.withheld", language, name=log)
        return MapView(message=note(text, kind="warning"))
    if data.dfg.height == 0:
        return MapView(message=note(translate("map.empty_log", language, name=log)))
    shown = select_top_arcs(data.dfg, percent if percent is not None else DEFAULT_TOP_PERCENT)
    drawn = shown_activities(shown, data.activity_counts)
    counts = {
        "shown_activities": len(drawn),
        "activities": len(data.activity_counts),
        "shown": shown.height,
        "total": data.dfg.height,
    }
    return MapView(
        elements=build_process_map_elements(shown, data.activity_counts, language),
        arcs=build_arc_table(shown, language),
        summary=translate(
            "map.summary", language, **{k: format_int(v, language) for k, v in counts.items()}
        ),
    )


def build_result(view: MapView, language: Language) -> list[Component]:
    """The graph card and the arc-table card of a map; nothing when there is no map."""
    if not view.elements or view.arcs is None:
        return []
    graph = cyto.Cytoscape(
        id=ids.MAP_GRAPH,
        elements=view.elements,
        layout=build_process_map_layout(),
        stylesheet=build_process_map_stylesheet(),
        minZoom=0.2,
        maxZoom=3,
        style={"width": "100%", "height": "760px"},
    )
    return [
        html.Div(
            [graph, html.P(translate("map.legend", language), className="kf-legend")],
            className="kf-card kf-graph",
        ),
        html.Div(
            [
                html.H2(translate("map.arcs", language)),
                render_table(view.arcs, table_id=ids.MAP_ARCS, compact=True),
            ],
            className="kf-card kf-arcs",
        ),
    ]


def page_layout(lang: str | None = None, log: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: log and slider in, map and table out; and a
    newly chosen log moves the slider to where its map is readable."""
    register_page(__name__, path=PATH, name="Procesoverblik", order=4, layout=page_layout)

    @app.callback(
        Output(ids.MAP_RESULT, "children"),
        Output(ids.MAP_SUMMARY, "children"),
        Output(ids.MAP_MESSAGE, "children"),
        Input(ids.MAP_LOG, "value"),
        Input(ids.MAP_TOP_PERCENT, "value"),
        State(ids.MAP_LANGUAGE, "data"),
    )
    def update_map(
        log: str | None, percent: float | None, language: str | None
    ) -> tuple[list[Component], str, Component | None]:
        chosen = parse_language(language)
        view = render_map(store, log, percent, chosen)
        return build_result(view, chosen), view.summary, view.message

    @app.callback(
        Output(ids.MAP_TOP_PERCENT, "value"),
        Input(ids.MAP_LOG, "value"),
        # Not on page load: then the slider shows what the layout or the user's last choice set.
        prevent_initial_call=True,
    )
    def start_slider_for_log(log: str | None) -> int:
        return _start_percent(store, log)
