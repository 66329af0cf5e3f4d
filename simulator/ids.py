"""Deterministic identifiers and the source systems' text formats, vectorised with numpy/polars.

Every identifier is derived from (seed, namespace, sequence number) through splitmix64, a
bijection on 64-bit integers: ids are unique within a namespace, look random like real sys_ids and
GUIDs, and do not depend on the order the generator happens to run in.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
U64 = NDArray[np.uint64]
StrArray = NDArray[np.str_]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x: U64) -> U64:
    """The splitmix64 finaliser; numpy wraps uint64 arithmetic, which is what the hash wants."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def namespace_base(seed: int, namespace: str) -> np.uint64:
    """A stable 64-bit salt for one namespace (hashlib, not hash(), which is salted per process)."""
    digest = hashlib.blake2b(f"{seed}:{namespace}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


def _hex_words(seed: int, namespace: str, seq: IntArray, words: int) -> NDArray[np.uint8]:
    """``words`` 64-bit hashes per sequence number as ASCII hex digits, shape (n, 16*words)."""
    base = namespace_base(seed, namespace)
    first = splitmix64(seq.astype(np.uint64) ^ base)
    parts = [first]
    for i in range(1, words):
        parts.append(splitmix64(parts[-1] ^ np.uint64(i)))
    stacked = np.stack(parts, axis=1).astype(">u8")
    text = stacked.tobytes().hex().encode("ascii")
    return np.frombuffer(text, dtype=np.uint8).reshape(len(seq), 16 * words)


def make_sys_ids(seed: int, namespace: str, seq: IntArray) -> StrArray:
    """ServiceNow sys_ids: 32 lower-case hex digits."""
    digits = _hex_words(seed, namespace, seq, 2)
    return np.ascontiguousarray(digits).view("S32").ravel().astype("U32")


def make_guids(seed: int, namespace: str, seq: IntArray) -> StrArray:
    """GUIDs in the 8-4-4-4-12 form that Azure DevOps, UiPath and Dataverse use."""
    digits = _hex_words(seed, namespace, seq, 2)
    out = np.full((len(seq), 36), ord("-"), dtype=np.uint8)
    for src, dst in ((slice(0, 8), slice(0, 8)), (slice(8, 12), slice(9, 13))):
        out[:, dst] = digits[:, src]
    out[:, 14:18] = digits[:, 12:16]
    out[:, 19:23] = digits[:, 16:20]
    out[:, 24:36] = digits[:, 20:32]
    return out.view("S36").ravel().astype("U36")


def numbered(prefix: str, start: int, count: int, width: int = 7) -> StrArray:
    """Record numbers such as INC0010001, in sequence."""
    numbers = np.arange(start, start + count, dtype=np.int64)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def _epoch(seconds: IntArray, unit: Literal["s", "ms"] = "s") -> pl.Expr:
    """Epoch numbers as a datetime expression; negative numbers (not set) become null."""
    series = pl.Series("t", seconds, dtype=pl.Int64)
    return pl.when(series >= 0).then(pl.from_epoch(series, time_unit=unit))


def format_servicenow_time(seconds: IntArray) -> pl.Series:
    """'YYYY-MM-DD HH:MM:SS' UTC as the Table API returns in value mode; -1 gives ''."""
    expr = _epoch(seconds).dt.strftime("%Y-%m-%d %H:%M:%S").fill_null("")
    return pl.select(expr.alias("t")).to_series()


def format_servicenow_duration(seconds: IntArray) -> pl.Series:
    """Durations as ServiceNow stores them: an offset from the epoch, '1970-01-01 03:22:28'."""
    return format_servicenow_time(seconds)


def format_iso_ms(ms: IntArray, *, trim: bool) -> pl.Series:
    """ISO-8601 UTC with milliseconds and a Z; ``trim`` drops trailing zeros as .NET does."""
    expr = _epoch(ms, "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f")
    if trim:
        expr = expr.str.strip_chars_end("0").str.strip_chars_end(".")
    return pl.select((expr + "Z").alias("t")).to_series()


def format_iso_s(seconds: IntArray) -> pl.Series:
    """ISO-8601 UTC to the second with a Z, as the Dataverse Web API returns."""
    expr = _epoch(seconds).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return pl.select(expr.alias("t")).to_series()
