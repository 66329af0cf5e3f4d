"""The Dash app factory."""

from __future__ import annotations

from types import ModuleType

import dash
import dash_cytoscape as cyto

from app.dashboard.auth import install_auth
from app.dashboard.auth_headers import install_headers
from app.dashboard.auth_settings import AuthSettings, settings_from_env
from app.dashboard.data import STORE_CONFIG_KEY
from app.dashboard.pages import (
    analysis,
    assistant,
    candidates,
    followup,
    governance,
    logs,
    method,
    overview,
    process_map,
    realisation,
    resources,
    sources,
    stuck,
)
from app.dashboard.shell import build_shell_layout, register_shell_callbacks
from models.store import LogStore

# In the navigation's order: the directors' pages, then the analysts' workbench (issue #15),
# then the administrators' Datakilder.
_PAGES: tuple[ModuleType, ...] = (
    overview, realisation, method, followup, logs, process_map, analysis, candidates,
    governance, stuck, resources, assistant, sources,
)  # fmt: skip
# Dash's page around the app, with a sign-out link outside the app (the same on every page).
_INDEX = """<!DOCTYPE html>
<html lang="da"><head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}
<a href="/logout" id="kitflow-logout" style="position:fixed;right:12px;bottom:10px;z-index:10;
padding:4px 10px;border-radius:12px;background:#fff;border:1px solid #14324f;color:#14324f;
font:13px sans-serif;text-decoration:none">Log ud / Sign out</a>
<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>"""


def create_app(store: LogStore | None = None, *, auth: AuthSettings | None = None) -> dash.Dash:
    """The KIT Flow dashboard over ``store`` (the default store when None).

    Every request needs a signed-in session (see :mod:`app.dashboard.auth`); ``auth`` holds the
    settings (default: from the environment, as for serving on 127.0.0.1). Nothing is read at
    import time: the store is opened here, and each page reads it when opened.
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
        index_string=_INDEX,
    )
    served = store if store is not None else LogStore()
    app.server.config[STORE_CONFIG_KEY] = served
    settings = auth or settings_from_env(data_dir=served.data.root)
    install_headers(
        app.server, allowed_hosts=settings.allowed_hosts, trusted_proxy=settings.trusted_proxy
    )
    install_auth(app, settings, served.data.database_url)
    for page in _PAGES:
        page.register(app, served)
    app.layout = build_shell_layout()
    register_shell_callbacks(app)
    return app
