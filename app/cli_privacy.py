"""``kitflow privacy lookup|erase|retention|rotate-key``: data-subject rights on the platform's
own data, for an administrator. Every command states a reason and is recorded (pseudonyms only,
never the identifiers in clear)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.console import out, print_json
from models.store import LogStore
from services import (
    PrivacyFileChange,
    PrivacyFinding,
    check_privacy_reason,
    erase_person,
    find_person_data,
    parse_retention_cutoff,
    person_from_identifiers,
    purge_older_than,
    read_identifier_file,
    record_privacy_request,
    rotate_pseudonym_key,
    write_output_file,
)

privacy_cli = typer.Typer(
    help="Data-subject rights: find, erase, age out and re-key people's data (administrators).",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Identifiers = Annotated[
    list[str],
    typer.Option(
        "--identifier", help="The person's user name, e-mail, sys_id or initials (repeatable)."
    ),
]
Reason = Annotated[
    str, typer.Option(help="Why (e.g. 'indsigtsanmodning j.nr. 2026-17'); it is recorded.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only count what would be removed.")]


def register(cli: typer.Typer) -> None:
    """Add ``kitflow privacy``."""
    cli.add_typer(privacy_cli, name="privacy")


@privacy_cli.command("lookup")
def lookup_command(
    identifier: Identifiers,
    reason: Reason,
    # Not named ``out``: cli_audit records a command's options when it has an ``out`` and would
    # write the identifiers in clear; this command records itself with the pseudonyms only.
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the findings (JSON) to this file.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Find every row linked to one person, in every layer of the data folder."""
    check_privacy_reason(reason)
    data = LogStore().data
    person = person_from_identifiers(data, identifier)
    found = find_person_data(data, person)
    document = _findings_json(person.pseudonyms, found)
    if out_file is not None:
        text = json.dumps(document, ensure_ascii=False, indent=2)
        write_output_file(data, out_file, lambda p: p.write_text(text, "utf-8"), force=force)
    summary = f"{len(found)} files, {sum(f.rows for f in found)} rows"
    summary += f"; written to {out_file}" if out_file is not None else ""
    record_privacy_request(data, "lookup", reason, person.pseudonyms, summary)
    if as_json:
        print_json(document)
        return
    _print_findings(person.pseudonyms, found, out_file)


def _findings_json(pseudonyms: tuple[str, ...], found: list[PrivacyFinding]) -> dict[str, Any]:
    return {
        "pseudonyms": list(pseudonyms),
        "rows": sum(f.rows for f in found),
        "files": [dataclasses.asdict(f) for f in found],
    }


def _print_findings(
    pseudonyms: tuple[str, ...], found: list[PrivacyFinding], out_file: Path | None
) -> None:
    out.print(f"Pseudonyms: {', '.join(pseudonyms)}", highlight=False)
    if not found:
        out.print("Nothing in the data folder is linked to these identifiers.")
    for f in found:
        out.print(f"[bold]{f.path}[/] ({f.layer}): {f.rows} rows", highlight=False)
        out.print(f"  columns: {', '.join(f.columns)}", highlight=False)
        if f.log:
            out.print(f"  log {f.log}: {len(f.cases)} cases", highlight=False)
        if f.first:
            out.print(f"  period {f.first} – {f.last}", highlight=False)
    if out_file is not None:
        out.print(f"Findings written to {out_file}.", highlight=False)
    out.print("This lookup is recorded (reason and pseudonyms).")


@privacy_cli.command("erase")
def erase_command(
    identifier: Identifiers, reason: Reason, dry_run: DryRun = False, as_json: JsonFlag = False
) -> None:
    """Remove one person's rows from raw pages, staged tables, logs, primary tables and
    quarantine files (a log's aggregates are rebuilt)."""
    check_privacy_reason(reason)
    data = LogStore().data
    person = person_from_identifiers(data, identifier)
    changes = erase_person(data, person, dry_run=dry_run)
    action = "erase (dry run)" if dry_run else "erase"
    record_privacy_request(data, action, reason, person.pseudonyms, _summary(changes))
    _print_changes(changes, dry_run=dry_run, as_json=as_json)


@privacy_cli.command("retention")
def retention_command(
    older_than: Annotated[
        str, typer.Option(help="Days before today (e.g. 365) or a date (YYYY-MM-DD).")
    ],
    reason: Reason,
    hold: Annotated[
        list[str] | None,
        typer.Option(
            "--hold",
            help="Keep this person's rows (an open access request): an identifier, repeatable.",
        ),
    ] = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Remove every row dated before --older-than (event time, booking date, run start) from
    every layer; rows without a date, and rows of people on --hold, stay."""
    check_privacy_reason(reason)
    cutoff = parse_retention_cutoff(older_than)
    data = LogStore().data
    held = person_from_identifiers(data, hold) if hold else None
    changes = purge_older_than(data, cutoff, held=held, dry_run=dry_run)
    action = f"retention before {cutoff}" + (" (dry run)" if dry_run else "")
    pseudonyms = held.pseudonyms if held else ()
    record_privacy_request(data, action, reason, pseudonyms, _summary(changes))
    _print_changes(changes, dry_run=dry_run, as_json=as_json)


@privacy_cli.command("rotate-key")
def rotate_key_command(
    new_key_file: Annotated[Path, typer.Option(help="File holding the new key (mode 0600).")],
    identifiers_file: Annotated[
        Path,
        typer.Option(help="Every person's identifier in clear, one a line (e.g. the staff list)."),
    ],
    reason: Reason,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-pseudonymise every layer with a new key, for the identifiers supplied; pseudonyms of
    anyone not supplied cannot be mapped and become unlinkable."""
    check_privacy_reason(reason)
    data = LogStore().data
    rotation = rotate_pseudonym_key(
        data, new_key_file, read_identifier_file(identifiers_file), dry_run=dry_run
    )
    summary = f"{rotation.mapped} mapped, {len(rotation.unmapped)} unmapped; " + _summary(
        rotation.changes
    )
    record_privacy_request(
        data, "rotate-key" + (" (dry run)" if dry_run else ""), reason, (), summary
    )
    if as_json:
        print_json(
            {
                "mapped": rotation.mapped,
                "unmapped": list(rotation.unmapped),
                "new_key_fingerprint": rotation.new_fingerprint,
                "files": [dataclasses.asdict(c) for c in rotation.changes],
            }
        )
        return
    _print_rotation(rotation.changes, rotation.unmapped, rotation.new_fingerprint, dry_run)


def _print_rotation(
    changes: list[PrivacyFileChange], unmapped: tuple[str, ...], fingerprint: str, dry_run: bool
) -> None:
    for c in changes:
        out.print(f"{c.path} ({c.layer}): {c.changed} values re-keyed", highlight=False)
    if unmapped:
        out.print(
            f"{len(unmapped)} pseudonyms could not be mapped (no identifier given for them): "
            "they stay as they are and can no longer be linked to anyone.",
            highlight=False,
        )
    if not dry_run:
        out.print(
            f"Now point KITFLOW_PSEUDONYM_KEY_FILE at the new key (fingerprint {fingerprint}).",
            highlight=False,
        )


def _summary(changes: list[PrivacyFileChange]) -> str:
    return f"{len(changes)} files, {sum(c.changed for c in changes)} rows"


def _print_changes(changes: list[PrivacyFileChange], *, dry_run: bool, as_json: bool) -> None:
    if as_json:
        print_json({"dry_run": dry_run, "files": [dataclasses.asdict(c) for c in changes]})
        return
    verb = "would remove" if dry_run else "removed"
    if not changes:
        out.print("Nothing to remove.")
    for c in changes:
        undated = f" ({c.undated} without a date kept)" if c.undated else ""
        out.print(
            f"{c.path} ({c.layer}): {verb} {c.changed}, {c.kept} kept{undated}", highlight=False
        )
    out.print(f"In all: {verb} {sum(c.changed for c in changes)} rows in {len(changes)} files.")
