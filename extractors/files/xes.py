"""XES (IEEE 1849) reading and writing, plain or gzipped.

Reading has two ways through a file, with the same result:

- The **fast reader** reads the file in pieces of whole traces and finds the tags of each piece
  with numpy (no Python per event): it takes the layout nearly every XES writer produces, traces
  of events of flat attributes written ``<string key="..." value="..."/>``. Meanwhile libxml2
  (lxml) reads the same bytes on a second thread (it releases the GIL) to check that the file
  is well-formed XML, so the fast reader never has to be an XML parser itself: a file that is
  not well-formed is refused by the general reader, with its message.
- The **general reader** (lxml's ``iterparse``, element by element) takes everything else: a
  DTD, comments or processing instructions among the traces, nested attributes, prefixed tags,
  single quotes, another encoding. The fast reader hands a file over to it the moment it meets
  anything outside its layout.

Both produce the same frame: one row per event in file order, event attributes under their
canonical names, trace attributes as ``case:<key>`` columns (``concept:name`` as the case id),
columns in the order they first occur, typed by their XES types.
"""

from __future__ import annotations

import datetime as dt
import gzip
import queue
import re
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, Final
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
from lxml import etree

from extractors.archives import LimitedStream, open_gzip
from extractors.files.lifecycle import pair_lifecycle
from extractors.files.options import ReadOptions
from extractors.files.staged import StagedLog, split_flagged
from extractors.files.timestamps import parse_timestamps
from extractors.limits import check_rows, input_limits, row_counter
from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    LIFECYCLE,
    ORG_UNIT,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
    XES_NAMES,
    empty_quarantine,
)

_ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id", "list", "container"}
_EVENT_KEYS = {
    XES_NAMES[ACTIVITY]: ACTIVITY,
    XES_NAMES[TIMESTAMP]: TIMESTAMP,
    XES_NAMES[RESOURCE]: RESOURCE,
    XES_NAMES[ORG_UNIT]: ORG_UNIT,
    XES_NAMES[LIFECYCLE]: LIFECYCLE,
    XES_NAMES[START_TIMESTAMP]: START_TIMESTAMP,
}

Ints = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]


@dataclass
class _RawLog:
    """What a reader found: each column's text values (one per event, in file order), the XES
    types its values had, and the number of events."""

    columns: dict[str, pl.Series]
    types: dict[str, set[str]]
    rows: int


def read_xes_log(path: Path, options: ReadOptions) -> StagedLog:
    """Read an XES log: one row per event, trace attributes as ``case:<key>`` columns."""
    try:
        raw = _read_fast(path)
    except _NotFlat:
        raw = _read_general(path)
    if raw.rows == 0:
        raise InputError(f"{path} holds no events: is it an XES log with <trace> and <event>?")
    frame = _typed_frame(raw)
    frame, gap = _parse_dates(frame, raw.types, options)
    staged = StagedLog(frame=frame, source_format="xes", quarantine=gap)
    return pair_lifecycle(staged, options.lifecycle)


def _not_well_formed(path: Path, error: Exception) -> InputError:
    return InputError(
        f"{path} is not a well-formed XES file ({error}). Check the file, or name the "
        "format with --format if it is CSV, Parquet or OCEL."
    )


def _typed_frame(raw: _RawLog) -> pl.DataFrame:
    series = [pl.Series(EVENT_ORDER, range(raw.rows), dtype=pl.UInt64)]
    for key, values in raw.columns.items():
        kinds = raw.types[key]
        text = values.alias(key)
        if kinds == {"int"}:
            series.append(text.cast(pl.Int64, strict=False))
        elif kinds <= {"int", "float"}:
            series.append(text.cast(pl.Float64, strict=False))
        elif kinds == {"boolean"}:
            series.append(text.str.to_lowercase() == "true")
        else:
            series.append(text)
    for required in (CASE, ACTIVITY, TIMESTAMP):
        if required not in raw.columns:
            series.append(pl.Series(required, [None] * raw.rows, dtype=pl.String))
    return pl.DataFrame(series)


def _parse_dates(
    frame: pl.DataFrame, types: dict[str, set[str]], options: ReadOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    quarantine = empty_quarantine()
    date_keys = [k for k, kinds in types.items() if kinds == {"date"}]
    for key in {*date_keys, TIMESTAMP}:
        parsed = parse_timestamps(
            frame[key], column=key, timestamp_format=None, dayfirst=False, timezone=options.timezone
        )
        frame = frame.with_columns(parsed.values.alias(key))
        frame, gap = split_flagged(frame, parsed.nonexistent_local, f"{key}: local time in DST gap")
        quarantine = pl.concat([quarantine, gap])
    return frame, quarantine


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO | LimitedStream]:
    """The file's XML, unpacked (within the limits) when it is gzipped."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        with open_gzip(path) as unpacked:
            yield unpacked
    else:
        with path.open("rb") as plain:
            yield plain


# -- the general reader: lxml, element by element -------------------------------------------------


class _Columns:
    """Column-wise accumulation of attribute values, remembering each key's XES type."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.types: dict[str, set[str]] = {}
        self.rows = 0

    def add_row(self, attributes: dict[str, tuple[str, str]]) -> None:
        for key, (xes_type, value) in attributes.items():
            column = self.values.get(key)
            if column is None:
                # A key first seen now was absent from every earlier row.
                column = self.values[key] = [None] * self.rows
                self.types[key] = set()
            column.append(value)
            self.types[key].add(xes_type)
        self.rows += 1
        for column in self.values.values():
            if len(column) < self.rows:
                column.append(None)


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _attributes_of(element: Any) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for child in element:
        tag = _local(child.tag)
        if tag in _ATTRIBUTE_TAGS and child.get("key") is not None:
            found[child.get("key")] = (tag, child.get("value", ""))
    return found


def _iter_traces(
    path: Path,
) -> Iterator[tuple[dict[str, tuple[str, str]], list[dict[str, tuple[str, str]]]]]:
    events: list[dict[str, tuple[str, str]]] = []
    count_event = row_counter(where=str(path), what="events")
    with _opened(path) as stream:
        try:
            parser = etree.iterparse(
                stream, events=("end",), tag=("{*}event", "{*}trace"), huge_tree=True
            )
            for _, element in parser:
                if _local(element.tag) == "event":
                    count_event()
                    events.append(_attributes_of(element))
                else:
                    yield _attributes_of(element), events
                    events = []
                    element.clear()
                    while element.getprevious() is not None:
                        del element.getparent()[0]
        except etree.XMLSyntaxError as error:
            raise _not_well_formed(path, error) from error


def _read_general(path: Path) -> _RawLog:
    columns = _Columns()
    for trace_attributes, events in _iter_traces(path):
        case_attributes = {
            (CASE if key == "concept:name" else f"case:{key}"): typed
            for key, typed in trace_attributes.items()
        }
        for event in events:
            row = {_EVENT_KEYS.get(key, key): typed for key, typed in event.items()}
            columns.add_row({**case_attributes, **row})
    return _RawLog(
        {key: pl.Series(key, values, dtype=pl.String) for key, values in columns.values.items()},
        columns.types,
        columns.rows,
    )


# -- the fast reader: pieces of whole traces, tags found with numpy -------------------------------


class _NotFlat(Exception):  # noqa: N818 - a signal, not an error: the general reader takes over
    """The file has something the fast reader does not read (or is not well-formed)."""


_READ_BYTES: Final = 8 << 20
_PIECES_AT_ONCE: Final = 2
# Real headers (extensions, globals, classifiers, log attributes) take kilobytes and nest 3 deep;
# beyond these the general reader, with libxml2's own limits, reads the file.
_HEADER_BYTES: Final = 64 << 20
_HEADER_DEPTH: Final = 256
_TRACE_END: Final = b"</trace>"
_TYPES: Final = ("string", "date", "int", "float", "boolean", "id", "list", "container")
_TRACE_START, _TRACE_CLOSE, _EVENT_START, _EVENT_CLOSE, _ATTRIBUTE, _ROOT_CLOSE = range(6)
_DEPTH_STEP: Final = np.array([1, -1, 1, -1, 0, -1], dtype=np.int64)
# The depth (0: a child of the root) each kind of tag may start at.
_ALLOWED_DEPTHS: Final = ((0,), (1,), (1,), (2,), (0, 1, 2), (0,))
_XML_SPACE: Final = b" \t\r\n"
_IS_SPACE: Final = np.zeros(256, dtype=bool)
_IS_SPACE[list(_XML_SPACE)] = True
_REFERENCE: Final = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


@dataclass
class _Tags:
    """The tags of one piece: kind, depth, the XES type of attributes and their text spans."""

    piece: bytes
    ascii: bool
    kind: npt.NDArray[np.int8]
    depth: Ints
    xes_type: npt.NDArray[np.int8]
    key_span: tuple[Ints, Ints]
    value_span: tuple[Ints, Ints]


@dataclass
class _Column:
    """One column as the fast reader builds it: its pieces' values and where it first occurs."""

    parts: list[pl.Series] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    first: tuple[int, int, int] = (0, 0, 0)


def _read_fast(path: Path) -> _RawLog:
    """The log read by the fast reader; raises ``_NotFlat`` when the general one must read it,
    and ``InputError`` for a file the limits refuse."""
    builder = _Builder(str(path))
    with (
        _Validator() as validator,
        _opened(path) as stream,
        ThreadPoolExecutor(_PIECES_AT_ONCE, thread_name_prefix="xes-piece") as pool,
    ):
        # Pieces are read on two threads (numpy and polars release the GIL), in file order.
        pending: deque[Future[_Piece]] = deque()
        for piece, last in _pieces(stream, validator):
            if validator.error is not None:
                raise _NotFlat  # not well-formed: no need to read the rest first
            pending.append(pool.submit(_read_piece, piece, last))
            if len(pending) > _PIECES_AT_ONCE:
                builder.add(pending.popleft().result())
        while pending:
            builder.add(pending.popleft().result())
        if validator.finish() is not None:
            raise _NotFlat  # the general reader refuses it with lxml's own message
    return builder.result()


def _pieces(
    stream: BinaryIO | LimitedStream, validator: _Validator
) -> Iterator[tuple[bytes, bool]]:
    """The body of the file (from its first ``<trace>`` on) in pieces that end after a
    ``</trace>``; every byte read goes to the validator as well."""
    header = _Header()
    head = b""
    body: bytes | None = None
    while True:
        data = stream.read(_READ_BYTES)
        validator.feed(data)
        if body is None:
            head += data
            start = header.feed(data, final=not data)
            if start is None:
                if len(head) > _HEADER_BYTES:
                    raise _NotFlat
                continue
            body, head = head[start:], b""
        else:
            body += data
        if not data:
            yield body, True
            return
        cut = body.rfind(_TRACE_END)
        if cut >= 0:
            cut += len(_TRACE_END)
            yield body[:cut], False
            body = body[cut:]


class _Header:
    """Finds the byte where the first trace starts (expat, through the header), and refuses
    what the fast reader does not read: a DTD, an encoding other than UTF-8, an event before
    the first trace, a trace that is not a child of the root."""

    def __init__(self) -> None:
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.XmlDeclHandler = self._declaration
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._depth = 0
        self._start_byte: int | None = None
        self._bytes_seen = 0

    def feed(self, data: bytes, *, final: bool) -> int | None:
        """The byte where the first trace starts, once it is found in ``data`` or before."""
        if self._bytes_seen == 0 and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise _NotFlat  # UTF-16
        self._bytes_seen += len(data)
        try:
            self._parser.Parse(data, final)
        except _TraceFound:
            return self._start_byte
        except expat.ExpatError as error:
            raise _NotFlat from error
        if final:
            raise _NotFlat  # no trace at all: the general reader says what is wrong
        return None

    def _declaration(self, version: str | None, encoding: str | None, _: int) -> None:
        if version != "1.0" or (encoding or "utf-8").lower() not in ("utf-8", "utf8"):
            raise _NotFlat

    def _doctype(self, *_: object) -> None:
        raise _NotFlat

    def _start(self, name: str, _: object) -> None:
        self._depth += 1
        if self._depth > _HEADER_DEPTH:
            raise _NotFlat
        local = name.rsplit(" ", 1)[-1]
        if local in ("trace", "event"):
            if local == "event" or self._depth != 2:
                raise _NotFlat
            self._start_byte = self._parser.CurrentByteIndex
            raise _TraceFound

    def _end(self, _: str) -> None:
        self._depth -= 1


class _TraceFound(Exception):  # noqa: N818 - a signal that stops expat at the first trace
    pass


class _Validator:
    """libxml2 reading the bytes it is fed on a thread of its own (lxml releases the GIL while
    it parses): ``finish`` says whether the file was well-formed (None) or what was wrong."""

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._current = memoryview(b"")
        self._done = False
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="xes-validator", daemon=True)

    def __enter__(self) -> _Validator:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)  # stop: the parser sees the end of its input
            self._thread.join()

    def feed(self, data: bytes) -> None:
        """The next bytes of the file (empty at its end)."""
        self._chunks.put(data)

    def finish(self) -> str | None:
        """Wait for the parser to end; None when the file is well-formed."""
        self._thread.join()
        return self.error

    def read(self, size: int) -> bytes:
        """For libxml2: up to ``size`` bytes of the file, empty at its end."""
        while not self._current:
            if self._done:
                return b""
            chunk = self._chunks.get()
            if not chunk:
                self._done = True
                return b""
            self._current = memoryview(chunk)
        out = bytes(self._current[:size])
        self._current = self._current[size:]
        return out

    def _run(self) -> None:
        class _NoEvents:
            def close(self) -> None:
                return None

        try:
            etree.parse(self, etree.XMLParser(target=_NoEvents(), huge_tree=True))
        except Exception as error:  # any failure sends the file to lxml's reader
            self.error = str(error) or type(error).__name__
        while not self._done:  # drain, so the feeding thread never waits on a full queue
            self._done = not self._chunks.get()


def _tags(piece: bytes, *, last: bool) -> _Tags:
    """The tags of ``piece`` (which starts at a depth of 0, a child of the root): refuses
    (``_NotFlat``) anything but traces, events, flat attributes and, last, the root's end."""
    ascii = piece.isascii()
    if not ascii:
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _NotFlat from error
    a = np.frombuffer(piece, dtype=np.uint8)
    # Every 8 bytes from each position, as one number: tags are told apart a word at a time.
    words = np.ndarray(shape=(len(piece),), dtype="<u8", buffer=piece + bytes(8), strides=(1,))
    opening, closing = np.flatnonzero(a == ord("<")), np.flatnonzero(a == ord(">"))
    after = (words[opening] >> np.uint64(8)).astype(np.uint8)  # the byte after each '<'
    if (
        np.any((after == ord("!")) | (after == ord("?")))  # a comment, CDATA, DTD or PI
        or opening.size != closing.size
        or not np.all(opening < closing)
        or not np.all(closing[:-1] < opening[1:])
        or not _only_space_between_tags(piece, words, opening, closing)
    ):
        raise _NotFlat
    kind = np.full(opening.size, -1, dtype=np.int8)
    _find_fixed(words, opening, closing, kind)
    xes_type, key_span, value_span = _find_attributes(a, words, opening, closing, kind)
    unknown = np.flatnonzero(kind < 0)
    if unknown.size:
        if not (last and unknown.tolist() == [kind.size - 1] and a[opening[-1] + 1] == ord("/")):
            raise _NotFlat
        kind[-1] = _ROOT_CLOSE
    step = _DEPTH_STEP[kind]
    depth = np.cumsum(step) - step
    for code, allowed in enumerate(_ALLOWED_DEPTHS):
        if not np.isin(depth[kind == code], allowed).all():
            raise _NotFlat
    return _Tags(piece, ascii, kind, depth, xes_type, key_span, value_span)


def _only_space_between_tags(piece: bytes, words: Words, opening: Ints, closing: Ints) -> bool:
    """Whether ``piece`` (whose tags hold no ``<`` and ``>`` but their own) has nothing but
    white space outside its tags. The text between two tags is an indent, a few bytes: it is
    checked 8 bytes at a time."""
    if not opening.size:
        return not piece.strip(_XML_SPACE)
    if piece[: opening[0]].strip(_XML_SPACE) or piece[closing[-1] + 1 :].strip(_XML_SPACE):
        return False
    starts = closing[:-1] + 1
    lengths = opening[1:] - starts
    for offset in range(0, int(lengths.max(initial=0)), 8):
        at = np.flatnonzero(lengths > offset)
        text = words[starts[at] + offset].view(np.uint8).reshape(-1, 8)
        outside = np.arange(8) >= (lengths[at] - offset)[:, None]
        if not (_IS_SPACE[text] | outside).all():
            return False
    return True


def _find_fixed(words: Words, opening: Ints, closing: Ints, kind: npt.NDArray[np.int8]) -> None:
    """Mark ``<trace>``, ``</trace>``, ``<event>`` and ``</event>``."""
    length = closing - opening + 1
    for text, code in (
        (b"<trace>", _TRACE_START),
        (b"</trace>", _TRACE_CLOSE),
        (b"<event>", _EVENT_START),
        (b"</event>", _EVENT_CLOSE),
    ):
        at = np.flatnonzero(length == len(text))
        kind[at[_equal_at(words, opening[at], text)]] = code


def _equal_at(words: Words, starts: Ints, text: bytes) -> npt.NDArray[np.bool_]:
    """Whether the bytes from each of ``starts`` are ``text`` (compared 8 bytes at a time)."""
    if len(text) < 8:
        mask = np.uint64((1 << (8 * len(text))) - 1)
        wanted = int.from_bytes(text, "little")
        return (words[starts] & mask) == wanted  # type: ignore[no-any-return]
    equal = np.ones(starts.size, dtype=bool)
    for offset in range(0, len(text) - 7, 8):
        equal &= words[starts + offset] == int.from_bytes(text[offset : offset + 8], "little")
    tail = len(text) - 8
    equal &= words[starts + tail] == int.from_bytes(text[tail:], "little")
    return equal


def _find_attributes(
    a: npt.NDArray[np.uint8],
    words: Words,
    opening: Ints,
    closing: Ints,
    kind: npt.NDArray[np.int8],
) -> tuple[npt.NDArray[np.int8], tuple[Ints, Ints], tuple[Ints, Ints]]:
    """Mark the attributes written ``<type key="..." value="..."/>`` (a space before ``/>`` or
    not): their XES type and the spans of their key and value, per tag (0 for other tags)."""
    xes_type = np.full(kind.size, -1, dtype=np.int8)
    key_span = (np.zeros(kind.size, np.int64), np.zeros(kind.size, np.int64))
    value_span = (np.zeros(kind.size, np.int64), np.zeros(kind.size, np.int64))
    candidates = np.flatnonzero((kind < 0) & (a[opening + 1] != ord("/")))
    if not candidates.size:
        return xes_type, key_span, value_span
    quotes = np.flatnonzero(a == ord('"'))
    first = np.searchsorted(quotes, opening[candidates])
    quote = np.append(quotes, [np.iinfo(np.int64).max] * 5)  # beyond the last: never in a tag
    enough = (quote[first + 3] < closing[candidates]) & (quote[first + 4] > closing[candidates])
    candidates, first = candidates[enough], first[enough]
    q0, q1, q2, q3 = (quotes[first + i] for i in range(4))
    start, end = opening[candidates], closing[candidates]
    shaped = (q2 - q1 == 8) & (
        ((end - q3 == 2) & (a[q3 + 1] == ord("/")))
        | (
            (end - q3 == 3)
            & (a[q3 + 1] == ord(" "))
            & (a[np.minimum(q3 + 2, a.size - 1)] == ord("/"))
        )
    )
    shaped[shaped] = _equal_at(words, q1[shaped], b'" value="')
    name_length = q0 - start - 6
    lengths = set(np.unique(name_length[shaped]).tolist())
    for code, name in enumerate(_TYPES):
        if len(name) not in lengths:
            continue
        at = np.flatnonzero(shaped & (name_length == len(name)))
        at = at[_equal_at(words, start[at] + 1, name.encode() + b' key="')]
        tags = candidates[at]
        kind[tags], xes_type[tags] = _ATTRIBUTE, code
        key_span[0][tags], key_span[1][tags] = q0[at] + 1, q1[at]
        value_span[0][tags], value_span[1][tags] = q2[at] + 1, q3[at]
    return xes_type, key_span, value_span


def _texts(tags: _Tags, starts: Ints, ends: Ints) -> pl.Series:
    """The attribute values in the spans, as XML reads them (entities and character references
    replaced, white space in the value made a space)."""
    lengths = ends - starts
    if tags.ascii:  # a byte is a character: cut the values out of the piece as it is
        offsets = np.append(starts, ends[-1:])
        data = tags.piece
    else:
        offsets = np.zeros(starts.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        a = np.frombuffer(tags.piece, dtype=np.uint8)
        data = a[np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])].tobytes()
    texts = pl.Series(
        pa.LargeStringArray.from_buffers(starts.size, pa.py_buffer(offsets), pa.py_buffer(data))
    )
    if tags.ascii:
        texts = texts.str.head(pl.Series(lengths))
    special = np.flatnonzero(texts.str.contains_any(["&", "\t", "\n", "\r"]).to_numpy())
    if special.size:
        decoded = [_attribute_text(t) for t in texts.gather(special).to_list()]
        texts = texts.scatter(special, pl.Series(decoded, dtype=pl.String))
    return texts


def _attribute_text(raw: str) -> str:
    # XML ends lines with \n, then makes every white-space character in a value a space;
    # character references come in after that, so &#10; stays a line break.
    spaced = raw.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return _REFERENCE.sub(_referenced, spaced)


def _referenced(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    if name:
        return _NAMED[name]
    return chr(int(hexadecimal, 16) if hexadecimal else int(decimal))


@dataclass(frozen=True)
class _Found:
    """The values of one key among some attributes, one per event."""

    key: str
    rank: tuple[int, int, int]
    """Where the key first occurs: its first event in the piece, 0 for a trace attribute and 1
    for an event one, and its tag in the piece: the columns' order is the order of their ranks."""
    types: set[str]
    values: pl.Series


@dataclass(frozen=True)
class _Piece:
    """The events of one piece, as columns of text."""

    events: int
    event_columns: list[_Found]
    case_columns: list[_Found]


def _read_piece(piece: bytes, last: bool) -> _Piece:
    """The columns of one piece (the same work for every piece, so pieces are read in parallel;
    ``_Builder`` puts them together)."""
    tags = _tags(piece, last=last)
    event_starts = np.flatnonzero(tags.kind == _EVENT_START)
    events = event_starts.size
    if not events:
        return _Piece(0, [], [])
    event_number = np.cumsum(tags.kind == _EVENT_START) - 1
    trace_number = np.cumsum(tags.kind == _TRACE_START) - 1
    event_trace = trace_number[event_starts]
    traces = int(trace_number[-1]) + 1
    has_events = np.zeros(traces, dtype=bool)
    has_events[event_trace] = True
    attribute = tags.kind == _ATTRIBUTE
    at = np.flatnonzero(attribute & (tags.depth == 2))
    event_columns = [
        _Found(key, (int(event_number[at[first]]), 1, int(at[first])), types, values)
        for key, first, types, values in _found(tags, at, event_number[at], events)
    ]
    at = np.flatnonzero(attribute & (tags.depth == 1))
    at = at[has_events[trace_number[at]]]
    first_event = np.searchsorted(event_trace, np.arange(traces))
    case_columns = [
        _Found(
            key,
            (int(first_event[trace_number[at[first]]]), 0, int(at[first])),
            types,
            values.gather(event_trace),
        )
        for key, first, types, values in _found(tags, at, trace_number[at], traces)
    ]
    return _Piece(events, event_columns, case_columns)


class _Builder:
    """The columns of the log, built piece by piece: each piece's values are appended to its
    columns (nulls for columns a piece lacks), so only a few pieces are held as text at once."""

    def __init__(self, where: str) -> None:
        self._where = where
        self._limit = input_limits().rows
        self._columns: dict[str, _Column] = {}
        self._event_keys: dict[str, str] = {}
        self._rows = 0

    def add(self, piece: _Piece) -> None:
        """Append the events of one piece."""
        if not piece.events:
            return
        if self._rows + piece.events > self._limit:
            check_rows(self._rows + piece.events, where=self._where, what="events")
        seen: set[str] = set()
        for found in piece.event_columns:
            seen.add(self._append(self._event_column(found.key), found))
        for found in piece.case_columns:
            name = CASE if found.key == "concept:name" else f"case:{found.key}"
            seen.add(self._append(name, found))
        for name, column in self._columns.items():
            if name not in seen:
                column.parts.append(_nulls(piece.events))
        self._rows += piece.events

    def _event_column(self, key: str) -> str:
        name = _EVENT_KEYS.get(key, key)
        if name in (CASE, EVENT_ORDER) or name.startswith("case:"):
            raise _NotFlat  # an event attribute named like a case one: the general reader's rules
        if self._event_keys.setdefault(name, key) != key:
            raise _NotFlat  # two keys for one column ('activity' and 'concept:name')
        return name

    def _append(self, name: str, found: _Found) -> str:
        column = self._columns.get(name)
        if column is None:
            event, group, tag = found.rank
            column = self._columns[name] = _Column(first=(self._rows + event, group, tag))
            if self._rows:
                column.parts.append(_nulls(self._rows))
        column.parts.append(found.values)
        column.types |= found.types
        return name

    def result(self) -> _RawLog:
        """The columns in the order they first occur (per event: case columns first)."""
        ordered = sorted(self._columns.items(), key=lambda item: item[1].first)
        return _RawLog(
            {name: pl.concat(column.parts, rechunk=False) for name, column in ordered},
            {name: column.types for name, column in ordered},
            self._rows,
        )


def _nulls(rows: int) -> pl.Series:
    return pl.repeat(None, rows, dtype=pl.String, eager=True)


def _found(
    tags: _Tags, at: Ints, owner: Ints, owners: int
) -> Iterator[tuple[str, int, set[str], pl.Series]]:
    """Per key among the attributes at tag indices ``at`` (of owners ``owner``, in file order):
    the key, the index (into ``at``) of its first occurrence, the XES types of its values and
    its values per owner: the last one where an owner repeats a key, null where it has none."""
    if not at.size:
        return
    keys = _texts(tags, tags.key_span[0][at], tags.key_span[1][at])
    values = _texts(tags, tags.value_span[0][at], tags.value_span[1][at])
    codes = keys.cast(pl.Categorical).to_physical().to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for occurrences in np.split(order, bounds):
        first = int(occurrences[0])
        mine = owner[occurrences]
        last = np.append(mine[1:] != mine[:-1], True)
        group, mine = occurrences[last], mine[last]
        texts = values.gather(group)
        if mine.size < owners:
            texts = _nulls(owners).scatter(mine, texts)
        types = {_TYPES[code] for code in np.unique(tags.xes_type[at[group]])}
        yield str(keys[first]), first, types, texts


def write_xes(events: pl.DataFrame, path: Path) -> None:
    """Write a canonical log as XES (gzipped when ``path`` ends in ``.gz``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        out.write(_XES_HEADER)
        for case_events in events.partition_by(CASE, maintain_order=True):
            _write_trace(out, case_events)
        out.write("</log>\n")


_XES_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
"""


def _write_trace(out: IO[str], case_events: pl.DataFrame) -> None:
    case_columns = [c for c in case_events.columns if c.startswith("case:")]
    event_columns = [c for c in case_events.columns if c not in (*case_columns, CASE, EVENT_ORDER)]
    first = case_events.row(0, named=True)
    out.write("<trace>\n")
    out.write(_attribute("concept:name", first[CASE]))
    for column in case_columns:
        out.write(_attribute(column.removeprefix("case:"), first[column]))
    for row in case_events.select(event_columns).iter_rows(named=True):
        out.write("<event>\n")
        for column, value in row.items():
            out.write(_attribute(XES_NAMES.get(column, column), value))
        out.write("</event>\n")
    out.write("</trace>\n")


def _attribute(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        tag, text = "date", value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    elif isinstance(value, bool):
        tag, text = "boolean", str(value).lower()
    elif isinstance(value, int):
        tag, text = "int", str(value)
    elif isinstance(value, float):
        tag, text = "float", repr(value)
    else:
        tag, text = "string", str(value)
    return f"<{tag} key={quoteattr(key)} value={quoteattr(text)}/>\n"
