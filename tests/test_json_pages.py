"""Stored raw pages are written by orjson (compact) and read back to exactly what ``json`` gave.

``encode_json`` / ``parse_own_json`` must hold the values ``json.dumps`` / ``json.loads`` held:
integers beyond 64 bits, ``NaN`` and the infinities, lone surrogates and non-text keys included.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import iter_raw_pages, page_path, write_page_atomically
from extractors.json_input import encode_json, load_json, parse_own_json


def _same(a: Any, b: Any) -> bool:
    """Equal values and types, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and str(a) == str(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _old_round_trip(document: Any) -> Any:
    """What a page held before orjson: json.dumps(sort_keys, ensure_ascii=False), json.loads."""
    return json.loads(json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def test_a_page_is_written_compact_with_sorted_keys(tmp_path: Path) -> None:
    path = page_path(tmp_path, 1)
    write_page_atomically(path, {"stream": "s", "result": [{"b": "ø", "a": 1.5}], "request": {}})
    assert path.read_bytes() == '{"request":{},"result":[{"a":1.5,"b":"ø"}],"stream":"s"}'.encode()
    assert list(iter_raw_pages(tmp_path)) == [
        (1, {"request": {}, "result": [{"a": 1.5, "b": "ø"}], "stream": "s"})
    ]


def test_a_page_written_by_json_before_reads_the_same(tmp_path: Path) -> None:
    document = {"stream": "s", "request": {"q": "a: b"}, "result": [{"n": 2**70, "x": 1e-05}]}
    page_path(tmp_path, 1).write_text(json.dumps(document, ensure_ascii=False, sort_keys=True))
    [(number, read)] = list(iter_raw_pages(tmp_path))
    assert number == 1 and _same(read, document) and type(read["result"][0]["n"]) is int


@pytest.mark.parametrize(
    ("document", "written"),
    [
        # orjson would write NaN as null: json writes it, as before.
        (
            {"result": [{"a": [float("nan")]}, float("inf")]},
            b'{"result": [{"a": [NaN]}, Infinity]}',
        ),
        # Beyond 64 bits orjson refuses: json writes it.
        ({"result": [2**64]}, b'{"result": [18446744073709551616]}'),
        # The largest integers orjson writes and reads back as integers.
        (
            {"result": [2**64 - 1, -(2**63)]},
            b'{"result":[18446744073709551615,-9223372036854775808]}',
        ),
    ],
)
def test_what_orjson_would_change_is_written_by_json(document: Any, written: bytes) -> None:
    assert encode_json(document) == written
    assert _same(parse_own_json(written), _old_round_trip(document))


def test_non_finite_numbers_of_a_saved_page_are_stored_as_json_stored_them() -> None:
    """A saved page holding NaN (json reads it) is stored as NaN, not as orjson's null."""
    read = load_json(b'{"result": [NaN, -Infinity, 1e400, 0.5, null]}', where="page")
    assert encode_json(read) == b'{"result": [NaN, -Infinity, Infinity, 0.5, null]}'
    assert _same(parse_own_json(encode_json(read)), read)
    assert encode_json({"result": [None, 0.5]}) == b'{"result":[null,0.5]}'


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"a": "\ud800"}, UnicodeEncodeError),
        ({1: "a", "b": 2}, TypeError),
        ({"a": {1, 2}}, TypeError),
    ],
)
def test_what_json_refused_is_still_refused_as_json_refused_it(document: Any, error: type) -> None:
    with pytest.raises(error):
        encode_json(document)


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(), _DOCUMENTS, max_size=4))
def test_encode_and_read_back_equal_json_for_any_document(document: dict[str, Any]) -> None:
    try:
        expected = _old_round_trip(document)
    except (UnicodeEncodeError, TypeError) as error:
        with pytest.raises(type(error)):
            encode_json(document)
        return
    assert _same(parse_own_json(encode_json(document)), expected)
