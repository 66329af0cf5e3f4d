"""Readers of ServiceNow export files: the Table API's JSON, and a CSV list export.

Neither file is copied into the data folder: both hold employee identifiers in clear, so only
their pseudonymised staged tables are stored (the source path and its SHA-256 are recorded).

The CSV reader is written for list exports such as the public UCI incident log (Amaral et al.
2018): one row per update of an incident, day-first local times without seconds or zone, ``?``
for a missing value. Its rules:

- case = ``number``, activity = ``incident_state``, time = ``sys_updated_at`` read as local time
  in the declared zone (``timezone``; a time in the spring DST gap is quarantined);
- people (``caller_id``, ``opened_by``, ``sys_created_by``, ``sys_updated_by``, ``assigned_to``,
  ``resolved_by``) are pseudonymised before anything else; ``resource`` is the pseudonym of
  ``sys_updated_by`` (who made the update); ``org_unit`` is ``assignment_group``, in clear;
- an ``incident_state`` of ``-100`` is quarantined: it is not a state of the incident state
  model (New, Active, Awaiting ..., Resolved, Closed) but a placeholder code in a few rows, and
  guessing the state it stands for would invent history;
- free-text columns (``short_description``, ``description``, ``comments``, ``work_notes``,
  ``close_notes``) and any other column holding an e-mail address are left out, with a note;
- of the other columns only the times (converted to UTC) and ``EXPORT_ALLOWED_COLUMNS`` (codes
  and references) are kept; ``caller_id.name``, ``requested_for``, phone numbers, ``location``
  and every column not named are left out, with a note, so neither the staged table nor the
  quarantine holds them; an allowed column holding phone or CPR numbers is left out too.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from extractors.archives import ZipInput
from extractors.files.privacy import ALLOWED_COLUMNS, PERSONAL_VALUE
from extractors.files.staged import split_flagged
from extractors.files.timestamps import parse_timestamps
from extractors.json_input import load_json
from extractors.limits import check_rows, input_limits
from extractors.pseudonym import Pseudonymiser
from extractors.servicenow.mapping import StagedTable, stage_records
from extractors.servicenow.streams import pseudonymise_record, stream_spec
from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    ORG_UNIT,
    RESOURCE,
    SOURCE_SYSTEM,
    TIMESTAMP,
)

UNSET_STATE = "-100"
UNSET_STATE_REASON = (
    "incident_state is -100, a placeholder code and not a state of the incident state model; "
    "the row is set aside rather than guessed (the incident's other updates are kept)"
)
FREE_TEXT_COLUMNS = (
    "short_description",
    "description",
    "comments",
    "work_notes",
    "close_notes",
    "comments_and_work_notes",
)
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
EXPORT_ALLOWED_COLUMNS = ALLOWED_COLUMNS | {
    "active",
    "notify",
    "closed_code",
    "cmdb_ci",
    "u_symptom",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "u_priority_confirmation",
}
"""Columns of a list export kept besides the mapped ones, the people and the times: codes and
references, no person, no place (``location``), no contact detail."""
DST_GAP_REASON = (
    "{column} is a local time that does not exist in {zone} (the spring daylight-saving gap); "
    "check the export's time zone"
)


@dataclass(frozen=True)
class CsvExportOptions:
    """How to read a ServiceNow CSV list export (defaults: the UCI incident log's columns)."""

    timezone: str
    dayfirst: bool = True
    null_marker: str = "?"
    case_column: str = "number"
    activity_column: str = "incident_state"
    timestamp_column: str = "sys_updated_at"
    resource_column: str = "sys_updated_by"
    group_column: str = "assignment_group"
    person_columns: tuple[str, ...] = (
        "caller_id",
        "opened_by",
        "sys_created_by",
        "sys_updated_by",
        "assigned_to",
        "resolved_by",
    )
    time_columns: tuple[str, ...] = ("opened_at", "sys_created_at", "resolved_at", "closed_at")
    free_text_columns: tuple[str, ...] = FREE_TEXT_COLUMNS


@dataclass(frozen=True)
class ExportRead:
    """A read export: ``staged`` has one row per source row that may be an event (canonical
    names, UTC times, ``event_order`` = 0-based source row), ``quarantine`` the rows set aside
    by the reader, ``notes`` what the user should know, ``sha256`` the file's digest."""

    staged: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...]
    sha256: str


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, to record which export a log was built from."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv_export(
    path: Path, *, options: CsvExportOptions, pseudonym: Pseudonymiser
) -> ExportRead:
    """Read a CSV list export (plain, or a ``.zip`` holding one CSV) as described above."""
    frame = _read_csv(path, options.null_marker)
    _check_columns(frame, options, path)
    frame = _pseudonymised(frame, options.person_columns, pseudonym)
    frame, dropped = _without_free_text(frame, options)
    frame = frame.with_row_index(EVENT_ORDER)
    parsed = parse_timestamps(
        frame[options.timestamp_column],
        column=options.timestamp_column,
        timestamp_format=None,
        dayfirst=options.dayfirst,
        timezone=options.timezone,
    )
    staged = frame.with_columns(parsed.values.alias(TIMESTAMP))
    gap_reason = DST_GAP_REASON.format(column=options.timestamp_column, zone=options.timezone)
    staged, gap = split_flagged(staged, parsed.nonexistent_local, gap_reason)
    unset = staged[options.activity_column].cast(pl.String).str.strip_chars() == UNSET_STATE
    staged, unset_rows = split_flagged(staged, unset.fill_null(False), UNSET_STATE_REASON)
    staged, notes = _utc_extras(staged, options)
    quarantine = pl.concat([gap, unset_rows]).sort("row_number")
    notes = (*dropped, *notes)
    return ExportRead(_canonical(staged, options), quarantine, notes, file_sha256(path))


def _read_csv(path: Path, null_marker: str) -> pl.DataFrame:
    if not path.exists():
        raise InputError(f"there is no export file at {path}: check the path.")
    data: bytes | Path = path
    if path.suffix.lower() == ".zip":
        with ZipInput(path) as archive:
            members = [m for m in archive.names() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise InputError(
                    f"{path} should hold exactly one .csv file but holds {len(members)}; "
                    "unpack it and give the CSV you mean."
                )
            data = archive.read(members[0])
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    # Every column as text: codes like "2 - Medium" and ids must not be guessed into numbers.
    # One row more than the limit tells that the file holds too many.
    frame = pl.read_csv(
        source,
        infer_schema=False,
        null_values=[null_marker, ""],
        n_rows=input_limits().rows + 1,
    )
    check_rows(frame.height, where=str(path))
    return frame


def _check_columns(frame: pl.DataFrame, options: CsvExportOptions, path: Path) -> None:
    needed = (
        options.case_column,
        options.activity_column,
        options.timestamp_column,
        options.resource_column,
        options.group_column,
    )
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path.name} lacks the column(s) {', '.join(missing)} that a ServiceNow incident "
            f"export has; it has {', '.join(frame.columns[:40])}. Export the list with them."
        )


def _pseudonymised(
    frame: pl.DataFrame, columns: tuple[str, ...], pseudonym: Pseudonymiser
) -> pl.DataFrame:
    present = [c for c in columns if c in frame.columns]
    values = set().union(*(frame[c].drop_nulls().unique().to_list() for c in present))
    mapping = {value: pseudonym(value) for value in values}
    return frame.with_columns(
        pl.col(c).replace_strict(mapping, default=None, return_dtype=pl.String) for c in present
    )


def _without_free_text(
    frame: pl.DataFrame, options: CsvExportOptions
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Leave out free text and e-mail addresses: personal data the event log must not hold."""
    kept = {options.case_column, options.activity_column, options.timestamp_column,
            options.group_column, *options.person_columns}  # fmt: skip
    free = [c for c in frame.columns if c in options.free_text_columns and c not in kept]
    mails = [
        c
        for c in frame.columns
        if c not in kept and c not in free and frame[c].str.contains(_EMAIL).fill_null(False).any()
    ]
    notes = []
    if free:
        notes.append(f"free-text column(s) {', '.join(free)} left out: they may name people.")
    if mails:
        notes.append(f"column(s) {', '.join(mails)} hold e-mail addresses and are left out.")
    frame = frame.drop(free + mails)
    allowed = {*kept, *options.time_columns, *EXPORT_ALLOWED_COLUMNS}
    others = [c for c in frame.columns if c not in allowed]
    personal = [
        c
        for c in frame.columns
        if c in allowed
        and c not in kept
        and frame[c].str.contains(PERSONAL_VALUE.pattern).fill_null(False).any()
    ]
    if others:
        notes.append(
            f"column(s) {', '.join(others)} left out: an export keeps only the mapped columns, "
            "the people (pseudonymised), the times and the allowlist."
        )
    if personal:
        notes.append(f"column(s) {', '.join(personal)} hold phone or CPR numbers and are left out.")
    return frame.drop(others + personal), tuple(notes)


def _utc_extras(
    staged: pl.DataFrame, options: CsvExportOptions
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    notes: list[str] = []
    for column in (c for c in options.time_columns if c in staged.columns):
        parsed = parse_timestamps(
            staged[column],
            column=column,
            timestamp_format=None,
            dayfirst=options.dayfirst,
            timezone=options.timezone,
        )
        staged = staged.with_columns(parsed.values.alias(column))
        gaps = int(parsed.nonexistent_local.sum())
        if gaps:
            notes.append(
                f"{gaps:,} {column} value(s) fall in the spring DST gap of {options.timezone} "
                "and are left empty (the rows are kept: it is not their event time)."
            )
    return staged, tuple(notes)


def _canonical(staged: pl.DataFrame, options: CsvExportOptions) -> pl.DataFrame:
    mapped = {
        options.case_column: CASE,
        options.activity_column: ACTIVITY,
        options.group_column: ORG_UNIT,
    }
    rest = [
        c
        for c in staged.columns
        if c not in (*mapped, EVENT_ORDER, TIMESTAMP, options.timestamp_column)
    ]
    return staged.select(
        *[pl.col(source).alias(target) for source, target in mapped.items()],
        TIMESTAMP,
        EVENT_ORDER,
        pl.col(options.resource_column).alias(RESOURCE),
        pl.lit("servicenow-export").alias(SOURCE_SYSTEM),
        *rest,
    )


def read_table_json_export(path: Path, *, table: str, pseudonym: Pseudonymiser) -> StagedTable:
    """Read a Table API JSON file (``{"result": [...]}``, a list export's ``{"records": [...]}``,
    or a bare list) of ``table``, values not display values; people pseudonymised, staged."""
    spec = stream_spec(table)
    try:
        body: Any = load_json(path.read_bytes(), where=str(path))
    except (OSError, ValueError) as error:
        raise InputError(f"{path} is not a readable JSON file ({error}).") from error
    records = body if isinstance(body, list) else None
    if isinstance(body, dict):
        records = body.get("result", body.get("records"))
    if not isinstance(records, list):
        raise InputError(
            f'{path} holds no list of records: expected the Table API\'s {{"result": [...]}} '
            "(GET /api/now/table/<table> with sysparm_display_value=false)."
        )
    # Only the stream's fields, as the API is asked for them: a JSON export's descriptions,
    # comments and contact details reach neither the staged table nor the quarantine.
    cleaned = [
        pseudonymise_record(spec, {k: r[k] for k in spec.fields if k in r}, pseudonym)
        if isinstance(r, dict)
        else type(r)()
        for r in records
    ]
    return stage_records(spec, cleaned)
