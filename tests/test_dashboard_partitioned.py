"""The process pages on a log stored in partitions (issue #17): Procesoverblik and Procesanalyse
show the whole log's map, variants, case count and bottlenecks computed one partition at a time
(mining.partitioned), equal to the same log stored in one file; Procesanalyse's period and org
units filter each partition; the map's filters, which would need the whole log in memory, are
disabled with a note; no callback scans the whole log or builds its in-memory index; a log of 4
people is withheld."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from selenium.webdriver.common.by import By

import app.dashboard.analysis_data
import app.dashboard.data
import mining.log_index
from app.dashboard import create_app, ids
from app.dashboard.analysis_data import AnalysisFilters, load_analysis
from app.dashboard.open_cases import render_open_cases
from app.dashboard.pages import analysis, logs, process_map
from app.dashboard.process_map_view import MapFilters, MapState
from app.i18n import translate
from models.eventlog import CanonicalLog
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    RESOURCE,
    TIMESTAMP,
    UTC_DATETIME,
    empty_quarantine,
)
from models.store import LogStore
from services.storing import store_canonical_log
from tests.conftest import KitLandscape
from tests.test_dashboard import log_chosen_request, map_request
from tests.test_dashboard_e2e import wait_for

ONE, PARTS, FEW = "one", "parts", "few"
MONTHS_ONE, MONTHS_PARTS = "months-one", "months-parts"
FLOATS = ("share", "mean_throughput_s", "mean_wait_s", "total_wait_s", "wait_share")
"""Means and totals of float seconds: compared to a relative 1e-12 (mining.partitioned)."""

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")


def _store_log(store: LogStore, events: pl.DataFrame, name: str, partitions: int | None) -> None:
    store_canonical_log(
        store,
        CanonicalLog(events=events, quarantine=empty_quarantine()),
        name=name,
        source_path="copy",
        source_format="parquet",
        replace=False,
        partitions=partitions,
    )


def _few_people() -> pl.DataFrame:
    """Six cases a → b → c worked by 4 people."""
    start = dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC)
    rows = [
        (str(c), a, c * 60 + i * 10, f"p{c % 4}") for c in range(6) for i, a in enumerate("abc")
    ]
    return pl.DataFrame(
        {
            CASE: [r[0] for r in rows],
            ACTIVITY: [r[1] for r in rows],
            TIMESTAMP: [start + dt.timedelta(minutes=r[2]) for r in rows],
            EVENT_ORDER: list(range(len(rows))),
            RESOURCE: [r[3] for r in rows],
        },
        schema_overrides={ACTIVITY: pl.Categorical(), TIMESTAMP: UTC_DATETIME},
    )


def _small_april() -> pl.DataFrame:
    """Ten cases a → b → c in March 2024 by 6 people, two in April by 2 of them."""
    march, april = (
        dt.datetime(2024, 3, 4, 8, tzinfo=dt.UTC),
        dt.datetime(2024, 4, 8, 8, tzinfo=dt.UTC),
    )
    rows = [
        (
            f"c{c:02d}",
            a,
            (march if c < 10 else april) + dt.timedelta(hours=c, minutes=7 * i * (c + 1)),
            f"p{c % 6 if c < 10 else c % 2}",
        )
        for c in range(12)
        for i, a in enumerate("abc")
    ]
    return pl.DataFrame(
        {
            CASE: [r[0] for r in rows],
            ACTIVITY: [r[1] for r in rows],
            TIMESTAMP: [r[2] for r in rows],
            EVENT_ORDER: list(range(len(rows))),
            RESOURCE: [r[3] for r in rows],
        },
        schema_overrides={ACTIVITY: pl.Categorical(), TIMESTAMP: UTC_DATETIME},
    )


@pytest.fixture(scope="module")
def data_dir(kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landscape's incidents in one file (``one``) and in 3 partitions (``parts``), and a
    log of 4 people in 3 partitions (``few``)."""
    root = tmp_path_factory.mktemp("partitioned") / "data"
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    store = LogStore(root)
    _store_log(store, events, ONE, None)
    _store_log(store, events, PARTS, 3)
    _store_log(store, _few_people(), FEW, 3)
    _store_log(store, _small_april(), MONTHS_ONE, None)
    _store_log(store, _small_april(), MONTHS_PARTS, 3)
    store.catalog.dispose()
    return root


@pytest.fixture
def store(data_dir: Path) -> Iterator[LogStore]:
    """A fresh store (the pages' caches are per store object) over the module's folder."""
    log_store = LogStore(data_dir)
    yield log_store
    log_store.catalog.dispose()


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What the pages call: each whole-log scan (by log name), each log index built (by
    file) and each partition-wise function (by name)."""
    calls: dict[str, list[str]] = {"scan": [], "index": [], "partitioned": []}
    scan = LogStore.scan

    def spy_scan(self: LogStore, name: str, *args: Any, **kwargs: Any) -> pl.LazyFrame:
        calls["scan"].append(name)
        return scan(self, name, *args, **kwargs)

    monkeypatch.setattr(LogStore, "scan", spy_scan)
    build = mining.log_index.build_log_index

    def spy_build(path: Path) -> Any:
        calls["index"].append(str(path))
        return build(path)

    monkeypatch.setattr(mining.log_index, "build_log_index", spy_build)
    mining.log_index.clear_log_indexes()
    functions = {
        app.dashboard.data: (
            "discover_partitioned_dfg",
            "check_partitioned_view_size",
            "merge_partitioned_small_activities",
        ),
        app.dashboard.analysis_data: (
            "compute_partitioned_variants",
            "find_partitioned_bottlenecks",
            "check_partitioned_view_size",
            "merge_partitioned_small_activities",
        ),
    }
    for module, names in functions.items():
        for name in names:
            original = getattr(module, name)

            def spy(*args: Any, _name: str = name, _f: Any = original, **kwargs: Any) -> Any:
                calls["partitioned"].append(_name)
                return _f(*args, **kwargs)

            monkeypatch.setattr(module, name, spy)
    return calls


def test_the_map_of_a_partitioned_log_equals_the_one_file_map(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    parts = process_map.render_map(store, PARTS, 60, "da", state=MapState(mode="performance"))
    assert spies["scan"] == [] and spies["index"] == []
    assert set(spies["partitioned"]) == {
        "discover_partitioned_dfg",
        "check_partitioned_view_size",
        "merge_partitioned_small_activities",
    }
    one = process_map.render_map(store, ONE, 60, "da", state=MapState(mode="performance"))
    assert parts.elements == one.elements and parts.elements
    assert parts.arcs == one.arcs
    assert parts.summary == one.summary
    assert one.message is None
    note = json.dumps(parts.message.to_plotly_json(), default=str, ensure_ascii=False)
    assert translate("partitioned.note", "da", name=PARTS) in note
    # The case count the pages state: the whole log's cases.
    found = process_map.load_filtered_map(store, PARTS, MapFilters(), 100, "da")
    whole = process_map.load_filtered_map(store, ONE, MapFilters(), 100, "da")
    assert found.cases == whole.cases == found.total_cases == whole.total_cases
    assert found.cases == store.entry(ONE).cases
    assert found.activities == whole.activities
    assert found.merged is not None and whole.merged is not None
    merges = [(m.merged, m.withheld, m.other_people) for m in (found.merged, whole.merged)]
    assert merges[0] == merges[1]


@pytest.mark.parametrize("activities", [50, 20])
def test_the_activity_slider_projects_a_partitioned_log_as_one_file(
    store: LogStore, spies: dict[str, list[str]], activities: int
) -> None:
    state = MapState(mode="performance", activities=activities)
    parts = process_map.render_map(store, PARTS, 100, "da", state=state)
    assert spies["scan"] == [] and spies["index"] == []
    one = process_map.render_map(store, ONE, 100, "da", state=state)
    assert parts.elements == one.elements and parts.elements
    assert parts.arcs == one.arcs and parts.summary == one.summary
    full = process_map.render_map(store, ONE, 100, "da", state=MapState(mode="performance"))
    assert len(parts.elements) < len(full.elements)  # the slider did leave activities out
    found = process_map.load_filtered_map(store, PARTS, MapFilters(), activities, "da")
    whole = process_map.load_filtered_map(store, ONE, MapFilters(), activities, "da")
    assert (found.cases, found.enough) == (whole.cases, whole.enough)


def test_a_partitioned_log_is_drawn_whole_whatever_the_filters(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    filtered = MapState(activities=50, filters=MapFilters(start="2024-01-01", variants="2"))
    parts = process_map.render_map(store, PARTS, 100, "en", state=filtered)
    whole = process_map.render_map(store, PARTS, 100, "en", state=MapState(activities=50))
    assert parts.elements == whole.elements and parts.summary == whole.summary
    note = json.dumps(parts.message.to_plotly_json(), default=str)
    assert "is stored in partitions" in note and "--engine spark" in note
    assert "kitflow variants parts --since" in note
    # No case drill-down, no timeline: they would need the log in memory.
    state = MapState(log=PARTS)
    cases, options = process_map.build_cases(store, state, {"id": "x"}, "da")
    assert options == []
    assert translate("partitioned.no_cases", "da") in json.dumps(
        [c.to_plotly_json() for c in cases], default=str, ensure_ascii=False
    )
    assert process_map.build_timeline(store, state, "INC0001", "da") == []
    assert translate("partitioned.no_cases", "da") in json.dumps(
        [c.to_plotly_json() for c in render_open_cases(store, PARTS, "da")], ensure_ascii=False
    )
    assert process_map.find_choices(store, PARTS) == process_map.LogChoices()
    assert process_map.find_attribute_values(store, PARTS, "case:priority") == []
    assert process_map.has_enough_people(store, PARTS)
    assert spies["scan"] == [] and spies["index"] == []


def _disabled(component: Any, found: dict[str, bool]) -> dict[str, bool]:
    """The ``disabled`` of every component with an id under ``component``."""
    if hasattr(component, "to_plotly_json"):
        props = component.to_plotly_json()["props"]
        if "id" in props and isinstance(props["id"], str):
            found[props["id"]] = bool(props.get("disabled"))
        children = props.get("children")
        for child in children if isinstance(children, list) else [children]:
            _disabled(child, found)
    return found


def test_the_filters_are_disabled_for_a_partitioned_log(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    page = process_map.build_layout(store, "da", PARTS, {"from": "2024-01-01", "top": "3"})
    disabled = _disabled(page, {})
    assert {c: disabled[c] for c in process_map.FILTER_CONTROLS} == dict.fromkeys(
        process_map.FILTER_CONTROLS, True
    )
    assert not disabled[ids.MAP_LOG] and not disabled[ids.MAP_TOP_PERCENT]
    one = _disabled(process_map.build_layout(store, "da", ONE), {})
    assert not any(one[c] for c in process_map.FILTER_CONTROLS)
    # Procesanalyse filters a partitioned log partition by partition: its period stays open.
    page = analysis.build_layout(store, "da", PARTS)
    assert not _disabled(page, {})[ids.ANALYSIS_PERIOD]
    assert spies["scan"] == [ONE] * spies["scan"].count(ONE)  # only the one-file log is read


def test_the_analysis_of_a_partitioned_log_equals_the_one_file_analysis(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    parts = load_analysis(store, PARTS, AnalysisFilters())
    assert spies["scan"] == [] and spies["index"] == []
    assert {"compute_partitioned_variants", "find_partitioned_bottlenecks"} <= set(
        spies["partitioned"]
    )
    one = load_analysis(store, ONE, AnalysisFilters())
    assert parts.partitioned and not one.partitioned
    assert (parts.cases, parts.variant_count) == (one.cases, one.variant_count)
    assert parts.cases == store.entry(ONE).cases
    assert_frame_equal(
        parts.top_variants.drop(*FLOATS, strict=False), one.top_variants.drop(*FLOATS, strict=False)
    )
    assert_frame_equal(parts.top_variants, one.top_variants, rel_tol=1e-12)
    assert_frame_equal(parts.bottlenecks.drop("wait_share"), one.bottlenecks.drop("wait_share"),
                       rel_tol=1e-12)  # fmt: skip
    assert parts.bottlenecks["wait_share"].to_list() == pytest.approx(
        one.bottlenecks["wait_share"].to_list(), rel=1e-12
    )
    assert_frame_equal(parts.months, one.months)
    assert parts.bottleneck_months_withheld == one.bottleneck_months_withheld
    assert_frame_equal(parts.bottleneck_trend, one.bottleneck_trend, rel_tol=1e-12)
    assert parts.bottleneck_trend.height > 0
    assert parts.handovers is not None and one.handovers is not None
    for name in ("matrix", "ping_pong", "trend"):
        assert_frame_equal(getattr(parts.handovers, name), getattr(one.handovers, name))
    assert parts.handovers.matrix.height > 0 and parts.handovers.trend.height > 0
    assert parts.handovers.ping_pong_cases == one.handovers.ping_pong_cases == 0  # none here
    assert (parts.handovers.merged, parts.handovers.withheld, parts.handovers.months_withheld) == (
        one.handovers.merged,
        one.handovers.withheld,
        one.handovers.months_withheld,
    )
    assert parts.other_variants is not None and one.other_variants is not None
    assert parts.other_variants.cases == one.other_variants.cases
    assert parts.other_variants.variants == one.other_variants.variants
    assert parts.other_variants.median_throughput_s == one.other_variants.median_throughput_s
    assert parts.other_variants.mean_throughput_s == pytest.approx(
        one.other_variants.mean_throughput_s, rel=1e-12
    )
    view = analysis.render_analysis(store, PARTS, AnalysisFilters(), "da")
    shown = analysis.render_analysis(store, ONE, AnalysisFilters(), "da")
    assert json.dumps([s.to_plotly_json() for s in view.sections], default=str) == json.dumps(
        [s.to_plotly_json() for s in shown.sections], default=str
    )
    assert translate("partitioned.analysis_note", "da", name=PARTS) in json.dumps(
        view.message.to_plotly_json(), default=str, ensure_ascii=False
    )
    assert view.summary == shown.summary
    units = analysis.log_controls(store, ONE).org_units
    assert analysis.log_controls(store, PARTS).org_units == units and len(units) >= 2
    assert spies["scan"] == [ONE] * len(spies["scan"])


def test_a_filtered_analysis_of_a_partitioned_log_equals_the_one_file_analysis(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    """The period and the org units filter each partition (whole cases; a case lies in one
    partition): every section, the summary and the 5-person checks as for one file."""
    units = analysis.log_controls(store, ONE).org_units
    for filters in (
        AnalysisFilters(start=dt.date(2024, 3, 1), end=dt.date(2024, 8, 31)),
        AnalysisFilters(org_units=(units[0],)),
        AnalysisFilters(start=dt.date(2024, 3, 1), org_units=units[:2]),
    ):
        view = analysis.render_analysis(store, PARTS, filters, "da")
        shown = analysis.render_analysis(store, ONE, filters, "da")
        assert json.dumps([s.to_plotly_json() for s in view.sections], default=str) == json.dumps(
            [s.to_plotly_json() for s in shown.sections], default=str
        ), filters
        assert view.summary == shown.summary, filters
        parts, one = (load_analysis(store, n, filters) for n in (PARTS, ONE))
        assert 0 < parts.cases == one.cases < store.entry(ONE).cases, filters
        assert_frame_equal(parts.months, one.months)
    assert spies["scan"] == [ONE] * len(spies["scan"])  # the partitioned log: never whole
    assert all(path.endswith(f"/{ONE}/events.parquet") for path in spies["index"])


def test_a_month_of_fewer_than_5_people_is_left_out_of_the_trend_alike(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    parts = load_analysis(store, MONTHS_PARTS, AnalysisFilters())
    assert spies["scan"] == [] and spies["index"] == []
    one = load_analysis(store, MONTHS_ONE, AnalysisFilters())
    assert parts.bottleneck_months_withheld == one.bottleneck_months_withheld == 1
    assert parts.bottleneck_trend["month"].unique().to_list() == [dt.date(2024, 3, 1)]
    assert_frame_equal(parts.bottleneck_trend, one.bottleneck_trend)
    assert_frame_equal(parts.months, one.months)
    assert parts.months["cases"].to_list() == [10, 2]


def test_a_partitioned_log_of_4_people_is_withheld(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    view = process_map.render_map(store, FEW, 100, "da")
    assert view.elements == [] and view.arcs is None
    assert translate("map.withheld", "da", name=FEW) in json.dumps(
        view.message.to_plotly_json(), default=str, ensure_ascii=False
    )
    assert not process_map.has_enough_people(store, FEW)
    assert load_analysis(store, FEW, AnalysisFilters()).withheld
    assert analysis.render_analysis(store, FEW, AnalysisFilters(), "da").sections == []
    assert spies["scan"] == [] and spies["index"] == []


def test_the_log_list_shows_the_partitioned_logs(
    store: LogStore, spies: dict[str, list[str]]
) -> None:
    page = json.dumps(logs.build_layout(store, "da").to_plotly_json(), default=str)
    page = page.encode().decode("unicode_escape")
    # Each log links to its map; the log of 4 people shows its 4 counts withheld, no scan.
    assert all(f"log={name}" in page for name in (ONE, PARTS, FEW))
    assert page.count(translate("logs.withheld", "da")) == 4
    assert PARTS not in spies["scan"] and FEW not in spies["scan"]


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/_dash-update-component", json=body)


def _lock_request(log: str) -> dict[str, Any]:
    outputs = [(c, "disabled") for c in process_map.FILTER_CONTROLS]
    return {
        "output": "".join(f"..{o}.{p}." for o, p in outputs) + ".",
        "outputs": [{"id": o, "property": p} for o, p in outputs],
        "inputs": [{"id": ids.MAP_LOG, "property": "value", "value": log}],
        "changedPropIds": [f"{ids.MAP_LOG}.value"],
    }


@pytest.mark.parametrize("role", ["director", "analyst", "administrator"])
def test_every_role_gets_the_partitioned_map_through_the_callbacks(
    store: LogStore, sign_in: Callable[..., Any], role: str, spies: dict[str, list[str]]
) -> None:
    client = sign_in(create_app(store).server.test_client(), role)
    assert client.get(f"/process-map?log={PARTS}").status_code == 200
    # Dash Pages lays out every page once; Ressourcer reads the logs' schemas (no rows).
    spies["scan"].clear()
    response = post(client, map_request({"log": PARTS, "start": "2024-01-01", "units": ["x"]}))
    assert response.status_code == 200, response.data
    body = json.loads(response.data)["response"]
    assert body[ids.MAP_SEARCH]["data"] == f"?log={PARTS}&paths=100"
    assert "gemt i partitioner" in json.dumps(body[ids.MAP_MESSAGE], ensure_ascii=False)
    one = json.loads(post(client, map_request({"log": ONE})).data)["response"]
    assert body[ids.MAP_RESULT] == one[ids.MAP_RESULT]
    assert body[ids.MAP_SUMMARY] == one[ids.MAP_SUMMARY]
    options = json.loads(post(client, log_chosen_request(PARTS)).data)["response"]
    assert options[ids.MAP_ATTRIBUTE]["options"] == []
    assert options[ids.MAP_CHOSEN_VARIANTS]["options"] == []
    locked = json.loads(post(client, _lock_request(PARTS)).data)["response"]
    assert [locked[c]["disabled"] for c in process_map.FILTER_CONTROLS] == [True] * len(
        process_map.FILTER_CONTROLS
    )
    unlocked = json.loads(post(client, _lock_request(ONE)).data)["response"]
    assert [unlocked[c]["disabled"] for c in process_map.FILTER_CONTROLS] == [False] * len(
        process_map.FILTER_CONTROLS
    )
    assert PARTS not in spies["scan"]  # the one-file log alone is scanned
    assert all(f"/{PARTS}/" not in path for path in spies["index"])


def test_no_lock_callback_runs_without_a_session(store: LogStore) -> None:
    client = create_app(store).server.test_client()
    assert post(client, _lock_request(PARTS)).status_code in (401, 403)


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """Where the page's screenshot is kept; the path is printed past pytest's capture."""
    folder = tmp_path_factory.mktemp("partitioned-screenshots")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nscreenshot of Procesoverblik on a partitioned log: {folder}")
    return folder


@pytest.mark.e2e
def test_the_partitioned_map_in_the_browser(
    store: LogStore,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    screenshots: Path,
) -> None:
    app = create_app(store)
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1440, "height": 1400, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(f"{base}/process-map?log={PARTS}")
    message = wait_for(browser, lambda b: b.find_elements(By.ID, ids.MAP_PARTITIONED))[0]
    assert message.text == translate("partitioned.note", "da", name=PARTS)
    expected = process_map.render_map(store, PARTS, None, "da").summary
    wait_for(browser, lambda b: b.find_element(By.ID, ids.MAP_SUMMARY).text == expected)
    browser.find_element(By.CSS_SELECTOR, f"#{ids.MAP_FILTERS} summary").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, ids.MAP_PERIOD))
    # Every filter (date fields, number fields, dropdown buttons) disabled.
    controls = [c for c in process_map.FILTER_CONTROLS if c != ids.MAP_ACTIVITY_PERCENT]
    enabled = {c: browser.find_element(By.ID, c).is_enabled() for c in controls}
    assert enabled == dict.fromkeys(controls, False)
    assert not browser.find_element(By.ID, f"{ids.MAP_PERIOD}-end-date").is_enabled()
    browser.save_screenshot(str(screenshots / "procesoverblik-partitioner.png"))
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
