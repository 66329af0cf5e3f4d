"""The result of reading an export file, before it becomes a canonical log."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from models.eventlog import REASON_COLUMN, quarantine_rows
from models.schema import empty_quarantine


@dataclass(frozen=True)
class StagedLog:
    """Rows of one file with canonical column names, parsed UTC times and ``event_order``.

    ``quarantine`` holds rows the reader itself had to set aside (a local time in the DST gap,
    say), ``notes`` what the user should know about how the file was read, ``time_formats``
    the format each text time column was parsed with, ``replaced`` how many values of each
    column were replaced by their pseudonym because they looked like personal data.
    """

    frame: pl.DataFrame
    source_format: str
    quarantine: pl.DataFrame = field(default_factory=empty_quarantine)
    notes: tuple[str, ...] = ()
    time_formats: tuple[tuple[str, str], ...] = ()
    replaced: tuple[tuple[str, int], ...] = ()


def split_flagged(
    frame: pl.DataFrame, flag: pl.Series, reason: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows where ``flag`` is true off into quarantine rows with ``reason``."""
    if not flag.any():
        return frame, empty_quarantine()
    bad = frame.filter(flag).with_columns(pl.lit(reason).alias(REASON_COLUMN))
    return frame.filter(~flag), quarantine_rows(bad)
