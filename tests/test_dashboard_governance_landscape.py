"""Governance and Fastlåste sager in a real headless Chromium on the simulated KIT landscape
(tests/conftest.py): exact figures read from the page, and a screenshot of each page kept under
the test session's folder."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from app.dashboard import create_app, ids
from app.formatting import format_datetime, format_int, format_number
from models.store import LogStore
from services import check_log_conformance, compute_governance, find_stuck
from tests.conftest import KitLandscape
from tests.test_dashboard_cockpit_landscape import full_page, rows_of, severe_errors
from tests.test_dashboard_e2e import text_of, wait_for

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
PLANTED = "Drift og Infrastruktur"
STUCK_AS_OF = "30.06.2025"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*"),
]


@pytest.fixture(scope="module")
def data_dir(kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landscape and the committed cases (as in the demo) in a folder of this module's own
    (signing in writes to its audit trail); the rules' threshold is the binding's 10 %."""
    root = tmp_path_factory.mktemp("governance") / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    shutil.copytree(CASES, root / "business_cases")
    return root


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    folder = tmp_path_factory.mktemp("workbench-screenshots")
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\nscreenshots of Governance and Fastlåste sager: {folder}")
    return folder


@pytest.fixture
def url(
    data_dir: Path, live_server: Callable[[Any], str], browser: Any, sign_in: Callable[..., Any]
) -> str:
    app = create_app(LogStore(data_dir))
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    browser.set_window_size(1440, 1000)
    return base


def test_governance_shows_the_misuse_in_drift_og_infrastruktur(
    browser: Any, url: str, data_dir: Path, screenshots: Path
) -> None:
    report = compute_governance(LogStore(data_dir), "azure-devops")
    planted = report.by_area.filter(report.by_area["org_unit"] == PLANTED).row(0, named=True)
    browser.get(f"{url}/governance")
    assert wait_for(browser, lambda b: text_of(b, ids.GOVERNANCE_TITLE)) == (
        "Governance: SAFe-regler pr. serviceområde"
    )
    table = f"{ids.GOVERNANCE_AREAS}-table"
    rows = wait_for(browser, lambda b: rows_of(b, table))
    assert rows[0][:5] == [
        PLANTED,
        str(planted["cases"]),
        str(planted["breaking_cases"]),
        format_number(planted["breaking_pct"], 1, "da"),
        "over tærskel",
    ]
    assert [row[4] for row in rows[1:]] == ["under tærskel"] * (len(rows) - 1)
    summary = text_of(browser, ids.GOVERNANCE_SUMMARY)
    assert "1 over tærsklen på 10 %" in summary
    # The trend: one line per area and the threshold, drawn by plotly in the page.
    legend = wait_for(
        browser, lambda b: [e.text for e in b.find_elements(By.CSS_SELECTOR, ".legendtext")]
    )
    assert PLANTED in legend and "Tærskel 10 %" in legend
    items = wait_for(browser, lambda b: rows_of(b, f"{ids.GOVERNANCE_ITEMS}-table"))
    assert len(items) == min(50, report.breaches.height)
    # Conformance of the orders against a model discovered from them, the net drawn.
    fitness = check_log_conformance(LogStore(data_dir), "servicenow-orders").fitness
    assert fitness is not None
    expected = (
        f"Fitness (token replay) {format_number(fitness.log_fitness, 3, 'da')}; "
        f"{format_number(fitness.fitting_cases_pct, 1, 'da')} % af "
        f"{format_int(fitness.cases, 'da')} sager passer helt til modellen; "
        f"varianter: {fitness.variants}."
    )
    assert text_of(browser, ids.GOVERNANCE_CONF_SUMMARY) == ""  # on demand only
    browser.find_element(By.ID, ids.GOVERNANCE_CONF_RUN).click()
    assert wait_for(browser, lambda b: text_of(b, ids.GOVERNANCE_CONF_SUMMARY) == expected)
    assert wait_for(
        browser, lambda b: b.find_elements(By.CSS_SELECTOR, f"#{ids.GOVERNANCE_CONF_NET} canvas")
    )
    full_page(browser)
    browser.save_screenshot(str(screenshots / "governance.png"))
    assert severe_errors(browser) == []


def test_fastlaaste_sager_lists_the_oldest_first(
    browser: Any, url: str, data_dir: Path, screenshots: Path
) -> None:
    moment = dt.datetime(2025, 6, 30, 22, 0, tzinfo=dt.UTC)  # the end of 30.06.2025 in Copenhagen
    report = find_stuck(LogStore(data_dir), "servicenow-orders", as_of=moment)
    assert report.cases.height > 0
    browser.get(f"{url}/stuck")
    assert wait_for(browser, lambda b: text_of(b, ids.STUCK_TITLE)) == "Fastlåste sager"
    field = wait_for(browser, lambda b: b.find_element(By.ID, ids.STUCK_AS_OF))
    field.send_keys(STUCK_AS_OF + "\n")
    expected = (
        f"{report.cases.height} af {report.open_cases} åbne sager har ventet mindst 5 "
        f"arbejdsdage pr. {STUCK_AS_OF}."
    )
    assert wait_for(browser, lambda b: text_of(b, ids.STUCK_SUMMARY) == expected)
    rows = rows_of(browser, f"{ids.STUCK_TABLE}-table")
    first = report.cases.row(0, named=True)
    assert rows[0] == [
        first["case_id"],
        first["org_unit"],
        format_datetime(first["in_unit_since"], "da"),
        first["last_activity"],
        format_datetime(first["waiting_since"], "da"),
        format_number(first["waiting_working_days"], 1, "da"),
    ]
    assert [r[0] for r in rows] == report.cases["case_id"].to_list()
    full_page(browser)
    browser.save_screenshot(str(screenshots / "fastlaaste-sager.png"))
    assert severe_errors(browser) == []
