"""``kitflow demo``: the simulated KIT landscape through the extractors, then the real public logs.

Registered on the main CLI by ``register(cli)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli_demo_landscape import SCENARIO_HELP
from app.console import err, out, progress
from app.formatting import format_int
from models.errors import KitflowError
from models.store import LogStore
from services import (
    ImportReport,
    LandscapeDemoReport,
    Scenario,
    load_demo_landscape,
    load_demo_logs,
)
from services.ingestion import describe_links

DEFAULT_PUBLIC = Path("../shared/data")


def demo_command(
    source: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the real public logs (shared/data); default ../shared/data if present."
        ),
    ] = None,
    landscape: Annotated[
        bool, typer.Option(help="Load the simulated KIT landscape through the extractors.")
    ] = True,
    public: Annotated[bool, typer.Option(help="Load the real public logs too.")] = True,
    seed: Annotated[int, typer.Option(help="Seed of the simulated landscape.")] = 42,
    scale: Annotated[
        float, typer.Option(help="Volume of the simulated landscape: 1 = KIT's size.")
    ] = 1.0,
    start: Annotated[str, typer.Option(help="First simulated day.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="Last simulated day, inclusive.")] = "2025-12-31",
    replace: Annotated[
        bool, typer.Option(help="Load again what is stored already (landscape and public logs).")
    ] = False,
    scenario: Annotated[Scenario, typer.Option(help=SCENARIO_HELP)] = "clean",
) -> None:
    """Load the demo data: the simulated KIT landscape, then the real public logs."""
    if not 0 < scale <= 100:
        raise typer.BadParameter(f"--scale {scale} must be above 0 and at most 100")
    if source is not None and not source.is_dir():
        raise KitflowError(
            f"the demo data folder {source} does not exist: pass --source with the path of "
            "shared/data (the real public logs)."
        )
    store = LogStore()
    if landscape:
        _load_landscape(
            store, seed=seed, scale=scale, start=start, end=end, scenario=scenario, replace=replace
        )
    if not public:
        return
    folder = source or (DEFAULT_PUBLIC if DEFAULT_PUBLIC.is_dir() else None)
    if folder is None:
        out.print(f"No public logs loaded: {DEFAULT_PUBLIC} is not there (pass --source).")
        return
    _load_public(store, folder, replace=replace)


def _load_landscape(
    store: LogStore,
    *,
    seed: int,
    scale: float,
    start: str,
    end: str,
    scenario: Scenario,
    replace: bool,
) -> None:
    # The manifest is written last: a load that was interrupted is done again.
    if store.data.manifest().exists() and not replace:
        out.print("Simulated landscape: stored already (add --replace to load it again).")
        return
    with progress("Loading the simulated KIT landscape") as step:
        report = load_demo_landscape(
            store,
            seed=seed,
            scale=scale,
            start=start,
            end=end,
            scenario=scenario,
            say=err.print,
            step=step,
        )
    _print_landscape(report)


def _print_landscape(report: LandscapeDemoReport) -> None:
    table = Table("Log", "Cases", "Events", "Quarantined", title="Simulated KIT landscape")
    for log in report.landscape.logs():
        object_centric = log.entry.kind == "object-centric"
        table.add_row(
            log.entry.name,
            f"{format_int(log.entry.objects)} objects"
            if object_centric
            else format_int(log.entry.cases),
            format_int(log.entry.events),
            format_int(log.quarantined),
        )
    out.print(table)
    for source in report.landscape.sources.values():
        for written in source.tables:
            out.print(
                f"{source.source}: {written.name} {format_int(written.rows)} rows ({written.path})."
            )
        if source.quarantined and not source.logs:
            out.print(f"{source.source}: {format_int(source.quarantined)} records quarantined.")
    links = report.landscape.links
    if links is not None:
        out.print(describe_links(links))
    for note in report.landscape.notes:
        out.print(f"Note: {note}")
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.seconds.items())
    out.print(f"Landscape loaded in {report.total_s:.1f} s ({steps}); manifest {report.manifest}.")


def _load_public(store: LogStore, source: Path, *, replace: bool) -> None:
    def announce(name: str, report: ImportReport | None) -> None:
        if report is None:
            out.print(f"{name}: stored already")
        else:
            out.print(
                f"{name}: {format_int(report.entry.events)} events, "
                f"{format_int(report.quarantined)} quarantined"
            )

    with progress(f"Loading the public demo logs from {source}"):
        load_demo_logs(store, source, replace=replace, announce=announce)


def register(cli: typer.Typer) -> None:
    """Add ``demo`` to the kitflow command line."""
    cli.command("demo")(demo_command)
