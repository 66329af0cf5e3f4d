"""The dashboard in a real headless Chromium, over a store holding the pm4py running example."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from app.dashboard import create_app, ids
from extractors.files import ReadOptions
from models.store import LogStore
from services.imports import import_log

pytestmark = [
    pytest.mark.e2e,
    # Selenium 4.2 (pinned by dash[testing]) calls urllib3 APIs that warn on every request.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*"),
]

RUNNING_EXAMPLE = (
    Path(__file__).parents[2] / "shared" / "data" / "pm4py-examples" / "running-example.xes"
)
LOG_NAME = "running-example"
WAIT_S = 10


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose store holds the running example (6 cases, 42 events)."""
    if not RUNNING_EXAMPLE.exists():
        message = f"the running example is missing at {RUNNING_EXAMPLE}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("kitflow-data")
    store = LogStore(folder)
    import_log(store, RUNNING_EXAMPLE, name=LOG_NAME, options=ReadOptions())
    store.catalog.dispose()
    return folder


@pytest.fixture
def url(
    data_dir: Path,
    live_server: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    sign_in: Callable[..., Any],
) -> str:
    """The base URL of a dashboard serving the default store, pointed at ``data_dir``, with
    ``browser`` signed in."""
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data_dir))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    app = create_app()
    base = live_server(app)
    sign_in(browser, base_url=base, app=app)
    return base


def wait_for(browser: Any, condition: Callable[[Any], Any]) -> Any:
    """The first truthy result of ``condition(browser)`` within the time limit.

    Dash re-renders a page as its callbacks answer, so an element found a moment ago can be
    replaced before it is read: that is "not settled yet", and the condition is tried again.
    """
    wait = WebDriverWait(
        browser, WAIT_S, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    )
    return wait.until(condition)


def text_of(browser: Any, element_id: str) -> str:
    elements = browser.find_elements(By.ID, element_id)
    return str(elements[0].text) if elements else ""


def first_arc_cells(browser: Any) -> list[str]:
    """The first three cells of the arc table's first row (empty until it is drawn)."""
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{ids.MAP_ARCS} tbody tr")
    return [str(td.text) for td in rows[0].find_elements(By.TAG_NAME, "td")][:3] if rows else []


def test_logs_page_lists_the_running_example(browser: Any, url: str) -> None:
    browser.get(url + "/logs")
    row = wait_for(
        browser,
        lambda b: next(
            (
                r
                for r in b.find_elements(By.CSS_SELECTOR, f"#{ids.LOGS_TABLE} tbody tr")
                if r.find_element(By.CSS_SELECTOR, ".kf-col-name").text == LOG_NAME
            ),
            None,
        ),
    )

    def cell(key: str) -> str:
        return str(row.find_element(By.CSS_SELECTOR, f".kf-col-{key}").text)

    assert cell("cases") == "6"
    assert cell("events") == "42"
    assert cell("source") == "running-example.xes"
    assert cell("kind") == "Flad"
    # 2010-12-30 10:02 UTC is 11:02 in Copenhagen (CET).
    assert cell("first_event") == "30.12.2010 11:02"
    browser.save_screenshot("/tmp/kitflow-e2e-logs.png")


# Finds the cytoscape instance the page drew (cytoscape keeps it on its container element) and
# returns the edges it holds, or null while it has none.
_RENDERED_EDGES_JS = """
const root = document.getElementById(arguments[0]);
if (!root) { return null; }
for (const el of [root, ...root.querySelectorAll('div')]) {
  if (el._cyreg && el._cyreg.cy) {
    const edges = el._cyreg.cy.edges().map(e => e.data());
    return edges.length ? edges : null;
  }
}
return null;
"""


def choose_log(browser: Any, name: str) -> None:
    """Open the log dropdown and click the option ``name``."""
    wait_for(browser, lambda b: b.find_elements(By.ID, ids.MAP_LOG))[0].click()
    option = wait_for(
        browser,
        lambda b: next(
            (
                o
                for o in b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                if o.text == name
            ),
            None,
        ),
    )
    option.click()


def test_process_map_draws_the_arcs_of_the_chosen_log(browser: Any, url: str) -> None:
    browser.get(url + "/process-map")
    assert wait_for(browser, lambda b: text_of(b, ids.MAP_TITLE)) == "Procesoverblik"
    choose_log(browser, LOG_NAME)

    edges = wait_for(browser, lambda b: b.execute_script(_RENDERED_EDGES_JS, ids.MAP_GRAPH))
    # Each of the 8 activities names fewer than 5 of the 6 people: one merged activity, every
    # directly-follows pair an arc from it to itself (the 5-person rule).
    other = "Øvrige aktiviteter (under 5 personer)"
    arcs = {(e["source"], e["target"]): e for e in edges}
    assert len(arcs) == 1
    assert arcs[other, other]["frequency"] == 36
    assert arcs[other, other]["label"] == "36"
    assert wait_for(browser, lambda b: first_arc_cells(b) == [other, other, "36"])
    assert text_of(browser, ids.MAP_SUMMARY) == (
        f"Viser 1 af 8 aktiviteter og 1 af 1 overgange · 8 aktiviteter med under 5 personer er "
        f"slået sammen til «{other}» (5-personers-reglen; en robot eller systemkonto tæller som "
        "én person)."
    )
    browser.set_window_size(1440, 1400)  # the whole map in the picture
    browser.save_screenshot("/tmp/kitflow-e2e-process-map.png")


def test_language_switch_turns_the_page_english(browser: Any, url: str) -> None:
    browser.get(url + "/logs")
    assert wait_for(browser, lambda b: text_of(b, ids.LOGS_TITLE)) == "Hændelseslogs"
    wait_for(browser, lambda b: b.find_elements(By.ID, f"{ids.SHELL_LANGUAGE}-en"))[0].click()

    assert wait_for(browser, lambda b: text_of(b, ids.LOGS_TITLE) == "Event logs")
    assert "lang=en" in browser.current_url
    assert wait_for(browser, lambda b: "Process map" in text_of(b, ids.SHELL_NAV))
    cases_header = f"#{ids.LOGS_TABLE} .kf-col-cases"
    assert wait_for(
        browser, lambda b: b.find_element(By.CSS_SELECTOR, cases_header).text.lower() == "cases"
    )
