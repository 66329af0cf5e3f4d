"""Turning XES lifecycle start/complete pairs into one event with a start timestamp.

The rule, per case and activity: the k-th ``start`` pairs with the k-th ``complete`` (first in,
first out) when it is not later than that complete. The pair becomes one event: the complete's
row with ``start_timestamp`` set to the start's time. A start without its complete stays an event
of its own (timestamp = start time, lifecycle ``start``); a complete without a start stays as it
is. Rows with any other transition (``schedule``, ``assign``...) are quarantined in pair mode,
because they are not activity executions; ``--lifecycle keep`` keeps every row as an event.
"""

from __future__ import annotations

import polars as pl

from extractors.files.options import LifecycleMode
from extractors.files.staged import StagedLog, split_flagged
from models.errors import InputError
from models.schema import ACTIVITY, CASE, EVENT_ORDER, LIFECYCLE, START_TIMESTAMP, TIMESTAMP

_START, _COMPLETE = "start", "complete"


def pair_lifecycle(staged: StagedLog, mode: LifecycleMode) -> StagedLog:
    """Pair start/complete events when ``mode`` asks for it (``auto``: when both occur)."""
    frame = staged.frame
    transitions = _transitions(frame)
    has_pairs = {_START, _COMPLETE} <= transitions
    if mode == "keep" or (mode == "auto" and not has_pairs):
        return staged
    if not has_pairs:
        raise InputError(
            "--lifecycle pair needs both 'start' and 'complete' lifecycle:transition values; "
            f"this log has {sorted(transitions) or 'none'}. Use --lifecycle keep."
        )
    lowered = frame[LIFECYCLE].str.to_lowercase()
    frame, other = split_flagged(
        frame,
        ~lowered.is_in([_START, _COMPLETE]).fill_null(False),
        "lifecycle transition is neither start nor complete "
        "(import with --lifecycle keep to keep every lifecycle event)",
    )
    paired = _pair(frame)
    notes = (
        *staged.notes,
        f"lifecycle: {frame.height - paired.height:,} start/complete pairs joined into one event "
        "each (start_timestamp holds the start).",
    )
    return StagedLog(
        frame=paired,
        source_format=staged.source_format,
        quarantine=pl.concat([staged.quarantine, other]),
        notes=notes,
    )


def _transitions(frame: pl.DataFrame) -> set[str]:
    if LIFECYCLE not in frame.columns:
        return set()
    return {str(v) for v in frame[LIFECYCLE].str.to_lowercase().unique().drop_nulls()}


def _pair(frame: pl.DataFrame) -> pl.DataFrame:
    is_start = pl.col(LIFECYCLE).str.to_lowercase() == _START
    ranked = frame.sort(CASE, TIMESTAMP, EVENT_ORDER, maintain_order=True).with_columns(
        pl.int_range(pl.len()).over(CASE, ACTIVITY, is_start).alias("_rank"),
        is_start.alias("_is_start"),
    )
    starts = ranked.filter(pl.col("_is_start")).select(
        CASE,
        ACTIVITY,
        "_rank",
        pl.col(TIMESTAMP).alias("_start_time"),
        pl.col(EVENT_ORDER).alias("_start_order"),
    )
    completes = ranked.filter(~pl.col("_is_start"))
    joined = completes.join(starts, on=[CASE, ACTIVITY, "_rank"], how="left", nulls_equal=True)
    valid = pl.col("_start_time").is_not_null() & (pl.col("_start_time") <= pl.col(TIMESTAMP))
    # A complete without its start keeps a start time it already carried (a re-imported export).
    existing = pl.col(START_TIMESTAMP) if START_TIMESTAMP in frame.columns else pl.lit(None)
    completes_out = joined.with_columns(
        pl.when(valid).then(pl.col("_start_time")).otherwise(existing).alias(START_TIMESTAMP)
    )
    used_starts = completes_out.filter(valid).select("_start_order")
    lone_starts = ranked.filter(pl.col("_is_start")).join(
        used_starts, left_on=EVENT_ORDER, right_on="_start_order", how="anti"
    )
    helper = ["_rank", "_is_start", "_start_time", "_start_order"]
    completes_out = completes_out.drop(helper)
    lone_starts = lone_starts.drop(["_rank", "_is_start"]).with_columns(
        pl.col(TIMESTAMP).alias(START_TIMESTAMP)
    )
    return pl.concat([completes_out, lone_starts.select(completes_out.columns)]).sort(EVENT_ORDER)
