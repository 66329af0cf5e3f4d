"""The KIT landscape end to end: every source through its extractor, then the cross-system views.

``import_servicenow_pages`` reads a folder of saved Table API pages (one sub-folder per table)
through ``SavedPagesStream`` and ``run_stream``: pages pseudonymised into
``01_raw/servicenow/<table>``, bookmarks committed after each durable page.
``rebuild_servicenow_logs`` then stages every table once (``02_intermediate/servicenow``) and
builds two logs through the pure mapping: ``servicenow-incidents`` (incident) and
``servicenow-orders`` (sc_req_item with its approvals and catalog tasks, see
``models.landscape_orders``).

``link_landscape`` joins the orders to the Azure DevOps work items created from them and stores
the flattened case view ``kit-orders`` and the object-centric ``kit-landscape`` (OCEL 2.0).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from extractors.base import (
    ExtractionResult,
    PageCallback,
    iter_raw_pages,
    raw_folder,
    run_stream,
)
from extractors.pseudonym import Pseudonymiser, load_key
from extractors.servicenow import StagedTable, build_events, stage_records
from extractors.servicenow.pages import SavedPagesStream, find_saved_tables, saved_page_spec
from extractors.servicenow.streams import AUDITED_FIELDNAMES
from models.catalog import LogEntry
from models.errors import InputError
from models.eventlog import build_canonical_log
from models.landscape_links import OrderLinks, build_order_case_view, find_order_links
from models.landscape_ocel import LandscapeTables, build_landscape_ocel
from models.landscape_orders import build_order_events
from models.ocel import ObjectCentricLog
from models.schema import SCHEMA_VERSION, empty_quarantine
from models.store import LogStore
from services.ingestion.azure_devops import DEFAULT_LOG as DEVOPS_LOG
from services.ingestion.azure_devops import (
    AzureDevOpsReport,
    import_azure_devops_export,
    staged_frame,
)
from services.ingestion.robots import RobotsReport, import_robot_export
from services.ingestion.servicenow import extraction_catalog, intermediate_folder
from services.ingestion.time_registration import TimeReport, import_time_exports
from services.ocel_import import compute_ocel_log_stats
from services.storing import store_canonical_log

SERVICENOW = "servicenow"
INCIDENTS_LOG = "servicenow-incidents"
ORDERS_LOG = "servicenow-orders"
KIT_ORDERS_LOG = "kit-orders"
LANDSCAPE_LOG = "kit-landscape"
PAGES_FORMAT = "servicenow-pages"
LINKS_FOLDER = Path("03_primary") / "landscape-links"
Say = Callable[[str], None]


def format_int(value: int) -> str:
    """A count as the CLI shows it: 1.434 (the notes are read in the Danish-formatted CLI)."""
    return f"{value:,}".replace(",", ".")


def _say_nothing(_: str) -> None:
    return None


def _no_progress(_stream: str, _pages: int, _records: int) -> None:
    return None


@dataclass(frozen=True)
class BuiltLog:
    """A stored log and how many source rows were set aside building it."""

    entry: LogEntry
    quarantined: int


@dataclass(frozen=True)
class ServiceNowPagesReport:
    """An import of saved pages: the stored pages per table, the sub-folders not read (with the
    reason), the staged records and quarantine per table, and the logs built."""

    results: tuple[ExtractionResult, ...]
    not_read: tuple[tuple[str, str], ...]
    staged: Mapping[str, tuple[int, int]]
    logs: tuple[BuiltLog, ...]
    notes: tuple[str, ...]


def import_servicenow_pages(
    store: LogStore,
    folder: Path,
    *,
    on_page: PageCallback = _no_progress,
    say: Say = _say_nothing,
) -> ServiceNowPagesReport:
    """Store the saved pages under ``folder`` in ``01_raw`` and rebuild the ServiceNow logs.

    Each table is a stream with a keyset bookmark, so importing the same folder again stores
    nothing new (only the bookmark's own second is read again, as on the live API)."""
    saved = find_saved_tables(folder)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    state = extraction_catalog(store)
    try:
        results = tuple(
            run_stream(
                SavedPagesStream(folder / table, saved_page_spec(table), pseudonym),
                source=SERVICENOW,
                data_dir=store.data_dir,
                state=state,
                on_page=on_page,
            )
            for table in saved.tables
        )
    finally:
        state.dispose()
    staged, logs, notes = rebuild_servicenow_logs(store, saved.tables, source_path=str(folder))
    return ServiceNowPagesReport(results, saved.not_read, staged, logs, notes)


def stage_tables(data_dir: Path, tables: tuple[str, ...]) -> dict[str, StagedTable]:
    """Stage each table from its raw pages once, writing it (and its quarantine) to 02."""
    staged = {}
    folder = intermediate_folder(data_dir, SERVICENOW)
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        records = (
            record
            for _, page in iter_raw_pages(raw_folder(data_dir, SERVICENOW, table))
            for record in page.get("result", [])
        )
        table_staged = stage_records(saved_page_spec(table), records)
        table_staged.frame.write_parquet(folder / f"{table}.parquet")
        quarantine = folder / f"{table}.quarantine.csv"
        if table_staged.quarantine.height:
            table_staged.quarantine.write_csv(quarantine)
        else:
            quarantine.unlink(missing_ok=True)
        staged[table] = table_staged
    return staged


def rebuild_servicenow_logs(
    store: LogStore, tables: tuple[str, ...], *, source_path: str
) -> tuple[dict[str, tuple[int, int]], tuple[BuiltLog, ...], tuple[str, ...]]:
    """Stage ``tables`` and build the incident and order logs they allow (no network).

    Returns (staged records and quarantined rows per table, the logs, notes)."""
    staged = stage_tables(store.data_dir, tables)
    frames = {t: s.frame for t, s in staged.items()}
    set_aside = {t: s.quarantine.height for t, s in staged.items()}
    logs, notes = [], []
    audit = frames.get("sys_audit")
    if audit is not None:
        unmined = audit.filter(~pl.col("fieldname").is_in([*AUDITED_FIELDNAMES, "approval"]))
        if unmined.height:
            notes.append(
                f"{format_int(unmined.height)} sys_audit row(s) of fields no log mines "
                f"({', '.join(sorted(set(unmined['fieldname'].to_list())))}) are staged "
                "but make no events (the live stream does not fetch them)."
            )
    if "incident" in frames:
        logs.append(_incident_log(store, frames, set_aside, source_path))
    if "sc_req_item" in frames:
        logs.append(_orders_log(store, frames, set_aside, source_path))
    _record_quarantine_counts(store, set_aside)
    counts = {t: (frames[t].height, set_aside[t]) for t in tables}
    return counts, tuple(logs), tuple(notes)


def _with_mined_audit(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables with only the audit rows of the fields the mapping turns into events (what
    the live stream's fixed filter fetches)."""
    audit = frames.get("sys_audit")
    if audit is None:
        return dict(frames)
    return {**frames, "sys_audit": audit.filter(pl.col("fieldname").is_in(AUDITED_FIELDNAMES))}


def _incident_log(
    store: LogStore,
    frames: Mapping[str, pl.DataFrame],
    set_aside: dict[str, int],
    source_path: str,
) -> BuiltLog:
    mapped = build_events(_with_mined_audit(frames), table="incident")
    log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    _count_by_stream(log.quarantine, "incident", set_aside)
    entry = store_canonical_log(
        store, log, name=INCIDENTS_LOG, source_path=source_path, source_format=PAGES_FORMAT,
        replace=True,
    )  # fmt: skip
    return BuiltLog(entry, log.quarantine.height)


def _orders_log(
    store: LogStore,
    frames: Mapping[str, pl.DataFrame],
    set_aside: dict[str, int],
    source_path: str,
) -> BuiltLog:
    mined = _with_mined_audit(frames)
    items = build_events(mined, table="sc_req_item")
    task_table = frames.get("sc_task", _empty_staged("sc_task"))
    tasks = build_events({**mined, "sc_task": task_table}, table="sc_task")
    orders = build_order_events(
        item_events=items.staged,
        task_events=tasks.staged,
        audit=frames.get("sys_audit", _empty_staged("sys_audit")),
        items=frames["sc_req_item"],
        tasks=task_table,
        cat_items=frames.get("sc_cat_item"),
        requests=frames.get("sc_request"),
    )
    quarantine = pl.concat([items.quarantine, tasks.quarantine, orders.quarantine])
    log = build_canonical_log(orders.staged, quarantine=quarantine)
    _count_by_stream(items.quarantine, "sc_req_item", set_aside)
    _count_by_stream(tasks.quarantine, "sc_task", set_aside)
    set_aside["sc_task"] = set_aside.get("sc_task", 0) + orders.quarantine.height
    # What build_canonical_log itself set aside (no case, no time) came from the order events.
    set_aside["sc_req_item"] += log.quarantine.height - quarantine.height
    entry = store_canonical_log(
        store, log, name=ORDERS_LOG, source_path=source_path, source_format=PAGES_FORMAT,
        replace=True,
    )  # fmt: skip
    return BuiltLog(entry, log.quarantine.height)


def _empty_staged(table: str) -> pl.DataFrame:
    """A staged table of no records (a table that was not saved)."""
    return stage_records(saved_page_spec(table), []).frame


def _count_by_stream(quarantine: pl.DataFrame, case_table: str, counts: dict[str, int]) -> None:
    """Add a log's quarantine rows to the count of the stream each came from."""
    for record in quarantine["record"]:
        origin = str(json.loads(record).get("source_record") or "record:").split(":", 1)[0]
        stream = case_table if origin == "record" else origin
        counts[stream] = counts.get(stream, 0) + 1


def _record_quarantine_counts(store: LogStore, counts: Mapping[str, int]) -> None:
    state = extraction_catalog(store)
    try:
        for stream, count in counts.items():
            state.set_quarantined(SERVICENOW, stream, count)
    finally:
        state.dispose()


@dataclass
class LandscapeReport:
    """What ``build_landscape`` stored, source by source, and the seconds each step took."""

    servicenow: ServiceNowPagesReport
    devops: AzureDevOpsReport | None = None
    time: TimeReport | None = None
    robots: RobotsReport | None = None
    links: LinkReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def logs(self) -> list[BuiltLog]:
        """Every event log stored, in the order built."""
        logs = list(self.servicenow.logs)
        if self.devops is not None:
            logs.append(BuiltLog(self.devops.entry, self.devops.quarantined))
        if self.links is not None:
            logs.extend((self.links.kit_orders, BuiltLog(self.links.landscape, 0)))
        return logs


def build_landscape(
    store: LogStore,
    folder: Path,
    *,
    say: Say = _say_nothing,
    on_page: PageCallback = _no_progress,
    step: Say = _say_nothing,
) -> LandscapeReport:
    """Extract every source of a landscape folder (``kitflow simulate`` layout) into ``store``
    through the extractors' export paths, then build the cross-system views.

    ``step`` receives the name of each step (for a progress line); ``say`` the messages meant
    to stay on screen (a new pseudonymisation key, say)."""
    began = time.perf_counter()
    step("ServiceNow: saved Table API pages")
    servicenow = import_servicenow_pages(store, folder / "servicenow", on_page=on_page, say=say)
    report = LandscapeReport(servicenow)
    report.seconds["servicenow"] = _lap(began)
    batches = folder / "azure-devops"
    if batches.is_dir():
        began = time.perf_counter()
        step("Azure DevOps: saved revision, link and work-item batches")
        report.devops = import_azure_devops_export(
            store, batches, replace=True, on_page=on_page, say=say
        )
        report.seconds["azure-devops"] = _lap(began)
    else:
        report.notes.append(f"no azure-devops folder in {folder}: orders are not linked.")
    exports = folder / "time-registration"
    if exports.is_dir():
        began = time.perf_counter()
        step("Time registration: CSV exports")
        report.time = import_time_exports(store, [exports], say=say)
        report.seconds["time-registration"] = _lap(began)
    else:
        report.notes.append(f"no time-registration folder in {folder}: hours not imported.")
    robots = folder / "robots"
    if robots.is_dir():
        began = time.perf_counter()
        step("Robot runs: saved UiPath and Power Automate pages")
        report.robots = import_robot_export(store, robots, say=say)
        report.seconds["robots"] = _lap(began)
    else:
        report.notes.append(f"no robots folder in {folder}: robot runs not imported.")
    if report.devops is not None:
        began = time.perf_counter()
        step("Linking orders to DevOps work items; OCEL of the landscape")
        report.links = link_landscape(store)
        report.seconds["linking"] = _lap(began)
    return report


def _lap(began: float) -> float:
    return time.perf_counter() - began


@dataclass(frozen=True)
class LinkReport:
    """The cross-system views: the links found, the flat ``kit-orders`` log and the
    object-centric ``kit-landscape`` log, and where the link tables were written."""

    links: OrderLinks
    kit_orders: BuiltLog
    landscape: LogEntry
    folder: Path


def link_landscape(store: LogStore) -> LinkReport:
    """Link the stored ServiceNow orders to the stored DevOps work items; store ``kit-orders``
    and ``kit-landscape`` and write the link tables to ``03_primary/landscape-links``."""
    sn = intermediate_folder(store.data_dir, SERVICENOW)
    needed = [sn / f"{t}.parquet" for t in ("sc_req_item", "incident", "sys_user_group")]
    missing = [p for p in needed if not p.exists()]
    if missing or store.catalog.get(ORDERS_LOG) is None or store.catalog.get(DEVOPS_LOG) is None:
        raise InputError(
            "linking needs the ServiceNow orders and the Azure DevOps work items: run "
            "'kitflow extract servicenow --export FOLDER' (or 'kitflow demo') and "
            "'kitflow extract azure-devops' first"
            + (f" (missing {', '.join(str(p) for p in missing)})." if missing else ".")
        )
    staged = {t: _staged_or_empty(sn, t) for t in _SN_TABLES}
    workitems = staged_frame(store.data_dir, "workitems")
    links = find_order_links(
        staged["sc_req_item"], workitems, staged_frame(store.data_dir, "relations")
    )
    folder = _write_links(store.data_dir, links)
    orders, devops = store.read(ORDERS_LOG), store.read(DEVOPS_LOG)
    view = build_canonical_log(build_order_case_view(orders, devops, links.links, workitems))
    kit_orders = store_canonical_log(
        store, view, name=KIT_ORDERS_LOG, source_path=str(folder),
        source_format="landscape-link", replace=True,
    )  # fmt: skip
    ocel = build_landscape_ocel(
        LandscapeTables(
            incident_events=store.read(INCIDENTS_LOG),
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
    )
    landscape = _store_object_centric(store, ocel, source_path=str(folder))
    return LinkReport(links, BuiltLog(kit_orders, view.quarantine.height), landscape, folder)


_SN_TABLES = ("sc_request", "sc_req_item", "sc_task", "incident", "sys_user_group")


def _staged_or_empty(folder: Path, table: str) -> pl.DataFrame:
    path = folder / f"{table}.parquet"
    return pl.read_parquet(path) if path.exists() else _empty_staged(table)


def _write_links(data_dir: Path, links: OrderLinks) -> Path:
    """``order_links.parquet``, ``dangling_links.csv`` and ``unlinked_items.parquet``."""
    folder = data_dir / LINKS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    links.links.write_parquet(folder / "order_links.parquet")
    links.dangling.write_csv(folder / "dangling_links.csv")
    links.unlinked.write_parquet(folder / "unlinked_items.parquet")
    return folder


def _store_object_centric(store: LogStore, log: ObjectCentricLog, *, source_path: str) -> LogEntry:
    stats = compute_ocel_log_stats(log.events)
    entry = LogEntry(
        name=LANDSCAPE_LOG,
        kind="object-centric",
        source_path=source_path,
        source_format="landscape-ocel",
        cases=stats.cases,
        events=stats.events,
        activities=stats.activities,
        variants=stats.variants,
        quarantined=0,
        first_event=stats.start,
        last_event=stats.end,
        schema_version=SCHEMA_VERSION,
        imported_at=dt.datetime.now(dt.UTC),
        objects=log.objects.height,
        object_types=len(log.object_types()),
    )
    return store.save(entry, log.tables(), empty_quarantine(), replace=True)


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
