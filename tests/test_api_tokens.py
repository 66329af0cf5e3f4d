"""API tokens for ``POST /api/assistant/suggest`` (issue #16: a ServiceNow client script): made,
listed and revoked by ``kitflow users token``, stored only as a SHA-256, used as
``Authorization: Bearer``, refused (401 JSON) when wrong, revoked or of another scope, limited
like failed sign-ins, audited with the token's name, and opening no page or callback."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.dashboard import create_app
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import assistant
from app.dashboard.routes import ASSISTANT_PATH
from models.accounts import AccountError, ApiTokenStore, hash_token
from models.audit import AuditTrail
from models.datafolder import DataFolder, default_database_url
from models.store import LogStore
from services import suggest_groups
from tests.test_assistant import TICKET, trained_sample
from tests.test_method_page import router_body

__all__ = ["trained_sample"]  # the sample's trained models (the session's fixture), shared

SECRET = "test-secret-0123456789abcdef0123456789"
API = assistant.API_PATH
BAD_TOKEN = {"error": "the API token is unknown, revoked or not of the scope 'assistant'"}
ONLY_API = {"error": "an API token opens only /api/assistant/suggest"}
runner = CliRunner()


@pytest.fixture
def data(trained_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataFolder:
    """A data folder of this test's own (its catalog, accounts, tokens and audit trail) holding
    a copy of the session's trained models, signed with the session's key."""
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(trained_sample / "keys" / "model.key"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    own = DataFolder.from_env(tmp_path / "data")
    shutil.copytree(DataFolder.from_env(trained_sample / "data").model_store(), own.model_store())
    return own


@pytest.fixture
def app(data: DataFolder) -> Any:
    return create_app(LogStore(data.root), auth=AuthSettings(secret_key=SECRET))


@pytest.fixture
def tokens(data: DataFolder) -> Iterator[ApiTokenStore]:
    store = ApiTokenStore(data.database_url)
    yield store
    store.dispose()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _audit(data: DataFolder) -> list[tuple[str, str, str, str]]:
    trail = AuditTrail(data.database_url)
    try:
        return [(e.actor, e.action, e.target, e.outcome) for e in trail.list()]
    finally:
        trail.dispose()


def test_the_cli_makes_lists_and_revokes_a_token_stored_only_as_its_hash(data_dir: Path) -> None:
    made = runner.invoke(cli, ["users", "token", "create", "servicenow", "--scope", "assistant"])
    assert made.exit_code == 0, made.output
    secrets_printed = re.findall(r"^kft_[A-Za-z0-9_-]{43}$", made.stdout, re.MULTILINE)
    assert len(secrets_printed) == 1, made.stdout
    secret = secrets_printed[0]
    database = data_dir / "kitflow.db"
    assert default_database_url(data_dir.resolve()).endswith(str(database.resolve()))
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT name, scope, token_sha256, creator, last_used_at, revoked_at FROM api_token"
        ).fetchall()
    assert len(rows) == 1
    name, scope, stored, creator, last_used, revoked = rows[0]
    assert (name, scope, last_used, revoked) == ("servicenow", "assistant", None, None)
    assert stored == hashlib.sha256(secret.encode()).hexdigest() == hash_token(secret)
    assert creator.startswith("cli:")
    assert secret.encode() not in database.read_bytes()  # nowhere in the file, in clear

    listed = json.loads(runner.invoke(cli, ["users", "token", "list", "--json"]).stdout)
    assert [(t["name"], t["scope"], t["last_used_at"], t["revoked_at"]) for t in listed] == [
        ("servicenow", "assistant", None, None)
    ]
    assert secret not in json.dumps(listed) and stored not in json.dumps(listed)
    again = runner.invoke(cli, ["users", "token", "create", "servicenow", "--scope", "assistant"])
    assert again.exit_code == 1
    assert "a token named 'servicenow' exists already" in str(again.exception)
    other = runner.invoke(cli, ["users", "token", "create", "x", "--scope", "reports"])
    assert other.exit_code == 1
    assert "the scope 'reports' is not one of assistant" in str(other.exception)

    revoked = runner.invoke(cli, ["users", "token", "revoke", "servicenow"])
    assert revoked.exit_code == 0 and "Revoked the token 'servicenow'." in revoked.stdout
    listed = json.loads(runner.invoke(cli, ["users", "token", "list", "--json"]).stdout)
    assert listed[0]["revoked_at"] is not None
    assert "servicenow  assistant  revoked" in runner.invoke(cli, ["users", "token", "list"]).stdout
    unknown = runner.invoke(cli, ["users", "token", "revoke", "nobody"])
    assert "there is no token 'nobody'" in str(unknown.exception)
    store = ApiTokenStore(default_database_url(data_dir.resolve()))
    try:
        assert store.authenticate(secret, "assistant") is None  # revoked
    finally:
        store.dispose()
    trail = [entry[1:] for entry in _audit(DataFolder.from_env())]
    assert trail == [("token-create", "servicenow", "ok"), ("token-revoke", "servicenow", "ok")]


def test_a_token_gets_the_suggestions_and_is_audited_by_name(
    app: Any, data: DataFolder, tokens: ApiTokenStore, sign_in: Callable[..., Any]
) -> None:
    token, secret = tokens.create("servicenow", "assistant", "cli:test")
    signed_in = sign_in(app.server.test_client(), "analyst").post(API, json=[TICKET, TICKET])
    answer = app.server.test_client().post(API, json=[TICKET, TICKET], headers=_bearer(secret))
    assert (answer.status_code, answer.json) == (200, signed_in.json)  # as a session gets
    expected = suggest_groups(data, [TICKET])[0]
    assert answer.json[0]["group"] == expected.group and len(answer.json) == 2
    assert "Set-Cookie" not in answer.headers  # no session is made for a token
    trail = _audit(data)
    by_session = [e for e in trail if e[0] == "test-analyst" and e[1] == "assistant-suggest"]
    by_token = [e for e in trail if e[0] == "token:servicenow"]
    assert len(by_session) == 1 and "2 ticket(s)" in by_session[0][2]
    assert by_token == [("token:servicenow", *by_session[0][1:])]  # the same entry, by name
    used = next(t for t in tokens.list() if t.name == "servicenow")
    assert used.last_used_at is not None and used.last_used_at >= token.created_at
    assert used.revoked_at is None and used.creator == "cli:test"
    # The body rule holds for a token too: JSON only.
    form = app.server.test_client().post(API, data={"category": "x"}, headers=_bearer(secret))
    assert (form.status_code, form.json) == (
        400,
        {"error": "send the ticket(s) as JSON (Content-Type: application/json)"},
    )


def test_a_wrong_empty_or_revoked_token_gets_401_json(
    app: Any, data: DataFolder, tokens: ApiTokenStore, sign_in: Callable[..., Any]
) -> None:
    _, secret = tokens.create("script", "assistant", "cli:test")
    client = app.server.test_client()
    for sent in (secret + "x", "kft_" + "A" * 43):
        answer = client.post(API, json=TICKET, headers=_bearer(sent))
        assert (answer.status_code, answer.json) == (401, BAD_TOKEN)
        assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="kitflow"')
    empty = client.post(API, json=TICKET, headers={"Authorization": "Bearer"})
    assert (empty.status_code, empty.json) == (401, BAD_TOKEN)
    # The token decides alone: a signed-in analyst's cookie does not rescue a wrong token.
    analyst = sign_in(app.server.test_client(), "analyst")
    refused = analyst.post(API, json=TICKET, headers=_bearer(secret[:-1]))
    assert (refused.status_code, refused.json) == (401, BAD_TOKEN)
    assert ("-", "assistant-suggest", API, "bad-token") in _audit(data)
    tokens.revoke("script")
    fresh = create_app(LogStore(data.root), auth=AuthSettings(secret_key=SECRET))
    revoked = fresh.server.test_client().post(API, json=TICKET, headers=_bearer(secret))
    assert (revoked.status_code, revoked.json) == (401, BAD_TOKEN)


def test_failed_tokens_are_limited_like_failed_sign_ins(app: Any, tokens: ApiTokenStore) -> None:
    _, secret = tokens.create("limited", "assistant", "cli:test")
    client = app.server.test_client()
    statuses = [
        client.post(API, json=TICKET, headers=_bearer("wrong")).status_code for _ in "12345"
    ]
    assert statuses == [401] * 5  # the sign-ins' limit: 5 in 15 minutes
    blocked = client.post(API, json=TICKET, headers=_bearer(secret))  # even the right one
    assert blocked.status_code == 429
    assert blocked.json == {"error": "too many failed tokens: try again in 15 minutes"}
    assert blocked.headers["Retry-After"] == "900"


def test_the_scope_is_checked(tokens: ApiTokenStore) -> None:
    _, secret = tokens.create("scoped", "assistant", "cli:test")
    found = tokens.authenticate(secret, "assistant")
    assert found is not None and found.actor == "token:scoped"
    assert tokens.authenticate(secret, "reports") is None
    with pytest.raises(AccountError, match="the scope 'reports' is not one of assistant"):
        tokens.create("other", "reports", "cli:test")


def test_a_token_opens_no_page_route_or_callback(
    app: Any, tokens: ApiTokenStore, sign_in: Callable[..., Any]
) -> None:
    _, secret = tokens.create("narrow", "assistant", "cli:test")
    sign_in(app.server.test_client()).get("/")  # Dash registers its pages on the first request
    router = router_body(ASSISTANT_PATH)
    router["output"] = next(o for o in app.callback_map if "_pages_content" in o)
    client = app.server.test_client()
    gets = ("/", ASSISTANT_PATH, "/datakilder", "/_dash-layout", "/_dash-dependencies", "/login")
    for path in gets:
        answer = client.get(path, headers=_bearer(secret))
        assert (answer.status_code, answer.json) == (401, ONLY_API), path
    callback = client.post("/_dash-update-component", json=router, headers=_bearer(secret))
    assert (callback.status_code, callback.json) == (401, ONLY_API)
    # Nor with an administrator's cookie beside it: a bearer request is judged by its token.
    admin = sign_in(app.server.test_client(), "administrator")
    assert admin.get(ASSISTANT_PATH, headers=_bearer(secret)).status_code == 401
    assert admin.get(ASSISTANT_PATH).status_code == 200
