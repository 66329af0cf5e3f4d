"""The directors' pages on the simulated KIT landscape (tests/conftest.py) with the committed
business cases: the tables the pages build, their downloads through the app's callbacks, and
each page in a real headless Chromium (no console errors, exact figures read from the page,
a screenshot of each kept under the test session's folder).

Figures that the case files state (budget, Tabel 1's lines, the payback in the case) are
checked as the case states them; measured ones against the manifest or against the services'
overview, formatted here the way a Danish reader writes them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from app.dashboard import create_app, ids
from app.dashboard.data import Cockpit, load_cockpit
from app.figures.cockpit_tables import build_followup_table, build_method_table
from models.datafolder import DataFolder
from models.store import LogStore
from tests.conftest import KitLandscape
from tests.test_dashboard_e2e import wait_for

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
AUTOMATION = "automation-solutions"
TASK_MANAGEMENT = "cross-cutting-task-management"
AS_OF = "2024-12-31"
SCREEN = {"width": 1440, "height": 900}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")


@pytest.fixture(scope="module")
def data_dir(kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder of this module's own (the session's landscape is shared): the landscape
    and the committed cases."""
    root = tmp_path_factory.mktemp("cockpit") / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    shutil.copytree(CASES, root / "business_cases")
    return root


@pytest.fixture(scope="module")
def cockpit(data_dir: Path) -> Cockpit:
    return load_cockpit(DataFolder.from_env(data_dir), dt.date.fromisoformat(AS_OF))


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """Where the pages' screenshots are kept; the path is printed past pytest's capture."""
    folder = tmp_path_factory.mktemp("cockpit-screenshots")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nscreenshots of the directors' pages: {folder}")
    return folder


def danish(value: Decimal | None, decimals: int) -> str:
    """A number as a Danish reader writes it: 1.234,5."""
    assert value is not None
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def test_the_pages_tables_show_the_landscapes_case_in_danish(data_dir: Path) -> None:
    found = load_cockpit(DataFolder.from_env(data_dir), dt.date(2026, 11, 23))
    automation = next(o for o in found.overviews if o.case_path.stem == AUTOMATION)
    table = build_followup_table(automation.followup.targets, "da")
    assert table.texts("status") == ["opfyldt"] * 4 + ["ikke nået"] * 6
    first_solution = automation.followup.realisation.solutions[0]
    methods = build_method_table(first_solution, "da")
    assert (first_solution.name, methods.texts("year")[0]) == (
        "Automatisering af ledelsestilsyn", "2023",
    )  # fmt: skip


def test_the_methods_table_recovers_the_planted_robot_hours(
    cockpit: Cockpit, kit_landscape: KitLandscape
) -> None:
    automation = next(o for o in cockpit.overviews if o.case_path.stem == AUTOMATION)
    methods = build_method_table(automation.followup.realisation.solutions[0], "da")
    planted = kit_landscape.manifest["effects"]["automations"][0]["robot"]
    successes = sum(n for m, n in planted["successful_by_month"].items() if m.startswith("2023"))
    assert methods.texts("robot")[0] == f"{successes * 6:,}".replace(",", ".")


# --- downloads through the app's callbacks ----------------------------------------------------


def _click(client: Any, button_type: str, download_type: str, key: str, state: Any) -> Any:
    """Press an Excel button the way the browser does; the download's data."""
    button = {"key": key, "type": button_type}
    download = {"key": key, "type": download_type}
    state_id = {
        ids.OVERVIEW_XLSX: ids.OVERVIEW_STATE,
        ids.REALISATION_XLSX: ids.REALISATION_STATE,
        ids.FOLLOWUP_XLSX: ids.FOLLOWUP_STATE,
    }[button_type]
    response = client.post(
        "/_dash-update-component",
        json={
            # The callback is found by its pattern; the ids are the pressed button's.
            "output": _compact({"key": ["MATCH"], "type": download_type}) + ".data",
            "outputs": {"id": download, "property": "data"},
            "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
            "state": [
                {"id": button, "property": "id", "value": button},
                {"id": state_id, "property": "data", "value": state},
            ],
            "changedPropIds": [_compact(button) + ".n_clicks"],
        },
    )
    assert response.status_code == 200, response.data
    return json.loads(response.data)["response"][_compact(download)]


def _compact(component_id: dict[str, Any]) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True)


def test_excel_buttons_send_the_tables_with_numbers_as_numbers(
    data_dir: Path, sign_in: Callable[..., Any]
) -> None:
    client = sign_in(create_app(LogStore(data_dir)).server.test_client(), "director")
    state = {"lang": "da", "as_of": AS_OF, "case": AUTOMATION}
    sent = _click(client, ids.REALISATION_XLSX, ids.REALISATION_XLSX_DOWNLOAD, "tabel-1", state)
    assert sent["data"]["filename"] == f"{AUTOMATION}-tabel_1.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(sent["data"]["content"]))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == (
        "Tidsbesparelse på administrative opgaver", None, -229, -697, -1989, -1989, -1989, -1989,
    )  # fmt: skip
    key = f"{AUTOMATION}-noegletal"
    sent = _click(client, ids.OVERVIEW_XLSX, ids.OVERVIEW_XLSX_DOWNLOAD, key, state)
    sheet = load_workbook(io.BytesIO(base64.b64decode(sent["data"]["content"]))).active
    assert sheet is not None
    assert [row[1] for row in sheet.iter_rows(values_only=True)][1:3] == [697, 926]


def test_the_report_button_sends_the_kit_dir_report(
    data_dir: Path, sign_in: Callable[..., Any]
) -> None:
    client = sign_in(create_app(LogStore(data_dir)).server.test_client(), "director")
    state = {"lang": "da", "as_of": AS_OF, "case": None, "responsible": None}
    response = client.post(
        "/_dash-update-component",
        json={
            "output": f"{ids.FOLLOWUP_REPORT_DOWNLOAD}.data",
            "outputs": {"id": ids.FOLLOWUP_REPORT_DOWNLOAD, "property": "data"},
            "inputs": [{"id": ids.FOLLOWUP_REPORT_BUTTON, "property": "n_clicks", "value": 1}],
            "state": [
                {"id": ids.FOLLOWUP_REPORT_FORMAT, "property": "value", "value": "xlsx"},
                {"id": ids.FOLLOWUP_STATE, "property": "data", "value": state},
            ],
            "changedPropIds": [f"{ids.FOLLOWUP_REPORT_BUTTON}.n_clicks"],
        },
    )
    assert response.status_code == 200, response.data
    sent = json.loads(response.data)["response"][ids.FOLLOWUP_REPORT_DOWNLOAD]["data"]
    assert sent["filename"] == f"opfoelgning-{AS_OF}.xlsx"
    book = load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert len(book.sheetnames) > 1


def test_a_new_as_of_date_redraws_the_targets_as_of_it(
    data_dir: Path, sign_in: Callable[..., Any]
) -> None:
    client = sign_in(create_app(LogStore(data_dir)).server.test_client(), "director")
    state = {"lang": "da", "case": AUTOMATION, "as_of": AS_OF, "responsible": None}
    outputs = [
        {"id": ids.FOLLOWUP_RESULT, "property": "children"},
        {"id": ids.FOLLOWUP_STATE, "property": "data"},
    ]
    response = client.post(
        "/_dash-update-component",
        json={
            "output": f"..{ids.FOLLOWUP_RESULT}.children...{ids.FOLLOWUP_STATE}.data..",
            "outputs": outputs,
            "inputs": [
                {"id": ids.FOLLOWUP_AS_OF, "property": "date", "value": "2026-11-23"},
                {"id": ids.FOLLOWUP_RESPONSIBLE, "property": "value", "value": None},
            ],
            "state": [{"id": ids.FOLLOWUP_STATE, "property": "data", "value": state}],
            "changedPropIds": [f"{ids.FOLLOWUP_AS_OF}.date"],
        },
    )
    assert response.status_code == 200, response.data
    body = json.loads(response.data)["response"]
    assert body[ids.FOLLOWUP_STATE]["data"]["as_of"] == "2026-11-23"
    shown = json.dumps(body[ids.FOLLOWUP_RESULT]["children"], ensure_ascii=False)
    assert "Opgjort pr. 23.11.2026" in shown
    assert shown.count('"ikke nået"') == 6


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture
def url(
    data_dir: Path, live_server: Callable[[Any], str], browser: Any, sign_in: Callable[..., Any]
) -> str:
    app = create_app(LogStore(data_dir))
    base = live_server(app)
    sign_in(browser, "director", base_url=base, app=app)
    return base


@pytest.fixture
def screen(browser: Any) -> Iterator[Any]:
    """The browser with a 1440×900 viewport (a director's laptop screen)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {**SCREEN, "deviceScaleFactor": 1, "mobile": False}
    )
    yield browser


def rows_of(browser: Any, table_id: str) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[str(td.text) for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def severe_errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def full_page(browser: Any) -> None:
    """Grow the viewport to the page's height, so the screenshot holds all of it."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    metrics = {"width": 1440, "height": height, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


@pytest.mark.e2e
def test_overblik_answers_on_one_screen(
    screen: Any, url: str, cockpit: Cockpit, screenshots: Path
) -> None:
    screen.get(f"{url}/?as_of={AS_OF}")
    table = f"{ids.OVERVIEW_KEY_FIGURES}-{AUTOMATION}"
    rows = wait_for(screen, lambda b: rows_of(b, table))
    automation = next(o for o in cockpit.overviews if o.case_path.stem == AUTOMATION)
    assert rows == [
        ["Gevinst 2024, 1.000 kr.", "697", danish(automation.realised_this_year_tkr, 1)],
        ["Gevinst til dato, 1.000 kr.", "926", danish(automation.realised_to_date_tkr, 1)],
        ["Gevinst til dato, ÅV", "1,4", danish(automation.realised_to_date_aav, 1)],
        ["Realisering til dato", "", f"{automation.realisation_to_date_pct:.0f} %"],
        ["Tilbagebetalingstid (realiseret: målt og prognose)", "6 år (2028)",
         "ikke i budgetårene"],
    ]  # fmt: skip
    counts = screen.find_element(
        By.CSS_SELECTOR, f"[id*='{ids.OVERVIEW_COUNTS}'][id*='{AUTOMATION}']"
    )
    assert counts.text.split("\n") == ["5 i risiko", "1 ingen data", "4 opfyldt"]
    assert screen.find_element(By.ID, ids.OVERVIEW_AS_OF).text == "Opgjort pr. 31.12.2024"
    # Both cases' curves drawn, and the whole page inside the screen: no scrolling.
    assert wait_for(
        screen, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".kf-chart .main-svg")) >= 4
    )
    page = screen.execute_script(
        "const e = document.documentElement;"
        "return [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight];"
    )
    screen.save_screenshot(str(screenshots / "overblik.png"))
    assert page[0] <= page[1] and page[2] <= page[3], f"scrolls: {page}"
    assert severe_errors(screen) == []


@pytest.mark.e2e
def test_a_chart_saves_as_png_from_its_camera_button(screen: Any, url: str, tmp_path: Path) -> None:
    screen.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    screen.get(f"{url}/?as_of={AS_OF}")
    card = f"[id*='{ids.OVERVIEW_CURVE}'][id*='{AUTOMATION}']"
    camera = wait_for(screen, lambda b: b.find_elements(By.CSS_SELECTOR, f"{card} .modebar-btn"))[0]
    screen.execute_script("arguments[0].click();", camera)
    saved = wait_for(screen, lambda b: list(tmp_path.glob("*.png")))
    assert [p.name for p in saved] == [f"{AUTOMATION}-tilbagebetaling.png"]
    assert saved[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.e2e
def test_gevinstrealisering_shows_tabel_1_and_the_methods(
    screen: Any, url: str, screenshots: Path
) -> None:
    screen.get(f"{url}/realisation?case={AUTOMATION}&as_of={AS_OF}")
    rows = wait_for(screen, lambda b: rows_of(b, f"{ids.REALISATION_TABLE}-1"))
    assert rows[0] == [
        "Tidsbesparelse på administrative opgaver", "-", "-229", "-697", "-1.989", "-1.989",
        "-1.989", "-1.989",
    ]  # fmt: skip
    title = screen.find_element(By.ID, ids.REALISATION_CASE_TITLE).text
    assert title == "Nye automatiseringsløsninger i Koncern IT"
    methods = rows_of(screen, f"{ids.REALISATION_METHODS}-1")
    assert [row[0] for row in methods] == ["2023", "2024", "2025", "2026", "2027", "2028"]
    wait_for(screen, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".kf-chart .main-svg")) >= 4)
    full_page(screen)
    screen.save_screenshot(str(screenshots / "gevinstrealisering.png"))
    assert severe_errors(screen) == []


@pytest.mark.e2e
def test_opfoelgning_filters_by_responsible(screen: Any, url: str, screenshots: Path) -> None:
    screen.get(f"{url}/followup?as_of={AS_OF}")
    table = f"{ids.FOLLOWUP_TARGETS}-{AUTOMATION}"
    rows = wait_for(screen, lambda b: rows_of(b, table))
    assert [row[1] for row in rows] == ["opfyldt"] * 4 + ["i risiko"] * 5 + ["ingen data"]
    # No target text is cut: the table fits its card.
    overflow = screen.execute_script(
        "const t = document.getElementById(arguments[0]);"
        "return t.scrollWidth - t.parentElement.clientWidth;",
        table,
    )
    assert overflow <= 0
    screen.save_screenshot(str(screenshots / "opfoelgning.png"))
    screen.find_element(By.ID, ids.FOLLOWUP_RESPONSIBLE).click()
    option = wait_for(
        screen,
        lambda b: next(
            (o for o in b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
             if o.text == "Kontorchef i Forretningsudvikling"),
            None,
        ),
    )  # fmt: skip
    option.click()
    wait_for(screen, lambda b: not b.find_elements(By.ID, table))
    chief = rows_of(screen, f"{ids.FOLLOWUP_TARGETS}-{TASK_MANAGEMENT}")
    assert [row[0] for row in chief] == ["1", "2", "3"]
    assert severe_errors(screen) == []
