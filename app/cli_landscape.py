"""``kitflow landscape``: the cross-system views of the KIT landscape.

- ``kitflow landscape link``: link the stored ServiceNow orders to the stored Azure DevOps work
  items again and rebuild ``kit-orders`` and ``kit-landscape`` (no source is read);
- ``kitflow landscape ocel --out FILE``: write the landscape as OCEL 2.0 (.jsonocel, .xmlocel or
  .sqlite by the file's ending).

Registered on the main CLI by ``register(cli)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from app.console import out, print_json, progress
from app.formatting import format_int
from models.errors import InputError
from models.store import LogStore
from services import check_output_file, export_ocel_log, read_stored_ocel, write_output_file
from services.ingestion import LANDSCAPE_LOG, describe_links, link_landscape

landscape_cli = typer.Typer(
    help="The KIT landscape across systems: order links, kit-orders and the OCEL export.",
    no_args_is_help=True,
)


@landscape_cli.command("link")
def link_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Link orders to DevOps work items; rebuild kit-orders and kit-landscape."""
    with progress("Linking orders to DevOps work items"):
        report = link_landscape(LogStore())
    links = report.links
    if as_json:
        print_json(
            {
                "linked_orders": links.linked_orders,
                "links": links.links.height,
                "by_mark": dict(
                    links.links.group_by("linked_by")
                    .agg(pl.col("item_number").n_unique())
                    .sort("linked_by")
                    .rows()
                ),
                "dangling": links.dangling.to_dicts(),
                "unlinked_items": links.unlinked.height,
                "kit_orders": {"cases": report.kit_orders.entry.cases,
                               "events": report.kit_orders.entry.events},
                "kit_landscape": {"events": report.landscape.events,
                                  "objects": report.landscape.objects},
                "folder": str(report.folder),
            }
        )  # fmt: skip
        return
    out.print(describe_links(report))
    out.print(
        f"Stored 'kit-orders' ({format_int(report.kit_orders.entry.cases)} cases, "
        f"{format_int(report.kit_orders.entry.events)} events) and '{LANDSCAPE_LOG}' "
        f"({format_int(report.landscape.events)} events, "
        f"{format_int(report.landscape.objects)} objects)."
    )


@landscape_cli.command("ocel")
def ocel_command(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out", help="File to write, outside the data folder: .jsonocel, .xmlocel or .sqlite."
        ),
    ],
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
) -> None:
    """Write the landscape (ServiceNow and DevOps objects and events) as OCEL 2.0."""
    store = LogStore()
    check_output_file(store.data, out_path, force=force)  # before the landscape is read
    if store.catalog.get(LANDSCAPE_LOG) is None:
        raise InputError(
            f"there is no stored {LANDSCAPE_LOG!r} log: run 'kitflow demo' or "
            "'kitflow landscape link' after extracting ServiceNow and Azure DevOps."
        )
    with progress(f"Writing {out_path.name}"):
        log = read_stored_ocel(store, LANDSCAPE_LOG)
        written = write_output_file(
            store.data,
            out_path,
            lambda path: export_ocel_log(store, LANDSCAPE_LOG, file_format="ocel", out=path),
            force=force,
        )
    out.print(
        f"Wrote {written}: {format_int(log.events.height)} events, "
        f"{format_int(log.objects.height)} objects of "
        f"{len(log.object_types())} types, {format_int(log.e2o.height)} event-object and "
        f"{format_int(log.o2o.height)} object-object relations."
    )


def register(cli: typer.Typer) -> None:
    """Add ``landscape`` to the kitflow command line."""
    cli.add_typer(landscape_cli, name="landscape")
