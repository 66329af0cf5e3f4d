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
from app.evidence import describe
from app.formatting import Language, format_number
from app.i18n import parse_language, translate
from models.benefits import METHODS, Estimate
from models.errors import InputError
from models.followup import Fact, Number
from models.realisation import CaseRealisation, SolutionRealisation
from models.store import default_data_dir
from services import CaseInputs, FollowUpReport, evaluate_followup, load_case_inputs, measure_case

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
    if as_json:
        print_json(followup_json(report, inputs))
        return
    _print_followup(report, parse_language(language))


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
        "disagreements": list(solution.disagreements),
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
    values = {k: v.value if isinstance(v, Number) else v for k, v in fact.values.items()}
    return {"key": fact.key, "values": values}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def followup_json(report: FollowUpReport, inputs: CaseInputs) -> dict[str, Any]:
    """Targets with status and evidence, and the savings behind them."""
    return {
        "case": inputs.case.title,
        "as_of": report.as_of,
        "targets": [
            {
                "number": t.number,
                "target": t.target,
                "measure": t.measure,
                "responsible": t.responsible,
                "deadline_text": t.deadline_text,
                "deadline": t.deadline,
                "metrics": t.metrics,
                "solution": t.solution,
                "status": t.status,
                "evidence": describe(t.evidence, "en"),
                "evidence_facts": [_fact_json(f) for f in t.evidence],
            }
            for t in report.targets
        ],
        "savings": savings_json(report.realisation, inputs),
    }


# --- Text ------------------------------------------------------------------------------------


def _print_savings(realisation: CaseRealisation, inputs: CaseInputs) -> None:
    out.print(
        f"[bold]{realisation.title}[/bold] · timer pr. år, {realisation.price_level_year} p/l"
    )
    for solution in realisation.solutions:
        out.print(_solution_table(solution))
        for note in solution.disagreements:
            out.print(f"  [yellow]Metoderne er uenige:[/yellow] {note}")
    out.print(_forecast_table(realisation))
    out.print(
        f"Tilbagebetalingstid: {realisation.expected_payback_years or '-'} år i casen, "
        f"{realisation.forecast_payback_years or '-'} år med målte og fremskrevne gevinster"
        + (f" (i {year})." if (year := realisation.forecast_payback_year) else ".")
    )


def _solution_table(solution: SolutionRealisation) -> Table:
    primary = translate(f"method.{solution.primary}", "da") if solution.primary else "-"
    table = Table(title=f"{solution.name} (i drift {solution.go_live:%d-%m-%Y}; primær: {primary})")
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


def _print_followup(report: FollowUpReport, language: Language) -> None:
    table = Table(title=f"Opfølgning pr. {report.as_of:%d-%m-%Y}")
    for column in ("nr.", "status", "frist", "mål", "evidens"):
        table.add_column(column)
    for target in report.targets:
        table.add_row(
            str(target.number), translate(f"status.{target.status}", language),
            target.deadline_text, target.target, describe(target.evidence, language),
        )  # fmt: skip
    out.print(table)
