"""A log cannot take the name of a source's folder in ``03_primary`` (``robots``,
``time-registration``, ``landscape-links``): import, export and delete refuse it with the
reserved set named, and leave the source's tables as they were."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from app.cli import cli
from mining import discover_dfg
from models.datafolder import RESERVED_LOG_NAMES
from models.errors import InputError

RESERVED = "landscape-links, robots, time-registration"


def _source_tables(data_dir: Path, name: str) -> dict[str, bytes]:
    """A source's folder in 03_primary with a table and a quarantine, as its extraction leaves."""
    folder = data_dir / "03_primary" / name
    folder.mkdir(parents=True)
    (folder / "runs.parquet").write_bytes(b"the source's own table")
    (folder / "quarantine.csv").write_text("row,reason\n7,missing robot\n", "utf-8")
    return _contents(folder)


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _refused(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert isinstance(result.exception, InputError), (result.output, result.exception)
    return str(result.exception)


@pytest.mark.parametrize("name", sorted(RESERVED_LOG_NAMES))
def test_an_import_under_a_source_folders_name_is_refused_and_touches_nothing(
    tmp_path: Path, data_dir: Path, name: str
) -> None:
    source = tmp_path / "log.csv"
    source.write_text("case_id,activity,timestamp\nc1,A,2024-01-01T08:00:00Z\n", "utf-8")
    before = _source_tables(data_dir, name)
    message = _refused("import", str(source), "--name", name)
    assert f"the log name {name!r} is reserved" in message
    assert RESERVED in message
    assert _contents(data_dir / "03_primary" / name) == before
    assert _refused("import", str(source), "--name", name, "--replace") == message
    assert _contents(data_dir / "03_primary" / name) == before


def test_export_and_delete_of_a_source_folders_name_are_refused(
    tmp_path: Path, data_dir: Path
) -> None:
    before = _source_tables(data_dir, "robots")
    out = tmp_path / "robots.csv"
    for args in (("delete", "robots"), ("export", "robots", "--format", "csv", "--out", str(out))):
        message = _refused(*args)
        assert "'robots' is reserved" in message
        assert RESERVED in message
    assert not out.exists()
    assert _contents(data_dir / "03_primary" / "robots") == before


def test_a_scan_of_a_source_table_named_like_a_log_leaves_no_aggregate_beside_it(
    data_dir: Path,
) -> None:
    # A stored log is <data>/03_primary/<log>/events.parquet by the data folder's rule: a table
    # of the same name in a source's folder is not one, so no aggregate is written into it.
    folder = data_dir / "03_primary" / "robots"
    folder.mkdir(parents=True)
    table = folder / "events.parquet"
    pl.DataFrame(
        {"case_id": ["c1", "c1"], "activity": ["A", "B"], "timestamp": [1, 2]},
        schema_overrides={"activity": pl.Categorical, "timestamp": pl.Datetime("us", "UTC")},
    ).write_parquet(table)
    assert discover_dfg(pl.scan_parquet(table)).height == 1
    assert sorted(p.name for p in folder.iterdir()) == ["events.parquet"]
