"""The saved-pages ServiceNow extraction with bounded memory equals the whole path.

Tables are staged from their prepared pages spilled to Parquet (``PageSpill``), the incident
log is mapped a chunk of cases at a time and stored through the spill (``Run.store_log_chunks``).
Here with tiny chunks, spill files and pieces, on the simulated landscape (scale 0.1), against
the whole path: ``stage_pages`` of the raw pages, ``build_events`` and ``build_canonical_log``
of the staged tables, and the fixture's data folder (built with the default sizes)."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.servicenow import (
    AUDITED_FIELDNAMES,
    PageSpill,
    build_events,
    mapping,
    saved_page_spec,
    stage_pages,
    staging_spill,
)
from models.eventlog import build_canonical_log
from models.landscape_orders import build_order_events
from models.store import LogStore
from services import streamed_import
from services.ingestion import runner
from services.ingestion.runner import ingest, raw_pages
from services.ingestion.servicenow import ServiceNowSource
from tests.conftest import KitLandscape


def _frame(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path)


@pytest.fixture
def tiny_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 700 cases, spill files of 1.500 prepared rows, pieces of 4.000 events."""
    monkeypatch.setattr(mapping, "CASES_PER_CHUNK", 700)
    monkeypatch.setattr(staging_spill, "SPILL_ROWS", 1_500)
    monkeypatch.setattr(runner, "LOG_PIECE_ROWS", 4_000)
    monkeypatch.setattr(streamed_import, "PIECE_ROWS", 4_000)


@pytest.mark.usefixtures("tiny_sizes")
def test_tiny_chunks_store_what_the_whole_path_stores(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    pages = kit_landscape.data_dir.parent / "sim" / "servicenow"
    store = LogStore(tmp_path / "data")
    report = ingest(store, ServiceNowSource(), exports=[pages])
    staged = _check_against_the_whole_path(store)
    assert {s.table: s.rows for s in report.staged}["sys_audit"] == staged["sys_audit"].height
    assert staged["sys_audit"].height > 5 * 1_500  # many spill files
    # Every staged table and log file as the fixture's (default sizes).
    fixture = LogStore(kit_landscape.data_dir)
    for table, frame in staged.items():
        assert frame.equals(_frame(fixture.data.staged_table("servicenow", table))), table
    for name in ("servicenow-incidents", "servicenow-orders"):
        mine, theirs = store.table_path(name), fixture.table_path(name)
        for suffix in ("", ".dfg", ".variants"):
            a = mine.with_name(mine.stem + suffix + ".parquet")
            b = theirs.with_name(theirs.stem + suffix + ".parquet")
            assert _frame(a).equals(_frame(b)), (name, suffix)


@pytest.mark.usefixtures("tiny_sizes")
def test_records_set_aside_in_chunks_are_the_whole_paths(
    kit_landscape: KitLandscape, tmp_path: Path
) -> None:
    # Saved pages with records that staging and the logs set aside, and a record read again.
    pages = tmp_path / "servicenow"
    shutil.copytree(kit_landscape.data_dir.parent / "sim" / "servicenow", pages)
    late = "2027-01-01 00:00:0"
    with _last_page(pages / "sys_audit") as rows:
        rows.append({**rows[3], "documentkey": "nope", "tablename": "incident",
                     "sys_id": "zz1", "sys_created_on": late + "1"})  # fmt: skip
        rows.append({**rows[5], "sys_id": "", "sys_created_on": late + "2"})
        rows.append({**rows[6], "newvalue": "-100", "fieldname": "state", "sys_id": "zz2",
                     "tablename": "incident", "sys_created_on": late + "3"})  # fmt: skip
    with _last_page(pages / "incident") as rows:
        rows.append({**rows[2], "opened_at": "yesterday", "sys_updated_on": late + "1"})
        rows.append({**rows[3], "short_description": "again", "sys_updated_on": late + "2"})
    with _last_page(pages / "sc_task") as rows:
        rows.append({**rows[1], "request_item": "missing", "sys_id": "zzorphan",
                     "number": "SCTASK-ORPHAN", "sys_updated_on": late + "1"})  # fmt: skip
    store = LogStore(tmp_path / "data")
    report = ingest(store, ServiceNowSource(), exports=[pages])
    _check_against_the_whole_path(store)
    incidents = store.catalog.get("servicenow-incidents")
    orders = store.catalog.get("servicenow-orders")
    assert incidents is not None and orders is not None
    assert (incidents.quarantined, orders.quarantined) == (5, 2)
    assert report.quarantined == 9  # 2 staging (no sys_id, a bad time) + 5 + 2


@contextlib.contextmanager
def _last_page(folder: Path) -> Iterator[list[dict[str, Any]]]:
    """The records of the folder's last saved page, written back after the edit."""
    page = sorted(folder.glob("page-*.json"))[-1]
    document = json.loads(page.read_text("utf-8"))
    yield document["result"]
    page.write_text(json.dumps(document), "utf-8")


def _check_against_the_whole_path(store: LogStore) -> dict[str, pl.DataFrame]:
    """Assert that the staged tables and both logs stored are the whole path's; the staged
    tables."""
    data = store.data
    staged = {}
    for table in ("incident", "sys_audit", "task_sla", "sys_choice", "sys_user_group",
                  "sc_req_item", "sc_task", "sc_cat_item", "sc_request"):  # fmt: skip
        whole = stage_pages(
            saved_page_spec(table), lambda t=table: raw_pages(data, "servicenow", t)
        )
        staged[table] = _frame(data.staged_table("servicenow", table))
        assert staged[table].equals(whole.frame), table
        quarantine = data.staged_quarantine("servicenow", table)
        assert quarantine.exists() == (whole.quarantine.height > 0), table
    mined = {
        **staged,
        "sys_audit": staged["sys_audit"].filter(pl.col("fieldname").is_in(AUDITED_FIELDNAMES)),
    }
    mapped = build_events(mined, table="incident")
    incidents = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    items = build_events(mined, table="sc_req_item")
    tasks = build_events(mined, table="sc_task")
    orders = build_order_events(
        item_events=items.staged,
        task_events=tasks.staged,
        audit=staged["sys_audit"],
        items=staged["sc_req_item"],
        tasks=staged["sc_task"],
        cat_items=staged["sc_cat_item"],
        requests=staged["sc_request"],
    )
    set_aside = pl.concat([items.quarantine, tasks.quarantine, orders.quarantine])
    order_log = build_canonical_log(orders.staged, quarantine=set_aside)
    for name, log in (("servicenow-incidents", incidents), ("servicenow-orders", order_log)):
        stored = store.read(name)
        assert stored["case_id"].n_unique() > 4 * 700, name  # several chunks of cases
        assert stored.height > 3 * 4_000, name  # several pieces
        assert stored.equals(log.events), name
        entry = store.catalog.get(name)
        assert entry is not None
        assert (entry.events, entry.quarantined) == (log.events.height, log.quarantine.height)
        if log.quarantine.height:
            written = pl.read_csv(store.quarantine_path(name), infer_schema=False)
            assert written["reason"].to_list() == log.quarantine["reason"].to_list(), name
            assert written["row_number"].to_list() == [str(n) for n in log.quarantine["row_number"]]
    return staged


def _audit(sys_id: str, when: str, **values: str | None) -> dict[str, str | None]:
    record: dict[str, str | None] = {
        "sys_id": sys_id, "tablename": "incident", "documentkey": "d" + sys_id,
        "fieldname": "state", "oldvalue": "1", "newvalue": "2", "user": "u",
        "record_checkpoint": "1", "sys_created_on": when, "sys_created_by": "u",
    }  # fmt: skip
    record.update(values)
    return record


@pytest.mark.parametrize("in_order", [True, False])
def test_a_spilled_staging_equals_the_whole_staging(tmp_path: Path, in_order: bool) -> None:
    # Read again (a later read wins), a record without sys_id, a bad time; in keyset order
    # or not (then the table is sorted whole).
    pages = [
        [_audit("a1", "2024-01-01 10:00:00"), _audit("a2", "2024-01-01 11:00:00")],
        [_audit("a3", "2024-01-02 10:00:00"), _audit("", "2024-01-02 11:00:00")],
        [_audit("a4", "2024-01-03 10:00:00", sys_created_on="3 Jan 2024")],
        [_audit("a1", "2024-01-04 10:00:00", newvalue="6"), _audit("a5", "2024-01-05 09:00:00")],
    ]
    if not in_order:
        pages.append([_audit("a0", "2023-12-31 10:00:00")])
    spec = saved_page_spec("sys_audit")
    spill = PageSpill(spec, tmp_path / "spill", spill_rows=2)
    for page in pages:
        spill.add(page)
    staged = spill.stage(lambda: pages)
    assert isinstance(staged.frame, pl.LazyFrame) is in_order
    frame = staged.frame.collect() if isinstance(staged.frame, pl.LazyFrame) else staged.frame
    whole = stage_pages(spec, lambda: pages)
    assert frame.equals(whole.frame)
    assert staged.quarantine.equals(whole.quarantine)
    assert frame["sys_id"].to_list() == (["a0"] if not in_order else []) + ["a2", "a3", "a1", "a5"]
    assert whole.quarantine["row_number"].to_list() == [4, 5]
