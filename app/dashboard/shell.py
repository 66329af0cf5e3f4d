"""The frame around every page: brand, navigation and the language switch.

The language lives in the URL (``?lang=en``; Danish when absent), so a link or a reload keeps it.
The header is re-drawn from the URL by one callback; the pages read the same query parameter.
"""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.routes import (
    ANALYSIS_PATH,
    ASSISTANT_PATH,
    CANDIDATES_PATH,
    FOLLOWUP_PATH,
    GOVERNANCE_PATH,
    LOGS_PATH,
    METHOD_PATH,
    OVERVIEW_PATH,
    PROCESS_MAP_PATH,
    REALISATION_PATH,
    RESOURCES_PATH,
    SOURCES_PATH,
    STUCK_PATH,
    page_href,
    query_params,
)
from app.formatting import Language
from app.i18n import LANGUAGES, parse_language, translate

# The directors' pages first: Overblik is where the dashboard opens.
_NAV: tuple[tuple[str, str], ...] = (
    (OVERVIEW_PATH, "nav.overview"),
    (REALISATION_PATH, "nav.realisation"),
    (METHOD_PATH, "nav.method"),
    (FOLLOWUP_PATH, "nav.followup"),
    (LOGS_PATH, "nav.logs"),
    (PROCESS_MAP_PATH, "nav.process_map"),
    (ANALYSIS_PATH, "nav.analysis"),
    (CANDIDATES_PATH, "nav.candidates"),
    (GOVERNANCE_PATH, "nav.governance"),
    (STUCK_PATH, "nav.stuck"),
    (RESOURCES_PATH, "nav.resources"),
    (ASSISTANT_PATH, "nav.assistant"),
    (SOURCES_PATH, "nav.sources"),
)


def build_shell_layout() -> html.Div:
    """The app layout: URL, header, and the container Dash Pages fills with the current page."""
    nav, switch, tagline = build_header(OVERVIEW_PATH, "")
    header = html.Header(
        html.Div(
            [
                html.Div(
                    [
                        dcc.Link("KIT Flow", href=OVERVIEW_PATH, className="kf-brand-name"),
                        html.Span(tagline, id=ids.SHELL_TAGLINE, className="kf-brand-tagline"),
                    ],
                    className="kf-brand",
                ),
                html.Nav(nav, id=ids.SHELL_NAV, className="kf-nav"),
                html.Div(switch, id=ids.SHELL_LANGUAGE, className="kf-language"),
            ],
            className="kf-header-inner",
        ),
        className="kf-header",
    )
    return html.Div(
        [
            dcc.Location(id=ids.SHELL_URL, refresh=False),
            header,
            html.Main(dash.page_container, className="kf-main"),
        ],
        className="kf-app",
    )


def build_header(
    pathname: str | None, search: str | None
) -> tuple[list[Component], list[Component], str]:
    """Navigation links, language links and tagline for the page at ``pathname``/``search``."""
    params = query_params(search)
    language = parse_language(params.get("lang"))
    current = pathname or OVERVIEW_PATH
    nav: list[Component] = [
        dcc.Link(
            translate(key, language),
            href=page_href(path, language),
            className="kf-nav-link" + (" is-active" if path == current else ""),
        )
        for path, key in _NAV
    ]
    return nav, _language_links(current, params, language), translate("app.tagline", language)


def _language_links(path: str, params: dict[str, str], language: Language) -> list[Component]:
    # Switching language keeps the page and its other query parameters (e.g. the chosen log).
    others = {key: value for key, value in params.items() if key != "lang"}
    links: list[Component] = [html.Span(translate("app.language", language) + ":")]
    for option in LANGUAGES:
        links.append(
            dcc.Link(
                translate(f"language.{option}", language),
                href=page_href(path, option, **others),
                className="kf-language-link" + (" is-active" if option == language else ""),
                id=f"{ids.SHELL_LANGUAGE}-{option}",
            )
        )
    return links


def register_shell_callbacks(app: dash.Dash) -> None:
    """Re-draw the header whenever the URL changes (page or language)."""
    app.callback(
        Output(ids.SHELL_NAV, "children"),
        Output(ids.SHELL_LANGUAGE, "children"),
        Output(ids.SHELL_TAGLINE, "children"),
        Input(ids.SHELL_URL, "pathname"),
        Input(ids.SHELL_URL, "search"),
    )(build_header)
