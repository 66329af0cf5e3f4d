"""How an HTTP answer sorts into retriable and fatal, shared by the API clients."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from extractors.errors import FatalError, RetriableError


def retry_after_s(response: httpx.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for; None without one, or for an HTTP date
    (then our own back-off applies). A negative value counts as 0."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def raise_for_get_status(
    response: httpx.Response, what: str, *, detail: str, hints: Mapping[int, str]
) -> None:
    """Nothing for a success; 429 and 5xx are retriable (with ``Retry-After``); any other
    refusal is fatal with the API's ``detail`` and the hint for its status."""
    status = response.status_code
    if status < 400:
        return
    if status == 429 or status >= 500:
        raise RetriableError(
            f"GET {what} answered {status}{detail}", retry_after_s=retry_after_s(response)
        )
    hint = hints.get(status, "the request cannot succeed as it is: check the config")
    raise FatalError(f"GET {what} answered {status}{detail}: {hint}.")
