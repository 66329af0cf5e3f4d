"""``kitflow simulate``: write the simulated KIT landscape (export files and manifest.json)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.console import err as err_console
from app.console import out as out_console
from app.formatting import format_int
from models.datafolder import DataFolder
from services import (
    Scenario,
    SimulationSummary,
    check_output_folder,
    write_output_folder,
    write_simulated_landscape,
)

SCENARIO_HELP = (
    "clean: every automation's savings are recovered exactly; confounded: demand trends, "
    "adoption ramp, costly exceptions, registration noise and a never-automated comparison "
    "process (see the manifest's 'scenario' and each effect's 'truth')."
)


def _check_date(value: str, option: str) -> str:
    """Reject anything but an ISO date, naming the option."""
    try:
        date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2023-01-01", param_hint=option
        ) from None
    return value


def _summary_table(summary: SimulationSummary, out: Path) -> Table:
    """Records written per source and stream."""
    table = Table(title=f"Simulated KIT landscape in {out}")
    table.add_column("source")
    table.add_column("stream")
    table.add_column("records", justify="right")
    for source, streams in summary.counts.items():
        for stream, count in streams.items():
            table.add_row(source, stream, f"{format_int(count)}")
    return table


def simulate_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder to write the export files into, outside the data folder (they hold "
            "names in clear).",
        ),
    ],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 42,
    scale: Annotated[
        float,
        typer.Option(
            help="Volume multiplier: 1 = KIT's size (~1.2 million events), ~8 = 10 million."
        ),
    ] = 1.0,
    start: Annotated[str, typer.Option(help="First simulated day (UTC).")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="Last simulated day (UTC), inclusive.")] = "2025-12-31",
    force: Annotated[
        bool, typer.Option(help="Write into a folder that holds files already (ours overwritten).")
    ] = False,
    scenario: Annotated[Scenario, typer.Option(help=SCENARIO_HELP)] = "clean",
) -> None:
    """Write ServiceNow pages, Azure DevOps batches, time registration, robot runs and manifest."""
    _check_date(start, "--start")
    _check_date(end, "--end")
    if end <= start:
        raise typer.BadParameter(f"--end {end} must come after --start {start}")
    if not 0 < scale <= 100:
        raise typer.BadParameter(f"--scale {scale} must be above 0 and at most 100")
    data = DataFolder.from_env()
    check_output_folder(data, out, force=force)  # before minutes of simulating
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("simulating", total=1.0)

        def report(label: str, done: float) -> None:
            """Move the progress bar."""
            progress.update(task, description=f"simulating: {label}", completed=done)

        summary = write_output_folder(
            data,
            out,
            lambda folder: write_simulated_landscape(
                folder,
                seed=seed,
                scale=scale,
                start=start,
                end=end,
                scenario=scenario,
                progress=report,
            ),
            force=force,
        )
    out_console.print(_summary_table(summary, out))
    out_console.print(
        f"Wrote {format_int(summary.files)} files, {format_int(summary.events)} events "
        f"in {summary.seconds:.1f} s; "
        f"ground truth in {out / 'manifest.json'}."
    )


def register(cli: typer.Typer) -> None:
    """Add ``simulate`` to the kitflow command line."""
    cli.command("simulate")(simulate_command)
