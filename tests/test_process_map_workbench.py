"""Procesoverblik as an analyst's workbench: the frequency and performance views, the activity
slider, self-loops, the filter panel, the click-through to cases and timelines, the state in
the URL, every role on the server, and the planted approval bottleneck on the landscape.

Hand-made log (times in minutes after 1 March 2024 08:00 UTC; people p1-p6):

    case 1: a(0) b(10) b(40) c(100)       variant a-b-b-c, a self-loop b→b
    case 2: a(0) b(20) c(80)              variant a-b-c
    case 3: a(0) c(600)                   variant a-c
    case 4: a(0) b(5) c(35)               variant a-b-c

a→b 3 times (10, 20, 5 min: median 10, mean 11,67), b→b once (30 min), b→c 3 times (60, 60,
30: median 60, mean 50), a→c once (600 min).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.dashboard import create_app, ids
from app.dashboard.pages import process_map
from app.dashboard.process_map_view import (
    MapFilters,
    MapState,
    apply_filters,
    read_day,
    read_state,
    write_query,
)
from app.dashboard.routes import query_params
from app.figures import (
    PERFORMANCE_COLOURS,
    build_arc_table,
    build_performance_legend,
    build_process_map_elements,
    select_top_activities,
)
from extractors.files import ReadOptions
from mining import (
    compute_variants,
    discover_dfg,
    filter_case_variants,
    find_case_events,
    find_cases_through,
)
from models.errors import InputError
from models.store import LogStore
from services.imports import import_log
from tests.conftest import KitLandscape
from tests.test_dashboard import log_chosen_request, map_request

T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
OTHER_DA = "Øvrige aktiviteter (under 5 personer)"
MERGED_3 = (
    f"3 aktiviteter med under 5 personer er slået sammen til «{OTHER_DA}» "
    "(5-personers-reglen; en robot eller systemkonto tæller som én person)."
)
EVENTS = (
    ("1", "a", 0, "p1", "Drift & Infrastruktur", "høj"),
    ("1", "b", 10, "p2", "Drift & Infrastruktur", "høj"),
    ("1", "b", 40, "p3", "Drift og Infrastruktur", "høj"),
    ("1", "c", 100, "p4", "Service Desk", "høj"),
    ("2", "a", 0, "p5", "Service Desk", "lav"),
    ("2", "b", 20, "p6", "Service Desk", "lav"),
    ("2", "c", 80, "p1", "Service Desk", "lav"),
    ("3", "a", 0, "p2", "Service Desk", "lav"),
    ("3", "c", 600, "p3", "Service Desk", "lav"),
    ("4", "a", 0, "p4", "Drift og Infrastruktur", "høj"),
    ("4", "b", 5, "p5", "Drift og Infrastruktur", "høj"),
    ("4", "c", 35, "p6", "Drift og Infrastruktur", "høj"),
)


def events() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": [e[0] for e in EVENTS],
            "activity": [e[1] for e in EVENTS],
            "timestamp": [T0 + dt.timedelta(minutes=e[2]) for e in EVENTS],
            "resource": [e[3] for e in EVENTS],
            "org_unit": [e[4] for e in EVENTS],
            "case:priority": [e[5] for e in EVENTS],
        },
        schema_overrides={"activity": pl.Categorical(), "timestamp": pl.Datetime("us", "UTC")},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    csv = tmp_path / "loops.csv"
    events().with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(csv)
    log_store = LogStore(tmp_path / "data")
    import_log(log_store, csv, name="loops", options=ReadOptions())
    yield log_store
    log_store.catalog.dispose()


# --- mining -------------------------------------------------------------------------------


def test_the_self_loop_is_counted_as_an_arc() -> None:
    dfg = {(r["source"], r["target"]): r for r in discover_dfg(events()).iter_rows(named=True)}
    assert dfg["b", "b"]["frequency"] == 1
    assert dfg["b", "b"]["mean_duration_s"] == 1800.0
    assert (dfg["a", "b"]["frequency"], dfg["a", "b"]["median_duration_s"]) == (3, 600.0)
    assert round(dfg["a", "b"]["mean_duration_s"], 6) == 700.0
    assert (dfg["b", "c"]["median_duration_s"], dfg["b", "c"]["mean_duration_s"]) == (3600, 3000)


def test_cases_through_an_activity_an_arc_and_a_self_loop() -> None:
    through_b = find_cases_through(events(), activity="b")
    assert through_b["case_id"].to_list() == ["1", "2", "4"]
    assert through_b["events"].to_list() == [4, 3, 3]
    assert through_b["duration_s"].to_list() == [6000.0, 4800.0, 2100.0]
    assert find_cases_through(events(), arc=("b", "b"))["case_id"].to_list() == ["1"]
    assert find_cases_through(events(), arc=("a", "c"))["case_id"].to_list() == ["3"]
    with pytest.raises(InputError, match="exactly one"):
        find_cases_through(events())


def test_cases_of_chosen_variants() -> None:
    kept = filter_case_variants(events(), [("a", "c"), ("a", "b", "b", "c")]).collect()
    assert kept["case_id"].unique(maintain_order=True).to_list() == ["1", "3"]
    assert kept.height == 6  # whole cases, every event kept
    others = filter_case_variants(events(), [("a", "c")], keep=False).collect()
    assert others["case_id"].unique(maintain_order=True).to_list() == ["1", "2", "4"]
    assert compute_variants(events())["variant"].to_list() == [list(v) for v in VARIANTS.values()]


def test_a_case_timeline_names_no_person() -> None:
    timeline = find_case_events(events(), "1")
    assert timeline.columns == ["activity", "timestamp", "org_unit"]
    assert timeline["activity"].to_list() == ["a", "b", "b", "c"]
    assert timeline["timestamp"][3] == T0 + dt.timedelta(minutes=100)


# --- figures ------------------------------------------------------------------------------


def test_the_self_loop_is_drawn_from_the_node_to_itself() -> None:
    elements = build_process_map_elements(discover_dfg(events()), {"a": 4, "b": 4, "c": 4}, "da")
    loops = [e for e in elements if e["data"].get("source") == e["data"].get("target", "")]
    assert [(e["data"]["source"], e["data"]["label"], e["classes"]) for e in loops] == [
        ("b", "1", "arc loop")
    ]


def test_the_performance_view_labels_and_colours_arcs_by_time() -> None:
    dfg = discover_dfg(events())
    elements = build_process_map_elements(
        dfg, {"a": 4, "b": 4, "c": 4}, "da", mode="performance", statistic="median"
    )
    arcs = {(e["data"]["source"], e["data"]["target"]): e["data"] for e in elements[3:]}
    # Medians: a→c 10,0 t (the slowest: darkest), b→c 1,0 t, b→b 30,0 min, a→b 10,0 min.
    assert {arc: (d["label"], d["colour"]) for arc, d in arcs.items()} == {
        ("a", "c"): ("10,0 t", PERFORMANCE_COLOURS[4]),
        ("b", "c"): ("1,0 t", PERFORMANCE_COLOURS[0]),
        ("b", "b"): ("30,0 min", PERFORMANCE_COLOURS[0]),
        ("a", "b"): ("10,0 min", PERFORMANCE_COLOURS[0]),
    }
    mean = build_process_map_elements(dfg, {"a": 4}, "en", mode="performance", statistic="mean")
    assert [e["data"]["label"] for e in mean if e["data"].get("source") == "a"] == [
        "11.7 min",
        "10.0 h",
    ]
    slowest_first = build_arc_table(dfg, "da", slowest_first="median")
    assert [(r["source"], r["target"], r["median"]) for r in slowest_first.rows] == [
        ("a", "c", "10,0 t"),
        ("b", "c", "1,0 t"),
        ("b", "b", "30,0 min"),
        ("a", "b", "10,0 min"),
    ]
    legend = build_performance_legend(dfg, "median", "da")
    assert [(i.colour, i.label) for i in legend] == [
        (PERFORMANCE_COLOURS[0], "under 2,0 t"),
        (PERFORMANCE_COLOURS[1], "2,0 t–4,0 t"),
        (PERFORMANCE_COLOURS[2], "4,0 t–6,0 t"),
        (PERFORMANCE_COLOURS[3], "6,0 t–8,0 t"),
        (PERFORMANCE_COLOURS[4], "8,0 t–10,0 t"),
    ]


def test_the_activity_slider_keeps_the_most_frequent_and_their_ties() -> None:
    counts = {"a": 10, "b": 5, "c": 5, "d": 1}
    assert select_top_activities(counts, 100) == ["a", "b", "c", "d"]
    assert select_top_activities(counts, 25) == ["a"]
    assert select_top_activities(counts, 50) == ["a", "b", "c"]  # b and c tie
    assert select_top_activities(counts, 0) == ["a"]


# --- the state in the URL and the filters ---------------------------------------------------


def test_the_state_round_trips_through_the_url() -> None:
    state = MapState(
        log="kit orders",
        mode="performance",
        statistic="mean",
        activities=50,
        paths=30,
        filters=MapFilters(
            start="2024-03-01",
            attribute="case:priority",
            values=("høj", "lav"),
            units=("service desk",),
            excluded_arcs=("a → b",),
            chosen_variants=("1", "3"),
        ),
    )
    search = write_query(state, "en")
    assert search == (
        "?log=kit+orders&mode=performance&stat=mean&acts=50&paths=30&from=2024-03-01"
        "&attr=case%3Apriority&val=h%C3%B8j%7Clav&units=service+desk&xarc=a+%E2%86%92+b&var=1%7C3"
        "&lang=en"
    )
    assert read_state(query_params(search)) == state
    assert write_query(MapState(), "da") == ""


VARIANTS = {"1": ("a", "b", "c"), "2": ("a", "b", "b", "c"), "3": ("a", "c")}
"""The hand-made log's variants by rank (a-b-c has 2 cases; the other two 1, by name)."""


def kept_cases(filters: MapFilters) -> list[str]:
    units = {"drift og infrastruktur": ["Drift & Infrastruktur", "Drift og Infrastruktur"]}
    view = apply_filters(events().lazy(), filters, "da", units=units, variants=VARIANTS)
    return view.select("case_id").unique(maintain_order=True).collect()["case_id"].to_list()


@pytest.mark.parametrize(
    ("filters", "cases"),
    [
        (MapFilters(), ["1", "2", "3", "4"]),
        (MapFilters(attribute="case:priority", values=("høj",)), ["1", "4"]),
        # One unit under both spellings.
        (MapFilters(units=("drift og infrastruktur",)), ["1", "4"]),
        (MapFilters(min_days="0,05"), ["1", "2", "3"]),  # 72 min or longer
        (MapFilters(max_days="0.05"), ["4"]),
        (MapFilters(with_activity="b"), ["1", "2", "4"]),
        (MapFilters(without_activity="b"), ["3"]),
        (MapFilters(excluded_arcs=("b → b",)), ["2", "3", "4"]),
        (MapFilters(variants="1"), ["2", "4"]),  # a-b-c, the most frequent variant
        (MapFilters(chosen_variants=("2", "3")), ["1", "3"]),
        (MapFilters(start="02.03.2024"), []),
        (MapFilters(start="2024-03-01", end="2024-03-01"), ["1", "2", "3", "4"]),
    ],
)
def test_each_filter_keeps_the_hand_counted_cases(filters: MapFilters, cases: list[str]) -> None:
    assert kept_cases(filters) == cases


def test_left_out_activities_are_projected_away() -> None:
    view = apply_filters(events().lazy(), MapFilters(excluded_activities=("b",)), "da", units={})
    dfg = discover_dfg(view.collect())
    assert dict(
        zip(zip(dfg["source"], dfg["target"], strict=True), dfg["frequency"], strict=True)
    ) == {("a", "c"): 4}


def test_unreadable_input_is_named_in_danish() -> None:
    with pytest.raises(InputError, match=r"datoen '31\.02\.2024' kan ikke læses"):
        read_day("31.02.2024", "da")
    with pytest.raises(InputError, match="periodens slutdato ligger før dens startdato"):
        kept_cases(MapFilters(start="2024-03-02", end="2024-03-01"))
    with pytest.raises(InputError, match="'-1' er ikke et tal på 0 eller derover"):
        kept_cases(MapFilters(min_days="-1"))
    with pytest.raises(InputError, match=r"loggen har ingen variant nr\. 9"):
        kept_cases(MapFilters(chosen_variants=("9",)))
    assert read_day("1.3.2024", "da") == dt.date(2024, 3, 1)


# --- the page -----------------------------------------------------------------------------


def test_a_filtered_view_of_fewer_than_5_people_is_withheld(store: LogStore) -> None:
    # a, b and c each name 4 of the 6 people: merged into one activity (the 5-person rule).
    whole = process_map.render_map(store, "loops", 100, "da")
    assert whole.summary == f"Viser 1 af 3 aktiviteter og 1 af 1 overgange · {MERGED_3}"
    # Case 4 alone: p4, p5, p6.
    few = MapState(filters=MapFilters(max_days="0,03"))
    withheld = process_map.render_map(store, "loops", 100, "da", state=few)
    assert withheld.elements == []
    assert withheld.message is not None
    assert "under 5 personer" in str(withheld.message.children)
    # Cases 1 and 4: p1-p6.
    wide = MapState(filters=MapFilters(attribute="case:priority", values=("høj",)))
    shown = process_map.render_map(store, "loops", 100, "da", state=wide)
    assert shown.summary == (
        f"Viser 1 af 3 aktiviteter og 1 af 1 overgange · {MERGED_3} · "
        "Filtrene beholder 2 af 4 sager."
    )


def test_a_mistyped_date_in_the_url_is_answered_in_the_page(store: LogStore) -> None:
    page = process_map.build_layout(store, "da", "loops", {"from": "32.13.2024"})
    assert "datoen '32.13.2024' kan ikke læses; skriv den som dd.mm.åååå" in json.dumps(
        page.to_plotly_json(), default=str, ensure_ascii=False
    )


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/_dash-update-component", json=body)


@pytest.mark.parametrize("role", ["director", "analyst", "administrator"])
def test_every_role_runs_the_maps_callbacks(
    store: LogStore, sign_in: Callable[..., Any], role: str
) -> None:
    app = create_app(store)
    client = sign_in(app.server.test_client(), role)
    assert client.get("/process-map?log=loops&mode=performance").status_code == 200
    response = post(client, map_request({"log": "loops", "mode": "performance"}))
    assert response.status_code == 200, response.data
    body = json.loads(response.data)["response"]
    assert body[ids.MAP_SEARCH]["data"] == "?log=loops&mode=performance&paths=100"
    labels = {
        (e["data"]["source"], e["data"]["target"]): e["data"]["label"]
        for e in _elements(body[ids.MAP_RESULT]["children"])
        if "source" in e["data"]
    }
    # a, b and c each name 4 of the 6 people: one merged activity, its arcs to itself (median
    # of 5, 10, 20, 30, 30, 60, 60 and 600 min).
    assert labels == {(OTHER_DA, OTHER_DA): "30,0 min"}
    # A mistyped date sent directly: a message, not an error.
    response = post(client, map_request({"log": "loops", "start": "2024-02-30"}))
    assert response.status_code == 200
    message = json.dumps(json.loads(response.data)["response"][ids.MAP_MESSAGE], ensure_ascii=False)
    assert "datoen '2024-02-30' kan ikke læses" in message
    # Values sent by hand: no match is said so; an unknown attribute is named.
    response = post(
        client, map_request({"log": "loops", "attribute": "case:priority", "values": 7})
    )
    assert response.status_code == 200
    answer = json.dumps(json.loads(response.data)["response"], ensure_ascii=False)
    assert "Ingen sager passer til filtrene." in answer
    response = post(client, map_request({"log": "loops", "attribute": "case:x", "values": ["1"]}))
    assert response.status_code == 200
    assert "loggen har ingen sagsattribut 'case:x'" in response.data.decode()
    response = post(client, log_chosen_request("loops"))
    options = json.loads(response.data)["response"]
    assert options[ids.MAP_ATTRIBUTE]["options"] == [
        {"label": "case:priority", "value": "case:priority"}
    ]
    assert options[ids.MAP_CHOSEN_VARIANTS]["options"][0] == {
        "label": "1. a → b → c (2 sager)",
        "value": "1",
    }
    # Two spellings, one unit.
    assert [o["value"] for o in options[ids.MAP_UNITS]["options"]] == [
        "drift og infrastruktur",
        "service desk",
    ]
    # A tap on the self-loop lists its case; a chosen case shows its timeline.
    search = "?log=loops&paths=100"
    response = post(client, _tap_request({"source": "b", "target": "b"}, search))
    cases = json.dumps(json.loads(response.data)["response"], ensure_ascii=False)
    assert "Sager gennem b → b" in cases
    assert "01.03.2024 09:00" in cases and "01.03.2024 10:40" in cases  # Copenhagen time
    assert "1,7 t" in cases
    response = post(client, _timeline_request("1", search))
    timeline = json.dumps(json.loads(response.data)["response"], ensure_ascii=False)
    assert "Forløbet af sag 1" in timeline
    assert "p1" not in timeline and "p2" not in timeline  # no person


def test_no_callback_runs_without_a_session(store: LogStore) -> None:
    client = create_app(store).server.test_client()
    response = post(client, map_request({"log": "loops"}))
    assert response.status_code in (401, 403)
    assert b"10,0 t" not in response.data


def _elements(children: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(children, dict):
        props = children.get("props", {})
        if children.get("type") == "Cytoscape":
            return list(props["elements"])
        found += _elements(props.get("children"))
    elif isinstance(children, list):
        for child in children:
            found += _elements(child)
    return found


def _tap_request(edge: dict[str, Any], search: str) -> dict[str, Any]:
    outputs = [(ids.MAP_CASES, "children"), (ids.MAP_CASE, "options"), (ids.MAP_CASE, "value")]
    return {
        "output": "".join(f"..{o}.{p}." for o, p in outputs) + ".",
        "outputs": [{"id": o, "property": p} for o, p in outputs],
        "inputs": [
            {"id": ids.MAP_GRAPH, "property": "tapNodeData", "value": None},
            {"id": ids.MAP_GRAPH, "property": "tapEdgeData", "value": edge},
        ],
        "state": [
            {"id": ids.MAP_SEARCH, "property": "data", "value": search},
            {"id": ids.MAP_LANGUAGE, "property": "data", "value": "da"},
        ],
        "changedPropIds": [f"{ids.MAP_GRAPH}.tapEdgeData"],
    }


def _timeline_request(case_id: str, search: str) -> dict[str, Any]:
    return {
        "output": f"{ids.MAP_TIMELINE}.children",
        "outputs": {"id": ids.MAP_TIMELINE, "property": "children"},
        "inputs": [{"id": ids.MAP_CASE, "property": "value", "value": case_id}],
        "state": [
            {"id": ids.MAP_SEARCH, "property": "data", "value": search},
            {"id": ids.MAP_LANGUAGE, "property": "data", "value": "da"},
        ],
        "changedPropIds": [f"{ids.MAP_CASE}.value"],
    }


# --- the landscape: the planted approval bottleneck ----------------------------------------

STANDARD_ITEMS_KEY = "selector"


def bottleneck_state(manifest: dict[str, Any], statistic: str) -> MapState:
    bottleneck = manifest["effects"]["bottleneck"]
    return read_state(
        {
            "log": "servicenow-orders",
            "mode": "performance",
            "stat": statistic,
            "attr": "case:cat_item",
            "val": "|".join(bottleneck["selector"]["cat_item_names"]),
        }
    )


def test_the_approval_bottleneck_is_the_slowest_arc(kit_landscape: KitLandscape) -> None:
    store = LogStore(kit_landscape.data_dir)
    bottleneck = kit_landscape.manifest["effects"]["bottleneck"]
    state = bottleneck_state(kit_landscape.manifest, "mean")
    found = process_map.load_filtered_map(
        store, "servicenow-orders", state.filters, state.activities, "da"
    )
    slowest = found.data.dfg.sort("mean_duration_s", descending=True).row(0, named=True)
    assert (slowest["source"], slowest["target"]) == ("Created", "Approved")
    assert slowest["frequency"] == bottleneck["n"] == 1725
    assert round(slowest["mean_duration_s"] / 3600, 4) == bottleneck["mean_wait_h"] == 30.3319
    # By the median, 3 orders that skipped approval wait longer (25,5 t) on Created → Task:
    # Created; the approval's median is the manifest's.
    assert round(slowest["median_duration_s"] / 3600, 4) == bottleneck["median_wait_h"] == 24.1942
    view = process_map.render_map(store, "servicenow-orders", 100, "da", state=state)
    arc = next(
        e["data"] for e in view.elements if e["data"].get("source") == "Created"
        and e["data"].get("target") == "Approved"
    )  # fmt: skip
    assert (arc["label"], arc["colour"]) == ("1,3 d", PERFORMANCE_COLOURS[-1])
    # The activity slider: the 6 most frequent of the log's 11 activities (ceil(50 % of 11)).
    half = read_state({"log": "servicenow-orders", "acts": "50"})
    summary = process_map.render_map(store, "servicenow-orders", 100, "da", state=half).summary
    # Task: Created, among them, is done by 1 account: left out with its arcs (5-person rule).
    assert summary == (
        "Viser 5 af 11 aktiviteter og 8 af 8 overgange · 1 aktiviteter med under 5 personer "
        "(også samlet) er udeladt med deres pile (5-personers-reglen; en robot eller "
        "systemkonto tæller som én person)."
    )
    store.catalog.dispose()


@pytest.fixture(scope="module")
def data_dir(kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("process-map") / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    return root


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """Where the page's screenshot is kept; the path is printed past pytest's capture."""
    folder = tmp_path_factory.mktemp("process-map-screenshots")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nscreenshots of Procesoverblik: {folder}")
    return folder


_EDGE_LABELS_JS = """
const el = document.getElementById(arguments[0]);
if (!el || !el._cyreg || !el._cyreg.cy) { return null; }
const edges = el._cyreg.cy.edges().map(e => [e.data('source'), e.data('target'),
                                              e.data('label'), e.style('line-color')]);
return edges.length ? edges : null;
"""


@pytest.mark.e2e
def test_the_performance_view_shows_the_bottleneck_in_the_browser(  # noqa: PLR0917
    data_dir: Path,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    kit_landscape: KitLandscape,
    screenshots: Path,
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - only e2e needs it

    from tests.test_dashboard_e2e import wait_for  # noqa: PLC0415

    app = create_app(LogStore(data_dir))
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    state = bottleneck_state(kit_landscape.manifest, "mean")
    browser.set_window_size(1440, 1700)
    browser.get(base + "/process-map" + write_query(state, "da"))
    edges = wait_for(browser, lambda b: b.execute_script(_EDGE_LABELS_JS, ids.MAP_GRAPH))
    labels = {(s, t): (label, colour) for s, t, label, colour in edges}
    assert labels["Created", "Approved"] == ("1,3 d", "rgb(142,27,27)")
    summary = browser.find_element(By.ID, ids.MAP_SUMMARY).text
    assert summary.endswith("Filtrene beholder 1.728 af 5.799 sager.")
    legend = browser.find_element(By.ID, ids.MAP_LEGEND).text
    assert "gennemsnitlig" in legend.lower() or "gennemsnit" in legend.lower()
    # The calendar speaks Danish: weekdays from Monday, months as numbers.
    browser.find_element(By.CSS_SELECTOR, "input[placeholder='Fra dato']").click()
    weekdays = wait_for(browser, lambda b: b.execute_script(_WEEKDAYS_JS))
    assert weekdays == ["ma", "ti", "on", "to", "fr", "lø", "sø"]
    browser.find_element(By.ID, ids.MAP_TITLE).click()  # closes the calendar
    # A tap on the bottleneck arc lists its cases; a chosen case shows its timeline.
    browser.execute_script(_TAP_JS, ids.MAP_GRAPH, "Created", "Approved")
    note = wait_for(browser, lambda b: _text(b, ids.MAP_CASES_NOTE))
    assert note == "Viser de 200 første af 1.725 sager (efter start)."
    first = wait_for(
        browser, lambda b: b.find_elements(By.CSS_SELECTOR, f"#{ids.MAP_CASES_TABLE} tbody tr")
    )
    case_id = first[0].find_elements(By.TAG_NAME, "td")[0].text
    browser.find_element(By.ID, ids.MAP_CASE).click()
    option = wait_for(
        browser,
        lambda b: next(
            (o for o in b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
             if o.text == case_id),
            None,
        ),
    )  # fmt: skip
    option.click()
    title = wait_for(browser, lambda b: _text(b, ids.MAP_TIMELINE).split("\n")[0])
    assert title == f"Forløbet af sag {case_id}"
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{ids.MAP_TIMELINE_TABLE} tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows][:2] == ["Created", "Approved"]
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1440, height)  # the whole page in the picture
    browser.save_screenshot(str(screenshots / "procesoverblik-performance.png"))
    # The view is in the address: switching language keeps it.
    english = wait_for(browser, lambda b: b.find_elements(By.ID, f"{ids.SHELL_LANGUAGE}-en"))
    href = english[0].get_attribute("href")
    assert "mode=performance" in href and "attr=case%3Acat_item" in href and "lang=en" in href
    english[0].click()
    assert wait_for(browser, lambda b: _text(b, ids.MAP_TITLE) == "Process map" or None)
    edges = wait_for(browser, lambda b: b.execute_script(_EDGE_LABELS_JS, ids.MAP_GRAPH))
    assert {(s, t): label for s, t, label, _ in edges}["Created", "Approved"] == "1.3 d"
    assert _text(browser, ids.MAP_SUMMARY).endswith("The filters keep 1,728 of 5,799 cases.")


_WEEKDAYS_JS = """
const spans = document.querySelectorAll(
  'table.dash-datepicker-calendar thead tr:nth-child(2) th span');
const days = [...spans].slice(0, 7).map(
  s => getComputedStyle(s, '::after').content.replaceAll('"', ''));
return days.length === 7 ? days : null;
"""

_TAP_JS = """
const cy = document.getElementById(arguments[0])._cyreg.cy;
cy.edges().filter(e => e.data('source') === arguments[1] && e.data('target') === arguments[2])
  .emit('tap');
"""


def _text(browser: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - only e2e needs it

    found = browser.find_elements(By.ID, element_id)
    return str(found[0].text) if found else ""
