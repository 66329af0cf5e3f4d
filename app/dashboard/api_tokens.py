"""API tokens on the dashboard's server: ``Authorization: Bearer <secret>`` for a program (a
ServiceNow client script) calling one JSON endpoint, instead of a signed-in session.

A request that sends a bearer token is judged by the token alone: its cookie, if any, is ignored,
and the token opens only the endpoints of :data:`TOKEN_PATHS` whose scope it has (every page,
Dash route and callback answers 401). A bearer request carries no session cookie, so the
session's CSRF rule (JSON bodies only, a ``SameSite=Lax`` cookie) has nothing to protect there: a
page on another site cannot set the ``Authorization`` header without the CORS consent this server
never gives. Failed tokens count against the caller's address like failed sign-ins (the same
limit and window); every call is audited with ``token:<name>`` as the actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import flask
from werkzeug.wrappers import Response as BaseResponse

from models.accounts import ApiToken, TokenScope

if TYPE_CHECKING:
    from app.dashboard.auth import Auth

TOKEN_PATHS: Final[dict[str, TokenScope]] = {"/api/assistant/suggest": "assistant"}
"""The endpoints a token may call, with the scope each needs."""
ACTOR_KEY: Final = "kitflow_token_actor"
"""Where a request's token actor is kept (``flask.g``) for the audit trail."""
_SCHEME: Final = "bearer"


def bearer_secret() -> str | None:
    """The secret of the request's ``Authorization: Bearer`` header ('' when empty), or None
    when it sends none."""
    scheme, _, secret = flask.request.headers.get("Authorization", "").strip().partition(" ")
    return secret.strip() if scheme.lower() == _SCHEME else None


def guard_bearer(path: str) -> BaseResponse | None:
    """None when ``path`` accepts a token (the endpoint checks it), else 401: a token opens no
    page, Dash route or callback."""
    if path in TOKEN_PATHS:
        return None
    return _refusal(401, "an API token opens only " + ", ".join(sorted(TOKEN_PATHS)))


def authenticate_bearer(auth: Auth, scope: TokenScope, action: str) -> BaseResponse | None:
    """None when the request's bearer token is live and of ``scope`` (its name is then the
    audit actor of this request), else the 401 or 429 JSON answer, audited as ``action``."""
    address = f"token-address:{flask.request.remote_addr}"
    path = flask.request.path
    if auth.limiter.blocked(address):
        auth.record(action, path, outcome="rate-limited", actor="-")
        minutes = max(1, auth.settings.failure_window_s // 60)
        response = _refusal(429, f"too many failed tokens: try again in {minutes} minutes")
        response.headers["Retry-After"] = str(auth.settings.failure_window_s)
        return response
    token: ApiToken | None = auth.tokens.authenticate(bearer_secret() or "", scope)
    if token is None:
        auth.limiter.fail(address)
        auth.record(action, path, outcome="bad-token", actor="-")
        return _refusal(401, f"the API token is unknown, revoked or not of the scope {scope!r}")
    setattr(flask.g, ACTOR_KEY, token.actor)
    return None


def token_actor() -> str | None:
    """The audit actor of the current request's token, or None when it came without one."""
    actor = flask.g.get(ACTOR_KEY)
    return str(actor) if actor else None


def _refusal(status: int, message: str) -> BaseResponse:
    response = flask.jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kitflow", error="invalid_token"'
    return response
