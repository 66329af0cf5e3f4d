"""``kitflow savings`` and ``kitflow followup``: realised savings of a business case measured
three ways, and the status of its follow-up targets; registered on the main CLI by
``register(cli)``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import out, print_json, progress
from app.evidence import describe, describe_disagreement
from app.figures.dates import format_day
from app.formatting import Language, format_number
from app.i18n import parse_language, translate
from models.benefit_checks import Check, Disagreement
from models.benefits import METHODS, Estimate
from models.errors import InputError
from models.followup import (
    DeadlineJudgement,
    Fact,
    FactValue,
    FewerThan,
    Month,
    Number,
    TargetStatus,
)
from models.realisation import CaseRealisation, SolutionRealisation
from models.store import default_data_dir
from services import (
    CaseInputs,
    FollowUpReport,
    SourceCoverage,
    evaluate_followup,
    find_source_coverage,
    load_case_inputs,
    measure_case,
)

CaseOption = Annotated[
    Path, typer.Option("--case", help="Business-case YAML (data/business_cases/).")
]
BindingsOption = Annotated[
    Path | None,
    typer.Option(help="Follow-up bindings YAML; default: <case>.followup.yaml beside the case."),
]
LanguageOption = Annotated[str, typer.Option("--lang", help="Text in da (default) or en.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def register(cli: typer.Typer) -> None:
    """Add ``savings`` and ``followup`` to ``cli``."""
    cli.command("savings")(savings_command)
    cli.command("followup")(followup_command)


def _inputs(case: Path, bindings: Path | None) -> CaseInputs:
    return load_case_inputs(case, default_data_dir(), bindings)


def savings_command(
    case: CaseOption, bindings: BindingsOption = None, as_json: JsonFlag = False
) -> None:
    """Realised savings per solution and year (robot runs, time registration, process mining)
    against the business case, the run-rate forecast and the forecast payback."""
    inputs = _inputs(case, bindings)
    with progress("measuring savings") as step:
        step(inputs.case.title)
        realisation = measure_case(inputs)
    if as_json:
        print_json(savings_json(realisation, inputs))
        return
    _print_savings(realisation, inputs)


def followup_command(
    case: CaseOption,
    bindings: BindingsOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Status as of this date (default: today).")
    ] = None,
    as_json: JsonFlag = False,
    language: LanguageOption = "da",
) -> None:
    """Each follow-up target of the case with its status (met, on track, at risk, missed,
    no data) and the evidence from the data."""
    inputs = _inputs(case, bindings)
    day = _parse_day(as_of) if as_of else dt.date.today()
    with progress("reading follow-up targets") as step:
        step(inputs.case.title)
        report = evaluate_followup(inputs, as_of=day)
        coverage = find_source_coverage(inputs.data)
    if as_json:
        print_json(followup_json(report, inputs, coverage))
        return
    _print_followup(report, coverage, parse_language(language))


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of '{text}' is not a date. Fix: write it as 2025-12-31.") from None


# --- JSON ------------------------------------------------------------------------------------


def savings_json(realisation: CaseRealisation, inputs: CaseInputs) -> dict[str, Any]:
    """The realisation as plain JSON values (hours rounded to 0,1)."""
    assumptions = inputs.case.aarsvaerk
    return {
        "case": realisation.title,
        "bindings": str(inputs.bindings.path),
        "price_level_year": realisation.price_level_year,
        "hours_per_aarsvaerk": float(assumptions.hours_per_aarsvaerk),
        "kroner_per_aarsvaerk": float(assumptions.kroner_per_aarsvaerk),
        "solutions": [_solution_json(s, inputs) for s in realisation.solutions],
        "capacity_and_budget": _capacity_json(realisation),
        "forecast": [
            {
                "year": f.year,
                "hours": round(f.hours, 1),
                "savings_tkr": str(f.savings_tkr),
                "forecast": f.forecast,
                "cumulative_tkr": str(f.cumulative_tkr),
            }
            for f in realisation.forecast
        ],
        "expected_payback_years": realisation.expected_payback_years,
        "forecast_payback_years": realisation.forecast_payback_years,
        "forecast_payback_year": realisation.forecast_payback_year,
    }


def _solution_json(solution: SolutionRealisation, inputs: CaseInputs) -> dict[str, Any]:
    return {
        "name": solution.name,
        "go_live": solution.go_live.date(),
        "primary_method": solution.primary,
        "run_rate_hours_per_month": _round(solution.run_rate_hours_per_month),
        "last_month": solution.last_month,
        "disagreements": [_disagreement_json(d) for d in solution.disagreements],
        "checks": [_check_json(c) for c in solution.checks],
        "estimates": [_estimate_json(e, inputs) for e in solution.estimates],
        "years": [
            {
                "year": y.year,
                "expected_hours": round(y.expected_hours, 1),
                "primary_hours": _round(y.primary_hours),
                "realisation_pct": _round(y.realisation_pct),
                "methods": {
                    m: {
                        "hours": round(v.hours, 1),
                        "low": round(v.low, 1),
                        "high": round(v.high, 1),
                    }
                    for m, v in y.measured.items()
                },
            }
            for y in solution.years
        ],
    }


def _capacity_json(realisation: CaseRealisation) -> list[dict[str, Any]] | None:
    """Per measured year: hours freed, moved to other work, and the budget saving; None when
    the binding names no activity freed time moves to."""
    if realisation.moved_hours is None:
        return None
    return [
        {
            "year": year,
            "capacity_hours": _round(realisation.capacity_hours(year)),
            "moved_hours": round(moved, 1),
            "budget_hours": _round(realisation.budget_hours(year)),
        }
        for year, moved in sorted(realisation.moved_hours.items())
        if realisation.capacity_hours(year) is not None
    ]


def _check_json(check: Check) -> dict[str, Any]:
    return {
        "cause": check.cause,
        "methods": list(check.methods),
        "corrected": check.corrected,
        "values": {k: round(v, 2) for k, v in check.values.items()},
        "implied_gap_pct": _round(check.implied_gap_pct),
    }


def _disagreement_json(disagreement: Disagreement) -> dict[str, Any]:
    return {
        "method": disagreement.method,
        "primary": disagreement.primary,
        "hours": round(disagreement.hours, 1),
        "primary_hours": round(disagreement.primary_hours, 1),
        "gap_pct": round(disagreement.gap_pct, 1),
        "cause": _check_json(disagreement.cause) if disagreement.cause else None,
        "text": str(disagreement),
    }


def _estimate_json(estimate: Estimate, inputs: CaseInputs) -> dict[str, Any]:
    assumptions = inputs.case.aarsvaerk
    aarsvaerk = estimate.hours / float(assumptions.hours_per_aarsvaerk)
    return {
        "method": estimate.method,
        "basis": estimate.basis,
        "hours": round(estimate.hours, 1),
        "aarsvaerk": round(aarsvaerk, 2),
        "kroner": round(aarsvaerk * float(assumptions.kroner_per_aarsvaerk)),
        "monthly": [
            {k: (round(v, 1) if isinstance(v, float) else v) for k, v in row.items()}
            for row in estimate.monthly.iter_rows(named=True)
        ],
    }


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {"key": fact.key, "values": {k: _fact_value(v) for k, v in fact.values.items()}}


def _fact_value(value: FactValue) -> Any:
    """A fact's value as JSON: numbers as numbers, a month as "2024-12", a withheld count of
    people as "<5" (never the count)."""
    if isinstance(value, Number):
        return value.value
    if isinstance(value, Month):
        return f"{value.day:%Y-%m}"
    if isinstance(value, FewerThan):
        return f"<{value.limit}"
    return value


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def followup_json(
    report: FollowUpReport, inputs: CaseInputs, coverage: tuple[SourceCoverage, ...] = ()
) -> dict[str, Any]:
    """Targets with status and evidence (the current deadline's) and their judgement at each
    deadline, how far each source's data reach, and the savings behind them."""
    return {
        "case": inputs.case.title,
        "as_of": report.as_of,
        "coverage": [_coverage_json(c, report.as_of) for c in coverage],
        "targets": [_target_json(t) for t in report.targets],
        "savings": savings_json(report.realisation, inputs),
    }


def _target_json(target: TargetStatus) -> dict[str, Any]:
    return {
        "number": target.number,
        "target": target.target,
        "measure": target.measure,
        "responsible": target.responsible,
        "deadline_text": target.deadline_text,
        "deadline": target.deadline,
        "metrics": target.metrics,
        "solution": target.solution,
        "status": target.status,
        "evidence": describe(target.evidence, "en"),
        "evidence_facts": [_fact_json(f) for f in target.evidence],
        "judgements": [_judgement_json(j) for j in target.judgements],
    }


def _judgement_json(judgement: DeadlineJudgement) -> dict[str, Any]:
    return {
        "deadline": judgement.deadline,
        "deadline_text": judgement.deadline_text,
        "status": judgement.status,
        "evidence": describe(judgement.evidence, "en"),
        "evidence_facts": [_fact_json(f) for f in judgement.evidence],
    }


def _coverage_json(coverage: SourceCoverage, as_of: dt.date) -> dict[str, Any]:
    return {
        "source": coverage.source,
        "first": coverage.first,
        "last": coverage.last,
        "rows": coverage.rows,
        "as_of_past_data": coverage.last is not None and coverage.last.date() < as_of,
    }


# --- Text ------------------------------------------------------------------------------------


def _print_savings(realisation: CaseRealisation, inputs: CaseInputs) -> None:
    out.print(
        f"[bold]{realisation.title}[/bold] · timer pr. år, {realisation.price_level_year} p/l"
    )
    for solution in realisation.solutions:
        out.print(_solution_table(solution))
        for disagreement in solution.disagreements:
            out.print(f"  [yellow]Metoderne er uenige:[/yellow] "
                      f"{describe_disagreement(disagreement, 'da')}")  # fmt: skip
    capacity = _capacity_json(realisation)
    for row in capacity or []:
        out.print(
            f"{row['year']}: frigjort kapacitet {format_number(row['capacity_hours'], 0)} t, "
            f"heraf flyttet til andet arbejde {format_number(row['moved_hours'], 0)} t, "
            f"budgetgevinst {format_number(row['budget_hours'], 0)} t"
        )
    out.print(_forecast_table(realisation))
    out.print(
        f"Tilbagebetalingstid: {realisation.expected_payback_years or '-'} år i casen, "
        f"{realisation.forecast_payback_years or '-'} år med målte og fremskrevne gevinster"
        + (f" (i {year})." if (year := realisation.forecast_payback_year) else ".")
    )


def _solution_table(solution: SolutionRealisation) -> Table:
    primary = translate(f"method.{solution.primary}", "da") if solution.primary else "-"
    go_live = format_day(solution.go_live.date(), "da")
    table = Table(title=f"{solution.name} (i drift {go_live}; primær: {primary})")
    table.add_column("år")
    table.add_column("forventet", justify="right")
    for method in METHODS:
        table.add_column(translate(f"method.{method}", "da"), justify="right")
    table.add_column("realisering", justify="right")
    for year in solution.years:
        cells = [
            _hours_cell(year.measured[m].hours, year.measured[m].low, year.measured[m].high)
            if m in year.measured
            else "-"
            for m in METHODS
        ]
        pct = "-" if year.realisation_pct is None else f"{format_number(year.realisation_pct, 0)} %"
        table.add_row(str(year.year), format_number(year.expected_hours, 0), *cells, pct)
    return table


def _hours_cell(hours: float, low: float, high: float) -> str:
    if round(low) == round(high):
        return format_number(hours, 0)
    return f"{format_number(hours, 0)} ({format_number(low, 0)}–{format_number(high, 0)})"


def _forecast_table(realisation: CaseRealisation) -> Table:
    table = Table(title="Gevinst målt og fremskrevet (1.000 kr.)")
    for column in ("år", "timer", "gevinst", "kumuleret effekt", ""):
        table.add_column(column, justify="right")
    for year in realisation.forecast:
        table.add_row(
            str(year.year), format_number(year.hours, 0), format_number(float(year.savings_tkr)),
            format_number(float(year.cumulative_tkr)), "fremskrevet" if year.forecast else "målt",
        )  # fmt: skip
    return table


def _print_followup(
    report: FollowUpReport, coverage: tuple[SourceCoverage, ...], language: Language
) -> None:
    table = Table(title=f"Opfølgning pr. {format_day(report.as_of, language)}")
    for column in ("nr.", "status", "frist", "mål", "evidens"):
        table.add_column(column)
    for target in report.targets:
        status, evidence = _judged(target, language)
        table.add_row(
            str(target.number), status, target.deadline_text, target.target, evidence
        )  # fmt: skip
    out.print(table)
    for line in _coverage_lines(coverage, report.as_of, language):
        out.print(line)


def _judged(target: TargetStatus, language: Language) -> tuple[str, str]:
    """The status and evidence cells: with several deadlines, a line for each."""
    if len(target.judgements) < 2:
        return translate(f"status.{target.status}", language), describe(target.evidence, language)
    lines = [
        (translate("followup.deadline_status", language, deadline=j.deadline_text,
                   status=translate(f"status.{j.status}", language)),
         f"{j.deadline_text}: {describe(j.evidence, language)}")
        for j in target.judgements
    ]  # fmt: skip
    return "\n".join(s for s, _ in lines), "\n".join(e for _, e in lines)


def _coverage_lines(
    coverage: tuple[SourceCoverage, ...], as_of: dt.date, language: Language
) -> list[str]:
    """How far each source's data reach, flagged when the as-of date lies after them."""
    facts = []
    for reach in coverage:
        if reach.first is None or reach.last is None:
            facts.append(Fact("followup.coverage_none", {"source": reach.source}))
            continue
        key = "followup.coverage_past" if reach.last.date() < as_of else "followup.coverage"
        span = {"first": reach.first.date(), "last": reach.last.date()}
        facts.append(Fact(key, {"source": reach.source, **span}))
    return [describe((fact,), language) for fact in facts]
