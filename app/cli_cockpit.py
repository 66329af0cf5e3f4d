"""``kitflow cockpit``: the directors' figures of every case as of a date (what was promised,
realised and forecast, in 1.000 kr. and ÅV; the payback both ways; the follow-up's status
counts); registered on the main CLI by ``register(cli)``.

``--json`` prints every case's whole overview (``services.cockpit.CaseOverview``) but the
measurements behind the follow-up: amounts as exact decimal strings (1.000 kr., ÅV),
percentages as numbers, dates in ISO 8601.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import out, print_json, progress
from app.evidence import describe
from app.figures.dates import format_day
from app.formatting import format_int, format_number
from app.i18n import translate
from models.business_case_io import read_price_index
from models.datafolder import DataFolder
from models.errors import InputError
from models.followup import Number, Status
from services import CaseOverview, YearFigures, build_overviews

_STATUS_ORDER: tuple[Status, ...] = ("missed", "at risk", "no data", "on track", "met")
"""Worst first, as a director reads the counts."""


def register(cli: typer.Typer) -> None:
    """Add ``cockpit`` to ``cli``."""
    cli.command("cockpit")(cockpit_command)


def cockpit_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Figures as of this date (default: today).")
    ] = None,
    cases: Annotated[
        list[Path] | None,
        typer.Option(
            "--case", help="Only this case YAML (repeatable); default: every case with bindings."
        ),
    ] = None,
    pl_index: Annotated[
        Path | None,
        typer.Option(help="p/l index CSV ('year,index') to bring actual costs to the case's p/l."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Per case: expected against realised savings this year and to date (1.000 kr. and ÅV),
    realisation %, payback in the case against measured-and-forecast, follow-up status."""
    day = _parse_day(as_of) if as_of else dt.date.today()
    data = DataFolder.from_env()
    index = read_price_index(pl_index) if pl_index else None
    with progress("measuring the cases"):
        overviews = build_overviews(data, as_of=day, price_index=index, cases=cases or None)
    if as_json:
        print_json({"as_of": day, "cases": [overview_json(o) for o in overviews]})
        return
    if not overviews:
        out.print(f"No business cases with follow-up bindings in {data.business_cases()}.")
    for overview in overviews:
        _print_overview(overview)


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of '{text}' is not a date. Fix: write it as 2024-12-31.") from None


# --- JSON ------------------------------------------------------------------------------------


def overview_json(overview: CaseOverview) -> dict[str, Any]:
    """The overview as plain JSON values; the follow-up as its date and targets (the savings
    behind it are the years' figures)."""
    plain = {
        field.name: _plain(getattr(overview, field.name))
        for field in dataclasses.fields(overview)
        if field.name not in ("followup", "notes")
    }
    followup = {
        "as_of": _plain(overview.followup.as_of),
        "targets": _plain(overview.followup.targets),
    }
    notes = [{**_plain(note), "text": describe((note,), "en")} for note in overview.notes]
    return {**plain, "followup": followup, "notes": notes}


def _plain(value: Any) -> Any:
    """Decimals as exact strings, dates in ISO 8601, dataclasses as objects."""
    if isinstance(value, Number):
        value = value.value
    if isinstance(value, Decimal | Path | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


# --- Text ------------------------------------------------------------------------------------


def _print_overview(overview: CaseOverview) -> None:
    out.print(
        f"[bold]{overview.title}[/bold] · pr. {format_day(overview.as_of, 'da')} · 1.000 kr. "
        f"{overview.price_level_year} p/l · 1 ÅV = {_whole(overview.kroner_per_aav)} kr. = "
        f"{_whole(overview.hours_per_aav)} timer"
    )
    out.print(_figures_table(overview))
    out.print(_payback_line(overview))
    out.print(_status_line(overview))
    for note in overview.notes:
        out.print(f"  Bemærk: {describe((note,), 'da')}")
    out.print("")


def _figures_table(overview: CaseOverview) -> Table:
    table = Table()
    for column in ("", "i casen", "realiseret", "prognose", "realisering"):
        table.add_column(column, justify="right" if column else "left")
    year = next((y for y in overview.years if y.year == overview.as_of.year), None)
    this_year = f"{overview.as_of.year}"
    forecast = year.forecast_savings_tkr if year else None
    pct = year.realisation_pct if year else None
    table.add_row(
        f"{this_year}, 1.000 kr.", _tkr(overview.expected_this_year_tkr),
        _tkr(overview.realised_this_year_tkr), _tkr(forecast), _pct(pct),
    )  # fmt: skip
    table.add_row(f"{this_year}, ÅV", *_aav_cells(year), "")
    table.add_row(
        "til dato, 1.000 kr.", _tkr(overview.expected_to_date_tkr),
        _tkr(overview.realised_to_date_tkr), "", _pct(overview.realisation_to_date_pct),
    )  # fmt: skip
    table.add_row(
        "til dato, ÅV", _aav(overview.expected_to_date_aav), _aav(overview.realised_to_date_aav),
        "", "",
    )  # fmt: skip
    return table


def _aav_cells(year: YearFigures | None) -> tuple[str, str, str]:
    if year is None:
        return ("–", "–", "–")
    return (
        _aav(year.budget_savings_aav),
        _aav(year.realised_savings_aav),
        _aav(year.forecast_savings_aav),
    )


def _payback_line(overview: CaseOverview) -> str:
    with_costs = any(y.actual_costs_tkr is not None for y in overview.years)
    measured = "målte og fremskrevne gevinster" + (
        " og faktiske omkostninger" if with_costs else ""
    )
    budget = _payback(overview.payback_budget_years, overview.break_even_budget_year)
    forecast = _payback(overview.payback_forecast_years, overview.break_even_forecast_year)
    return f"Tilbagebetalingstid: {budget} i casen; {forecast} med {measured}"


def _payback(years: int | None, year: int | None) -> str:
    return "ikke inden for budgetårene" if years is None else f"{years} år (i {year})"


def _status_line(overview: CaseOverview) -> str:
    counts = " · ".join(
        f"{overview.status_counts[s]} {translate(f'status.{s}', 'da')}"
        for s in _STATUS_ORDER
        if overview.status_counts.get(s)
    )
    numbers = ", ".join(str(n) for n in overview.attention)
    attention = f"nr. {numbers}" if numbers else "ingen"
    return f"Opfølgning: {counts or 'ingen mål'}; kræver handling: {attention}"


def _whole(value: Decimal) -> str:
    return format_int(int(value))


def _tkr(value: Decimal | None) -> str:
    return format_number(None if value is None else float(value), 1)


def _aav(value: Decimal | None) -> str:
    return format_number(None if value is None else float(value), 2)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{format_number(value, 0)} %"
