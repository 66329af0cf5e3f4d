"""Shared fixtures: browsers for the end-to-end tests (``@pytest.mark.e2e``), a fresh data
folder, and the simulated KIT landscape extracted once per test worker.

A headless Debian Chromium driven by Selenium, and a live server that serves a Dash app on a free
port of 127.0.0.1 in a thread. The Chromium flags keep it off the network: without the
background-networking ones it tries connections the closed build network refuses.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from models.store import LogStore
from services.ingestion.landscape import build_landscape
from simulator import Scenario, simulate

CHROMIUM = Path(os.environ.get("KITFLOW_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("KITFLOW_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,1100",
)


def require_chromium() -> None:
    """Skip when Chromium or its driver is missing; on CI (``CI`` set) fail instead."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (
        f"missing {', '.join(missing)}: install Debian's chromium and chromium-driver "
        "(apt-get install -y chromium chromium-driver)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium_options(user_data_dir: Path) -> Any:
    """Selenium options for a headless, offline Chromium with a fresh profile."""
    from selenium.webdriver.chrome.options import Options  # noqa: PLC0415 - only e2e needs it

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    return options


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (Selenium ``WebDriver``), closed after the test."""
    require_chromium()
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    driver = webdriver.Chrome(
        service=Service(str(CHROMEDRIVER)), options=chromium_options(tmp_path / "chromium")
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """Serve a Dash app (or any WSGI app) on a free port; returns its base URL, no trailing /."""
    from werkzeug.serving import make_server  # noqa: PLC0415

    servers: list[Any] = []

    def start(app: Any) -> str:
        wsgi = getattr(app, "server", app)
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KIT Flow data folder (and its SQLite catalog) for the commands a test runs."""
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    return tmp_path / "data"


@dataclass(frozen=True)
class KitLandscape:
    """A data folder with the simulated KIT landscape extracted into it, and its manifest."""

    data_dir: Path
    manifest: dict[str, Any]


LANDSCAPE_KEY = "landscape-test-key-0123456789"


@pytest.fixture(scope="session")
def kit_landscape(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[KitLandscape]:
    """Three simulated years (2023-2025, every go-live inside) at a tenth of KIT's volume,
    extracted through the extractors' export paths: built once per test session, shared by
    the xdist workers (the first to take the lock builds it, the others wait and read it)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_PSEUDONYM_KEY", LANDSCAPE_KEY)
    patch.delenv("KITFLOW_DATABASE_URL", raising=False)
    base = tmp_path_factory.getbasetemp()
    # Under xdist every worker's base lies in the session's own folder; alone, the base is it.
    root = (base if worker_id == "master" else base.parent) / "kit-landscape"
    root.mkdir(exist_ok=True)
    with (root / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "built").exists():
            _build_landscape(root)
            (root / "built").touch()
        fcntl.flock(lock, fcntl.LOCK_UN)
    manifest = json.loads((root / "sim" / "manifest.json").read_text("utf-8"))
    yield KitLandscape(root / "data", manifest)
    patch.undo()


def _build_landscape(root: Path, *, seed: int = 42, scenario: Scenario = "clean") -> None:
    folder = root / "sim"
    simulate(folder, seed=seed, scale=0.1, start="2023-01-01", end="2025-12-31", scenario=scenario)
    build_landscape(LogStore(root / "data"), folder)


@pytest.fixture(scope="session")
def confounded_landscape(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Callable[[int], KitLandscape]]:
    """``confounded_landscape(seed)``: the landscape of ``kit_landscape`` in the 'confounded'
    scenario (demand trends, adoption ramps, registration noise, a comparison process),
    extracted the same way; each seed built once per session and shared by the workers."""
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_PSEUDONYM_KEY", LANDSCAPE_KEY)
    patch.delenv("KITFLOW_DATABASE_URL", raising=False)
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent

    def landscape(seed: int) -> KitLandscape:
        root = shared / f"confounded-landscape-{seed}"
        root.mkdir(exist_ok=True)
        with (root / "build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / "built").exists():
                _build_landscape(root, seed=seed, scenario="confounded")
                (root / "built").touch()
            fcntl.flock(lock, fcntl.LOCK_UN)
        manifest = json.loads((root / "sim" / "manifest.json").read_text("utf-8"))
        return KitLandscape(root / "data", manifest)

    yield landscape
    patch.undo()


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, role="administrator")``: a Flask test client of the dashboard with a
    signed-in session of ``role`` (the session the sign-in page makes, set directly: no password
    hashing). ``sign_in(browser, base_url=..., app=...)`` does the same for a Chromium driving a
    live server: it signs the same session cookie with the app's secret."""
    import time  # noqa: PLC0415

    def start(target: Any, role: str = "administrator", **browser: Any) -> Any:
        now = time.time()
        state = {"user": f"test-{role}", "role": role, "started": now, "seen": now}
        if "app" not in browser:
            with target.session_transaction() as session:
                session.update(state)
            return target
        server = browser["app"].server
        cookie = server.session_interface.get_signing_serializer(server).dumps(state)
        target.get(browser["base_url"] + "/login")
        target.add_cookie({"name": "kitflow_session", "value": cookie, "path": "/"})
        return target

    return start
