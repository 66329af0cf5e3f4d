"""Page addresses, and links that carry the chosen language along."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode

from app.formatting import Language
from app.i18n import DEFAULT_LANGUAGE

OVERVIEW_PATH: Final = "/"
REALISATION_PATH: Final = "/realisation"
METHOD_PATH: Final = "/method"
FOLLOWUP_PATH: Final = "/followup"
LOGS_PATH: Final = "/logs"
PROCESS_MAP_PATH: Final = "/process-map"
ANALYSIS_PATH: Final = "/analysis"
CANDIDATES_PATH: Final = "/candidates"
RESOURCES_PATH: Final = "/resources"
SOURCES_PATH: Final = "/sources"
GOVERNANCE_PATH: Final = "/governance"
STUCK_PATH: Final = "/stuck"
ASSISTANT_PATH: Final = "/assistant"
OLD_BENEFITS_PATH: Final = "/benefits"
"""The Gevinster page's address before the directors' pages: it leads to Gevinstrealisering."""


def page_href(path: str, language: Language, **params: str | None) -> str:
    """``path`` with ``params`` and the language as query; Danish, the default, is left out."""
    query = {key: value for key, value in params.items() if value is not None}
    if language != DEFAULT_LANGUAGE:
        query["lang"] = language
    return f"{path}?{urlencode(query)}" if query else path


def query_params(search: str | None) -> dict[str, str]:
    """The query of a URL (``?a=1&b=2``) as a dict; the last value wins."""
    return dict(parse_qsl((search or "").lstrip("?")))
