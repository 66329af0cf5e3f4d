"""The HTTP client of the Azure DevOps REST API (work item tracking, api-version 7.1).

One request per batch; errors sorted into retriable (429, 5xx, timeouts, a body cut off in
transit) and fatal (401/403/404 and other refusals, each with what to fix). A ``Retry-After``
header is honoured on *every* response: on a 429 the retry waits exactly that long, and on a
success (Azure DevOps sends it with 200 when a caller nears its rate limit) the client sleeps
that long before its next request. The personal access token goes out as HTTP Basic with an
empty user name and is never printed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from extractors.base import RetryPolicy, call_with_retries
from extractors.errors import FatalError, RetriableError
from extractors.http_status import retry_after_s
from extractors.origin import check_same_origin, checked_base_url


@dataclass(frozen=True)
class PatCredentials:
    """A personal access token (PAT); ``repr`` and ``str`` never show it."""

    pat: str = field(repr=False)

    def auth(self) -> httpx.Auth:
        """HTTP Basic with an empty user name, as Azure DevOps expects for a PAT."""
        return httpx.BasicAuth("", self.pat)


def _fatal_hint(status: int, project: str, organisation_url: str) -> str:
    hints = {
        400: "the request was refused as malformed (a stale continuation token, or more than "
        "200 ids in one work-item batch); delete the stream's bookmark only if the token is "
        "from another organisation",
        401: "the personal access token was refused: check that the environment variable or "
        "secrets file named in the configuration holds a current PAT (it may have expired)",
        403: "the PAT's user may not read work items: create the PAT with the scope "
        "'Work Items (Read)' and make sure its user is a member of the project",
        404: f"there is no project {project!r} at {organisation_url} that the PAT's user can "
        "see: check organisation_url and project in the configuration",
    }
    return hints.get(status, "the request cannot succeed as it is: check the configuration")


class DevOpsClient:
    """Requests against ``<organisation_url>/<project>/_apis/...``; a ``transport`` may replace
    the network, ``sleep`` the waiting (tests make both fast)."""

    def __init__(
        self,
        organisation_url: str,
        project: str,
        *,
        credentials: PatCredentials | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.organisation_url = organisation_url.rstrip("/")
        self.project = project
        self._base = checked_base_url(self.organisation_url, key="organisation_url")
        self._http = httpx.Client(
            base_url=self._base,
            auth=credentials.auth() if credentials else None,
            headers={"Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._pause_s = 0.0
        self.requests = 0
        self.slept_s: list[float] = []

    def project_path(self, api: str) -> str:
        """The path of ``api`` (e.g. ``wit/reporting/workitemrevisions``) in the project."""
        return f"/{quote(self.project, safe='')}/_apis/{api}"

    def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The JSON object of ``GET path?params``, after retries."""
        return self._with_retries("GET", path, params, None)

    def post_json(
        self, path: str, params: Mapping[str, str], body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The JSON object of ``POST path?params`` with a JSON ``body``, after retries."""
        return self._with_retries("POST", path, params, body)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _with_retries(
        self, method: str, path: str, params: Mapping[str, str], body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        return call_with_retries(
            lambda: self._once(method, path, params, body),
            policy=self._retry,
            what=f"{method} {path}",
            sleep=self._wait,
            rng=self._rng,
        )

    def _wait(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self._sleep(seconds)

    def _once(
        self, method: str, path: str, params: Mapping[str, str], body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        if self._pause_s > 0:
            # The previous answer carried Retry-After although it succeeded: slow down now.
            pause, self._pause_s = self._pause_s, 0.0
            self._wait(pause)
        request = self._http.build_request(method, path, params=dict(params), json=body)
        check_same_origin(request.url, self._base, what=f"{method} {path}")
        self.requests += 1
        try:
            response = self._http.send(request)
            response.read()
        except httpx.TimeoutException as error:
            raise RetriableError(f"{method} {path} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            # Refused, reset, or closed mid-body: the batch did not arrive whole.
            raise RetriableError(f"{method} {path} failed in transit: {error!r}") from error
        self._raise_for_status(response, method, path)
        retry_after = retry_after_s(response)
        if retry_after:
            self._pause_s = retry_after
        return _json_object(response, method, path)

    def _raise_for_status(self, response: httpx.Response, method: str, path: str) -> None:
        status = response.status_code
        what = f"{method} {path} answered {status}"
        if 300 <= status < 400 or status == 203:
            # Azure DevOps sends a sign-in page (203 or a redirect) when no valid PAT came.
            raise FatalError(
                f"{what} with a sign-in page instead of data: the personal access token is "
                "missing or invalid; set the environment variable or secrets file the "
                "configuration names."
            )
        if status < 400:
            return
        detail = _error_detail(response)
        if status == 429 or status >= 500:
            raise RetriableError(f"{what}{detail}", retry_after_s=retry_after_s(response))
        hint = _fatal_hint(status, self.project, self.organisation_url)
        raise FatalError(f"{what}{detail}: {hint}.")


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f" ({message})" if message else ""


def _json_object(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        # A proxy's HTML error page or a truncated body: worth another try.
        raise RetriableError(f"{method} {path} returned a body that is not JSON") from error
    if not isinstance(body, dict):
        raise FatalError(
            f"{method} {path} returned JSON {type(body).__name__}, not an object: "
            "organisation_url must be the organisation root, e.g. https://dev.azure.com/kk-kit."
        )
    return body
