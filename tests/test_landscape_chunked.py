"""The landscape's linking with bounded memory: ``kit-landscape`` written a range of events at
a time equals the log built whole, table for table and row for row, and ``kit-orders`` built
from lazy scans of the logs equals the view built from the whole frames (the ``kit_landscape``
fixture, scale 0.1)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from models.landscape_links import build_order_case_view, find_order_links
from models.landscape_ocel import LandscapeTables, build_landscape_ocel, write_landscape_ocel
from models.ocel import TABLES
from models.store import LogStore
from services.ingestion.azure_devops import DEFAULT_LOG as DEVOPS_LOG
from services.ingestion.azure_devops import DEVOPS_SOURCE
from services.ingestion.servicenow import SOURCE as SERVICENOW
from services.ingestion.servicenow_logs import INCIDENTS_LOG, ORDERS_LOG
from services.ocel_import import (
    build_object_centric_entry,
    compute_ocel_log_stats,
    object_centric_entry,
)
from tests.conftest import KitLandscape

CHUNK = 997
"""Rows per range: small and prime, so ranges end inside cases and every log has several."""


def _tables(store: LogStore) -> LandscapeTables:
    """The fixture's inputs, its three logs as lazy scans (as ``link_landscape`` reads them)."""
    data = store.data

    def staged(table: str) -> pl.DataFrame:
        return pl.read_parquet(data.staged_table(SERVICENOW, table))

    workitems = pl.read_parquet(data.staged_table(DEVOPS_SOURCE, "workitems"))
    relations = pl.read_parquet(data.staged_table(DEVOPS_SOURCE, "relations"))
    links = find_order_links(staged("sc_req_item"), workitems, relations)
    return LandscapeTables(
        incident_events=store.scan(INCIDENTS_LOG),
        order_events=store.scan(ORDERS_LOG),
        devops_events=store.scan(DEVOPS_LOG),
        requests=staged("sc_request"),
        items=staged("sc_req_item"),
        tasks=staged("sc_task"),
        incidents=staged("incident"),
        workitems=workitems,
        groups=staged("sys_user_group"),
        links=links.links,
    )


@pytest.fixture(scope="module")
def tables(kit_landscape: KitLandscape) -> LandscapeTables:
    return _tables(LogStore(kit_landscape.data_dir))


def test_ocel_written_in_tiny_ranges_equals_the_whole_build(
    tables: LandscapeTables, tmp_path: Path
) -> None:
    whole_inputs = dataclasses.replace(
        tables,
        incident_events=tables.incident_events.lazy().collect(),
        order_events=tables.order_events.lazy().collect(),
        devops_events=tables.devops_events.lazy().collect(),
    )
    whole = build_landscape_ocel(whole_inputs)
    written = write_landscape_ocel(tables, tmp_path, chunk_rows=CHUNK)

    # Only the six tables are left: the pieces were streamed into them and removed.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    for name, frame in whole.tables().items():
        assert_frame_equal(pl.read_parquet(written.files[name]), frame, check_exact=True)
    assert_frame_equal(written.objects, whole.objects, check_exact=True)

    # Event ids number the rows of their log across the ranges' boundaries.
    logs = [tables.incident_events, tables.order_events, tables.devops_events]
    sizes = [log.lazy().select(pl.len()).collect().item() for log in logs]
    assert all(size > 2 * CHUNK for size in sizes)
    assert whole.events.height == sum(sizes)
    ids = whole.events.get_column("event_id")
    assert ids[CHUNK - 1 : CHUNK + 1].to_list() == [
        f"sn-incident-{CHUNK}",
        f"sn-incident-{CHUNK + 1}",
    ]
    assert ids[sizes[0]] == "sn-order-1"
    assert ids[-1] == f"ado-{sizes[2]}"

    # The catalog entry counted from the written events equals the one of the whole log.
    def entry_of(stats_source: pl.DataFrame | pl.LazyFrame) -> dict[str, object]:
        entry = object_centric_entry(
            compute_ocel_log_stats(stats_source), written.objects, name="kit-landscape",
            source_path="here", source_format="landscape-ocel", quarantined=0,
        )  # fmt: skip
        return {**dataclasses.asdict(entry), "imported_at": None}

    expected = build_object_centric_entry(
        whole, name="kit-landscape", source_path="here", source_format="landscape-ocel",
        quarantined=0,
    )  # fmt: skip
    assert entry_of(pl.scan_parquet(written.files["events"])) == {
        **dataclasses.asdict(expected),
        "imported_at": None,
    }
    assert expected.events == sum(sizes)


def test_object_changes_keep_the_orders_first_appearance(tables: LandscapeTables) -> None:
    """The catalog items come in the order their orders first appear in the log (they came in
    any order before), so two builds write the same table."""
    changes = build_landscape_ocel(tables).object_changes
    items = changes.filter(pl.col("field") == "catalog_item").get_column("object_id")
    cases = tables.order_events.lazy().select("case_id").unique(maintain_order=True).collect()
    first_seen = {case: n for n, case in enumerate(cases.get_column("case_id").to_list())}
    positions = [first_seen[item] for item in items.to_list()]
    assert len(positions) > 1000
    assert positions == sorted(set(positions))


def test_order_case_view_from_scans_equals_the_view_from_whole_frames(
    tables: LandscapeTables,
) -> None:
    workitems, links = tables.workitems, tables.links
    orders, devops = tables.order_events, tables.devops_events
    from_scans = build_order_case_view(orders, devops, links, workitems)
    whole = build_order_case_view(
        orders.lazy().collect(), devops.lazy().collect(), links, workitems
    )
    assert_frame_equal(from_scans, whole, check_exact=True)
    assert from_scans.get_column("case_id").n_unique() == links["item_number"].n_unique()
