"""The Automatiseringskandidater page (issue #15): who may open it and run its callbacks (every
role and none, on the server), the robots' run mode on the simulated landscape, the five
automated processes listed apart in a real headless Chromium with exact values read from the
page, and "Lav business case": the draft's Tabel 1 on the page and its downloads."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from selenium.webdriver.common.by import By

from app.dashboard import create_app
from app.dashboard.auth_access import page_allowed
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import candidates
from app.dashboard.routes import CANDIDATES_PATH
from models.accounts import ROLES
from models.store import LogStore
from services import CandidateOptions, CandidateReport, find_candidates, read_parameters
from tests.conftest import KitLandscape
from tests.test_dashboard_e2e import wait_for
from tests.test_method_page import router_body

SECRET = "test-secret-0123456789abcdef0123456789"
RUN_MODE_DA = {"unattended": "RPA (uden bruger)", "attended": "RDA (med bruger)"}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")


def _danish(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _sources_da(sources: str) -> str:
    """A row's sources as the Danish page names them (the ranking names the time registration
    in English)."""
    return sources.replace("time registration", "tidsregistrering")


def _run_mode(auto: dict[str, Any]) -> str:
    """What the simulator plants: UiPath jobs run unattended; a Power Automate flow with
    residual human minutes runs attended (the assistant, RDA)."""
    if auto["platform"] == "uipath":
        return "unattended"
    return "attended" if auto["residual_minutes_per_successful_transaction"] > 0 else "unattended"


@pytest.fixture(scope="module")
def report(kit_landscape: KitLandscape) -> CandidateReport:
    store = LogStore(kit_landscape.data_dir)
    return find_candidates(store, CandidateOptions(), read_parameters())


def test_the_five_automated_processes_are_one_row_each_with_their_run_mode(
    report: CandidateReport, kit_landscape: KitLandscape
) -> None:
    automations = kit_landscape.manifest["effects"]["automations"]
    robots = pl.read_parquet(kit_landscape.data_dir / "03_primary/robots/transactions.parquet")
    done = [s for s in report.scores if s.status == "already automated"]
    assert len(done) == 5
    by_robot = {s.measures.automated.robot_process: s for s in done if s.measures.automated}
    assert set(by_robot) == {a["process_name"] for a in automations}
    for auto in automations:
        row = by_robot[auto["process_name"]]
        assert row.measures.label == auto["time_registration"]["aktivitet"]
        assert row.measures.automated is not None
        assert row.measures.automated.run_mode == _run_mode(auto), auto["key"]
        # Go-live is the robot's first transaction: the first working day from the planted date.
        first = robots.filter(pl.col("process_name") == auto["process_name"])["start"].min()
        assert row.measures.automated.go_live == first.date().isoformat()  # type: ignore[union-attr]
        assert auto["go_live"][:10] <= row.measures.automated.go_live
    modes = {a["key"]: _run_mode(a) for a in automations}
    assert modes == {
        "ledelsestilsyn": "unattended", "indsigtsanmodninger": "unattended",
        "journalisering": "unattended", "standard_requests": "unattended",
        "simple_sager": "attended",
    }  # fmt: skip


# --- who may open it ---------------------------------------------------------------------------


def _router_body(app: Any) -> dict[str, Any]:
    body = router_body(CANDIDATES_PATH)
    body["output"] = next(o for o in app.callback_map if "_pages_content" in o)
    return body


def _update_body(app: Any, *, logs: list[str], save: int = 0, process: str = "") -> dict[str, Any]:
    output = next(o for o in app.callback_map if candidates.RESULT in o)
    return {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in (
            (candidates.RESULT, "children"), (candidates.PERIODS, "children"),
            (candidates.MESSAGE, "children"), (candidates.CRIT_PROCESS, "options"),
            (candidates.CASE_CHOICE, "options"), (candidates.CRIT_MESSAGE, "children"))],
        "inputs": [{"id": candidates.LOGS, "property": "value", "value": logs},
                   {"id": candidates.PERIOD, "property": "start_date", "value": None},
                   {"id": candidates.PERIOD, "property": "end_date", "value": "2023-13-45"},
                   {"id": candidates.CRIT_SAVE, "property": "n_clicks", "value": save}],
        "state": [{"id": candidates.CRIT_PROCESS, "property": "value", "value": process},
                  {"id": candidates.CRIT_WEIGHT, "property": "value", "value": "0"},
                  {"id": candidates.LANGUAGE, "property": "data", "value": "da"}],
        "changedPropIds": [f"{candidates.CRIT_SAVE}.n_clicks" if save
                           else f"{candidates.LOGS}.value"],
    }  # fmt: skip


def test_analysts_and_administrators_only(tmp_path: Path, sign_in: Callable[..., Any]) -> None:
    assert [r for r in ROLES if page_allowed(CANDIDATES_PATH, r)] == ["analyst", "administrator"]
    app = create_app(LogStore(tmp_path / "data"), auth=AuthSettings(secret_key=SECRET))
    sign_in(app.server.test_client()).get("/")
    router, update = _router_body(app), _update_body(app, logs=[])
    for role in ("analyst", "administrator"):
        client = sign_in(app.server.test_client(), role)
        assert client.get(CANDIDATES_PATH).status_code == 200
        answer = client.post("/_dash-update-component", json=router)
        assert "Automatiseringskandidater" in json.dumps(answer.json, ensure_ascii=False)
        # A mistyped date is a message in the page, not an HTTP 500.
        shown = client.post("/_dash-update-component", json=update)
        assert shown.status_code == 200
        message = json.dumps(shown.json["response"][candidates.MESSAGE], ensure_ascii=False)
        assert "Perioden kan ikke bruges" in message
    director = sign_in(app.server.test_client(), "director")
    assert director.get(CANDIDATES_PATH).status_code == 403
    assert director.post("/_dash-update-component", json=router).status_code == 403
    assert director.post("/_dash-update-component", json=update).status_code == 403
    anonymous = app.server.test_client()
    assert anonymous.get(CANDIDATES_PATH).status_code == 302
    assert anonymous.post("/_dash-update-component", json=update).status_code == 401


def test_a_bad_weight_is_refused_with_a_message(
    tmp_path: Path, sign_in: Callable[..., Any]
) -> None:
    app = create_app(LogStore(tmp_path / "data"), auth=AuthSettings(secret_key=SECRET))
    client = sign_in(app.server.test_client(), "analyst")
    client.get("/")
    body = _update_body(app, logs=[], save=1, process="Ledelsestilsyn")
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    saved = json.dumps(answer.json["response"][candidates.CRIT_MESSAGE], ensure_ascii=False)
    assert "Vælg en proces og en vægt over 0 og højst 10." in saved
    assert not (tmp_path / "data" / "candidates" / "criticality.json").exists()


# --- in the browser ---------------------------------------------------------------------------


def _rows(browser: Any, table_id: str) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{table_id} > tbody > tr:not(.kf-explanation)")
    return [[str(td.text) for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


@pytest.fixture
def url(
    kit_landscape: KitLandscape,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
) -> str:
    """The dashboard over the landscape, served, with the browser signed in as an analyst."""
    app = create_app(LogStore(kit_landscape.data_dir))
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    return base


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """Where the page's screenshot is kept; the path is printed past pytest's capture."""
    folder = tmp_path_factory.mktemp("candidates-screenshots")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nscreenshot of Automatiseringskandidater: {folder}")
    return folder


@pytest.mark.e2e
def test_the_page_lists_the_five_automated_processes_apart_and_drafts_a_case(
    url: str,
    browser: Any,
    report: CandidateReport,
    kit_landscape: KitLandscape,
    screenshots: Path,
) -> None:
    browser.set_window_size(1440, 900)
    browser.get(f"{url}{CANDIDATES_PATH}")
    shown = wait_for(browser, lambda b: _rows(b, candidates.AUTOMATED))
    automations = {a["process_name"]: a for a in kit_landscape.manifest["effects"]["automations"]}
    expected = []
    for score in (s for s in report.scores if s.status == "already automated"):
        m, auto = score.measures, score.measures.automated
        assert auto is not None
        expected.append([
            m.label, _sources_da(m.source), _danish(score.cases_per_year),
            _danish(score.hours_per_year),
            auto.robot_process, RUN_MODE_DA[_run_mode(automations[auto.robot_process])],
            f"{_danish(auto.realised_share * 100)} %", "1,0",
        ])  # fmt: skip
    assert shown == expected
    assert len({row[0] for row in shown}) == 5
    candidates_shown = _rows(browser, candidates.TABLE)
    top = report.scores[0]
    assert candidates_shown[0][:5] == [
        "1", top.measures.label, _sources_da(top.measures.source), _danish(top.cases_per_year),
        _danish(top.hours_per_year),
    ]  # fmt: skip
    # "Lav business case" for the top candidate: its Tabel 1 on the page before the downloads.
    browser.find_element(By.ID, candidates.CASE_CHOICE).click()
    wanted = f"1. {top.measures.label}"
    options = ".dash-dropdown-option"
    wait_for(
        browser,
        lambda b: next(
            (o for o in b.find_elements(By.CSS_SELECTOR, options) if o.text == wanted), None
        ),
    ).click()
    browser.find_element(By.ID, candidates.CASE_MAKE).click()
    tabel = wait_for(browser, lambda b: _rows(b, candidates.CASE_TABLE))
    saving = round(top.savings_tkr)
    assert tabel[0] == ["Tidsbesparelse ved automatisering", "-", *[_danish(-saving)] * 5]
    assert tabel[-1][:2] == ["Samlet økonomisk påvirkning", "1.000"]
    button = browser.find_element(By.ID, candidates.CASE_BUTTON)
    assert (button.text, button.is_displayed()) == ("Hent business case (YAML)", True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1440, min(height + 100, 8000))
    browser.save_screenshot(str(screenshots / "automatiseringskandidater.png"))


def _post(
    client: Any, output: str, inputs: list[tuple[str, str, Any]], state: list[tuple[str, str, Any]]
) -> Any:
    """Run the callback whose output key is ``output`` (several outputs: ``..a.x...b.y..``)."""
    keys = output.strip(".").split("...")
    outputs = [{"id": k.rpartition(".")[0], "property": k.rpartition(".")[2]} for k in keys]
    body = {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    return client.post("/_dash-update-component", json=body)


def test_the_draft_and_its_bindings_download_for_analysts_only(
    kit_landscape: KitLandscape, report: CandidateReport, sign_in: Callable[..., Any]
) -> None:
    app = create_app(LogStore(kit_landscape.data_dir), auth=AuthSettings(secret_key=SECRET))
    top = report.scores[0]
    make = (
        f"..{candidates.CASE_RESULT}.children...{candidates.DOWNLOADS}.hidden..",
        [(candidates.CASE_MAKE, "n_clicks", 1)],
        [(candidates.CASE_CHOICE, "value", top.measures.candidate_id),
         (candidates.LOGS, "value", []), (candidates.PERIOD, "start_date", None),
         (candidates.PERIOD, "end_date", None), (candidates.LANGUAGE, "data", "da")],
    )  # fmt: skip
    download = (
        f"{candidates.CASE_DOWNLOAD}.data",
        [(candidates.CASE_BUTTON, "n_clicks", 1)],
        [(candidates.CASE_CHOICE, "value", top.measures.candidate_id)],
    )
    bindings = (
        f"{candidates.BINDINGS_DOWNLOAD}.data",
        [(candidates.BINDINGS_BUTTON, "n_clicks", 1)],
        [(candidates.CASE_CHOICE, "value", top.measures.candidate_id)],
    )
    director = sign_in(app.server.test_client(), "director")
    assert _post(director, *make).status_code == 403
    analyst = sign_in(app.server.test_client(), "analyst")
    shown = _post(analyst, *make)
    assert shown.status_code == 200
    assert shown.json["response"][candidates.DOWNLOADS]["hidden"] is False
    assert "Tabel 1 for Automatisering af Koordinering (1.000 kr.)" in json.dumps(
        shown.json, ensure_ascii=False
    )
    assert _post(director, *download).status_code == 403
    assert _post(app.server.test_client(), *download).status_code == 401
    sent = _post(analyst, *download).json["response"][candidates.CASE_DOWNLOAD]["data"]
    assert sent["filename"] == "automatisering-koordinering.yaml"
    text = base64.b64decode(sent["content"]).decode("utf-8")
    assert 'title: "Automatisering af Koordinering"' in text
    assert f"      2027: {-round(top.savings_tkr)}" in text
    sent = _post(analyst, *bindings).json["response"][candidates.BINDINGS_DOWNLOAD]["data"]
    assert sent["filename"] == "automatisering-koordinering.followup.yaml"
    follow = base64.b64decode(sent["content"]).decode("utf-8")
    assert 'case: "automatisering-koordinering.yaml"' in follow
    assert '    time_activity: "Koordinering"' in follow


def _write_hours(store: LogStore, ledelsestilsyn: float, journalisering: float) -> None:
    """Ten bookings of each activity by five employees, 2024-01-01 to 2024-11-20."""
    store.data.hours().parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 1) + dt.timedelta(days=36 * i) for i in range(10)] * 2,
            "activity": ["Ledelsestilsyn"] * 10 + ["Journalisering"] * 10,
            "case_reference": [None] * 20,
            "hours": [ledelsestilsyn] * 10 + [journalisering] * 10,
            "employee": [f"p-{i % 5}" for i in range(20)],
        },
        schema_overrides={"case_reference": pl.String},
    ).write_parquet(store.data.hours())


def test_the_measuring_is_kept_until_a_file_changes(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "data")
    _write_hours(store, 100.0, 120.0)
    first = find_candidates(store, CandidateOptions(), read_parameters())
    again = find_candidates(store, CandidateOptions(), read_parameters())
    assert [s.measures for s in again.scores] == [s.measures for s in first.scores]
    assert again.scores[0].measures is first.scores[0].measures  # not measured again
    _write_hours(store, 200.0, 120.0)  # a new time registration: measured again
    changed = find_candidates(store, CandidateOptions(), read_parameters())
    hours = {s.measures.label: s.hours_per_year for s in changed.scores}
    assert hours["Ledelsestilsyn"] == pytest.approx(2000 / (325 / 365.25))
    assert hours["Journalisering"] == pytest.approx(1200 / (325 / 365.25))


def test_an_analyst_sets_a_criticality_on_the_page_and_the_ranking_uses_it(
    tmp_path: Path, sign_in: Callable[..., Any]
) -> None:
    store = LogStore(tmp_path / "data")
    _write_hours(store, 100.0, 120.0)
    app = create_app(store, auth=AuthSettings(secret_key=SECRET))
    client = sign_in(app.server.test_client(), "analyst")
    client.get("/")
    body = _update_body(app, logs=[], save=1, process="Ledelsestilsyn")
    body["inputs"][2]["value"] = None  # no end date: the data's own
    body["state"][1]["value"] = "4,5"
    answer = client.post("/_dash-update-component", json=body).json["response"]
    shown = json.dumps(answer, ensure_ascii=False)
    assert "Kritikaliteten af Ledelsestilsyn er sat til 4,5." in shown
    stored = json.loads(store.data.candidate_criticality().read_text("utf-8"))
    assert stored == {"Ledelsestilsyn": 4.5}
    # 1.000 h over 2024-01-01..2024-11-20 (325 days) against 1.200 h: Journalisering saves more
    # a year, but Ledelsestilsyn's priority (net x 4,5) puts it first.
    report = find_candidates(store, CandidateOptions(), read_parameters())
    first, second = report.scores[:2]
    assert (first.measures.label, second.measures.label) == ("Ledelsestilsyn", "Journalisering")
    assert first.net_savings_tkr < second.net_savings_tkr
    assert first.priority_tkr == pytest.approx(first.net_savings_tkr * 4.5)
    assert f'"{_danish(first.priority_tkr)}"' in shown


def test_the_time_registration_is_named_in_the_readers_language(report: CandidateReport) -> None:
    merged = next(s for s in report.scores if s.measures.label == "Ledelsestilsyn")
    assert merged.measures.source == "servicenow-orders + time registration"
    assert candidates._cells(merged, "da")["sources"] == "servicenow-orders + tidsregistrering"
    assert candidates._cells(merged, "en")["sources"] == "servicenow-orders + time registration"
    _, periods = candidates.render(report, "da")
    assert "tidsregistrering 02.01.2023" in periods and "time registration" not in periods
