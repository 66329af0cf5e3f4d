"""``kitflow extract servicenow`` and ``kitflow sources``: registered on the main CLI by
``register(cli)``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli_extract_azure_devops import register as register_azure_devops
from app.cli_landscape import print_pages_report
from app.console import err, out, print_json
from app.formatting import format_datetime, format_int
from models.errors import KitflowError
from models.extraction import StreamStatus
from models.store import LogStore
from services.ingestion.azure_devops import PageCallback
from services.ingestion.landscape import import_servicenow_pages
from services.ingestion.servicenow import (
    ServiceNowReport,
    extract_servicenow,
    extraction_catalog,
    import_servicenow_export,
    read_config,
    rebuild_servicenow,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(cli: typer.Typer) -> None:
    """Add ``extract servicenow``, ``extract time``, ``extract robots`` and ``sources``."""
    from app.cli_extract_robots import robots_command  # noqa: PLC0415 - kept local to register
    from app.cli_extract_time import time_command  # noqa: PLC0415

    extract_cli = typer.Typer(help="Extract event data from a source system.", no_args_is_help=True)
    extract_cli.command("servicenow")(servicenow_command)
    extract_cli.command("time")(time_command)
    extract_cli.command("robots")(robots_command)
    register_azure_devops(extract_cli)
    cli.add_typer(extract_cli, name="extract")
    cli.command("sources")(sources_command)


@contextmanager
def _progress(title: str) -> Iterator[PageCallback]:
    """A spinner with pages and records per stream, on stderr so --json output stays clean."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(title)

        def on_page(stream: str, pages: int, records: int) -> None:
            description = f"{title}: {stream}, {format_int(pages)} pages, {format_int(records)}"
            progress.update(task, description=description + " records")

        yield on_page


def servicenow_command(
    config: Annotated[
        Path | None, typer.Option(help="YAML or TOML file: base_url, tables, page_size, auth.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            help="A Table API .json or list-export .csv/.zip file, or a folder of saved Table "
            "API pages (<table>/page-NNNNN.json; builds servicenow-incidents and -orders)."
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="Name of the event log to build.")] = (
        "servicenow-incidents"
    ),
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild staged tables and log from raw pages; fetch nothing.")
    ] = False,
    timezone: Annotated[
        str, typer.Option(help="Time zone of the export's local times (IANA name).")
    ] = "Europe/Copenhagen",
    table: Annotated[str, typer.Option(help="Table of a .json export.")] = "incident",
    replace: Annotated[bool, typer.Option(help="Replace a log of that name from elsewhere.")] = (
        False
    ),
    as_json: JsonFlag = False,
) -> None:
    """Extract from the ServiceNow Table API (--config) or read an export file (--export)."""
    if (config is None) == (export is None):
        raise KitflowError("give exactly one of --config FILE (the API) or --export FILE.")
    store = LogStore()
    say = err.print
    if export is not None and export.is_dir():
        with _progress(f"Reading saved pages in {export}") as on_page:
            pages = import_servicenow_pages(store, export, on_page=on_page, say=say)
        print_pages_report(pages, as_json)
        return
    if export is not None:
        with _progress(f"Reading {export.name}"):
            report = import_servicenow_export(
                store, export, name=name, timezone=timezone, table=table, replace=replace, say=say
            )
    else:
        assert config is not None
        settings = read_config(config)
        with _progress(f"Extracting from {settings.base_url}") as on_page:
            if rebuild:
                report = rebuild_servicenow(store, settings, name=name, replace=replace)
            else:
                report = extract_servicenow(
                    store, settings, name=name, on_page=on_page, say=say, replace=replace
                )
    _print_report(report, as_json)


def _print_report(report: ServiceNowReport, as_json: bool) -> None:
    if as_json:
        print_json(_report_json(report))
        return
    if report.results:
        table = Table("Stream", "Pages", "Records", "Bookmark (time / sys_id)")
        for r in report.results:
            mark = f"{r.bookmark.value} / {r.bookmark.key[:8]}…" if r.bookmark else "–"
            table.add_row(r.stream, format_int(r.pages), format_int(r.records), mark)
        out.print(table)
    entry = report.entry
    out.print(
        f"[bold green]Stored[/] {entry.name!r}: {format_int(entry.cases)} cases, "
        f"{format_int(entry.events)} events, {format_int(entry.activities)} activities."
    )
    if report.quarantined:
        where = f" (log rows in {report.quarantine_path})" if report.quarantine_path else ""
        out.print(
            f"[yellow]Quarantined[/] {format_int(report.quarantined)} records, each with its "
            f"reason{where}; 'kitflow sources' shows them per stream."
        )
    for note in report.notes:
        out.print(f"Note: {note}")


def _report_json(report: ServiceNowReport) -> dict[str, Any]:
    return {
        "log": report.entry.name,
        "cases": report.entry.cases,
        "events": report.entry.events,
        "quarantined": report.quarantined,
        "quarantine_file": None if report.quarantine_path is None else str(report.quarantine_path),
        "streams": [
            {
                "stream": r.stream,
                "pages": r.pages,
                "records": r.records,
                "resumed": r.resumed,
                "bookmark": None if r.bookmark is None else [r.bookmark.value, r.bookmark.key],
            }
            for r in report.results
        ],
        "staged": [
            {"stream": s.stream, "records": s.records, "quarantined": s.quarantined}
            for s in report.staged
        ],
        "notes": list(report.notes),
    }


def sources_command(as_json: JsonFlag = False) -> None:
    """Each source and stream: its last run, its bookmark and what was quarantined."""
    catalog = extraction_catalog(LogStore())
    try:
        states = catalog.list()
    finally:
        catalog.dispose()
    if as_json:
        print_json([_status_json(s) for s in states])
        return
    if not states:
        out.print("No extractions yet. Run 'kitflow extract servicenow --config FILE'.")
        return
    # One block per stream reads well at any terminal width, as 'kitflow logs' does.
    for s in states:
        status = s.last_run_status or "never run"
        colour = {"finished": "green", "failed": "red"}.get(status, "yellow")
        when = format_datetime(s.last_run_finished_at or s.last_run_started_at)
        out.print(f"[bold]{s.source}/{s.stream}[/]  [{colour}]{status}[/] {when}")
        out.print(
            f"  {format_int(s.records_stored)} records · {format_int(s.pages_stored)} pages · "
            f"{format_int(s.quarantined)} quarantined"
        )
        out.print(f"  bookmark {_bookmark_text(s)}")
        if s.last_run_status == "failed":
            out.print(f"  [red]last error:[/] {s.last_run_message}", highlight=False)


def _bookmark_text(s: StreamStatus) -> str:
    if s.bookmark_value is None:
        return "–"
    key = s.bookmark_key or ""
    return f"{s.bookmark_value} / {key[:8]}…" if len(key) > 8 else f"{s.bookmark_value} {key}"


def _status_json(s: StreamStatus) -> dict[str, Any]:
    return {
        "source": s.source,
        "stream": s.stream,
        "bookmark": None if s.bookmark_value is None else [s.bookmark_value, s.bookmark_key],
        "pages_stored": s.pages_stored,
        "records_stored": s.records_stored,
        "quarantined": s.quarantined,
        "last_run": {
            "id": s.last_run_id,
            "status": s.last_run_status,
            "started_at": _iso(s.last_run_started_at),
            "finished_at": _iso(s.last_run_finished_at),
            "pages": s.last_run_pages,
            "records": s.last_run_records,
            "message": s.last_run_message,
        },
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
