"""``kitflow extract time``: time-registration exports (and ServiceNow time cards) to the hours
table ``03_primary/time-registration/hours.parquet``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import err, out, print_json
from app.formatting import format_int
from models.errors import KitflowError
from models.store import LogStore
from services.ingestion.time_registration import TimeReport, import_time_exports, rebuild_time


def time_command(
    export: Annotated[
        list[Path] | None,
        typer.Option(help="A .csv/.xlsx export, or a folder of them (repeatable)."),
    ] = None,
    servicenow: Annotated[
        bool, typer.Option(help="Also map the time_card pages of a ServiceNow extraction.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild the hours table from the stored raw data only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Read time-registration exports (--export) or time cards (--servicenow); or --rebuild."""
    store = LogStore()
    if export:
        err.print(f"Reading {len(export)} export path(s)…")
        report = import_time_exports(store, export, servicenow=servicenow, say=err.print)
    elif rebuild or servicenow:
        err.print("Rebuilding the hours table from the data folder…")
        report = rebuild_time(store, servicenow=servicenow)
    else:
        raise KitflowError("give --export PATH (files or a folder), --servicenow or --rebuild.")
    _print(report, as_json)


def _print(report: TimeReport, as_json: bool) -> None:
    if as_json:
        print_json(_json(report))
        return
    table = Table("Input", "Records", "Rows", "Quarantined", "Bookmark")
    for s in report.streams:
        table.add_row(
            s.stream, format_int(s.records), format_int(s.rows), format_int(s.quarantined),
            s.bookmark[:16],
        )  # fmt: skip
    out.print(table)
    out.print(f"[bold green]Stored[/] {format_int(report.rows)} bookings in {report.hours_path}.")
    if report.quarantined:
        out.print(
            f"[yellow]Quarantined[/] {format_int(report.quarantined)} rows, each with file, "
            f"line and reason, in {report.quarantine_path}."
        )
    for note in report.notes:
        out.print(f"Note: {note}")


def _json(report: TimeReport) -> dict[str, Any]:
    return {
        "hours_file": str(report.hours_path),
        "rows": report.rows,
        "quarantined": report.quarantined,
        "quarantine_file": None if report.quarantine_path is None else str(report.quarantine_path),
        "inputs": [
            {
                "input": s.stream,
                "records": s.records,
                "rows": s.rows,
                "quarantined": s.quarantined,
                "bookmark": s.bookmark,
            }
            for s in report.streams
        ],
        "notes": list(report.notes),
    }
