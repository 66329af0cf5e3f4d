"""The Dash app factory."""

from __future__ import annotations

import dash
import dash_cytoscape as cyto

from app.dashboard.data import STORE_CONFIG_KEY
from app.dashboard.pages import analysis, followup, logs, overview, process_map, realisation
from app.dashboard.shell import build_shell_layout, register_shell_callbacks
from models.store import LogStore

_PAGES = (overview, realisation, followup, logs, process_map, analysis)


def create_app(store: LogStore | None = None) -> dash.Dash:
    """The KIT Flow dashboard over ``store`` (the default store when None).

    Nothing is read at import time: the store is opened here, and each page reads it when opened.
    """
    # The dagre layout ships inside dash-cytoscape's extra bundle, served locally (no download).
    cyto.load_extra_layouts()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        title="KIT Flow",
        update_title="",  # keep the tab title while callbacks run
        serve_locally=True,
    )
    served = store if store is not None else LogStore()
    app.server.config[STORE_CONFIG_KEY] = served
    for page in _PAGES:
        page.register(app, served)
    app.layout = build_shell_layout()
    register_shell_callbacks(app)
    return app
