"""Turning a staged frame (canonical column names, parsed UTC timestamps) into a canonical log.

Rows that cannot be events are quarantined with the reason, never dropped. The result is sorted by
(case, timestamp, original order), so ties in time keep the file's order, as pm4py does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SORT_KEY,
    START_TIMESTAMP,
    TIMESTAMP,
    UTC_DATETIME,
    empty_quarantine,
)

_HAS_LETTER = r"[^\W\d_]"
REASON_COLUMN = "_quarantine_reason"
_REASON = REASON_COLUMN


@dataclass(frozen=True)
class CanonicalLog:
    """A canonical event log and the source rows set aside while building it.

    ``events``: one row per event, sorted by (case_id, timestamp, event_order).
    ``quarantine``: one row per source row that could not be an event (row_number, reason, record).
    """

    events: pl.DataFrame
    quarantine: pl.DataFrame


def build_canonical_log(
    staged: pl.DataFrame,
    *,
    keep_numeric_activities: bool = False,
    quarantine: pl.DataFrame | None = None,
) -> CanonicalLog:
    """Validate, quarantine and sort a staged frame into a canonical log.

    ``staged`` must have the required canonical columns; ``event_order`` is the 0-based position
    in the source and becomes the quarantine's 1-based ``row_number``. Activity labels without any
    letter (ServiceNow's ``-100`` state, say) are codes, not activity names: they are quarantined
    unless ``keep_numeric_activities`` is set.
    """
    validated = validate_rows(
        staged, keep_numeric_activities=keep_numeric_activities, quarantine=quarantine
    )
    if validated.events.height == 0 and validated.quarantine.height > 0:
        raise InputError(nothing_left_message(validated.quarantine))
    return CanonicalLog(sort_events(validated.events), validated.quarantine)


def validate_rows(
    staged: pl.DataFrame,
    *,
    keep_numeric_activities: bool = False,
    quarantine: pl.DataFrame | None = None,
) -> CanonicalLog:
    """The checks of ``build_canonical_log``, row by row: the rows that can be events (typed,
    in their staged order) and the quarantine (``quarantine`` first, by row number). A file read
    in batches validates each batch with this and sorts each piece of whole cases with
    ``sort_events``."""
    _check_required(staged)
    typed = _cast_known_columns(staged)
    flagged = typed.with_columns(_reason_expr(keep_numeric_activities).alias(_REASON))
    bad = flagged.filter(pl.col(_REASON).is_not_null())
    good = flagged.filter(pl.col(_REASON).is_null()).drop(_REASON)
    set_aside = quarantine_rows(bad)
    if quarantine is not None and quarantine.height:
        set_aside = pl.concat([quarantine, set_aside]).sort("row_number")
    return CanonicalLog(events=good, quarantine=set_aside)


def sort_events(events: pl.DataFrame) -> pl.DataFrame:
    """Validated rows as a canonical log: activity categorical, sorted by (case, time, order),
    canonical columns first."""
    events = events.with_columns(pl.col(ACTIVITY).cast(pl.Categorical())).sort(
        list(SORT_KEY), maintain_order=True
    )
    return events.select(_ordered_columns(events))


def _check_required(staged: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in staged.columns]
    if missing:
        raise InputError(
            f"the staged log lacks the canonical column(s) {', '.join(missing)}; "
            f"it has {', '.join(staged.columns)}. Map the source columns to them when importing."
        )


def _cast_known_columns(staged: pl.DataFrame) -> pl.DataFrame:
    casts = [
        pl.col(CASE).cast(pl.String).str.strip_chars(),
        pl.col(ACTIVITY).cast(pl.String).str.strip_chars(),
        pl.col(TIMESTAMP).cast(UTC_DATETIME),
        pl.col(EVENT_ORDER).cast(pl.UInt64),
    ]
    for name, dtype in OPTIONAL_COLUMNS.items():
        if name in staged.columns:
            casts.append(pl.col(name).cast(dtype))
    return staged.with_columns(casts)


def _reason_expr(keep_numeric_activities: bool) -> pl.Expr:
    """The first reason a row cannot be an event, or null when it can."""
    checks: list[tuple[pl.Expr, str]] = [
        (pl.col(CASE).is_null() | (pl.col(CASE) == ""), "missing case id"),
        (pl.col(ACTIVITY).is_null() | (pl.col(ACTIVITY) == ""), "missing activity"),
        (pl.col(TIMESTAMP).is_null(), "missing timestamp"),
    ]
    if not keep_numeric_activities:
        checks.append(
            (
                ~pl.col(ACTIVITY).str.contains(_HAS_LETTER),
                "activity has no letters: a numeric code, not an activity label "
                "(import with --keep-numeric-activities to keep such rows)",
            )
        )
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, reason in reversed(checks):
        expr = pl.when(condition).then(pl.lit(reason)).otherwise(expr)
    return expr


def quarantine_rows(bad: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows from rows carrying ``event_order`` and a ``REASON_COLUMN``."""
    if bad.height == 0:
        return empty_quarantine()
    record_columns = [c for c in bad.columns if c not in (_REASON, EVENT_ORDER)]
    records = bad.select(
        pl.struct([pl.col(c).cast(pl.String) for c in record_columns]).struct.json_encode()
    ).to_series()
    return pl.DataFrame(
        {
            "row_number": bad[EVENT_ORDER].cast(pl.UInt64) + 1,
            "reason": bad[_REASON],
            "record": records,
        }
    )


def _ordered_columns(events: pl.DataFrame) -> list[str]:
    known = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in events.columns]
    return known + [c for c in events.columns if c not in known]


def nothing_left_message(quarantine: pl.DataFrame) -> str:
    """The error of an import none of whose rows could be an event: the reasons, counted."""
    counts = quarantine.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
    lines = [f"  {row[1]:>9,} rows: {row[0]}" for row in counts.iter_rows()]
    hint = ""
    if any("numeric code" in str(r) for r in counts["reason"]):
        hint = "\nIf the activities really are numbers, add --keep-numeric-activities."
    return "no row could be used as an event:\n" + "\n".join(lines) + hint


def check_log_name(name: str) -> str:
    """Return ``name`` if it can name a stored log (a folder), else raise with the rule."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}", name):
        raise InputError(
            f"the log name {name!r} cannot be used: use 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (for example 'incidents-2024')."
        )
    return name


def start_after_end(events: pl.DataFrame) -> int:
    """How many events start after they end (kept, but worth a warning)."""
    if START_TIMESTAMP not in events.columns:
        return 0
    return events.filter(pl.col(START_TIMESTAMP) > pl.col(TIMESTAMP)).height
