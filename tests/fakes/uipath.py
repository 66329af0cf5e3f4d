"""A fake UiPath Orchestrator OData API: the records you give it, served with the real paging.

``GET /odata/<Entity>`` with ``$top``, ``$skip``, ``$orderby=Id [asc|desc]``, ``$filter=Id gt N``
(also ``ge``, ``lt``, ``le``, ``eq``) and ``$select``; answers ``{"@odata.context",
"@odata.count", "value"}``. It checks the bearer token and, when a folder is set, the
``X-UIPATH-OrganizationUnitId`` header (a missing or other folder answers 400, as Orchestrator
does for folder-scoped entities).

Faults are scripted with ``fail_next`` (``pass_next`` lets requests through first): ``"429"``
(with ``Retry-After``), ``"500"``, ``"slow"`` (answers after ``slow_s``), ``"drop"`` (half the
body, then the connection closes), ``"401"``, ``"403"``, ``"foreign-next-link"`` (a normal
answer whose ``@odata.nextLink`` names ``foreign_url`` instead of this server, as a compromised
server could). ``FakeODataServer`` is the HTTP machinery shared with the Power Automate fake.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.http import FakeServer, send_json

Record = dict[str, Any]
_CONTENT_TYPE = "application/json; charset=utf-8"  # as the real API labels its JSON
Fault = Literal["429", "500", "slow", "drop", "401", "403", "foreign-next-link"]
Answer = tuple[int, Record, Mapping[str, str]]
_ID_CONDITION = re.compile(r"^Id (gt|ge|lt|le|eq) (-?\d+)$")


class FakeODataServer(FakeServer[Fault]):
    """Serves ``answer(path, params, headers)`` on 127.0.0.1 with scripted faults."""

    def __init__(
        self,
        *,
        token: str | None = "fake-token",
        retry_after_s: float = 1.0,
        slow_s: float = 1.0,
        latency_s: float = 0.0,
    ) -> None:
        self.token = token
        self.retry_after_s = retry_after_s
        self.slow_s = slow_s
        self.latency_s = latency_s
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.foreign_url = "https://evil.example"
        super().__init__()

    def answer(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """Status, JSON body and extra headers of one request (subclasses implement)."""
        raise NotImplementedError

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def pass_next(self, *, times: int = 1) -> None:
        """Answer the next ``times`` requests normally (before the faults scripted after)."""
        with self._lock:
            self._faults.extend([None] * times)

    def clear_faults(self) -> None:
        """Forget every scripted fault."""
        with self._lock:
            self._faults.clear()


class FakeUiPath(FakeODataServer):
    """The fake Orchestrator; ``entities`` maps ``Jobs``, ``QueueItems`` ... to their records."""

    def __init__(
        self,
        entities: Mapping[str, Sequence[Record]],
        *,
        folder_id: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.entities = {name: [dict(r) for r in rows] for name, rows in entities.items()}
        self.folder_id = folder_id

    def answer(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """``GET /odata/<Entity>``: filter on Id, order, skip, top, select."""
        entity = path.removeprefix("/odata/")
        rows = self.entities.get(entity)
        if not path.startswith("/odata/") or rows is None:
            return 404, {"message": f"No HTTP resource was found for {path}"}, {}
        folder = headers.get("x-uipath-organizationunitid")
        if self.folder_id is not None and folder != str(self.folder_id):
            return 400, {"message": "A folder is required for this action.", "errorCode": 1101}, {}
        chosen = [r for r in rows if _id_holds(r, params.get("$filter", ""))]
        descending = params.get("$orderby", "Id asc").strip().endswith("desc")
        chosen.sort(key=lambda r: int(r.get("Id", 0)), reverse=descending)
        skip, top = int(params.get("$skip", "0")), int(params.get("$top", "1000"))
        fields = [f for f in params.get("$select", "").split(",") if f]
        page = [{k: r[k] for k in (fields or r) if k in r} for r in chosen[skip : skip + top]]
        body = {"@odata.context": f"{self.url}/odata/$metadata#{entity}",
                "@odata.count": len(chosen), "value": page}  # fmt: skip
        return 200, body, {}


def _id_holds(row: Record, condition: str) -> bool:
    if not condition:
        return True
    match = _ID_CONDITION.match(condition.strip())
    if match is None:
        return True  # the fake understands only Id conditions, as the extractor sends
    value, wanted = int(row.get("Id", 0)), int(match[2])
    return {
        "gt": value > wanted,
        "ge": value >= wanted,
        "lt": value < wanted,
        "le": value <= wanted,
        "eq": value == wanted,
    }[match[1]]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeODataServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.fake._lock:
            self.fake.requests.append((url.path, params, headers))
        if self.fake.latency_s:
            time.sleep(self.fake.latency_s)
        fault = self.fake.next_fault()
        if fault in ("401", "403") or not self._authorised(headers):
            status = 403 if fault == "403" else 401
            message = "You are not authorized!" if status == 401 else "Forbidden: missing scope"
            self._send(status, {"error": {"code": str(status), "message": message}})
            return
        if fault == "429":
            retry = {"Retry-After": f"{self.fake.retry_after_s:g}"}
            self._send(429, {"error": {"code": "429", "message": "Too many requests"}}, retry)
            return
        if fault == "500":
            self._send(500, {"error": {"code": "500", "message": "fake fault"}})
            return
        status, body, extra = self.fake.answer(url.path, params, headers)
        if fault == "foreign-next-link" and "@odata.nextLink" in body:
            link = urlsplit(body["@odata.nextLink"])
            body = {**body, "@odata.nextLink": self.fake.foreign_url + link.path + "?" + link.query}
        if fault == "slow":
            time.sleep(self.fake.slow_s)
        self._send(status, body, extra, drop=fault == "drop")

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        token = self.fake.token
        return token is None or headers.get("authorization") == f"Bearer {token}"

    def _send(
        self,
        status: int,
        body: Record,
        headers: Mapping[str, str] | None = None,
        *,
        drop: bool = False,
    ) -> None:
        send_json(self, status, body, content_type=_CONTENT_TYPE, headers=headers, drop=drop)
