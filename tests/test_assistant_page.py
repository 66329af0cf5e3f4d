"""The *Udfyldningsassistent* page and ``POST /api/assistant/suggest`` (issue #16): per role,
with bad input, a suggestion through the endpoint by the small model tests/test_assistant.py
trains, and the page showing that model's card exactly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.dashboard import create_app
from app.dashboard.auth_access import AUDITED_PAGES, page_allowed
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import assistant
from app.dashboard.routes import ASSISTANT_PATH
from models.accounts import ROLES
from models.audit import AuditTrail
from models.datafolder import DataFolder
from models.store import LogStore
from services import suggest_groups
from tests.test_assistant import TICKET, trained
from tests.test_method_page import router_body

__all__ = ["trained"]  # the module's trained model (the fixture), shared

SECRET = "test-secret-0123456789abcdef0123456789"
Trained = tuple[DataFolder, Path]


@pytest.fixture
def app(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    data, folder = trained
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(folder.parents[4] / "keys" / "model.key"))
    yield create_app(LogStore(data.root), auth=AuthSettings(secret_key=SECRET))


def _form_body(app: Any, opened: str | None, category: str = "Category 26") -> dict[str, Any]:
    output = next(o for o in app.callback_map if assistant.ANSWER in o)
    typed = {
        "assistant-category": category,
        "assistant-subcategory": TICKET["subcategory"],
        "assistant-symptom": TICKET["u_symptom"],
        "assistant-contact-type": TICKET["contact_type"],
        "assistant-location": TICKET["location"],
        assistant.IMPACT: "2 - Medium",
        assistant.URGENCY: "2 - Medium",
        assistant.OPENED: opened,
    }
    state = [{"id": assistant.MODEL, "property": "value", "value": "assignment-group/1"}]
    state += [{"id": i, "property": "value", "value": v} for i, v in typed.items()]
    state.append({"id": assistant.LANGUAGE, "property": "data", "value": "da"})
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
        assert "De tre mest sandsynlige grupper:" in answer
        assert "Forslag: " in answer or "Assistenten afstår" in answer
        refused = client.post("/_dash-update-component", json=bad_time)
        assert refused.status_code == 200
        assert "Oprettelsestidspunktet 'i morgen' kan ikke læses" in _text(refused)
        empty = _text(client.post("/_dash-update-component", json=_form_body(app, None, "")))
        assert "Angiv mindst sagens kategori." in empty
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
    expected = [a.as_json() for a in suggest_groups(data, [TICKET, TICKET])]
    client = sign_in(app.server.test_client(), "administrator")
    listed = client.post(assistant.API_PATH, json=[TICKET, TICKET])
    one = client.post(assistant.API_PATH, json=TICKET)
    assert listed.status_code == 200 and listed.json == expected
    assert one.json == expected[:1]
    assert len(expected[0]["top3"]) == 3
    assert expected[0]["abstain"] == (expected[0]["group"] is None)
    trail = AuditTrail(data.database_url)
    entries = [(e.actor, e.action, e.target, e.outcome) for e in trail.list()]
    trail.dispose()
    assert (
        "test-administrator",
        "assistant-suggest",
        "assignment-group vlatest: 2 ticket(s)",
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
    assert "Hyppigste gruppe pr. kategori" in da and "assignment-group v1" in da
    assert ", ".join(card["features"]) in da


def test_without_a_model_the_page_says_how_to_train_one(tmp_path: Path) -> None:
    page = str(assistant.build_layout(LogStore(tmp_path / "data"), "da"))
    assert "Ingen model er trænet endnu" in page
    assert (
        "kitflow predict train ../shared/data/servicenow-uci-incidents/incident_event_log.zip"
        in page
    )
