"""Procesoverblik's state: what the page shows (log, view, sliders, filters), read from and
written to the URL's query, and the filtered log it stands for.

Every value comes in as text (from the URL or a control) and is checked when the view is built:
a date or number that cannot be read raises :class:`models.errors.InputError` with a message
the page shows (never an HTTP 500).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Final, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl

from app.figures import MapMode, Statistic
from app.formatting import Language
from app.i18n import DEFAULT_LANGUAGE, translate
from mining import (
    filter_activities,
    filter_attribute,
    filter_case_duration,
    filter_case_variants,
    filter_cases_with_activity,
    filter_follows,
    filter_org_unit,
    filter_variants,
    filter_view,
)
from models.errors import InputError
from models.landscape_links import service_area_key

LOCAL_ZONE: Final = ZoneInfo("Europe/Copenhagen")
LIST_SEPARATOR: Final = "|"
"""Joins the values of one list parameter in the URL (``units=a|b``)."""
ARC_SEPARATOR: Final = " → "
"""Joins an arc's source and target in the URL and in the exclude-arc control's values."""
_DAY_S: Final = 86_400.0

# The URL parameter of each field of MapFilters (short, readable links).
_FILTER_PARAMS: Final[Mapping[str, str]] = {
    "start": "from",
    "end": "to",
    "attribute": "attr",
    "values": "val",
    "variants": "top",
    "units": "units",
    "min_days": "dmin",
    "max_days": "dmax",
    "with_activity": "with",
    "without_activity": "without",
    "excluded_activities": "xact",
    "excluded_arcs": "xarc",
    "chosen_variants": "var",
}


@dataclass(frozen=True)
class MapFilters:
    """Which cases and events the map shows; every value as the page holds it (text)."""

    start: str | None = None
    end: str | None = None
    attribute: str | None = None
    values: tuple[str, ...] = ()
    variants: str | None = None
    units: tuple[str, ...] = ()
    min_days: str | None = None
    max_days: str | None = None
    with_activity: str | None = None
    without_activity: str | None = None
    excluded_activities: tuple[str, ...] = ()
    excluded_arcs: tuple[str, ...] = ()
    chosen_variants: tuple[str, ...] = ()

    def any(self) -> bool:
        """True when any filter is set."""
        return any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class MapState:
    """The whole view: log, mode, time measure, the two sliders (percent) and the filters."""

    log: str | None = None
    mode: MapMode = "frequency"
    statistic: Statistic = "median"
    activities: int = 100
    paths: int | None = None
    filters: MapFilters = field(default_factory=MapFilters)


def read_state(params: Mapping[str, str]) -> MapState:
    """The state a URL's query holds; unknown modes and unreadable slider values fall back to
    the defaults (filters are kept as text and checked when applied)."""
    mode = params.get("mode")
    statistic = params.get("stat")
    filters = MapFilters(
        **{
            name: _read_param(params.get(key), name)
            for name, key in _FILTER_PARAMS.items()
            if params.get(key)
        }  # type: ignore[arg-type]
    )
    return MapState(
        log=params.get("log") or None,
        mode=cast("MapMode", mode) if mode in ("frequency", "performance") else "frequency",
        statistic=cast("Statistic", statistic) if statistic in ("median", "mean") else "median",
        activities=_read_percent(params.get("acts")) or 100,
        paths=_read_percent(params.get("paths")),
        filters=filters,
    )


def _read_param(value: str | None, name: str) -> str | tuple[str, ...] | None:
    if name in ("values", "units", "excluded_activities", "excluded_arcs", "chosen_variants"):
        return tuple(v for v in (value or "").split(LIST_SEPARATOR) if v)
    return value


def _read_percent(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return min(max(number, 5), 100)


def write_query(state: MapState, language: Language) -> str:
    """The URL query (``?log=...&mode=...``) that reproduces ``state``; defaults left out."""
    query: dict[str, str] = {}
    if state.log:
        query["log"] = state.log
    if state.mode != "frequency":
        query["mode"] = state.mode
    if state.statistic != "median":
        query["stat"] = state.statistic
    if state.activities != 100:
        query["acts"] = str(state.activities)
    if state.paths is not None:
        query["paths"] = str(state.paths)
    for name, key in _FILTER_PARAMS.items():
        value = getattr(state.filters, name)
        if isinstance(value, tuple):
            value = LIST_SEPARATOR.join(value)
        if value:
            query[key] = str(value)
    if language != DEFAULT_LANGUAGE:
        query["lang"] = language
    return "?" + urlencode(query) if query else ""


def as_tuple(values: object) -> tuple[str, ...]:
    """A control's value (None, one text or a list) as a tuple of texts."""
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,) if values else ()
    if not isinstance(values, list | tuple):  # a value sent by hand, not by the page
        return (str(values),)
    return tuple(str(v) for v in values if v not in (None, ""))


def as_text(value: object) -> str | None:
    """A control's single value as text; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_day(value: str, language: Language) -> dt.date:
    """A day written as 2025-03-01 (the date picker's form) or 1.3.2025 (Danish)."""
    text = value.strip()
    danish = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if danish:
            day, month, year = (int(part) for part in danish.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(translate("map.bad_date", language, value=value)) from None


def _read_days(value: str | None, language: Language) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        number = -1.0
    if not number >= 0:  # also NaN
        raise InputError(translate("map.bad_number", language, value=value))
    return number


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def apply_filters(
    events: pl.LazyFrame,
    filters: MapFilters,
    language: Language,
    *,
    units: Mapping[str, Sequence[str]],
    variants: Mapping[str, Sequence[str]] | None = None,
) -> pl.LazyFrame:
    """The events of the cases ``filters`` keep (whole cases: period, attribute values, org
    units, duration, with/without an activity, without an arc, the top or the chosen variants),
    then without the left-out activities' events. ``units`` maps a normalised org-unit name to
    the log's spellings of it, ``variants`` a variant's rank in the whole log to its
    activities."""
    view = _filter_period(events, filters, language)
    if filters.attribute and filters.values:
        if filters.attribute not in events.collect_schema():
            raise InputError(translate("map.bad_attribute", language, name=filters.attribute))
        view = filter_attribute(view, filters.attribute, filters.values, level="case")
    if filters.units:
        names = [name for key in filters.units for name in units.get(key, (key,))]
        view = filter_org_unit(view, names, level="case")
    view = _filter_duration(view, filters, language)
    if filters.with_activity:
        view = filter_cases_with_activity(view, [filters.with_activity])
    if filters.without_activity:
        view = filter_cases_with_activity(view, [filters.without_activity], keep=False)
    for arc in filters.excluded_arcs:
        source, _, target = arc.partition(ARC_SEPARATOR)
        view = filter_follows(view, source, target, keep=False)
    top = _read_days(filters.variants, language)
    if top is not None and top >= 1:
        view = filter_variants(view, top_k=int(top))
    if filters.chosen_variants:
        known = variants or {}
        unknown = [rank for rank in filters.chosen_variants if rank not in known]
        if unknown:
            raise InputError(translate("map.bad_variant", language, rank=unknown[0]))
        view = filter_case_variants(view, [known[rank] for rank in filters.chosen_variants])
    if filters.excluded_activities:
        view = filter_activities(view, filters.excluded_activities, keep=False)
    return view


def _filter_period(events: pl.LazyFrame, filters: MapFilters, language: Language) -> pl.LazyFrame:
    """The cases active in the period's Copenhagen days (both included)."""
    start = read_day(filters.start, language) if filters.start else None
    end = read_day(filters.end, language) if filters.end else None
    if start and end and end < start:
        raise InputError(translate("map.bad_period", language))
    if not (start or end):
        return events
    return filter_view(
        events,
        start=_local_midnight(start) if start else None,
        end=_local_midnight(end + dt.timedelta(days=1)) if end else None,
    )


def _filter_duration(view: pl.LazyFrame, filters: MapFilters, language: Language) -> pl.LazyFrame:
    """The cases whose throughput lies in the days' range (both ends included)."""
    min_days = _read_days(filters.min_days, language)
    max_days = _read_days(filters.max_days, language)
    if min_days is None and max_days is None:
        return view
    return filter_case_duration(
        view,
        min_s=(min_days or 0.0) * _DAY_S,
        max_s=max_days * _DAY_S if max_days is not None else None,
    )


def group_org_units(names: Sequence[str]) -> dict[str, list[str]]:
    """The log's org-unit names by their normalised form ("Drift & Infrastruktur" and "Drift og
    Infrastruktur" are one unit): key -> spellings, the first as shown."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(service_area_key(name), []).append(name)
    return groups
