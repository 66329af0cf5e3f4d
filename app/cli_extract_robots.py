"""``kitflow extract robots``: UiPath and Power Automate run data (kørselsdata) to
``03_primary/robots/{runs,transactions}.parquet``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.console import err, out, print_json
from app.formatting import format_int
from models.errors import KitflowError
from models.store import LogStore
from services.ingestion.robots import (
    RobotsReport,
    extract_robots,
    import_robot_export,
    read_robots_config,
    rebuild_robots,
)


def robots_command(
    config: Annotated[
        Path | None, typer.Option(help="YAML/TOML: uipath, power_automate, queue_processes.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="A folder of saved OData pages, or a robot .csv file."),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild runs and transactions from raw pages; fetch nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Extract robot runs from the APIs (--config), import an export (--export), or --rebuild."""
    store = LogStore()
    settings = read_robots_config(config) if config is not None else None
    mapping = settings.queue_processes if settings is not None else None
    if export is not None:
        err.print(f"Reading {export}…")
        report = import_robot_export(store, export, queue_processes=mapping, say=err.print)
    elif rebuild:
        report = rebuild_robots(store, queue_processes=mapping)
    elif settings is not None:
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("Extracting robot runs")

            def on_page(stream: str, pages: int, records: int) -> None:
                text = f"{stream}: {format_int(pages)} pages, {format_int(records)} records"
                progress.update(task, description=text)

            report = extract_robots(store, settings, on_page=on_page, say=err.print)
    else:
        raise KitflowError("give --config FILE (the APIs), --export PATH, or --rebuild.")
    _print(report, as_json)


def _print(report: RobotsReport, as_json: bool) -> None:
    if as_json:
        print_json(_json(report))
        return
    if report.results:
        table = Table("Stream", "Pages", "Records", "Bookmark")
        for r in report.results:
            mark = f"{r.bookmark.value} {r.bookmark.key}".strip() if r.bookmark else "–"
            table.add_row(r.stream, format_int(r.pages), format_int(r.records), mark[:40])
        out.print(table)
    if report.files:
        out.print(f"Read {format_int(report.files)} file(s).")
    out.print(
        f"[bold green]Stored[/] {format_int(report.runs)} runs and "
        f"{format_int(report.transactions)} transactions in {report.folder}."
    )
    if report.quarantined:
        out.print(
            f"[yellow]Quarantined[/] {format_int(report.quarantined)} records, each with its "
            f"reason, in {report.quarantine_path}; 'kitflow sources' shows them per stream."
        )
    for note in report.notes:
        out.print(f"Note: {note}")


def _json(report: RobotsReport) -> dict[str, Any]:
    return {
        "folder": str(report.folder),
        "files": report.files,
        "runs": report.runs,
        "transactions": report.transactions,
        "quarantined": report.quarantined,
        "quarantine_file": None if report.quarantine_path is None else str(report.quarantine_path),
        "streams": [
            {"stream": s.stream, "records": s.records, "quarantined": s.quarantined}
            for s in report.streams
        ],
        "results": [
            {
                "stream": r.stream,
                "pages": r.pages,
                "records": r.records,
                "resumed": r.resumed,
                "bookmark": None if r.bookmark is None else [r.bookmark.value, r.bookmark.key],
            }
            for r in report.results
        ],
        "notes": list(report.notes),
    }
