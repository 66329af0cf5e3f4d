"""``kitflow case``: evaluate a business case (KK investment proposal) from its YAML file.

The text report prints the proposal's tables as KK does: 1.000 kr. with a dot between
thousands, savings with a minus, "-" for an empty cell, and always the p/l year it shows.
``--json`` prints exactly one JSON object with the same figures (exact decimals, no floats
that drift: every number is rounded on purpose in the engine before it gets here).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from models.business_case import (
    DEFAULT_DISCOUNT_RATE,
    BusinessCase,
    CaseEvaluation,
    CaseTable,
    SubSolutionSplit,
    TableRow,
    YearEffect,
    convert_price_level,
    evaluate_case,
)
from models.business_case_io import read_business_case, read_price_index
from models.errors import InputError

case_cli = typer.Typer(
    name="case",
    help="Business cases: Copenhagen investment proposals, their payback, NPV and ÅV.",
    no_args_is_help=True,
)

_LABEL_WIDTH = 46
_OMRAADE_WIDTH = 12
_CELL_WIDTH = 9
_DEFAULT_RATE_PCT = format((DEFAULT_DISCOUNT_RATE * 100).normalize(), "f")
_TEXT_WIDTH = 100
_PAYBACK_RULE = (
    "years counted from the first year with any amount (= year 1) until the cumulative "
    "Samlet økonomisk påvirkning is below zero; undiscounted"
)
_NPV_FORMULA = "NPV = Σ_y −(Samlet økonomisk påvirkning)_y / (1 + r)^(y − base_year)"


@case_cli.command("evaluate")
def evaluate_command(
    file: Annotated[Path, typer.Argument(help="Business-case YAML (data/business_cases/).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    discount_rate: Annotated[
        str, typer.Option(help="Real discount rate for the NPV, in percent (3.5 or 3,5).")
    ] = _DEFAULT_RATE_PCT,
    pl_year: Annotated[
        int | None, typer.Option(help="Show the amounts at this p/l year (needs --pl-index).")
    ] = None,
    pl_index: Annotated[
        Path | None, typer.Option(help="p/l index CSV with a 'year,index' header.")
    ] = None,
) -> None:
    """Tabel 1, payback, NPV, savings in ÅV and hours, and the split per sub-solution."""
    case = _at_price_level(read_business_case(file), pl_year=pl_year, pl_index=pl_index)
    evaluation = evaluate_case(case, discount_rate=parse_discount_rate(discount_rate))
    if as_json:
        typer.echo(json.dumps(build_json(evaluation, file, pl_index), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(build_report_lines(evaluation)))


def _at_price_level(
    case: BusinessCase, *, pl_year: int | None, pl_index: Path | None
) -> BusinessCase:
    if (pl_year is None) != (pl_index is None):
        raise InputError(
            "--pl-year and --pl-index go together. Fix: give both, e.g. "
            "'--pl-year 2025 --pl-index data/pl_index.csv', or neither."
        )
    if pl_year is None or pl_index is None or pl_year == case.price_level_year:
        return case
    return convert_price_level(case, target_year=pl_year, price_index=read_price_index(pl_index))


def parse_discount_rate(text: str) -> Decimal:
    """'3.5', '3,5' or '3.5%' → Decimal('0.035'); a precise error otherwise."""
    cleaned = text.strip().removesuffix("%").strip().replace(",", ".")
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or not 0 <= percent < 100:
        raise InputError(
            f"--discount-rate '{text}' is not a percentage from 0 up to 100. "
            "Fix: write the real rate in percent, e.g. --discount-rate 3.5."
        )
    return percent / 100


# --- Danish formatting ---------------------------------------------------------------------------


def format_tkr(value: Decimal | None) -> str:
    """KK style: -1.989, 2.871, 12,5; "-" for an empty cell. Exact: no float on the way."""
    if value is None:
        return "-"
    text = format(value, ",f")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _pct(rate: Decimal) -> str:
    return format_tkr((rate * 100).normalize())


# --- Text report -------------------------------------------------------------------------------


def build_report_lines(evaluation: CaseEvaluation) -> list[str]:
    """The whole text report, one string per printed line."""
    case = evaluation.case
    lines = [case.title, _subtitle(case), ""]
    for table in evaluation.tables:
        lines += _table_lines(table, evaluation, with_omraade=table.key != "administration")
        if table.key == "tabel_1":
            lines += _summary_lines(evaluation)
        lines.append("")
    lines += _aarsvaerk_lines(evaluation)
    lines += _split_lines(evaluation)
    lines += _follow_up_lines(case)
    return lines


def _subtitle(case: BusinessCase) -> str:
    parts = [case.administration, case.proposal_round, _unit(case)]
    if case.converted_from_price_level_year is not None:
        parts.append(f"omregnet fra {case.converted_from_price_level_year} p/l")
    return " · ".join(p for p in parts if p)


def _unit(case: BusinessCase) -> str:
    return f"1.000 kr. {case.price_level_year} p/l"


def _table_lines(table: CaseTable, evaluation: CaseEvaluation, *, with_omraade: bool) -> list[str]:
    header_cells = [str(y) for y in evaluation.years]
    omraade = "Styringsomr." if with_omraade else ""
    lines = [
        table.title,
        _row_text(_unit(evaluation.case), omraade, header_cells, with_omraade),
    ]
    for row in table.rows:
        lines += _table_row_lines(row, with_omraade)
    return lines


def _table_row_lines(row: TableRow, with_omraade: bool) -> list[str]:
    # Long KK labels wrap inside the label column; the amounts stay on the first line.
    wrapped = textwrap.wrap(row.label, _LABEL_WIDTH) or [""]
    cells = [format_tkr(c) for c in row.cells_tkr]
    first = _row_text(wrapped[0], row.styringsomraade or "", cells, with_omraade)
    return [first, *(f"  {part}" for part in wrapped[1:])]


def _row_text(label: str, omraade: str, cells: list[str], with_omraade: bool) -> str:
    middle = f" {omraade:<{_OMRAADE_WIDTH}}" if with_omraade else ""
    numbers = "".join(f"{c:>{_CELL_WIDTH}}" for c in cells)
    return f"{label:<{_LABEL_WIDTH}}{middle}{numbers}".rstrip()


def _summary_lines(evaluation: CaseEvaluation) -> list[str]:
    cumulative = [e.cumulative_total_tkr for e in evaluation.effects]
    cumulative_service = [e.cumulative_service_tkr for e in evaluation.effects]
    return [
        _row_text("Akkumuleret, totaløkonomi", "", [format_tkr(v) for v in cumulative], True),
        _row_text(
            "Akkumuleret, serviceeffektivisering",
            "",
            [format_tkr(v) for v in cumulative_service],
            True,
        ),
        "",
        f"Tilbagebetalingstid baseret på serviceeffektivisering: "
        f"{_years(evaluation.payback_service_years)}",
        f"Tilbagebetalingstid baseret på totaløkonomi: {_years(evaluation.payback_total_years)}",
        f"Nutidsværdi (NPV), {_pct(evaluation.discount_rate)} % real diskonteringsrente, "
        f"t = 0 i {evaluation.case.npv_base_year}: {format_tkr(evaluation.npv_tkr)} "
        f"({_unit(evaluation.case)}; positiv = forslaget betaler sig)",
    ]


def _years(value: int | None) -> str:
    return "ikke inden for budgetårene" if value is None else f"{value} år"


def _aarsvaerk_lines(evaluation: CaseEvaluation) -> list[str]:
    assumptions = evaluation.case.aarsvaerk
    years = [str(y) for y in evaluation.years]
    return [
        f"Varige effektiviseringer i ÅV og timer (1 ÅV = "
        f"{format_tkr(assumptions.kroner_per_aarsvaerk)} kr. og "
        f"{format_tkr(assumptions.hours_per_aarsvaerk)} timer)",
        _row_text("", "", years, False),
        _row_text("ÅV", "", [format_tkr(e.savings_aarsvaerk) for e in evaluation.effects], False),
        _row_text(
            "Timer", "", [format_tkr(Decimal(e.savings_hours)) for e in evaluation.effects], False
        ),
        "",
    ]


def _split_lines(evaluation: CaseEvaluation) -> list[str]:
    if not evaluation.sub_solutions:
        return ["Forslaget fordeler ikke effektiviseringen på delløsninger.", ""]
    lines = [
        f"Fordeling af varige effektiviseringer på delløsninger ({_unit(evaluation.case)})",
        _row_text("", "", [str(y) for y in evaluation.years], False),
    ]
    for split in evaluation.sub_solutions:
        label = f"{split.name} ({format_tkr(split.share_pct.normalize())} %)"
        wrapped = textwrap.wrap(label, _LABEL_WIDTH)
        cells = [format_tkr(v) for v in split.savings_tkr]
        lines.append(_row_text(wrapped[0], "", cells, False))
        lines += [f"  {part}" for part in wrapped[1:]]
    return [*lines, ""]


def _follow_up_lines(case: BusinessCase) -> list[str]:
    lines = ["Opfølgning"] if case.follow_up_targets else []
    for target in case.follow_up_targets:
        lines += textwrap.wrap(
            target.target, _TEXT_WIDTH, initial_indent="- ", subsequent_indent="  "
        )
        lines += textwrap.wrap(
            f"Måles: {target.measure}", _TEXT_WIDTH, initial_indent="  ", subsequent_indent="    "
        )
        lines.append(f"  Ansvarlig: {target.responsible} · Hvornår: {target.deadline}")
    return lines


# --- JSON --------------------------------------------------------------------------------------


def build_json(evaluation: CaseEvaluation, file: Path, pl_index: Path | None) -> dict[str, Any]:
    """The evaluation as one JSON-ready dict; amounts are numbers in 1.000 kr. at the p/l shown."""
    case = evaluation.case
    return {
        "file": str(file),
        "title": case.title,
        "administration": case.administration,
        "affected_administrations": list(case.affected_administrations),
        "proposal_round": case.proposal_round,
        "summary": case.summary,
        "price_level": {
            "year": case.price_level_year,
            "unit": _unit(case),
            "converted_from_year": case.converted_from_price_level_year,
            "index_file": None if case.converted_from_price_level_year is None else str(pl_index),
            "payout_year": case.payout_price_level_year,
        },
        "budget_years": list(evaluation.years),
        "tables": [_table_json(t, evaluation.years) for t in evaluation.tables],
        "years": [_effect_json(e) for e in evaluation.effects],
        "payback": {
            "first_year": evaluation.first_effect_year,
            "serviceeffektivisering_years": evaluation.payback_service_years,
            "totaloekonomi_years": evaluation.payback_total_years,
            "rule": _PAYBACK_RULE,
        },
        "npv": {
            "npv_tkr": _number(evaluation.npv_tkr),
            "discount_rate_pct": _number(evaluation.discount_rate * 100),
            "default_discount_rate_pct": _number(DEFAULT_DISCOUNT_RATE * 100),
            "base_year": case.npv_base_year,
            "formula": _NPV_FORMULA,
        },
        "aarsvaerk": {
            "kroner_per_aarsvaerk": _number(case.aarsvaerk.kroner_per_aarsvaerk),
            "hours_per_aarsvaerk": _number(case.aarsvaerk.hours_per_aarsvaerk),
            "note": case.aarsvaerk.note,
        },
        "sub_solutions": [_split_json(s, evaluation.years) for s in evaluation.sub_solutions],
        "follow_up_targets": [asdict(t) for t in case.follow_up_targets],
        "implementation_activities": [asdict(a) for a in case.implementation_activities],
        "notes": list(case.notes),
    }


def _number(value: Decimal | None) -> int | float | None:
    """An int when whole, else a float of an already-rounded Decimal (prints exactly)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _by_year(years: tuple[int, ...], values: tuple[Decimal | None, ...]) -> dict[str, Any]:
    return {str(y): _number(v) for y, v in zip(years, values, strict=True)}


def _table_json(table: CaseTable, years: tuple[int, ...]) -> dict[str, Any]:
    rows = [
        {
            "label": row.label,
            "role": row.role,
            "styringsomraade": row.styringsomraade,
            "cells_tkr": _by_year(years, row.cells_tkr),
        }
        for row in table.rows
    ]
    return {"key": table.key, "title": table.title, "rows": rows}


def _effect_json(effect: YearEffect) -> dict[str, Any]:
    values = asdict(effect).items()
    return {key: _number(v) if isinstance(v, Decimal) else v for key, v in values}


def _split_json(split: SubSolutionSplit, years: tuple[int, ...]) -> dict[str, Any]:
    return {
        "name": split.name,
        "share_pct": _number(split.share_pct),
        "savings_tkr": _by_year(years, split.savings_tkr),
        "savings_aarsvaerk": _by_year(years, split.savings_aarsvaerk),
    }
