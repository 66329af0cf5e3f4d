"""Pure mapping of ServiceNow records: raw pages to staged tables to event rows.

Staging (dbt's sense: rename and cast only) gives one typed table per stream, *one row per
record* (the latest version read of each ``sys_id``), every value a string except the declared
UTC datetimes. Records that cannot be staged are quarantined with the reason.

Events follow the recommended mapping (sources.md 1.5) for one task table (``incident`` by
default): case = the record's ``number`` (its ``sys_id`` kept as ``case:sys_id``);
"Created" at ``opened_at``; one event per ``sys_audit`` row (``State: <label>`` with labels from
``sys_choice``, "Assigned to group", "Assigned to person", "Priority changed"); "Resolved" and
"Closed" from the record only for cases without any audited state change (so no case shows
both); SLA start, breach and end from ``task_sla``. ``resource`` is the pseudonym already in the
raw page; ``org_unit`` is the name (``sys_user_group``) of the assignment group in charge at the
time of the event, rebuilt from the audited group changes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from extractors.errors import SkippableRecord
from extractors.servicenow.streams import StreamSpec
from models.eventlog import REASON_COLUMN, quarantine_rows
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

SNOW_TIME = "%Y-%m-%d %H:%M:%S"
_SNOW_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# The same in polars' regex syntax, whose ``$`` does not match before a final newline.
_SNOW_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\n?$"
SOURCE = "servicenow"


@dataclass(frozen=True)
class StagedTable:
    """A staged stream: ``frame`` has one row per record (latest read per ``sys_id``), sorted
    by (replication key, sys_id); ``quarantine`` one row per record set aside (row_number =
    position among all records read, reason, record)."""

    stream: str
    frame: pl.DataFrame
    quarantine: pl.DataFrame


def stage_records(spec: StreamSpec, records: Iterable[Any]) -> StagedTable:
    """Stage the records of ``spec``'s stream, read in page order (later reads win)."""
    listed = records if isinstance(records, list) else list(records)
    staged = _stage_plain(spec, listed)
    return staged if staged is not None else _stage_each(spec, listed)


@dataclass(frozen=True)
class PreparedPage:
    """One page of records made ready for staging (``prepare_page``): ``chunk`` its records as
    text columns with their checks (None: the page is not plain), ``rows`` its record count,
    ``invalid`` the records that fail the checks, by their position in the page."""

    chunk: tuple[pl.DataFrame, pl.DataFrame] | None
    rows: int
    invalid: dict[int, Any]


def prepare_page(spec: StreamSpec, records: Sequence[Any]) -> PreparedPage:
    """A page's records as ``stage_prepared`` takes them, so a page stored a moment ago need
    not be read back."""
    listed = records if isinstance(records, list) else list(records)
    chunk = _plain_chunk(spec, listed) if listed else None
    invalid: dict[int, Any] = {}
    if chunk is not None:
        for position in chunk[1]["valid"].not_().arg_true().to_list():
            invalid[position] = listed[position]
    return PreparedPage(chunk, len(listed), invalid)


def stage_pages(spec: StreamSpec, pages: Callable[[], Iterable[Sequence[Any]]]) -> StagedTable:
    """``stage_records`` of the records of ``pages`` (each call gives the pages again, in
    order), a page at a time: the usual pages are held as columns, never all their records as
    Python objects at once. Pages the plain staging cannot take are staged record by record."""
    return stage_prepared(spec, (prepare_page(spec, page) for page in pages()), pages)


def stage_prepared(
    spec: StreamSpec,
    prepared: Iterable[PreparedPage],
    pages: Callable[[], Iterable[Sequence[Any]]],
) -> StagedTable:
    """``stage_pages`` of pages prepared already (``prepare_page``, in page order); ``pages``
    gives the records again when a page is not plain."""
    chunks: list[tuple[pl.DataFrame, pl.DataFrame]] = []
    invalid: dict[int, Any] = {}
    offset = 0
    for page in prepared:
        if page.rows and page.chunk is None:
            return stage_records(spec, (r for again in pages() for r in again))
        if page.chunk is None:
            continue
        invalid.update((offset + position, r) for position, r in page.invalid.items())
        chunks.append(page.chunk)
        offset += page.rows
    if not chunks:
        return stage_records(spec, [])
    frame = pl.concat([f for f, _ in chunks], rechunk=False)
    checked = pl.concat([c for _, c in chunks], rechunk=False)
    chunks.clear()
    staged = _stage_checked(spec, frame, checked, invalid.__getitem__)
    if staged is None:
        return stage_records(spec, (r for again in pages() for r in again))
    return staged


def _plain_chunk(spec: StreamSpec, records: list[Any]) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The records as text columns and their checks (``has_id``, ``valid``, ``identity``),
    when they are objects whose values are all text or null (as stored pages hold them). None
    for anything else (references sent as objects, numbers, a record that is no object), which
    ``_stage_each`` stages record by record."""
    needed = {"sys_id", spec.replication_key, *spec.datetime_fields}
    if not records or not needed <= set(spec.fields) or spec.primary_key != "sys_id":
        return None
    if not all(type(r) is dict for r in records):
        return None
    if not {type(v) for r in records for v in r.values()} <= {str, type(None)}:
        return None
    frame = pl.from_dicts(records, schema=dict.fromkeys(spec.fields, pl.String))
    sys_id, key = pl.col("sys_id"), pl.col(spec.replication_key)
    has_id = sys_id.is_not_null() & (sys_id != "")
    times_ok = [
        pl.col(n).is_null() | (pl.col(n) == "") | pl.col(n).str.contains(_SNOW_TIME_PATTERN)
        for n in spec.datetime_fields
    ]
    valid = pl.all_horizontal(has_id, *times_ok, key.is_not_null() & (key != ""))
    checked = frame.select(has_id.alias("has_id"), valid.alias("valid"))
    missing = checked["has_id"].not_().arg_true().to_list()
    if missing:
        identity = frame["sys_id"].to_list()
        for position in missing:
            identity[position] = json.dumps(records[position], sort_keys=True)
        ids = pl.Series("identity", identity, dtype=pl.String)
    else:
        ids = frame["sys_id"].alias("identity")
    return frame, checked.with_columns(ids)


def _stage_plain(spec: StreamSpec, records: list[Any]) -> StagedTable | None:
    """``stage_records`` in polars for the usual page (see ``_plain_chunk``); None when the
    records need staging record by record."""
    chunk = _plain_chunk(spec, records)
    if chunk is None:
        return None
    return _stage_checked(spec, *chunk, records.__getitem__)


def _stage_checked(
    spec: StreamSpec,
    frame: pl.DataFrame,
    checked: pl.DataFrame,
    record_at: Callable[[int], Any],
) -> StagedTable | None:
    """The latest read of each identity, staged or set aside; ``record_at(position)`` gives
    the record of an invalid row. None when the record-level check disagrees."""
    kept = checked.with_row_index("position").filter(
        pl.col("position") == pl.col("position").max().over("identity")
    )
    good = kept.filter(pl.col("valid"))["position"]
    bad: list[tuple[int, str, Any]] = []
    for position in kept.filter(~pl.col("valid"))["position"].sort().to_list():
        record = record_at(position)
        try:
            check_record(spec, record)
        except SkippableRecord as skipped:
            bad.append((position + 1, skipped.reason, record))
            continue
        return None  # the two checks disagree: stage record by record
    return StagedTable(spec.name, _typed(spec, frame[good]), _quarantine(bad))


def _stage_each(spec: StreamSpec, records: list[Any]) -> StagedTable:
    latest: dict[str, tuple[int, Any, str | None]] = {}
    for position, record in enumerate(records, start=1):
        flat = _flatten(record) if isinstance(record, dict) else record
        try:
            check_record(spec, flat)
            reason = None
        except SkippableRecord as skipped:
            reason = skipped.reason
        key = flat.get("sys_id") if isinstance(flat, dict) else None
        identity = key if isinstance(key, str) and key else json.dumps(record, sort_keys=True)
        latest.pop(identity, None)  # keep the read order of the latest version
        latest[identity] = (position, flat, reason)
    good = [r for _, r, reason in latest.values() if reason is None]
    bad = [(p, reason, r) for p, r, reason in latest.values() if reason is not None]
    return StagedTable(spec.name, _typed_frame(spec, good), _quarantine(bad))


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    # A reference sent with its link ({"link", "value"}) or display_value=all: keep the value.
    return {k: v.get("value", "") if isinstance(v, dict) else v for k, v in record.items()}


def check_record(spec: StreamSpec, record: Any) -> None:
    """Raise ``SkippableRecord`` with the reason when ``record`` cannot be staged."""
    if not isinstance(record, dict):
        raise SkippableRecord(
            f"not a JSON object but {type(record).__name__}: the page is malformed"
        )
    if not isinstance(record.get("sys_id"), str) or not record["sys_id"]:
        raise SkippableRecord(
            "no sys_id: ServiceNow always sends one; was sys_id left out of sysparm_fields?"
        )
    for name in spec.datetime_fields:
        value = record.get(name)
        if value not in (None, "") and not (isinstance(value, str) and _SNOW_TIME_RE.match(value)):
            raise SkippableRecord(
                f"{name} is {value!r}, not a UTC time 'YYYY-MM-DD HH:MM:SS': extract with "
                "sysparm_display_value=false (display values are in the user's time zone)"
            )
    if not record.get(spec.replication_key):
        raise SkippableRecord(
            f"no {spec.replication_key}: the record cannot be placed in the stream's order"
        )


def _typed_frame(spec: StreamSpec, records: list[dict[str, Any]]) -> pl.DataFrame:
    columns = {
        name: pl.Series(name, [_text(r.get(name)) for r in records], dtype=pl.String)
        for name in spec.fields
    }
    return _typed(spec, pl.DataFrame(columns, schema=dict.fromkeys(spec.fields, pl.String)))


def _typed(spec: StreamSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """The staged table from its fields as text: datetimes parsed, sorted by the keyset."""
    return frame.with_columns(typed_datetimes(spec)).sort([spec.replication_key, spec.primary_key])


def typed_datetimes(spec: StreamSpec) -> list[pl.Expr]:
    """The datetime fields of ``spec``'s staged table parsed from their text (UTC)."""
    return [
        pl.col(name)
        .replace("", None)
        .str.to_datetime(SNOW_TIME, time_zone="UTC", time_unit="us", strict=True)
        for name in spec.datetime_fields
    ]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _quarantine(bad: list[tuple[int, str, Any]]) -> pl.DataFrame:
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

_CANDIDATE_SCHEMA: Mapping[str, pl.DataType] = {
    "case_sys_id": pl.String(),
    ACTIVITY: pl.String(),
    TIMESTAMP: UTC_DATETIME,
    RESOURCE: pl.String(),
    "group_after": pl.String(),
    "rank": pl.Int32(),
    "source_record": pl.String(),
    REASON_COLUMN: pl.String(),
}
_NOT_EXTRACTED = (
    ", which is not among the extracted records (not readable by the integration user, or "
    "deleted); extract the table again to include it"
)
_OTHER_SLA = (
    "{count:,} task_sla row(s) belong to tasks not in this log (other tables, or not readable)."
)
_AUDIT_ACTIVITIES = {
    "assignment_group": ("Assigned to group", "Group unassigned"),
    "assigned_to": ("Assigned to person", "Person unassigned"),
    "priority": ("Priority changed", "Priority changed"),
}


@dataclass(frozen=True)
class MappedEvents:
    """Event rows ready for ``build_canonical_log`` (canonical names, ``event_order`` set), the
    source rows that could not be events, and notes for the user."""

    staged: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...]


CASES_PER_CHUNK = 100_000
"""Cases whose events are mapped at a time: the sorting and joining of the events of many
cases hold a chunk of them, not the log (the chunks are ranges of case sys_ids, so their
events, numbered on, are the whole log's in its order)."""


def build_events(tables: Mapping[str, pl.DataFrame], *, table: str = "incident") -> MappedEvents:
    """Map the staged ``tables`` (by stream name) to the events of ``table``'s records."""
    chunked = map_event_chunks(tables, table=table)
    staged, bad = [], []
    for good, set_aside in chunked.chunks:
        staged.append(good)
        bad.append(set_aside)
    return MappedEvents(pl.concat(staged), quarantine_rows(pl.concat(bad)), chunked.notes)


@dataclass(frozen=True)
class EventChunks:
    """``build_events`` a chunk of cases at a time: ``chunks`` gives, for each range of case
    sys_ids in order, its event rows (``MappedEvents.staged``'s rows of those cases, in the same
    order) and its rows that could not be events (before ``quarantine_rows``); the notes."""

    chunks: Iterator[tuple[pl.DataFrame, pl.DataFrame]]
    notes: tuple[str, ...]


def map_event_chunks(
    tables: Mapping[str, pl.DataFrame],
    *,
    table: str = "incident",
    audit: pl.LazyFrame | None = None,
) -> EventChunks:
    """``build_events`` chunk by chunk; ``audit``, when given, is the staged ``sys_audit`` read
    lazily (instead of ``tables["sys_audit"]``): each chunk reads only its cases' rows."""
    cases = tables[table]
    if audit is None:
        lazy_audit = _audit_of(tables.get("sys_audit"), table).lazy()
    else:
        lazy_audit = audit.filter(pl.col("tablename") == table)
    sla, other_sla = _sla_of(tables.get("task_sla"), cases)
    labels = _state_labels(tables.get("sys_choice"), table)
    names = _group_names(tables.get("sys_user_group"))
    notes = (_OTHER_SLA.format(count=other_sla),) if other_sla else ()

    def chunks() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        offset = 0
        for low, high in _case_ranges(cases):
            part = _in_range(cases, "sys_id", low, high)
            # The rows of a range keep the audit's order (sys_ids are unique: a total order).
            part_audit = (
                lazy_audit.filter(_range_filter("documentkey", low, high))
                .collect()
                .sort(["sys_created_on", "sys_id"])
            )
            ordered = _chunk_events(
                part,
                part_audit,
                _in_range(sla, "case_sys_id", low, high),
                labels=labels,
                names=names,
                offset=offset,
            )
            offset += ordered.height
            bad = _for_quarantine(ordered.filter(pl.col(REASON_COLUMN).is_not_null()))
            good = ordered.filter(pl.col(REASON_COLUMN).is_null()).drop(REASON_COLUMN)
            yield _canonical(good, part), bad

    return EventChunks(chunks(), notes)


def _case_ranges(cases: pl.DataFrame) -> list[tuple[str | None, str | None]]:
    """Ranges [low, high) of case sys_ids of about ``CASES_PER_CHUNK`` cases each, in order;
    the first open below, the last open above (with the rows that name no case)."""
    return id_ranges(cases["sys_id"])


def id_ranges(ids: pl.Series) -> list[tuple[str | None, str | None]]:
    """Ranges [low, high) of the (text) ``ids`` of about ``CASES_PER_CHUNK`` ids each, in
    order; the first open below (None), the last open above."""
    bounds: list[str | None] = [
        None,
        *ids.drop_nulls().unique().sort().gather_every(CASES_PER_CHUNK)[1:].to_list(),
        None,
    ]
    return list(itertools.pairwise(bounds))


def _in_range(frame: pl.DataFrame, column: str, low: str | None, high: str | None) -> pl.DataFrame:
    """The rows whose ``column`` lies in [low, high); a null one belongs to the last range."""
    if low is None and high is None:
        return frame
    return frame.filter(_range_filter(column, low, high))


def _range_filter(column: str, low: str | None, high: str | None) -> pl.Expr:
    """Whether ``column`` lies in [low, high) (a null one: in the last range)."""
    key = pl.col(column)
    if high is None:
        return pl.lit(value=True) if low is None else (key >= low) | key.is_null()
    return key < high if low is None else (key >= low) & (key < high)


def _chunk_events(
    cases: pl.DataFrame,
    audit: pl.DataFrame,
    sla: pl.DataFrame,
    *,
    labels: Mapping[str, str],
    names: Mapping[str, str],
    offset: int,
) -> pl.DataFrame:
    """The candidate events of ``cases`` in order, numbered from ``offset``, with their group
    in charge and the reason of any set aside (``_with_org_units``)."""
    audited_state = set(audit.filter(pl.col("fieldname") == "state")["documentkey"].to_list())
    candidates = pl.concat(
        [
            _created(cases),
            _audit_events(audit, cases, labels),
            _milestones(cases, audited_state),
            sla,
        ],
        how="vertical",
    )
    return _with_org_units(candidates, cases, audit, names, offset=offset)


def _empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=dict(_CANDIDATE_SCHEMA))


def _candidates(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    """Select candidate columns (missing ones null), in the candidate schema."""
    exprs = [
        columns.get(name, pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in _CANDIDATE_SCHEMA.items()
    ]
    return frame.select(exprs) if frame.height else _empty_candidates()


def _created(cases: pl.DataFrame) -> pl.DataFrame:
    when = pl.coalesce(pl.col("opened_at"), pl.col("sys_created_on"))
    return _candidates(
        cases,
        case_sys_id=pl.col("sys_id"),
        activity=pl.lit("Created"),
        timestamp=when,
        resource=pl.col("sys_created_by"),
        rank=pl.lit(0),
        source_record=pl.lit("record:") + pl.col("sys_id"),
    )


def _audit_of(audit: pl.DataFrame | None, table: str) -> pl.DataFrame:
    if audit is None:
        names = ("sys_id", "tablename", "documentkey", "fieldname", "oldvalue", "newvalue")
        return pl.DataFrame(
            schema={
                **dict.fromkeys(names, pl.String()),
                "user": pl.String(),
                "sys_created_on": UTC_DATETIME,
            }
        )
    return audit.filter(pl.col("tablename") == table)


def _state_labels(choices: pl.DataFrame | None, table: str) -> dict[str, str]:
    """State value to label: the table's own choices over those inherited from ``task``."""
    if choices is None:
        return {}
    states = choices.filter((pl.col("element") == "state") & (pl.col("inactive") != "true"))
    labels: dict[str, str] = {}
    for name in ("task", table):
        for value, label in states.filter(pl.col("name") == name).select("value", "label").rows():
            labels[value] = label
    return labels


def _audit_events(
    audit: pl.DataFrame, cases: pl.DataFrame, labels: Mapping[str, str]
) -> pl.DataFrame:
    known = pl.col("documentkey").is_in(cases["sys_id"].implode())
    field, new = pl.col("fieldname"), pl.col("newvalue").fill_null("")
    activity: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, (assigned, cleared) in _AUDIT_ACTIVITIES.items():
        activity = (
            pl.when(field == name)
            .then(pl.when(new != "").then(pl.lit(assigned)).otherwise(pl.lit(cleared)))
            .otherwise(activity)
        )
    state_label = new.replace_strict(labels, default=new, return_dtype=pl.String)
    activity = pl.when(field == "state").then(pl.lit("State: ") + state_label).otherwise(activity)
    reason = (
        pl.when(~known)
        .then(
            pl.lit("sys_audit row refers to ")
            + pl.col("tablename")
            + pl.lit(" record ")
            + pl.col("documentkey")
            + pl.lit(_NOT_EXTRACTED)
        )
        .when(~field.is_in(["state", *_AUDIT_ACTIVITIES]))
        .then(pl.lit("sys_audit field ") + field + pl.lit(" is not mapped to an activity"))
    )
    return _candidates(
        audit,
        case_sys_id=pl.col("documentkey"),
        activity=activity,
        timestamp=pl.col("sys_created_on"),
        resource=pl.col("user"),
        group_after=pl.when(field == "assignment_group").then(new),
        rank=pl.lit(1),
        source_record=pl.lit("sys_audit:") + pl.col("sys_id"),
        _quarantine_reason=reason,
    )


def _milestones(cases: pl.DataFrame, audited_state: set[str]) -> pl.DataFrame:
    unaudited = cases.filter(~pl.col("sys_id").is_in(sorted(audited_state)))
    parts = []
    for column, activity, person in (
        ("resolved_at", "Resolved", "resolved_by"),
        ("closed_at", "Closed", "closed_by"),
    ):
        if column not in cases.columns:
            continue
        rows = unaudited.filter(pl.col(column).is_not_null())
        parts.append(
            _candidates(
                rows,
                case_sys_id=pl.col("sys_id"),
                activity=pl.lit(activity),
                timestamp=pl.col(column),
                resource=pl.col(person) if person in cases.columns else pl.lit(None),
                rank=pl.lit(2),
                source_record=pl.lit("record:") + pl.col("sys_id"),
            )
        )
    return pl.concat(parts, how="vertical") if parts else _empty_candidates()


def _sla_of(task_sla: pl.DataFrame | None, cases: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    if task_sla is None or task_sla.height == 0:
        return _empty_candidates(), 0
    mine = task_sla.filter(pl.col("task").is_in(cases["sys_id"].implode()))
    stage = pl.col("stage").str.to_lowercase()
    specs = (
        ("SLA started", pl.col("start_time"), pl.lit(True)),
        ("SLA breached", pl.col("planned_end_time"), pl.col("has_breached") == "true"),
        ("SLA completed", pl.col("end_time"), stage == "completed"),
        ("SLA cancelled", pl.col("end_time"), stage == "cancelled"),
    )
    parts = [
        _candidates(
            mine.filter(condition & when.is_not_null()),
            case_sys_id=pl.col("task"),
            activity=pl.lit(activity),
            timestamp=when,
            rank=pl.lit(3),
            source_record=pl.lit("task_sla:") + pl.col("sys_id"),
        )
        for activity, when, condition in specs
    ]
    return pl.concat(parts, how="vertical"), task_sla.height - mine.height


def _group_names(groups: pl.DataFrame | None) -> dict[str, str]:
    if groups is None:
        return {}
    return dict(groups.select("sys_id", "name").rows())


def _with_org_units(
    candidates: pl.DataFrame,
    cases: pl.DataFrame,
    audit: pl.DataFrame,
    names: Mapping[str, str],
    *,
    offset: int = 0,
) -> pl.DataFrame:
    """Sort deterministically, number the rows (from ``offset``), and set the group in charge
    at each event: the case's first audited group change's old value until a change, then the
    new value."""
    first_change = (
        audit.filter(pl.col("fieldname") == "assignment_group")
        .group_by("documentkey")
        .agg(pl.col("oldvalue").first().alias("initial_group"))
    )
    initial = cases.select(pl.col("sys_id").alias("case_sys_id"), "assignment_group").join(
        first_change, left_on="case_sys_id", right_on="documentkey", how="left"
    )
    ordered = (
        candidates.sort(["case_sys_id", TIMESTAMP, "rank", "source_record"], nulls_last=True)
        .with_row_index(EVENT_ORDER, offset=offset)
        .join(initial, on="case_sys_id", how="left")
    )
    in_charge = pl.coalesce(
        pl.col("group_after").forward_fill().over("case_sys_id", order_by=EVENT_ORDER),
        pl.col("initial_group"),
        pl.col("assignment_group"),
    )
    group_id = pl.when(in_charge != "").then(in_charge)
    org_unit = group_id.replace_strict(names, default=group_id, return_dtype=pl.String)
    return ordered.with_columns(org_unit.alias(ORG_UNIT)).drop(
        "group_after", "initial_group", "assignment_group", "rank"
    )


def _canonical(good: pl.DataFrame, cases: pl.DataFrame) -> pl.DataFrame:
    attributes = [c for c in ("priority", "category", "contact_type") if c in cases.columns]
    case_columns = cases.select(
        pl.col("sys_id").alias("case_sys_id"),
        pl.col("number"),
        *[pl.col(c).alias(f"case:{c}") for c in attributes],
    )
    joined = good.join(case_columns, on="case_sys_id", how="left")
    return joined.select(
        pl.coalesce(pl.col("number"), pl.col("case_sys_id")).alias(CASE),
        ACTIVITY,
        TIMESTAMP,
        EVENT_ORDER,
        RESOURCE,
        ORG_UNIT,
        pl.lit(SOURCE).alias(SOURCE_SYSTEM),
        pl.col("case_sys_id").alias("case:sys_id"),
        *[f"case:{c}" for c in attributes],
        "source_record",
    ).sort(EVENT_ORDER)


def _for_quarantine(bad: pl.DataFrame) -> pl.DataFrame:
    return bad.select(
        EVENT_ORDER,
        REASON_COLUMN,
        "source_record",
        "case_sys_id",
        ACTIVITY,
        pl.col(TIMESTAMP).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        RESOURCE,
        ORG_UNIT,
    )
