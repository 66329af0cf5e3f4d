"""Reading and writing event-log files: CSV, Parquet, XES, OCEL 2.0."""

from __future__ import annotations

from pathlib import Path

from extractors.files.batches import (
    BatchReadError,
    FileBatches,
    NewPersonalColumnsError,
    TableFormat,
    open_file_batches,
)
from extractors.files.ocel import StagedOcel, read_ocel, write_ocel
from extractors.files.options import ColumnMapping, FileFormat, LifecycleMode, ReadOptions
from extractors.files.privacy import (
    NOT_PSEUDONYMISED,
    PERSONAL_VALUE,
    check_keep_columns,
    is_person_column,
    may_keep_column,
    protect_staged,
    pseudonymise_frame,
    pseudonymise_values,
    replaced_value_notes,
)
from extractors.files.staged import StagedLog
from extractors.files.tabular import read_csv_log, read_parquet_log
from extractors.files.xes import read_xes_log, write_xes
from models.errors import InputError

__all__ = [
    "NOT_PSEUDONYMISED",
    "PERSONAL_VALUE",
    "BatchReadError",
    "ColumnMapping",
    "FileBatches",
    "FileFormat",
    "LifecycleMode",
    "NewPersonalColumnsError",
    "ReadOptions",
    "StagedLog",
    "StagedOcel",
    "TableFormat",
    "check_keep_columns",
    "detect_format",
    "is_person_column",
    "may_keep_column",
    "open_file_batches",
    "protect_staged",
    "pseudonymise_frame",
    "pseudonymise_values",
    "read_flat_log",
    "read_ocel",
    "replaced_value_notes",
    "write_ocel",
    "write_xes",
]

_SUFFIXES: dict[str, FileFormat] = {
    ".xes": "xes",
    ".xes.gz": "xes",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".zip": "csv",
    ".parquet": "parquet",
    ".jsonocel": "ocel",
    ".xmlocel": "ocel",
    ".sqlite": "ocel",
    ".sqlite3": "ocel",
}


def detect_format(path: Path) -> FileFormat:
    """The format a file's name says it has; raises when the name says nothing we read."""
    name = path.name.lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    if name.endswith(".json") or name.endswith(".xml"):
        return "ocel"
    raise InputError(
        f"cannot tell the format of {path.name} from its name: name it with --format "
        "csv|xes|ocel|parquet (known endings: " + ", ".join(sorted(_SUFFIXES)) + ")."
    )


def read_flat_log(path: Path, options: ReadOptions) -> StagedLog:
    """Read a CSV, Parquet or XES file into a staged flat log, every column and person as they
    are: before anything is stored, ``protect_staged`` keeps only the columns it may keep and
    pseudonymises the people (``extractors.files.privacy``)."""
    if not path.exists():
        raise InputError(f"there is no file at {path}: check the path.")
    file_format = detect_format(path) if options.file_format == "auto" else options.file_format
    if file_format == "csv":
        return read_csv_log(path, options)
    if file_format == "parquet":
        return read_parquet_log(path, options)
    if file_format == "xes":
        return read_xes_log(path, options)
    raise InputError(f"{path.name} is an OCEL log; it is read by the object-centric importer.")
