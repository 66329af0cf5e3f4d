"""``kitflow candidates``: rank processes by what automating them would save; draft a case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import out, print_json
from models.business_case_io import parse_business_case
from models.candidates import (
    CandidateScore,
    DraftCase,
    build_draft_bindings_yaml,
    build_draft_case_yaml,
)
from models.datafolder import DataFolder
from models.errors import InputError
from models.followup import binding_path_for, read_bindings
from models.store import LogStore
from services import (
    DEFAULT_CASE,
    CandidateOptions,
    CandidateReport,
    check_output_file,
    find_candidates,
    read_parameters,
    write_output_files,
)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2023-09-30", param_hint=option
        ) from None


def candidates_command(
    log: Annotated[
        list[str] | None,
        typer.Option("--log", help="A stored log to rank (repeatable); default: every flat log."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="First day of the period (ISO date).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day of the period (ISO date), inclusive.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    top: Annotated[int, typer.Option(help="Rows shown in the table (JSON: all).")] = 15,
    case: Annotated[
        Path, typer.Option(help="Business case whose ÅV assumptions (kr. and hours) are used.")
    ] = DEFAULT_CASE,
    dev_cost: Annotated[float, typer.Option(help="Development cost, t.kr.")] = 1000.0,
    dev_cost_low: Annotated[float, typer.Option(help="Low end of the range, t.kr.")] = 900.0,
    dev_cost_high: Annotated[float, typer.Option(help="High end of the range, t.kr.")] = 1100.0,
    operating_cost: Annotated[float, typer.Option(help="Operating cost, t.kr. a year.")] = 60.0,
    draft_case: Annotated[
        str | None,
        typer.Option(help="Write a business-case draft for this candidate id (or rank)."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The draft's YAML file, outside the data folder; its bindings are written beside "
            "it as <name>.followup.yaml.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite the draft and its bindings file if they exist.")
    ] = False,
    first_year: Annotated[
        int | None, typer.Option(help="The draft's development year; default: after the period.")
    ] = None,
) -> None:
    """Rank processes and activities by the net yearly saving automating them would bring."""
    store = LogStore()
    if draft_case is None and (out_file is not None or force):
        raise typer.BadParameter(
            "--out and --force belong to --draft-case ID (the draft's YAML file); the ranking "
            "itself prints to the screen, or as JSON with --json."
        )
    if draft_case is not None:  # both files are checked before the ranking is computed
        if out_file is None:
            raise typer.BadParameter("--draft-case needs --out FILE for the YAML draft.")
        for path in (out_file, binding_path_for(out_file)):
            check_output_file(store.data, path, force=force)
    parameters = read_parameters(
        case,
        development_cost_tkr=dev_cost,
        development_cost_low_tkr=dev_cost_low,
        development_cost_high_tkr=dev_cost_high,
        operating_cost_tkr=operating_cost,
    )
    options = CandidateOptions(
        logs=tuple(log or ()), since=_date(since, "--since"), until=_date(until, "--until")
    )
    report = find_candidates(store, options, parameters)
    if draft_case is not None and out_file is not None:
        _write_draft(store.data, report, draft_case, out_file, first_year=first_year, force=force)
        return
    if as_json:
        print_json(build_candidates_json(report))
        return
    out.print(_table(report, top))
    for note in report.notes:
        out.print(f"Note: {note}")


def find_score(report: CandidateReport, wanted: str) -> CandidateScore:
    """The candidate with this id, or at this rank; an error lists the ids near the top."""
    for score in report.scores:
        if score.measures.candidate_id == wanted or (
            wanted.isdigit() and score.rank == int(wanted) and score.rank > 0
        ):
            return score
    known = ", ".join(s.measures.candidate_id for s in report.scores[:10])
    raise InputError(
        f"no candidate is called {wanted!r}: give an id from 'kitflow candidates --json' "
        f"or a rank number (the first: {known})."
    )


def _write_draft(
    data: DataFolder,
    report: CandidateReport,
    wanted: str,
    path: Path,
    *,
    first_year: int | None,
    force: bool,
) -> None:
    score = find_score(report, wanted)
    bindings = binding_path_for(path)
    draft = DraftCase(first_year=first_year or report.period_end.year + 1)
    text = build_draft_case_yaml(score, report.parameters, draft)
    parse_business_case(text, source=str(path))  # refuse to write what the reader rejects
    bindings_text = build_draft_bindings_yaml(score, draft, path.name)

    def write_bindings(temporary: Path) -> None:
        temporary.write_text(bindings_text, "utf-8")
        read_bindings(temporary)  # the draft bindings must read back

    writers = {
        path: lambda temporary: temporary.write_text(text, "utf-8"),
        bindings: write_bindings,
    }
    write_output_files(data, writers, force=force)
    out.print(
        f"Wrote a business-case draft for {score.measures.candidate_id!r} to {path} and its "
        f"follow-up bindings to {bindings}; check it with 'kitflow case evaluate {path}', "
        f"follow it up with 'kitflow followup --case {path}'."
    )


def _table(report: CandidateReport, top: int) -> Table:
    table = Table(
        title=f"Automation candidates {report.period_start} to {report.period_end} "
        "(t.kr. a year; payback in years)"
    )
    for column in ("rank", "candidate", "source", "hours/yr", "suit.", "ÅV", "net", "payback"):
        table.add_column(column, justify="left" if column in ("candidate", "source") else "right")
    for score in report.scores[:top]:
        table.add_row(
            str(score.rank) if score.rank else "auto",
            score.measures.label,
            score.measures.source,
            f"{score.hours_per_year:,.0f}",
            f"{score.suitability:.2f}",
            f"{score.aarsvaerk:.2f}",
            f"{score.net_savings_tkr:,.0f}",
            "-" if score.payback_years is None else f"{score.payback_years:.1f}",
        )
    return table


def build_candidates_json(report: CandidateReport) -> dict[str, Any]:
    """The ranking as one JSON object: period, parameters, candidates, already automated."""
    p = report.parameters
    return {
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "parameters": {
            "hours_per_aarsvaerk": p.hours_per_aarsvaerk,
            "kroner_per_aarsvaerk": p.kroner_per_aarsvaerk,
            "development_cost_tkr": p.development_cost_tkr,
            "development_cost_range_tkr": [p.development_cost_low_tkr, p.development_cost_high_tkr],
            "operating_cost_tkr": p.operating_cost_tkr,
        },
        "inputs": list(report.inputs),
        "notes": list(report.notes),
        "candidates": [_row(s) for s in report.scores if s.status == "candidate"],
        "already_automated": [_row(s) for s in report.scores if s.status != "candidate"],
    }


def _row(score: CandidateScore) -> dict[str, Any]:
    m = score.measures
    automated = m.automated
    return {
        "rank": score.rank,
        "id": m.candidate_id,
        "label": m.label,
        "level": m.level,
        "source": m.source,
        "status": score.status,
        "cases_per_year": round(score.cases_per_year, 1),
        "hours_per_year": round(score.hours_per_year, 1),
        "hours_basis": m.hours_basis,
        "standardisation": _r(m.standardisation),
        "branching": _r(m.branching),
        "variant_entropy": _r(m.variant_entropy),
        "rule_likeness": _r(score.rule_likeness),
        "exception_rate": _r(m.exception_rate),
        "rework_rate": _r(m.rework_rate),
        "monthly_cv": _r(m.monthly_cv),
        "stability": _r(score.stability),
        "suitability": _r(score.suitability),
        "automatable_hours_per_year": round(score.automatable_hours_per_year, 1),
        "aarsvaerk": _r(score.aarsvaerk),
        "savings_tkr": round(score.savings_tkr, 1),
        "net_savings_tkr": round(score.net_savings_tkr, 1),
        "payback_years": _r(score.payback_years, 2),
        "payback_years_range": [_r(score.payback_years_low, 2), _r(score.payback_years_high, 2)],
        "automated": None
        if automated is None
        else {
            "robot_process": automated.robot_process,
            "go_live": automated.go_live,
            "realised_share": _r(automated.realised_share),
            "robot_transactions": automated.robot_transactions,
        },
        "explanation": score.explanation,
    }


def _r(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def register(cli: typer.Typer) -> None:
    """Add ``candidates`` to the kitflow command line."""
    cli.command("candidates")(candidates_command)
