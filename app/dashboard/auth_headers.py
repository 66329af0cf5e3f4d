"""Served as a product: allowed hosts (a foreign ``Host`` gets 400) and security headers on
every response.

The Content-Security-Policy allows only this site: Dash's scripts and styles are served locally
(``serve_locally``); its renderer starts from one inline script and plotly and the components set
inline styles, hence ``'unsafe-inline'`` for scripts and styles and ``'unsafe-eval'`` (Dash's
clientside callbacks and plotly compile functions). ``frame-ancestors 'none'`` forbids framing.
HSTS is sent when the request came over https (directly or, with a trusted proxy, by
``X-Forwarded-Proto``).
"""

from __future__ import annotations

from typing import Final

import flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS: Final = "max-age=31536000; includeSubDomains"


def install_headers(
    server: flask.Flask, *, allowed_hosts: tuple[str, ...], trusted_proxy: bool
) -> None:
    """Refuse foreign hosts first of all, and add the headers to every response."""
    if trusted_proxy:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    allowed = frozenset(h.lower() for h in allowed_hosts)
    server.before_request_funcs.setdefault(None, []).insert(0, lambda: _check_host(allowed))
    server.after_request(_add_headers)


def host_name(host_header: str) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:8050`` -> ``::1``)."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0].lower()
    return host_header.rpartition(":")[0].lower() if ":" in host_header else host_header.lower()


def _check_host(allowed: frozenset[str]) -> BaseResponse | None:
    if not allowed or host_name(flask.request.host) in allowed:
        return None
    return flask.Response(
        "400 Bad Request: this host name is not served here. An administrator adds it to "
        "KITFLOW_ALLOWED_HOSTS.\n",
        status=400,
        mimetype="text/plain",
    )


def _add_headers(response: BaseResponse) -> BaseResponse:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if flask.request.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
