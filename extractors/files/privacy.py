"""What an imported file may keep: the canonical columns, an allowlist and the columns the user
names; people pseudonymised with the keyed hash of ``extractors.pseudonym``; free text never.

Person-like columns are found by their name (``PERSON_ROLE``, ``CONTACT_NAME``) and by their
values (an e-mail address, a phone number or a CPR-like ``ddmmyy-xxxx`` value anywhere in an
extra column): such a column is pseudonymised whole. In the other kept text columns (activity,
org unit, case id) a value that looks like an e-mail address, a phone number or a CPR number is
replaced by its pseudonym, value by value: refusing the file would let one stray value block a
whole log, while the keyed hash keeps equal values equal, so every analysis still works.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace

import polars as pl

from extractors.files.options import ReadOptions
from extractors.files.staged import StagedLog
from extractors.pseudonym import is_pseudonym
from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CANONICAL_COLUMNS,
    CASE,
    EVENT_ORDER,
    LIFECYCLE,
    ORG_UNIT,
    RESOURCE,
    SOURCE_SYSTEM,
)

Hasher = Callable[[str | None], str | None]

PERSON_ROLE = re.compile(
    r"caller|assigned|assignee|opened_by|updated_by|resolved_by|closed_by|created_by|"
    r"changed_by|requested|user|employee|medarbejder|resource|owner|author|creator|person|"
    r"initial|navn|name",
    re.IGNORECASE,
)
"""Column names of a person's role (``caller_id``, ``sys_updated_by``, ``org:resource``):
kept, pseudonymised."""

CONTACT_NAME = re.compile(r"e-?mail|phone|telefon|mobil|cpr|address|adresse", re.IGNORECASE)
"""Column names of contact details and CPR numbers: left out unless named, then pseudonymised."""

FREE_TEXT_NAME = re.compile(
    r"descr|comment|note|text|title|summary|subject|body|message|remark|history|"
    r"kommentar|beskrivelse|bemærk|emne",
    re.IGNORECASE,
)
"""Column names of free text, which is never imported, not even when named."""

ALLOWED_COLUMNS = frozenset(
    {
        "priority",
        "impact",
        "urgency",
        "severity",
        "category",
        "subcategory",
        "state",
        "status",
        "incident_state",
        "made_sla",
        "reassignment_count",
        "reopen_count",
        "sys_mod_count",
        "contact_type",
        "channel",
        "knowledge",
        "cost",
        "costs",
        "amount",
    }
)
"""Extra columns kept without being named (compared without a ``case:`` prefix)."""

PERSONAL_VALUE = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # an e-mail address
    r"|\b(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?\d{4}\b"  # CPR-like: ddmmyy-xxxx
    r"|\+\d{1,3}[ -]?\d{2}([ .-]?\d{2}){3}\b"  # a phone number with a country code
    r"|\b\d{2}([ .-]\d{2}){3}\b"  # a Danish phone number written in pairs
)
"""Values that are personal data whatever their column is called."""

REDACTED = "[personal data removed]"


def redact_personal_values(text: str) -> str:
    """``text`` with every e-mail address, phone number and CPR-like number in it replaced by
    ``REDACTED``: for short free-text reasons a mapping reads (a robot's exception reason).
    Names in such text cannot be recognised; they stay."""
    return PERSONAL_VALUE.sub(REDACTED, text)


_CLEAR_CANONICAL = (CASE, ACTIVITY, ORG_UNIT, SOURCE_SYSTEM, LIFECYCLE)
NOT_PSEUDONYMISED = "not pseudonymised: imported with --no-pseudonymise"


def protect_staged(
    staged: StagedLog, privacy: ReadOptions, *, whole_columns: frozenset[str] | None = None
) -> StagedLog:
    """``staged`` with only the columns it may keep, its people pseudonymised, and a note of
    what was dropped or replaced; its quarantine records treated alike.

    An extra column holding personal values anywhere is pseudonymised whole. Which columns do
    is found in ``staged`` itself, or given as ``whole_columns`` (a file read in batches names
    the columns found in any of its batches, so every batch is treated as the whole file)."""
    _refuse_free_text(privacy.keep_columns)
    frame = staged.frame
    _check_named(frame.columns, privacy.keep_columns)
    kept = [c for c in frame.columns if _may_keep(c, privacy.keep_columns)]
    dropped = [c for c in frame.columns if c not in kept]
    frame = frame.select(kept)
    notes = list(staged.notes)
    if dropped:
        notes.append(
            f"left out {len(dropped)} column(s) that are neither canonical nor on the allowlist: "
            f"{', '.join(dropped)} (keep one with --keep-column NAME; free text is never kept)."
        )
    source_format = staged.source_format
    quarantine = _protect_quarantine(staged.quarantine, privacy)
    if not privacy.pseudonymise:
        source_format = f"{source_format} ({NOT_PSEUDONYMISED})"
        return replace(staged, frame=frame, quarantine=quarantine, source_format=source_format)
    hasher = _hasher(privacy)
    if whole_columns is None:
        whole_columns = find_personal_value_columns(frame)
    frame, replaced = _pseudonymise_frame(frame, hasher, whole_columns)
    notes.extend(replaced_value_notes(replaced))
    return replace(
        staged,
        frame=frame,
        quarantine=quarantine,
        notes=tuple(notes),
        replaced=tuple(replaced.items()),
    )


def find_personal_value_columns(frame: pl.DataFrame) -> frozenset[str]:
    """The extra (non-canonical) columns of ``frame`` that hold an e-mail address, a phone
    number or a CPR-like value somewhere: they are pseudonymised whole."""
    return frozenset(
        column
        for column, dtype in frame.schema.items()
        if column != EVENT_ORDER and not dtype.is_temporal()
        if not is_person_column(column) and _has_personal_values(frame[column], column)
    )


def replaced_value_notes(replaced: dict[str, int]) -> list[str]:
    """The notes telling how many values of each column were replaced by their pseudonym."""
    return [
        f"{count:,} value(s) in {column!r} looked like an e-mail address, a phone "
        "number or a CPR number and were replaced by their pseudonym."
        for column, count in replaced.items()
    ]


def _refuse_free_text(keep_columns: tuple[str, ...]) -> None:
    for name in keep_columns:
        if FREE_TEXT_NAME.search(name):
            raise InputError(
                f"--keep-column {name!r}: by its name the column holds free text, which is "
                "never imported (it may name or describe people). Leave the option out."
            )


def _check_named(columns: list[str], keep_columns: tuple[str, ...]) -> None:
    extras = [c for c in columns if c not in CANONICAL_COLUMNS and c != EVENT_ORDER]
    for name in keep_columns:
        if name not in extras and f"source_{name}" not in extras:
            raise InputError(
                f"--keep-column {name!r}: the file has no such extra column (the case, activity, "
                f"time, resource and group columns are kept anyway). Its extra columns are: "
                f"{', '.join(repr(c) for c in extras) or 'none'}."
            )


def _may_keep(column: str, keep_columns: tuple[str, ...]) -> bool:
    if column in CANONICAL_COLUMNS or column == EVENT_ORDER:
        return True
    if FREE_TEXT_NAME.search(column):
        return False
    source = column.removeprefix("source_")
    if column in keep_columns or source in keep_columns:
        return True
    if CONTACT_NAME.search(column):
        return False
    return column.removeprefix("case:").casefold() in ALLOWED_COLUMNS or bool(
        PERSON_ROLE.search(column)
    )


def _hasher(privacy: ReadOptions) -> Hasher:
    if privacy.hasher is None:
        raise InputError(
            "an import must pseudonymise people, but no pseudonymisation key was loaded: "
            "import through the import service (kitflow import), which loads the key."
        )
    return privacy.hasher


def is_person_column(column: str) -> bool:
    """Whether a column holds people by its name (the resource always does)."""
    if column in _CLEAR_CANONICAL or column == EVENT_ORDER:
        return False
    return column == RESOURCE or bool(PERSON_ROLE.search(column) or CONTACT_NAME.search(column))


def _pseudonymise_frame(
    frame: pl.DataFrame, hasher: Hasher, whole_columns: frozenset[str]
) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` with person columns and ``whole_columns`` pseudonymised whole and personal
    values elsewhere replaced; how many values were replaced per column of the latter kind."""
    replaced: dict[str, int] = {}
    for column, dtype in frame.schema.items():
        if column == EVENT_ORDER or dtype.is_temporal():
            continue
        if is_person_column(column) or column in whole_columns:
            frame = frame.with_columns(_hashed(frame[column], hasher, whole=True))
            continue
        if dtype in (pl.String, pl.Categorical):
            hashed = _hashed(frame[column], hasher, whole=False)
            count = int((hashed != frame[column].cast(pl.String)).sum())
            if count:
                frame = frame.with_columns(hashed.cast(dtype))
                replaced[column] = count
    return frame, replaced


def _has_personal_values(series: pl.Series, column: str) -> bool:
    """Whether an extra (non-canonical) column holds e-mail, phone or CPR-like values."""
    if column in CANONICAL_COLUMNS:
        return False
    text = series.cast(pl.String)
    return bool(text.str.contains(PERSONAL_VALUE.pattern).any())


def _hashed(series: pl.Series, hasher: Hasher, *, whole: bool) -> pl.Series:
    text = series.cast(pl.String)
    values = text.drop_nulls().unique()
    # A pseudonym stays as it is, so an exported log imports again as the same log.
    values = values.filter(~values.map_elements(is_pseudonym, return_dtype=pl.Boolean))
    if not whole:
        values = values.filter(values.str.contains(PERSONAL_VALUE.pattern))
    mapping = {value: hasher(value) for value in values.to_list()}
    return text.replace(mapping).alias(series.name)


def _protect_quarantine(quarantine: pl.DataFrame, privacy: ReadOptions) -> pl.DataFrame:
    if quarantine.height == 0:
        return quarantine
    hasher = _hasher(privacy) if privacy.pseudonymise else None
    records = [_protect_record(r, privacy, hasher) for r in quarantine["record"].to_list()]
    return quarantine.with_columns(pl.Series("record", records, dtype=pl.String))


def _protect_record(record: str, privacy: ReadOptions, hasher: Hasher | None) -> str:
    fields = {k: v for k, v in json.loads(record).items() if _may_keep(k, privacy.keep_columns)}
    if hasher is not None:
        for key, value in fields.items():
            text = None if value is None else str(value)
            personal = text is not None and PERSONAL_VALUE.search(text) is not None
            if (is_person_column(key) or personal) and not is_pseudonym(text or ""):
                fields[key] = hasher(text)
    return json.dumps(fields, ensure_ascii=False)


# The steps of protect_staged for logs that are not one flat table (OCEL's event and object
# attributes, services.ocel_import).


def check_keep_columns(keep_columns: tuple[str, ...], columns: list[str]) -> None:
    """Refuse named free text and names that are not among ``columns`` (as protect_staged)."""
    _refuse_free_text(keep_columns)
    _check_named(columns, keep_columns)


def may_keep_column(column: str, keep_columns: tuple[str, ...]) -> bool:
    """Whether an import keeps ``column``: canonical, allowlisted, person-like or named; free
    text and contact details (unless named) never."""
    return _may_keep(column, keep_columns)


def pseudonymise_frame(frame: pl.DataFrame, privacy: ReadOptions) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with person-like columns and columns holding personal values pseudonymised
    whole and personal values elsewhere replaced by their pseudonym, and notes saying so."""
    frame, replaced = _pseudonymise_frame(
        frame, _hasher(privacy), find_personal_value_columns(frame)
    )
    return frame, replaced_value_notes(replaced)


def pseudonymise_values(series: pl.Series, privacy: ReadOptions, *, whole: bool) -> pl.Series:
    """``series`` as text with every value (``whole``) or every personal value pseudonymised."""
    return _hashed(series, _hasher(privacy), whole=whole)
