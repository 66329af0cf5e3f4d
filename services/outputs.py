"""Files and folders a command writes through ``--out``, for people to take elsewhere.

One rule for every such option: the path never lies inside the data folder (links resolved:
the store's own tables, the catalog database and the business cases live there, and a simulated
landscape holds names in clear), an existing file is only overwritten with ``--force``, and what
is written goes to a hidden temporary file beside the target first, then is moved into place in
one step, so a failed write never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from models.datafolder import DataFolder
from models.errors import InputError, KitflowError

__all__ = [
    "check_output_file",
    "check_output_folder",
    "write_output_file",
    "write_output_files",
    "write_output_folder",
]

T = TypeVar("T")
Writer = Callable[[Path], object]
"""Writes the whole output to the path it is given (a temporary file beside the target)."""


def check_output_file(data: DataFolder, path: Path, *, force: bool) -> Path:
    """``path`` if a command may write a file there: outside the data folder, not a folder,
    and new unless ``force``. Raises ``InputError`` saying what to choose instead."""
    _check_outside(data, path)
    if path.is_dir():
        raise InputError(f"{path} is a folder: --out names the file to write; add a file name.")
    if path.exists() and not force:
        raise InputError(f"{path} exists: add --force to overwrite it, or choose another --out.")
    return path


def check_output_folder(data: DataFolder, folder: Path, *, force: bool) -> Path:
    """``folder`` if a command may write its files there: outside the data folder, and new or
    empty unless ``force``."""
    _check_outside(data, folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file: --out names the folder to write into.")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InputError(
            f"{folder} exists and is not empty: add --force to overwrite the files in it, "
            "or choose another --out."
        )
    return folder


def write_output_file(data: DataFolder, path: Path, write: Writer, *, force: bool) -> Path:
    """Check ``path``, let ``write`` fill a temporary file beside it, move that into place."""
    return write_output_files(data, {path: write}, force=force)[0]


def write_output_files(
    data: DataFolder, writers: Mapping[Path, Writer], *, force: bool
) -> list[Path]:
    """Several files that belong together (a case and its bindings): every path is checked
    before any is written, and none is moved into place unless all were written."""
    paths = [check_output_file(data, path, force=force) for path in writers]
    temporaries = {path: _temporary(path) for path in paths}
    try:
        for path, write in writers.items():
            _write(write, temporaries[path], path)
        for path in paths:
            _move_file(temporaries[path], path, force=force)
    finally:
        for temporary in temporaries.values():
            # One never written leaves nothing; cleaning up must not hide the real error.
            with contextlib.suppress(OSError):
                temporary.unlink()
    return paths


def write_output_folder(
    data: DataFolder, folder: Path, write: Callable[[Path], T], *, force: bool
) -> T:
    """Check ``folder``, let ``write`` fill a temporary folder beside it, then move each of its
    entries into ``folder`` (with ``force``, over the entries of the same name; other files
    in ``folder`` are left alone). Returns what ``write`` returned."""
    check_output_folder(data, folder, force=force)
    temporary = _temporary(folder)
    try:
        result = _write(write, temporary, folder)
        folder.mkdir(exist_ok=True)
        for entry in sorted(temporary.iterdir()):
            _move_entry(entry, folder / entry.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return result


def _check_outside(data: DataFolder, path: Path) -> None:
    if data.contains(path):
        raise InputError(
            f"{path} lies inside the data folder {data.root}: --out writes files for people to "
            "take elsewhere; choose a path outside it."
        )


def _temporary(path: Path) -> Path:
    # Hidden, beside the target (same file system, so the move is one rename), and ending in
    # the target's own name: writers choose the format by the ending (.xes.gz, .jsonocel).
    return path.with_name(f".kitflow-{uuid.uuid4().hex[:12]}-{path.name}")


def _write(write: Callable[[Path], T], temporary: Path, path: Path) -> T:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write(temporary)
    except KitflowError as error:
        # The writer's message names the file it was given; the user gave ``path``.
        message = str(error).replace(str(temporary), str(path))
        raise type(error)(message.replace(temporary.name, path.name)) from error
    except OSError as error:  # no permission, disk full, a file where a folder should be
        raise InputError(
            f"cannot write {path}: {error.strerror or error}. Choose another --out."
        ) from error


def _move_file(temporary: Path, path: Path, *, force: bool) -> None:
    if force:
        os.replace(temporary, path)
        return
    # A hard link fails if the name was taken meanwhile: no file appears over another one.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise InputError(
            f"{path} exists (it was written while this command ran): add --force to overwrite "
            "it, or choose another --out."
        ) from None
    except OSError:  # a file system without hard links
        os.replace(temporary, path)


def _move_entry(entry: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        aside = _temporary(target)
        target.rename(aside)
        entry.rename(target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(entry, target)
