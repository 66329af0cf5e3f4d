"""The simulator's ServiceNow pages: a large spilled table sorted a month at a time gives the
same pages as the table sorted whole."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from simulator import writer


def _spill(root: Path) -> writer.Spill:
    spill = writer.Spill(root / ".spill")
    # Chunks out of order, one lacking a column, keys in three months and one missing.
    spill.add("t", pl.DataFrame({"sys_id": ["c", "a"], "k": ["2024-02-01 10:00:00", None]}))
    spill.add(
        "t",
        pl.DataFrame(
            {"sys_id": ["b", "e", "d"], "k": ["2024-01-05 00:00:00"] * 2 + ["2023-12-31 23:59:59"],
             "x": ["1", "2", None]}
        ),
    )  # fmt: skip
    spill.add("t", pl.DataFrame({"sys_id": ["f"], "k": ["2024-01-05 00:00:00"]}))
    return spill


def _pages(folder: Path) -> list[str]:
    return [p.read_text("utf-8") for p in sorted(folder.glob("page-*.json"))]


def test_month_by_month_sort_writes_the_pages_of_the_whole_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "SN_PAGE_SIZE", 2)
    whole, by_month = tmp_path / "whole", tmp_path / "months"
    assert writer.write_servicenow_table(whole, "t", _spill(whole), "k") == 6
    monkeypatch.setattr(writer, "SORT_ROWS", 2)
    assert writer.write_servicenow_table(by_month, "t", _spill(by_month), "k") == 6
    pages = _pages(by_month / "servicenow" / "t")
    assert pages == _pages(whole / "servicenow" / "t")
    # Split into months a chunk at a time (the default takes the three chunks in one batch).
    monkeypatch.setattr(writer, "SPLIT_ROWS", 1)
    by_chunk = tmp_path / "chunks"
    assert writer.write_servicenow_table(by_chunk, "t", _spill(by_chunk), "k") == 6
    assert _pages(by_chunk / "servicenow" / "t") == pages
    assert pages[0] == (
        '{"result":[{"sys_id":"a","k":"","x":""},'
        '{"sys_id":"d","k":"2023-12-31 23:59:59","x":""}]}\n'
    )
    assert len(pages) == 3
    assert not (by_month / ".spill" / "t.months").exists()


def test_an_empty_table_is_one_empty_page(tmp_path: Path) -> None:
    spill = writer.Spill(tmp_path / ".spill")
    assert writer.write_servicenow_table(tmp_path, "t", spill, "k") == 0
    assert _pages(tmp_path / "servicenow" / "t") == ['{"result":[]}\n']


def test_a_large_part_is_spilled_in_chunks_of_split_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "SPLIT_ROWS", 2)
    spill = writer.Spill(tmp_path / ".spill")
    spill.add("t", pl.DataFrame({"sys_id": ["a", "b", "c", "d", "e"]}))
    spill.add("t", pl.DataFrame({"sys_id": []}, schema={"sys_id": pl.String}))
    spill.add("t", pl.DataFrame({"sys_id": ["f"]}))
    parts = [pl.read_parquet(p)["sys_id"].to_list() for p in spill.paths("t")]
    assert parts == [["a", "b"], ["c", "d"], ["e"], ["f"]]
    assert spill.rows["t"] == 6


@pytest.mark.parametrize(("count", "batches"), [(0, 1), (200, 1), (401, 3)])
def test_ado_batches_flag_the_last_and_carry_the_watermark(
    tmp_path: Path, count: int, batches: int
) -> None:
    values = [{"id": i} for i in range(count)]
    written = writer.write_ado_batches(
        tmp_path, values, url="u?x=1", token=lambda last, wm: f"{wm};{last['id']}"
    )
    assert written == count
    pages = [json.loads(p.read_text("utf-8")) for p in sorted(tmp_path.glob("batch-*.json"))]
    assert len(pages) == batches
    assert [p["isLastBatch"] for p in pages] == [False] * (batches - 1) + [True]
    assert sum(len(p["values"]) for p in pages) == count
    assert pages[-1]["continuationToken"] == (f"{count};{count - 1}" if count else "0")
