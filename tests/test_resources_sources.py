"""Ressourcestyring and Datakilder (issue #15): the load per service area and month on tiny
hand-checked logs, the 5-person rule on it and on the registered hours, the forecast on series
it must fit exactly, the integration's effect on the handovers of the simulated landscape, the
sources' freshness and quarantine reasons, the stale-source banner, the roles, and both pages
in headless Chromium with exact values read from the page and a screenshot of each."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import polars as pl
import pytest
from selenium.webdriver.common.by import By

from app.dashboard import create_app, ids
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import overview, resources, sources
from mining import (
    OTHER_ACTIVITIES,
    WITHHELD_GROUP,
    compute_area_hours,
    compute_area_load,
    compute_area_visits,
    forecast_load,
)
from models.datafolder import DataFolder
from models.store import LogStore
from services import build_resource_view, check_sources
from tests.cli_support import run
from tests.conftest import KitLandscape
from tests.test_dashboard_e2e import wait_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")
DEVELOPMENT = "Bestilling af udvikling eller ændring"
GO_LIVE = dt.date(2023, 11, 1)


def noon(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def tiny_log(people: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """Two orders: A goes SD → FU → APP, B goes SD → APP (see the test for the visits)."""
    rows = [
        ("A", "2024-01-10", "SD"), ("A", "2024-01-11", "FU"), ("A", "2024-02-05", "FU"),
        ("A", "2024-02-10", "APP"), ("B", "2024-01-20", "SD"), ("B", "2024-01-25", "APP"),
        ("B", "2024-03-03", "APP"),
    ]  # fmt: skip
    frame = pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": ["x"] * len(rows),
            "timestamp": [noon(r[1]) for r in rows],
            "org_unit": [r[2] for r in rows],
        }
    )
    return frame


def test_visits_split_a_case_at_each_change_of_service_area() -> None:
    visits = compute_area_visits(tiny_log())
    assert visits.select("case_id", "org_unit", "source", "target").rows() == [
        ("A", "SD", None, "FU"),
        ("A", "FU", "SD", "APP"),
        ("A", "APP", "FU", None),
        ("B", "SD", None, "APP"),
        ("B", "APP", "SD", None),
    ]
    assert (visits["duration_s"] / 86400).to_list() == [1.0, 30.0, 0.0, 5.0, 38.0]


def test_load_per_area_and_month_counts_arrivals_completions_open_work_and_handovers() -> None:
    load = compute_area_load(tiny_log())
    assert not load.people_known  # no people column: nothing to merge or withhold
    got = load.monthly.select(
        "org_unit", pl.col("month").dt.month(), "arrivals", "completions", "open_end",
        "handovers_in", "handovers_out", "median_throughput_h",
    ).rows()  # fmt: skip
    assert got == [
        ("APP", 1, 1, 0, 1, 1, 0, None),
        ("APP", 2, 1, 1, 1, 1, 0, 0.0),
        ("APP", 3, 0, 1, 0, 0, 0, 912.0),
        ("FU", 1, 1, 0, 1, 1, 0, None),
        ("FU", 2, 0, 1, 0, 0, 1, 720.0),
        ("FU", 3, 0, 0, 0, 0, 0, None),
        ("SD", 1, 2, 2, 0, 0, 2, 72.0),
        ("SD", 2, 0, 0, 0, 0, 0, None),
        ("SD", 3, 0, 0, 0, 0, 0, None),
    ]
    assert load.waits.select("source", "target", "visits", "total_wait_h").rows() == [
        ("SD", "APP", 1, 912.0),
        ("SD", "FU", 1, 720.0),
        ("FU", "APP", 1, 0.0),
    ]
    # Every handover is one area's 'out' and the next one's 'in': 3 of them.
    assert load.monthly["handovers_in"].sum() == load.monthly["handovers_out"].sum() == 3


def test_areas_and_months_of_fewer_than_5_people_are_withheld() -> None:
    log = tiny_log()
    # SD and FU events by 5 different people each, APP's by 2: APP alone is withheld.
    people = {"SD": ["s1", "s2", "s3", "s4", "s5"], "FU": ["f1", "f2", "f3", "f4", "f5"]}
    counters = dict.fromkeys(people, 0)
    named = []
    for unit in log["org_unit"]:
        if unit in people:
            named.append(people[unit][counters[unit] % 5])
            counters[unit] += 1
        else:
            named.append(f"a{len(named) % 2}")
    # Pad SD's and FU's January to 5 people each (events on the same day and unit).
    extra = pl.DataFrame(
        {
            "case_id": ["A"] * 7,
            "activity": ["x"] * 7,
            "timestamp": [noon("2024-01-10")] * 3 + [noon("2024-01-11")] * 4,
            "org_unit": ["SD"] * 3 + ["FU"] * 4,
            "resource": ["s3", "s4", "s5", "f2", "f3", "f4", "f5"],
        }
    )
    events = pl.concat([log.with_columns(pl.Series("resource", named)), extra]).sort(
        "case_id", "timestamp", maintain_order=True
    )
    load = compute_area_load(events)
    assert (load.merged, load.withheld, load.people_known) == (1, True, True)
    assert WITHHELD_GROUP not in load.monthly["org_unit"].to_list()
    # The Januaries (5 people) are shown; both Februaries show fewer: left out.
    assert load.monthly.select("org_unit", pl.col("month").dt.month(), "people").rows() == [
        ("FU", 1, 5),
        ("SD", 1, 5),
    ]
    assert load.months_withheld == 2


def test_hours_merge_small_activities_and_withhold_small_area_months() -> None:
    def rows(area: str, day: str, activity: str, people: int, hours: float) -> list[dict[str, Any]]:
        return [
            {"date": dt.date.fromisoformat(day), "employee": f"{area}{activity}{i}",
             "service_area": area, "activity": activity, "hours": hours}
            for i in range(people)
        ]  # fmt: skip

    frame = pl.DataFrame(
        rows("X", "2024-01-03", "A", 6, 1.0) + rows("X", "2024-01-04", "B", 2, 2.0)
        + rows("X", "2024-01-05", "C", 3, 1.0) + rows("Y", "2024-01-03", "A", 3, 4.0)
        + rows("X", "2024-02-03", "A", 5, 1.0) + rows("X", "2024-02-04", "B", 1, 8.0)
    )  # fmt: skip
    result = compute_area_hours(frame)
    assert result.table.select(
        "service_area", pl.col("month").dt.month(), "activity", "hours", "people"
    ).rows() == [
        ("X", 1, "A", 6.0, 6),
        ("X", 1, OTHER_ACTIVITIES, 7.0, 5),
        ("X", 2, "A", 5.0, 5),
    ]
    assert (result.months_withheld, result.activities_merged) == (1, 3)


def test_the_forecast_fits_trend_and_season_exactly_and_back_tests_it() -> None:
    months = [dt.date(2023 + i // 12, i % 12 + 1, 1) for i in range(36)]
    season = [0, 5, 3, 8, 2, 7, 1, 4, 6, 9, 3, 2]
    values = [10 + 2 * i + season[m.month - 1] for i, m in enumerate(months)]
    monthly = pl.DataFrame({"org_unit": ["SD"] * 36, "month": months, "arrivals": values})
    result = forecast_load(monthly)
    assert [round(v, 6) for v in result.forecast["forecast"]] == [82.0, 89.0, 89.0]
    assert result.forecast["month"].to_list() == [
        dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    ]  # fmt: skip
    test = result.backtest.row(0, named=True)
    assert (test["model"], test["months"], round(test["mae"], 9)) == ("trend+season", 36, 0.0)
    assert round(test["next_quarter"], 6) == 260.0
    short = forecast_load(monthly.head(12))
    assert short.backtest["model"].to_list() == ["level"]
    assert short.forecast["forecast"].to_list() == pytest.approx([104 / 3] * 3)
    too_short = forecast_load(monthly.head(11))
    assert (too_short.backtest.height, too_short.skipped) == (0, 1)


# --- on the simulated landscape ---------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resources") / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    return root


def test_the_integration_cuts_handovers_per_order_from_about_3_to_1(
    data_dir: Path, kit_landscape: KitLandscape
) -> None:
    planted = kit_landscape.manifest["effects"]["integration"]
    view = build_resource_view(LogStore(data_dir), "servicenow-orders", item=DEVELOPMENT)
    trend = view.handover_trend
    before = trend.filter(pl.col("month") < GO_LIVE)
    after = trend.filter(pl.col("month") >= GO_LIVE)
    assert view.trend_months_withheld == 0
    assert (before["cases"].sum(), after["cases"].sum()) == (
        planted["orders"]["count_before"],
        planted["orders"]["count_after"],
    )
    mean_before = before["handovers"].sum() / before["cases"].sum()
    assert round(mean_before, 4) == planted["handovers"]["mean_before"]
    assert after["mean_handovers_per_case"].to_list() == [1.0] * after.height
    assert after["handovers"].sum() == after["cases"].sum()


def test_the_landscapes_load_follows_the_five_person_rule(data_dir: Path) -> None:
    view = build_resource_view(LogStore(data_dir), "servicenow-orders")
    assert view.partial_month == dt.date(2026, 1, 1)
    assert view.load.monthly["people"].min() >= 5  # type: ignore[operator]
    assert view.load.monthly["month"].max() == dt.date(2025, 12, 1)
    assert view.forecast.forecast["month"].unique().sort().to_list() == [
        dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    ]  # fmt: skip
    assert view.hours is not None
    assert view.hours.table["people"].min() >= 5  # type: ignore[operator]


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    value: str
    key: str


def record_run(store: LogStore, source: str, stream: str, *, fail: bool = False) -> None:
    with store.data.extraction_catalog() as catalog:
        run, _ = catalog.open_run(source, stream)
        catalog.commit_page(run, bookmark=Mark("2025-12-31 23:52:57", "9df4b4dd0011"), records=7)
        catalog.close_run(run, status="failed" if fail else "finished", message="boom")


@pytest.fixture
def sourced(tmp_path: Path) -> LogStore:
    store = LogStore(tmp_path / "data")
    record_run(store, "servicenow", "incident")
    record_run(store, "time-registration", "tidsregistrering-2025.csv")
    quarantine = store.data.staged_quarantine("servicenow", "incident")
    quarantine.parent.mkdir(parents=True)
    pl.DataFrame(
        {"row_number": [1, 2, 3], "reason": ["no number", "bad date", "no number"], "record": "{}"}
    ).write_csv(quarantine)
    return store


def test_sources_are_stale_after_2_days_when_fetched_and_35_when_exported(
    sourced: LogStore,
) -> None:
    with sourced.data.extraction_catalog() as catalog:
        finished = catalog.status("servicenow", "incident").last_run_finished_at
    assert finished is not None
    fresh = check_sources(sourced.data, now=finished + dt.timedelta(days=1))
    assert fresh.stale == ()
    later = check_sources(sourced.data, now=finished + dt.timedelta(days=3))
    assert [(s.status.source, s.kind) for s in later.stale] == [("servicenow", "fetched")]
    month = check_sources(sourced.data, now=finished + dt.timedelta(days=36))
    assert len(month.stale) == 2
    assert [(r.source, r.reason, r.records) for r in fresh.reasons] == [
        ("servicenow", "no number", 2),
        ("servicenow", "bad date", 1),
    ]
    record_run(sourced, "servicenow", "sys_audit", fail=True)
    failed = check_sources(sourced.data, now=finished + dt.timedelta(hours=1)).stale
    assert [s.status.stream for s in failed] == ["sys_audit"]


def test_kitflow_sources_says_which_stream_is_stale(
    sourced: LogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(sourced.data.root))
    record_run(sourced, "servicenow", "sys_audit", fail=True)
    listed = {(s["source"], s["stream"]): s for s in json.loads(run("sources", "--json"))}
    assert {key: (s["kind"], s["stale"]) for key, s in listed.items()} == {
        ("servicenow", "incident"): ("fetched", False),
        ("servicenow", "sys_audit"): ("fetched", True),
        ("time-registration", "tidsregistrering-2025.csv"): ("export", False),
    }
    human = run("sources")
    assert "servicenow/sys_audit  failed" in human
    assert "  fetched, stale (last finished run: 0,0 hours ago)" in human


def test_the_sources_page_shows_each_stream_and_the_reasons(sourced: LogStore) -> None:
    with sourced.data.extraction_catalog() as catalog:
        finished = catalog.status("servicenow", "incident").last_run_finished_at
    assert finished is not None
    table = sources.build_sources_table(
        check_sources(sourced.data, now=finished + dt.timedelta(days=3, hours=1)), "da"
    )
    assert [table.texts(k) for k in ("source", "kind", "records", "bookmark", "age", "fresh")] == [
        ["servicenow", "time-registration"],
        ["hentet", "eksport"],
        ["7", "7"],
        ["2025-12-31 23:52:57 / 9df4b4dd…"] * 2,
        ["3 dage", "3 dage"],
        ["forældet", "frisk"],
    ]
    page = str(sources.build_layout(sourced, "da"))
    assert "no number" in page and "bad date" in page


def test_a_stale_source_is_flagged_on_the_pages_that_use_it(sourced: LogStore) -> None:
    assert ids.STALE_BANNER not in str(overview.build_layout(sourced, "da"))
    record_run(sourced, "servicenow", "sys_audit", fail=True)
    shown = str(overview.build_layout(sourced, "da"))
    assert ids.STALE_BANNER in shown
    assert "Forældede datakilder: servicenow/sys_audit (hentet " in shown
    assert ids.STALE_BANNER in str(resources.build_layout(sourced, "en"))


# --- roles ------------------------------------------------------------------------------------


def test_datakilder_is_for_administrators_and_ressourcestyring_for_analysts(
    sourced: LogStore, sign_in: Callable[..., Any]
) -> None:
    app = create_app(sourced, auth=AuthSettings(secret_key="s" * 40))
    status = {
        (role, path): sign_in(app.server.test_client(), role).get(path).status_code
        for role in ("director", "analyst", "administrator")
        for path in ("/sources", "/resources")
    }
    assert status == {
        ("director", "/sources"): 403,
        ("director", "/resources"): 403,
        ("analyst", "/sources"): 403,
        ("analyst", "/resources"): 200,
        ("administrator", "/sources"): 200,
        ("administrator", "/resources"): 200,
    }
    body = {
        "output": f"..{ids.RESOURCES_RESULT}.children...{ids.RESOURCES_ITEM}.options..."
        f"{ids.RESOURCES_MONTH}.options...{ids.RESOURCES_MONTH}.value..."
        f"{ids.RESOURCES_MESSAGE}.children..",
        "outputs": [
            {"id": ids.RESOURCES_RESULT, "property": "children"},
            {"id": ids.RESOURCES_ITEM, "property": "options"},
            {"id": ids.RESOURCES_MONTH, "property": "options"},
            {"id": ids.RESOURCES_MONTH, "property": "value"},
            {"id": ids.RESOURCES_MESSAGE, "property": "children"},
        ],
        "inputs": [
            {"id": ids.RESOURCES_LOG, "property": "value", "value": None},
            {"id": ids.RESOURCES_ITEM, "property": "value", "value": None},
            {"id": ids.RESOURCES_MONTH, "property": "value", "value": None},
        ],
        "state": [{"id": ids.RESOURCES_LANGUAGE, "property": "data", "value": "da"}],
        "changedPropIds": [],
    }
    director = sign_in(app.server.test_client(), "director")
    director.get("/")
    assert director.post("/_dash-update-component", json=body).status_code == 403
    analyst = sign_in(app.server.test_client(), "analyst")
    assert analyst.post("/_dash-update-component", json=body).status_code == 200
    # The router itself refuses Datakilder's layout to an analyst.
    router = {
        "output": "_pages_content.children",
        "outputs": [],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/sources"}],
        "state": [],
        "changedPropIds": [],
    }
    assert analyst.post("/_dash-update-component", json=router).status_code == 403


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    folder = tmp_path_factory.mktemp("resources-screenshots")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nscreenshots of Ressourcestyring and Datakilder: {folder}")
    return folder


def rows_of(browser: Any, table_id: str) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[str(td.text) for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def full_page(browser: Any) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    metrics = {"width": 1440, "height": height, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


@pytest.mark.e2e
def test_both_pages_in_the_browser(
    data_dir: Path,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    screenshots: Path,
) -> None:
    app = create_app(LogStore(data_dir))
    base = live_server(app)
    sign_in(browser, "administrator", base_url=base, app=app)
    view = build_resource_view(LogStore(data_dir), "servicenow-orders", item=DEVELOPMENT)
    october = view.handover_trend.filter(pl.col("month") == dt.date(2023, 10, 1)).row(0, named=True)
    query = urlencode({"log": "servicenow-orders", "item": DEVELOPMENT, "month": "2023-11-01"})
    browser.get(f"{base}/resources?{query}")
    rows = wait_for(browser, lambda b: rows_of(b, ids.RESOURCES_HANDOVER_TABLE))
    by_month = {row[0]: row[1:] for row in rows}
    expected = f"{october['mean_handovers_per_case']:.2f}".replace(".", ",")
    assert by_month["okt. 2023"] == [str(october["cases"]), str(october["handovers"]), expected]
    assert expected != "1,00"
    assert [by_month[m][2] for m in ("nov. 2023", "dec. 2023", "jan. 2024")] == ["1,00"] * 3
    assert browser.find_element(By.ID, ids.RESOURCES_TITLE).text == "Ressourcestyring"
    assert "nov. 2023" in browser.find_element(By.CSS_SELECTOR, "#resources-result h2").text
    full_page(browser)
    browser.save_screenshot(str(screenshots / "ressourcestyring.png"))
    browser.get(f"{base}/sources")
    table = wait_for(browser, lambda b: rows_of(b, ids.SOURCES_TABLE))
    streams = {(row[0], row[1]): row for row in table}
    assert streams["servicenow", "sc_req_item"][2:4] == ["hentet", "gennemført"]
    with DataFolder.from_env(data_dir).extraction_catalog() as catalog:
        items = catalog.status("servicenow", "sc_req_item").records_stored
    assert streams["servicenow", "sc_req_item"][5] == f"{items:,}".replace(",", ".")
    full_page(browser)
    browser.save_screenshot(str(screenshots / "datakilder.png"))
