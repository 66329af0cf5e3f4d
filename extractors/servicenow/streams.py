"""The declared ServiceNow streams and the keyset query of the Table API (Singer's design).

Each stream is one table read in ``(replication key, sys_id)`` order. The first page of a run
reads ``<rk> >= bookmark`` (ServiceNow times have one-second precision, so the bookmark's second
is read again and upserted by ``sys_id``); later pages continue strictly after the last row::

    F^rk>=B^rk>dt^NQF^rk>=B^rk=dt^sys_id>sid^ORDERBYrk^ORDERBYsys_id

where ``F`` is the stream's fixed filter (``^NQ`` is a top-level OR, so each branch repeats it).
Times in a query are plain ``YYYY-MM-DD HH:MM:SS`` UTC. Only declared fields are asked for
(``sysparm_fields``): free text (descriptions, comments, work notes) is never fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from extractors.base import Bookmark, Cursor, Page, Record
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser

ReplicationKey = Literal["sys_updated_on", "sys_created_on"]

# Fields that hold a person (a sys_user sys_id or a user name) on task tables.
TASK_PEOPLE = ("opened_by", "assigned_to", "sys_created_by", "sys_updated_by", "closed_by")
TASK_FIELDS = (
    "sys_id", "number", "state", "priority", "impact", "urgency", "assignment_group",
    "opened_at", "closed_at", "sys_class_name", "sys_created_on", "sys_updated_on",
    "sys_mod_count", "reassignment_count", "contact_type", *TASK_PEOPLE,
)  # fmt: skip
# sys_audit rows whose old and new values are people, and the fields whose history is mined.
AUDIT_PERSON_FIELDNAMES = frozenset({"assigned_to", "caller_id", "opened_by", "requested_for"})
AUDITED_FIELDNAMES = ("state", "assignment_group", "assigned_to", "priority")
# Fetched besides: an order's approval history, which the order view (models/landscape_orders.py)
# turns into "Approved"/"Rejected" events and the approval bottleneck is measured on.
AUDIT_STREAM_FIELDNAMES = (*AUDITED_FIELDNAMES, "approval")
TASK_TABLES = ("incident", "sc_request", "sc_req_item", "sc_task")


@dataclass(frozen=True)
class StreamSpec:
    """One declared stream: the table, its fields, keys, fixed filter and person fields.

    ``person_fields`` are pseudonymised before a page is stored. ``datetime_fields`` are UTC
    ``YYYY-MM-DD HH:MM:SS`` values, parsed when staged.
    """

    name: str
    fields: tuple[str, ...]
    replication_key: ReplicationKey = "sys_updated_on"
    primary_key: str = "sys_id"
    fixed_filter: str = ""
    person_fields: tuple[str, ...] = ()
    datetime_fields: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """The Table API path of the stream."""
        return f"/api/now/table/{self.name}"


def _task(
    name: str, *extra: str, people: tuple[str, ...] = (), times: tuple[str, ...] = ()
) -> StreamSpec:
    return StreamSpec(
        name=name,
        fields=(*TASK_FIELDS, *extra, *people),
        person_fields=(*TASK_PEOPLE, *people),
        datetime_fields=("opened_at", "closed_at", "sys_created_on", "sys_updated_on", *times),
    )


STREAMS: Mapping[str, StreamSpec] = {
    spec.name: spec
    for spec in (
        _task(
            "incident", "incident_state", "category", "subcategory", "resolved_at",
            "reopen_count", "parent_incident", "problem_id",
            people=("caller_id", "resolved_by"), times=("resolved_at",),
        ),
        _task("sc_request", "request_state", "approval", people=("requested_for",)),
        _task(
            "sc_req_item", "request", "cat_item", "stage", "approval", "correlation_id",
            people=("requested_for",),
        ),
        _task("sc_task", "request", "request_item"),
        StreamSpec(
            name="sys_audit",
            fields=(
                "sys_id", "tablename", "documentkey", "fieldname", "oldvalue", "newvalue",
                "user", "record_checkpoint", "sys_created_on", "sys_created_by",
            ),
            replication_key="sys_created_on",
            fixed_filter=(
                f"tablenameIN{','.join(TASK_TABLES)}^fieldnameIN{','.join(AUDIT_STREAM_FIELDNAMES)}"
            ),
            person_fields=("user", "sys_created_by"),
            datetime_fields=("sys_created_on",),
        ),
        StreamSpec(
            name="task_sla",
            fields=(
                "sys_id", "task", "sla", "stage", "start_time", "end_time", "planned_end_time",
                "has_breached", "business_percentage", "sys_created_on", "sys_updated_on",
            ),
            datetime_fields=(
                "start_time", "end_time", "planned_end_time", "sys_created_on", "sys_updated_on",
            ),
        ),
        StreamSpec(
            name="task_time_worked",
            fields=("sys_id", "task", "user", "time_worked", "sys_created_on", "sys_updated_on"),
            person_fields=("user",),
            datetime_fields=("sys_created_on", "sys_updated_on"),
        ),
        StreamSpec(
            name="time_card",
            fields=(
                "sys_id", "task", "user", "week_starts_on", "state", "category", "total",
                # The hours per weekday put a booking on its own day; u_aktivitet is KIT's
                # activity category (an absent custom field is left out by ServiceNow).
                "u_aktivitet", "monday", "tuesday", "wednesday", "thursday", "friday",
                "saturday", "sunday", "sys_created_on", "sys_updated_on",
            ),
            person_fields=("user",),
            datetime_fields=("sys_created_on", "sys_updated_on"),
        ),
        StreamSpec(
            name="sys_choice",
            fields=(
                "sys_id", "name", "element", "value", "label", "language", "inactive",
                "sys_updated_on",
            ),
            fixed_filter=f"nameIN{','.join((*TASK_TABLES, 'task'))}^elementINstate,priority,stage",
            datetime_fields=("sys_updated_on",),
        ),
        # Catalog items: their names select the orders of one service (an automation's work).
        StreamSpec(
            name="sc_cat_item",
            fields=("sys_id", "name", "active", "sys_updated_on"),
            datetime_fields=("sys_updated_on",),
        ),
        StreamSpec(
            name="sys_user_group",
            fields=("sys_id", "name", "parent", "active", "sys_updated_on"),
            datetime_fields=("sys_updated_on",),
        ),
    )
}  # fmt: skip


def stream_spec(name: str) -> StreamSpec:
    """The declared stream ``name``; raises with the known names when there is none."""
    spec = STREAMS.get(name)
    if spec is None:
        raise FatalError(
            f"there is no ServiceNow stream {name!r} (known: {', '.join(STREAMS)}): "
            "fix the 'tables' list of the configuration."
        )
    return spec


def build_query(spec: StreamSpec, cursor: Cursor) -> str:
    """The ``sysparm_query`` of the page after ``cursor`` (see the module docstring)."""
    rk, pk = spec.replication_key, spec.primary_key
    order = f"ORDERBY{rk}^ORDERBY{pk}"
    fixed = f"{spec.fixed_filter}^" if spec.fixed_filter else ""
    mark = cursor.bookmark
    if mark is None:
        return f"{fixed}{order}"
    if not cursor.resume:
        return f"{fixed}{rk}>={mark.value}^{order}"
    since = f"{fixed}{rk}>={mark.value}"
    return f"{since}^{rk}>{mark.value}^NQ{since}^{rk}={mark.value}^{pk}>{mark.key}^{order}"


def build_params(spec: StreamSpec, cursor: Cursor, *, page_size: int) -> dict[str, str]:
    """Every query parameter of one page request, in the order sent."""
    return {
        "sysparm_query": build_query(spec, cursor),
        "sysparm_fields": ",".join(spec.fields),
        "sysparm_limit": str(page_size),
        "sysparm_display_value": "false",
        "sysparm_exclude_reference_link": "true",
        "sysparm_no_count": "true",
    }


def pseudonymise_record(spec: StreamSpec, record: Record, pseudonym: Pseudonymiser) -> Record:
    """A copy of ``record`` with its people replaced by pseudonyms (sys_audit: also the old
    and new values of person fields)."""
    return pseudonymise_in_place(spec, dict(record), pseudonym)


def pseudonymise_in_place(
    spec: StreamSpec, record: Record, pseudonym: Callable[[str], str | None]
) -> Record:
    """``pseudonymise_record`` on ``record`` itself (a copy the caller made), returned;
    ``pseudonym`` is the ``Pseudonymiser`` or a cache in front of it."""
    for name in spec.person_fields:
        value = record.get(name)
        if isinstance(value, str):
            record[name] = pseudonym(value)
    if spec.name == "sys_audit" and record.get("fieldname") in AUDIT_PERSON_FIELDNAMES:
        for name in ("oldvalue", "newvalue"):
            value = record.get(name)
            if isinstance(value, str):
                record[name] = pseudonym(value)
    return record


def bookmark_after(spec: StreamSpec, records: tuple[Record, ...]) -> Bookmark | None:
    """The bookmark of the last record of a page that carries both keys (None if none does)."""
    for record in reversed(records):
        value, key = record.get(spec.replication_key), record.get(spec.primary_key)
        if isinstance(value, str) and value and isinstance(key, str) and key:
            return Bookmark(value, key)
    return None


class PageSource(Protocol):
    """What a table stream needs from the client: one GET of a page of records."""

    def get_records(self, path: str, params: Mapping[str, str]) -> list[Any]:
        """The ``result`` list of one page."""
        ...


@dataclass(frozen=True)
class TableStream:
    """A ``Stream`` over one ServiceNow table, pseudonymising each page before it is stored."""

    spec: StreamSpec
    client: PageSource
    pseudonym: Pseudonymiser
    page_size: int = 1000

    @property
    def name(self) -> str:
        """The stream's name (the table's name)."""
        return self.spec.name

    def fetch_page(self, cursor: Cursor) -> Page:
        """The page after ``cursor``, people pseudonymised."""
        params = build_params(self.spec, cursor, page_size=self.page_size)
        raw = self.client.get_records(self.spec.path, params)
        records = tuple(
            pseudonymise_record(self.spec, r, self.pseudonym) if isinstance(r, dict) else r
            for r in raw
        )
        return Page(records, params, bookmark_after(self.spec, records))
