"""Sign-in on every request of the dashboard: roles per page and callback (every registered
callback with every role and with none), the sign-in page, sign-out, expiry and the rate limit,
and one sign-in in a real headless Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import app.dashboard.auth as auth_module
from app.dashboard import create_app, ids
from app.dashboard.auth_settings import AuthSettings
from models.accounts import ROLES, AccountStore
from models.audit import AuditTrail
from models.store import LogStore

SECRET = "test-secret-0123456789abcdef0123456789"
PASSWORD = "correct-horse-battery"
# Each page's namespace and who may run its callbacks: written out here, not read from the code.
ALLOWED = {
    "shell": set(ROLES),
    "overview": set(ROLES),
    "realisation": set(ROLES),
    "followup": set(ROLES),
    "logs": set(ROLES),
    "map": set(ROLES),
    "analysis": {"analyst", "administrator"},
    "candidates": {"analyst", "administrator"},
    "resources": {"analyst", "administrator"},
    "governance": {"analyst", "administrator"},
    "stuck": {"analyst", "administrator"},
    "assistant": {"analyst", "administrator"},
}


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data")


def make_app(store: LogStore, **changes: Any) -> Any:
    return create_app(store, auth=AuthSettings(secret_key=SECRET, **changes))


def add_user(store: LogStore, name: str = "anna", role: str = "director") -> None:
    accounts = AccountStore(store.data.database_url)
    accounts.add(name, PASSWORD, role)
    accounts.dispose()


def log_in(
    client: Any,
    name: str = "anna",
    password: str = PASSWORD,
    address: str = "127.0.0.1",
    **extra: str,
) -> Any:
    """Open the sign-in page and send its form, as a browser at ``address`` does."""
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    form = {"username": name, "password": password, "csrf": token[1] if token else "", **extra}
    return client.post("/login", data=form, environ_base=env)


def audit(store: LogStore) -> list[tuple[str, str, str, str]]:
    trail = AuditTrail(store.data.database_url)
    entries = [(e.actor, e.action, e.target, e.outcome) for e in trail.list()]
    trail.dispose()
    return entries


def callback_body(output: str, spec: dict[str, Any], pathname: str = "/analysis") -> dict[str, Any]:
    def value(item: dict[str, Any]) -> Any:
        return pathname if item["property"] == "pathname" else None

    return {
        "output": output,
        "outputs": [],
        "inputs": [{**item, "value": value(item)} for item in spec.get("inputs", [])],
        "state": [{**item, "value": None} for item in spec.get("state", [])],
        "changedPropIds": [],
    }


def namespace(output: str) -> str:
    from app.dashboard.auth_access import output_ids  # noqa: PLC0415

    return output_ids(output)[0].split("-", 1)[0]


# --- roles: every callback, every role ----------------------------------------------------------


@pytest.mark.parametrize("router_path", ["/analysis", "/", "/process-map"])
def test_every_callback_is_allowed_or_refused_exactly_per_role(
    store: LogStore, sign_in: Callable[..., Any], router_path: str
) -> None:
    app = make_app(store)
    sign_in(app.server.test_client()).get("/")  # Dash adds its page router on the first request
    assert len(app.callback_map) >= 12
    outcomes: dict[tuple[str, str], int] = {}
    for output, spec in app.callback_map.items():
        body = callback_body(output, spec, router_path)
        anonymous = app.server.test_client().post("/_dash-update-component", json=body)
        assert anonymous.status_code == 401, output
        for role in ROLES:
            client = sign_in(app.server.test_client(), role)
            outcomes[output, role] = client.post("/_dash-update-component", json=body).status_code
    for (output, role), status in outcomes.items():
        space = namespace(output)
        if space == "_pages_content":  # the router: the page its pathname names
            expected = role in ALLOWED["analysis"] or router_path != "/analysis"
        elif space == "_pages_dummy":  # the router's title: any page
            expected = True
        else:
            expected = role in ALLOWED[space]
        assert (status != 403) == expected, (output, role, status)
        assert status != 401


def test_an_unknown_or_malformed_callback_is_refused(
    store: LogStore, sign_in: Callable[..., Any]
) -> None:
    client = sign_in(make_app(store).server.test_client())
    for body in ({"output": "secret-thing.data", "inputs": []}, {"inputs": []}, [1, 2]):
        assert client.post("/_dash-update-component", json=body).status_code == 403
    assert client.post("/_dash-update-component", data="not json").status_code == 403


def test_pages_per_role(store: LogStore, sign_in: Callable[..., Any]) -> None:
    app = make_app(store)
    director = sign_in(app.server.test_client(), "director")
    analyst = sign_in(app.server.test_client(), "analyst")
    for path in ("/", "/realisation", "/followup", "/logs", "/process-map"):
        assert director.get(path).status_code == 200, path
        assert analyst.get(path).status_code == 200, path
    refused = director.get("/analysis?log=x")
    assert refused.status_code == 403
    assert "Din rolle giver ikke adgang" in refused.text
    assert director.get("/analysis/").status_code == 403
    assert analyst.get("/analysis").status_code == 200


def test_without_a_session_pages_redirect_and_everything_else_is_401(store: LogStore) -> None:
    client = make_app(store).server.test_client()
    page = client.get("/followup?lang=en")
    assert page.status_code == 302
    assert page.location == "/login?lang=en&next=%2Ffollowup%3Flang%3Den"
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/kitflow.css", "/_favicon.ico"):
        assert client.get(path).status_code == 401, path
    assert client.get("/login").status_code == 200


# --- signing in and out -------------------------------------------------------------------------


def test_sign_in_and_out_with_a_local_account(store: LogStore) -> None:
    add_user(store)
    client = make_app(store).server.test_client()
    wrong = log_in(client, password="wrong-password-here")
    assert wrong.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in wrong.text
    assert client.get("/").status_code == 302
    right = log_in(client, next="/followup")
    assert (right.status_code, right.location) == (302, "/followup")
    assert client.get("/").status_code == 200
    assert client.get("/analysis").status_code == 403  # a director
    with client.session_transaction() as session:
        kept = dict(session)  # the cookie as it was: someone may have copied it
    out = client.get("/logout")
    assert "Du er logget ud" in out.text
    assert client.get("/").status_code == 302
    with client.session_transaction() as session:
        session.update(kept)
    assert client.get("/").status_code == 302  # a signed-out session's cookie stays refused
    assert audit(store)[:3] == [
        ("anna", "login", "anna", "failed"),
        ("anna", "login", "anna (director)", "ok"),
        ("anna", "page-refused", "/analysis", "refused"),
    ]
    assert ("anna", "logout", "anna", "ok") in audit(store)


def test_a_sign_in_form_from_elsewhere_is_refused(store: LogStore) -> None:
    add_user(store)
    client = make_app(store).server.test_client()
    forged = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert forged.status_code == 400
    assert "Formularen er udløbet" in forged.text
    client.get("/login")
    wrong = {"username": "anna", "password": PASSWORD, "csrf": "guessed"}
    assert client.post("/login", data=wrong).status_code == 400
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_off_the_site(store: LogStore) -> None:
    add_user(store)
    app = make_app(store)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert log_in(app.server.test_client(), next=target).location == "/"


def test_a_removed_account_or_a_new_role_holds_from_the_next_request(store: LogStore) -> None:
    add_user(store, "bo", "analyst")
    client = make_app(store).server.test_client()
    log_in(client, "bo")
    assert client.get("/analysis").status_code == 200
    accounts = AccountStore(store.data.database_url)
    accounts.set_role("bo", "director")
    assert client.get("/analysis").status_code == 403
    accounts.remove("bo")
    accounts.dispose()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("idle_s", "absolute_s", "after_s"), [(60, 3600, 61), (3600, 120, 121)])
def test_sessions_expire_when_idle_and_absolutely(
    store: LogStore, monkeypatch: pytest.MonkeyPatch, idle_s: int, absolute_s: int, after_s: int
) -> None:
    add_user(store)
    client = make_app(store, idle_timeout_s=idle_s, absolute_timeout_s=absolute_s).server
    client = client.test_client()
    log_in(client)
    start = time.time()
    if absolute_s < idle_s:  # keep it busy: only the absolute limit can end it
        for step in range(0, after_s, 50):
            monkeypatch.setattr(auth_module.time, "time", lambda s=step: start + s)
            assert client.get("/").status_code == 200
    monkeypatch.setattr(auth_module.time, "time", lambda: start + after_s)
    assert client.get("/").status_code == 302
    assert "Din session er udløbet" in client.get("/login").text


def test_failed_sign_ins_are_limited_per_user_and_per_address(store: LogStore) -> None:
    add_user(store)
    app = make_app(store, max_failures=3)
    client = app.server.test_client()
    for _ in range(3):
        assert log_in(client, password="wrong-password-x").status_code == 401
    blocked = log_in(client)  # even the right password, while blocked
    assert blocked.status_code == 429
    assert "For mange mislykkede forsøg på at logge ind. Vent 15 minutter" in blocked.text
    other = app.server.test_client()
    assert log_in(other, address="10.0.0.9").status_code == 429  # the user name, from anywhere
    for name in ("x1", "x2", "x3"):
        assert log_in(other, name, "nope-nope-nope", address="10.0.0.9").status_code == 401
    # and the address, for any user name
    assert log_in(other, "y", "n", address="10.0.0.9").status_code == 429
    assert ("anna", "login", "anna", "rate-limited") in audit(store)


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")
def test_a_director_signs_in_and_sees_overblik(
    store: LogStore, browser: Any, live_server: Callable[[Any], str]
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    from tests.test_dashboard_e2e import text_of, wait_for  # noqa: PLC0415

    add_user(store)
    base = live_server(make_app(store))
    browser.get(base + "/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "login-username"))
    browser.find_element(By.ID, "login-username").send_keys("anna")
    browser.find_element(By.ID, "login-password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    assert wait_for(browser, lambda b: text_of(b, ids.OVERVIEW_TITLE)) == "Overblik"
    browser.find_element(By.ID, "kitflow-logout").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "login-message"))
    assert "Du er logget ud" in text_of(browser, "login-message")
    browser.get(base + "/")
    assert wait_for(browser, lambda b: b.find_elements(By.ID, "login-username"))
    # The security headers' policy lets Dash run: the browser refused nothing.
    assert [
        e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]
    ] == []
