"""The partitioned layout of a large flat log: its events split by a stable hash of the case id.

A partitioned log keeps its events not in ``<log>/events.parquet`` but in a folder of
partitions, ``<log>/events/part-0000.parquet`` … ``part-NNNN.parquet``, with a description of
the split beside them, ``<log>/events/_partitioning.json`` (Spark and other Parquet readers
skip names that start with ``_``, so the folder reads as one table there).

- **Which partition**: ``fnv1a64(case id as UTF-8 bytes) mod N`` (:func:`stable_case_hash`,
  the 64-bit FNV-1a hash: offset basis 14695981039346656037, prime 1099511628211). It is
  defined here, not borrowed from polars or Spark, whose hashes may change between versions,
  so the same case lands in the same partition in every version and in every engine.
- **One case, one partition**: every event of a case lies in its case's partition, so every
  per-case measure (a case's sequence, its waits, its handovers, its rule results) is computed
  within one partition, and a log-wide figure is the merge of the partitions' figures.
- **Order**: each partition is sorted by (case, time, order), as the single-file store is; the
  partitions are read in partition order (``part-0000`` first), so a case is one unbroken run
  of rows in a scan of them all, though the case ids no longer rise across partitions.
- **Written one partition at a time**, each file complete before the next begins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

import numpy as np
import polars as pl

from models.errors import InputError
from models.schema import CASE

Partitions = int | Literal["auto"] | None
"""How to store a flat log: ``None`` one file, a count that many partitions, ``"auto"`` one file
below :data:`PARTITION_MIN_EVENTS` events and partitions from there (``kitflow import``)."""
PARTITION_FILE_GLOB: Final = "part-*.parquet"
PARTITIONING_FILE: Final = "_partitioning.json"
HASH_NAME: Final = "fnv1a64-utf8"
FNV_OFFSET: Final = 14695981039346656037
FNV_PRIME: Final = 1099511628211
MAX_PARTITIONS: Final = 4096
PARTITION_MIN_EVENTS: Final = 20_000_000
"""From this many events on, an import without ``--partitions`` stores the log partitioned."""
EVENTS_PER_PARTITION: Final = 5_000_000
"""The size an automatic split aims at: one partition per this many events."""


def partition_file(folder: Path, index: int) -> Path:
    """``<folder>/part-0003.parquet`` for partition 3."""
    return folder / f"part-{index:04d}.parquet"


def check_partitions(partitions: int) -> int:
    """``partitions`` when it is a usable count (1 to 4096); else an error that says so."""
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise InputError(
            f"--partitions {partitions} is not a usable count: give 1 to {MAX_PARTITIONS} "
            f"(about one partition per {EVENTS_PER_PARTITION:,} events)."
        )
    return partitions


def choose_partitions(partitions: Partitions, events: int) -> int | None:
    """The partition count a log of ``events`` events is stored in (None: one file)."""
    if partitions == "auto":
        return automatic_partitions(events)
    return None if partitions is None else check_partitions(partitions)


def automatic_partitions(events: int) -> int | None:
    """How many partitions an import of ``events`` events gets when none were asked for: None
    (one file) below :data:`PARTITION_MIN_EVENTS`, else one per :data:`EVENTS_PER_PARTITION`."""
    if events < PARTITION_MIN_EVENTS:
        return None
    return min(MAX_PARTITIONS, -(-events // EVENTS_PER_PARTITION))


def stable_case_hash(case_ids: Sequence[str]) -> np.ndarray:
    """The 64-bit FNV-1a hash of each case id's UTF-8 bytes (unsigned), computed over all ids
    at once, one byte position at a time."""
    encoded = [case_id.encode("utf-8") for case_id in case_ids]
    hashes = np.full(len(encoded), FNV_OFFSET, dtype=np.uint64)
    if not encoded:
        return hashes
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    width = int(lengths.max())
    if width == 0:
        return hashes
    # Fixed-width bytes, padded with zeros; the padding is masked out by each id's length.
    padded = np.frombuffer(b"".join(b.ljust(width, b"\0") for b in encoded), dtype=np.uint8)
    matrix = padded.reshape(len(encoded), width).astype(np.uint64)
    prime = np.uint64(FNV_PRIME)
    with np.errstate(over="ignore"):
        for position in range(width):
            inside = lengths > position
            mixed = (hashes ^ matrix[:, position]) * prime  # wraps modulo 2**64, as FNV does
            hashes = np.where(inside, mixed, hashes)
    return hashes


def assign_partitions(case_ids: Sequence[str], partitions: int) -> np.ndarray:
    """The partition (0 to ``partitions`` - 1) of each case id: its stable hash mod the count."""
    return (stable_case_hash(case_ids) % np.uint64(partitions)).astype(np.uint32)


def write_partitions(events: pl.DataFrame, folder: Path, partitions: int) -> None:
    """Write a canonical log, sorted by (case, time, order), as ``partitions`` files in
    ``folder`` (made here), one partition at a time; filtering keeps each file in that order.
    Every partition is written, an empty one too, so the count is what the description says."""
    check_partitions(partitions)
    folder.mkdir(parents=True)
    cases = events.get_column(CASE).unique(maintain_order=True)
    parts = pl.Series("_partition", assign_partitions(cases.to_list(), partitions))
    of_event = events.get_column(CASE).replace_strict(cases, parts, return_dtype=pl.UInt32)
    for index in range(partitions):
        events.filter(of_event == index).write_parquet(
            partition_file(folder, index), statistics=True
        )
    describe_partitions(folder, partitions)


def describe_partitions(folder: Path, partitions: int) -> None:
    """Write the description of the split beside the partition files of ``folder``."""
    description = {
        "hash": HASH_NAME,
        "partitions": partitions,
        "key": CASE,
        "sorted_by": ["case_id", "timestamp", "event_order"],
    }
    (folder / PARTITIONING_FILE).write_text(json.dumps(description, indent=2), "utf-8")


def find_partition_files(folder: Path) -> list[Path] | None:
    """The partition files of a partitioned table folder, in partition order; None when
    ``folder`` is no such folder."""
    if not (folder / PARTITIONING_FILE).is_file():
        return None
    return sorted(folder.glob(PARTITION_FILE_GLOB))
