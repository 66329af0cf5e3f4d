"""The declared robot streams: UiPath Orchestrator OData entities and Dataverse tables.

Only declared fields are kept (``$select`` on the API; the same projection for export pages), so
free text (``SpecificContent``, ``Output``, ``InputArguments``, ``Info``, exception details) never
reaches the data folder. People (robot accounts and session users: service accounts too) are
pseudonymised before a page is stored.

**UiPath paging and increments** (``$top``/``$orderby=Id``/``$filter=Id gt N``): ``Id`` is
assigned in creation order and never reused, so a keyset on it pages without the shifting that
``$skip`` suffers when items are added or deleted mid-read. Jobs and queue items change after
creation (Pending → Running → Successful), so the bookmark's ``key`` keeps a *low-water mark*:
one below the smallest ``Id`` of a record read while still unfinished. A resumed run continues
strictly after ``value`` (the last stored ``Id``); a new run starts after the low-water mark, so
every record that was unfinished is read again and staging keeps its newest version.

**Dataverse** (``flowsessions``, ``workflows``): server-driven paging with ``Prefer:
odata.maxpagesize`` and ``@odata.nextLink``, ordered by ``createdon`` then the id. The next link is
followed within a run; the bookmark is the last stored ``(createdon, id)``, so a killed run
restarts with ``createdon ge <value>`` and skips what it had stored, and a new run re-reads the
bookmark's second (staging keeps one version per id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from extractors.base import Bookmark, Cursor, Page, Record
from extractors.errors import FatalError
from extractors.files.privacy import redact_personal_values
from extractors.pseudonym import Pseudonymiser

Platform = Literal["uipath", "power-automate"]


@dataclass(frozen=True)
class RobotStreamSpec:
    """One declared stream: platform, entity (the API path's last part), its stored name, the
    fields kept, the id field, the unfinished test, the person fields (dotted for nested)."""

    platform: Platform
    entity: str
    fields: tuple[str, ...]
    id_field: str
    person_fields: tuple[str, ...] = ()
    unfinished_field: str = ""
    unfinished_values: frozenset[Any] = frozenset()
    time_field: str = "createdon"

    @property
    def name(self) -> str:
        """The folder under ``01_raw/robots/``: ``uipath-Jobs``, ``power-automate-flowsessions``."""
        return f"{self.platform}-{self.entity}"


UIPATH_STREAMS: Mapping[str, RobotStreamSpec] = {
    s.entity: s
    for s in (
        RobotStreamSpec(
            "uipath", "QueueDefinitions",
            ("Id", "Key", "Name", "MaxNumberOfRetries", "CreationTime", "OrganizationUnitId"),
            "Id",
        ),
        RobotStreamSpec(
            "uipath", "Jobs",
            ("Id", "Key", "ReleaseName", "State", "Source", "SourceType", "Type", "StartTime",
             "EndTime", "CreationTime", "HostMachineName", "OrganizationUnitId", "Robot"),
            "Id", person_fields=("Robot.Username",), unfinished_field="State",
            unfinished_values=frozenset(
                {"Pending", "Running", "Stopping", "Terminating", "Suspended", "Resumed"}
            ),
        ),
        RobotStreamSpec(
            "uipath", "QueueItems",
            ("Id", "Key", "QueueDefinitionId", "Status", "ReviewStatus", "Priority", "Reference",
             "ProcessingExceptionType", "ProcessingException", "StartProcessing",
             "EndProcessing", "SecondsInPreviousAttempts", "AncestorId", "RetryNumber",
             "CreationTime", "OrganizationUnitId", "Robot"),
            "Id", person_fields=("Robot.Username",), unfinished_field="Status",
            unfinished_values=frozenset({"New", "InProgress"}),
        ),
        RobotStreamSpec(
            "uipath", "QueueItemEvents",
            ("Id", "QueueItemId", "Timestamp", "Action", "Status", "ReviewStatus", "UserName"),
            "Id", person_fields=("UserName",),
        ),
    )
}  # fmt: skip
POWER_AUTOMATE_STREAMS: Mapping[str, RobotStreamSpec] = {
    s.entity: s
    for s in (
        RobotStreamSpec(
            "power-automate", "workflows",
            ("workflowid", "name", "category", "statecode", "createdon"), "workflowid",
        ),
        RobotStreamSpec(
            "power-automate", "flowsessions",
            ("flowsessionid", "name", "_regardingobjectid_value", "createdon", "startedon",
             "completedon", "statecode", "statuscode", "runmode", "triggertype", "runduration",
             "errorcode", "errormessage", "_machineid_value", "sessionusername"),
            "flowsessionid", person_fields=("sessionusername",),
        ),
    )
}  # fmt: skip
ALL_STREAMS: Mapping[str, RobotStreamSpec] = {
    s.name: s for s in (*UIPATH_STREAMS.values(), *POWER_AUTOMATE_STREAMS.values())
}
# ProcessingException keeps its reason and type; its Details are free text.
_EXCEPTION_FIELDS = ("Reason", "Type", "CreationTime")


def robot_stream(name: str) -> RobotStreamSpec:
    """A declared stream by stored name (``uipath-Jobs``) or entity (``Jobs``)."""
    spec = ALL_STREAMS.get(name) or UIPATH_STREAMS.get(name) or POWER_AUTOMATE_STREAMS.get(name)
    if spec is None:
        raise FatalError(
            f"there is no robot stream {name!r} (known: {', '.join(ALL_STREAMS)}): fix the "
            "robots configuration."
        )
    return spec


def clean_record(spec: RobotStreamSpec, record: Any, pseudonym: Pseudonymiser) -> Any:
    """The record with only declared fields, people pseudonymised (non-objects unchanged)."""
    if not isinstance(record, dict):
        return record
    out: Record = {k: record[k] for k in spec.fields if k in record}
    exception = out.get("ProcessingException")
    if isinstance(exception, dict):
        out["ProcessingException"] = {k: _redacted(exception.get(k)) for k in _EXCEPTION_FIELDS}
    if "errormessage" in out:
        out["errormessage"] = _redacted(out["errormessage"])
    for dotted in spec.person_fields:
        head, _, tail = dotted.partition(".")
        if tail:
            inner = out.get(head)
            if isinstance(inner, dict):
                out[head] = {tail: _pseudonym_of(inner.get(tail), pseudonym)}
        elif head in out:
            out[head] = _pseudonym_of(out[head], pseudonym)
    return out


def _redacted(value: Any) -> Any:
    """Text of an error with e-mail addresses, phone and CPR numbers removed."""
    return redact_personal_values(value) if isinstance(value, str) else value


def _pseudonym_of(value: Any, pseudonym: Pseudonymiser) -> Any:
    return pseudonym(value) if isinstance(value, str) else value


class ODataSource(Protocol):
    """What a robot stream needs from the client: one GET returning the JSON body."""

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON object at ``url`` (relative to the base URL, or absolute)."""
        ...


def uipath_params(spec: RobotStreamSpec, cursor: Cursor, *, page_size: int) -> dict[str, str]:
    """The query of the page after ``cursor`` (see the module docstring)."""
    params = {"$top": str(page_size), "$orderby": "Id asc", "$select": ",".join(spec.fields)}
    mark = cursor.bookmark
    if mark is not None:
        after = mark.value if cursor.resume or not mark.key else mark.key
        params["$filter"] = f"Id gt {int(after)}"
    return params


def _low_water(spec: RobotStreamSpec, cursor: Cursor, records: tuple[Any, ...]) -> str:
    """One below the smallest unfinished Id seen in this run (empty: none unfinished)."""
    known = cursor.bookmark.key if cursor.resume and cursor.bookmark else ""
    lows = [int(known)] if known else []
    lows += [
        int(r["Id"]) - 1
        for r in records
        if isinstance(r, dict) and spec.unfinished_field
        and r.get(spec.unfinished_field) in spec.unfinished_values
    ]  # fmt: skip
    return str(min(lows)) if lows else ""


@dataclass(frozen=True)
class UiPathStream:
    """A ``Stream`` over one Orchestrator OData entity of one folder."""

    spec: RobotStreamSpec
    client: ODataSource
    pseudonym: Pseudonymiser
    page_size: int = 1000

    @property
    def name(self) -> str:
        """The stream's stored name."""
        return self.spec.name

    def fetch_page(self, cursor: Cursor) -> Page:
        """The page after ``cursor``, cleaned and pseudonymised."""
        params = uipath_params(self.spec, cursor, page_size=self.page_size)
        body = self.client.get_json(f"odata/{self.spec.entity}", params)
        records = tuple(clean_record(self.spec, r, self.pseudonym) for r in _values(body))
        ids = [r["Id"] for r in records if isinstance(r, dict) and isinstance(r.get("Id"), int)]
        mark = Bookmark(str(ids[-1]), _low_water(self.spec, cursor, records)) if ids else None
        return Page(records, params, mark)


def _values(body: Mapping[str, Any]) -> list[Any]:
    values = body.get("value")
    if not isinstance(values, list):
        raise FatalError(
            f"the response has no 'value' list (keys: {', '.join(body)}): the base_url must "
            "point at the OData service root (…/orchestrator_/ or …/api/data/v9.2/)."
        )
    return values


class DataverseStream:
    """A ``Stream`` over one Dataverse table, following ``@odata.nextLink`` within a run."""

    def __init__(
        self,
        spec: RobotStreamSpec,
        client: ODataSource,
        pseudonym: Pseudonymiser,
        *,
        page_size: int = 5000,
    ) -> None:
        self.spec, self.client, self.pseudonym, self.page_size = spec, client, pseudonym, page_size
        self._next: tuple[Bookmark, str] | None = None  # (bookmark it follows, next link)

    @property
    def name(self) -> str:
        """The stream's stored name."""
        return self.spec.name

    def first_params(self, cursor: Cursor) -> dict[str, str]:
        """The query that starts (or restarts) the read at ``cursor``."""
        key = f"{self.spec.time_field} asc,{self.spec.id_field} asc"
        params = {"$select": ",".join(self.spec.fields), "$orderby": key}
        if cursor.bookmark is not None:
            params["$filter"] = f"{self.spec.time_field} ge {cursor.bookmark.value}"
        return params

    def fetch_page(self, cursor: Cursor) -> Page:
        """The next page after ``cursor``: by the next link when it continues our last page."""
        follows = self._next is not None and cursor.resume and self._next[0] == cursor.bookmark
        if follows:
            assert self._next is not None
            url, params = self._next[1], None
        else:
            url, params = self.spec.entity, self.first_params(cursor)
        while True:
            body = self.client.get_json(url, params)
            records = tuple(
                clean_record(self.spec, r, self.pseudonym)
                for r in _values(body)
                if not (cursor.resume and not follows and self._stored(r, cursor.bookmark))
            )
            link = body.get("@odata.nextLink")
            if records or not isinstance(link, str):
                break
            url, params = link, None  # every record of this page was stored before
        mark = self._bookmark_of(records)
        self._next = (mark, link) if mark is not None and isinstance(link, str) else None
        request = {"url": url, **(params or {})}
        return Page(records, request, mark)

    def _stored(self, record: Any, mark: Bookmark | None) -> bool:
        if mark is None or not isinstance(record, dict):
            return False
        position = (str(record.get(self.spec.time_field)), str(record.get(self.spec.id_field)))
        return position <= (mark.value, mark.key)

    def _bookmark_of(self, records: tuple[Any, ...]) -> Bookmark | None:
        for r in reversed(records):
            if isinstance(r, dict) and r.get(self.spec.time_field) and r.get(self.spec.id_field):
                return Bookmark(str(r[self.spec.time_field]), str(r[self.spec.id_field]))
        return None
