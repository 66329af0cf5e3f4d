"""Saved ServiceNow pages as streams, and the order-to-work-item links, on hand-made records."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.base import Bookmark, Cursor
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser
from extractors.servicenow.pages import SavedPagesStream, find_saved_tables, saved_page_spec
from models.landscape_links import find_order_links, service_area_key
from models.store import LogStore
from services.ingestion import IngestionReport, ServiceNowSource, ingest

KEY = "landscape-unit-test-key-0123456789"


def _item(n: int, updated: str, **extra: str) -> dict[str, str]:
    return {
        "sys_id": f"{n:032x}",
        "number": f"RITM{n:07d}",
        "state": "1",
        "opened_at": "2024-01-02 08:00:00",
        "sys_created_on": "2024-01-02 08:00:00",
        "sys_updated_on": updated,
        "opened_by": "jens.hansen",
        "requested_for": "jens.hansen",
        "short_description": "Ny rapport til Jens Hansen",
        **extra,
    }


def _save(folder: Path, table: str, *pages: list[Any]) -> Path:
    target = folder / table
    target.mkdir(parents=True, exist_ok=True)
    for number, records in enumerate(pages, start=1):
        (target / f"page-{number:05d}.json").write_text(json.dumps({"result": records}), "utf-8")
    return target


def _stream(folder: Path, page_size: int = 2) -> SavedPagesStream:
    spec = saved_page_spec("sc_req_item")
    return SavedPagesStream(folder, spec, Pseudonymiser(KEY.encode()), page_size=page_size)


def test_pages_follow_the_keyset_and_keep_declared_fields_only(tmp_path: Path) -> None:
    folder = _save(
        tmp_path,
        "sc_req_item",
        [_item(1, "2024-01-02 09:00:00"), _item(2, "2024-01-02 09:00:00")],
        [_item(3, "2024-01-03 10:00:00", correlation_id="1234")],
    )
    stream = _stream(folder)
    first = stream.fetch_page(Cursor(None))
    assert [r["number"] for r in first.records] == ["RITM0000001", "RITM0000002"]
    assert first.next_bookmark == Bookmark("2024-01-02 09:00:00", f"{2:032x}")
    record = first.records[0]
    assert "short_description" not in record  # free text never leaves the export
    assert record["opened_by"] == record["requested_for"] != "jens.hansen"
    assert record["opened_by"].startswith("p-")
    second = stream.fetch_page(Cursor(first.next_bookmark, resume=True))
    assert [(r["number"], r["correlation_id"]) for r in second.records] == [("RITM0000003", "1234")]
    assert stream.fetch_page(Cursor(second.next_bookmark, resume=True)).records == ()
    # A new run re-reads the bookmark's own second, as the live API does.
    again = _stream(folder).fetch_page(Cursor(second.next_bookmark, resume=False))
    assert [r["number"] for r in again.records] == ["RITM0000003"]


def test_pages_out_of_keyset_order_stop_with_the_file_named(tmp_path: Path) -> None:
    folder = _save(
        tmp_path, "sc_req_item", [_item(2, "2024-01-05 09:00:00"), _item(1, "2024-01-02 09:00:00")]
    )
    with pytest.raises(FatalError, match=r"page-00001\.json: record .* must be in"):
        _stream(folder).fetch_page(Cursor(None))


def test_a_record_without_keys_is_handed_out_once(tmp_path: Path) -> None:
    keyless = {"number": "RITM0000009", "state": "1"}
    folder = _save(tmp_path, "sc_req_item", [_item(1, "2024-01-02 09:00:00"), keyless])
    stream = _stream(folder, page_size=1)
    first = stream.fetch_page(Cursor(None))
    second = stream.fetch_page(Cursor(first.next_bookmark, resume=True))
    assert [r.get("number") for r in (*first.records, *second.records)] == [
        "RITM0000001",
        "RITM0000009",
    ]
    assert stream.fetch_page(Cursor(first.next_bookmark, resume=True)).records == ()


def test_find_saved_tables_skips_people_and_unknown_folders(tmp_path: Path) -> None:
    _save(tmp_path, "sys_user", [{"sys_id": "a", "user_name": "jens.hansen"}])
    _save(tmp_path, "contract_sla", [{"sys_id": "b"}])
    _save(tmp_path, "sc_req_item", [_item(1, "2024-01-02 09:00:00")])
    _save(tmp_path, "sys_user_group", [])
    (tmp_path / "incident").mkdir()
    saved = find_saved_tables(tmp_path)
    assert saved.tables == ("sc_req_item", "sys_user_group")
    assert saved.not_read == (
        ("contract_sla", "not a declared ServiceNow stream"),
        ("incident", "no page-*.json files"),
        ("sys_user", "holds people in clear; never copied"),
    )
    with pytest.raises(FatalError, match="holds no saved ServiceNow pages"):
        find_saved_tables(tmp_path / "incident")


def import_servicenow_pages(store: LogStore, folder: Path) -> IngestionReport:
    return ingest(store, ServiceNowSource(), exports=[folder])


def test_import_twice_stores_the_same_log_and_no_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    saved = tmp_path / "saved"
    _save(saved, "sc_req_item", [_item(1, "2024-01-02 09:00:00"), {"state": "1"}])
    _save(saved, "sys_user", [{"sys_id": "a", "user_name": "jens.hansen"}])
    store = LogStore(tmp_path / "data")
    first = import_servicenow_pages(store, saved)
    events = store.read("servicenow-orders")
    second = import_servicenow_pages(store, saved)
    assert [(r.stream, r.pages, r.records) for r in first.streams] == [("sc_req_item", 1, 2)]
    # Again: the bookmark's own second and the record without keys (it has no place in the
    # keyset, so every run hands it out); staging keeps one of each.
    assert [(r.stream, r.pages, r.records) for r in second.streams] == [("sc_req_item", 1, 2)]
    assert store.read("servicenow-orders").equals(events)
    assert events.select("case_id", "activity").rows() == [("RITM0000001", "Created")]
    # The record without sys_id is quarantined with the reason, once, not dropped.
    staged = [[(t.table, t.rows, t.quarantined) for t in r.staged] for r in (first, second)]
    assert staged == [[("sc_req_item", 1, 1)]] * 2
    assert [log.entry.name for log in first.logs] == ["servicenow-orders"]
    assert first.notes == ("not read: sys_user/ (holds people in clear; never copied).",)
    raw = (tmp_path / "data" / "01_raw" / "servicenow").rglob("*.json")
    text = "".join(p.read_text("utf-8") for p in raw)
    assert "jens.hansen" not in text and "Jens Hansen" not in text
    assert not (tmp_path / "data" / "01_raw" / "servicenow" / "sys_user").exists()


T0 = dt.datetime(2024, 1, 2, 8, tzinfo=dt.UTC)


def test_order_links_by_each_mark_with_dangling_and_unlinked_kept() -> None:
    items = pl.DataFrame(
        {
            "sys_id": ["a" * 32, "b" * 32, "c" * 32, "d" * 32],
            "number": ["RITM0000001", "RITM0000002", "RITM0000003", "RITM0000004"],
            "opened_at": [T0, T0, T0, T0],
            "correlation_id": ["", "20", "99", "x1"],
            "cat_item": ["dev", "dev", "dev", "mail"],
        }
    )
    workitems = pl.DataFrame(
        {
            "id": [10, 20],
            "work_item_type": ["Feature", "Feature"],
            "created_date": [T0 + dt.timedelta(days=4, seconds=0.75), T0 + dt.timedelta(minutes=5)],
        }
    )
    base = "https://kk.service-now.com"
    relations = pl.DataFrame(
        {
            "id": [10, 20, 20, 30],
            "rel": ["Hyperlink", "Hyperlink", "System.LinkTypes.Hierarchy-Forward", "Hyperlink"],
            "url": [
                f"{base}/nav_to.do?uri=sc_req_item.do?sysparm_query=number=RITM0000001",
                f"{base}/sc_req_item.do?sys_id={'b' * 32}",
                "https://dev.azure.com/kk/KIT/_apis/wit/workItems/21",
                f"{base}/sc_req_item.do?sys_id={'e' * 32}",
            ],
        }
    )
    links = find_order_links(items, workitems, relations)
    assert links.links.select("item_number", "work_item_id", "linked_by", "lag_s").rows() == [
        ("RITM0000001", 10, "hyperlink_number", 345600.0),
        ("RITM0000002", 20, "correlation_id+hyperlink_sys_id", 300.0),
    ]
    assert links.linked_orders == 2
    assert links.dangling.rows() == [
        ("correlation_id", -1, "d" * 32, "correlation_id is not a work item id (not a number)"),
        ("correlation_id", 99, "c" * 32, "correlation_id names a work item that was not extracted"),
        (
            "hyperlink_sys_id",
            30,
            "e" * 32,
            "the Hyperlink names a requested item sys_id that was not extracted",
        ),
    ]
    assert links.unlinked.rows() == [
        ("c" * 32, "RITM0000003", "dev"),
        ("d" * 32, "RITM0000004", "mail"),
    ]


def test_service_area_names_of_both_systems_meet() -> None:
    assert service_area_key("Drift & Infrastruktur") == service_area_key("Drift og Infrastruktur")
    assert service_area_key("Servicedesk") == "servicedesk"
