"""ServiceNow's staging and log building, through a run of the ingestion runner.

- ``stage_servicenow_table``: the one staging of a ServiceNow table, from its raw pages (API or
  saved pages alike) to ``02_intermediate/<source>/<table>.parquet``, quarantine beside it.
- ``build_configured_log``: the log of the configuration's ``event_log_table`` (an API
  extraction or a rebuild), named by the user.
- ``build_export_file``: a Table API ``.json`` or a list-export ``.csv``/``.zip`` read whole,
  pseudonymised, staged as ``02_intermediate/servicenow-export/<log>`` (the export itself, with
  people in clear, is never copied) and stored as the log the user named.
- ``build_pages_logs``: the saved-pages landscape's fixed logs, ``servicenow-incidents``
  (incident) and ``servicenow-orders`` (sc_req_item with its approvals and catalog tasks, see
  ``models.landscape_orders``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import polars as pl

from extractors import Bookmark
from extractors.servicenow import (
    AUDITED_FIELDNAMES,
    CsvExportOptions,
    EventChunks,
    PageSpill,
    build_events,
    file_sha256,
    id_ranges,
    map_event_chunks,
    read_csv_export,
    read_table_json_export,
    saved_page_spec,
    stage_pages,
    stage_prepared,
    stage_records,
)
from models.errors import InputError
from models.eventlog import build_canonical_log, quarantine_rows
from models.landscape_orders import approval_events, order_events_of, task_events_by_item
from models.schema import CASE
from services.ingestion.runner import Run

INCIDENTS_LOG = "servicenow-incidents"
ORDERS_LOG = "servicenow-orders"
ExportKind = Literal["csv", "json"]


def format_int(value: int) -> str:
    """A count as the CLI shows it: 1.434 (the notes are read in the Danish-formatted CLI)."""
    return f"{value:,}".replace(",", ".")


def stage_servicenow_table(run: Run, table: str) -> pl.DataFrame:
    """Stage ``table`` from its raw pages (latest read per sys_id) and write it to 02."""
    spec = saved_page_spec(table)

    def pages() -> Iterator[list[Any]]:
        return run.raw_pages(table)

    # The pages this run stored a moment ago are staged as prepared then, not read back.
    prepared = run.prepared(table)
    staged = stage_pages(spec, pages) if prepared is None else stage_prepared(spec, prepared, pages)
    run.stage(table, staged.frame, staged.quarantine)
    return staged.frame


def empty_staged(table: str) -> pl.DataFrame:
    """A staged table of no records (a table that was not extracted)."""
    return stage_records(saved_page_spec(table), []).frame


def count_log_set_asides(run: Run, quarantine: pl.DataFrame, case_table: str) -> None:
    """Count a log's quarantine rows for the table each came from (``source_record`` is
    ``<table>:<sys_id>``, or ``record:<sys_id>`` for the case table's own records)."""
    counts: dict[str, int] = {}
    for record in quarantine["record"]:
        origin = str(json.loads(record).get("source_record") or "record:").split(":", 1)[0]
        table = case_table if origin == "record" else origin
        counts[table] = counts.get(table, 0) + 1
    for table, count in counts.items():
        run.set_aside(count, stream=table, table=table)


# -- the configured log (API or rebuild) --------------------------------------------------------


def build_configured_log(run: Run, tables: tuple[str, ...], case_table: str) -> None:
    """Stage ``tables`` and store the log of ``case_table``'s records as the named log."""
    folder = run.data.raw(run.source, case_table)
    if run.mode == "rebuild" and not folder.is_dir():
        raise InputError(
            f"there are no stored {case_table} pages of source {run.source!r} in {folder}: "
            "extract with --config FILE or read saved pages with --export FOLDER first."
        )
    frames = {table: stage_servicenow_table(run, table) for table in tables}
    mapped = build_events(frames, table=case_table)
    log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    count_log_set_asides(run, log.quarantine, case_table)
    run.store_log(log, name=run.named_log)
    for note in mapped.notes:
        run.note(note)


# -- an export file ---------------------------------------------------------------------------


def export_kind(path: Path) -> ExportKind:
    """``json`` for ``.json`` files, ``csv`` for ``.csv`` and ``.zip``; else an error."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".zip"):
        return "csv"
    raise InputError(
        f"{path.name}: a ServiceNow export must be a Table API .json file, or a list export "
        ".csv (or a .zip holding one), or a folder of saved Table API pages."
    )


def build_export_file(run: Run, path: Path, *, timezone: str, table: str) -> None:
    """Read an export file whole, stage it and store it as the named log; the run is recorded
    as stream ``<log>`` of the run's source, its bookmark the file's SHA-256."""
    name = run.named_log
    if export_kind(path) == "csv":
        options = CsvExportOptions(timezone=timezone)
        read = read_csv_export(path, options=options, pseudonym=run.pseudonymiser())
        run.stage(name, read.staged, read.quarantine)
        # The rows the reader set aside are in the log's quarantine too: count them once.
        log = build_canonical_log(read.staged, quarantine=read.quarantine)
        run.set_aside(log.quarantine.height - read.quarantine.height, stream=name, table=name)
        rows, notes = read.staged.height, read.notes
    else:
        staged = read_table_json_export(path, table=table, pseudonym=run.pseudonymiser())
        run.stage(name, staged.frame, staged.quarantine)
        mapped = build_events({table: staged.frame}, table=table)
        log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
        run.set_aside(log.quarantine.height, stream=name, table=name)
        rows, notes = staged.frame.height, mapped.notes
    run.store_log(log, name=name)
    bookmark = Bookmark(file_sha256(path), path.name)
    run.record_export(run.source, name, bookmark=bookmark, records=rows)
    for note in notes:
        run.note(note)


# -- the saved-pages landscape's logs ------------------------------------------------------------


# The tables the incident and order logs read; the others are staged, then let go.
_LOG_TABLES = frozenset(
    {"incident", "sys_audit", "task_sla", "sys_choice", "sys_user_group", "sc_req_item",
     "sc_task", "sc_cat_item", "sc_request"}
)  # fmt: skip


def stage_read_table(run: Run, table: str, spill: PageSpill | None) -> None:
    """Stage ``table`` as soon as its pages are read (``Run.read_streams``' ``then``), from
    its prepared pages spilled to Parquet (``spill``) when this run stored all its pages, else
    from its raw pages; the staged table is read back from its file when a log needs it."""
    if spill is None or run.prepared(table) is None:
        stage_servicenow_table(run, table)
        return
    staged = spill.stage(lambda: run.raw_pages(table))
    run.stage(table, staged.frame, staged.quarantine)


def build_pages_logs(run: Run, tables: tuple[str, ...]) -> None:
    """Stage ``tables`` once (those the run has not staged yet) and store the incident and
    order logs they allow. No staged table is held: each is read from its file in
    ``02_intermediate`` when needed, ``sys_audit`` (the largest) lazily, the rows of a chunk
    of cases at a time."""
    paths: dict[str, Path] = {}
    for table in tables:
        path = run.staged_path(table)
        if path is None:
            stage_servicenow_table(run, table)
            path = run.staged_path(table)
        if table in _LOG_TABLES and path is not None:
            paths[table] = path
    _note_unmined(run, paths.get("sys_audit"))
    if "incident" in paths:
        _store_incident_log(run, paths)
    if "sc_req_item" in paths:
        _store_orders_log(run, paths)


def _note_unmined(run: Run, audit: Path | None) -> None:
    if audit is None:
        return
    unmined = (
        pl.scan_parquet(audit)
        .filter(~pl.col("fieldname").is_in([*AUDITED_FIELDNAMES, "approval"]))
        .select("fieldname")
        .collect()
    )
    if unmined.height:
        run.note(
            f"{format_int(unmined.height)} sys_audit row(s) of fields no log mines "
            f"({', '.join(sorted(set(unmined['fieldname'].to_list())))}) are staged "
            "but make no events (the live stream does not fetch them)."
        )


def _mined_audit(paths: Mapping[str, Path]) -> pl.LazyFrame | None:
    """The staged audit rows of the fields the mapping turns into events (what the live
    stream's fixed filter fetches), read lazily."""
    audit = paths.get("sys_audit")
    if audit is None:
        return None
    return pl.scan_parquet(audit).filter(pl.col("fieldname").is_in(AUDITED_FIELDNAMES))


def _read(paths: Mapping[str, Path], *tables: str) -> dict[str, pl.DataFrame]:
    """The staged ``tables`` (those there are) read whole."""
    return {table: pl.read_parquet(paths[table]) for table in tables if table in paths}


def _map_events(
    paths: Mapping[str, Path], tables: Mapping[str, pl.DataFrame], table: str
) -> EventChunks:
    """``build_events`` of ``table`` chunk by chunk, the audit read a chunk at a time."""
    audit = _mined_audit(paths)
    if audit is None:
        return map_event_chunks(tables, table=table)
    return map_event_chunks(tables, table=table, audit=audit)


def _store_incident_log(run: Run, paths: Mapping[str, Path]) -> None:
    """Map the incident events a chunk of cases at a time and store them spilled."""
    tables = _read(paths, "incident", "task_sla", "sys_choice", "sys_user_group")
    mapped = _map_events(paths, tables, "incident")
    chunks = ((staged, quarantine_rows(bad)) for staged, bad in mapped.chunks)
    quarantine = run.store_log_chunks(chunks, name=INCIDENTS_LOG)
    count_log_set_asides(run, quarantine, "incident")


def _store_orders_log(run: Run, paths: Mapping[str, Path]) -> None:
    """Map the item and task events a chunk at a time (spilled), then join them into orders a
    range of orders at a time (``models.landscape_orders.order_events_of``) and store them
    spilled: what ``build_order_events`` and ``build_canonical_log`` give of the whole."""
    frames = _read(paths, "sc_req_item", "sc_task", "sc_cat_item", "sys_choice", "sys_user_group")
    if "sc_request" in paths:
        frames["sc_request"] = pl.read_parquet(paths["sc_request"], columns=["sys_id", "number"])
    items = frames["sc_req_item"]
    task_table = frames.get("sc_task", empty_staged("sc_task"))
    approvals = approval_events(_approval_audit(paths), items)
    with run.data.spill_folder() as folder:
        item_files, item_bad = [], []
        for index, (events, bad) in enumerate(_map_events(paths, frames, "sc_req_item").chunks):
            item_files.append(_spilled(events, folder / f"items-{index:05d}.parquet"))
            item_bad.append(bad)
        task_files, task_bad, orphans = [], [], []
        task_tables = {**frames, "sc_task": task_table}
        for index, (events, bad) in enumerate(_map_events(paths, task_tables, "sc_task").chunks):
            moved, orphan = task_events_by_item(events, task_table, items)
            task_files.append(_spilled(moved, folder / f"tasks-{index:05d}.parquet"))
            task_bad.append(bad)
            orphans.append(orphan)
        items_set_aside = quarantine_rows(pl.concat(item_bad))
        tasks_set_aside = quarantine_rows(pl.concat(task_bad))
        orphaned = pl.concat(orphans)
        given = pl.concat([items_set_aside, tasks_set_aside, orphaned])

        def chunks() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
            offset = 0
            case_ids = items.select(pl.coalesce("number", "sys_id")).to_series()
            for index, (low, high) in enumerate(id_ranges(case_ids)):
                inside = _orders_in(low, high)
                staged = order_events_of(
                    pl.scan_parquet(item_files).filter(inside).collect(),
                    approvals.filter(inside),
                    pl.scan_parquet(task_files).filter(inside).collect(),
                    items=items,
                    cat_items=frames.get("sc_cat_item"),
                    requests=frames.get("sc_request"),
                    offset=offset,
                )
                offset += staged.height
                yield staged, given if index == 0 else given.clear()

        quarantine = run.store_log_chunks(chunks(), name=ORDERS_LOG)
    count_log_set_asides(run, items_set_aside, "sc_req_item")
    count_log_set_asides(run, tasks_set_aside, "sc_task")
    run.set_aside(orphaned.height, stream="sc_task", table="sc_task")
    # What validating the order events set aside (no case, no time) came from them.
    run.set_aside(quarantine.height - given.height, stream="sc_req_item", table="sc_req_item")


def _approval_audit(paths: Mapping[str, Path]) -> pl.DataFrame:
    """The staged audit rows of the requested items' approval changes."""
    audit = paths.get("sys_audit")
    if audit is None:
        return empty_staged("sys_audit")
    approval = (pl.col("tablename") == "sc_req_item") & (pl.col("fieldname") == "approval")
    return pl.scan_parquet(audit).filter(approval).collect()


def _spilled(events: pl.DataFrame, path: Path) -> Path:
    events.write_parquet(path, compression="lz4")
    return path


def _orders_in(low: str | None, high: str | None) -> pl.Expr:
    """Whether an order event's case lies in [low, high); one without a case (sorted first)
    belongs to the first range."""
    case = pl.col(CASE)
    if high is None:
        return pl.lit(value=True) if low is None else case >= low
    return (case < high) | case.is_null() if low is None else (case >= low) & (case < high)
