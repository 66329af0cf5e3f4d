"""The process-map page ("Procesoverblik"): the directly-follows graph of one stored flat log,
in a frequency or a performance view, thinned by an activity and a path slider, of the cases a
filter panel keeps; a click on an activity or an arc lists its cases and a case's timeline.
The whole view is in the URL (``?log=...&mode=...``), so a copied link reproduces it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Final

import dash
import dash_cytoscape as cyto
import polars as pl
from dash import Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import date_range_picker, empty_store_message, note, render_table
from app.dashboard.data import (
    ProcessMapData,
    count_activities,
    current_store,
    find_partitioned_log,
    is_partitioned,
    load_partitioned_map,
    load_process_map,
)
from app.dashboard.open_cases import open_cases_section, register_open_cases
from app.dashboard.pages import register_page
from app.dashboard.process_map_view import (
    ARC_SEPARATOR,
    MapFilters,
    MapState,
    apply_filters,
    as_text,
    as_tuple,
    group_org_units,
    read_day,
    read_state,
    write_query,
)
from app.dashboard.routes import PROCESS_MAP_PATH, query_params
from app.figures import (
    Column,
    MapMode,
    Statistic,
    TableData,
    build_arc_table,
    build_performance_legend,
    build_process_map_elements,
    build_process_map_layout,
    build_process_map_stylesheet,
    select_top_activities,
    select_top_arcs,
    shown_activities,
    suggest_top_percent,
)
from app.formatting import Language, format_datetime, format_duration, format_int
from app.i18n import parse_language, translate
from mining import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    WITHHELD_GROUP,
    MergedGroups,
    check_group_size,
    check_partitioned_view_size,
    compute_variants,
    discover_dfg,
    drop_withheld,
    filter_activities,
    find_case_events,
    find_cases_through,
    merge_small_activities,
)
from models.errors import KitflowError
from models.schema import CASE, ORG_UNIT, RESOURCE
from models.store import LogStore

PATH = PROCESS_MAP_PATH
DEFAULT_TOP_PERCENT = 100
MAX_VARIANTS_OFFERED: Final = 30
"""The chosen-variants filter offers the log's most frequent variants, at most this many."""
MAX_CASES_LISTED: Final = 200
"""A click lists at most this many cases (the earliest first), with a note saying so."""
_SLIDER_MARKS = (10, 25, 50, 75, 100)


def build_layout(
    store: LogStore,
    language: Language,
    log: str | None = None,
    params: dict[str, str] | None = None,
) -> html.Div:
    """The page in ``language``; ``log`` and ``params`` (the URL's query) set the view."""
    state = read_state({**(params or {}), **({"log": log} if log else {})})
    entries = store.list()
    flat = [e.name for e in entries if e.kind == "flat"]
    others = [e.name for e in entries if e.kind != "flat"]
    chosen = state.log if state.log in flat else None
    notes: list[Component] = []
    if not entries:
        notes.append(empty_store_message(language, message_id=ids.MAP_EMPTY))
    elif not flat:
        notes.append(note(translate("map.only_object_centric", language), kind="warning"))
    if others:
        notes.append(note(translate("map.object_centric", language, names=", ".join(others))))
    state, bad = _checked_dates(replace(state, log=chosen), language)
    if bad:
        notes.append(note(translate("map.bad_input", language, error=bad), kind="error"))
    percent = state.paths if state.paths is not None else _start_percent(store, chosen)
    return html.Div(
        [
            html.H1(translate("map.title", language), id=ids.MAP_TITLE),
            html.P(translate("map.intro", language), className="kf-lead"),
            *notes,
            # The workspace stays in the page even when hidden (no flat log), so the callback
            # always finds its components.
            html.Div(
                [
                    _controls(flat, replace(state, paths=percent), language),
                    _filter_panel(store, state, language),
                    *_result(),
                    _cases_section(language),
                    open_cases_section(language),
                ],
                id=ids.MAP_WORKSPACE,
                hidden=not flat,
            ),
            dcc.Store(id=ids.MAP_LANGUAGE, data=language),
            dcc.Store(id=ids.MAP_SEARCH),
        ]
    )


def _checked_dates(state: MapState, language: Language) -> tuple[MapState, str]:
    """The state without a period date that cannot be read, and the message saying so."""
    for name in ("start", "end"):
        value = getattr(state.filters, name)
        if value:
            try:
                read_day(value, language)
            except KitflowError as error:
                cleared = replace(state.filters, start=None) if name == "start" else None
                cleared = cleared or replace(state.filters, end=None)
                return replace(state, filters=cleared), str(error)
    return state, ""


def _start_percent(store: LogStore, log: str | None) -> int:
    """Where the path slider starts: a readable map of ``log``, or all arcs when none is
    chosen."""
    if log is None:
        return DEFAULT_TOP_PERCENT
    try:
        return suggest_top_percent(load_process_map(store, log).dfg)
    except KitflowError:
        return DEFAULT_TOP_PERCENT  # the map callback reports the problem


def _field(label: str, control_id: str, control: Component, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=control_id), control],
        className="kf-field" + (" kf-field--wide" if wide else ""),
    )


def _slider(control_id: str, value: int) -> dcc.Slider:
    return dcc.Slider(
        id=control_id,
        min=5,
        max=100,
        step=5,
        value=value,
        marks={m: f"{m} %" for m in _SLIDER_MARKS},
        # Kept with the persisted log when the page is opened again without them in the address.
        persistence=True,
        persistence_type="session",
    )


def _controls(flat: list[str], state: MapState, language: Language) -> html.Section:
    log_picker = dcc.Dropdown(
        id=ids.MAP_LOG,
        options=[{"label": name, "value": name} for name in flat],
        value=state.log,
        placeholder=translate("map.log_placeholder", language),
        clearable=False,
        labels=dropdown_labels(language),
        # Keeps the last chosen log when the page is opened again without one in the address.
        persistence=True,
        persistence_type="session",
    )
    mode = _radio(ids.MAP_MODE, "map.mode", ("frequency", "performance"), state.mode, language)
    statistic = _radio(
        ids.MAP_STATISTIC, "map.statistic", ("median", "mean"), state.statistic, language
    )
    return html.Section(
        [
            html.Div(
                [
                    _field(translate("map.log", language), ids.MAP_LOG, log_picker),
                    _field(translate("map.mode", language), ids.MAP_MODE, mode),
                    _field(translate("map.statistic", language), ids.MAP_STATISTIC, statistic),
                ]
            ),
            html.Div(
                [
                    _field(
                        translate("map.top_activities", language),
                        ids.MAP_ACTIVITY_PERCENT,
                        _slider(ids.MAP_ACTIVITY_PERCENT, state.activities),
                    ),
                    _field(
                        translate("map.top_arcs", language),
                        ids.MAP_TOP_PERCENT,
                        _slider(ids.MAP_TOP_PERCENT, state.paths or DEFAULT_TOP_PERCENT),
                    ),
                ]
            ),
        ],
        id=ids.MAP_CONTROLS,
        className="kf-card kf-controls",
    )


def _radio(
    control_id: str, key: str, values: tuple[str, ...], value: str, language: Language
) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=control_id,
        options=[{"label": translate(f"{key}.{v}", language), "value": v} for v in values],
        value=value,
        inline=True,
        className="kf-radio",
    )


@dataclass(frozen=True)
class LogChoices:
    """What the filter panel offers for one log: its case attributes, org units (normalised
    name -> the log's spellings), activities, arcs and most frequent variants (rank -> its
    activities, and its cases)."""

    attributes: tuple[str, ...] = ()
    units: dict[str, list[str]] = field(default_factory=dict)
    activities: tuple[str, ...] = ()
    arcs: tuple[str, ...] = ()
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    variant_cases: dict[str, int] = field(default_factory=dict)


def find_choices(store: LogStore, log: str | None) -> LogChoices:
    """The filter panel's choices for stored flat log ``log`` (none without a log)."""
    if not log or is_partitioned(store, log):  # no filters for a log stored in partitions
        return LogChoices()
    try:
        return _find_choices(store, log, store.entry(log).imported_at)
    except KitflowError:
        return LogChoices()


@lru_cache(maxsize=16)
def _find_choices(store: LogStore, log: str, imported_at: dt.datetime) -> LogChoices:
    del imported_at  # part of the cache key only
    data = load_process_map(store, log)
    schema = store.scan(log).collect_schema()
    arcs = data.dfg.sort(["source", "target"])
    variants = compute_variants(store.scan(log)).head(MAX_VARIANTS_OFFERED)
    ranks = [str(rank) for rank in variants["variant_rank"].to_list()]
    return LogChoices(
        variants=dict(zip(ranks, map(tuple, variants["variant"].to_list()), strict=True)),
        variant_cases=dict(zip(ranks, variants["cases"].to_list(), strict=True)),
        attributes=tuple(sorted(c for c in schema.names() if c.startswith("case:"))),
        units=_units_of_5_people(store, log),
        activities=tuple(sorted(data.activity_counts)),
        arcs=tuple(f"{s}{ARC_SEPARATOR}{t}" for s, t in arcs.select("source", "target").rows()),
    )


def _units_of_5_people(store: LogStore, log: str) -> dict[str, list[str]]:
    """The log's org units by normalised name, only those naming 5 people or more together
    (all when the log names no one): the 5-person rule on the units offered as filters."""
    events = store.scan(log)
    schema = events.collect_schema()
    if ORG_UNIT not in schema:
        return {}
    units = group_org_units(sorted(events.select(pl.col(ORG_UNIT).drop_nulls().unique())
                                   .collect()[ORG_UNIT].to_list()))  # fmt: skip
    if RESOURCE not in schema:
        return units
    people = events.select(ORG_UNIT, RESOURCE).drop_nulls().unique().collect()
    if people.height == 0:
        return units
    kept = {}
    for key, names in units.items():
        count = people.filter(pl.col(ORG_UNIT).is_in(names))[RESOURCE].n_unique()
        if count >= MIN_PEOPLE:
            kept[key] = names
    return kept


def find_attribute_values(store: LogStore, log: str | None, attribute: str | None) -> list[str]:
    """The values of case attribute ``attribute`` in ``log``, most cases first (at most 200)."""
    if not log or not attribute or is_partitioned(store, log):
        return []
    try:
        return list(_attribute_values(store, log, store.entry(log).imported_at, attribute))
    except (KitflowError, pl.exceptions.PolarsError):
        return []


@lru_cache(maxsize=32)
def _attribute_values(
    store: LogStore, log: str, imported_at: dt.datetime, attribute: str
) -> tuple[str, ...]:
    del imported_at  # part of the cache key only
    if attribute not in store.scan(log).collect_schema():
        return ()
    counts = (
        store.scan(log)
        .select(CASE, pl.col(attribute).cast(pl.String).alias("value"))
        .drop_nulls("value")
        .unique()
        .group_by("value")
        .agg(pl.len().alias("cases"))
        .sort(["cases", "value"], descending=[True, False])
        .head(200)
        .collect()
    )
    return tuple(counts["value"].to_list())


def _options(values: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [{"label": v, "value": v} for v in values]


def _variant_options(choices: LogChoices, language: Language) -> list[dict[str, str]]:
    return [
        {
            "label": translate(
                "map.variant_option",
                language,
                rank=rank,
                path=ARC_SEPARATOR.join(activities),
                cases=format_int(choices.variant_cases[rank], language),
            ),
            "value": rank,
        }
        for rank, activities in choices.variants.items()
    ]


def _unit_options(units: dict[str, list[str]]) -> list[dict[str, str]]:
    return sorted(
        ({"label": names[0], "value": key} for key, names in units.items()),
        key=lambda option: option["label"].casefold(),
    )


FILTER_CONTROLS: Final = (
    ids.MAP_PERIOD,
    ids.MAP_ATTRIBUTE,
    ids.MAP_VALUES,
    ids.MAP_UNITS,
    ids.MAP_VARIANTS,
    ids.MAP_CHOSEN_VARIANTS,
    ids.MAP_MIN_DAYS,
    ids.MAP_MAX_DAYS,
    ids.MAP_WITH,
    ids.MAP_WITHOUT,
    ids.MAP_EXCLUDE_ACTIVITIES,
    ids.MAP_EXCLUDE_ARCS,
)
"""The controls that filter the log: disabled for a log stored in partitions, whose map is
drawn whole (one partition at a time; the activity slider still projects it)."""


def _filter_panel(store: LogStore, state: MapState, language: Language) -> html.Details:
    choices = find_choices(store, state.log)
    locked = is_partitioned(store, state.log)
    filters = MapFilters() if locked else state.filters
    period = date_range_picker(
        ids.MAP_PERIOD,
        language,
        start_date=_iso(filters.start, language),
        end_date=_iso(filters.end, language),
        disabled=locked,
    )
    none, all_ = (
        translate("map.none_placeholder", language),
        translate("map.all_placeholder", language),
    )
    activity = translate("map.activity_placeholder", language)

    def dropdown(
        control_id: str,
        options: list[dict[str, str]],
        value: Any,
        placeholder: str,
        multi: bool = False,
    ) -> dcc.Dropdown:
        return dcc.Dropdown(
            id=control_id,
            options=options,
            value=value,
            placeholder=placeholder,
            multi=multi,
            labels=dropdown_labels(language),
            disabled=locked,
        )

    def number(control_id: str, value: str | None, placeholder: str) -> dcc.Input:
        return dcc.Input(
            id=control_id,
            type="number",
            min=0,
            value=value,
            placeholder=placeholder,
            debounce=True,
            className="kf-number",
            disabled=locked,
        )

    fields_ = [
        _field(translate("map.period", language), ids.MAP_PERIOD, period, wide=True),
        _field(translate("map.attribute", language), ids.MAP_ATTRIBUTE, dropdown(
            ids.MAP_ATTRIBUTE, _options(choices.attributes), filters.attribute,
            translate("map.attribute_placeholder", language))),
        _field(translate("map.values", language), ids.MAP_VALUES, dropdown(
            ids.MAP_VALUES, _options(find_attribute_values(store, state.log, filters.attribute)),
            list(filters.values), translate("map.values_placeholder", language), multi=True)),
        _field(translate("map.org_units", language), ids.MAP_UNITS, dropdown(
            ids.MAP_UNITS, _unit_options(choices.units), list(filters.units),
            translate("map.org_units_placeholder", language), multi=True)),
        _field(translate("map.variants", language), ids.MAP_VARIANTS,
               number(ids.MAP_VARIANTS, filters.variants, all_)),
        _field(translate("map.chosen_variants", language), ids.MAP_CHOSEN_VARIANTS, dropdown(
            ids.MAP_CHOSEN_VARIANTS, _variant_options(choices, language),
            list(filters.chosen_variants), all_, multi=True), wide=True),
        _field(translate("map.duration", language), ids.MAP_MIN_DAYS, html.Div([
            number(ids.MAP_MIN_DAYS, filters.min_days, "0"),
            html.Span(" – "),
            number(ids.MAP_MAX_DAYS, filters.max_days, "∞"),
        ], className="kf-range")),
        _field(translate("map.with_activity", language), ids.MAP_WITH, dropdown(
            ids.MAP_WITH, _options(choices.activities), filters.with_activity, activity)),
        _field(translate("map.without_activity", language), ids.MAP_WITHOUT, dropdown(
            ids.MAP_WITHOUT, _options(choices.activities), filters.without_activity, activity)),
        _field(translate("map.exclude_activities", language), ids.MAP_EXCLUDE_ACTIVITIES, dropdown(
            ids.MAP_EXCLUDE_ACTIVITIES, _options(choices.activities),
            list(filters.excluded_activities), none, multi=True)),
        _field(translate("map.exclude_arcs", language), ids.MAP_EXCLUDE_ARCS, dropdown(
            ids.MAP_EXCLUDE_ARCS, _options(choices.arcs), list(filters.excluded_arcs), none,
            multi=True)),
    ]  # fmt: skip
    return html.Details(
        [
            html.Summary(translate("map.filters", language)),
            html.Div(fields_, className="kf-filter-grid"),
        ],
        id=ids.MAP_FILTERS,
        open=filters.any(),
        className="kf-card kf-filters",
    )


_DROPDOWN_LABELS: Final = (
    "select_all",
    "deselect_all",
    "selected_count",
    "search",
    "clear_search",
    "clear_selection",
    "no_options_found",
)


def dropdown_labels(language: Language) -> Any:  # dcc.Dropdown.Labels, a TypedDict
    """A dropdown's own texts ("3 selected", "Search", ...) in ``language``."""
    return {key: translate(f"map.dropdown.{key}", language) for key in _DROPDOWN_LABELS}


def _iso(value: str | None, language: Language) -> str | None:
    if not value:
        return None
    try:
        return read_day(value, language).isoformat()
    except KitflowError:
        return None


def _result() -> list[Component]:
    return [
        html.P(id=ids.MAP_SUMMARY, className="kf-muted"),
        html.Div(id=ids.MAP_MESSAGE),
        # Filled by the callback. The graph is created there, not here: cytoscape sizes itself
        # when it is mounted, and one mounted in a hidden box would fit the map to nothing.
        # Until then an empty graph of the same id stands in, so the click callback's input
        # exists in the layout Dash validates every page's callbacks against.
        html.Div(
            cyto.Cytoscape(id=ids.MAP_GRAPH, elements=[], style={"display": "none"}),
            id=ids.MAP_RESULT,
            className="kf-map-grid",
        ),
    ]


def _cases_section(language: Language) -> html.Section:
    return html.Section(
        [
            html.Div(note(translate("map.cases_hint", language), compact=True), id=ids.MAP_CASES),
            html.Div(
                _field(
                    translate("map.case", language),
                    ids.MAP_CASE,
                    dcc.Dropdown(
                        id=ids.MAP_CASE,
                        options=[],
                        placeholder=translate("map.case_placeholder", language),
                        labels=dropdown_labels(language),
                    ),
                ),
                className="kf-case-picker",
            ),
            html.Div(id=ids.MAP_TIMELINE),
        ],
        className="kf-card kf-cases",
    )


@dataclass(frozen=True)
class MapView:
    """What the map callback shows: the graph's elements, the arc table, the performance
    legend, a summary or a note."""

    elements: list[dict[str, Any]] = field(default_factory=list)
    arcs: TableData | None = None
    summary: str = ""
    message: Component | None = None
    mode: MapMode = "frequency"
    statistic: Statistic = "median"
    legend: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def has_enough_people(store: LogStore, log: str) -> bool:
    """Whether stored log ``log`` shows 5 people or more, or names none (the 5-person rule)."""
    return _has_enough_people(store, log, store.entry(log).imported_at)


@lru_cache(maxsize=16)
def _has_enough_people(store: LogStore, log: str, imported_at: dt.datetime) -> bool:
    del imported_at  # part of the cache key only
    whole = find_partitioned_log(store, log)
    if whole is not None:
        return check_partitioned_view_size(whole).enough
    return check_group_size(store.scan(log)).enough


@dataclass(frozen=True)
class FilteredMap:
    """The map data of a filtered view: its DFG and events per activity, its cases, the log's
    cases, whether it shows 5 people or more (or names none), and its activities before the
    activity slider; ``merged`` says what the 5-person rule did to its activities."""

    data: ProcessMapData
    cases: int
    total_cases: int
    enough: bool
    activities: int
    merged: MergedGroups | None = None


def merge_activity_map(
    events: pl.LazyFrame | pl.DataFrame,
) -> tuple[ProcessMapData, MergedGroups]:
    """The DFG and events per activity of ``events`` with its activities of fewer than 5
    people merged (``mining.merge_small_activities``), the withheld node and its arcs left out.
    A log with no small activity keeps its own frame, so a bare scan of a stored log is still
    served from its stored DFG."""
    merged = merge_small_activities(events)
    if merged.merged == 0:
        return ProcessMapData(discover_dfg(events), count_activities(events.lazy())), merged
    frame = merged.frame.collect()
    dfg = drop_withheld(discover_dfg(frame), ("source", "target"))
    counts = count_activities(frame.lazy())
    counts.pop(WITHHELD_GROUP, None)
    return ProcessMapData(dfg, counts), merged


def filtered_view(
    store: LogStore, log: str, filters: MapFilters, activities: int, language: Language
) -> pl.LazyFrame:
    """The events the map of ``log`` with ``filters`` draws: the kept cases, without the
    left-out activities, projected on the most frequent ``activities`` % of the activities."""
    choices = find_choices(store, log)
    view = apply_filters(
        store.scan(log), filters, language, units=choices.units, variants=choices.variants
    )
    return _project(view, activities)[0]


def _project(view: pl.LazyFrame, activities: int) -> tuple[pl.LazyFrame, int]:
    """``view`` projected on its most frequent ``activities`` %, and its number of
    activities before."""
    counts = count_activities(view)
    if activities >= 100:
        return view, len(counts)
    return filter_activities(view, select_top_activities(counts, activities)), len(counts)


def load_filtered_map(
    store: LogStore, log: str, filters: MapFilters, activities: int, language: Language
) -> FilteredMap:
    """The data of the map of ``log`` under ``filters`` and the activity slider: cached per
    log version, filters and slider (moving the path slider or switching the view reuses it).
    A log stored in partitions is drawn whole (the filters left out), one partition at a time,
    projected on the slider's activities."""
    if is_partitioned(store, log):
        counts = load_process_map(store, log).activity_counts
        kept = None if activities >= 100 else tuple(select_top_activities(counts, activities))
        whole = load_partitioned_map(store, log, kept)
        return FilteredMap(
            whole.data, whole.cases, whole.cases, whole.enough, whole.activities, whole.merged
        )
    return _load_filtered_map(
        store,
        log,
        store.entry(log).imported_at,
        filters=filters,
        activities=activities,
        language=language,
    )


@lru_cache(maxsize=32)
def _load_filtered_map(
    store: LogStore,
    log: str,
    imported_at: dt.datetime,
    *,
    filters: MapFilters,
    activities: int,
    language: Language,
) -> FilteredMap:
    total = _count_cases(store, log, imported_at)
    if not filters.any() and activities >= 100:
        enough = has_enough_people(store, log)
        before = len(load_process_map(store, log).activity_counts)
        data, merged = merge_activity_map(store.scan(log))
        return FilteredMap(data, total, total, enough, before, merged)
    choices = find_choices(store, log)
    kept = apply_filters(
        store.scan(log), filters, language, units=choices.units, variants=choices.variants
    ).collect()
    projected, before = _project(kept.lazy(), activities)
    view = projected.collect()
    data, merged = merge_activity_map(view)
    cases = view.select(pl.col(CASE).n_unique()).item() if view.height else 0
    return FilteredMap(data, int(cases), total, check_group_size(view).enough, before, merged)


@lru_cache(maxsize=16)
def _count_cases(store: LogStore, log: str, imported_at: dt.datetime) -> int:
    del imported_at  # part of the cache key only
    return int(store.scan(log).select(pl.col(CASE).n_unique()).collect().item())


def render_map(
    store: LogStore,
    log: str | None,
    percent: float | None,
    language: Language,
    *,
    state: MapState | None = None,
) -> MapView:
    """The map of ``log`` with the top ``percent`` % of its arcs, in the view, activity slider
    and filters of ``state`` (defaults: frequency, all activities, no filter), or a note saying
    why not."""
    state = state or MapState()
    partitioned = is_partitioned(store, log)
    if partitioned:  # drawn whole: the filters would need the whole log in memory
        state = replace(state, filters=MapFilters())
    loaded = _load_for_map(store, log, state, language)
    if isinstance(loaded, MapView):
        return loaded
    view = _render_loaded(loaded, log, percent, language, state)
    if partitioned and view.message is None:
        text = translate("partitioned.note", language, name=log)
        view = replace(view, message=note(text, note_id=ids.MAP_PARTITIONED))
    return view


def _render_loaded(
    loaded: FilteredMap, log: str | None, percent: float | None, language: Language, state: MapState
) -> MapView:
    """:func:`render_map` of the loaded map data."""
    found = loaded
    filtered = state.filters.any()
    notes = []
    if filtered:
        cases, total = format_int(found.cases, language), format_int(found.total_cases, language)
        notes.append(translate("map.filtered", language, cases=cases, total=total))
    if not found.enough:
        key = "map.filtered_withheld" if filtered else "map.withheld"
        return MapView(message=note(translate(key, language, name=log), kind="warning"))
    data = _named_other(found.data, language)
    notes[:0] = activity_notes(found.merged, language)
    if filtered and found.cases == 0:
        return MapView(message=note(translate("map.filtered_empty", language)), notes=notes)
    if data.dfg.height == 0:  # or every arc left out by the 5-person rule, said so
        empty = translate("map.empty_log", language, name=log)
        return MapView(message=note(" ".join([empty, *activity_notes(found.merged, language)])))
    shown = select_top_arcs(data.dfg, percent if percent is not None else DEFAULT_TOP_PERCENT)
    drawn = shown_activities(shown, data.activity_counts)
    counts = {
        "shown_activities": len(drawn),
        "activities": found.activities,
        "shown": shown.height,
        "total": data.dfg.height,
    }
    summary = translate(
        "map.summary", language, **{k: format_int(v, language) for k, v in counts.items()}
    )
    legend = build_performance_legend(shown, state.statistic, language)
    return MapView(
        elements=build_process_map_elements(
            shown, data.activity_counts, language, mode=state.mode, statistic=state.statistic
        ),
        arcs=build_arc_table(
            shown,
            language,
            slowest_first=state.statistic if state.mode == "performance" else None,
        ),
        summary=" · ".join([summary, *notes]),
        mode=state.mode,
        statistic=state.statistic,
        legend=[(item.colour, item.label) for item in legend],
    )


def activity_notes(merged: MergedGroups | None, language: Language) -> list[str]:
    """What the 5-person rule did to the map's activities, or that it cannot count them."""
    if merged is None:
        return []
    if not merged.people_known:
        return [translate("analysis.no_people", language)]
    if merged.merged == 0:
        return []
    key = "privacy.withheld_activities" if merged.withheld else "privacy.merged_activities"
    other = translate("privacy.other_activities", language)
    return [translate(key, language, count=format_int(merged.merged, language), other=other)]


def _named_other(data: ProcessMapData, language: Language) -> ProcessMapData:
    """``data`` with the merged activities' node named in ``language``."""
    if OTHER_ACTIVITIES not in data.activity_counts:
        return data
    name = translate("privacy.other_activities", language)
    dfg = data.dfg.with_columns(
        pl.col(c).cast(pl.String).replace(OTHER_ACTIVITIES, name) for c in ("source", "target")
    )
    counts = {name if k == OTHER_ACTIVITIES else k: v for k, v in data.activity_counts.items()}
    return ProcessMapData(dfg, counts)


def _load_for_map(
    store: LogStore, log: str | None, state: MapState, language: Language
) -> FilteredMap | MapView:
    """The data of the map, or a view with the note saying why there is none."""
    if not log:
        return MapView(message=note(translate("map.choose", language)))
    try:
        if store.entry(log).kind != "flat":
            text = translate("map.not_flat", language, name=log)
            return MapView(message=note(text, kind="warning"))
        return load_filtered_map(store, log, state.filters, state.activities, language)
    except KitflowError as error:
        key = "map.bad_input" if state.filters.any() else "map.error"
        return MapView(message=note(translate(key, language, error=str(error)), kind="error"))


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
        html.Div([graph, _legend(view, language)], className="kf-card kf-graph"),
        html.Div(
            [
                html.H2(translate("map.arcs", language)),
                render_table(view.arcs, table_id=ids.MAP_ARCS, compact=True),
            ],
            className="kf-card kf-arcs",
        ),
    ]


def _legend(view: MapView, language: Language) -> html.Div:
    if view.mode != "performance":
        return html.Div(
            html.P(translate("map.legend_frequency", language)),
            id=ids.MAP_LEGEND,
            className="kf-legend",
        )
    statistic = translate(f"map.statistic.{view.statistic}", language).lower()
    swatches = [
        html.Span(
            [html.Span(className="kf-swatch", style={"background": colour}), label],
            className="kf-legend-item",
        )
        for colour, label in view.legend
    ]
    return html.Div(
        [html.P(translate("map.legend_performance", language, statistic=statistic)), *swatches],
        id=ids.MAP_LEGEND,
        className="kf-legend",
    )


def build_cases(
    store: LogStore, state: MapState, tapped: dict[str, Any] | None, language: Language
) -> tuple[list[Component], list[dict[str, str]]]:
    """The list of the cases through a tapped activity (node data) or arc (edge data), and the
    case picker's options; the hint when nothing is tapped or the view is withheld."""
    hint: list[Component] = [note(translate("map.cases_hint", language), compact=True)]
    if not tapped or not state.log:
        return hint, []
    if is_partitioned(store, state.log):
        return [note(translate("partitioned.no_cases", language), compact=True)], []
    try:
        found = load_filtered_map(store, state.log, state.filters, state.activities, language)
        if not found.enough:
            return hint, []
        view = filtered_view(store, state.log, state.filters, state.activities, language)
        if "source" in tapped:
            source, target = str(tapped["source"]), str(tapped["target"])
            cases = find_cases_through(view, arc=(source, target))
            what = f"{source}{ARC_SEPARATOR}{target}"
        else:
            what = str(tapped.get("id", ""))
            cases = find_cases_through(view, activity=what)
    except KitflowError as error:
        return [note(translate("map.bad_input", language, error=str(error)), kind="error")], []
    total = cases.height
    listed = cases.head(MAX_CASES_LISTED)
    if total > MAX_CASES_LISTED:
        shown = format_int(MAX_CASES_LISTED, language)
        count = translate(
            "map.cases_capped", language, shown=shown, total=format_int(total, language)
        )
    else:
        count = translate("map.cases_count", language, total=format_int(total, language))
    table = TableData(
        (
            Column("case", translate("map.col.case", language)),
            Column("start", translate("map.col.start", language)),
            Column("end", translate("map.col.end", language)),
            Column("duration", translate("map.col.duration", language), numeric=True),
            Column("events", translate("map.col.events", language), numeric=True),
        ),
        tuple(
            {
                "case": str(row[CASE]),
                "start": format_datetime(row["start"], language),
                "end": format_datetime(row["end"], language),
                "duration": format_duration(row["duration_s"], language),
                "events": format_int(int(row["events"]), language),
            }
            for row in listed.iter_rows(named=True)
        ),
    )
    return [
        html.H2(translate("map.cases_title", language, what=what)),
        html.P(count, id=ids.MAP_CASES_NOTE, className="kf-muted"),
        html.Div(render_table(table, table_id=ids.MAP_CASES_TABLE, compact=True),
                 className="kf-cases-scroll"),
    ], _options([str(c) for c in listed[CASE].to_list()])  # fmt: skip


def build_timeline(
    store: LogStore, state: MapState, case_id: str | None, language: Language
) -> list[Component]:
    """The events of case ``case_id`` in the shown view, in order, with Danish times (no
    person named)."""
    if not case_id or not state.log or is_partitioned(store, state.log):
        return []
    try:
        found = load_filtered_map(store, state.log, state.filters, state.activities, language)
        if not found.enough:
            return []
        view = filtered_view(store, state.log, state.filters, state.activities, language)
        events = find_case_events(view, case_id)
    except KitflowError as error:
        return [note(translate("map.bad_input", language, error=str(error)), kind="error")]
    has_unit = "org_unit" in events.columns
    columns = [
        Column("activity", translate("map.col.activity", language)),
        Column("time", translate("map.col.time", language)),
        Column("since", translate("map.col.since", language), numeric=True),
    ]
    if has_unit:
        columns.append(Column("org_unit", translate("map.col.org_unit", language)))
    rows = []
    previous: dt.datetime | None = None
    for row in events.iter_rows(named=True):
        moment = row["timestamp"]
        since = (moment - previous).total_seconds() if previous is not None else None
        previous = moment
        cells: dict[str, Any] = {
            "activity": row["activity"],
            "time": format_datetime(moment, language),
            "since": format_duration(since, language) if since is not None else "",
        }
        if has_unit:
            cells["org_unit"] = row["org_unit"] or "–"
        rows.append(cells)
    return [
        html.H3(translate("map.timeline_title", language, case=case_id)),
        render_table(TableData(tuple(columns), tuple(rows)), table_id=ids.MAP_TIMELINE_TABLE,
                     compact=True),
    ]  # fmt: skip


def state_from_controls(
    log: str | None,
    *,
    mode: str | None,
    statistic: str | None,
    activities: float | None,
    paths: float | None,
    filters: MapFilters,
) -> MapState:
    """The state the controls hold (unknown values fall back to the defaults)."""
    params = {
        "log": log or "",
        "mode": mode or "",
        "stat": statistic or "",
        "acts": as_text(activities) or "",
        "paths": as_text(paths) or "",
    }
    return replace(read_state(params), filters=filters)


def page_layout(lang: str | None = None, log: str | None = None, **query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log, dict(query))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: the controls in, the map, its summary and the
    URL out; a newly chosen log fills the filter panel and moves the path slider to where its
    map is readable; a tap lists cases; a chosen case shows its timeline."""
    register_page(__name__, path=PATH, name="Procesoverblik", order=4, layout=page_layout)
    register_open_cases(app, store)  # the panel Åbne sager (issue #16)

    @app.callback(
        output=[
            Output(ids.MAP_RESULT, "children"),
            Output(ids.MAP_SUMMARY, "children"),
            Output(ids.MAP_MESSAGE, "children"),
            Output(ids.MAP_SEARCH, "data"),
        ],
        inputs={
            "log": Input(ids.MAP_LOG, "value"),
            "percent": Input(ids.MAP_TOP_PERCENT, "value"),
            "mode": Input(ids.MAP_MODE, "value"),
            "statistic": Input(ids.MAP_STATISTIC, "value"),
            "activities": Input(ids.MAP_ACTIVITY_PERCENT, "value"),
            "start": Input(ids.MAP_PERIOD, "start_date"),
            "end": Input(ids.MAP_PERIOD, "end_date"),
            "attribute": Input(ids.MAP_ATTRIBUTE, "value"),
            "values": Input(ids.MAP_VALUES, "value"),
            "variants": Input(ids.MAP_VARIANTS, "value"),
            "units": Input(ids.MAP_UNITS, "value"),
            "min_days": Input(ids.MAP_MIN_DAYS, "value"),
            "max_days": Input(ids.MAP_MAX_DAYS, "value"),
            "with_activity": Input(ids.MAP_WITH, "value"),
            "without_activity": Input(ids.MAP_WITHOUT, "value"),
            "excluded_activities": Input(ids.MAP_EXCLUDE_ACTIVITIES, "value"),
            "excluded_arcs": Input(ids.MAP_EXCLUDE_ARCS, "value"),
            "chosen_variants": Input(ids.MAP_CHOSEN_VARIANTS, "value"),
            "language": State(ids.MAP_LANGUAGE, "data"),
        },
    )
    def update_map(
        *,
        log: str | None,
        percent: float | None,
        mode: str | None,
        statistic: str | None,
        activities: float | None,
        start: str | None,
        end: str | None,
        attribute: str | None,
        values: list[str] | None,
        variants: float | None,
        units: list[str] | None,
        min_days: float | None,
        max_days: float | None,
        with_activity: str | None,
        without_activity: str | None,
        excluded_activities: list[str] | None,
        excluded_arcs: list[str] | None,
        chosen_variants: list[str] | None,
        language: str | None,
    ) -> tuple[list[Component], str, Component | None, str]:
        chosen = parse_language(language)
        filters = MapFilters(
            start=as_text(start),
            end=as_text(end),
            attribute=as_text(attribute),
            values=as_tuple(values) if attribute else (),
            variants=as_text(variants),
            units=as_tuple(units),
            min_days=as_text(min_days),
            max_days=as_text(max_days),
            with_activity=as_text(with_activity),
            without_activity=as_text(without_activity),
            excluded_activities=as_tuple(excluded_activities),
            excluded_arcs=as_tuple(excluded_arcs),
            chosen_variants=as_tuple(chosen_variants),
        )
        state = state_from_controls(
            log,
            mode=mode,
            statistic=statistic,
            activities=activities,
            paths=percent,
            filters=filters,
        )
        if is_partitioned(store, state.log):  # drawn whole: no filter in the address either
            state = replace(state, filters=MapFilters())
        view = render_map(store, state.log, state.paths, chosen, state=state)
        search = write_query(state, chosen)
        return build_result(view, chosen), view.summary, view.message, search

    # The browser's address follows the view (no page reload, no new page render), and the
    # header's language links with it, so switching language keeps the view.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        "function(search) { return search === undefined || search === null ? "
        "window.dash_clientside.no_update : search; }",
        Output(ids.SHELL_URL, "search", allow_duplicate=True),
        Input(ids.MAP_SEARCH, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.MAP_TOP_PERCENT, "value"),
        Output(ids.MAP_ATTRIBUTE, "options"),
        Output(ids.MAP_UNITS, "options"),
        Output(ids.MAP_WITH, "options"),
        Output(ids.MAP_WITHOUT, "options"),
        Output(ids.MAP_EXCLUDE_ACTIVITIES, "options"),
        Output(ids.MAP_EXCLUDE_ARCS, "options"),
        Output(ids.MAP_CHOSEN_VARIANTS, "options"),
        Input(ids.MAP_LOG, "value"),
        State(ids.MAP_LANGUAGE, "data"),
        # Not on page load: then the controls show what the layout (the URL) set.
        prevent_initial_call=True,
    )
    def start_for_log(log: str | None, language: str | None) -> tuple[Any, ...]:
        choices = find_choices(store, log)
        activities = _options(choices.activities)
        return (
            _start_percent(store, log),
            _options(choices.attributes),
            _unit_options(choices.units),
            activities,
            activities,
            activities,
            _options(choices.arcs),
            _variant_options(choices, parse_language(language)),
        )

    @app.callback(
        *[Output(control, "disabled") for control in FILTER_CONTROLS],
        Input(ids.MAP_LOG, "value"),
        prevent_initial_call=True,
    )
    def lock_filters_for_log(log: str | None) -> tuple[bool, ...]:
        # A log stored in partitions is drawn whole: its filters are disabled.
        return (is_partitioned(store, log),) * len(FILTER_CONTROLS)

    @app.callback(
        Output(ids.MAP_VALUES, "options"),
        Input(ids.MAP_ATTRIBUTE, "value"),
        State(ids.MAP_LOG, "value"),
        prevent_initial_call=True,
    )
    def values_for_attribute(attribute: str | None, log: str | None) -> list[dict[str, str]]:
        return _options(find_attribute_values(store, log, attribute))

    @app.callback(
        Output(ids.MAP_CASES, "children"),
        Output(ids.MAP_CASE, "options"),
        Output(ids.MAP_CASE, "value"),
        Input(ids.MAP_GRAPH, "tapNodeData"),
        Input(ids.MAP_GRAPH, "tapEdgeData"),
        State(ids.MAP_SEARCH, "data"),
        State(ids.MAP_LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def list_cases(
        node: dict[str, Any] | None,
        edge: dict[str, Any] | None,
        search: str | None,
        language: str | None,
    ) -> tuple[list[Component], list[dict[str, str]], None]:
        tapped = edge if ctx.triggered_id and _edge_tapped() else node
        state = read_state(query_params(search))
        children, options = build_cases(store, state, tapped, parse_language(language))
        return children, options, None

    @app.callback(
        Output(ids.MAP_TIMELINE, "children"),
        Input(ids.MAP_CASE, "value"),
        State(ids.MAP_SEARCH, "data"),
        State(ids.MAP_LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def show_timeline(
        case_id: str | None, search: str | None, language: str | None
    ) -> list[Component]:
        state = read_state(query_params(search))
        return build_timeline(store, state, case_id, parse_language(language))


def _edge_tapped() -> bool:
    return any(t["prop_id"].endswith(".tapEdgeData") for t in ctx.triggered)
