"""``kitflow audit``: list and export the audit trail; and the CLI's own entries in it.

Every command that writes a file for someone (an ``--out`` option: exports, reports, candidate
lists) is recorded when it has written it, with its options.
"""

from __future__ import annotations

import functools
import getpass
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

import polars as pl
import typer

from app.console import out, print_json, read_day_start
from app.formatting import format_datetime
from models.audit import AuditEntry, AuditTrail
from models.datafolder import DataFolder
from models.errors import KitflowError
from models.spreadsheet import write_spreadsheet_csv
from services import write_output_file

_OUTPUT_PARAMETERS: Final = frozenset({"out", "out_path", "out_dir", "output"})
_COPENHAGEN: Final = ZoneInfo("Europe/Copenhagen")


def cli_actor() -> str:
    """Who runs a command: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record_cli(action: str, target: str, outcome: str = "ok", detail: str = "") -> None:
    """Append one entry for a command run from the command line."""
    trail = AuditTrail(DataFolder.from_env().database_url)
    try:
        trail.append(
            actor=cli_actor(), action=action, target=target, outcome=outcome, detail=detail
        )
    finally:
        trail.dispose()


def audit_command(
    since: Annotated[
        str | None, typer.Option(help="Only entries from this day on (YYYY-MM-DD, Danish time).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Write the entries to this .csv or .json file instead."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
) -> None:
    """The audit trail: sign-ins, page views, downloads, exports and changes to users."""
    data = DataFolder.from_env()
    trail = AuditTrail(data.database_url)
    try:
        entries = trail.list(since=read_day_start(since, "--since"))
    finally:
        trail.dispose()
    if out_path is not None:
        written = write_output_file(data, out_path, lambda p: _write(entries, p), force=force)
        out.print(f"Wrote {len(entries)} entries to {written}")
    elif as_json:
        print_json([_json(e) for e in entries])
    else:
        _print(entries)


def _json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "address": entry.address,
        "detail": entry.detail,
    }


def _write(entries: list[AuditEntry], path: Path) -> None:
    rows = [_json(e) for e in entries]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), "utf-8")
    elif path.suffix.lower() == ".csv":
        columns = ["id", "at", "actor", "action", "target", "outcome", "address", "detail"]
        write_spreadsheet_csv(pl.DataFrame(rows, schema=dict.fromkeys(columns)), path)
    else:
        raise KitflowError(f"--out {path} must end in .csv or .json.")


def _print(entries: list[AuditEntry]) -> None:
    if not entries:
        out.print("No audit entries (for that period).")
    for e in entries:
        where = f" from {e.address}" if e.address else ""
        out.print(
            f"{format_datetime(e.at)}  {e.actor}  {e.action}  {e.target}  [{e.outcome}]{where}",
            highlight=False,
            markup=False,
        )


def audited(command: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``command`` recording an ``export`` entry when it has written the file its ``--out``
    names (with its options). A refused or failed run writes nothing, the database included."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = command(*args, **kwargs)
        shown = {k: str(v) for k, v in kwargs.items() if v is not None and v is not False}
        target = next((shown[k] for k in _OUTPUT_PARAMETERS if k in shown), "")
        if target:  # only a run that was asked to write a file, and did
            detail = f"kitflow {name} {json.dumps(shown, ensure_ascii=False)}"
            record_cli("export", target, detail=detail)
        return result

    return run


def _writes_a_file(command: Callable[..., Any]) -> bool:
    return bool(_OUTPUT_PARAMETERS & set(inspect.signature(command).parameters))


def _wrap_all(app: typer.Typer, prefix: str) -> None:
    for info in app.registered_commands:
        if info.callback is not None and _writes_a_file(info.callback):
            name = f"{prefix}{info.name or info.callback.__name__}"
            info.callback = audited(info.callback, name)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _wrap_all(group.typer_instance, f"{prefix}{group.name} ")


def register(cli: typer.Typer) -> None:
    """Add ``kitflow audit``, and record every command that writes a file (call it last)."""
    cli.command("audit")(audit_command)
    _wrap_all(cli, "")
