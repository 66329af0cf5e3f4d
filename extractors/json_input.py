"""Parsing a JSON file from outside within the nesting limit (``KITFLOW_MAX_JSON_DEPTH``).

Python's parser recurses once per level and dies with a ``RecursionError`` near 1000 levels, so
the depth is measured first, without parsing: escapes are cut out, brackets inside strings are
left out, and the running balance of the other brackets is the depth. This runs on bytes at C
speed (about half the time ``json.loads`` takes) and needs memory for the structure only.

``encode_json`` is ``json.dumps(document, sort_keys=True, ensure_ascii=False)`` done by orjson
(about 7 times faster: it writes every stored page), and by ``json`` where orjson would not
write what ``json`` writes: what orjson refuses (integers beyond 64 bits, non-text keys, lone
surrogates, subclasses of str, int, float, dict and list, datetimes, dataclasses: ``json`` then
writes or refuses them its own way), and ``NaN`` and the infinities, which orjson writes as
``null`` (looked for only when orjson's bytes hold a ``null``). orjson writes compactly (no
space after ``,`` and ``:``) and a float in its shortest form (``0.00001`` for ``1e-05``): the
bytes differ from ``json.dumps``, the parsed values do not.

``parse_own_json`` reads a document ``encode_json`` wrote (a stored page) by orjson, a quarter
faster than ``json``: orjson's own output holds nothing orjson reads differently from ``json``
(it reads an integer beyond 64 bits as a float, and refuses ``NaN``). A document ``json`` wrote
holds ``": "`` and is read by ``json``; so is anything orjson refuses.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import numpy as np
import orjson

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


_ORJSON_WRITES: Final = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def encode_json(document: Any) -> bytes:
    """``document`` as UTF-8 JSON with sorted keys: orjson's compact bytes, or
    ``json.dumps(sort_keys=True, ensure_ascii=False)`` where orjson would not write the same
    values (raising what ``json`` raises)."""
    try:
        data = orjson.dumps(document, option=_ORJSON_WRITES)
    except orjson.JSONEncodeError:
        data = None
    if data is None or (b"null" in data and _holds_non_finite(document)):
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return data


def _holds_non_finite(document: Any) -> bool:
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return False


def parse_own_json(data: bytes) -> Any:
    """``json.loads`` of a document ``encode_json`` wrote (a stored page), by orjson when
    ``json`` did not write it (see the module docstring)."""
    if data[:1] == b"{" and b'": ' not in data:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


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
