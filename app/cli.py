"""The ``kitflow`` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app import (
    cli_audit,
    cli_benefits,
    cli_candidates,
    cli_cockpit,
    cli_conformance,
    cli_demo,
    cli_demo_landscape,
    cli_extract,
    cli_landscape,
    cli_mining,
    cli_predict,
    cli_privacy,
    cli_report,
    cli_users,
)
from app.cli_case import case_cli
from app.console import err, out, print_json, progress
from app.formatting import format_date, format_datetime, format_duration, format_int
from mining import check_group_size
from models.catalog import LogEntry
from models.errors import KitflowError
from models.store import LogStore
from services import (
    ColumnMapping,
    ExportFormat,
    ImportReport,
    ReadOptions,
    export_log,
    import_log,
    write_output_file,
)

cli = typer.Typer(
    name="kitflow",
    help="KIT Flow: process mining and benefits analytics for Koncern IT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cli.add_typer(case_cli, name="case")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NameArg = Annotated[str, typer.Argument(help="Name of the stored log.")]


def _store() -> LogStore:
    return LogStore()


@cli.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Log file: CSV, XES(.gz), OCEL 1.0/2.0, Parquet.")],
    name: Annotated[str, typer.Option(help="Name to store the log under.")],
    file_format: Annotated[
        str, typer.Option("--format", help="auto|csv|xes|ocel|parquet")
    ] = "auto",
    case: Annotated[str | None, typer.Option(help="Column holding the case id.")] = None,
    activity: Annotated[str | None, typer.Option(help="Column holding the activity.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="Column holding the (end) time.")] = None,
    start_timestamp: Annotated[
        str | None, typer.Option(help="Column holding the start time.")
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Column holding the resource.")] = None,
    group: Annotated[str | None, typer.Option(help="Column holding the org unit/group.")] = None,
    timestamp_format: Annotated[
        str | None, typer.Option(help="strftime format of the times, e.g. '%d/%m/%Y %H:%M'.")
    ] = None,
    dayfirst: Annotated[bool, typer.Option(help="Dates like 31/12/2024 are day first.")] = False,
    timezone: Annotated[
        str, typer.Option(help="Time zone of times without an offset (IANA name).")
    ] = "UTC",
    null_values: Annotated[
        str | None, typer.Option(help="Comma-separated markers of a missing value, e.g. '?,N/A'.")
    ] = None,
    lifecycle: Annotated[str, typer.Option(help="XES start/complete: auto|pair|keep.")] = "auto",
    object_type: Annotated[
        str | None, typer.Option(help="OCEL: flatten on this object type instead.")
    ] = None,
    keep_numeric_activities: Annotated[
        bool, typer.Option(help="Keep rows whose activity is a number (a code).")
    ] = False,
    keep_column: Annotated[
        list[str] | None,
        typer.Option(help="Keep this extra column too (repeatable); free text is never kept."),
    ] = None,
    no_pseudonymise: Annotated[
        bool,
        typer.Option(
            "--no-pseudonymise",
            help="Store resources in clear: only for logs that hold no people (noted in the "
            "catalog entry).",
        ),
    ] = False,
    replace: Annotated[bool, typer.Option(help="Replace a stored log of the same name.")] = False,
    partitions: Annotated[
        int | None,
        typer.Option(
            help="Store the events in N partitions by a stable hash of the case id (automatic "
            "from 20 million events; for Spark and large logs, docs/spark.md)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import an event-log file into the store: people pseudonymised, only the canonical
    columns, the allowlist and the columns named with --keep-column kept."""
    options = ReadOptions(
        file_format=_choice(file_format, ("auto", "csv", "xes", "ocel", "parquet"), "--format"),
        columns=ColumnMapping(case, activity, timestamp, start_timestamp, resource, group),
        timestamp_format=timestamp_format,
        dayfirst=dayfirst,
        timezone=timezone,
        null_values=tuple(v for v in (null_values or "").split(",") if v),
        lifecycle=_choice(lifecycle, ("auto", "pair", "keep"), "--lifecycle"),
        object_type=object_type,
        keep_numeric_activities=keep_numeric_activities,
        pseudonymise=not no_pseudonymise,
        keep_columns=tuple(keep_column or ()),
    )
    with progress(f"Importing {path.name}") as step:
        report = import_log(
            _store(),
            path,
            name=name,
            options=options,
            replace=replace,
            step=step,
            partitions="auto" if partitions is None else partitions,
        )
    _print_import(report, as_json)


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> Any:
    if value not in allowed:
        raise KitflowError(f"{flag} {value!r} is not one of {'|'.join(allowed)}.")
    return value


def _print_import(report: ImportReport, as_json: bool) -> None:
    entry = report.entry
    if as_json:
        print_json({**_entry_json(entry), "quarantine_file": _opt_str(report.quarantine_path)})
        return
    out.print(f"[bold green]Stored[/] {entry.name!r}: {_entry_counts(entry)}.")
    if report.quarantined:
        out.print(
            f"[yellow]Quarantined[/] {format_int(report.quarantined)} rows, with the reason per "
            f"row, in {report.quarantine_path}"
        )
    for note in report.notes:
        out.print(f"Note: {note}")


def _entry_counts(entry: LogEntry) -> str:
    if entry.kind == "object-centric":
        return (
            f"{format_int(entry.events)} events, {format_int(entry.activities)} event types, "
            f"{format_int(entry.objects)} objects of {format_int(entry.object_types)} types"
        )
    return (
        f"{format_int(entry.cases)} cases, {format_int(entry.events)} events, "
        f"{format_int(entry.activities)} activities, {format_int(entry.variants)} variants"
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _withheld(store: LogStore, entry: LogEntry) -> bool:
    """Whether a flat log names fewer than 5 people, so its counts are not shown."""
    return entry.kind == "flat" and not check_group_size(store.scan(entry.name)).enough


def _entry_json(entry: LogEntry, *, withheld: bool = False) -> dict[str, Any]:
    def count(value: int) -> int | None:
        return None if withheld else value

    return {
        "name": entry.name,
        "kind": entry.kind,
        "source": entry.source_path,
        "format": entry.source_format,
        "withheld": withheld,
        "cases": count(entry.cases),
        "events": count(entry.events),
        "activities": count(entry.activities),
        "variants": count(entry.variants),
        "objects": entry.objects,
        "object_types": entry.object_types,
        "quarantined": entry.quarantined,
        "start": _iso(entry.first_event),
        "end": _iso(entry.last_event),
        "schema_version": entry.schema_version,
        "imported_at": _iso(entry.imported_at),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@cli.command("logs")
def logs_command(as_json: JsonFlag = False) -> None:
    """List the stored logs."""
    store = _store()
    entries = store.list()
    if as_json:
        print_json([_entry_json(e, withheld=_withheld(store, e)) for e in entries])
        return
    if not entries:
        out.print("No logs stored yet. Import one with 'kitflow import PATH --name NAME'.")
        return
    # One block per log reads well at any terminal width, unlike a nine-column table.
    for e in entries:
        out.print(f"[bold]{e.name}[/]  ({Path(e.source_path).name}, {e.source_format}, {e.kind})")
        counts = (
            "counts withheld: the log names fewer than 5 people (the 5-person rule)"
            if _withheld(store, e)
            else _entry_counts(e).replace(", ", " · ")
        )
        out.print(
            "  " + counts + (f" · {format_int(e.quarantined)} quarantined" if e.quarantined else "")
        )
        out.print(
            f"  {format_date(e.first_event)} – {format_date(e.last_event)} · "
            f"imported {format_datetime(e.imported_at)}"
        )


@cli.command("stats")
def stats_command(
    name: NameArg,
    org_unit: cli_mining.OrgUnitOption = None,
    since: cli_mining.SinceOption = None,
    until: cli_mining.UntilOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Headline figures of a stored log, or of its cases in a period or org units, measured
    from its events (withheld when they show fewer than 5 people, the 5-person rule)."""
    entry = _store().entry(name)
    stats, people_counted = cli_mining.measure_log(name, org_unit, since, until)
    figures = {
        "name": name,
        "kind": entry.kind,
        "cases": stats.cases,
        "events": stats.events,
        "activities": stats.activities,
        "variants": stats.variants,
        "start": _iso(stats.start),
        "end": _iso(stats.end),
        "quarantined": entry.quarantined,
        "objects": entry.objects,
    }
    if as_json:
        print_json(figures)
        return
    for key in ("cases", "events", "activities", "variants", "quarantined"):
        value = figures[key]
        out.print(f"{key:>12}: {format_int(value if isinstance(value, int) else None)}")
    out.print(f"{'first event':>12}: {format_datetime(stats.start)}")
    out.print(f"{'last event':>12}: {format_datetime(stats.end)}")
    if not people_counted:
        out.print("The log names no people, so the 5-person rule cannot count them here.")


@cli.command("dfg")
def dfg_command(
    name: NameArg,
    as_json: JsonFlag = False,
    top: Annotated[int | None, typer.Option(help="Show only the N most frequent arcs.")] = None,
    engine: cli_mining.EngineOption = "polars",
) -> None:
    """The directly-follows graph of a stored log: frequency and durations per arc (withheld
    when the log shows fewer than 5 people, and activities of fewer than 5 people merged: the
    5-person rule, as Procesoverblik's map)."""
    with progress("Computing the process map"):
        if cli_mining.choose_engine(engine) == "spark":
            view = cli_mining.spark_view(name, None, None, None)
            graph, merged = cli_mining.spark_merged_dfg(view)
        else:
            graph, merged = cli_mining.whole_log_dfg(name)
    if top is not None:
        graph = graph.head(top)
    if as_json:
        print_json(graph.to_dicts())
        return
    note = cli_mining.activity_note(merged)
    if note is not None:
        out.print(note)
    graph = cli_mining.danish_activities(graph)
    table = Table("From", "To", "Frequency", "Mean", "Median")
    for row in graph.iter_rows(named=True):
        table.add_row(
            row["source"],
            row["target"],
            format_int(row["frequency"]),
            format_duration(row["mean_duration_s"]),
            format_duration(row["median_duration_s"]),
        )
    out.print(table)


@cli.command("export")
def export_command(
    name: NameArg,
    file_format: Annotated[str, typer.Option("--format", help="xes|csv|parquet|ocel")],
    out_path: Annotated[
        Path, typer.Option("--out", help="File to write, outside the data folder.")
    ],
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
) -> None:
    """Export a stored log to a file (outside the data folder; an existing one needs --force)."""
    chosen: ExportFormat = _choice(file_format, ("xes", "csv", "parquet", "ocel"), "--format")
    store = _store()
    store.entry(name)  # an unknown name is reported before the file is checked
    with progress(f"Exporting {name}"):
        written = write_output_file(
            store.data,
            out_path,
            lambda path: export_log(store, name, file_format=chosen, out=path),
            force=force,
        )
    out.print(f"Wrote {written}")


@cli.command("delete")
def delete_command(name: NameArg) -> None:
    """Delete a stored log, its tables and its quarantine."""
    entry = _store().delete(name)
    out.print(f"Deleted {entry.name!r} ({format_int(entry.events)} events).")


@cli.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    debug: Annotated[
        bool, typer.Option(help="Flask's development server with Dash's developer tools.")
    ] = False,
    threads: Annotated[int, typer.Option(help="Requests served at the same time.")] = 8,
    warm: Annotated[
        bool,
        typer.Option(
            help="Build the directors' overviews of the data's month ends in the background "
            "from the first request (KITFLOW_WARM_OVERVIEWS)."
        ),
    ] = True,
) -> None:
    """Serve the dashboard (waitress, sign-in required); Ctrl-C stops it."""
    # Imported here: Dash takes a while to load and no other command needs it.
    import waitress  # noqa: PLC0415

    from app.dashboard import create_app  # noqa: PLC0415
    from app.dashboard.auth_settings import is_loopback, settings_from_env  # noqa: PLC0415
    from app.dashboard.cockpit_data import WARM_ENV  # noqa: PLC0415

    # A served dashboard answers a month end at once; an explicit variable wins.
    os.environ.setdefault(WARM_ENV, "1" if warm else "0")

    if debug and not is_loopback(host):
        raise KitflowError(
            f"--debug is refused on {host}: its debugger runs code for anyone who reaches it. "
            "Use --host 127.0.0.1 to debug, or leave --debug out."
        )
    store = _store()
    settings = settings_from_env(host=host, data_dir=store.data.root)
    _print_serve_notes(store, ephemeral=settings.ephemeral_secret, sso=settings.oidc is not None)
    dashboard = create_app(store, auth=settings)
    out.print(f"KIT Flow dashboard on http://{host}:{port}/ (Ctrl-C stops it)")
    if debug:
        # No reloader: it would restart the process in a child and make Ctrl-C leave one behind.
        dashboard.run(host=host, port=port, debug=True, use_reloader=False)
    else:
        waitress.serve(dashboard.server, host=host, port=port, threads=threads, ident="KIT Flow")
    out.print("Stopped.")


def _print_serve_notes(store: LogStore, *, ephemeral: bool, sso: bool) -> None:
    from models.accounts import AccountStore  # noqa: PLC0415

    if ephemeral:
        out.print("No KITFLOW_SECRET_KEY set: a random session secret for this run (127.0.0.1).")
    accounts = AccountStore(store.data.database_url)
    try:
        if not sso and not accounts.list():
            out.print(
                "No accounts yet, so no one can sign in: add one with "
                "'kitflow users add NAME --role administrator' (or set KITFLOW_OIDC_*)."
            )
    finally:
        accounts.dispose()


# The commands of the other areas, after the core ones so that --help lists those first.
cli_mining.register(cli)
cli_conformance.register(cli)
cli_extract.register(cli)
cli_privacy.register(cli)
cli_demo_landscape.register(cli)
cli_demo.register(cli)
cli_landscape.register(cli)
cli_benefits.register(cli)
cli_candidates.register(cli)
cli_report.register(cli)
cli_cockpit.register(cli)
cli_predict.register(cli)
cli_users.register(cli)
cli_audit.register(cli)  # last: it records every command that writes a file


def main() -> None:
    """Entry point: run the CLI, turning KIT Flow errors into a message and exit code 2."""
    try:
        cli()
    except KitflowError as error:
        err.print(f"[bold red]Error:[/] {error}", highlight=False)
        raise SystemExit(2) from None
