"""Actual costs of a business case: what was really spent, per year and kind, from the file
beside the case (``<case>.costs.csv``), so the forecast payback can use them.

The format (``data/business_cases/README.md``): a header ``year;kind;amount_tkr;note`` (the
``note`` column may be left out), then one line per amount. Cells are separated by semicolons
or commas, as the header is; ``kind`` is ``implementation`` (one-off implementeringsomkostninger)
or ``operating`` (driftsomkostninger); amounts are in 1.000 kr., costs positive, written as the
case's amounts are (``1989``, ``1.989``, ``12,5``: a dot always separates thousands). Several
lines may share a year and kind: they are added. Blank lines and lines starting with ``#`` are
skipped. Amounts are in the prices of the year they were spent; with a p/l index they are
converted to the case's p/l. A bad line stops the reading with the file, the line, the value
and the fix: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal, get_args

from models.business_case import PriceIndex
from models.errors import InputError

CostKind = Literal["implementation", "operating"]
COST_KINDS: tuple[CostKind, ...] = get_args(CostKind)
COSTS_SUFFIX = ".costs.csv"
HEADER = ("year", "kind", "amount_tkr", "note")

_TENTH = Decimal("0.1")
_YEAR = re.compile(r"\d{4}")
_PLAIN = re.compile(r"\d+(?:,\d+)?")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_DOT_DECIMAL = re.compile(r"\d+\.\d+")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-"})
_AMOUNT_FIX = (
    "write the amount in 1.000 kr. as a positive number such as 1989 or 1.989 (a dot separates "
    "thousands) with a decimal comma (12,5)"
)


@dataclass(frozen=True)
class CostLine:
    """One line of the file: an amount spent in ``year`` (its own prices), and its line number."""

    year: int
    kind: CostKind
    amount_tkr: Decimal
    note: str
    line: int


@dataclass(frozen=True)
class ActualCosts:
    """A case's actual costs; ``source`` names the file in messages."""

    source: str
    lines: tuple[CostLine, ...]


def costs_path_for(case_path: Path) -> Path:
    """``data/business_cases/x.yaml`` → ``data/business_cases/x.costs.csv``."""
    return case_path.with_name(case_path.stem + COSTS_SUFFIX)


def read_case_costs(case_path: Path) -> ActualCosts | None:
    """The actual costs beside the case, or None when the case has no costs file."""
    path = costs_path_for(case_path)
    return read_actual_costs(path) if path.exists() else None


def read_actual_costs(path: Path) -> ActualCosts:
    """Read an actual-costs file (format in the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}). "
            "Fix: save the file as UTF-8 (in Excel: CSV UTF-8)."
        ) from None
    except OSError as error:
        raise InputError(
            f"{path}: cannot be read ({error.strerror}). Fix: check the path."
        ) from None
    return parse_actual_costs(text, source=str(path))


def parse_actual_costs(text: str, *, source: str) -> ActualCosts:
    """Parse the text of an actual-costs file; ``source`` names it in errors."""
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InputError(
            f"{source}: the file has no header. Fix: make the first line "
            f"'{';'.join(HEADER)}' and add one line per amount spent."
        )
    header_line, header = numbered[0]
    delimiter = ";" if ";" in header else ","
    columns = _header(_cells(header, delimiter), source, header_line)
    lines = tuple(
        _cost_line(_cells(line, delimiter), _Where(source, number, delimiter), columns)
        for number, line in numbered[1:]
    )
    return ActualCosts(source, lines)


def _cells(line: str, delimiter: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]


def _header(cells: list[str], source: str, line: int) -> int:
    """The number of columns the header declares (3 without ``note``, else 4)."""
    names = [cell.casefold() for cell in cells]
    if names not in (list(HEADER), list(HEADER[:3])):
        raise InputError(
            f"{source}, line {line}: the header is '{';'.join(cells)}', not "
            f"'{';'.join(HEADER)}'. Fix: make the first line '{';'.join(HEADER)}'."
        )
    return len(names)


@dataclass(frozen=True)
class _Where:
    """The line being read: every error names the file and the line."""

    source: str
    line: int
    delimiter: str

    def error(self, problem: str, fix: str) -> InputError:
        return InputError(f"{self.source}, line {self.line}: {problem}. Fix: {fix}.")


def _cost_line(cells: list[str], where: _Where, columns: int) -> CostLine:
    if len(cells) not in (3, columns):
        hint = (
            '; with commas between cells a decimal comma must be quoted ("12,5"), or use '
            "semicolons between cells"
            if where.delimiter == ","
            else ""
        )
        raise where.error(
            f"{len(cells)} cells ({where.delimiter.join(cells)}), expected {columns} "
            f"({';'.join(HEADER[:columns])})",
            f"write one amount per line, e.g. 2024;implementation;1.500;invoice 17{hint}",
        )
    year, kind, amount = cells[:3]
    note = cells[3] if len(cells) > 3 else ""
    return CostLine(
        _year(year, where), _kind(kind, where), _amount(amount, where), note, where.line
    )


def _year(text: str, where: _Where) -> int:
    if not _YEAR.fullmatch(text):
        raise where.error(f"the year is '{text}', not a year", "write a four-digit year, e.g. 2024")
    return int(text)


def _kind(text: str, where: _Where) -> CostKind:
    for kind in COST_KINDS:
        if text.casefold() == kind:
            return kind
    raise where.error(
        f"the kind is '{text}', not {' or '.join(COST_KINDS)}",
        "write implementation (one-off implementeringsomkostninger) or operating "
        "(driftsomkostninger)",
    )


def _amount(text: str, where: _Where) -> Decimal:
    cleaned = text.translate(_MINUS_SIGNS).replace(" ", "")
    if cleaned.startswith("-"):
        raise where.error(
            f"the amount is '{text}', a negative number", f"costs are positive: {_AMOUNT_FIX}"
        )
    if _PLAIN.fullmatch(cleaned) or _THOUSANDS.fullmatch(cleaned):
        return Decimal(cleaned.replace(".", "").replace(",", "."))
    if _DOT_DECIMAL.fullmatch(cleaned):
        raise where.error(
            f"the amount is '{text}', which is ambiguous: a dot separates thousands here",
            f"write {cleaned.replace('.', ',')} for a decimal number; {_AMOUNT_FIX}",
        )
    shown = f"'{text}'" if text else "empty"
    raise where.error(f"the amount is {shown}, not a number", _AMOUNT_FIX)


def check_cost_years(costs: ActualCosts, budget_years: tuple[int, ...]) -> None:
    """Every line's year must be one of the case's budget years: a cost outside them would
    count in no table and no payback."""
    for line in costs.lines:
        if line.year not in budget_years:
            raise InputError(
                f"{costs.source}, line {line.line}: the year {line.year} is not a budget year of "
                f"the case ({budget_years[0]}–{budget_years[-1]}). Fix: state the cost in one of "
                "those years, or remove the line."
            )


def compute_costs_by_year(
    costs: ActualCosts,
    *,
    through_year: int,
    price_level_year: int,
    price_index: PriceIndex | None = None,
) -> Mapping[int, Decimal]:
    """The actual costs per year up to ``through_year`` (later years are not spent as of the
    date), in 1.000 kr.; with ``price_index`` at ``price_level_year`` p/l (each year's sum ×
    index[p/l] / index[year], rounded half-up to 0,1), without it as stated."""
    totals: dict[int, Decimal] = {}
    for line in costs.lines:
        if line.year <= through_year:
            totals[line.year] = totals.get(line.year, Decimal(0)) + line.amount_tkr
    if price_index is None:
        return totals
    return {
        year: _at_price_level(amount, year, price_level_year, price_index)
        for year, amount in totals.items()
    }


def _at_price_level(amount: Decimal, year: int, target: int, index: PriceIndex) -> Decimal:
    levels = index.index_by_year
    for needed in (year, target):
        if needed not in levels:
            raise InputError(
                f"{index.source}: there is no p/l index for {needed}, which the actual costs "
                f"need. Fix: add a line '{needed},<index>' to {index.source}."
            )
    converted = amount * levels[target] / levels[year]
    return converted.quantize(_TENTH, rounding=ROUND_HALF_UP)
