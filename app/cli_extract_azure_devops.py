"""``kitflow extract azure-devops``: registered on the ``extract`` group by ``register``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.console import err, out, print_json
from app.formatting import format_int
from models.errors import KitflowError
from models.store import LogStore
from services.ingestion.azure_devops import (
    DEFAULT_LOG,
    SOURCE,
    AzureDevOpsReport,
    PageCallback,
    extract_azure_devops,
    import_azure_devops_export,
    read_config,
    rebuild_azure_devops,
)


def register(extract_cli: typer.Typer) -> None:
    """Add ``azure-devops`` to the ``extract`` command group."""
    extract_cli.command("azure-devops")(azure_devops_command)


@contextmanager
def _progress(title: str) -> Iterator[PageCallback]:
    """A spinner with batches and records per stream, on stderr so --json output stays clean."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(title)

        def on_page(stream: str, pages: int, records: int) -> None:
            text = f"{title}: {stream}, {format_int(pages)} batches, {format_int(records)} records"
            progress.update(task, description=text)

        yield on_page


def azure_devops_command(
    config: Annotated[
        Path | None,
        typer.Option(help="YAML or TOML file: organisation_url, project, pat_env, batch_size."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="Saved batches: a folder (or .zip) holding azure-devops/<stream>/."),
    ] = None,
    name: Annotated[str, typer.Option(help="Name of the event log to build.")] = DEFAULT_LOG,
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild staged tables and log from raw batches; fetch nothing.")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Replace a log of that name from elsewhere.")] = (
        False
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Extract work item history from the Azure DevOps REST API (--config), import saved
    batches (--export), or rebuild from the stored raw batches (--rebuild)."""
    if export is not None and (config is not None or rebuild):
        raise KitflowError("--export cannot be combined with --config or --rebuild.")
    if export is None and config is None and not rebuild:
        raise KitflowError(
            "give --config FILE (the API), --export PATH (saved batches) or --rebuild."
        )
    store = LogStore()
    if export is not None:
        with _progress(f"Reading {export.name}") as on_page:
            report = import_azure_devops_export(
                store, export, name=name, replace=replace, on_page=on_page, say=err.print
            )
    elif rebuild:
        source = read_config(config).source if config is not None else SOURCE
        with _progress("Rebuilding"):
            report = rebuild_azure_devops(store, name=name, source=source, replace=replace)
    else:
        assert config is not None
        settings = read_config(config)
        with _progress(f"Extracting from {settings.location}") as on_page:
            report = extract_azure_devops(
                store, settings, name=name, on_page=on_page, say=err.print, replace=replace
            )
    if as_json:
        print_json(report_json(report))
    else:
        _print_report(report)


def _print_report(report: AzureDevOpsReport) -> None:
    if report.results:
        table = Table("Stream", "Batches", "Records", "Bookmark")
        for r in report.results:
            table.add_row(r.stream, format_int(r.pages), format_int(r.records),
                          r.bookmark.value if r.bookmark else "–")  # fmt: skip
        out.print(table)
    staged = Table("Staged table", "Rows", "Quarantined")
    for s in report.staged:
        staged.add_row(s.table, format_int(s.rows), format_int(s.quarantined))
    out.print(staged)
    entry = report.entry
    out.print(
        f"[bold green]Stored[/] {entry.name!r}: {format_int(entry.cases)} work items, "
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


def report_json(report: AzureDevOpsReport) -> dict[str, Any]:
    """The report as JSON: log, counts, streams with their bookmarks, staged tables, notes."""
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
                "bookmark": None if r.bookmark is None else r.bookmark.value,
            }
            for r in report.results
        ],
        "staged": [
            {"table": s.table, "rows": s.rows, "quarantined": s.quarantined} for s in report.staged
        ],
        "notes": list(report.notes),
    }
