"""Reading tabular exports (CSV, possibly zipped or gzipped, and Parquet) into a staged log."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from extractors.archives import ZipInput, read_gzip
from extractors.files.options import USUAL_NAMES, ColumnMapping, ReadOptions
from extractors.files.staged import StagedLog, split_flagged
from extractors.files.timestamps import parse_timestamps
from extractors.limits import check_rows, input_limits
from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CANONICAL_COLUMNS,
    CASE,
    EVENT_ORDER,
    START_TIMESTAMP,
    TIMESTAMP,
    empty_quarantine,
)
from models.spreadsheet import unescape_formula_cells

_FLAGS = {
    CASE: "--case",
    ACTIVITY: "--activity",
    TIMESTAMP: "--timestamp",
    START_TIMESTAMP: "--start-timestamp",
    "resource": "--resource",
    "org_unit": "--group",
}
_REQUIRED = (CASE, ACTIVITY, TIMESTAMP)


def read_csv_log(path: Path, options: ReadOptions) -> StagedLog:
    """Read a CSV export (plain, ``.gz``, or a ``.zip`` holding one CSV)."""
    frame = _read_csv_frame(path, options.null_values)
    return stage_table(frame, options, source_format="csv", path=path)


def read_parquet_log(path: Path, options: ReadOptions) -> StagedLog:
    """Read a Parquet export."""
    try:
        # A Parquet file declares its row count; a few kilobytes can declare billions of
        # repeated values, so the count is checked before anything is read.
        check_rows(pl.scan_parquet(path).select(pl.len()).collect().item(), where=str(path))
        frame = pl.read_parquet(path)
    except (pl.exceptions.ComputeError, OSError) as error:
        raise InputError(f"{path} is not a readable Parquet file ({error}).") from error
    return stage_table(frame, options, source_format="parquet", path=path)


def csv_member(archive: ZipInput, path: Path) -> str:
    """The one CSV member of a zip export; raises when it holds none or several."""
    members = [m for m in archive.names() if m.lower().endswith(".csv")]
    if len(members) != 1:
        raise InputError(
            f"{path} should hold exactly one .csv file, but holds "
            f"{len(members)}: {', '.join(archive.names()) or 'nothing'}. "
            "Unpack it and import the CSV you mean."
        )
    return members[0]


def _csv_bytes(path: Path) -> bytes:
    if path.suffix.lower() == ".zip":
        with ZipInput(path) as archive:
            return archive.read(csv_member(archive, path))
    if path.suffix.lower() == ".gz":
        return read_gzip(path)
    return path.read_bytes()


def _read_csv_frame(path: Path, null_values: tuple[str, ...]) -> pl.DataFrame:
    data = _csv_bytes(path)
    if not data.strip():
        raise InputError(f"{path} is empty: there is nothing to import.")
    limit = input_limits().rows
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            infer_schema=False,
            null_values=list(null_values) or None,
            encoding="utf8-lossy",
            n_rows=limit + 1,  # one more than allowed tells that the file holds too many
        )
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{path} could not be read as CSV ({error}). Check that it is a comma-separated "
            "text file with a header row, or name its format with --format."
        ) from error
    check_rows(frame.height, where=str(path))
    # A leading apostrophe that marks text for spreadsheets is not part of the value: our own
    # CSV exports write one before text starting with = + - @ (models/spreadsheet.py).
    return unescape_formula_cells(frame)


def resolve_columns(available: list[str], given: ColumnMapping, path: Path) -> dict[str, str]:
    """Canonical column name to source column, from the user's flags or the usual names."""
    resolved: dict[str, str] = {}
    for canonical, source in given.given().items():
        if source not in available:
            raise InputError(
                f"column {source!r} (given with {_FLAGS[canonical]}) is not in {path.name}. "
                f"Its columns are: {', '.join(repr(c) for c in available)}."
            )
        resolved[canonical] = source
    lowered = {c.lower(): c for c in available}
    for canonical, names in USUAL_NAMES.items():
        if canonical in resolved:
            continue
        # An exact name wins over a case-insensitive one ('activity' before 'Activity').
        exact = next((n for n in names if n in available), None)
        found = exact or next((lowered[n.lower()] for n in names if n.lower() in lowered), None)
        if found is not None and found not in resolved.values():
            resolved[canonical] = found
    missing = [c for c in _REQUIRED if c not in resolved]
    if missing:
        flags = ", ".join(_FLAGS[c] for c in missing)
        raise InputError(
            f"{path.name} has no column recognised as {', '.join(missing)}; name it with {flags}. "
            f"Its columns are: {', '.join(repr(c) for c in available)}."
        )
    return resolved


def stage_table(
    frame: pl.DataFrame, options: ReadOptions, *, source_format: str, path: Path
) -> StagedLog:
    """Rename, number and time-parse a table whose columns the user mapped (or we recognised)."""
    if frame.height == 0:
        raise InputError(f"{path} has a header but no rows: there is nothing to import.")
    mapping = resolve_columns(frame.columns, options.columns, path)
    return parse_time_columns(
        _rename(frame.lazy(), frame.columns, mapping).collect(),
        mapping,
        options,
        source_format=source_format,
    )


def parse_time_columns(
    staged: pl.DataFrame,
    mapping: dict[str, str],
    options: ReadOptions,
    *,
    source_format: str,
    formats: dict[str, str] | None = None,
) -> StagedLog:
    """Parse the (start) timestamp columns of renamed rows to UTC; rows whose local time falls
    in the daylight-saving gap go to quarantine. ``formats`` fixes a text column's format (a
    batch of a file read in batches takes the one its first batch chose); the formats used are
    in the result's ``time_formats``."""
    quarantine = empty_quarantine()
    notes: list[str] = []
    used: list[tuple[str, str]] = []
    for column in (TIMESTAMP, START_TIMESTAMP):
        if column not in staged.columns:
            continue
        parsed = parse_timestamps(
            staged[column],
            column=mapping[column],
            timestamp_format=(formats or {}).get(column, options.timestamp_format),
            dayfirst=options.dayfirst,
            timezone=options.timezone,
        )
        if parsed.format_used is not None:
            used.append((column, parsed.format_used))
        staged = staged.with_columns(parsed.values.alias(column))
        if parsed.read_month_first and not options.timestamp_format:
            notes.append(
                f"dates in {mapping[column]!r} were read month first (03/04/2024 = 4 March); "
                "if they are day first, as Danish dates are, import again with --dayfirst."
            )
        staged, gap_rows = split_flagged(
            staged,
            parsed.nonexistent_local,
            f"local time in {mapping[column]!r} does not exist in {options.timezone} "
            "(the spring daylight-saving gap)",
        )
        quarantine = pl.concat([quarantine, gap_rows])
    return StagedLog(
        frame=staged,
        source_format=source_format,
        quarantine=quarantine,
        notes=tuple(notes),
        time_formats=tuple(used),
    )


def rename_lazy(frame: pl.LazyFrame, mapping: dict[str, str], *, offset: int = 0) -> pl.LazyFrame:
    """``event_order`` (0-based source row; the first row of ``frame`` is row ``offset`` of its
    file), the canonical columns and the extras, lazily."""
    return _rename(frame, frame.collect_schema().names(), mapping, offset=offset)


def _rename(
    frame: pl.LazyFrame, columns: list[str], mapping: dict[str, str], *, offset: int = 0
) -> pl.LazyFrame:
    used = set(mapping.values())
    clashing = {c: _extra_name(c) for c in columns if c == EVENT_ORDER and c not in used}
    frame = frame.rename(clashing)
    renamed = [clashing.get(c, c) for c in columns]
    numbered = frame.with_row_index(EVENT_ORDER, offset=offset)
    mapped = [pl.col(source).alias(canonical) for canonical, source in mapping.items()]
    extras = [pl.col(c).alias(_extra_name(c)) for c in renamed if c not in used]
    return numbered.select([pl.col(EVENT_ORDER), *mapped, *extras])


def _extra_name(column: str) -> str:
    # An unnamed column (a pandas index written to CSV) or one that clashes with a canonical name
    # keeps its data under a name that cannot collide.
    if column == "":
        return "source_unnamed"
    return f"source_{column}" if column in CANONICAL_COLUMNS else column
