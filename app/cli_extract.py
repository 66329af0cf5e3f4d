"""``kitflow extract servicenow|azure-devops|time|robots`` and ``kitflow sources``: registered
on the main CLI by ``register(cli)``.

The four extract commands are built once, from one shape: the same flags (``--config FILE``,
``--export PATH``, ``--rebuild``, ``--name``, ``--replace``, ``--json``) with the same rule for
combining them (``services.ingestion.choose_mode``), plus a source's own few options; one
progress spinner and one printer of the one report.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import err, out, print_json, progress_task
from app.formatting import format_datetime, format_int, format_number
from models.extraction import StreamStatus
from models.store import LogStore
from services import StreamHealth, check_sources, current_key_fingerprint
from services.ingestion import (
    AzureDevOpsSource,
    IngestionReport,
    Mode,
    PageCallback,
    RobotsSource,
    ServiceNowSource,
    SourceSpec,
    TimeSource,
    choose_mode,
    ingest,
    ingestion_json,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Maker = Callable[..., SourceSpec[Any]]


@dataclass(frozen=True)
class ExtractCommand:
    """One ``kitflow extract <name>``: its help, what its --config and --export take, its own
    options (``inspect.Parameter``s) and how they make the source's declaration."""

    name: str
    help: str
    config_help: str
    export_help: str
    make_source: Maker
    options: tuple[inspect.Parameter, ...] = ()


def _option(name: str, kind: Any, default: Any, help_text: str) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[kind, typer.Option(help=help_text)],
    )


COMMANDS = (
    ExtractCommand(
        "servicenow",
        "Extract from the ServiceNow Table API (--config), read an export (--export), or "
        "rebuild the log from the stored raw pages (--rebuild).",
        "YAML or TOML file: base_url, tables, event_log_table, page_size, auth.",
        "A Table API .json or list-export .csv/.zip file (builds the log --name), or a folder "
        "of saved Table API pages <table>/page-NNNNN.json (builds servicenow-incidents and "
        "servicenow-orders).",
        ServiceNowSource,
        (
            _option("timezone", str, "Europe/Copenhagen",
                    "Time zone of a list export's local times (IANA name)."),
            _option("table", str, "incident", "Table of a .json export."),
        ),
    ),
    ExtractCommand(
        "azure-devops",
        "Extract work item history from the Azure DevOps REST API (--config), import saved "
        "batches (--export), or rebuild from the stored raw batches (--rebuild).",
        "YAML or TOML file: organisation_url, project, pat_env or pat_file, batch_size.",
        "Saved batches: a folder (or .zip) holding azure-devops/<stream>/batch-N.json.",
        AzureDevOpsSource,
    ),
    ExtractCommand(
        "time",
        "Read time-registration exports (--export) into the hours table, or rebuild it from the "
        "data folder (--rebuild); --servicenow adds the time cards of a ServiceNow extraction.",
        "Not used: time registration has no API and no settings.",
        "A .csv/.xlsx export, or a folder of them (repeatable).",
        TimeSource,
        (
            _option("servicenow", bool, False,
                    "Also map the time_card pages of a ServiceNow extraction (remembered)."),
        ),
    ),
    ExtractCommand(
        "robots",
        "Extract robot runs (kørselsdata) from UiPath and Power Automate (--config), import an "
        "export (--export), or rebuild runs and transactions from the raw pages (--rebuild).",
        "YAML or TOML file: uipath, power_automate, queue_processes.",
        "A folder of saved OData pages (uipath/…, power-automate/…), or a robot .csv file.",
        RobotsSource,
    ),
)  # fmt: skip


def _shared_options(command: ExtractCommand) -> list[inspect.Parameter]:
    """The flags every extract command has, the same way."""
    return [
        _option("config", Path | None, None, command.config_help),
        _option("export", list[Path] | None, None, command.export_help),
        _option("rebuild", bool, False, "Rebuild from the data folder alone; fetch nothing."),
        _option("name", str | None, None,
                "Name of the event log to build (sources that build one log)."),
        _option("replace", bool, False,
                "Let the log replace a stored log of that name from elsewhere."),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=JsonFlag),
    ]  # fmt: skip


def _callback(command: ExtractCommand) -> Callable[..., None]:
    """The typer callback of ``command``: its signature is built from the shared options and
    the source's own, so every extract command has the same flags, declared once."""

    def extract(**values: Any) -> None:
        shared = {key: values.pop(key) for key in ("config", "export", "rebuild", "name",
                                                    "replace", "as_json")}  # fmt: skip
        run_extract(command.make_source(**values), **shared)

    extract.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*_shared_options(command), *command.options]
    )
    extract.__doc__ = command.help
    return extract


def register(cli: typer.Typer) -> None:
    """Add ``extract servicenow|azure-devops|time|robots`` and ``sources``."""
    extract_cli = typer.Typer(help="Extract event data from a source system.", no_args_is_help=True)
    for command in COMMANDS:
        extract_cli.command(command.name)(_callback(command))
    cli.add_typer(extract_cli, name="extract")
    cli.command("sources")(sources_command)


def run_extract(
    source: SourceSpec[Any],
    *,
    config: Path | None,
    export: list[Path] | None,
    rebuild: bool,
    name: str | None,
    replace: bool,
    as_json: bool,
) -> None:
    """One extraction of ``source``, with a spinner on stderr, then its report."""
    exports = tuple(export or ())
    mode = choose_mode(source.info, config=config is not None, exports=exports, rebuild=rebuild)
    with _progress(_title(source, mode, exports)) as on_page:
        report = ingest(
            LogStore(), source, config=config, exports=exports, rebuild=rebuild, name=name,
            replace=replace, on_page=on_page, say=err.print,
        )  # fmt: skip
    print_ingestion_report(report, as_json=as_json)


def _title(source: SourceSpec[Any], mode: Mode, exports: tuple[Path, ...]) -> str:
    title = source.info.title
    if mode == "api":
        return f"Extracting from {title}"
    if mode == "export":
        return f"Reading {', '.join(path.name for path in exports)}"
    return f"Rebuilding {title} from the data folder"


@contextmanager
def _progress(title: str) -> Iterator[PageCallback]:
    """A spinner with pages and records per stream, on stderr so --json output stays clean."""
    with progress_task(title) as (bar, task):

        def on_page(stream: str, pages: int, records: int) -> None:
            text = f"{title}: {stream}, {format_int(pages)} pages, {format_int(records)} records"
            bar.update(task, description=text)

        yield on_page


def print_ingestion_report(report: IngestionReport, *, as_json: bool) -> None:
    """The one printer of every source's report (``--json``: its one JSON shape)."""
    if as_json:
        print_json(ingestion_json(report))
        return
    if report.streams:
        streams = Table("Stream", "Pages", "Records", "Quarantined", "Bookmark")
        for s in report.streams:
            mark = _bookmark_text(s.bookmark.value, s.bookmark.key) if s.bookmark else "–"
            streams.add_row(s.stream, format_int(s.pages), format_int(s.records),
                            format_int(s.quarantined), mark)  # fmt: skip
        out.print(streams)
    if report.staged:
        staged = Table("Staged table", "Rows", "Quarantined")
        for t in report.staged:
            staged.add_row(t.table, format_int(t.rows), format_int(t.quarantined))
        out.print(staged)
    for log in report.logs:
        entry = log.entry
        out.print(
            f"[bold green]Stored[/] {entry.name!r}: {format_int(entry.cases)} cases, "
            f"{format_int(entry.events)} events, {format_int(entry.activities)} activities."
        )
    for table in report.tables:
        out.print(f"[bold green]Stored[/] {table.name!r}: {format_int(table.rows)} rows in "
                  f"{table.path}.")  # fmt: skip
    if report.quarantined:
        files = ", ".join(str(path) for path in report.quarantine_files)
        out.print(
            f"[yellow]Quarantined[/] {format_int(report.quarantined)} records, each with its "
            f"reason, in {files}; 'kitflow sources' shows them per stream."
        )
    for note in report.notes:
        out.print(f"Note: {note}")


def sources_command(as_json: JsonFlag = False) -> None:
    """Each source and stream: its last run, its bookmark, what was quarantined, and whether it
    is stale (fetched over an API: last run over 2 days ago or failed; an export: 35 days)."""
    data = LogStore().data
    report = check_sources(data)
    states = [health.status for health in report.streams]
    fingerprint = current_key_fingerprint(data)
    if as_json:
        print_json(
            [
                {**_status_json(h.status), **_health_json(h), "key_fingerprint": fingerprint}
                for h in report.streams
            ]
        )
        return
    out.print(f"Pseudonymisation key: fingerprint {fingerprint or '– (no key set)'}")
    if not states:
        out.print("No extractions yet. Run 'kitflow extract servicenow --config FILE'.")
        return
    # One block per stream reads well at any terminal width, as 'kitflow logs' does.
    for s, health in zip(states, report.streams, strict=True):
        status = s.last_run_status or "never run"
        colour = {"finished": "green", "failed": "red"}.get(status, "yellow")
        when = format_datetime(s.last_run_finished_at or s.last_run_started_at)
        out.print(f"[bold]{s.source}/{s.stream}[/]  [{colour}]{status}[/] {when}")
        out.print(
            f"  {format_int(s.records_stored)} records · {format_int(s.pages_stored)} pages · "
            f"{format_int(s.quarantined)} quarantined"
        )
        mark = "–" if s.bookmark_value is None else _bookmark_text(s.bookmark_value, s.bookmark_key)
        out.print(f"  bookmark {mark}")
        fresh = "[red]stale[/]" if health.stale else "[green]fresh[/]"
        out.print(f"  {health.kind}, {fresh} (last finished run: {_age_text(health)})")
        if s.last_run_status == "failed":
            out.print(f"  [red]last error:[/] {s.last_run_message}", highlight=False)


def _age_text(health: StreamHealth) -> str:
    if health.age is None:
        return "never"
    hours = health.age.total_seconds() / 3600
    if hours < 48:
        return f"{format_number(hours, 1)} hours ago"
    return f"{format_int(int(hours // 24))} days ago"


def _health_json(health: StreamHealth) -> dict[str, Any]:
    age = None if health.age is None else round(health.age.total_seconds())
    return {"kind": health.kind, "age_s": age, "stale": health.stale}


def _bookmark_text(value: str, key: str | None) -> str:
    key = key or ""
    return f"{value} / {key[:8]}…" if len(key) > 8 else f"{value} {key}".strip()


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
