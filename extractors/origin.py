"""Where an API client may send its credentials: the configured base URL's scheme, host and port,
and nowhere else.

- The base URL must be ``https``: a token or password sent over plain ``http`` can be read on the
  way. Plain ``http`` is allowed only to this machine (``127.0.0.0/8``, ``::1``, ``localhost``),
  where nothing crosses a network (the tests' fake APIs run there).
- Every request is checked against the base URL's origin before it is sent, whatever its URL
  came from: a next-page link (Dataverse's ``@odata.nextLink`` is an absolute URL the server
  chooses) naming another scheme, host or port is refused, so a compromised or misconfigured
  server cannot make the client hand its token to a host of its choosing.
- Redirects are never followed (httpx's default, made explicit by the clients).
"""

from __future__ import annotations

import ipaddress

import httpx

from extractors.errors import FatalError

_LOOPBACK_NAMES = frozenset({"localhost"})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: 127.0.0.0/8, ::1 or localhost."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``, with the scheme's default port written out."""
    port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}"


def checked_base_url(url: str, *, key: str) -> httpx.URL:
    """``url`` (the configuration's ``key``) if credentials may be sent to it, else a
    ``FatalError`` saying what to write instead."""
    parsed = httpx.URL(url)
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
        raise FatalError(
            f"{key} {url!r} is not an https:// address: write the API's address, e.g. "
            "https://kk.service-now.com."
        )
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise FatalError(
            f"{key} {url!r} uses plain http, so the token or password would cross the network "
            f"readable by anyone on the way: write https://{parsed.host}{parsed.raw_path.decode()} "
            "instead (plain http is allowed only to this machine: 127.0.0.1, ::1, localhost)."
        )
    return parsed


def check_same_origin(url: httpx.URL, base: httpx.URL, *, what: str) -> None:
    """Refuse a request to ``url`` unless it goes to ``base``'s scheme, host and port."""
    if origin(url) != origin(base):
        raise FatalError(
            f"{what}: the request would go to {origin(url)}, not to the configured "
            f"{origin(base)}, so it is refused: the credentials are sent to the configured host "
            "only. If the service has moved, correct the base URL in the configuration; "
            "otherwise the server sent a link it should not have."
        )
