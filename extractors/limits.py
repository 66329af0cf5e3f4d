"""How much one input file may make KIT Flow unpack, count or parse.

Export files come from people and other systems, so a file may be hostile: a zip whose few
hundred kilobytes unpack to gigabytes, an SQLite file whose rows are computed while they are
read, JSON nested a hundred thousand deep. Every reader checks these limits before (and while)
it unpacks or reads, and stops with an ``InputTooLarge`` that says what was too big, where, the
limit, and the environment variable that raises it for a genuine file.

| variable | default | what it limits |
|---|---|---|
| ``KITFLOW_MAX_UNPACKED_MB`` | 2048 | the unpacked size of one zip member or gzip file |
| ``KITFLOW_MAX_COMPRESSION_RATIO`` | 200 | unpacked / packed size, once 8 MB are unpacked |
| ``KITFLOW_MAX_ROWS`` | 50000000 | rows (events, records) of one file, sheet or table |
| ``KITFLOW_MAX_JSON_DEPTH`` | 64 | nesting of arrays and objects in one JSON file |
| ``KITFLOW_MAX_VALUE_MB`` | 16 | one value read from an SQLite file |

The variables are read at each check, so a changed value applies to the next file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from models.errors import InputError

MB: Final = 1 << 20
UNPACKED_ENV: Final = "KITFLOW_MAX_UNPACKED_MB"
RATIO_ENV: Final = "KITFLOW_MAX_COMPRESSION_RATIO"
ROWS_ENV: Final = "KITFLOW_MAX_ROWS"
JSON_DEPTH_ENV: Final = "KITFLOW_MAX_JSON_DEPTH"
VALUE_ENV: Final = "KITFLOW_MAX_VALUE_MB"

# Real exports unpack 19x (the UCI ServiceNow zip, pm4py's receipt.xes.gz) to 30x (BPIC 2013's
# XES); a zip of zeros or of one repeated row unpacks about 1000x. Below 8 MB unpacked a high
# ratio cannot hurt, and a small, very regular file is not refused for it.
RATIO_FLOOR_BYTES: Final = 8 * MB
_DEFAULTS: Final[dict[str, int]] = {
    # 2 GB holds a CSV of well over the 10 million events docs/performance.md measures.
    UNPACKED_ENV: 2048,
    RATIO_ENV: 200,
    # Five times the 10 million events docs/performance.md measures an import at.
    ROWS_ENV: 50_000_000,
    # Real documents nest at most 7 deep (an Azure DevOps identity's _links.avatar.href), and
    # Python's own JSON parser gives up near 1000.
    JSON_DEPTH_ENV: 64,
    # A value is one attribute of one event or object; 16 MB is far beyond any real one.
    VALUE_ENV: 16,
}


class InputTooLarge(InputError):  # noqa: N818 - named for what the user reads: the input is
    """An input file exceeds a limit: the message names the file, what was too big, the limit
    and the environment variable that raises it."""


@dataclass(frozen=True)
class InputLimits:
    """The limits in force (from the environment, or the defaults)."""

    unpacked_bytes: int
    compression_ratio: int
    rows: int
    json_depth: int
    value_bytes: int


def input_limits() -> InputLimits:
    """The limits as the environment sets them now (a bad value is refused, naming it)."""
    return InputLimits(
        unpacked_bytes=_setting(UNPACKED_ENV) * MB,
        compression_ratio=_setting(RATIO_ENV),
        rows=_setting(ROWS_ENV),
        json_depth=_setting(JSON_DEPTH_ENV),
        value_bytes=_setting(VALUE_ENV) * MB,
    )


def _setting(variable: str) -> int:
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return _DEFAULTS[variable]
    if not text.isdigit() or int(text) < 1:
        raise InputError(
            f"the environment variable {variable}={os.environ[variable]!r} is not a whole "
            f"number of at least 1: set it to one (its default is {_DEFAULTS[variable]})."
        )
    return int(text)


def too_large(where: str, found: str, variable: str) -> InputTooLarge:
    """The refusal: ``where`` (the file, member or table), what was ``found`` (with the limit it
    passed), and the ``variable`` that raises the limit."""
    return InputTooLarge(
        f"{where}: {found}. A file like this can exhaust the server's memory, so it is "
        f"refused; if it is genuine, raise the limit with the environment variable {variable} "
        "and import it again."
    )


def check_rows(rows: int, *, where: str, what: str = "rows") -> None:
    """Refuse ``rows`` beyond ``KITFLOW_MAX_ROWS``."""
    limit = input_limits().rows
    if rows > limit:
        raise too_large(where, f"it holds more than {limit:,} {what}, the limit", ROWS_ENV)


def row_counter(*, where: str, what: str = "rows") -> Callable[[], None]:
    """A function to call once per row read: it raises once ``KITFLOW_MAX_ROWS`` is passed,
    so a reader stops before it holds more rows than the limit."""
    limit = input_limits().rows
    count = 0

    def count_one() -> None:
        nonlocal count
        count += 1
        if count > limit:
            check_rows(count, where=where, what=what)

    return count_one


def check_unpacked(unpacked: int, packed: int, *, where: str) -> None:
    """Refuse ``unpacked`` bytes (from ``packed`` ones) beyond the size or the ratio limit."""
    limits = input_limits()
    if unpacked > limits.unpacked_bytes:
        found = f"it unpacks to more than {limits.unpacked_bytes // MB:,} MB, the limit"
        raise too_large(where, found, UNPACKED_ENV)
    ratio = unpacked / max(packed, 1)
    if unpacked > RATIO_FLOOR_BYTES and ratio > limits.compression_ratio:
        found = (
            f"{packed:,} packed bytes unpack to {unpacked:,} or more, {ratio:,.0f} times, "
            f"beyond the limit of {limits.compression_ratio:,} times"
        )
        raise too_large(where, found, RATIO_ENV)
