"""``kitflow candidates``: rank processes by what automating them would save; draft a case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import out, print_json
from app.formatting import format_date_only, format_number
from models.candidates import CandidateScore
from models.datafolder import DataFolder
from models.followup import binding_path_for
from models.store import LogStore
from services import (
    DEFAULT_CASE,
    CandidateOptions,
    CandidateReport,
    build_candidate_draft,
    check_draft_bindings,
    check_output_file,
    find_candidates,
    parse_criticality,
    read_parameters,
    write_criticality,
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
    criticality: Annotated[
        list[str] | None,
        typer.Option(
            "--criticality",
            help="PROCESS=WEIGHT (repeatable): set a process's criticality (above 0, at most 10; "
            "1 removes it), kept in the data folder's candidates/criticality.json; the ranking "
            "weighs the net saving by it.",
        ),
    ] = None,
) -> None:
    """Rank processes by the net yearly saving automating them would bring, weighed by the
    criticality an analyst set; each source over its own period, one row per process."""
    store = LogStore()
    for text in criticality or ():
        name, weight = parse_criticality(text)
        write_criticality(store.data, name, weight)
        out.print(f"Criticality of {name!r} set to {format_number(weight, 1)}.")
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
    periods = "; ".join(
        f"{name} {format_date_only(first)}–{format_date_only(last)}"
        for name, first, last in report.periods
    )
    out.print(f"Each source over its own period: {periods}.")
    for note in report.notes:
        out.print(f"Note: {note}")


def _write_draft(
    data: DataFolder,
    report: CandidateReport,
    wanted: str,
    path: Path,
    *,
    first_year: int | None,
    force: bool,
) -> None:
    draft = build_candidate_draft(report, wanted, case_file=path.name, first_year=first_year)
    bindings = binding_path_for(path)

    def write_bindings(temporary: Path) -> None:
        temporary.write_text(draft.bindings_text, "utf-8")
        check_draft_bindings(temporary)  # the draft bindings must read back

    writers = {
        path: lambda temporary: temporary.write_text(draft.case_text, "utf-8"),
        bindings: write_bindings,
    }
    write_output_files(data, writers, force=force)
    out.print(
        f"Wrote a business-case draft for {draft.score.measures.candidate_id!r} to {path} and "
        f"its follow-up bindings to {bindings}; check it with 'kitflow case evaluate {path}', "
        f"follow it up with 'kitflow followup --case {path}'."
    )


def _table(report: CandidateReport, top: int) -> Table:
    table = Table(
        title=f"Automation candidates {format_date_only(report.period_start)} to "
        f"{format_date_only(report.period_end)} (t.kr. a year; payback in years; Danish "
        "numbers: 2.890 h, 0,77)"
    )
    columns = (
        "rank", "candidate", "sources", "hours/yr", "suit.", "crit.", "ÅV", "net", "payback",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("candidate", "sources") else "right")
    for score in report.scores[:top]:
        table.add_row(
            str(score.rank) if score.rank else "auto",
            score.measures.label,
            score.measures.source,
            format_number(score.hours_per_year, 0),
            format_number(score.suitability, 2),
            format_number(score.measures.criticality, 1),
            format_number(score.aarsvaerk, 2),
            format_number(score.net_savings_tkr, 0),
            "-" if score.payback_years is None else format_number(score.payback_years, 1),
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
        "periods": {
            name: {"start": first.isoformat(), "end": last.isoformat()}
            for name, first, last in report.periods
        },
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
        "members": list(m.members) or [m.candidate_id],
        "factor_sources": dict(m.factor_sources),
        "period": list(m.period) if m.period else None,
        "criticality": m.criticality,
        "priority_tkr": round(score.priority_tkr, 1),
        "suggested_run_mode": score.suggested_run_mode,
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
            "run_mode": automated.run_mode,
        },
        "explanation": score.explanation,
    }


def _r(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def register(cli: typer.Typer) -> None:
    """Add ``candidates`` to the kitflow command line."""
    cli.command("candidates")(candidates_command)
