"""``kitflow report followup``: the KIT DIR follow-up report of one case or all of them, as of
a date, in PDF, XLSX or HTML; registered on the main CLI by ``register(cli)``.

The figures are those of ``kitflow cockpit`` (the same ``CaseOverview``), the statuses those of
``kitflow followup``. The file goes where ``--out`` says, never into the data folder and never
over a file without ``--force`` (services/outputs.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from app.console import out, progress
from app.i18n import parse_language
from app.reports import REPORT_FORMATS, ReportFormat, render_followup_report
from models.business_case_io import read_price_index
from models.datafolder import DataFolder
from models.errors import InputError
from services import CaseOverview, build_overviews, check_output_file, write_output_file

report_cli = typer.Typer(
    name="report",
    help="Board reports: the KIT DIR follow-up report in PDF, XLSX or HTML.",
    no_args_is_help=True,
)


def register(cli: typer.Typer) -> None:
    """Add ``report followup`` to ``cli``."""
    cli.add_typer(report_cli, name="report")


@report_cli.command("followup")
def followup_report_command(
    report_format: Annotated[str, typer.Option("--format", help="pdf|xlsx|html")],
    out_path: Annotated[
        Path, typer.Option("--out", help="File to write, outside the data folder.")
    ],
    case: Annotated[
        Path | None, typer.Option("--case", help="The business-case YAML to report on.")
    ] = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Every case with follow-up bindings, in one report.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Status as of this date (default: today).")
    ] = None,
    pl_index: Annotated[
        Path | None,
        typer.Option(help="p/l index CSV ('year,index') to bring actual costs to the case's p/l."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
    language: Annotated[str, typer.Option("--lang", help="Text in da (default) or en.")] = "da",
) -> None:
    """The follow-up report to KIT DIR: cover (cases, as-of date, p/l, ÅV, data reach), key
    figures, Tabel 1, the payback chart, every target with status and evidence, method."""
    chosen = _format(report_format)
    day = _parse_day(as_of) if as_of else dt.date.today()
    data = DataFolder.from_env()
    check_output_file(data, out_path, force=force)  # before minutes of measuring
    overviews = _overviews(data, case=case, all_cases=all_cases, as_of=day, pl_index=pl_index)
    content = render_followup_report(
        overviews, report_format=chosen, language=parse_language(language)
    )
    written = write_output_file(data, out_path, lambda path: path.write_bytes(content), force=force)
    out.print(f"Wrote {written}")


def _format(value: str) -> ReportFormat:
    for known in REPORT_FORMATS:
        if value == known:
            return known
    raise InputError(f"--format {value!r} is not one of {'|'.join(REPORT_FORMATS)}.")


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of '{text}' is not a date. Fix: write it as 2024-12-31.") from None


def _overviews(
    data: DataFolder, *, case: Path | None, all_cases: bool, as_of: dt.date, pl_index: Path | None
) -> tuple[CaseOverview, ...]:
    if (case is None) == (not all_cases):
        raise InputError("Give --case FILE (one case) or --all (every case in one report).")
    index = read_price_index(pl_index) if pl_index else None
    cases = None if case is None else [case]
    with progress("measuring the cases"):
        overviews = build_overviews(data, as_of=as_of, price_index=index, cases=cases)
    if not overviews:
        raise InputError(
            f"No business cases with follow-up bindings in {data.business_cases()}: add a case "
            "and its <case>.followup.yaml there, or give --case FILE."
        )
    return overviews
