"""The *Udfyldningsassistent* page and ``POST /api/assistant/suggest`` (issue #16): per role,
with bad input, suggestions of every target through the endpoint by the small models
tests/test_assistant.py trains (assignment group, category, priority), and the page showing
their cards exactly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from app.dashboard import create_app
from app.dashboard.auth_access import AUDITED_PAGES, page_allowed
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import assistant
from app.dashboard.routes import ASSISTANT_PATH
from models.accounts import ROLES
from models.audit import AuditTrail
from models.datafolder import DataFolder
from models.store import LogStore
from services import set_threshold, suggest_all, suggest_groups
from tests.test_assistant import TICKET, trained, trained_sample
from tests.test_dashboard_e2e import text_of, wait_for
from tests.test_method_page import router_body

FORM_ANSWER = "Tildelingsgruppe: "

__all__ = ["trained", "trained_sample"]  # the sample's trained models (fixtures), shared

SECRET = "test-secret-0123456789abcdef0123456789"
Trained = tuple[DataFolder, Path]


@pytest.fixture
def app(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    data, folder = trained
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(folder.parents[4] / "keys" / "model.key"))
    yield create_app(LogStore(data.root), auth=AuthSettings(secret_key=SECRET))


def _form_body(
    app: Any, opened: str | None, category: str | None = "Category 26"
) -> dict[str, Any]:
    output = next(o for o in app.callback_map if assistant.ANSWER in o)
    typed = {**{k: v for k, v in TICKET.items() if k != "opened_at"}, "category": category}
    fields = [{"key": k, "type": assistant.FIELD} for k in typed]
    state: list[Any] = [
        [{"id": f, "property": "value", "value": typed[f["key"]]} for f in fields],
        [{"id": f, "property": "id", "value": f} for f in fields],
        {"id": assistant.OPENED, "property": "value", "value": opened},
        {"id": assistant.LANGUAGE, "property": "data", "value": "da"},
    ]
    return {
        "output": output,
        "outputs": {"id": assistant.ANSWER, "property": "children"},
        "inputs": [{"id": assistant.TRY, "property": "n_clicks", "value": 1}],
        "state": state,
        "changedPropIds": [f"{assistant.TRY}.n_clicks"],
    }


def _text(response: Any) -> str:
    return json.dumps(response.json, ensure_ascii=False)


def test_the_page_and_its_form_are_for_analysts_and_administrators(
    app: Any, sign_in: Callable[..., Any]
) -> None:
    assert [r for r in ROLES if page_allowed(ASSISTANT_PATH, r)] == ["analyst", "administrator"]
    assert ASSISTANT_PATH in AUDITED_PAGES
    sign_in(app.server.test_client()).get("/")
    router = router_body(ASSISTANT_PATH)
    router["output"] = next(o for o in app.callback_map if "_pages_content" in o)
    form, bad_time = _form_body(app, "01.03.2016 09:30"), _form_body(app, "i morgen")
    for role in ("analyst", "administrator"):
        client = sign_in(app.server.test_client(), role)
        assert client.get(ASSISTANT_PATH).status_code == 200
        page = client.post("/_dash-update-component", json=router)
        assert "Udfyldningsassistent" in _text(page) and "Prøv et forslag" in _text(page)
        answer = _text(client.post("/_dash-update-component", json=form))
        for what in ("tildelingsgruppe", "kategori", "prioritet"):
            assert f"De tre mest sandsynlige ({what}) med modellens sandsynlighed:" in answer
        assert FORM_ANSWER in answer
        refused = client.post("/_dash-update-component", json=bad_time)
        assert refused.status_code == 200
        assert "Oprettelsestidspunktet 'i morgen' kan ikke læses" in _text(refused)
        nothing = _form_body(app, None, None)
        for item in nothing["state"][0]:
            item["value"] = None
        assert "Udfyld mindst ét felt." in _text(
            client.post("/_dash-update-component", json=nothing)
        )
    director = sign_in(app.server.test_client(), "director")
    assert director.get(ASSISTANT_PATH).status_code == 403
    assert director.post("/_dash-update-component", json=router).status_code == 403
    assert director.post("/_dash-update-component", json=form).status_code == 403
    anonymous = app.server.test_client()
    assert anonymous.get(ASSISTANT_PATH).status_code == 302
    assert anonymous.post("/_dash-update-component", json=form).status_code == 401


def test_the_endpoint_per_role_and_with_bad_input(app: Any, sign_in: Callable[..., Any]) -> None:
    path = assistant.API_PATH
    anonymous = app.server.test_client().post(path, json=TICKET)
    assert (anonymous.status_code, anonymous.json) == (
        401,
        {"error": "sign in first", "login": "/login"},
    )
    director = sign_in(app.server.test_client(), "director").post(path, json=TICKET)
    assert (director.status_code, director.json) == (
        403,
        {"error": "your role may not use the fill-in assistant"},
    )
    analyst = sign_in(app.server.test_client(), "analyst")
    cases = {
        "not json": (
            {"data": "{not json", "content_type": "application/json"},
            "the body is not valid JSON: send one ticket object or a list of them",
        ),
        "a form": (
            {"data": {"category": "x"}},
            "send the ticket(s) as JSON (Content-Type: application/json)",
        ),
        "empty list": ({"json": []}, "the list holds no ticket"),
        "a number": ({"json": [7]}, "ticket 1 is not a JSON object; give one object a ticket."),
        "bad time": (
            {"json": {**TICKET, "opened_at": "soon"}},
            "ticket 1: opened_at 'soon' is not an ISO date-time (e.g. 2016-03-01T09:30).",
        ),
    }
    for label, (request, message) in cases.items():
        answer = analyst.post(path, **request)
        assert (answer.status_code, answer.json) == (400, {"error": message}), label


def test_a_suggestion_through_the_endpoint(
    app: Any, trained: Trained, sign_in: Callable[..., Any]
) -> None:
    data = trained[0]
    expected = suggest_all(data, [TICKET, TICKET])
    client = sign_in(app.server.test_client(), "administrator")
    listed = client.post(assistant.API_PATH, json=[TICKET, TICKET])
    one = client.post(assistant.API_PATH, json=TICKET)
    assert listed.status_code == 200 and listed.json == expected
    assert one.json == expected[:1]
    assert list(expected[0]["targets"]) == ["group", "category", "priority"]
    assert expected[0]["abstain"] == (expected[0]["group"] is None)
    group_only = client.post(f"{assistant.API_PATH}?name=assignment-group", json=TICKET)
    assert group_only.json == [suggest_groups(data, [TICKET])[0].as_json()]
    trail = AuditTrail(data.database_url)
    entries = [(e.actor, e.action, e.target, e.outcome) for e in trail.list()]
    trail.dispose()
    assert (
        "test-administrator",
        "assistant-suggest",
        "every target vlatest: 2 ticket(s)",
        "ok",
    ) in entries


def test_the_page_shows_the_stored_card_exactly(app: Any, trained: Trained) -> None:
    data, folder = trained
    card = json.loads((folder / "card.json").read_text("utf-8"))
    da = str(assistant.build_layout(LogStore(data.root), "da"))
    en = str(assistant.build_layout(LogStore(data.root), "en"))
    top1 = card["metrics"]["model"]["top1"]
    assert f"{top1:.3f}".replace(".", ",") in da and f"{top1:.3f}" in en
    assert round(top1, 3) == 0.524
    assert "1.137 (910 til træning, 227 til test)" in da
    assert "1,137 (910 for training, 227 for testing)" in en
    assert f"{card['threshold']:.3f}".replace(".", ",") in da
    brier = card["metrics"]["model"]["brier"]
    assert f"{brier:.3f}".replace(".", ",") in da
    assert "Hyppigste værdi pr. kategori" in da and "assignment-group v1" in da
    assert "Hyppigste værdi pr. symptom" in da and "category v1" in da and "priority v1" in da
    assert "Most frequent value per symptom" in en
    assert (
        "Kategori, Underkategori, Symptom, Kontaktform, Lokation, Påvirkning, Hastende, "
        "Oprettelsestime, Ugedag, Kategori × underkategori, Kategori × underkategori × symptom, "
        "Lokation × kategori" in da
    )
    assert "Sikkerheden er kalibreret på tidsvinduer" in da and "Trained on" not in da
    assert "Prioritet" in da and "Foreslår" in da and "Priority" in en


def test_without_a_model_the_page_says_how_to_train_one(tmp_path: Path) -> None:
    page = str(assistant.build_layout(LogStore(tmp_path / "data"), "da"))
    assert "Ingen model er trænet endnu" in page
    assert (
        "kitflow predict train ../shared/data/servicenow-uci-incidents/incident_event_log.zip"
        in page
    )


def test_an_administrators_threshold_is_shown_and_used(
    tmp_path: Path, trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = trained[1]
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(folder.parents[4] / "keys" / "model.key"))
    copy = DataFolder.from_env(tmp_path / "data")
    target = copy.model_store() / "assignment-group" / "1"
    target.mkdir(parents=True)
    for name in ("model.joblib", "model.joblib.hmac", "card.json"):
        (target / name).write_bytes((folder / name).read_bytes())
    set_threshold(copy, "assignment-group", 0.95)
    da = str(assistant.build_layout(LogStore(copy.root), "da"))
    assert "0,950 (sat af en administrator " in da
    said = suggest_all(copy, [TICKET])[0]["targets"]["group"]
    assert (said["threshold"], said["abstain"]) == (0.95, True)


# --- in the browser ---------------------------------------------------------------------------


CONSOLE_HOOK = """
window.consoleErrors = [];
const original = console.error;
console.error = function (...args) {
    window.consoleErrors.push(args.map(a => {
        try { return JSON.stringify(a, Object.getOwnPropertyNames(a)); }
        catch (e) { return String(a); }
    }).join(" "));
    original.apply(console, args);
};
"""
"""Keeps every console error's whole text (the driver's log shows Dash's only as 'Object')."""


def _choose(browser: Any, key: str, text: str) -> None:
    """Open the form's dropdown ``key``, type ``text`` into its search and click that option."""
    box = wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, f'[id*=\'"key":"{key}"\']'))[
        0
    ]
    box.click()
    browser.switch_to.active_element.send_keys(text)
    option = wait_for(
        browser,
        lambda b: next(
            (
                o
                for o in b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                if o.text == text
            ),
            None,
        ),
    )
    option.click()


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")
def test_the_form_answers_every_target_in_the_browser(
    trained: Trained,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = trained[0]
    app = create_app(LogStore(data.root), auth=AuthSettings(secret_key=SECRET))
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CONSOLE_HOOK})
    browser.get(f"{base}{ASSISTANT_PATH}")
    assert wait_for(browser, lambda b: text_of(b, assistant.TITLE)) == "Udfyldningsassistent"
    _choose(browser, "category", "Category 26")
    _choose(browser, "contact_type", "Phone")
    browser.find_element(By.ID, assistant.OPENED).send_keys("01.03.2016 09:30")
    browser.find_element(By.ID, assistant.TRY).click()
    shown = wait_for(
        browser,
        lambda b: (
            len(b.find_elements(By.CSS_SELECTOR, f"#{assistant.ANSWER} ol")) == 3
            and text_of(b, assistant.ANSWER)
        ),
    )
    ticket = {"category": "Category 26", "contact_type": "Phone", "opened_at": "2016-03-01T09:30"}
    expected = suggest_all(data, [ticket])[0]["targets"]
    lines = []
    for target, said in expected.items():
        what = {"group": "Tildelingsgruppe", "category": "Kategori", "priority": "Prioritet"}
        confidence = assistant._percent(said["confidence"], "da")
        cut = assistant._percent(said["threshold"], "da")
        if said["abstain"]:
            lines.append(
                f"{what[target]}: assistenten afstår, sikkerheden {confidence} er under "
                f"tærsklen {cut}."
            )
        else:
            lines.append(
                f"{what[target]}: {said['value']} (sikkerhed {confidence}; tærskel {cut})."
            )
        lines.append(
            f"De tre mest sandsynlige ({what[target].lower()}) med modellens sandsynlighed:"
        )
        lines += [
            f"{t['value']} ({assistant._percent(t['probability'], 'da')})" for t in said["top3"]
        ]
    assert shown.split("\n") == lines
    folder = tmp_path_factory.mktemp("assistant-screenshots")
    browser.save_screenshot(str(folder / "udfyldningsassistent.png"))
    # Dash's console errors in full: none may concern this page's components. (Other pages'
    # components, e.g. Opfølgning's, are missing from the layout Dash checks against when the
    # data folder holds no log and no business case, as here: not this page's.)
    errors = browser.execute_script("return window.consoleErrors")
    assert [e for e in errors if "assistant-" in e] == []
