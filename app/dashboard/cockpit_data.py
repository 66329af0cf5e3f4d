"""What the directors' pages load: every case as of a date, or the message that says why
there is nothing to show (no case with bindings, or a case that cannot be measured).

The overviews are kept per as-of date and version of every file they read (the name, size and
modification time of each, ``app.dashboard.data.cockpit_input_files``): a re-extracted table or
a changed case, binding or costs file gives a new version, and so new overviews. The sessions of
one server share them (``services.build_overviews`` with a version keeps the last 64 dates
asked for): twenty sessions asking for one new date wait for one build. :func:`warm_month_ends`
builds the month ends of the data's span in the background (:func:`start_warming`: with
``KITFLOW_WARM_OVERVIEWS=1``, from the first page loaded).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dash import html

from app.dashboard.components import note
from app.dashboard.data import (
    Cockpit,
    FileVersion,
    cockpit_input_files,
    current_store,
    data_end,
    read_file_versions,
)
from app.dashboard.data import (
    clear_cockpit_cache as clear_data_cache,
)
from app.formatting import Language
from app.i18n import parse_language, translate
from models.datafolder import DataFolder
from models.errors import KitflowError
from services import SourceCoverage, build_overviews, find_source_coverage

WARM_ENV = "KITFLOW_WARM_OVERVIEWS"
"""Set to 1 (for ``kitflow serve``): the first directors' page loaded builds the overviews of
the data's month ends ahead (:func:`start_warming`)."""
WARM_MONTHS = 48
"""Month ends :func:`warm_month_ends` builds at the most (the newest first; fewer than the
dates the overviews are kept for)."""

_log = logging.getLogger(__name__)
_warmed: set[tuple[DataFolder, tuple[FileVersion, ...]]] = set()
_warmed_lock = threading.Lock()


def load_cockpit(data: DataFolder, as_of: dt.date | None = None) -> Cockpit:
    """Every case's overview as of ``as_of``: by default the last day the data reach (not
    today: the data end before it, and a date past them would read as missed targets). Kept
    per date and version of the files read (module docstring)."""
    version = read_file_versions(cockpit_input_files(data))
    coverage = _read_coverage(data, version)
    chosen = as_of or data_end(coverage) or dt.date.today()
    overviews = build_overviews(data, as_of=chosen, coverage=coverage, version=version)
    return Cockpit(overviews, chosen, coverage)


@lru_cache(maxsize=4)
def _read_coverage(
    data: DataFolder, version: tuple[FileVersion, ...]
) -> tuple[SourceCoverage, ...]:
    """The data's reach, read once per version of the files (``version``: the key only)."""
    return tuple(find_source_coverage(data))


def clear_cockpit_cache() -> None:
    """Forget the data's reach read here and what ``app.dashboard.data`` keeps (the overviews
    themselves are kept by ``services.cockpit``: ``clear_overview_cache``)."""
    _read_coverage.cache_clear()
    clear_data_cache()


def month_ends(coverage: Iterable[SourceCoverage]) -> tuple[dt.date, ...]:
    """The data's last day and every earlier month end back to the data's first month, the
    newest first: the dates a director most likely asks for."""
    spans = tuple(coverage)
    end = data_end(spans)
    firsts = [c.first.astimezone(dt.UTC).date() for c in spans if c.first is not None]
    if end is None or not firsts:
        return ()
    first_month = min(firsts).replace(day=1)
    days, day = [end], end.replace(day=1) - dt.timedelta(days=1)
    while day >= first_month:
        days.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return tuple(days)


def warm_month_ends(data: DataFolder, *, limit: int = WARM_MONTHS) -> threading.Thread:
    """Build the overviews of :func:`month_ends` (at most ``limit``) in a background thread
    (a daemon: it never holds the server up or back from stopping), so that a director's
    first look at a month end finds them built. A request for a date being built waits for
    that build; a case that cannot be measured stops the warming (the page says why)."""
    thread = threading.Thread(
        target=_warm, args=(data, limit), name="kitflow-warm-overviews", daemon=True
    )
    thread.start()
    return thread


def start_warming(data: DataFolder) -> threading.Thread | None:
    """With ``KITFLOW_WARM_OVERVIEWS=1`` in the environment, :func:`warm_month_ends` for
    ``data``, once per version of its files in a process (None when it is off or already
    started): new data are built ahead again. Called by every directors' page before it loads,
    so a server starts building at its first request (Dash builds every page's default layout
    then); tests and the CLI, without the variable, never build ahead."""
    if os.environ.get(WARM_ENV) != "1":
        return None
    key = (data, read_file_versions(cockpit_input_files(data)))
    with _warmed_lock:
        if key in _warmed:
            return None
        _warmed.add(key)
    return warm_month_ends(data)


def _warm(data: DataFolder, limit: int) -> None:
    started = time.perf_counter()
    try:
        days = month_ends(load_cockpit(data).coverage)[:limit]
        for day in days:
            load_cockpit(data, day)
        seconds = time.perf_counter() - started
        _log.info("Overviews of %d month ends built ahead in %.1f s", len(days), seconds)
    except KitflowError as error:
        _log.info("Overviews not built ahead: %s", error)
    except Exception:  # a background thread has no one else to tell
        _log.exception("Building the overviews ahead failed")


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
    start_warming(data)
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
