"""What the directors' pages load: every case as of a date, or the message that says why
there is nothing to show (no case with bindings, or a case that cannot be measured)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dash import html

from app.dashboard.components import note
from app.dashboard.data import Cockpit, current_store, load_cockpit
from app.formatting import Language
from app.i18n import parse_language, translate
from models.datafolder import DataFolder
from models.errors import KitflowError


@dataclass(frozen=True)
class CockpitView:
    """The loaded cases, or (``message`` set) the note a page shows instead."""

    cockpit: Cockpit
    message: html.Div | None = None


def load_view(
    data: DataFolder, language: Language, as_of: dt.date | None, *, message_id: str
) -> CockpitView:
    """Every case as of ``as_of`` (default: the data's last day); a note when there is no case
    or one cannot be measured (the error names the file and the fix)."""
    try:
        cockpit = load_cockpit(data, as_of)
    except KitflowError as error:
        text = translate("cockpit.error", language, error=str(error))
        empty = Cockpit((), as_of or dt.date.today(), ())
        return CockpitView(empty, note(text, kind="error", note_id=message_id))
    if not cockpit.overviews:
        text = translate("cockpit.no_cases", language, folder=str(data.business_cases()))
        return CockpitView(cockpit, note(text, kind="warning", note_id=message_id))
    return CockpitView(cockpit)


def load_state_view(state: Mapping[str, Any], *, message_id: str) -> tuple[CockpitView, Language]:
    """The cases as of the date a page keeps in its state, and its language (for the page's
    downloads, which the server builds from that state)."""
    language = parse_language(state.get("lang"))
    as_of = parse_as_of(state.get("as_of"))
    return load_view(current_store().data, language, as_of, message_id=message_id), language


def parse_as_of(value: object) -> dt.date | None:
    """A date from the URL or a date picker (ISO, maybe with a time part); None for none or
    for text that is not a date (the page then uses its default)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
