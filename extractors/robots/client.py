"""The HTTP client of the OData APIs (UiPath Orchestrator, Dataverse): one GET per page, errors
sorted into retriable / fatal, bounded retries with back-off (``Retry-After`` honoured exactly).

Authentication is a bearer token (Orchestrator external application or Entra ID access token,
obtained outside KIT Flow). UiPath folder-scoped entities need the folder's id in the
``X-UIPATH-OrganizationUnitId`` header; Dataverse pages are sized by ``Prefer:
odata.maxpagesize``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from extractors.base import RetryPolicy, call_with_retries
from extractors.errors import FatalError, RetriableError
from extractors.http_status import raise_for_get_status
from extractors.origin import check_same_origin, checked_base_url

_FATAL_HINTS = {
    400: "the request was refused as malformed: check the entity names and the folder id",
    401: "the token was refused: get a new access token and put it in the environment "
    "variable (or file) the robots configuration names",
    403: "the application may not read this: grant it the read scopes (UiPath OR.Jobs.Read, "
    "OR.Queues.Read; Dataverse a security role that reads flowsession and workflow) and "
    "access to the folder",
    404: "there is no such entity or the base_url is wrong: check base_url and the entity name",
}


class ODataClient:
    """GETs OData pages relative to ``base_url`` (or absolute next links)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        checked_base_url(base_url, key="base_url")
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._http = httpx.Client(
            base_url=self._base,
            headers={"Accept": "application/json", **auth, **(headers or {})},
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.requests = 0

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON object of one page, after retries."""
        return call_with_retries(
            lambda: self._get_once(url, params),
            policy=self._retry,
            what=f"GET {url.split('?', maxsplit=1)[0]}",
            sleep=self._sleep,
            rng=self._rng,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _get_once(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        what = url.split("?", maxsplit=1)[0]
        query = dict(params) if params is not None else None
        request = self._http.build_request("GET", url, params=query)
        # A next link is an absolute URL the server chose: the token goes to our host only.
        check_same_origin(request.url, self._base, what=f"GET {what}")
        self.requests += 1
        try:
            response = self._http.send(request)
            response.read()
        except httpx.TimeoutException as error:
            raise RetriableError(f"GET {what} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise RetriableError(f"GET {what} failed in transit: {error!r}") from error
        _raise_for_status(response, what)
        try:
            body = response.json()
        except ValueError as error:
            raise RetriableError(f"GET {what} returned a body that is not JSON") from error
        if not isinstance(body, dict):
            raise FatalError(f"GET {what} returned JSON that is not an object: check base_url.")
        return body


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        detail = _error_detail(response)
        raise_for_get_status(response, what, detail=detail, hints=_FATAL_HINTS)


def _error_detail(response: httpx.Response) -> str:
    # OData: {"error": {"code", "message"}}; Orchestrator: {"message", "errorCode"}.
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else body.get("message")
    return f" ({message})" if message else ""
