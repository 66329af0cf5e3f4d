"""Writing the export files: spilled chunks, then sorted pages in each source's real envelope.

Builders hand over polars frames per table as they go; each is spilled to a Parquet chunk under
``DIR/.spill`` so that only one table is in memory when its pages are written. Pages are written in
the envelope the real API returns (ServiceNow ``{"result": [...]}``, OData
``{"@odata.count", "value"}``, Azure DevOps reporting batches), compact JSON, UTF-8, so the same
seed gives byte-identical files.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl

SN_PAGE_SIZE = 1000  # sysparm_limit the fake API and the export use
ODATA_PAGE_SIZE = 1000  # UiPath's $top maximum
DATAVERSE_PAGE_SIZE = 5000  # Dataverse's default page size
ADO_BATCH_SIZE = 200  # the reporting API's default batch size
SORT_ROWS = 500_000  # a spilled table up to this size is sorted whole, a larger one by month
SPLIT_ROWS = 100_000  # rows of chunks split into months at a time (a larger table's first pass)
# Spilled chunks are read back once: lz4 writes them about twice as fast as the default zstd.
SPILL_PARQUET: dict[str, Any] = {"compression": "lz4", "statistics": False}


# How orjson writes a float value below 1e-4 (1e-7, 0.00005; a value ends at ',', '}' or ']'):
# two patterns, each starting with a literal that re finds fast.
_SMALL_FLOAT = (re.compile(rb"e-\d+[,}\]]"), re.compile(rb"\.0000\d*[,}\]]"))


def dump_json(path: Path, payload: Any) -> None:
    """Compact, key-order-preserving UTF-8 JSON (stable bytes for a stable payload): the bytes of
    ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))``.

    orjson writes the same bytes several times faster, except for floats below 1e-4, which it
    writes as 0.00005 or 1e-7 where json writes 5e-05 and 1e-07, and NaN and infinities, which it
    writes as null: a text that may hold such a float (any null), or that orjson refuses, is
    written by json instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data: bytes | None = orjson.dumps(payload)
    except TypeError:  # what orjson does not take (keys that are not text, huge integers)
        data = None
    if data is None or b"null" in data or any(p.search(data) for p in _SMALL_FLOAT):
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    path.write_bytes(data + b"\n")


class Spill:
    """Parquet chunks per table under one folder, read back one table at a time."""

    def __init__(self, root: Path) -> None:
        """Start with an empty spill folder."""
        self.root = root
        self.counts: dict[str, int] = {}
        self.rows: dict[str, int] = {}
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)

    def add(self, table: str, frame: pl.DataFrame) -> None:
        """Spill a part of a table, in chunks of at most ``SPLIT_ROWS`` rows (so the writer
        splits a large table into months a bounded chunk at a time); empty frames are ignored."""
        if frame.height == 0:
            return
        folder = self.root / table
        folder.mkdir(exist_ok=True)
        for offset in range(0, frame.height, SPLIT_ROWS):
            number = self.counts.get(table, 0) + 1
            self.counts[table] = number
            chunk = frame.slice(offset, SPLIT_ROWS)
            self.rows[table] = self.rows.get(table, 0) + chunk.height
            chunk.write_parquet(folder / f"chunk-{number:05d}.parquet", **SPILL_PARQUET)

    def paths(self, table: str) -> list[Path]:
        """The chunk files of a table, in the order they were added."""
        count = self.counts.get(table, 0)
        return [self.root / table / f"chunk-{i:05d}.parquet" for i in range(1, count + 1)]

    def tables(self) -> list[str]:
        """Tables with at least one chunk."""
        return sorted(self.counts)

    def close(self) -> None:
        """Remove the spill folder."""
        shutil.rmtree(self.root, ignore_errors=True)


def pages(frame: pl.DataFrame, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows of a frame as dicts, ``size`` at a time (at least one, possibly empty, page)."""
    if frame.height == 0:
        yield []
        return
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size).to_dicts()


def write_servicenow_table(out: Path, table: str, spill: Spill, sort_key: str) -> int:
    """Pages ``servicenow/<table>/page-00001.json`` of a spilled table sorted by (sort_key,
    sys_id); returns rows. A table of more than ``SORT_ROWS`` rows is sorted a month of
    ``sort_key`` at a time (its first seven characters, ``YYYY-MM``), so one month is in memory,
    not the table."""
    folder = out / "servicenow" / table
    folder.mkdir(parents=True, exist_ok=True)
    paths = spill.paths(table)
    if not paths:
        (folder / "page-00001.json").write_text('{"result":[]}\n', encoding="utf-8")
        return 0
    # The columns in the order a diagonal concat of every chunk gives them.
    columns = pl.concat([pl.read_parquet(p, n_rows=0) for p in paths], how="diagonal")
    if spill.rows[table] <= SORT_ROWS:
        months = {"": paths}
    else:
        months = _split_by_month(paths, spill.root / f"{table}.months", sort_key)
    number = rows = 0
    carried = columns.clear()
    for month in sorted(months):
        # A field some chunks lack is unset on those records: ServiceNow gives "" for it.
        frame = pl.concat([columns, *(pl.read_parquet(p) for p in months[month])], how="diagonal")
        frame = pl.concat([carried, frame.fill_null("").sort([sort_key, "sys_id"])])
        whole = frame.height - frame.height % SN_PAGE_SIZE
        for offset in range(0, whole, SN_PAGE_SIZE):
            number += 1
            _write_sn_page(folder, number, frame.slice(offset, SN_PAGE_SIZE))
        carried = frame.slice(whole)
        rows += frame.height - carried.height
    if carried.height or number == 0:
        number += 1
        _write_sn_page(folder, number, carried)
    shutil.rmtree(spill.root / f"{table}.months", ignore_errors=True)
    return rows + carried.height


def _split_by_month(paths: list[Path], folder: Path, sort_key: str) -> dict[str, list[Path]]:
    """The chunks' rows in parts by the month of ``sort_key`` (a missing value: ""), about
    ``SPLIT_ROWS`` rows of chunks at a time; the parts of each month in chunk order."""
    months: dict[str, list[Path]] = {}
    batches: list[list[Path]] = [[]]
    rows = 0
    for path in paths:
        if rows >= SPLIT_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(path)
        rows += pl.scan_parquet(path).select(pl.len()).collect().item()
    for number, batch in enumerate(batches, start=1):
        chunk = pl.concat([pl.read_parquet(p) for p in batch], how="diagonal")
        key = pl.col(sort_key).fill_null("") if sort_key in chunk.columns else pl.lit("")
        month = key.cast(pl.String).str.slice(0, 7).alias("_month")
        parts = chunk.with_columns(month).partition_by("_month", as_dict=True)
        for (name,), part in parts.items():
            target = folder / str(name or "none") / f"part-{number:05d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            part.drop("_month").write_parquet(target, **SPILL_PARQUET)
            months.setdefault(str(name), []).append(target)
    return months


def _write_sn_page(folder: Path, number: int, frame: pl.DataFrame) -> None:
    # polars serialises rows in Rust, in column order: the same bytes as json.dumps, faster.
    rows = frame.write_json() if frame.height else "[]"
    text = '{"result":' + rows + "}\n"
    (folder / f"page-{number:05d}.json").write_text(text, encoding="utf-8")


def write_odata(
    folder: Path, rows: list[dict[str, Any]], *, context: str, size: int = ODATA_PAGE_SIZE
) -> int:
    """OData pages with ``@odata.context``, ``@odata.count`` (the total, as $count=true gives)."""
    total = len(rows)
    chunks = [rows[i : i + size] for i in range(0, total, size)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        payload = {"@odata.context": context, "@odata.count": total, "value": chunk}
        dump_json(folder / f"page-{number:05d}.json", payload)
    return total


def write_dataverse(folder: Path, rows: list[dict[str, Any]], *, entity_url: str) -> int:
    """Dataverse Web API pages: ``value`` and, on all but the last, ``@odata.nextLink``."""
    size = DATAVERSE_PAGE_SIZE
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        payload: dict[str, Any] = {"@odata.context": f"{entity_url}/$metadata", "value": chunk}
        if number < len(chunks):
            payload["@odata.nextLink"] = f"{entity_url}?$skiptoken=page{number + 1}"
        dump_json(folder / f"page-{number:05d}.json", payload)
    return len(rows)


def write_ado_batches(
    folder: Path,
    values: Sequence[dict[str, Any]],
    *,
    url: str,
    token: Callable[[dict[str, Any], int], str],
) -> int:
    """Reporting-API batches: ``values``, ``nextLink``, ``continuationToken``, ``isLastBatch``.

    ``token(last_value, watermark)`` builds the continuation token from the batch's last value.
    ``values`` is sliced a batch at a time, in order (a lazy sequence builds only that batch).
    """
    size = ADO_BATCH_SIZE
    total = len(values)
    last = max(-(-total // size), 1)  # the number of batches (one, empty, when there is none)
    watermark = 0
    for number in range(1, last + 1):
        chunk = list(values[(number - 1) * size : number * size])
        watermark += len(chunk)
        cont = token(chunk[-1], watermark) if chunk else str(watermark)
        payload = {
            "values": chunk,
            "nextLink": f"{url}&continuationToken={cont}",
            "continuationToken": cont,
            "isLastBatch": number == last,
        }
        dump_json(folder / f"batch-{number:05d}.json", payload)
    return total
