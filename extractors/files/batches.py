"""Reading a large CSV or Parquet export in batches of rows, never the whole raw table at once.

Everything an import does to a row before sorting is the row's own business (renaming, time
parsing, pseudonymising, validation), with three exceptions that look at the whole file, and
each is kept exact here:

- **Time format.** A text time column is parsed with the first candidate format that reads
  every value of the file. The first batch's choice is the only possible one (every earlier
  candidate already failed there), so every later batch is parsed with it; a later batch it
  cannot read means the file needs another format, and the caller reads the file whole
  (``BatchReadError``).
- **Personal columns.** An extra column with a personal value anywhere is pseudonymised whole.
  The caller names the columns found so far; a batch that finds a new one tells the caller
  (``NewPersonalColumnsError``), which starts again naming it from the first batch on.
- **Row numbers.** ``event_order`` counts the rows of the whole file, batch after batch.

A CSV file is cut into blocks of about ``block_bytes`` bytes, each ending after a line break
outside quotes (a record may hold line breaks inside quotes), and each block is parsed alone
with the header's columns; a Parquet file is read a slice of rows at a time. Neither reads
ahead: memory holds one block and its rows. (polars' own streaming ``collect_batches`` reads
the whole file ahead of a slow consumer, and ``scan_csv`` maps the file into memory.)

A ``.gz`` or ``.zip`` CSV is unpacked (within the limits) into a temporary file outside the
data folder first: it still holds the people's names, as the export does.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from extractors.archives import ZipInput, copy_gzip
from extractors.files.options import ReadOptions
from extractors.files.privacy import (
    find_personal_value_columns,
    may_keep_column,
    protect_staged,
)
from extractors.files.staged import StagedLog
from extractors.files.tabular import csv_member, parse_time_columns, rename_lazy, resolve_columns
from extractors.limits import check_rows
from models.errors import InputError
from models.spreadsheet import unescape_formula_cells

TableFormat = Literal["csv", "parquet"]
_MIN_PACKED_BYTES = 4 << 20
"""A packed CSV smaller than this is read whole without a look inside: a batch import pays off
from millions of rows, which never pack into so few bytes."""


class BatchReadError(Exception):
    """A batch could not be read as the whole file would be: read the file whole instead, which
    reports the problem (if any) for the file as a whole. ``first_row`` is the file's row (from
    1) where the batch starts: the row numbers of ``message`` count from there."""

    def __init__(self, message: str, first_row: int) -> None:
        super().__init__(message)
        self.message = message
        self.first_row = first_row


class NewPersonalColumnsError(Exception):
    """A batch holds personal values in columns no earlier batch did: start again with them."""

    def __init__(self, columns: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(columns)))
        self.columns = columns


@dataclass(frozen=True)
class FileBatches:
    """A CSV or Parquet export to be read in batches: where its table lies (an unpacked copy
    for a packed CSV), its columns and how they map, and about how many rows it has (exact for
    Parquet; for CSV the records counted by their line breaks outside quotes)."""

    path: Path
    table: Path
    table_format: TableFormat
    options: ReadOptions
    columns: list[str]
    mapping: dict[str, str]
    rows: int

    def batch_count(self, batch_rows: int, block_bytes: int) -> int:
        """About how many batches ``read`` yields."""
        if self.table_format == "parquet":
            return max(1, -(-self.rows // batch_rows))
        return max(1, -(-self.table.stat().st_size // block_bytes))

    def read(
        self, *, batch_rows: int, block_bytes: int, known_personal: frozenset[str]
    ) -> Iterator[StagedLog]:
        """The file's rows a batch at a time (``batch_rows`` rows of Parquet, a block of about
        ``block_bytes`` bytes of CSV), staged and protected (only the columns an import may
        keep, people pseudonymised) exactly as a whole-file read stages them, given the columns
        ``known_personal`` that hold personal values somewhere in the file."""
        formats: dict[str, str] = {}
        offset = 0
        try:
            for index, raw in enumerate(self._raw_batches(batch_rows, block_bytes)):
                if raw.height == 0:
                    continue  # a block of the header alone
                check_rows(offset + raw.height, where=str(self.path))
                renamed = rename_lazy(raw.lazy(), self.mapping, offset=offset).collect()
                staged = parse_time_columns(
                    renamed,
                    self.mapping,
                    self.options,
                    source_format=self.table_format,
                    formats=formats,
                )
                formats = _fixed_formats(formats, staged, renamed)
                found = find_personal_value_columns(_kept_extras(staged, self.options))
                if index > 0 and not found <= known_personal:
                    raise NewPersonalColumnsError(known_personal | found)
                offset += raw.height
                yield protect_staged(staged, self.options, whole_columns=known_personal | found)
        except (InputError, pl.exceptions.PolarsError, OSError) as error:
            raise BatchReadError(str(error), offset + 1) from error

    def _raw_batches(self, batch_rows: int, block_bytes: int) -> Iterator[pl.DataFrame]:
        if self.table_format == "parquet":
            for start in range(0, self.rows, batch_rows):
                yield pl.scan_parquet(self.table).slice(start, batch_rows).collect()
            return
        schema = dict.fromkeys(self.columns, pl.String())
        for index, block in enumerate(csv_blocks(self.table, block_bytes)):
            frame = pl.read_csv(
                io.BytesIO(block),
                has_header=index == 0,
                schema=schema,
                null_values=list(self.options.null_values) or None,
                encoding="utf8-lossy",
            )
            yield unescape_formula_cells(frame)


def csv_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """The bytes of ``path`` in blocks of about ``block_bytes``, each ending after a line break
    outside quotes, so every block holds whole records (a longer record makes a longer block)."""
    with path.open("rb") as stream:
        rest = b""
        while data := stream.read(block_bytes):
            block = rest + data
            cut = _end_of_last_record(block)
            if cut == 0:
                rest = block
                continue
            yield block[:cut]
            rest = block[cut:]
        if rest.strip():
            yield rest


def _end_of_last_record(block: bytes) -> int:
    """The position after the last line break of ``block`` that lies outside quotes (0: none).
    ``block`` starts at a record: a line break is outside quotes when an even number of quote
    characters comes before it (an escaped quote, ``""``, counts twice)."""
    quotes_before = block.count(b'"')
    position = len(block)
    while (line_break := block.rfind(b"\n", 0, position)) >= 0:
        quotes_before -= block.count(b'"', line_break, position)
        if quotes_before % 2 == 0:
            return line_break + 1
        position = line_break
    return 0


def count_csv_records(path: Path) -> int:
    """The records of a CSV file after its header: line breaks outside quotes, plus a last
    line without one (an estimate where the file has blank lines)."""
    records, inside, last = 0, False, b"\n"
    with path.open("rb") as stream:
        while data := stream.read(_COUNT_BYTES):
            for index, part in enumerate(data.split(b'"')):
                if index > 0:
                    inside = not inside
                if not inside:
                    records += part.count(b"\n")
            last = data[-1:]
    return max(0, records + (last != b"\n") - 1)


_COUNT_BYTES = 16 << 20


def _fixed_formats(fixed: dict[str, str], staged: StagedLog, raw: pl.DataFrame) -> dict[str, str]:
    """``fixed`` plus the format of each text time column this batch chose from real values (a
    batch where the column is empty chose nothing: every format reads nothing)."""
    chosen = dict(fixed)
    for column, fmt in staged.time_formats:
        if column not in chosen and _has_text(raw.get_column(column)):
            chosen[column] = fmt
    return chosen


def _has_text(values: pl.Series) -> bool:
    text = values.cast(pl.String).str.strip_chars()
    return bool((text.is_not_null() & (text != "")).any())


def _kept_extras(staged: StagedLog, options: ReadOptions) -> pl.DataFrame:
    """The columns protect_staged keeps, where it looks for personal values."""
    kept = [c for c in staged.frame.columns if may_keep_column(c, options.keep_columns)]
    return staged.frame.select(kept)


@contextlib.contextmanager
def open_file_batches(
    path: Path, options: ReadOptions, table_format: TableFormat, *, min_rows: int
) -> Iterator[FileBatches | None]:
    """``path`` ready to be read in batches, or None when it should be read whole: fewer than
    ``min_rows`` rows, or a file the batch reader cannot take (the whole-file reader then
    reports what is wrong with it). A packed CSV is unpacked into a temporary folder outside
    the data folder for as long as the context lasts."""
    packed = table_format == "csv" and path.suffix.lower() in (".gz", ".zip")
    if packed and path.stat().st_size < _MIN_PACKED_BYTES:
        yield None  # too small to hold min_rows rows worth unpacking twice
        return
    with _unpacked(path, table_format) as table:
        yield _plan(path, table, options, table_format, min_rows=min_rows)


def _plan(
    path: Path, table: Path, options: ReadOptions, table_format: TableFormat, *, min_rows: int
) -> FileBatches | None:
    try:
        if table_format == "parquet":
            lazy = pl.scan_parquet(table)
            names = lazy.collect_schema().names()
            rows = int(lazy.select(pl.len()).collect().item())
        else:
            names = _csv_header(table, options)
            rows = count_csv_records(table)
    except (pl.exceptions.PolarsError, OSError):
        return None
    if rows < min_rows:
        return None
    check_rows(rows, where=str(path))
    mapping = resolve_columns(names, options.columns, path)
    return FileBatches(path, table, table_format, options, names, mapping, rows)


def _csv_header(table: Path, options: ReadOptions) -> list[str]:
    """The column names of a CSV file, as the whole-file reader names them."""
    first = next(csv_blocks(table, _HEADER_BYTES), b"")
    nulls = list(options.null_values) or None
    frame = pl.read_csv(
        io.BytesIO(first), infer_schema=False, null_values=nulls, encoding="utf8-lossy", n_rows=1
    )
    return frame.columns


_HEADER_BYTES = 1 << 20


@contextlib.contextmanager
def _unpacked(path: Path, table_format: TableFormat) -> Iterator[Path]:
    suffix = path.suffix.lower()
    if table_format != "csv" or suffix not in (".gz", ".zip"):
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="kitflow-unpacked-"))
    try:
        table = folder / "export.csv"
        if suffix == ".gz":
            copy_gzip(path, table)
        else:
            with ZipInput(path) as archive:
                archive.copy_to(csv_member(archive, path), table)
        yield table
    finally:
        shutil.rmtree(folder, ignore_errors=True)
