"""Parsing timestamp columns of export files into UTC, with errors that point at the bad rows."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from models.errors import InputError
from models.schema import UTC_DATETIME

_TIME_PARTS = ("%H:%M:%S%.f", "%H:%M")
_ISO_DATES = ("%Y-%m-%d",)
_DAYFIRST_DATES = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONTHFIRST_DATES = ("%m/%d/%Y", "%m-%d-%Y")
_SHOWN_BAD_VALUES = 5
_PROBE_VALUES = 1_000


@dataclass(frozen=True)
class ParsedTimes:
    """A parsed timestamp column: UTC values, and which rows fell in a daylight-saving gap."""

    values: pl.Series
    nonexistent_local: pl.Series
    format_used: str | None = None

    @property
    def read_month_first(self) -> bool:
        """Whether dates were read month first (03/04/2024 as 4 March), worth telling a Dane."""
        return self.format_used is not None and self.format_used.startswith("%m")


def candidate_formats(*, dayfirst: bool) -> list[str]:
    """The formats tried, in order, when the user names none."""
    dates = [*_ISO_DATES, *(_DAYFIRST_DATES if dayfirst else _MONTHFIRST_DATES)]
    with_offset = [f"{d} {t}%#z" for d in _ISO_DATES for t in _TIME_PARTS]
    naive = [f"{d} {t}" for d in dates for t in _TIME_PARTS]
    return with_offset + naive + dates


def parse_timestamps(
    raw: pl.Series,
    *,
    column: str,
    timestamp_format: str | None,
    dayfirst: bool,
    timezone: str,
) -> ParsedTimes:
    """Parse ``raw`` (strings or datetimes) to UTC.

    Values without an offset are read as local times in ``timezone``; in the autumn hour that
    occurs twice the earlier reading is taken, and a time in the spring gap is flagged in
    ``nonexistent_local`` (the caller quarantines those rows). Raises when any present value
    cannot be parsed, showing the first few with their row numbers.
    """
    if isinstance(raw.dtype, pl.Datetime):
        return _localise(raw.cast(pl.Datetime("us", raw.dtype.time_zone)), timezone)
    if raw.dtype == pl.Date:
        return _localise(raw.cast(pl.Datetime("us")), timezone)
    text = _normalise(raw.cast(pl.String))
    formats = [timestamp_format] if timestamp_format else candidate_formats(dayfirst=dayfirst)
    # A format that fails on a few values fails on the column: tried on those first, most
    # candidates are ruled out without parsing millions of values.
    sample = text.drop_nulls().head(_PROBE_VALUES)
    for fmt in formats:
        if len(formats) > 1 and _try_format(sample, fmt).null_count():
            continue
        parsed = _try_format(text, fmt)
        if int((text.is_not_null() & parsed.is_null()).sum()) == 0:
            localised = _localise(parsed, timezone)
            return ParsedTimes(localised.values, localised.nonexistent_local, fmt)
    best: tuple[int, pl.Series] | None = None
    for fmt in formats:  # no format reads every value: the one that reads most is shown
        parsed = _try_format(text, fmt)
        failures = int((text.is_not_null() & parsed.is_null()).sum())
        if best is None or failures < best[0]:
            best = (failures, parsed)
    assert best is not None
    raise InputError(_unparseable_message(text, best[1], column, timestamp_format, dayfirst))


def _normalise(text: pl.Series) -> pl.Series:
    # One shape for ISO 8601 variants: 'T' or space between date and time, 'Z' for UTC.
    return (
        text.str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ")
        .str.replace(r"Z$", "+00:00")
        .replace("", None)
    )


def _try_format(text: pl.Series, fmt: str) -> pl.Series:
    try:
        return text.str.to_datetime(fmt, strict=False, time_unit="us", ambiguous="earliest")
    except pl.exceptions.ComputeError:
        return pl.Series(text.name, [None] * len(text), dtype=pl.Datetime("us"))


def _localise(parsed: pl.Series, timezone: str) -> ParsedTimes:
    dtype = parsed.dtype
    assert isinstance(dtype, pl.Datetime)
    if dtype.time_zone is not None:
        values = parsed.dt.convert_time_zone("UTC")
        return ParsedTimes(
            values.cast(UTC_DATETIME), pl.Series([False] * len(parsed), dtype=pl.Boolean)
        )
    try:
        local = parsed.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    except pl.exceptions.ComputeError as error:
        raise InputError(
            f"unknown time zone {timezone!r}: give an IANA name such as "
            f"'Europe/Copenhagen' or 'UTC' with --timezone ({error})"
        ) from error
    gap = parsed.is_not_null() & local.is_null()
    return ParsedTimes(local.dt.convert_time_zone("UTC").cast(UTC_DATETIME), gap)


def _unparseable_message(
    text: pl.Series, parsed: pl.Series, column: str, fmt: str | None, dayfirst: bool
) -> str:
    bad = pl.DataFrame({"raw": text, "parsed": parsed}).with_row_index("row", offset=1)
    bad = bad.filter(pl.col("raw").is_not_null() & pl.col("parsed").is_null())
    shown = "\n".join(
        f"  row {row:,}: {raw!r}"
        for row, raw in bad.head(_SHOWN_BAD_VALUES).select("row", "raw").iter_rows()
    )
    tried = (
        f"the format {fmt!r}"
        if fmt
        else "the usual ISO 8601 and " + ("day-first" if dayfirst else "month-first") + " formats"
    )
    hint = (
        "Give the format with --timestamp-format (strftime codes, e.g. '%d/%m/%Y %H:%M')"
        + ("" if dayfirst or fmt else ", or add --dayfirst for dates like 31/12/2024")
        + "."
    )
    return (
        f"{bad.height:,} value(s) in timestamp column {column!r} could not be parsed with {tried}. "
        f"The first ones (row = data row, header not counted):\n{shown}\n{hint}"
    )
