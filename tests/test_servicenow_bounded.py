"""The saved-pages ServiceNow extraction with bounded memory equals the whole path.

Tables are staged from their prepared pages spilled to Parquet (``PageSpill``), the incident
log is mapped a chunk of cases at a time and stored through the spill (``Run.store_log_chunks``).
Here with tiny chunks, spill files and pieces, on the simulated landscape (scale 0.1), against
the whole path: ``stage_pages`` of the raw pages, ``build_events`` and ``build_canonical_log``
of the staged tables, and the fixture's data folder (built with the default sizes)."""

from __future__ import annotations

from pathlib import Path

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


def test_tiny_chunks_store_what_the_whole_path_stores(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mapping, "CASES_PER_CHUNK", 700)
    monkeypatch.setattr(staging_spill, "SPILL_ROWS", 1_500)
    monkeypatch.setattr(runner, "LOG_PIECE_ROWS", 4_000)
    monkeypatch.setattr(streamed_import, "PIECE_ROWS", 4_000)
    pages = kit_landscape.data_dir.parent / "sim" / "servicenow"
    store = LogStore(tmp_path / "data")
    report = ingest(store, ServiceNowSource(), exports=[pages])
    data = store.data
    fixture = LogStore(kit_landscape.data_dir).data
    staged = {}
    for table in ("incident", "sys_audit", "task_sla", "sys_choice", "sys_user_group"):
        path = data.staged_table("servicenow", table)
        whole = stage_pages(
            saved_page_spec(table), lambda t=table: raw_pages(data, "servicenow", t)
        )
        staged[table] = _frame(path)
        assert staged[table].equals(whole.frame), table
        assert staged[table].equals(_frame(fixture.staged_table("servicenow", table))), table
    assert staged["sys_audit"].height > 5 * 1_500  # many spill files
    # The incident log: the whole mapping and canonical log of the staged tables.
    mined = staged["sys_audit"].filter(pl.col("fieldname").is_in(AUDITED_FIELDNAMES))
    mapped = build_events({**staged, "sys_audit": mined}, table="incident")
    whole_log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    stored = store.read("servicenow-incidents")
    assert stored["case_id"].n_unique() > 4 * 700  # several chunks of cases
    assert stored.height > 3 * 4_000  # several pieces
    assert stored.equals(whole_log.events)
    entry = store.catalog.get("servicenow-incidents")
    assert entry is not None and entry.events == whole_log.events.height
    assert entry.quarantined == whole_log.quarantine.height
    # The order log: the whole item, task and order events of the staged tables.
    order_tables = {**staged, "sys_audit": mined}
    for table in ("sc_req_item", "sc_task", "sc_cat_item", "sc_request"):
        order_tables[table] = _frame(data.staged_table("servicenow", table))
    items = build_events(order_tables, table="sc_req_item")
    tasks = build_events(order_tables, table="sc_task")
    orders = build_order_events(
        item_events=items.staged,
        task_events=tasks.staged,
        audit=staged["sys_audit"],
        items=order_tables["sc_req_item"],
        tasks=order_tables["sc_task"],
        cat_items=order_tables["sc_cat_item"],
        requests=order_tables["sc_request"],
    )
    set_aside = pl.concat([items.quarantine, tasks.quarantine, orders.quarantine])
    whole_orders = build_canonical_log(orders.staged, quarantine=set_aside)
    stored_orders = store.read("servicenow-orders")
    assert stored_orders["case_id"].n_unique() > 4 * 700
    assert stored_orders.equals(whole_orders.events)
    # Every log file as the fixture's (default sizes).
    for name in ("servicenow-incidents", "servicenow-orders"):
        mine, theirs = store.table_path(name), LogStore(kit_landscape.data_dir).table_path(name)
        for suffix in ("", ".dfg", ".variants"):
            a = mine.with_name(mine.stem + suffix + ".parquet")
            b = theirs.with_name(theirs.stem + suffix + ".parquet")
            assert _frame(a).equals(_frame(b)), (name, suffix)
    assert {s.table: s.rows for s in report.staged}["sys_audit"] == staged["sys_audit"].height


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
