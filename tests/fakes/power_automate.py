"""A fake Dataverse Web API for Power Automate: ``flowsessions`` and ``workflows``.

``GET /api/data/v9.2/<table>`` with ``$select``, ``$orderby`` (``createdon asc,<id> asc``),
``$filter=createdon ge <time>`` and ``Prefer: odata.maxpagesize=N``: answers a page of at most N
records, ``Preference-Applied``, and ``@odata.nextLink`` (an absolute URL carrying the query and a
``$skiptoken``) on every page but the last. The same faults as ``FakeUiPath``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from tests.fakes.uipath import Answer, FakeODataServer, Record

API = "/api/data/v9.2/"
ID_FIELDS = {"flowsessions": "flowsessionid", "workflows": "workflowid"}
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize=(\d+)")
_SINCE = re.compile(r"^createdon ge (\S+)$")


class FakePowerAutomate(FakeODataServer):
    """The fake environment; ``tables`` maps ``flowsessions`` and ``workflows`` to records."""

    def __init__(self, tables: Mapping[str, Sequence[Record]], **options: Any) -> None:
        super().__init__(**options)
        self.tables = {name: [dict(r) for r in rows] for name, rows in tables.items()}

    def answer(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """One page of a table, ordered by (createdon, id), after the skip token."""
        table = path.removeprefix(API)
        rows = self.tables.get(table)
        if not path.startswith(API) or rows is None:
            error = {
                "code": "0x80060888",
                "message": f"Resource not found for the segment '{table}'.",
            }
            return 404, {"error": error}, {}
        id_field = ID_FIELDS.get(table, "id")
        since = _SINCE.match(params.get("$filter", "").strip())
        chosen = [r for r in rows if since is None or str(r.get("createdon", "")) >= since[1]]
        chosen.sort(key=lambda r: (str(r.get("createdon", "")), str(r.get(id_field, ""))))
        size_match = _MAXPAGESIZE.search(headers.get("prefer", ""))
        size = int(size_match[1]) if size_match else 5000
        skip = int(params.get("$skiptoken", "0"))
        fields = [f for f in params.get("$select", "").split(",") if f]
        page = [{k: r[k] for k in (fields or r) if k in r} for r in chosen[skip : skip + size]]
        body: Record = {"@odata.context": f"{self.url}{API}$metadata#{table}", "value": page}
        if skip + size < len(chosen):
            query = {k: v for k, v in params.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(skip + size)
            body["@odata.nextLink"] = f"{self.url}{path}?{urlencode(query)}"
        applied = {"Preference-Applied": f"odata.maxpagesize={size}"} if size_match else {}
        return 200, body, applied
