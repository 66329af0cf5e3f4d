"""Who may open which page and run which callback: the roles' table, default deny.

A callback belongs to the page of its component ids' namespace (``overview-``, ``map-``, ...,
see :mod:`app.dashboard.ids`); it is allowed for a role when that page is. A callback whose ids
name no known namespace is refused. Dash's own page router (``_pages_content``) is allowed for
the page its ``pathname`` input names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from app.dashboard import routes
from models.accounts import ROLES, Role

ANY_PAGE: Final = "*"
"""The frame around every page (``shell-``): any signed-in role."""

_EVERYONE: Final[frozenset[Role]] = frozenset(ROLES)
PAGE_ROLES: Final[Mapping[str, frozenset[Role]]] = {
    ANY_PAGE: _EVERYONE,
    routes.OVERVIEW_PATH: _EVERYONE,
    routes.REALISATION_PATH: _EVERYONE,
    routes.METHOD_PATH: frozenset({"director", "analyst", "administrator"}),
    routes.FOLLOWUP_PATH: _EVERYONE,
    routes.OLD_BENEFITS_PATH: _EVERYONE,
    routes.LOGS_PATH: _EVERYONE,
    routes.PROCESS_MAP_PATH: _EVERYONE,
    routes.ANALYSIS_PATH: frozenset({"analyst", "administrator"}),
    routes.CANDIDATES_PATH: frozenset({"analyst", "administrator"}),
    routes.RESOURCES_PATH: frozenset({"analyst", "administrator"}),
    routes.SOURCES_PATH: frozenset({"administrator"}),
    routes.GOVERNANCE_PATH: frozenset({"analyst", "administrator"}),
    routes.STUCK_PATH: frozenset({"analyst", "administrator"}),
    routes.ASSISTANT_PATH: frozenset({"analyst", "administrator"}),
}
"""Page address -> the roles that may open it."""

NAMESPACE_PAGES: Final[Mapping[str, str]] = {
    "shell": ANY_PAGE,
    "overview": routes.OVERVIEW_PATH,
    "realisation": routes.REALISATION_PATH,
    "method": routes.METHOD_PATH,
    "followup": routes.FOLLOWUP_PATH,
    "logs": routes.LOGS_PATH,
    "map": routes.PROCESS_MAP_PATH,
    "analysis": routes.ANALYSIS_PATH,
    "candidates": routes.CANDIDATES_PATH,
    "resources": routes.RESOURCES_PATH,
    "sources": routes.SOURCES_PATH,
    "governance": routes.GOVERNANCE_PATH,
    "stuck": routes.STUCK_PATH,
    "assistant": routes.ASSISTANT_PATH,
}
"""Component-id namespace (the prefix before the first ``-``) -> its page."""

AUDITED_PAGES: Final = frozenset(
    {
        routes.OVERVIEW_PATH,
        routes.REALISATION_PATH,
        routes.METHOD_PATH,
        routes.FOLLOWUP_PATH,
        routes.OLD_BENEFITS_PATH,
        routes.PROCESS_MAP_PATH,
        routes.ANALYSIS_PATH,
        routes.CANDIDATES_PATH,
        routes.GOVERNANCE_PATH,
        routes.STUCK_PATH,
        routes.RESOURCES_PATH,
        routes.SOURCES_PATH,
        routes.ASSISTANT_PATH,
    }
)
"""The benefits, cockpit, analysis and administrators' pages: each view is written to the
audit trail."""

PAGES_ROUTER: Final = "_pages_content"
_PAGES_TITLE: Final = "_pages_dummy"


def page_allowed(path: str, role: Role) -> bool:
    """True when ``role`` may open the page at ``path`` (an unknown page: any role, as Dash
    answers it with its 'not found' page, which holds no data)."""
    normal = "/" + path.strip("/")
    return role in PAGE_ROLES.get(normal, _EVERYONE)


def output_ids(output: str) -> list[str]:
    """The component ids' namespaces of a callback's output key as Dash spells it
    (``a.children`` or ``..a.children...b.data..``; pattern ids as JSON)."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    return [_id_type(part.rpartition(".")[0]) for part in parts]


def _id_type(component_id: str) -> str:
    if component_id.startswith("{"):
        try:
            return str(json.loads(component_id).get("type", ""))
        except (ValueError, AttributeError):
            return ""
    return component_id


def callback_pages(output: str, inputs: Iterable[Mapping[str, Any]]) -> set[str] | None:
    """The pages a callback belongs to, or None when it belongs to none (refuse it)."""
    ids = output_ids(output)
    if any(i == PAGES_ROUTER for i in ids):
        return {_router_path(inputs)}
    if ids == [_PAGES_TITLE]:
        return {ANY_PAGE}
    pages = {NAMESPACE_PAGES.get(i.split("-", 1)[0], "") for i in ids}
    return None if "" in pages or not pages else pages


def _router_path(inputs: Iterable[Mapping[str, Any]]) -> str:
    for item in inputs:
        if item.get("property") == "pathname" and isinstance(item.get("value"), str):
            return str(item["value"]) or routes.OVERVIEW_PATH
    return routes.OVERVIEW_PATH


def callback_allowed(output: str, inputs: Iterable[Mapping[str, Any]], role: Role) -> bool:
    """True when ``role`` may run the callback whose output key is ``output``."""
    pages = callback_pages(output, inputs)
    return pages is not None and all(page_allowed(page, role) for page in pages)


def is_download(output: str) -> bool:
    """True for a callback that hands the browser a file (an export or report)."""
    return any(i.endswith("-download") for i in output_ids(output))
