"""Pure mapping of Azure DevOps batches: raw records to staged tables to event rows.

The same functions serve the API and saved exports. Staging renames and casts only; free text
(titles, descriptions, comments) never reaches a staged table. Records that cannot be staged are
quarantined with the reason (row_number = position among all records read, 1-based).

Staged tables (``02_intermediate/azure-devops/``):

- ``revisions``: one row per (id, rev), the latest read winning; ``parent`` is System.Parent.
- ``links``: one row per link-history entry (rel, source_id, target_id, changed_date,
  is_active), exact repeats read twice kept once.
- ``workitems``: one row per work item, its latest read (the current state).
- ``relations``: one row per relation of the latest read of each work item; ``target_id`` for
  links to work items (null for a Hyperlink and other artefacts); a Hyperlink to a ServiceNow
  requested item gives ``servicenow_sys_id`` (``.../sc_req_item.do?sys_id=<sys_id>``) or
  ``servicenow_number`` (``.../nav_to.do?uri=sc_req_item.do?sysparm_query=number=<RITM>``).

The event log: one case per work item (case id = the id as text), from its revisions in rev
order:

- revision 1: "Created";
- a later revision whose System.State differs from the previous revision's: "State: <state>";
- whose System.AreaPath differs: "Area changed"; whose System.IterationPath differs:
  "Iteration changed" (a revision with several changes gives several events, in this order);
- a revision that changed none of these (a title, an assignment) gives no event.

A work item whose revision 1 was not read (history outside the extracted range) starts at its
first change after the first revision read, with a note. Timestamp = System.ChangedDate;
resource = the pseudonym of System.ChangedBy; org_unit = the service area of the revision's area
path: the first segment below the project root (``KIT\\Drift og Infrastruktur`` gives ``Drift og
Infrastruktur``, and a team below it keeps its service area), or ``<root> (rod)`` for work filed
at the project root itself. Event attributes: work_item_type, area_path, iteration_path, state,
parent and rev; case attributes (from the latest revision read): ``case:work_item_type``,
``case:parent_id`` and ``case:parent_type`` (the parent's type, null when the parent was not
read), as the hierarchy rules of ``docs/examples/rules.yaml`` expect; source_system =
``azure-devops``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import polars as pl

from extractors.errors import SkippableRecord
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    ORG_UNIT,
    RESOURCE,
    SOURCE_SYSTEM,
    TIMESTAMP,
    UTC_DATETIME,
    empty_quarantine,
)

SOURCE = "azure-devops"
ROOT_LABEL = "{root} (rod)"
PATH_SEPARATOR = "\\"

REVISION_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "rev": pl.Int64(),
    "work_item_type": pl.String(),
    "state": pl.String(),
    "reason": pl.String(),
    "area_path": pl.String(),
    "iteration_path": pl.String(),
    "team_project": pl.String(),
    "parent": pl.Int64(),
    "created_date": UTC_DATETIME,
    "changed_date": UTC_DATETIME,
    "activated_date": UTC_DATETIME,
    "closed_date": UTC_DATETIME,
    "changed_by": pl.String(),
    "assigned_to": pl.String(),
    "created_by": pl.String(),
}
LINK_SCHEMA: Mapping[str, pl.DataType] = {
    "rel": pl.String(),
    "source_id": pl.Int64(),
    "target_id": pl.Int64(),
    "changed_date": UTC_DATETIME,
    "is_active": pl.Boolean(),
}
WORKITEM_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "rev": pl.Int64(),
    "work_item_type": pl.String(),
    "state": pl.String(),
    "area_path": pl.String(),
    "iteration_path": pl.String(),
    "parent": pl.Int64(),
    "created_date": UTC_DATETIME,
    "changed_date": UTC_DATETIME,
}
RELATION_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "rel": pl.String(),
    "target_id": pl.Int64(),
    "url": pl.String(),
    "servicenow_sys_id": pl.String(),
    "servicenow_number": pl.String(),
}

# Staged column -> field reference name (System.*, Microsoft.VSTS.*).
_REVISION_TEXT = {
    "work_item_type": "System.WorkItemType",
    "state": "System.State",
    "reason": "System.Reason",
    "area_path": "System.AreaPath",
    "iteration_path": "System.IterationPath",
    "team_project": "System.TeamProject",
}
_REVISION_TIMES = {
    "created_date": "System.CreatedDate",
    "changed_date": "System.ChangedDate",
    "activated_date": "Microsoft.VSTS.Common.ActivatedDate",
    "closed_date": "Microsoft.VSTS.Common.ClosedDate",
}
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"
_REVISION_PEOPLE = {
    "changed_by": "System.ChangedBy",
    "assigned_to": "System.AssignedTo",
    "created_by": "System.CreatedBy",
}
MAPPED_FIELDS = frozenset(
    {
        *_REVISION_TEXT.values(),
        *_REVISION_TIMES.values(),
        *_REVISION_PEOPLE.values(),
        "System.Id",
        "System.Rev",
        "System.Parent",
    }
)
"""The fields of a revision or work item the mapping reads: all a raw batch keeps of them."""
MAPPED_KEYS = frozenset(
    {"id", "rev", "fields", "relations", "rel", "sourceId", "targetId", "changedDate", "isActive"}
)
"""The keys of a revision, work item or link record the mapping reads."""
MAPPED_RELATION_KEYS = frozenset({"rel", "url"})
"""The keys of a work item's relation the mapping reads (not its comment attributes)."""
_WORK_ITEM_URL = re.compile(r"/_apis/wit/workItems/(\d+)/?$", re.IGNORECASE)
_SN_SYS_ID = re.compile(r"sc_req_item\.do\?(?:[^#]*&)?sys_id=([0-9A-Fa-f]{32})(?:[&#]|$)")
_SN_NUMBER = re.compile(r"sc_req_item\.do\?(?:[^#]*[&^])?sysparm_query=number=([A-Za-z]+\d+)")


@dataclass(frozen=True)
class StagedTable:
    """One staged table (``frame``, its grain in the module docstring) and the records set
    aside (``quarantine``: row_number, reason, record)."""

    name: str
    frame: pl.DataFrame
    quarantine: pl.DataFrame


# -- values -----------------------------------------------------------------------------------


def parse_time(value: Any, name: str) -> dt.datetime | None:
    """An ISO-8601 time with a zone (``2015-08-25T21:54:46.06Z``) as UTC; None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SkippableRecord(f"{name} is {value!r}, not an ISO-8601 time text")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise SkippableRecord(
            f"{name} is {value!r}, not an ISO-8601 time such as 2024-03-01T09:30:00.12Z"
        ) from error
    if moment.tzinfo is None:
        raise SkippableRecord(f"{name} is {value!r}, a time without zone (the API sends UTC, Z)")
    return moment.astimezone(dt.UTC)


def _integer(value: Any, name: str, *, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise SkippableRecord(f"no {name}: the record cannot be identified")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SkippableRecord(f"{name} is {value!r}, not a whole number")
    try:
        return int(value)
    except ValueError as error:
        raise SkippableRecord(f"{name} is {value!r}, not a whole number") from error


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise SkippableRecord(f"{name} is {json.dumps(value)[:80]}, not text")


def _person(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    # Raw pages hold pseudonyms only; an object here was stored without pseudonymisation.
    raise SkippableRecord(
        f"{name} is an object, not a pseudonym: the batch was stored without pseudonymisation; "
        "extract again (the identity is not copied anywhere)"
    )


def _fields_of(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise SkippableRecord(f"not a JSON object but {type(record).__name__}: unknown shape")
    fields = record.get("fields")
    if not isinstance(fields, dict):
        raise SkippableRecord(
            "no 'fields' object: not a work item revision (unknown shape); was the batch "
            "saved from another endpoint?"
        )
    return fields


# -- revisions --------------------------------------------------------------------------------


def revision_row(record: Any) -> dict[str, Any]:
    """The staged row of one revision; raises ``SkippableRecord`` with the reason."""
    fields = _fields_of(record)
    row: dict[str, Any] = {
        "id": _integer(record.get("id", fields.get("System.Id")), "id", required=True),
        "rev": _integer(record.get("rev", fields.get("System.Rev")), "rev", required=True),
    }
    for column, name in _REVISION_TEXT.items():
        row[column] = _text(fields.get(name), name)
    row["parent"] = _integer(fields.get("System.Parent"), "System.Parent", required=False)
    for column, name in _REVISION_TIMES.items():
        row[column] = parse_time(fields.get(name), name)
    if row["changed_date"] is None:
        raise SkippableRecord("no System.ChangedDate: the revision cannot be placed in time")
    for column, name in _REVISION_PEOPLE.items():
        row[column] = _person(fields.get(name), name)
    return row


def stage_revisions(records: Iterable[Any]) -> StagedTable:
    """Stage revisions read in batch order (a later read of the same id and rev wins)."""
    listed = records if isinstance(records, list) else list(records)
    staged = _stage_plain_revisions(listed)
    if staged is not None:
        return staged
    return _stage(
        listed,
        revision_row,
        lambda r: (r["id"], r["rev"]),
        name="revisions",
        schema=REVISION_SCHEMA,
        sort=["id", "rev"],
    )


_ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"
_FIELD_COLUMNS = {
    name: column
    for columns in (_REVISION_TEXT, _REVISION_TIMES, _REVISION_PEOPLE)
    for column, name in columns.items()
}


def _plain_revision_frame(records: list[Any]) -> pl.DataFrame | None:
    """The revision columns of plain records, before the checks of ``revision_row`` that need
    a reason (no id, rev or changed date); None when a record is not plain."""
    if not records or not all(type(r) is dict and type(r.get("fields")) is dict for r in records):
        return None
    fields = [r["fields"] for r in records]
    ids = [
        r["id"] if "id" in r else f.get("System.Id") for r, f in zip(records, fields, strict=True)
    ]
    revs = [
        r["rev"] if "rev" in r else f.get("System.Rev")
        for r, f in zip(records, fields, strict=True)
    ]
    parents = [f.get("System.Parent") for f in fields]
    if not {type(v) for v in (*ids, *revs, *parents)} <= {int, type(None)}:
        return None
    if not {type(f.get(n)) for f in fields for n in _FIELD_COLUMNS} <= {str, type(None)}:
        return None
    text = pl.from_dicts(fields, schema=dict.fromkeys(_FIELD_COLUMNS, pl.String()))
    text = text.rename(_FIELD_COLUMNS).with_columns(
        pl.col(c).replace("", None) for c in (*_REVISION_TIMES, *_REVISION_PEOPLE)
    )
    times = [pl.col(c) for c in _REVISION_TIMES]
    shaped = pl.all_horizontal(t.is_null() | t.str.contains(_ISO_UTC) for t in times)
    if not text.select(shaped).to_series().all():
        return None
    frame = text.with_columns(
        pl.Series("id", ids, dtype=pl.Int64()),
        pl.Series("rev", revs, dtype=pl.Int64()),
        pl.Series("parent", parents, dtype=pl.Int64()),
        *(t.str.to_datetime(_ISO_FORMAT, time_zone="UTC", time_unit="us", strict=False)
          for t in times),
    ).select(REVISION_SCHEMA.keys())  # fmt: skip
    unparsed = pl.any_horizontal(
        frame[c].is_null() & text[c].is_not_null() for c in _REVISION_TIMES
    )
    # A date such as 2024-02-30: revision_row says why.
    return None if frame.select(unparsed).to_series().any() else frame


def _stage_plain_revisions(records: list[Any]) -> StagedTable | None:
    """``stage_revisions`` in polars for the usual batch: objects with a ``fields`` object,
    whole-number ids, text values and times like ``2024-03-01T09:30:00.12Z``. None for anything
    else, which ``revision_row`` stages record by record."""
    frame = _plain_revision_frame(records)
    if frame is None:
        return None
    usable = pl.col("id").is_not_null() & pl.col("rev").is_not_null()
    usable = usable & pl.col("changed_date").is_not_null()
    flagged = frame.with_row_index("_position").with_columns(usable.alias("_usable"))
    bad: list[tuple[int, str, Any]] = []
    for position in flagged.filter(~pl.col("_usable"))["_position"].to_list():
        try:
            revision_row(records[position])
        except SkippableRecord as skipped:
            bad.append((position + 1, skipped.reason, records[position]))
            continue
        return None  # the two checks disagree: stage record by record
    good = flagged.filter(pl.col("_usable")).filter(
        pl.col("_position") == pl.col("_position").max().over("id", "rev")
    )
    staged = good.drop("_position", "_usable").sort(["id", "rev"], nulls_last=True)
    return StagedTable("revisions", staged, quarantine_frame(bad))


# -- links ------------------------------------------------------------------------------------


def link_row(record: Any) -> dict[str, Any]:
    """The staged row of one link-history entry; raises ``SkippableRecord``."""
    if not isinstance(record, dict) or ("sourceId" not in record and "targetId" not in record):
        raise SkippableRecord("not a work item link (no sourceId/targetId): unknown shape")
    active = record.get("isActive")
    if not isinstance(active, bool):
        raise SkippableRecord(f"isActive is {active!r}, not true or false")
    changed = parse_time(record.get("changedDate"), "changedDate")
    if changed is None:
        raise SkippableRecord("no changedDate: the link change cannot be placed in time")
    return {
        "rel": _text(record.get("rel"), "rel"),
        "source_id": _integer(record.get("sourceId"), "sourceId", required=True),
        "target_id": _integer(record.get("targetId"), "targetId", required=True),
        "changed_date": changed,
        "is_active": active,
    }


def stage_links(records: Iterable[Any]) -> StagedTable:
    """Stage link-history entries in read order (an entry read twice is kept once)."""
    return _stage(
        records,
        link_row,
        lambda r: (r["rel"], r["source_id"], r["target_id"], r["changed_date"], r["is_active"]),
        name="links",
        schema=LINK_SCHEMA,
        sort=["changed_date", "source_id", "target_id", "rel"],
    )


# -- work items and relations -----------------------------------------------------------------


def workitem_rows(record: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The staged work-item row and relation rows of one work item; raises
    ``SkippableRecord`` (the whole item is set aside, relations included)."""
    revision = revision_row(record)
    item = {name: revision[name] for name in WORKITEM_SCHEMA}
    relations = record.get("relations") or []
    if not isinstance(relations, list):
        raise SkippableRecord("'relations' is not a list: unknown shape")
    return item, [relation_row(item["id"], r) for r in relations]


def relation_row(item_id: int, relation: Any) -> dict[str, Any]:
    """One relation of a work item: its kind, target work item or URL, ServiceNow keys."""
    if not isinstance(relation, dict) or not isinstance(relation.get("rel"), str):
        raise SkippableRecord(f"a relation without 'rel': {json.dumps(relation)[:120]}")
    rel, url = relation["rel"], _text(relation.get("url"), "relation url") or ""
    target = _WORK_ITEM_URL.search(url) if rel != "Hyperlink" else None
    sys_id = number = None
    if rel == "Hyperlink":
        plain = unquote(url)
        found_id, found_number = _SN_SYS_ID.search(plain), _SN_NUMBER.search(plain)
        sys_id = found_id[1].lower() if found_id else None
        number = found_number[1].upper() if found_number else None
    return {
        "id": item_id,
        "rel": rel,
        "target_id": int(target[1]) if target else None,
        "url": url,
        "servicenow_sys_id": sys_id,
        "servicenow_number": number,
    }


def stage_workitems(records: Iterable[Any]) -> tuple[StagedTable, StagedTable]:
    """Stage work items read in batch order (latest read per id wins): the ``workitems``
    table and the ``relations`` of each latest read. Quarantine rows are in the first."""
    latest: dict[Any, tuple[int, Any, Any, str | None]] = {}
    for position, record in enumerate(records, start=1):
        try:
            parsed: Any = workitem_rows(record)
            reason = None
            key: Any = parsed[0]["id"]
        except SkippableRecord as skipped:
            parsed, reason = None, skipped.reason
            key = ("bad", position)
        latest.pop(key, None)
        latest[key] = (position, record, parsed, reason)
    good = [p for _, _, p, reason in latest.values() if reason is None]
    bad = [(pos, reason, r) for pos, r, _, reason in latest.values() if reason is not None]
    items = _frame([p[0] for p in good], WORKITEM_SCHEMA, ["id"])
    relations = _frame([row for p in good for row in p[1]], RELATION_SCHEMA, ["id", "rel", "url"])
    return (
        StagedTable("workitems", items, quarantine_frame(bad)),
        StagedTable("relations", relations, empty_quarantine()),
    )


# -- shared staging ---------------------------------------------------------------------------


def _stage(
    records: Iterable[Any],
    to_row: Callable[[Any], dict[str, Any]],
    key_of: Callable[[dict[str, Any]], Any],
    *,
    name: str,
    schema: Mapping[str, pl.DataType],
    sort: list[str],
) -> StagedTable:
    latest: dict[Any, tuple[int, dict[str, Any] | None, Any, str | None]] = {}
    for position, record in enumerate(records, start=1):
        try:
            row = to_row(record)
            key, reason = key_of(row), None
        except SkippableRecord as skipped:
            row, reason, key = None, skipped.reason, ("bad", position)
        latest.pop(key, None)  # keep the read order of the latest version
        latest[key] = (position, row, record, reason)
    rows = [row for _, row, _, reason in latest.values() if row is not None and reason is None]
    bad = [(p, reason, r) for p, _, r, reason in latest.values() if reason is not None]
    return StagedTable(name, _frame(rows, schema, sort), quarantine_frame(bad))


def _frame(
    rows: list[dict[str, Any]], schema: Mapping[str, pl.DataType], sort: list[str]
) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=dict(schema), orient="row") if rows else None
    if frame is None:
        return pl.DataFrame(schema=dict(schema))
    return frame.sort(sort, nulls_last=True)


def quarantine_frame(bad: list[tuple[int, str, Any]]) -> pl.DataFrame:
    """Quarantine rows (row_number, reason, record as JSON) from (position, reason, record)."""
    if not bad:
        return empty_quarantine()
    return pl.DataFrame(
        {
            "row_number": [p for p, _, _ in bad],
            "reason": [reason for _, reason, _ in bad],
            "record": [json.dumps(r, ensure_ascii=False, sort_keys=True) for _, _, r in bad],
        },
        schema={"row_number": pl.UInt64(), "reason": pl.String(), "record": pl.String()},
    )


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappedEvents:
    """Event rows for ``build_canonical_log`` (canonical names, ``event_order`` set) and notes."""

    staged: pl.DataFrame
    notes: tuple[str, ...]


def service_area(area_path: pl.Expr) -> pl.Expr:
    """The service area of an area path: the first segment below the root, or
    ``<root> (rod)`` for the root itself."""
    parts = area_path.str.split(PATH_SEPARATOR)
    below = parts.list.get(1, null_on_oob=True)
    root = parts.list.first() + pl.lit(ROOT_LABEL.removeprefix("{root}"))
    return pl.when(below.is_not_null() & (below != "")).then(below).otherwise(root)


def build_events(revisions: pl.DataFrame) -> MappedEvents:
    """Map the staged revisions to events (see the module docstring)."""
    ordered = revisions.sort(["id", "rev"])
    first_rev = pl.col("rev").min().over("id")
    previous = {c: pl.col(c).shift(1).over("id", order_by="rev") for c in _TRACKED}
    changed = {c: pl.col(c).ne_missing(previous[c]) & (pl.col("rev") != first_rev)
               for c in _TRACKED}  # fmt: skip
    parts = [
        ordered.filter(pl.col("rev") == 1).with_columns(
            pl.lit("Created").alias(ACTIVITY), pl.lit(0).alias("_rank")
        ),
        ordered.filter(changed["state"]).with_columns(
            (pl.lit("State: ") + pl.col("state")).alias(ACTIVITY), pl.lit(1).alias("_rank")
        ),
        ordered.filter(changed["area_path"]).with_columns(
            pl.lit("Area changed").alias(ACTIVITY), pl.lit(2).alias("_rank")
        ),
        ordered.filter(changed["iteration_path"]).with_columns(
            pl.lit("Iteration changed").alias(ACTIVITY), pl.lit(3).alias("_rank")
        ),
    ]
    events = (
        pl.concat(parts, how="vertical")
        .sort(["id", "rev", "_rank"])
        .with_row_index(EVENT_ORDER)
        .select(
            pl.col("id").cast(pl.String).alias(CASE),
            ACTIVITY,
            pl.col("changed_date").alias(TIMESTAMP),
            EVENT_ORDER,
            pl.col("changed_by").alias(RESOURCE),
            service_area(pl.col("area_path")).alias(ORG_UNIT),
            pl.lit(SOURCE).alias(SOURCE_SYSTEM),
            "work_item_type",
            "area_path",
            "iteration_path",
            "state",
            "parent",
            "rev",
        )
        .join(_case_attributes(ordered), on=CASE, how="left")
        .sort(EVENT_ORDER)
    )
    return MappedEvents(events, _notes(ordered))


def _case_attributes(ordered: pl.DataFrame) -> pl.DataFrame:
    """Per work item, from its latest revision: type, parent id and the parent's type."""
    latest = ordered.unique(subset="id", keep="last", maintain_order=True)
    types = latest.select(pl.col("id").alias("parent"), pl.col("work_item_type").alias("ptype"))
    return latest.join(types, on="parent", how="left").select(
        pl.col("id").cast(pl.String).alias(CASE),
        pl.col("work_item_type").alias("case:work_item_type"),
        pl.col("parent").alias("case:parent_id"),
        pl.col("ptype").alias("case:parent_type"),
    )


_TRACKED = ("state", "area_path", "iteration_path")


def _notes(revisions: pl.DataFrame) -> tuple[str, ...]:
    starts = revisions.group_by("id").agg(pl.col("rev").min())
    late = starts.filter(pl.col("rev") > 1).height
    if not late:
        return ()
    return (
        f"{late:,} work item(s) lack revision 1 in the extracted history, so they have no "
        "'Created' event; their logs start at the first change read.",
    )
