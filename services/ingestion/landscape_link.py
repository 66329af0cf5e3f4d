"""The landscape's cross-system views, built from what the sources stored: the orders linked
to the Azure DevOps work items created from them, the flattened case view ``kit-orders`` and the
object-centric ``kit-landscape`` (OCEL 2.0)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from models.catalog import LogEntry
from models.datafolder import DataFolder
from models.errors import InputError
from models.eventlog import build_canonical_log
from models.landscape_links import OrderLinks, build_order_case_view, find_order_links
from models.landscape_ocel import LandscapeTables, write_landscape_ocel
from models.schema import empty_quarantine
from models.spreadsheet import write_spreadsheet_csv
from models.store import LogStore
from services.ingestion.azure_devops import DEFAULT_LOG as DEVOPS_LOG
from services.ingestion.azure_devops import DEVOPS_SOURCE
from services.ingestion.runner import LogReport
from services.ingestion.servicenow import SOURCE as SERVICENOW
from services.ingestion.servicenow_logs import (
    INCIDENTS_LOG,
    ORDERS_LOG,
    empty_staged,
    format_int,
)
from services.ocel_import import compute_ocel_log_stats, object_centric_entry
from services.storing import store_canonical_log

KIT_ORDERS_LOG = "kit-orders"
LANDSCAPE_LOG = "kit-landscape"


@dataclass(frozen=True)
class LinkReport:
    """The cross-system views: the links found, the flat ``kit-orders`` log and the
    object-centric ``kit-landscape`` log, and where the link tables were written."""

    links: OrderLinks
    kit_orders: LogReport
    landscape: LogEntry
    folder: Path


def link_landscape(store: LogStore) -> LinkReport:
    """Link the stored ServiceNow orders to the stored DevOps work items; store ``kit-orders``
    and ``kit-landscape`` and write the link tables to ``03_primary/landscape-links``."""
    data = store.data
    needed = [data.staged_table(SERVICENOW, t) for t in _NEEDED_TABLES]
    missing = [p for p in needed if not p.exists()]
    if missing or store.catalog.get(ORDERS_LOG) is None or store.catalog.get(DEVOPS_LOG) is None:
        raise InputError(
            "linking needs the ServiceNow orders and the Azure DevOps work items: run "
            "'kitflow extract servicenow --export FOLDER' (or 'kitflow demo') and "
            "'kitflow extract azure-devops' first"
            + (f" (missing {', '.join(str(p) for p in missing)})." if missing else ".")
        )
    staged = {t: _staged_or_empty(data, t) for t in _SN_TABLES}
    workitems = _columns(pl.scan_parquet(data.staged_table(DEVOPS_SOURCE, "workitems")))
    relations = _columns(pl.scan_parquet(data.staged_table(DEVOPS_SOURCE, "relations")))
    links = find_order_links(staged["sc_req_item"], workitems, relations)
    folder = _write_links(data, links)
    # The logs as scans: each step reads only the rows and columns it needs.
    orders, devops = store.scan(ORDERS_LOG), store.scan(DEVOPS_LOG)
    view = build_canonical_log(build_order_case_view(orders, devops, links.links, workitems))
    kit_orders = store_canonical_log(
        store, view, name=KIT_ORDERS_LOG, source_path=str(folder),
        source_format="landscape-link", replace=True,
    )  # fmt: skip
    del view  # not held while the object-centric log is written
    tables = LandscapeTables(
        incident_events=store.scan(INCIDENTS_LOG),
        order_events=orders,
        devops_events=devops,
        requests=staged["sc_request"],
        items=staged["sc_req_item"],
        tasks=staged["sc_task"],
        incidents=staged["incident"],
        workitems=workitems,
        groups=staged["sys_user_group"],
        links=links.links,
    )
    landscape = _store_object_centric(store, tables, source_path=str(folder))
    quarantine_file = store.quarantine_path(KIT_ORDERS_LOG) if kit_orders.quarantined else None
    built = LogReport(kit_orders, kit_orders.quarantined, quarantine_file)
    return LinkReport(links, built, landscape, folder)


_NEEDED_TABLES = ("sc_req_item", "incident", "sys_user_group")
_SN_TABLES = ("sc_request", "sc_req_item", "sc_task", "incident", "sys_user_group")


_USED_COLUMNS = frozenset(
    {
        # ServiceNow: the objects, their links and assignments, a catalog item, a priority
        "sys_id", "number", "name", "request", "request_item", "assignment_group", "opened_at",
        "correlation_id", "cat_item", "priority",
        # Azure DevOps work items and relations
        "id", "work_item_type", "parent", "area_path", "created_date", "rel", "url",
        "servicenow_sys_id", "servicenow_number",
    }
)  # fmt: skip
"""The staged columns linking reads; the others (dozens per table) are left on disk."""


def _staged_or_empty(data: DataFolder, table: str) -> pl.DataFrame:
    path = data.staged_table(SERVICENOW, table)
    return _columns(pl.scan_parquet(path)) if path.exists() else _columns(empty_staged(table))


def _columns(table: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """The columns of a staged table linking reads."""
    lazy = table.lazy()
    return lazy.select([c for c in lazy.collect_schema().names() if c in _USED_COLUMNS]).collect()


def _write_links(data: DataFolder, links: OrderLinks) -> Path:
    """``order_links.parquet``, ``dangling_links.csv`` and ``unlinked_items.parquet``."""
    folder = data.links_folder()
    folder.mkdir(parents=True, exist_ok=True)
    links.links.write_parquet(data.order_links())
    write_spreadsheet_csv(links.dangling, data.dangling_links())
    links.unlinked.write_parquet(data.unlinked_items())
    return folder


def _store_object_centric(
    store: LogStore, tables: LandscapeTables, *, source_path: str
) -> LogEntry:
    """Write ``kit-landscape``'s tables in a spill folder a range of events at a time, count
    its entry from the written files and move them into the store."""
    with store.data.spill_folder() as spill:
        written = write_landscape_ocel(tables, spill)
        entry = object_centric_entry(
            compute_ocel_log_stats(pl.scan_parquet(written.files["events"])),
            written.objects,
            name=LANDSCAPE_LOG, source_path=source_path, source_format="landscape-ocel",
            quarantined=0,
        )  # fmt: skip
        tables_written: dict[str, pl.DataFrame | Path] = dict(written.files)
        return store.save(entry, tables_written, empty_quarantine(), replace=True)


def describe_links(report: LinkReport) -> str:
    """One paragraph on the links: orders linked (by which mark), marks pointing nowhere, items
    without a link, and where the tables are."""
    links = report.links
    by_mark = links.links.group_by("linked_by").agg(pl.col("item_number").n_unique())
    marks = ", ".join(f"{format_int(n)} by {m}" for m, n in sorted(by_mark.rows()))
    return (
        f"Linked {format_int(links.linked_orders)} orders to "
        f"{format_int(links.links.height)} DevOps work items ({marks or 'none'}); "
        f"{format_int(links.dangling.height)} link(s) point at nothing extracted; "
        f"{format_int(links.unlinked.height)} requested items have no DevOps link. Tables in "
        f"{report.folder}."
    )
