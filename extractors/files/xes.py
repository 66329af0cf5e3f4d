"""XES (IEEE 1849) reading and writing, plain or gzipped, streamed so large logs fit in memory."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO
from xml.sax.saxutils import quoteattr

import polars as pl
from lxml import etree

from extractors.archives import LimitedStream, open_gzip
from extractors.files.lifecycle import pair_lifecycle
from extractors.files.options import ReadOptions
from extractors.files.staged import StagedLog, split_flagged
from extractors.files.timestamps import parse_timestamps
from extractors.limits import row_counter
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
            raise InputError(
                f"{path} is not a well-formed XES file ({error}). Check the file, or name the "
                "format with --format if it is CSV, Parquet or OCEL."
            ) from error


def read_xes_log(path: Path, options: ReadOptions) -> StagedLog:
    """Read an XES log: one row per event, trace attributes as ``case:<key>`` columns."""
    columns = _Columns()
    for trace_attributes, events in _iter_traces(path):
        case_attributes = {
            (CASE if key == "concept:name" else f"case:{key}"): typed
            for key, typed in trace_attributes.items()
        }
        for event in events:
            row = {_EVENT_KEYS.get(key, key): typed for key, typed in event.items()}
            columns.add_row({**case_attributes, **row})
    if columns.rows == 0:
        raise InputError(f"{path} holds no events: is it an XES log with <trace> and <event>?")
    frame = _typed_frame(columns, options)
    frame, gap = _parse_dates(frame, columns, options)
    staged = StagedLog(frame=frame, source_format="xes", quarantine=gap)
    return pair_lifecycle(staged, options.lifecycle)


def _typed_frame(columns: _Columns, options: ReadOptions) -> pl.DataFrame:
    series = [pl.Series(EVENT_ORDER, range(columns.rows), dtype=pl.UInt64)]
    for key, values in columns.values.items():
        kinds = columns.types[key]
        raw = pl.Series(key, values, dtype=pl.String)
        if kinds == {"int"}:
            series.append(raw.cast(pl.Int64, strict=False))
        elif kinds <= {"int", "float"}:
            series.append(raw.cast(pl.Float64, strict=False))
        elif kinds == {"boolean"}:
            series.append(raw.str.to_lowercase() == "true")
        else:
            series.append(raw)
    for required in (CASE, ACTIVITY, TIMESTAMP):
        if required not in columns.values:
            series.append(pl.Series(required, [None] * columns.rows, dtype=pl.String))
    return pl.DataFrame(series)


def _parse_dates(
    frame: pl.DataFrame, columns: _Columns, options: ReadOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    quarantine = empty_quarantine()
    date_keys = [k for k, kinds in columns.types.items() if kinds == {"date"}]
    for key in {*date_keys, TIMESTAMP}:
        parsed = parse_timestamps(
            frame[key], column=key, timestamp_format=None, dayfirst=False, timezone=options.timezone
        )
        frame = frame.with_columns(parsed.values.alias(key))
        frame, gap = split_flagged(frame, parsed.nonexistent_local, f"{key}: local time in DST gap")
        quarantine = pl.concat([quarantine, gap])
    return frame, quarantine


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
