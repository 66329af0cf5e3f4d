"""A fake Azure DevOps organisation: the work items you give it, served with the real contracts.

Endpoints (``/<project>/_apis/...``, Basic auth with an empty user name and the PAT):

- ``GET wit/reporting/workitemrevisions`` and ``GET wit/reporting/workitemlinks``: batches of
  ``batch_size`` values (fewer with ``$maxPageSize``) as ``{"values", "nextLink",
  "continuationToken", "isLastBatch"}``; the token is ``<watermark>;<last id>;<last rev>`` (links:
  ``;<source>;<target>``) as Azure DevOps writes it, the watermark being the position reached. A
  token asked again after the last batch answers an empty last batch, or what was appended since.
  Without ``includeIdentityRef=true`` identities come as ``"Display Name <uniqueName>"`` text.
- ``POST wit/workitemsbatch``: ``{"ids", "$expand", "errorPolicy"}`` to ``{"count", "value"}``;
  more than 200 ids is refused (VS403474); unknown ids are ``null`` with ``errorPolicy=omit``.

A wrong project answers 404 (TF200016), a wrong or missing PAT 401. Faults are scripted with
``fail_next``: ``"429"`` (with ``Retry-After``), ``"200-retry-after"`` (a normal answer carrying
``Retry-After``), ``"500"``, ``"slow"`` (answers after ``slow_s``), ``"drop"`` (half the body,
then the connection closes), ``"401"``, ``"403"``, ``"404"``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.http import FakeServer, send_json

Record = dict[str, Any]
_CONTENT_TYPE = "application/json; charset=utf-8"  # as the real API labels its JSON
Fault = Literal["429", "200-retry-after", "500", "slow", "drop", "401", "403", "404"]
MAX_IDS = 200


class FakeAzureDevOps(FakeServer[Fault]):
    """The fake organisation; use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(
        self,
        *,
        revisions: Sequence[Record] = (),
        links: Sequence[Record] = (),
        workitems: Sequence[Record] = (),
        project: str = "KIT",
        pat: str | None = None,
        batch_size: int = 200,
        retry_after_s: float = 1.0,
        slow_s: float = 1.0,
        latency_s: float = 0.0,
    ) -> None:
        self.revisions = [dict(r) for r in revisions]
        self.links = [dict(r) for r in links]
        self.workitems = {int(w["id"]): dict(w) for w in workitems}
        self.project = project
        self.pat = pat
        self.batch_size = batch_size
        self.retry_after_s = retry_after_s
        self.slow_s = slow_s
        self.latency_s = latency_s
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        super().__init__()

    @classmethod
    def from_export(cls, folder: Path, **options: Any) -> FakeAzureDevOps:
        """Serve saved batches (``<folder>/azure-devops/...`` as ``kitflow simulate`` writes)."""
        root = folder / "azure-devops" if (folder / "azure-devops").is_dir() else folder

        def values(stream: str, key: str) -> list[Record]:
            return [
                v
                for path in sorted((root / stream).glob("batch-*.json"))
                for v in json.loads(path.read_text("utf-8"))[key]
            ]

        return cls(
            revisions=values("workitemrevisions", "values"),
            links=values("workitemlinks", "values"),
            workitems=values("workitems", "value"),
            **options,
        )

    # -- control -------------------------------------------------------------------------------

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    # -- the API -------------------------------------------------------------------------------

    def reporting(self, stream: str, params: Mapping[str, str]) -> tuple[int, Record]:
        """Status and body of one reporting batch of ``stream`` (revisions or links)."""
        rows = self.revisions if stream == "workitemrevisions" else self.links
        token = params.get("continuationToken")
        try:
            start = int(token.split(";")[0]) if token else 0
        except ValueError:
            return 400, _error(f"VS403438: The continuation token {token!r} is not valid.")
        size = min(self.batch_size, int(params.get("$maxPageSize", self.batch_size)))
        chunk = rows[start : start + size]
        end = start + len(chunk)
        if chunk:
            last = chunk[-1]
            keys = ("id", "rev") if stream == "workitemrevisions" else ("sourceId", "targetId")
            next_token = f"{end};{last[keys[0]]};{last[keys[1]]}"
        else:
            next_token = token or str(end)
        if params.get("includeIdentityRef") != "true":
            chunk = [_identities_as_text(r) for r in chunk]
        link = f"{self.url}/{self.project}/_apis/wit/reporting/{stream}?continuationToken="
        return 200, {
            "values": chunk,
            "nextLink": link + next_token,
            "continuationToken": next_token,
            "isLastBatch": end >= len(rows),
        }

    def batch(self, body: Any) -> tuple[int, Record]:
        """Status and body of ``POST wit/workitemsbatch``."""
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            return 400, _error("VS402997: The request body must contain a list of ids.")
        if len(ids) > MAX_IDS:
            return 400, _error(
                f"VS403474: The work item batch request can have at most {MAX_IDS} ids."
            )
        omit = body.get("errorPolicy") == "omit"
        missing = [i for i in ids if i not in self.workitems]
        if missing and not omit:
            return 404, _error(f"TF401232: Work item {missing[0]} does not exist.")
        expand = str(body.get("$expand", "none")).lower() in ("relations", "all")
        values = [self._item(i, relations=expand) for i in ids]
        return 200, {"count": len(values), "value": values}

    def _item(self, item_id: int, *, relations: bool) -> Record | None:
        found = self.workitems.get(item_id)
        if found is None:
            return None
        return found if relations else {k: v for k, v in found.items() if k != "relations"}


def _identities_as_text(record: Record) -> Record:
    fields = record.get("fields")
    if not isinstance(fields, dict):
        return record
    text = {
        k: f"{v.get('displayName', '')} <{v.get('uniqueName', '')}>"
        if isinstance(v, dict) and "uniqueName" in v
        else v
        for k, v in fields.items()
    }
    return {**record, "fields": text}


def _error(message: str) -> Record:
    return {"$id": "1", "innerException": None, "message": message, "typeKey": "FakeException",
            "errorCode": 0, "eventId": 3000}  # fmt: skip


_AUTH_ERRORS: Mapping[str, tuple[int, str]] = {
    "401": (401, "TF400813: The user '' is not authorized to access this resource."),
    "403": (
        403,
        "TF401027: You need the permission 'View work items in this node' to "
        "perform this action (the PAT lacks the scope vso.work).",
    ),
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAzureDevOps
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: tests read the request list instead

    def do_GET(self) -> None:
        self._handle("GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self._handle("POST", body)

    def _handle(self, method: str, body: Any) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        with self.fake._lock:
            self.fake.requests.append((method, url.path, params, body))
        if self.fake.latency_s:
            time.sleep(self.fake.latency_s)
        fault = self.fake.next_fault()
        if fault in ("401", "403") or not self._authorised():
            status, message = _AUTH_ERRORS[fault if fault == "403" else "401"]
            self._send(status, _error(message))
            return
        if fault in ("429", "500", "404"):
            self._fail(fault)
            return
        status, answer = self._route(method, unquote(url.path), params, body)
        if fault == "slow":
            time.sleep(self.fake.slow_s)
        headers = (
            {"Retry-After": f"{self.fake.retry_after_s:g}"} if fault == "200-retry-after" else {}
        )
        self._send(status, answer, headers=headers, drop=fault == "drop")

    def _route(
        self, method: str, path: str, params: Mapping[str, str], body: Any
    ) -> tuple[int, Record]:
        project, _, api = path.strip("/").partition("/_apis/")
        if project != self.fake.project:
            return 404, _error(
                f"TF200016: The following project does not exist: {project}. Verify that the "
                "name of the project is correct and that the project exists on the specified "
                "Azure DevOps Server."
            )
        api = api.lower()
        if method == "GET" and api in ("wit/reporting/workitemrevisions",
                                       "wit/reporting/workitemlinks"):  # fmt: skip
            return self.fake.reporting(api.rsplit("/", 1)[1], params)
        if method == "POST" and api == "wit/workitemsbatch":
            return self.fake.batch(body)
        return 404, _error(f"VS403404: The resource {path} does not exist.")

    def _authorised(self) -> bool:
        if self.fake.pat is None:
            return True
        token = base64.b64encode(f":{self.fake.pat}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _fail(self, fault: Fault) -> None:
        if fault == "429":
            headers = {"Retry-After": f"{self.fake.retry_after_s:g}",
                       "X-RateLimit-Resource": "ATCPU"}  # fmt: skip
            message = ("TF400733: The request has been canceled: Request was blocked due to "
                       "exceeding usage of resource 'ATCPU' in namespace 'User'.")  # fmt: skip
            self._send(429, _error(message), headers=headers)
        elif fault == "404":
            self._send(404, _error("TF200016: The following project does not exist."))
        else:
            self._send(500, _error("VS402371: An unexpected error occurred (fake fault)."))

    def _send(
        self,
        status: int,
        body: Record,
        *,
        headers: Mapping[str, str] | None = None,
        drop: bool = False,
    ) -> None:
        send_json(
            self,
            status,
            body,
            content_type="application/json; charset=utf-8",
            headers=headers,
            drop=drop,
        )
