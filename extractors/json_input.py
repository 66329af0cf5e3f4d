"""Parsing a JSON file from outside within the nesting limit (``KITFLOW_MAX_JSON_DEPTH``).

Python's parser recurses once per level and dies with a ``RecursionError`` near 1000 levels, so
the depth is measured first, without parsing: escapes are cut out, brackets inside strings are
left out, and the running balance of the other brackets is the depth. This runs on bytes at C
speed (about half the time ``json.loads`` takes) and needs memory for the structure only.
"""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np

from extractors.limits import JSON_DEPTH_ENV, input_limits, too_large

_DROP: Final = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP: Final = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a bare value)."""
    if b"\\" in data:
        # Escapes first, left to right as JSON reads them: a doubled backslash is one
        # character, and after that an escaped quote does not end its string.
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = np.frombuffer(data.translate(None, _DROP), dtype=np.uint8)
    # A bracket after an odd number of quotes lies inside a string.
    outside = (np.cumsum(structure == ord('"'), dtype=np.int32) & 1) == 0
    steps = _STEP[structure[outside]]
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0)) if steps.size else 0


def check_json_depth(data: bytes, *, where: str) -> None:
    """Refuse JSON nested deeper than ``KITFLOW_MAX_JSON_DEPTH``."""
    limit = input_limits().json_depth
    depth = json_depth(data)
    if depth > limit:
        found = f"its JSON is nested {depth:,} levels deep, beyond the limit of {limit}"
        raise too_large(where, found, JSON_DEPTH_ENV)


def load_json(data: bytes | str, *, where: str) -> Any:
    """``json.loads`` of ``data`` once its depth is within the limit; a malformed document
    raises ``ValueError`` (or ``UnicodeDecodeError``) for the caller to explain."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    check_json_depth(raw, where=where)
    try:
        return json.loads(data)
    except RecursionError as error:
        # A limit raised beyond what Python's parser can recurse.
        found = "its JSON is nested deeper than Python's parser can follow"
        raise too_large(where, found, JSON_DEPTH_ENV) from error
