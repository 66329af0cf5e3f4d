"""The text of a stored file, for tests that look for identifiers that must not be there."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def parquet_text(path: Path) -> str:
    """A Parquet file as CSV text (it is compressed on disk); list columns (a variant's
    activities) joined with ``|``, since CSV has no list type."""
    frame = pl.read_parquet(path)
    lists = [name for name, kind in frame.schema.items() if isinstance(kind, pl.List)]
    frame = frame.with_columns(pl.col(lists).cast(pl.List(pl.String)).list.join("|"))
    return frame.cast(pl.String, strict=False).write_csv()
