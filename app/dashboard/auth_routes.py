"""The sign-in, sign-out and OpenID Connect routes (Flask, before Dash)."""

from __future__ import annotations

import dataclasses

import flask
from werkzeug.wrappers import Response as BaseResponse

from app.dashboard.auth import (
    Auth,
    end_session,
    login_form_is_ours,
    login_page,
    request_language,
    safe_next,
    signed_in_role,
    start_session,
)
from app.dashboard.auth_oidc import AuthRequest, OidcError
from app.dashboard.login import LOGIN_PATH, LOGOUT_PATH, OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH

_PENDING = "oidc_pending"


def register_routes(server: flask.Flask, auth: Auth) -> None:
    """Add ``/login``, ``/logout`` and, with OIDC configured, ``/oidc/login`` and its callback."""
    server.add_url_rule(LOGIN_PATH, "kitflow_login", lambda: _login(auth), methods=["GET", "POST"])
    server.add_url_rule(
        LOGOUT_PATH, "kitflow_logout", lambda: _logout(auth), methods=["GET", "POST"]
    )
    server.add_url_rule(OIDC_LOGIN_PATH, "kitflow_oidc_login", lambda: _oidc_login(auth))
    server.add_url_rule(OIDC_CALLBACK_PATH, "kitflow_oidc_callback", lambda: _oidc_callback(auth))


def _login(auth: Auth) -> BaseResponse:
    if flask.request.method == "GET":
        expired = flask.session.pop("expired", False)
        if signed_in_role(auth) is not None:
            return _redirect(safe_next(flask.request.args.get("next")))
        return login_page(message_key="auth.expired" if expired else None)
    if not login_form_is_ours():
        return login_page(400, "auth.form_expired")
    username = flask.request.form.get("username", "").strip()
    password = flask.request.form.get("password", "")
    address = f"address:{flask.request.remote_addr}"
    if auth.limiter.blocked(f"user:{username}", address):
        auth.record("login", username, outcome="rate-limited", actor=username or "-")
        minutes = max(1, auth.settings.failure_window_s // 60)
        return login_page(429, "auth.rate_limited", minutes=minutes)
    account = auth.accounts.authenticate(username, password) if username else None
    if account is None:
        auth.limiter.fail(f"user:{username}", address)
        auth.record("login", username, outcome="failed", actor=username or "-")
        return login_page(401, "auth.failed")
    auth.limiter.clear(f"user:{username}")
    start_session(account.username, account.role, "local")
    auth.record("login", f"{account.username} ({account.role})")
    return _redirect(safe_next(flask.request.form.get("next")))


def _logout(auth: Auth) -> BaseResponse:
    if "user" in flask.session:
        auth.record("logout", str(flask.session["user"]))
    end_session(auth)
    return login_page(message_key="auth.logged_out")


def _redirect(path: str) -> BaseResponse:
    return flask.redirect(path)


def _redirect_uri(auth: Auth) -> str:
    configured = auth.oidc.settings.redirect_uri if auth.oidc else None
    return configured or flask.url_for("kitflow_oidc_callback", _external=True)


def _oidc_login(auth: Auth) -> BaseResponse:
    if auth.oidc is None:
        return _redirect(LOGIN_PATH)
    try:
        pending = auth.oidc.start(_redirect_uri(auth))
    except OidcError as error:
        return login_page(502, "auth.sso_failed", reason=str(error))
    flask.session.clear()
    flask.session[_PENDING] = dataclasses.asdict(pending)
    flask.session["oidc_next"] = safe_next(flask.request.args.get("next"))
    return _redirect(pending.url)


def _oidc_callback(auth: Auth) -> BaseResponse:
    stored = flask.session.pop(_PENDING, None)
    next_path = safe_next(flask.session.pop("oidc_next", None))
    args = flask.request.args
    if auth.oidc is None or not isinstance(stored, dict):
        return login_page(400, "auth.sso_failed", reason=_reason("no sign-in was started"))
    pending = AuthRequest(**stored)
    if args.get("state") != pending.state or not args.get("code"):
        auth.record("login-sso", "", outcome="failed")
        return login_page(400, "auth.sso_failed", reason=_reason("the state does not match"))
    try:
        user = auth.oidc.finish(args["code"], _redirect_uri(auth), pending)
    except OidcError as error:
        auth.record("login-sso", "", outcome="failed")
        return login_page(401, "auth.sso_failed", reason=str(error))
    if user.role is None:
        auth.record("login-sso", user.username, outcome="no-role", actor=user.username)
        return login_page(403, "auth.no_role")
    start_session(user.username, user.role, "oidc")
    auth.record("login-sso", user.username)
    return _redirect(next_path)


def _reason(english: str) -> str:
    danish = {
        "no sign-in was started": "der var ikke startet et log ind.",
        "the state does not match": "svaret passer ikke til dette log ind (state).",
    }
    return danish[english] if request_language() == "da" else f"{english}."
