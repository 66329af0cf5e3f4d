"""The declared Azure DevOps streams and the pseudonymisation of identities.

- ``workitemrevisions`` and ``workitemlinks`` are the reporting API's batches: the first request
  has no token; every answer carries ``continuationToken`` (the stream's bookmark) and
  ``isLastBatch``. A batch flagged last ends this run (no request is spent to learn that the next
  batch is empty); the next run asks again with the stored token and gets what changed since.
- ``workitems`` reads the current work items with their relations, at most 200 ids a request
  (``POST _apis/wit/workitemsbatch``, the documented maximum; error VS403474 above it). It is a
  snapshot: every new run reads all ids again from the first, and a killed run resumes after the
  last stored batch (the bookmark is the batch's last id). Ids that no longer exist come back as
  ``null`` (``errorPolicy=omit``); they are counted in ``omitted``.

Only what the mapping reads is stored (``mapped_part``: no title, description or history), and
identities are replaced by pseudonyms before a batch is stored: every identity object (one with a
``uniqueName``, or a ``displayName`` with an ``id`` and a ``descriptor``/``imageUrl``/``_links``)
anywhere in a record becomes the pseudonym string, and so does every identity field sent as
``"Name <login>"`` text (``includeIdentityRef=false``). The user id hashed is the login
(``uniqueName``, or the part in angle brackets), so both shapes give one person one pseudonym.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from extractors.azure_devops.mapping import MAPPED_FIELDS, MAPPED_KEYS, MAPPED_RELATION_KEYS
from extractors.base import Bookmark, Cursor, Page
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser

REVISIONS = "workitemrevisions"
LINKS = "workitemlinks"
WORKITEMS = "workitems"
STREAM_NAMES = (REVISIONS, LINKS, WORKITEMS)
MAX_IDS_PER_BATCH = 200
API_VERSION = "7.1"

REPORTING_APIS: Mapping[str, str] = {
    REVISIONS: "wit/reporting/workitemrevisions",
    LINKS: "wit/reporting/workitemlinks",
}
WORKITEMS_API = "wit/workitemsbatch"

# Identity fields that arrive as "Display Name <login>" text without includeIdentityRef.
IDENTITY_FIELDS = frozenset(
    {
        "System.CreatedBy",
        "System.ChangedBy",
        "System.AssignedTo",
        "System.AuthorizedAs",
        "Microsoft.VSTS.Common.ActivatedBy",
        "Microsoft.VSTS.Common.ResolvedBy",
        "Microsoft.VSTS.Common.ClosedBy",
        "Microsoft.VSTS.Common.StateChangeBy",
        "Microsoft.VSTS.Common.ReviewedBy",
    }
)
_IDENTITY_MARKERS = ("descriptor", "imageUrl", "_links")


def is_identity(value: Mapping[str, Any]) -> bool:
    """Whether a JSON object is an Azure DevOps identity (IdentityRef)."""
    if "uniqueName" in value:
        return True
    return "displayName" in value and "id" in value and any(m in value for m in _IDENTITY_MARKERS)


def identity_user_id(value: Mapping[str, Any] | str) -> str:
    """The user id hashed for an identity: its login (``uniqueName``, or the ``<...>`` part of
    ``"Name <login>"`` text), else its id, descriptor or display name."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(">") and "<" in text:
            return text[text.rindex("<") + 1 : -1]
        return text
    for key in ("uniqueName", "id", "descriptor", "displayName"):
        found = value.get(key)
        if isinstance(found, str) and found.strip():
            return identity_user_id(found) if key == "uniqueName" else found
    return ""


def _link_id(identity: Mapping[str, Any], pseudonym: Pseudonymiser) -> None:
    """An identity that carries both its login and its ``id`` links them, so an identity sent
    later with its ``id`` alone gets the login's pseudonym (within one extraction run)."""
    login, key = identity.get("uniqueName"), identity.get("id")
    if isinstance(login, str) and isinstance(key, str):
        pseudonym.link(key, identity_user_id(login))


def pseudonymise_value(value: Any, pseudonym: Pseudonymiser) -> Any:
    """``value`` with every identity object in it replaced by its pseudonym."""
    if isinstance(value, dict):
        if is_identity(value):
            _link_id(value, pseudonym)
            return pseudonym(identity_user_id(value)) or ""
        # Most values are text or numbers: they are kept without a call each.
        return {
            k: v if type(v) in _PLAIN else pseudonymise_value(v, pseudonym)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [v if type(v) in _PLAIN else pseudonymise_value(v, pseudonym) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


def mapped_part(record: Any) -> Any:
    """Only the keys, fields and relation keys the mapping reads (``MAPPED_KEYS``,
    ``MAPPED_FIELDS``, ``MAPPED_RELATION_KEYS``): a title, a description, the history and its
    @-mentions never reach a raw batch."""
    if not isinstance(record, dict):
        # A record of unknown shape is set aside by its type alone: its text is not kept.
        return None if record is None else type(record)()
    kept = {k: v for k, v in record.items() if k in MAPPED_KEYS}
    if isinstance(kept.get("fields"), dict):
        kept["fields"] = {k: v for k, v in kept["fields"].items() if k in MAPPED_FIELDS}
    if isinstance(kept.get("relations"), list):
        kept["relations"] = [_relation_part(r) for r in kept["relations"]]
    return kept


def _relation_part(relation: Any) -> Any:
    if not isinstance(relation, dict):
        return relation
    return {k: v for k, v in relation.items() if k in MAPPED_RELATION_KEYS}


def pseudonymise_record(record: Any, pseudonym: Pseudonymiser) -> Any:
    """A copy of one revision, link or work item with only what the mapping reads
    (``mapped_part``) and its people replaced by pseudonyms."""
    record = mapped_part(record)
    out = pseudonymise_value(record, pseudonym)
    original = record.get("fields") if isinstance(record, dict) else None
    if isinstance(original, dict):
        fields = out["fields"]
        for name in IDENTITY_FIELDS & original.keys():
            text = original[name]  # only text identities: objects are pseudonyms already
            if isinstance(text, str) and text.strip():
                fields[name] = pseudonym(identity_user_id(text))
    return out


class JsonSource(Protocol):
    """What the streams need from the client (``DevOpsClient``)."""

    def project_path(self, api: str) -> str:
        """The path of ``api`` within the project."""
        ...

    def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The JSON object of one GET."""
        ...

    def post_json(
        self, path: str, params: Mapping[str, str], body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The JSON object of one POST."""
        ...


def reporting_params(stream: str, token: str | None, *, page_size: int | None) -> dict[str, str]:
    """Every query parameter of one reporting-API request, in the order sent."""
    params = {"api-version": API_VERSION}
    if stream == REVISIONS:
        params = {"includeIdentityRef": "true", **params}
        if page_size is not None:
            params["$maxPageSize"] = str(page_size)
    if token is not None:
        params["continuationToken"] = token
    return params


def batch_parts(body: Mapping[str, Any], what: str) -> tuple[list[Any], str, bool]:
    """``values``, ``continuationToken`` and ``isLastBatch`` of a reporting batch."""
    values, token = body.get("values"), body.get("continuationToken")
    if not isinstance(values, list) or not isinstance(token, str) or not token:
        raise FatalError(
            f"{what} returned no reporting batch (keys: {', '.join(body) or 'none'}); expected "
            "'values' and 'continuationToken': check organisation_url and that the server is "
            "Azure DevOps Services or Server 2019 or later."
        )
    return values, token, body.get("isLastBatch") is True


class ReportingStream:
    """A ``Stream`` over ``reporting/workitemrevisions`` or ``reporting/workitemlinks``."""

    def __init__(
        self,
        name: str,
        client: JsonSource,
        pseudonym: Pseudonymiser,
        *,
        page_size: int | None = None,
    ) -> None:
        if name not in REPORTING_APIS:
            raise FatalError(f"{name!r} is not a reporting stream ({', '.join(REPORTING_APIS)})")
        self._name = name
        self._client = client
        self._pseudonym = pseudonym
        self._page_size = page_size
        self._path = client.project_path(REPORTING_APIS[name])
        self._last_batch_token: str | None = None

    @property
    def name(self) -> str:
        """The stream's name (its raw folder)."""
        return self._name

    def fetch_page(self, cursor: Cursor) -> Page:
        """The batch after the cursor's token; empty once a batch came flagged last."""
        token = cursor.bookmark.value if cursor.bookmark else None
        if token is not None and token == self._last_batch_token:
            return Page((), {}, None)
        while True:
            params = reporting_params(self._name, token, page_size=self._page_size)
            body = self._client.get_json(self._path, params)
            values, next_token, last = batch_parts(body, f"GET {self._path}")
            if values:
                break
            if last or next_token == token:
                return Page((), params, None)
            token = next_token  # an empty batch that is not the last: go on reading
        if last:
            self._last_batch_token = next_token
        records = tuple(pseudonymise_record(v, self._pseudonym) for v in values)
        return Page(records, {"path": self._path, **params}, Bookmark(next_token))


class WorkItemsStream:
    """A ``Stream`` of the current work items (relations expanded), 200 ids a batch at most."""

    def __init__(
        self,
        client: JsonSource,
        pseudonym: Pseudonymiser,
        ids: Sequence[int],
        *,
        batch_size: int = MAX_IDS_PER_BATCH,
    ) -> None:
        if not 1 <= batch_size <= MAX_IDS_PER_BATCH:
            raise FatalError(
                f"batch_size {batch_size} is outside 1..{MAX_IDS_PER_BATCH}: Azure DevOps "
                f"returns at most {MAX_IDS_PER_BATCH} work items a request (VS403474)."
            )
        self._client = client
        self._pseudonym = pseudonym
        self._ids = sorted(set(ids))
        self._batch_size = batch_size
        self._path = client.project_path(WORKITEMS_API)
        self.omitted: list[int] = []

    @property
    def name(self) -> str:
        """The stream's name (its raw folder)."""
        return WORKITEMS

    def fetch_page(self, cursor: Cursor) -> Page:
        """The work items of the next batch of ids (from the first id in a new run)."""
        start = 0
        if cursor.resume and cursor.bookmark is not None:
            start = bisect.bisect_right(self._ids, int(cursor.bookmark.value))
        while start < len(self._ids):
            chunk = self._ids[start : start + self._batch_size]
            params = {"api-version": API_VERSION}
            body = {"ids": chunk, "$expand": "relations", "errorPolicy": "omit"}
            answer = self._client.post_json(self._path, params, body)
            values = answer.get("value")
            if not isinstance(values, list):
                raise FatalError(
                    f"POST {self._path} returned no 'value' list (keys: "
                    f"{', '.join(answer) or 'none'}): check organisation_url."
                )
            found = [v for v in values if v is not None]
            self.omitted.extend(_omitted(chunk, found))
            if found:
                records = tuple(pseudonymise_record(v, self._pseudonym) for v in found)
                request = {"path": self._path, **params, "ids": ",".join(map(str, chunk))}
                return Page(records, request, Bookmark(str(chunk[-1])))
            start += len(chunk)  # every id of the batch is gone: try the next batch
        return Page((), {}, None)


def _omitted(asked: Sequence[int], found: Sequence[Any]) -> list[int]:
    got = {v.get("id") for v in found if isinstance(v, dict)}
    return [i for i in asked if i not in got]
