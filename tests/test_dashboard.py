"""The dashboard without a browser: pure figures, labels, page layouts and callbacks.

The tiny log (3 cases) and its directly-follows graph, computed by hand:

    case 1: a (0 s)  b (60 s)  c (180 s)
    case 2: a (0 s)  b (120 s) c (240 s)
    case 3: a (0 s)  c (600 s)

    a → b: 2 times, 60 s and 120 s, mean 90 s
    b → c: 2 times, 120 s and 120 s, mean 120 s
    a → c: 1 time, 600 s
    events: a 3, b 2, c 3
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dash.development.base_component import Component

from app.dashboard import create_app, ids
from app.dashboard.data import count_activities, current_store, load_process_map
from app.dashboard.pages import logs, process_map
from app.dashboard.routes import PROCESS_MAP_PATH, page_href, query_params
from app.dashboard.shell import build_header
from app.figures import (
    Link,
    build_arc_table,
    build_log_table,
    build_process_map_elements,
    select_top_arcs,
    suggest_top_percent,
)
from app.i18n import LANGUAGES, label_keys, parse_language, translate
from extractors.files import ReadOptions
from mining import discover_dfg
from models.catalog import LogEntry
from models.store import LogStore
from services.imports import import_log

T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
TINY_EVENTS = (
    ("1", "a", 0),
    ("1", "b", 60),
    ("1", "c", 180),
    ("2", "a", 0),
    ("2", "b", 120),
    ("2", "c", 240),
    ("3", "a", 0),
    ("3", "c", 600),
)
TINY_COUNTS = {"a": 3, "b": 2, "c": 3}


def tiny_events() -> pl.DataFrame:
    """The tiny log with canonical column names and types, sorted by case and time."""
    return pl.DataFrame(
        {
            "case_id": [c for c, _, _ in TINY_EVENTS],
            "activity": [a for _, a, _ in TINY_EVENTS],
            "timestamp": [T0 + dt.timedelta(seconds=s) for _, _, s in TINY_EVENTS],
        },
        schema_overrides={"activity": pl.Categorical(), "timestamp": pl.Datetime("us", "UTC")},
    )


def tiny_dfg() -> pl.DataFrame:
    """The graph above, as discover_dfg returns it."""
    return pl.DataFrame(
        {
            "source": ["a", "b", "a"],
            "target": ["b", "c", "c"],
            "frequency": [2, 2, 1],
            "mean_duration_s": [90.0, 120.0, 600.0],
            "median_duration_s": [90.0, 120.0, 600.0],
        }
    )


def entry(name: str, **changes: Any) -> LogEntry:
    values: dict[str, Any] = {
        "name": name,
        "kind": "flat",
        "source_path": f"/imports/{name}.xes",
        "source_format": "xes",
        "cases": 1434,
        "events": 21345,
        "activities": 12,
        "variants": 301,
        "quarantined": 2,
        # 10:00 UTC is 12:00 in Copenhagen in summer (CEST) and 11:00 in winter (CET).
        "first_event": dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC),
        "last_event": dt.datetime(2024, 12, 2, 10, 0, tzinfo=dt.UTC),
        "schema_version": 1,
        "imported_at": dt.datetime(2025, 1, 6, 7, 30, tzinfo=dt.UTC),
    }
    values.update(changes)
    return LogEntry(**values)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    """A store holding the tiny log as ``tiny`` (imported from CSV like any user file)."""
    csv = tmp_path / "tiny.csv"
    tiny_events().with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(csv)
    log_store = LogStore(tmp_path / "data")
    import_log(log_store, csv, name="tiny", options=ReadOptions())
    yield log_store
    log_store.catalog.dispose()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[LogStore]:
    log_store = LogStore(tmp_path / "empty")
    yield log_store
    log_store.catalog.dispose()


def add_object_centric(log_store: LogStore, name: str = "orders-ocel") -> None:
    """A catalog entry of an object-centric log (its tables are not needed by these tests)."""
    log_store.catalog.put(entry(name, kind="object-centric", source_format="ocel"))


# --- walking Dash component trees ---------------------------------------------------------


def walk(node: Any) -> Iterator[Any]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from walk(item)
        return
    yield node
    children = getattr(node, "children", None) if isinstance(node, Component) else None
    if isinstance(children, list | tuple):
        for child in children:
            yield from walk(child)
    elif children is not None:
        yield from walk(children)


def by_id(tree: Any, component_id: str | dict[str, str]) -> Any:
    found = [n for n in walk(tree) if getattr(n, "id", None) == component_id]
    assert len(found) == 1, f"{len(found)} components with id {component_id!r}"
    return found[0]


def has_id(tree: Any, component_id: str) -> bool:
    return any(getattr(n, "id", None) == component_id for n in walk(tree))


def text(tree: Any) -> str:
    return " ".join(n for n in walk(tree) if isinstance(n, str))


def table_rows(tree: Any) -> list[list[str]]:
    """The body rows of the first HTML table in ``tree``, as cell texts."""
    body = next(n for n in walk(tree) if type(n).__name__ == "Tbody")
    return [[text(td) for td in row.children] for row in body.children]


# --- labels ---------------------------------------------------------------------------------


def test_every_label_has_both_languages_with_the_same_placeholders() -> None:
    for key in label_keys():
        danish, english = (translate(key, lang) for lang in LANGUAGES)
        assert danish.strip() and english.strip(), key
        assert set(re.findall(r"{(\w+)}", danish)) == set(re.findall(r"{(\w+)}", english)), key


def test_translate_fills_placeholders_and_names_a_missing_key() -> None:
    assert translate("logs.count", "da", count="3") == "3 gemte logs"
    assert translate("logs.count", "en", count="3") == "3 stored logs"
    assert translate("nav.process_map", "da") == "Procesoverblik"
    with pytest.raises(KeyError, match=r"no dashboard label 'nope'.*app/i18n.py"):
        translate("nope", "da")


@pytest.mark.parametrize(
    ("value", "expected"), [("en", "en"), (" EN ", "en"), ("da", "da"), (None, "da"), ("de", "da")]
)
def test_parse_language_defaults_to_danish(value: object, expected: str) -> None:
    assert parse_language(value) == expected


def test_page_links_carry_the_language_but_not_the_default() -> None:
    assert page_href("/process-map", "da") == "/process-map"
    assert page_href("/process-map", "en", log="a b") == "/process-map?log=a+b&lang=en"
    assert page_href("/", "da", log=None) == "/"
    assert query_params("?lang=en&log=a+b") == {"lang": "en", "log": "a b"}
    assert query_params(None) == {}


# --- figures ----------------------------------------------------------------------------------


def test_the_tiny_log_has_the_hand_computed_graph() -> None:
    # The figures below are fed this frame; check it matches what mining computes.
    assert (
        discover_dfg(tiny_events()).to_dicts()
        == tiny_dfg()
        .sort(["frequency", "source", "target"], descending=[True, False, False])
        .to_dicts()
    )
    assert count_activities(tiny_events().lazy()) == TINY_COUNTS


def test_process_map_elements_of_the_tiny_log() -> None:
    elements = build_process_map_elements(tiny_dfg(), TINY_COUNTS, "da")
    nodes = [e["data"] for e in elements if "source" not in e["data"]]
    edges = [e["data"] for e in elements if "source" in e["data"]]

    # Most events first, then by name; the most frequent activities are the darkest.
    assert [(n["id"], n["label"], n["count"]) for n in nodes] == [
        ("a", "a\n3", 3),
        ("c", "c\n3", 3),
        ("b", "b\n2", 2),
    ]
    assert [n["fill"] for n in nodes] == ["#1d4f8a", "#1d4f8a", "#3f7fc4"]
    # The frequency view: arcs labelled with their counts, in the frequency view's grey.
    assert edges == [
        {"id": "arc-0", "source": "a", "target": "b", "frequency": 2, "mean_duration_s": 90.0,
         "median_duration_s": 90.0, "label": "2", "width": 8.0, "colour": "#8797ab"},
        {"id": "arc-1", "source": "b", "target": "c", "frequency": 2, "mean_duration_s": 120.0,
         "median_duration_s": 120.0, "label": "2", "width": 8.0, "colour": "#8797ab"},
        {"id": "arc-2", "source": "a", "target": "c", "frequency": 1, "mean_duration_s": 600.0,
         "median_duration_s": 600.0, "label": "1", "width": 4.5, "colour": "#8797ab"},
    ]  # fmt: skip


def test_process_map_labels_follow_the_language() -> None:
    elements = build_process_map_elements(tiny_dfg(), {"a": 1234, "b": 2, "c": 3}, "en")
    labels = {e["data"]["id"]: e["data"]["label"] for e in elements}
    assert labels["a"] == "a\n1,234"
    assert labels["arc-0"] == "2"
    performance = build_process_map_elements(
        tiny_dfg(), {"a": 1234, "b": 2, "c": 3}, "en", mode="performance"
    )
    assert {e["data"]["id"]: e["data"]["label"] for e in performance}["arc-0"] == "1.5 min"


def test_an_activity_without_shown_arcs_is_left_out() -> None:
    only_ab = tiny_dfg().head(1)
    elements = build_process_map_elements(only_ab, TINY_COUNTS, "da")
    assert [e["data"]["id"] for e in elements] == ["a", "b", "arc-0"]


def test_empty_graph_has_only_nodes() -> None:
    elements = build_process_map_elements(tiny_dfg().clear(), {"a": 1}, "da")
    assert [e["data"]["id"] for e in elements] == ["a"]


@pytest.mark.parametrize(
    ("frequencies", "percent", "kept"),
    [
        ([5, 3, 1], 100, [5, 3, 1]),
        ([5, 3, 1], 34, [5, 3]),  # ceil(1.02) = 2 arcs
        ([5, 3, 1], 33, [5]),  # ceil(0.99) = 1 arc
        ([5, 3, 1], 5, [5]),  # at least one arc
        ([5, 3, 1], 0, [5]),
        ([2, 2, 1], 10, [2, 2]),  # equally frequent arcs stay together
        ([1, 3, 5], 34, [5, 3]),  # most frequent first, whatever the input order
        ([], 50, []),
    ],
)
def test_select_top_arcs(frequencies: list[int], percent: float, kept: list[int]) -> None:
    assert select_top_arcs(arcs_with(frequencies), percent)["frequency"].to_list() == kept


def arcs_with(frequencies: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": [f"s{i}" for i in range(len(frequencies))],
            "target": ["t"] * len(frequencies),
            "frequency": frequencies,
            "mean_duration_s": [1.0] * len(frequencies),
            "median_duration_s": [1.0] * len(frequencies),
        },
        schema_overrides={"frequency": pl.Int64},
    )


def test_suggested_slider_start_keeps_a_map_readable() -> None:
    assert suggest_top_percent(tiny_dfg()) == 100
    # 100 arcs of distinct frequency: 30 % is the most that shows at most 30 arcs.
    assert suggest_top_percent(arcs_with(list(range(1, 101)))) == 30
    # All equally frequent: no percentage thins them out, so start at the lowest.
    assert suggest_top_percent(arcs_with([1] * 50)) == 5


def test_arc_table_in_danish_and_english() -> None:
    danish = build_arc_table(tiny_dfg(), "da")
    assert [c.label for c in danish.columns] == ["Fra", "Til", "Antal", "Gns. tid", "Median"]
    assert [c.numeric for c in danish.columns] == [False, False, True, True, True]
    assert list(danish.rows) == [
        {"source": "a", "target": "b", "frequency": "2", "mean": "1,5 min", "median": "1,5 min"},
        {"source": "b", "target": "c", "frequency": "2", "mean": "2,0 min", "median": "2,0 min"},
        {"source": "a", "target": "c", "frequency": "1", "mean": "10,0 min", "median": "10,0 min"},
    ]
    english = build_arc_table(tiny_dfg(), "en")
    assert [c.label for c in english.columns][:3] == ["From", "To", "Frequency"]
    assert english.rows[0]["mean"] == "1.5 min"


def test_log_table_in_danish_formats_and_copenhagen_time() -> None:
    table = build_log_table([entry("servicenow")], "da", link_for=lambda e: f"/map?log={e.name}")
    assert [c.label for c in table.columns] == [
        "Navn", "Kildefil", "Type", "Sager", "Hændelser", "Aktiviteter", "Varianter",
        "I karantæne", "Første hændelse", "Sidste hændelse", "Importeret",
    ]  # fmt: skip
    assert table.rows[0] == {
        "name": Link("servicenow", "/map?log=servicenow"),
        "source": "servicenow.xes",
        "kind": "Flad",
        "cases": "1.434",
        "events": "21.345",
        "activities": "12",
        "variants": "301",
        "quarantined": "2",
        "first_event": "01.07.2024 12:00",
        "last_event": "02.12.2024 11:00",
        "imported_at": "06.01.2025 08:30",
    }


def test_log_table_in_english_without_links() -> None:
    table = build_log_table([entry("servicenow", first_event=None)], "en")
    row = table.rows[0]
    assert (row["name"], row["kind"], row["cases"]) == ("servicenow", "Flat", "1,434")
    assert row["first_event"] == "–"
    assert row["imported_at"] == "2025-01-06 08:30"
    assert table.columns[3].label == "Cases"


def test_log_table_shows_no_cases_for_an_object_centric_log() -> None:
    # Cases and variants exist only once such a log is flattened on an object type.
    table = build_log_table([entry("orders", kind="object-centric", cases=0, variants=0)], "da")
    row = table.rows[0]
    assert (row["kind"], row["cases"], row["variants"]) == ("Objektcentreret", "–", "–")
    assert (row["events"], row["activities"]) == ("21.345", "12")


# --- pages and callbacks, called directly -------------------------------------------------


def test_logs_page_lists_the_stored_logs(store: LogStore) -> None:
    page = logs.build_layout(store, "da")
    assert text(by_id(page, ids.LOGS_TITLE)) == "Hændelseslogs"
    assert "1 gemt log" in text(page)
    rows = table_rows(by_id(page, ids.LOGS_TABLE))
    # 3 cases, 8 events, 3 activities, 2 variants (a-b-c twice, a-c once), none quarantined.
    assert rows[0][:8] == ["tiny", "tiny.csv", "Flad", "3", "8", "3", "2", "0"]
    # 08:00 UTC on 1 March is 09:00 in Copenhagen.
    assert rows[0][8:10] == ["01.03.2024 09:00", "01.03.2024 09:10"]
    link = next(n for n in walk(page) if type(n).__name__ == "Link")
    assert link.href == "/process-map?log=tiny"


def test_logs_page_of_an_empty_store_says_how_to_import(empty_store: LogStore) -> None:
    page = logs.build_layout(empty_store, "en")
    message = text(by_id(page, ids.LOGS_EMPTY))
    assert "There are no event logs yet" in message
    assert "kitflow import path/to/log.xes --name my-log" in message
    assert not has_id(page, ids.LOGS_TABLE)


def test_process_map_page_offers_only_flat_logs(store: LogStore) -> None:
    add_object_centric(store)
    page = process_map.build_layout(store, "da", log="tiny")
    dropdown = by_id(page, ids.MAP_LOG)
    assert dropdown.options == [{"label": "tiny", "value": "tiny"}]
    assert dropdown.value == "tiny"
    assert "Objektcentrerede logs (orders-ocel)" in text(page)
    assert "--object-type" in text(page)
    assert by_id(page, ids.MAP_WORKSPACE).hidden is False
    assert by_id(page, ids.MAP_LANGUAGE).data == "da"
    # The tiny log has 3 arcs: the slider starts at all of them.
    assert by_id(page, ids.MAP_TOP_PERCENT).value == 100


def test_process_map_page_ignores_an_unknown_log_in_the_url(store: LogStore) -> None:
    page = process_map.build_layout(store, "en", log="nope")
    assert by_id(page, ids.MAP_LOG).value is None
    assert text(by_id(page, ids.MAP_TITLE)) == "Process map"


def test_process_map_page_with_only_object_centric_logs(empty_store: LogStore) -> None:
    add_object_centric(empty_store)
    page = process_map.build_layout(empty_store, "da")
    assert "Der er kun objektcentrerede logs" in text(page)
    # The controls stay in the page for the callback, but hidden.
    assert by_id(page, ids.MAP_WORKSPACE).hidden is True


def test_process_map_page_of_an_empty_store_says_how_to_import(empty_store: LogStore) -> None:
    page = process_map.build_layout(empty_store, "da")
    assert "kitflow import sti/til/log.xes --name mit-log" in text(by_id(page, ids.MAP_EMPTY))
    assert by_id(page, ids.MAP_WORKSPACE).hidden is True


def test_render_map_of_the_tiny_log(store: LogStore) -> None:
    view = process_map.render_map(store, "tiny", 100, "da")
    assert view.message is None
    assert view.summary == "Viser 3 af 3 aktiviteter og 3 af 3 overgange" + (
        " · Loggen har ingen kolonne med personer, så 5-personers-reglen kan ikke tælles her."
    )
    edges = [e["data"] for e in view.elements if "source" in e["data"]]
    assert [(e["source"], e["target"], e["label"]) for e in edges] == [
        ("a", "b", "2"),
        ("b", "c", "2"),
        ("a", "c", "1"),
    ]
    result = process_map.build_result(view, "da")
    graph = by_id(result, ids.MAP_GRAPH)
    assert graph.elements == view.elements
    assert graph.layout["name"] == "dagre"
    assert table_rows(by_id(result, ids.MAP_ARCS))[0] == ["a", "b", "2", "1,5 min", "1,5 min"]


def test_render_map_with_the_top_arcs_only(store: LogStore) -> None:
    view = process_map.render_map(store, "tiny", 50, "en")
    # 50 % of 3 arcs is 2, and the two most frequent (a→b, b→c) touch all three activities.
    assert view.summary == "Showing 3 of 3 activities and 2 of 3 arcs" + (
        " · The log has no people column, so the 5-person rule cannot be counted here."
    )


def test_render_map_explains_instead_of_drawing(store: LogStore) -> None:
    add_object_centric(store)
    nothing = process_map.render_map(store, None, 100, "da")
    assert "Vælg en hændelseslog" in text(nothing.message)
    assert process_map.build_result(nothing, "da") == []

    ocel = process_map.render_map(store, "orders-ocel", 100, "en")
    assert "must be flattened on import with --object-type" in text(ocel.message)
    assert ocel.elements == []

    missing = process_map.render_map(store, "gone", 100, "da")
    assert "no stored log is named 'gone'" in text(missing.message)


def test_process_map_data_is_cached_per_import(store: LogStore) -> None:
    first = load_process_map(store, "tiny")
    assert load_process_map(store, "tiny") is first
    assert first.activity_counts == TINY_COUNTS


def test_header_follows_the_url() -> None:
    header: tuple[Any, Any, str] = build_header(PROCESS_MAP_PATH, "?lang=en&log=tiny")
    nav, switch, tagline = header
    # The directors' pages first: the dashboard opens on Overview.
    assert [(link.children, link.href) for link in nav] == [
        ("Overview", "/?lang=en"),
        ("Benefit realisation", "/realisation?lang=en"),
        ("Method", "/method?lang=en"),
        ("Follow-up", "/followup?lang=en"),
        ("Event logs", "/logs?lang=en"),
        ("Process map", "/process-map?lang=en"),
        ("Process analysis", "/analysis?lang=en"),
        ("Automation candidates", "/candidates?lang=en"),
        ("Governance", "/governance?lang=en"),
        ("Stuck cases", "/stuck?lang=en"),
        ("Resource management", "/resources?lang=en"),
        ("Fill-in assistant", "/assistant?lang=en"),
        ("Data sources", "/sources?lang=en"),
    ]
    assert "is-active" in nav[5].className
    links = [n for n in switch if type(n).__name__ == "Link"]
    # Switching language keeps the page and the chosen log.
    assert [(link.children, link.href) for link in links] == [
        ("Dansk", "/process-map?log=tiny"),
        ("English", "/process-map?log=tiny&lang=en"),
    ]
    assert tagline == "Process insight for Koncern IT"


# --- the app ----------------------------------------------------------------------------------


MAP_INPUTS: tuple[tuple[str, str, str], ...] = (
    ("log", ids.MAP_LOG, "value"),
    ("percent", ids.MAP_TOP_PERCENT, "value"),
    ("mode", ids.MAP_MODE, "value"),
    ("statistic", ids.MAP_STATISTIC, "value"),
    ("activities", ids.MAP_ACTIVITY_PERCENT, "value"),
    ("start", ids.MAP_PERIOD, "start_date"),
    ("end", ids.MAP_PERIOD, "end_date"),
    ("attribute", ids.MAP_ATTRIBUTE, "value"),
    ("values", ids.MAP_VALUES, "value"),
    ("variants", ids.MAP_VARIANTS, "value"),
    ("units", ids.MAP_UNITS, "value"),
    ("min_days", ids.MAP_MIN_DAYS, "value"),
    ("max_days", ids.MAP_MAX_DAYS, "value"),
    ("with_activity", ids.MAP_WITH, "value"),
    ("without_activity", ids.MAP_WITHOUT, "value"),
    ("excluded_activities", ids.MAP_EXCLUDE_ACTIVITIES, "value"),
    ("excluded_arcs", ids.MAP_EXCLUDE_ARCS, "value"),
    ("chosen_variants", ids.MAP_CHOSEN_VARIANTS, "value"),
)
"""The map callback's inputs in the order the page declares them (name, id, property)."""
MAP_OUTPUTS = (ids.MAP_RESULT, ids.MAP_SUMMARY, ids.MAP_MESSAGE, ids.MAP_SEARCH)


def map_request(values: dict[str, Any], *, language: str = "da") -> dict[str, Any]:
    """The body the browser posts for Procesoverblik's map callback: ``values`` by input name
    (defaults: the tiny log, all arcs and activities, the frequency view, no filter)."""
    chosen = {"log": "tiny", "percent": 100, "mode": "frequency", "statistic": "median",
              "activities": 100} | values  # fmt: skip
    properties = ("children", "children", "children", "data")
    return {
        "output": "".join(f"..{o}.{p}." for o, p in zip(MAP_OUTPUTS, properties, strict=True))
        + ".",
        "outputs": [{"id": o, "property": p} for o, p in zip(MAP_OUTPUTS, properties, strict=True)],
        "inputs": [
            {"id": cid, "property": prop, "value": chosen.get(name)}
            for name, cid, prop in MAP_INPUTS
        ],
        "state": [{"id": ids.MAP_LANGUAGE, "property": "data", "value": language}],
        "changedPropIds": [f"{ids.MAP_LOG}.value"],
    }


def log_chosen_request(log: str) -> dict[str, Any]:
    """The body the browser posts when a log is chosen (the slider and the filter options)."""
    outputs = [
        (ids.MAP_TOP_PERCENT, "value"),
        (ids.MAP_ATTRIBUTE, "options"),
        (ids.MAP_UNITS, "options"),
        (ids.MAP_WITH, "options"),
        (ids.MAP_WITHOUT, "options"),
        (ids.MAP_EXCLUDE_ACTIVITIES, "options"),
        (ids.MAP_EXCLUDE_ARCS, "options"),
        (ids.MAP_CHOSEN_VARIANTS, "options"),
    ]
    return {
        "output": "".join(f"..{o}.{p}." for o, p in outputs) + ".",
        "outputs": [{"id": o, "property": p} for o, p in outputs],
        "inputs": [{"id": ids.MAP_LOG, "property": "value", "value": log}],
        "state": [{"id": ids.MAP_LANGUAGE, "property": "data", "value": "da"}],
        "changedPropIds": [f"{ids.MAP_LOG}.value"],
    }


def test_create_app_serves_pages_and_the_map_callback(
    store: LogStore, sign_in: Callable[..., Any]
) -> None:
    app = create_app(store)
    client = sign_in(app.server.test_client())
    assert client.get("/").status_code == 200
    assert client.get("/logs").status_code == 200
    assert client.get("/process-map?lang=en").status_code == 200
    with app.server.test_request_context("/"):
        assert current_store() is store

    # The map callback, called the way the browser calls it.
    response = client.post("/_dash-update-component", json=map_request({}, language="en"))
    assert response.status_code == 200, response.data
    body = json.loads(response.data)["response"]
    assert body[ids.MAP_SUMMARY]["children"] == "Showing 3 of 3 activities and 3 of 3 arcs" + (
        " · The log has no people column, so the 5-person rule cannot be counted here."
    )
    assert body[ids.MAP_MESSAGE]["children"] is None
    assert '"source":"a","target":"b"' in json.dumps(body[ids.MAP_RESULT], separators=(",", ":"))
    assert body[ids.MAP_SEARCH]["data"] == "?log=tiny&paths=100&lang=en"

    # Choosing a log moves the slider to where its map is readable (all 3 arcs of the tiny log).
    response = client.post("/_dash-update-component", json=log_chosen_request("tiny"))
    assert response.status_code == 200, response.data
    assert json.loads(response.data)["response"][ids.MAP_TOP_PERCENT]["value"] == 100


def test_create_app_uses_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sign_in: Callable[..., Any]
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "default"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    app = create_app()
    with app.server.test_request_context("/"):
        assert current_store().data_dir == tmp_path / "default"
    page = sign_in(app.server.test_client()).get("/_dash-layout")
    assert page.status_code == 200


# --- the serve command ------------------------------------------------------------------------


def test_serve_runs_the_dashboard_in_waitress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import waitress  # noqa: PLC0415
    from typer.testing import CliRunner  # noqa: PLC0415

    import app.dashboard  # noqa: PLC0415
    from app.cli import cli  # noqa: PLC0415

    calls: list[dict[str, Any]] = []

    class FakeDash:
        server = "the flask app"

    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(app.dashboard, "create_app", lambda store, auth: FakeDash())
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **options: calls.append(options))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert calls == [{"host": "127.0.0.1", "port": 8123, "threads": 8, "ident": "KIT Flow"}]


def test_the_old_benefits_address_leads_to_gevinstrealisering(
    store: LogStore, sign_in: Callable[..., Any]
) -> None:
    client = sign_in(create_app(store).server.test_client())
    response = client.get("/benefits?case=automation-solutions&lang=en")
    assert (response.status_code, response.location) == (
        302, "/realisation?case=automation-solutions&lang=en",
    )  # fmt: skip
