"""Signing in through OpenID Connect, end to end against a test provider on 127.0.0.1.

The provider serves discovery, its JWKS, ``/authorize`` (which signs the user in at once and
sends the browser back with a code) and ``/token`` (which checks the client secret and the PKCE
verifier and answers an RS256-signed ID token). Its ``mode`` makes it misbehave one way at a time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.dashboard import create_app
from app.dashboard.auth_oidc import OidcSettings, parse_group_roles
from app.dashboard.auth_settings import AuthSettings
from models.audit import AuditTrail
from models.errors import KitflowError
from models.store import LogStore

CLIENT_ID = "kitflow-test"
CLIENT_SECRET = "client-secret-for-tests"
ANALYSTS = "11111111-aaaa-bbbb-cccc-000000000001"
DIRECTORS = "11111111-aaaa-bbbb-cccc-000000000002"


class Provider:
    """The test identity provider's state: keys, codes handed out, how to misbehave."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, str]] = {}
        self.groups = [ANALYSTS]
        self.mode = "good"
        self.issuer = ""

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "preferred_username": "ida@kk.dk",
            "iat": now,
            "exp": now + 300,
            "nonce": "another-nonce" if self.mode == "bad-nonce" else grant["nonce"],
            "groups": self.groups,
        }
        if self.mode == "expired":
            claims["exp"] = now - 600
        key = self.other_key if self.mode == "bad-signature" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": provider.issuer,
                        "authorization_endpoint": provider.issuer + "/authorize",
                        "token_endpoint": provider.issuer + "/token",
                        "jwks_uri": provider.issuer + "/jwks",
                    },
                )
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                self._authorize(query)
            else:
                self._json(404, {"error": "not_found"})

        def _authorize(self, query: dict[str, str]) -> None:
            assert query["response_type"] == "code"
            assert query["client_id"] == CLIENT_ID
            assert query["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            provider.codes[code] = query
            back = {"code": code, "state": query["state"]}
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}")
            self.end_headers()

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            grant = provider.codes.pop(form.get("code", ""), None)
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if (
                grant is None
                or form.get("client_secret") != CLIENT_SECRET
                or challenge != grant["code_challenge"]
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(200, {"id_token": provider.id_token(grant), "token_type": "Bearer"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    state.issuer = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(provider: Provider, tmp_path: Path) -> Any:
    oidc = OidcSettings(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        group_roles=parse_group_roles(f"{ANALYSTS}=analyst,{DIRECTORS}=director"),
    )
    settings = AuthSettings(secret_key="s" * 40, oidc=oidc)
    return create_app(LogStore(tmp_path / "data"), auth=settings)


def through_provider(client: Any, next_path: str = "/") -> Any:
    """Start at /oidc/login, follow the provider, and return the dashboard's answer."""
    import urllib.request  # noqa: PLC0415

    start = client.get(f"/oidc/login?next={urllib.parse.quote(next_path)}")
    assert start.status_code == 302
    assert start.location.startswith(
        client.application.extensions["kitflow.auth"].oidc.settings.issuer
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(start.location)
    except urllib.error.HTTPError as back:  # the 302 back to the dashboard
        callback = urllib.parse.urlparse(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_an_analyst_signs_in_through_the_provider(app: Any, tmp_path: Path) -> None:
    client = app.server.test_client()
    assert "Log ind med kommunens konto" in client.get("/login").text
    back = through_provider(client, "/analysis")
    assert (back.status_code, back.location) == (302, "/analysis")
    assert client.get("/analysis").status_code == 200
    trail = AuditTrail(
        app.server.extensions["kitflow.auth"].accounts._engine.url.render_as_string()
    )
    assert [(e.actor, e.action, e.outcome) for e in trail.list()] == [
        ("ida@kk.dk", "login-sso", "ok")
    ]


def test_the_strongest_role_of_the_groups_wins(app: Any, provider: Provider) -> None:
    provider.groups = [DIRECTORS]
    client = app.server.test_client()
    through_provider(client)
    assert client.get("/").status_code == 200
    assert client.get("/analysis").status_code == 403
    provider.groups = [DIRECTORS, ANALYSTS]
    through_provider(client)
    assert client.get("/analysis").status_code == 200


@pytest.mark.parametrize(
    ("mode", "status", "text"),
    [
        ("bad-signature", 401, "ID token was refused"),
        ("expired", 401, "ID token was refused"),
        ("bad-nonce", 401, "nonce does not match"),
    ],
)
def test_a_bad_id_token_signs_no_one_in(
    app: Any, provider: Provider, mode: str, status: int, text: str
) -> None:
    provider.mode = mode
    client = app.server.test_client()
    back = through_provider(client)
    assert back.status_code == status
    assert text in back.text
    assert client.get("/").status_code == 302


def test_no_group_no_role(app: Any, provider: Provider) -> None:
    provider.groups = ["someone-else"]
    client = app.server.test_client()
    back = through_provider(client)
    assert back.status_code == 403
    assert "ikke med i en gruppe" in back.text
    assert client.get("/").status_code == 302


def test_a_forged_state_or_code_is_refused(app: Any) -> None:
    client = app.server.test_client()
    client.get("/oidc/login")
    forged = client.get("/oidc/callback?code=abc&state=not-the-one")
    assert forged.status_code == 400
    assert "state" in forged.text
    # A callback without a sign-in started in this session (another browser's code).
    assert app.server.test_client().get("/oidc/callback?code=abc&state=x").status_code == 400
    # The state is right but the code was never issued: the provider refuses the exchange.
    client.get("/oidc/login")
    with client.session_transaction() as session:
        state = session["oidc_pending"]["state"]
    assert client.get(f"/oidc/callback?code=made-up&state={state}").status_code == 401


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.dashboard.auth_oidc import oidc_settings_from_env  # noqa: PLC0415

    monkeypatch.setenv("KITFLOW_OIDC_ISSUER", "https://login.microsoftonline.com/t/v2.0")
    with pytest.raises(KitflowError, match="KITFLOW_OIDC_CLIENT_ID"):
        oidc_settings_from_env()
    monkeypatch.setenv("KITFLOW_OIDC_CLIENT_ID", "c")
    monkeypatch.setenv("KITFLOW_OIDC_CLIENT_SECRET", "s")
    monkeypatch.setenv("KITFLOW_OIDC_GROUP_ROLES", "g1=analyst, g2=administrator")
    settings = oidc_settings_from_env()
    assert settings is not None
    assert settings.group_roles == (("g1", "analyst"), ("g2", "administrator"))
    monkeypatch.setenv("KITFLOW_OIDC_GROUP_ROLES", "g1=boss")
    with pytest.raises(KitflowError, match="'boss' is not one of"):
        oidc_settings_from_env()
    monkeypatch.setenv("KITFLOW_OIDC_ISSUER", "http://idp.example")
    monkeypatch.setenv("KITFLOW_OIDC_GROUP_ROLES", "g1=analyst")
    with pytest.raises(KitflowError, match="not https"):
        oidc_settings_from_env()
