"""Sign-in on every request, checked on the server: one Flask ``before_request`` for all routes.

Every page, Dash's layout, dependencies and callbacks (downloads are callbacks), its scripts and
assets need a signed-in session; only the sign-in and sign-out routes do not, and the JSON
endpoints of :mod:`app.dashboard.api_tokens` also take an API token (which opens nothing else).
A callback runs only when the session's role may open the page it belongs to
(:mod:`app.dashboard.auth_access`). A request without a session gets 401 (callbacks, Dash's
routes, assets) or a redirect to the sign-in page (pages). Sessions are Flask's signed cookie and
end after ``idle_timeout_s`` without a request or ``absolute_timeout_s`` after signing in.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Any, Final
from urllib.parse import quote

import dash
import flask
from werkzeug.wrappers import Response as BaseResponse

from app.dashboard import api_tokens, auth_access
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.login import (
    LOGIN_PATH,
    LOGOUT_PATH,
    OIDC_CALLBACK_PATH,
    OIDC_LOGIN_PATH,
    render_login,
    render_refusal,
)
from app.formatting import Language
from app.i18n import parse_language, translate
from models.accounts import AccountError, AccountStore, ApiTokenStore, Role, check_role
from models.audit import AuditTrail

CALLBACK_PATH: Final = "/_dash-update-component"
PUBLIC_PATHS: Final = frozenset({LOGIN_PATH, LOGOUT_PATH, OIDC_LOGIN_PATH, OIDC_CALLBACK_PATH})
_DASH_PREFIXES: Final = ("/_dash-", "/assets/", "/_favicon", "/_reload-hash", "/static/")
AUTH_KEY: Final = "kitflow.auth"
LOGIN_CSRF_KEY: Final = "login_csrf"


class FailureLimiter:
    """Failed sign-ins per user name and per address: ``limit`` in ``window_s`` blocks both."""

    def __init__(self, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, *keys: str) -> bool:
        """True when any of ``keys`` has reached the limit within the window."""
        return any(key in self._failures and len(self._recent(key)) >= self.limit for key in keys)

    def fail(self, *keys: str) -> None:
        """Count one failure against each of ``keys`` (and forget keys whose window passed)."""
        for stale in [k for k, times in self._failures.items() if not self._recent(k)]:
            del self._failures[stale]
        for key in keys:
            self._recent(key).append(time.monotonic())

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful sign-in)."""
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < time.monotonic() - self.window_s:
            times.popleft()
        return times


class Auth:
    """The sign-in state of one dashboard: its settings, accounts, audit trail and limiter."""

    def __init__(self, settings: AuthSettings, database_url: str) -> None:
        self.settings = settings
        self.accounts = AccountStore(database_url)
        self.tokens = ApiTokenStore(database_url)
        self.audit = AuditTrail(database_url)
        self.limiter = FailureLimiter(settings.max_failures, settings.failure_window_s)
        # Sessions signed out before their cookie expires (the cookie itself cannot be taken
        # back): session id -> when it would have expired anyway.
        self.signed_out: dict[str, float] = {}
        self.oidc: Any = None
        if settings.oidc is not None:
            from app.dashboard.auth_oidc import OidcClient  # noqa: PLC0415

            self.oidc = OidcClient(settings.oidc)

    def record(
        self, action: str, target: str = "", outcome: str = "ok", *, actor: str | None = None
    ) -> None:
        """Append one audit entry for the current request's user or API token (or ``actor``)
        and address."""
        user = actor or api_tokens.token_actor() or flask.session.get("user") or "-"
        address = flask.request.remote_addr or ""
        self.audit.append(
            actor=user, action=action, target=target, outcome=outcome, address=address
        )


def install_auth(app: dash.Dash, settings: AuthSettings, database_url: str) -> Auth:
    """Require sign-in on every route of ``app``'s server and add the sign-in routes."""
    server: flask.Flask = app.server
    server.secret_key = settings.secret_key
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="kitflow_session",
        SESSION_COOKIE_SECURE=settings.trusted_proxy,
    )
    auth = Auth(settings, database_url)
    server.extensions[AUTH_KEY] = auth
    server.before_request(lambda: _guard(app, auth))
    server.after_request(lambda response: _after(auth, response))
    from app.dashboard.auth_routes import register_routes  # noqa: PLC0415

    register_routes(server, auth)
    return auth


def request_language() -> Language:
    """The language the request's ``?lang=`` asks for."""
    return parse_language(flask.request.args.get("lang"))


def signed_in_role(auth: Auth) -> Role | None:
    """The session's role, or None when there is no session or it has expired (then cleared)."""
    session = flask.session
    if "user" not in session:
        return None
    now = time.time()
    started, seen = float(session.get("started", 0)), float(session.get("seen", 0))
    settings = auth.settings
    if str(session.get("sid", "")) in auth.signed_out:
        session.clear()
        return None
    if now - started > settings.absolute_timeout_s or now - seen > settings.idle_timeout_s:
        session.clear()
        session["expired"] = True
        return None
    if now - seen > 30:
        session["seen"] = now
    if session.get("source") == "local":
        # A removed account ends its sessions; a changed role holds from the next request.
        account = auth.accounts.get(str(session["user"]))
        session["role"] = account.role if account is not None else None
    try:
        return check_role(str(session.get("role")))
    except AccountError:
        session.clear()
        return None


def start_session(username: str, role: Role, source: str) -> None:
    """A fresh session for ``username`` (the old one, and anything in it, dropped); ``source``
    is ``local`` (checked against the accounts on every request) or ``oidc``."""
    flask.session.clear()
    now = time.time()
    flask.session.update(
        user=username, role=role, started=now, seen=now, source=source, sid=secrets.token_hex(16)
    )
    flask.session.permanent = False


def _guard(app: dash.Dash, auth: Auth) -> BaseResponse | None:
    if api_tokens.bearer_secret() is not None:
        # A bearer request is judged by its token alone, at the endpoint (see api_tokens).
        return api_tokens.guard_bearer(flask.request.path)
    return _guard_session(app, auth)


def _guard_session(app: dash.Dash, auth: Auth) -> BaseResponse | None:
    path = flask.request.path
    if path in PUBLIC_PATHS:
        return None
    role = signed_in_role(auth)
    if role is None:
        return _unauthenticated(path)
    if path == CALLBACK_PATH:
        return _check_callback(app, auth, role)
    if path.startswith(_DASH_PREFIXES):
        return None
    if not auth_access.page_allowed(path, role):
        auth.record("page-refused", path, outcome="refused")
        return _refusal(403, "auth.forbidden")
    return None


def _unauthenticated(path: str) -> BaseResponse:
    if path.startswith(_DASH_PREFIXES) or flask.request.method != "GET":
        response = flask.jsonify(error="sign in first", login=LOGIN_PATH)
        response.status_code = 401
        return response
    target = flask.request.full_path.rstrip("?")
    language = request_language()
    return flask.redirect(f"{LOGIN_PATH}?lang={language}&next={_quote(target)}")


def _quote(text: str) -> str:
    return quote(text, safe="")


def _check_callback(app: dash.Dash, auth: Auth, role: Role) -> BaseResponse | None:
    body = flask.request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    inputs = body.get("inputs", []) if isinstance(body, dict) else []
    inputs = [item for item in inputs if isinstance(item, dict)] if isinstance(inputs, list) else []
    if not isinstance(output, str) or output not in app.callback_map:
        return _json_refusal("unknown callback")
    if not auth_access.callback_allowed(output, inputs, role):
        auth.record("callback-refused", output, outcome="refused")
        return _json_refusal("your role may not run this callback")
    _note_audited(auth, output, inputs)
    return None


def _note_audited(auth: Auth, output: str, inputs: list[dict[str, Any]]) -> None:
    pages = auth_access.callback_pages(output, inputs) or set()
    if auth_access.output_ids(output)[0] == auth_access.PAGES_ROUTER:
        viewed = pages & auth_access.AUDITED_PAGES
        for page in viewed:
            auth.record("view", page)
    if auth_access.is_download(output):
        flask.g.kitflow_download = output


def _after(auth: Auth, response: flask.Response) -> BaseResponse:
    download = flask.g.pop("kitflow_download", None)
    if download and response.status_code == 200:
        auth.record("download", download)
    return response


def _json_refusal(reason: str) -> BaseResponse:
    response = flask.jsonify(error=reason)
    response.status_code = 403
    return response


def _refusal(status: int, key: str) -> BaseResponse:
    return flask.Response(
        render_refusal(request_language(), key), status=status, mimetype="text/html"
    )


def login_page(status: int = 200, message_key: str | None = None, **values: object) -> BaseResponse:
    """The sign-in page, with the message ``message_key`` (translated) when given."""
    language = request_language()
    message = translate(message_key, language, **values) if message_key else None
    auth: Auth = flask.current_app.extensions[AUTH_KEY]
    csrf = flask.session.setdefault(LOGIN_CSRF_KEY, secrets.token_urlsafe(32))
    html = render_login(
        language,
        csrf=str(csrf),
        message=message,
        next_path=safe_next(flask.request.values.get("next")),
        sso=auth.oidc is not None,
    )
    return flask.Response(html, status=status, mimetype="text/html")


def end_session(auth: Auth) -> None:
    """Clear the session and refuse its cookie from now on (until it would have expired)."""
    sid = flask.session.get("sid")
    if sid:
        now = time.time()
        auth.signed_out = {k: t for k, t in auth.signed_out.items() if t > now}
        auth.signed_out[str(sid)] = now + auth.settings.absolute_timeout_s
    flask.session.clear()


def login_form_is_ours() -> bool:
    """True when the posted sign-in form carries the token its page was rendered with."""
    sent = flask.request.form.get("csrf", "")
    kept = str(flask.session.get(LOGIN_CSRF_KEY, ""))
    return bool(kept) and hmac.compare_digest(sent.encode(), kept.encode())


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else ``/`` (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
