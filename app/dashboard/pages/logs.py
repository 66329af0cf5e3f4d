"""The logs page ("Hændelseslogs"): every stored log with its key figures."""

from __future__ import annotations

import dash
from dash import html

from app.dashboard import ids
from app.dashboard.components import empty_store_message, render_table
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.pages.process_map import has_enough_people
from app.dashboard.routes import LOGS_PATH, PROCESS_MAP_PATH, page_href
from app.figures import build_log_table
from app.formatting import Language, format_int
from app.i18n import parse_language, translate
from models.catalog import LogEntry
from models.store import LogStore

PATH = LOGS_PATH


def build_layout(store: LogStore, language: Language) -> html.Div:
    """The page for ``store`` in ``language``: title, introduction, and the table or a hint."""
    entries = store.list()
    header = [
        html.H1(translate("logs.title", language), id=ids.LOGS_TITLE),
        html.P(translate("logs.intro", language), className="kf-lead"),
    ]
    if not entries:
        return html.Div([*header, empty_store_message(language, message_id=ids.LOGS_EMPTY)])

    def link_for(entry: LogEntry) -> str | None:
        # Only a flat log has a process map to go to.
        if entry.kind != "flat":
            return None
        return page_href(PROCESS_MAP_PATH, language, log=entry.name)

    def withheld(entry: LogEntry) -> bool:
        return entry.kind == "flat" and not has_enough_people(store, entry.name)

    table = build_log_table(entries, language, link_for=link_for, withheld=withheld)
    count_key = "logs.count_one" if len(entries) == 1 else "logs.count"
    count = translate(count_key, language, count=format_int(len(entries), language))
    return html.Div(
        [
            *header,
            html.Section(
                [html.P(count, className="kf-muted"), render_table(table, table_id=ids.LOGS_TABLE)],
                className="kf-card",
            ),
        ]
    )


def page_layout(lang: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page; it has no callbacks, the table is drawn when the page is opened."""
    del app, store  # same signature as the other pages; the layout reads the serving app's store
    register_page(__name__, path=PATH, name="Hændelseslogs", order=3, layout=page_layout)
