"""Reading time-registration export files (CSV or Excel) into text cells, and pseudonymising them.

A file is read into a ``CellTable``: its header and one ``(line, cells)`` per non-blank data row,
every cell as text (Excel values are turned into text the way a CSV export writes them: dates as
``YYYY-MM-DD``, clock times as ``HH:MM``, numbers with a decimal point). The employee column is
then replaced by pseudonyms and every column the mapping does not read is left out
(``pseudonymise_cells``) before anything is stored: the raw copy kept
under ``01_raw/time-registration/exports/`` is that pseudonymised table as JSON
(``write_raw_table``), so a rebuild needs neither the original file nor any name in clear.

CSV: UTF-8 (a BOM is allowed); the separator is ``;`` when the header line holds one, else
``,`` (a tab when it holds tabs). ``line`` is the line number in the file (the header is line 1).
Excel (``.xlsx``): the first sheet; ``line`` is the sheet's row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from extractors.archives import ZipInput
from extractors.limits import row_counter
from extractors.pseudonym import Pseudonymiser
from models.errors import InputError

ExportKind = Literal["csv", "xlsx"]
EXPORT_SUFFIXES: Mapping[str, ExportKind] = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx"}

# The columns a file must name (any of the spellings, compared case-insensitively), and the ones
# it may name. The first spelling is the canonical name the mapping uses.
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Dato": ("dato", "date"),
    "Medarbejder": ("medarbejder", "employee", "initialer", "brugernavn"),
    "Serviceområde": ("serviceområde", "serviceomraade", "service area", "service_area"),
    "Aktivitet": ("aktivitet", "activity"),
    "Timer": ("timer", "hours", "antal timer"),
}
OPTIONAL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Sagsreference": ("sagsreference", "case reference", "case_reference", "sagsnummer"),
    "Start": ("start", "fra", "starttid"),
    "Slut": ("slut", "end", "til", "sluttid"),
}
EMPLOYEE = "Medarbejder"


@dataclass(frozen=True)
class CellTable:
    """One export file as text: ``columns`` maps canonical names (``Dato``, ``Medarbejder``, ...)
    to positions in ``header``; ``rows`` holds one ``(line, cells)`` per non-blank data row."""

    file: str
    kind: ExportKind
    sha256: str
    header: tuple[str, ...]
    columns: Mapping[str, int]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def export_kind(path: Path) -> ExportKind:
    """``csv`` or ``xlsx`` by the file's suffix; any other file is refused with the choices."""
    kind = EXPORT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: a time-registration export must be a .csv or .xlsx file "
            f"(got {path.suffix or 'no suffix'}); save it from Excel as one of these."
        )
    return kind


def find_export_files(paths: Iterable[Path]) -> list[Path]:
    """The export files among ``paths``: files as given, folders searched (not recursively) for
    ``.csv`` and ``.xlsx`` files, in name order. A path that does not exist is an error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx")))
        elif path.is_file():
            export_kind(path)
            found.append(path)
        else:
            raise InputError(f"there is no file or folder at {path}: check the --export path.")
    if not found:
        raise InputError(
            f"no .csv or .xlsx files in {', '.join(str(p) for p in paths)}: point --export at "
            "the time-registration export files or the folder holding them."
        )
    return found


def read_export(path: Path) -> CellTable:
    """Read one export file into text cells (people still in clear: pseudonymise next)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if export_kind(path) == "xlsx":
        header, rows = _xlsx_rows(path)
    else:
        header, rows = _csv_rows(path, data)
    columns = _resolve_columns(path.name, header)
    return CellTable(path.name, export_kind(path), digest, header, columns, tuple(rows))


def _csv_rows(path: Path, data: bytes) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path.name}: byte {error.start} is not UTF-8; save the export as 'CSV UTF-8'."
        ) from error
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    count_row = row_counter(where=str(path))
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # a blank line holds no booking
        if header is None:
            header = tuple(c.strip() for c in cells)
            continue
        count_row()
        rows.append((reader.line_num, tuple(cells)))
    if header is None:
        raise InputError(f"{path.name} is empty: expected a header row and booking rows.")
    return header, rows


def _xlsx_rows(path: Path) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    import openpyxl  # noqa: PLC0415 - only Excel files need it

    # A workbook is a zip that openpyxl unpacks by itself: every part is unpacked once within
    # the limits first, so a bomb is refused before openpyxl fills the memory with it.
    with ZipInput(path) as parts:
        parts.check_all()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several unrelated types for a bad file
        raise InputError(f"{path.name} cannot be read as an Excel workbook: {error}") from error
    try:
        sheet = book.worksheets[0]
        header: tuple[str, ...] | None = None
        rows: list[tuple[int, tuple[str, ...]]] = []
        count_row = row_counter(where=str(path))
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_cell_text(v) for v in values)
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = tuple(c.strip() for c in cells)
                continue
            count_row()
            rows.append((number, cells))
    finally:
        book.close()
    if header is None:
        raise InputError(f"{path.name}: the first sheet is empty; expected a header row.")
    return header, rows


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0)
        return value.date().isoformat() if midnight else value.isoformat(" ", "seconds")
    if isinstance(value, dt.date | dt.time):
        return _date_or_clock_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date_or_clock_text(value: dt.date | dt.time) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return value.isoformat()


def _resolve_columns(file: str, header: tuple[str, ...]) -> dict[str, int]:
    spelled = {name.casefold(): i for i, name in enumerate(header)}
    columns: dict[str, int] = {}
    for canonical, spellings in {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}.items():
        for spelling in spellings:
            if spelling in spelled:
                columns[canonical] = spelled[spelling]
                break
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InputError(
            f"{file}: the header lacks the column(s) {', '.join(missing)} (found: "
            f"{', '.join(header)}). A time-registration export needs "
            f"{';'.join(REQUIRED_COLUMNS)} and may add Sagsreference, Start and Slut."
        )
    return columns


def pseudonymise_cells(table: CellTable, pseudonym: Pseudonymiser) -> CellTable:
    """The table with only its mapped columns (``REQUIRED_COLUMNS``, ``OPTIONAL_COLUMNS``: a
    comment or a CPR number in another column is never kept) and every employee cell replaced
    by its pseudonym (blank cells stay blank)."""
    mapped = mapped_only(table)
    at = mapped.columns[EMPLOYEE]
    rows = tuple(
        (line, tuple(pseudonym(c) or "" if i == at else c for i, c in enumerate(cells)))
        for line, cells in mapped.rows
    )
    return replace(mapped, rows=rows)


def mapped_only(table: CellTable) -> CellTable:
    """The table cut to the columns the mapping reads, in their header order."""
    positions = sorted(table.columns.values())
    names = {at: name for name, at in table.columns.items()}
    return replace(
        table,
        header=tuple(table.header[at] for at in positions),
        columns={names[at]: index for index, at in enumerate(positions)},
        rows=tuple(
            (line, tuple(cells[at] if at < len(cells) else "" for at in positions))
            for line, cells in table.rows
        ),
    )


def write_raw_table(table: CellTable, folder: Path) -> Path:
    """Store the (pseudonymised) table as ``<folder>/<file name>.json``; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table.file}.json"
    document = {
        "file": table.file,
        "kind": table.kind,
        "sha256": table.sha256,
        "header": list(table.header),
        "columns": dict(table.columns),
        "rows": [[line, list(cells)] for line, cells in table.rows],
    }
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    temporary.replace(path)
    return path


def read_raw_tables(folder: Path) -> Iterator[CellTable]:
    """The stored tables of ``folder`` in file-name order."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        yield CellTable(
            file=doc["file"],
            kind=doc["kind"],
            sha256=doc["sha256"],
            header=tuple(doc["header"]),
            columns={str(k): int(v) for k, v in doc["columns"].items()},
            rows=tuple((int(line), tuple(cells)) for line, cells in doc["rows"]),
        )
