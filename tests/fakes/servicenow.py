"""A fake ServiceNow Table API: the records you give it, served with the real contracts.

It evaluates the encoded queries the extractor sends (``^`` AND, ``^NQ`` top-level OR, the
operators ``= != > >= < <= IN STARTSWITH``, ``ORDERBY``/``ORDERBYDESC``; a condition on an
unknown field is ignored, as ServiceNow does, and noted in ``ignored_conditions``), applies
``sysparm_limit``/``sysparm_offset`` *before* access filtering (records in ``hidden`` vanish from
their page, which comes back short), projects ``sysparm_fields``, and wraps reference fields as
``{"link", "value"}`` unless ``sysparm_exclude_reference_link=true``.

Faults are scripted with ``fail_next``: ``"429"`` (with ``Retry-After``), ``"500"``, ``"slow"``
(answers after ``slow_s``, beyond a short client timeout), ``"drop"`` (sends half the body and
closes the connection), ``"401"``, ``"403"``.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.http import FakeServer, send_json

Record = dict[str, Any]
_CONTENT_TYPE = "application/json;charset=UTF-8"  # as the real API labels its JSON
Fault = Literal["429", "500", "slow", "drop", "401", "403"]

_CONDITION = re.compile(r"^([a-z0-9_.]+?)(STARTSWITH|IN|>=|<=|!=|>|<|=)(.*)$", re.DOTALL)
_TABLE_PATH = re.compile(r"^/api/now/table/([A-Za-z0-9_]+)$")
# Reference fields per table: wrapped as {"link", "value"} unless the client excludes links.
REFERENCE_FIELDS: Mapping[str, frozenset[str]] = {
    "incident": frozenset(
        {"caller_id", "opened_by", "assigned_to", "assignment_group", "resolved_by", "closed_by"}
    ),
    "task_sla": frozenset({"task", "sla"}),
    "task_time_worked": frozenset({"task", "user"}),
    "sys_user_group": frozenset({"parent"}),
}


class FakeServiceNow(FakeServer[Fault]):
    """The fake instance; use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(
        self,
        tables: Mapping[str, Sequence[Record]],
        *,
        hidden: Collection[str] = (),
        credentials: tuple[str, str] | None = None,
        retry_after_s: float = 1.0,
        slow_s: float = 1.0,
        latency_s: float = 0.0,
    ) -> None:
        self.tables = {name: [dict(r) for r in rows] for name, rows in tables.items()}
        self.hidden = frozenset(hidden)
        self.credentials = credentials
        self.retry_after_s = retry_after_s
        self.slow_s = slow_s
        self.latency_s = latency_s
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.ignored_conditions: list[str] = []
        super().__init__()

    # -- control -------------------------------------------------------------------------------

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    # -- the Table API -------------------------------------------------------------------------

    def answer(self, table: str, params: Mapping[str, str]) -> tuple[int, Record]:
        """Status and JSON body of ``GET /api/now/table/<table>`` with ``params``."""
        rows = self.tables.get(table)
        if rows is None:
            return 404, _error(f"Invalid table {table}", None)
        selected = self._select(table, rows, params.get("sysparm_query", ""))
        offset = int(params.get("sysparm_offset", "0"))
        limit = int(params.get("sysparm_limit", "10000"))
        # The limit is applied before access control: hidden records leave a short page.
        page = [r for r in selected[offset : offset + limit] if r.get("sys_id") not in self.hidden]
        fields = [f for f in params.get("sysparm_fields", "").split(",") if f]
        links = params.get("sysparm_exclude_reference_link", "false") != "true"
        return 200, {"result": [self._project(table, r, fields, links=links) for r in page]}

    def _select(self, table: str, rows: list[Record], query: str) -> list[Record]:
        known = set().union(*(r.keys() for r in rows)) if rows else set()
        branches, order = _parse_query(query)
        conditions = [[c for c in branch if self._known(c, known)] for branch in branches]
        chosen = [r for r in rows if any(all(_holds(r, c) for c in b) for b in conditions)]
        for name, descending in reversed(order):  # stable sorts, last key first
            chosen.sort(key=_sort_key(name), reverse=descending)
        return chosen

    def _known(self, condition: tuple[str, str, str], known: set[str]) -> bool:
        if condition[0] in known:
            return True
        with self._lock:
            self.ignored_conditions.append("".join(condition))
        return False

    def _project(self, table: str, row: Record, fields: list[str], *, links: bool) -> Record:
        names = fields or list(row)
        out = {n: row[n] for n in names if n in row}
        if links:
            for name in REFERENCE_FIELDS.get(table, frozenset()) & out.keys():
                value = out[name]
                if value:
                    out[name] = {"link": f"{self.url}/api/now/table/x/{value}", "value": value}
        return out


def _sort_key(name: str) -> Callable[[Record], str]:
    return lambda row: str(row.get(name, ""))


def _error(message: str, detail: str | None) -> Record:
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


def _parse_query(query: str) -> tuple[list[list[tuple[str, str, str]]], list[tuple[str, bool]]]:
    branches: list[list[tuple[str, str, str]]] = []
    order: list[tuple[str, bool]] = []
    for branch_text in query.split("^NQ"):
        branch: list[tuple[str, str, str]] = []
        for part in (p for p in branch_text.split("^") if p):
            if part.startswith("ORDERBYDESC"):
                order.append((part.removeprefix("ORDERBYDESC"), True))
            elif part.startswith("ORDERBY"):
                order.append((part.removeprefix("ORDERBY"), False))
            elif match := _CONDITION.match(part):
                branch.append((match[1], match[2], match[3]))
        branches.append(branch)
    return branches, order


def _holds(row: Record, condition: tuple[str, str, str]) -> bool:
    field, op, wanted = condition
    value = str(row.get(field, ""))
    if op == "IN":
        return value in wanted.split(",")
    if op == "STARTSWITH":
        return value.startswith(wanted)
    return {
        "=": value == wanted,
        "!=": value != wanted,
        ">": value > wanted,
        ">=": value >= wanted,
        "<": value < wanted,
        "<=": value <= wanted,
    }[op]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeServiceNow
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: tests read the request list instead

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        with self.fake._lock:
            self.fake.requests.append((url.path, params))
        if self.fake.latency_s:
            time.sleep(self.fake.latency_s)
        fault = self.fake.next_fault()
        if fault in ("401", "403") or not self._authorised():
            self._send(401 if fault != "403" else 403, _error(*_AUTH_ERRORS[fault or "401"]))
            return
        match = _TABLE_PATH.match(url.path)
        if match is None:
            self._send(400, _error("Requested URI does not represent any resource", url.path))
            return
        if fault in ("429", "500"):
            self._fail(fault)
            return
        status, body = self.fake.answer(match[1], params)
        if fault == "slow":
            time.sleep(self.fake.slow_s)
        self._send(status, body, drop=fault == "drop")

    def _authorised(self) -> bool:
        expected = self.fake.credentials
        if expected is None:
            return True
        token = base64.b64encode(f"{expected[0]}:{expected[1]}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _fail(self, fault: Fault) -> None:
        if fault == "429":
            headers = {"Retry-After": f"{self.fake.retry_after_s:g}"}
            self._send(429, _error("Too Many Requests", "rate limit exceeded"), headers=headers)
        else:
            self._send(500, _error("Internal server error", "fake fault"))

    def _send(
        self,
        status: int,
        body: Record,
        *,
        headers: Mapping[str, str] | None = None,
        drop: bool = False,
    ) -> None:
        send_json(self, status, body, content_type=_CONTENT_TYPE, headers=headers, drop=drop)


_AUTH_ERRORS: Mapping[str, tuple[str, str]] = {
    "401": ("User Not Authenticated", "Required to provide Auth information"),
    "403": ("User Not Authorized", "ACL Exception Insufficient rights to query records"),
}


# -- a generated landscape ----------------------------------------------------------------------

GROUPS = ("Servicedesk", "Klient og Print", "Netværk", "Applikationsdrift", "Sikkerhed", "FU")
STATE_LABELS = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed"}


def _sys_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _snow(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def generate_landscape(
    *, incidents: int, seed: int = 1, start: dt.datetime | None = None
) -> dict[str, list[Record]]:
    """Realistic-shaped tables for ``incidents`` incidents: incident, sys_audit, task_sla,
    sys_choice and sys_user_group. Times fall on whole minutes, so many records share a
    ``sys_updated_on`` second (which is what the keyset has to get right)."""
    rng = random.Random(seed)
    begin = start or dt.datetime(2025, 3, 3, 7, 0, tzinfo=dt.UTC)
    groups = [{"sys_id": _sys_id(rng), "name": n, "parent": "", "active": "true",
               "sys_updated_on": "2024-01-01 00:00:00"} for n in GROUPS]  # fmt: skip
    agents = [f"kk-agent-{i:03d}x" for i in range(12)]
    callers = [_sys_id(rng) for _ in range(30)]
    tables: dict[str, list[Record]] = {
        "incident": [], "sys_audit": [], "task_sla": [], "sys_user_group": groups,
        "sys_choice": _choices(rng),
    }  # fmt: skip
    for number in range(incidents):
        opened = begin + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        _one_incident(
            tables, rng, number=number, opened=opened, groups=groups, agents=agents, callers=callers
        )
    return tables


def _choices(rng: random.Random) -> list[Record]:
    return [
        {"sys_id": _sys_id(rng), "name": "incident", "element": "state", "value": value,
         "label": label, "language": "en", "inactive": "false",
         "sys_updated_on": "2024-01-01 00:00:00"}
        for value, label in STATE_LABELS.items()
    ]  # fmt: skip


def _one_incident(
    tables: dict[str, list[Record]],
    rng: random.Random,
    *,
    number: int,
    opened: dt.datetime,
    groups: list[Record],
    agents: list[str],
    callers: list[str],
) -> None:
    sys_id, creator = _sys_id(rng), rng.choice(agents)
    first, second = rng.sample(groups, 2)
    path = ["2", "3", "2", "6", "7"] if rng.random() < 0.3 else ["2", "6", "7"]
    moment, old_state, changes = opened, "1", []
    for new_state in path:
        moment += dt.timedelta(minutes=rng.randrange(1, 240))
        changes.append((moment, "state", old_state, new_state))
        old_state = new_state
    changes.insert(1, (changes[0][0], "assignment_group", first["sys_id"], second["sys_id"]))
    for when, field, old, new in changes:
        tables["sys_audit"].append(
            {"sys_id": _sys_id(rng), "tablename": "incident", "documentkey": sys_id,
             "fieldname": field, "oldvalue": old, "newvalue": new, "user": rng.choice(agents),
             "record_checkpoint": "1", "sys_created_on": _snow(when),
             "sys_created_by": rng.choice(agents)}
        )  # fmt: skip
    resolved = changes[-2][0]
    tables["incident"].append(
        {"sys_id": sys_id, "number": f"INC{10000 + number:07d}", "state": "7",
         "incident_state": "7", "priority": str(rng.randint(1, 4)), "impact": "2", "urgency": "2",
         "category": rng.choice(["software", "hardware", "network"]), "subcategory": "",
         "caller_id": rng.choice(callers), "opened_by": creator,
         "assignment_group": second["sys_id"], "assigned_to": rng.choice(agents),
         "opened_at": _snow(opened), "resolved_at": _snow(resolved), "closed_at": _snow(moment),
         "resolved_by": rng.choice(agents), "closed_by": "system", "reassignment_count": "1",
         "reopen_count": "0", "contact_type": "self-service", "parent_incident": "",
         "problem_id": "", "sys_class_name": "incident", "sys_created_on": _snow(opened),
         "sys_created_by": creator, "sys_updated_on": _snow(moment), "sys_updated_by": "system",
         "sys_mod_count": str(len(changes)), "short_description": "Kan ikke logge på"}
    )  # fmt: skip
    tables["task_sla"].append(
        {"sys_id": _sys_id(rng), "task": sys_id, "sla": "a" * 32, "stage": "completed",
         "start_time": _snow(opened), "end_time": _snow(resolved),
         "planned_end_time": _snow(opened + dt.timedelta(hours=8)),
         "has_breached": "true" if resolved > opened + dt.timedelta(hours=8) else "false",
         "business_percentage": "50.0", "sys_created_on": _snow(opened),
         "sys_updated_on": _snow(resolved)}
    )  # fmt: skip
