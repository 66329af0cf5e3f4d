"""The HTTP client of the ServiceNow Table API: one GET per page, errors sorted into
retriable / fatal, bounded retries with back-off (``Retry-After`` honoured exactly)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from extractors.base import RetryPolicy, call_with_retries
from extractors.errors import FatalError, RetriableError
from extractors.http_status import raise_for_get_status
from extractors.origin import check_same_origin, checked_base_url

_FATAL_HINTS = {
    400: "the request was refused as malformed: check the table and field names in the config",
    401: "the credentials were refused: check the user name and password (or token) in the "
    "environment variables the configuration names",
    403: "the integration user may not read this table: ask the ServiceNow team to grant it "
    "read access (a role with the table's read ACL)",
    404: "there is no such table or the base_url is wrong: check base_url and the table name",
}


@dataclass(frozen=True)
class Credentials:
    """Basic (user and password) or bearer (token) credentials; never printed."""

    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def auth(self) -> httpx.Auth | None:
        """The httpx authentication of these credentials (None: anonymous)."""
        if self.username is not None:
            return httpx.BasicAuth(self.username, self.password or "")
        return None

    def headers(self) -> dict[str, str]:
        """Extra headers: the bearer token, if one was given."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


class TableClient:
    """GETs pages of ``/api/now/table/<table>``; a ``transport`` may replace the network."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Credentials | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        creds = credentials or Credentials()
        self._base = checked_base_url(base_url.rstrip("/"), key="base_url")
        self._http = httpx.Client(
            base_url=self._base,
            auth=creds.auth(),
            headers={"Accept": "application/json", **creds.headers()},
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.requests = 0

    def get_records(self, path: str, params: Mapping[str, str]) -> list[Any]:
        """The ``result`` list of one page, after retries."""
        return call_with_retries(
            lambda: self._get_once(path, params),
            policy=self._retry,
            what=f"GET {path}",
            sleep=self._sleep,
            rng=self._rng,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _get_once(self, path: str, params: Mapping[str, str]) -> list[Any]:
        request = self._http.build_request("GET", path, params=dict(params))
        check_same_origin(request.url, self._base, what=f"GET {path}")
        self.requests += 1
        try:
            response = self._http.send(request)
            response.read()
        except httpx.TimeoutException as error:
            raise RetriableError(f"GET {path} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            # A connection refused or dropped mid-body: the page was not received whole.
            raise RetriableError(f"GET {path} failed in transit: {error!r}") from error
        _raise_for_status(response, path)
        return _result_of(response, path)


def _raise_for_status(response: httpx.Response, path: str) -> None:
    if response.status_code >= 400:
        detail = _error_detail(response)
        raise_for_get_status(response, path, detail=detail, hints=_FATAL_HINTS)


def _error_detail(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        message = error.get("message") or ""
        detail = error.get("detail") or ""
    except (ValueError, AttributeError):
        return ""
    text = " - ".join(str(p) for p in (message, detail) if p)
    return f" ({text})" if text else ""


def _result_of(response: httpx.Response, path: str) -> list[Any]:
    try:
        body = response.json()
    except ValueError as error:
        # A proxy's HTML error page or a truncated body: worth another try.
        raise RetriableError(f"GET {path} returned a body that is not JSON") from error
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, list):
        raise FatalError(
            f"GET {path} returned JSON without a 'result' list (keys: "
            f"{', '.join(body) if isinstance(body, dict) else type(body).__name__}): "
            "base_url must point at the instance root, e.g. https://kk.service-now.com."
        )
    return result
