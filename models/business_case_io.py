"""Reading business cases (YAML) and p/l index tables (CSV), with line-precise errors.

The YAML is *composed*, not loaded: every value is read from its node's raw text, so the node's
mark gives the line of any bad value, and YAML's own number guessing never touches an amount
(a plain ``-1.989`` would otherwise become the float -1,989 instead of KK's minus 1.989).

Amounts follow the seeds' Danish notation: ``-1989`` or ``-1.989`` (a dot separates thousands),
decimals with a comma (``12,5``), ``-`` or a missing year for an empty cell. The format is
described in ``data/business_cases/README.md``.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import yaml

from models.business_case import (
    ADMIN_EFFECTS,
    LINE_KINDS,
    STYRINGSOMRAADER,
    AarsvaerkAssumptions,
    AdminEffect,
    BudgetLine,
    BusinessCase,
    FollowUpTarget,
    ImplementationActivity,
    LineKind,
    PriceIndex,
    Styringsomraade,
    SubSolution,
    compute_share_total_pct,
)
from models.errors import InputError

T = TypeVar("T")

_YEAR = re.compile(r"\d{4}")
_PLAIN_AMOUNT = re.compile(r"-?\d+(?:,\d+)?")
_DANISH_AMOUNT = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?")
_INDEX = re.compile(r"\d+(?:\.\d+)?")
_EMPTY_CELLS = frozenset({"", "-", "–", "−", "~", "null"})
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-"})

AMOUNT_FIX = (
    "write the amount in 1.000 kr. as a whole number such as -1989 or -1.989 (savings "
    "negative, a dot separates thousands), decimals with a comma (12,5), or '-' for no amount"
)

_TOP_REQUIRED = (
    "title",
    "administration",
    "price_level_year",
    "budget_years",
    "lines",
    "aarsvaerk",
)
_TOP_OPTIONAL = (
    "proposal_round",
    "summary",
    "affected_administrations",
    "decision_year",
    "payout_price_level_year",
    "sub_solutions",
    "follow_up",
    "implementation_activities",
    "notes",
)
_LINE_REQUIRED = ("label", "styringsomraade", "kind", "amounts_tkr")
_LINE_OPTIONAL = ("admin_effect", "profit_center")
_FOLLOW_UP_FIELDS = ("target", "measure", "responsible", "deadline")
_ACTIVITY_FIELDS = ("activity", "executing", "responsible", "informed", "advising")
# Spellings people type for the styringsområder, mapped to KK's.
_OMRAADE_ALIASES: dict[str, Styringsomraade] = {
    "service": "Service",
    "anlæg": "Anlæg",
    "anlaeg": "Anlæg",
    "overførsler": "Overførsler",
    "overfoersler": "Overførsler",
}


@dataclass(frozen=True)
class _Doc:
    """The file being read: names it and the line in every error message."""

    source: str

    def error(self, node: yaml.Node, problem: str, fix: str) -> InputError:
        """An error at ``node``'s line: what is wrong, then how to fix it."""
        return InputError(f"{self.source}, line {_line(node)}: {problem}. Fix: {fix}.")


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# --- Business case -----------------------------------------------------------------------------


def read_business_case(path: Path) -> BusinessCase:
    """Read a business-case YAML file (format: ``data/business_cases/README.md``)."""
    return parse_business_case(_read_text(path), source=str(path))


def parse_business_case(text: str, *, source: str) -> BusinessCase:
    """Parse business-case YAML text; ``source`` names it in error messages."""
    doc = _Doc(source)
    root = _compose(text, source)
    fields = _fields(doc, root, "the business case", _TOP_REQUIRED, _TOP_OPTIONAL)
    years = _budget_years(doc, fields["budget_years"])
    case = BusinessCase(
        title=_text(doc, fields["title"], "title"),
        administration=_text(doc, fields["administration"], "administration"),
        price_level_year=_year(doc, fields["price_level_year"], "price_level_year"),
        budget_years=years,
        lines=_items(doc, fields["lines"], "lines", lambda n: _budget_line(doc, n, years)),
        aarsvaerk=_aarsvaerk(doc, fields["aarsvaerk"]),
        sub_solutions=_sub_solutions(doc, fields.get("sub_solutions")),
        follow_up_targets=_optional_items(doc, fields.get("follow_up"), "follow_up", _follow_up),
        implementation_activities=_optional_items(
            doc, fields.get("implementation_activities"), "implementation_activities", _activity
        ),
        affected_administrations=_texts(
            doc, fields.get("affected_administrations"), "affected_administrations"
        ),
        decision_year=_optional_year(doc, fields, "decision_year"),
        payout_price_level_year=_optional_year(doc, fields, "payout_price_level_year"),
        proposal_round=_optional_text(doc, fields, "proposal_round"),
        summary=_optional_text(doc, fields, "summary"),
        notes=_texts(doc, fields.get("notes"), "notes"),
    )
    if not case.lines:
        raise doc.error(fields["lines"], "the case has no budget lines", "add at least one line")
    return case


def _compose(text: str, source: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise InputError(
            f"{source}, {where}: this is not valid YAML ({error.problem or error.context}). "
            "Fix: check the indentation and quoting there; text with ':' or '#' needs quotes."
        ) from None
    if root is None:
        raise InputError(f"{source}: the file is empty. Fix: write a business case in it.")
    return root


def _fields(
    doc: _Doc,
    node: yaml.Node,
    what: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> dict[str, yaml.Node]:
    """A mapping's values by key, checked: no unknown, duplicate or missing keys."""
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(node, f"{what} must be a mapping of 'key: value' lines", "indent it so")
    fields: dict[str, yaml.Node] = {}
    allowed = required + optional
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in fields:
            raise doc.error(key_node, f"'{key}' appears twice in {what}", "keep one of them")
        if key not in allowed:
            raise doc.error(key_node, f"unknown key '{key}' in {what}", _suggest(key, allowed))
        fields[key] = value_node
    for key in required:
        if key not in fields:
            raise doc.error(node, f"{what} has no '{key}'", _missing_fix(key))
    return fields


def _suggest(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}allowed keys are {', '.join(allowed)}"


def _missing_fix(key: str) -> str:
    examples = {
        "styringsomraade": "add 'styringsomraade: Service' (one of Service, Anlæg, Overførsler)",
        "kind": f"add 'kind: permanent_change' (one of {', '.join(LINE_KINDS)})",
        "amounts_tkr": "add 'amounts_tkr:' with one 'YEAR: amount' line per year",
    }
    return examples.get(key, f"add '{key}: ...'")


def _scalar(doc: _Doc, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise doc.error(node, f"{what} must be a single value, not a list or mapping", "fix it")
    return str(node.value).strip()


def _text(doc: _Doc, node: yaml.Node, what: str) -> str:
    value = _scalar(doc, node, what)
    if not value or node.tag == "tag:yaml.org,2002:null":
        raise doc.error(node, f"{what} is empty", f"write the {what}")
    return value


def _texts(doc: _Doc, node: yaml.Node | None, what: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise doc.error(node, f"{what} must be a list", "write one '- text' line per item")
    return tuple(_text(doc, item, what) for item in node.value)


def _optional_text(doc: _Doc, fields: dict[str, yaml.Node], key: str) -> str:
    """The text under an optional key; "" when the key is left out."""
    return _text(doc, fields[key], key) if key in fields else ""


def _optional_year(doc: _Doc, fields: dict[str, yaml.Node], key: str) -> int | None:
    return _year(doc, fields[key], key) if key in fields else None


def _year(doc: _Doc, node: yaml.Node, what: str) -> int:
    value = _scalar(doc, node, what)
    if not _YEAR.fullmatch(value):
        raise doc.error(node, f"{what} '{value}' is not a year", "write a four-digit year (2023)")
    return int(value)


def _budget_years(doc: _Doc, node: yaml.Node) -> tuple[int, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise doc.error(node, "budget_years must be a list of years", "write [2023, 2024, ...]")
    years = tuple(_year(doc, item, "a budget year") for item in node.value)
    for item, previous, year in zip(node.value[1:], years[:-1], years[1:], strict=True):
        if year != previous + 1:
            raise doc.error(
                item,
                f"budget year {year} follows {previous}; budget years must be consecutive",
                f"list every year from {years[0]} to {max(years)} once, in order",
            )
    return years


def _items(doc: _Doc, node: yaml.Node, what: str, read: Callable[[yaml.Node], T]) -> tuple[T, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise doc.error(node, f"{what} must be a list", f"write each of the {what} as '- ...'")
    return tuple(read(item) for item in node.value)


def _optional_items(
    doc: _Doc,
    node: yaml.Node | None,
    what: str,
    read: Callable[[_Doc, yaml.Node], T],
) -> tuple[T, ...]:
    return () if node is None else _items(doc, node, what, lambda n: read(doc, n))


def _budget_line(doc: _Doc, node: yaml.Node, years: tuple[int, ...]) -> BudgetLine:
    where = f"the budget line at line {_line(node)}"
    fields = _fields(doc, node, where, ("label",), _LINE_REQUIRED[1:] + _LINE_OPTIONAL)
    label = _text(doc, fields["label"], "label")
    where = f"budget line '{label}'"
    for key in _LINE_REQUIRED:
        if key not in fields:
            raise doc.error(node, f"{where} has no {key}", _missing_fix(key))
    return BudgetLine(
        label=label,
        styringsomraade=_styringsomraade(doc, fields["styringsomraade"], where),
        kind=_choice(doc, fields["kind"], f"the kind of {where}", LINE_KINDS),
        amounts_tkr=_amounts(doc, fields["amounts_tkr"], where, years),
        admin_effect=_admin_effect(doc, fields.get("admin_effect"), where),
        profit_center=_optional_text(doc, fields, "profit_center") or None,
    )


def _styringsomraade(doc: _Doc, node: yaml.Node, where: str) -> Styringsomraade:
    value = _scalar(doc, node, f"the styringsomraade of {where}")
    if not value or node.tag == "tag:yaml.org,2002:null":
        raise doc.error(node, f"{where} has no styringsomraade", _missing_fix("styringsomraade"))
    found = _OMRAADE_ALIASES.get(value.casefold())
    if found is None:
        raise doc.error(
            node,
            f"styringsomraade '{value}' of {where} is not a KK styringsområde",
            f"write one of {', '.join(STYRINGSOMRAADER)}",
        )
    return found


def _choice(doc: _Doc, node: yaml.Node, what: str, allowed: tuple[LineKind, ...]) -> LineKind:
    value = _scalar(doc, node, what)
    for option in allowed:
        if value == option:
            return option
    raise doc.error(node, f"{what} is '{value}'", f"write one of {', '.join(allowed)}")


def _admin_effect(doc: _Doc, node: yaml.Node | None, where: str) -> AdminEffect:
    if node is None:
        return "none"
    value = _scalar(doc, node, f"the admin_effect of {where}")
    for option in ADMIN_EFFECTS:
        if value == option:
            return option
    raise doc.error(
        node,
        f"admin_effect '{value}' of {where} is unknown",
        f"write one of {', '.join(ADMIN_EFFECTS)}",
    )


def _amounts(
    doc: _Doc, node: yaml.Node, where: str, years: tuple[int, ...]
) -> MappingProxyType[int, Decimal]:
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(
            node, f"amounts_tkr of {where} must map years to amounts", "write 2024: -500"
        )
    amounts: dict[int, Decimal] = {}
    for key_node, value_node in node.value:
        year = _year(doc, key_node, f"a year in amounts_tkr of {where}")
        if year not in years:
            raise doc.error(
                key_node,
                f"year {year} of {where} is outside the case's budget years {years[0]}–{years[-1]}",
                f"move the amount to a budget year or add {year} to budget_years",
            )
        if year in amounts:
            raise doc.error(key_node, f"year {year} appears twice in {where}", "keep one of them")
        amount = _amount_tkr(doc, value_node, f"the amount for {year} in {where}")
        if amount is not None:
            amounts[year] = amount
    return MappingProxyType(amounts)


def _amount_tkr(doc: _Doc, node: yaml.Node, what: str) -> Decimal | None:
    """An amount in 1.000 kr. from its raw text; None for an empty cell ('-').

    A dot is always a thousands separator (the seeds print -1.989), so '12.5' is refused as
    ambiguous rather than guessed.
    """
    raw = _scalar(doc, node, what)
    text = raw.translate(_MINUS_SIGNS).replace(" ", "")
    if node.tag == "tag:yaml.org,2002:null" or text in _EMPTY_CELLS:
        return None
    if _PLAIN_AMOUNT.fullmatch(text) or _DANISH_AMOUNT.fullmatch(text):
        return Decimal(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"-?\d+\.\d+", text):
        raise doc.error(
            node,
            f"{what} is '{raw}', which is ambiguous: a dot separates thousands here",
            f"write {text.replace('.', ',')} for a decimal number; {AMOUNT_FIX}",
        )
    raise doc.error(node, f"{what} is '{raw}', which is not a number", AMOUNT_FIX)


def _aarsvaerk(doc: _Doc, node: yaml.Node) -> AarsvaerkAssumptions:
    fields = _fields(
        doc, node, "aarsvaerk", ("kroner_per_aarsvaerk", "hours_per_aarsvaerk"), ("note",)
    )
    return AarsvaerkAssumptions(
        kroner_per_aarsvaerk=_positive(doc, fields["kroner_per_aarsvaerk"], "kroner_per_aarsvaerk"),
        hours_per_aarsvaerk=_positive(doc, fields["hours_per_aarsvaerk"], "hours_per_aarsvaerk"),
        note=_optional_text(doc, fields, "note"),
    )


def _positive(doc: _Doc, node: yaml.Node, what: str) -> Decimal:
    value = _amount_tkr(doc, node, what)
    if value is None or value <= 0:
        raw = _scalar(doc, node, what)
        raise doc.error(
            node, f"{what} is '{raw}', not a positive number", "write e.g. 1924 or 663.000"
        )
    return value


def _sub_solutions(doc: _Doc, node: yaml.Node | None) -> tuple[SubSolution, ...]:
    if node is None:
        return ()
    subs = _items(doc, node, "sub_solutions", lambda n: _sub_solution(doc, n))
    total_pct = compute_share_total_pct(subs)
    if subs and total_pct != 100:
        shares = " + ".join(_plain(s.share_pct) for s in subs)
        raise doc.error(
            node,
            f"the sub-solutions' shares sum to {_plain(total_pct)} % ({shares}), not 100 %",
            "correct share_pct so the shares sum to exactly 100",
        )
    return subs


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _sub_solution(doc: _Doc, node: yaml.Node) -> SubSolution:
    fields = _fields(doc, node, "a sub-solution", ("name", "share_pct"), ())
    raw = _scalar(doc, fields["share_pct"], "share_pct").removesuffix("%").strip()
    if not _PERCENT.fullmatch(raw) or not 0 < Decimal(raw.replace(",", ".")) <= 100:
        raise doc.error(
            fields["share_pct"],
            f"share_pct '{raw}' is not a percentage above 0 and at most 100",
            "write the share in percent, e.g. 50 or 12,5",
        )
    return SubSolution(_text(doc, fields["name"], "name"), Decimal(raw.replace(",", ".")))


def _follow_up(doc: _Doc, node: yaml.Node) -> FollowUpTarget:
    fields = _fields(doc, node, "a follow-up target", _FOLLOW_UP_FIELDS, ("group",))
    return FollowUpTarget(
        group=_optional_text(doc, fields, "group"),
        target=_text(doc, fields["target"], "target"),
        measure=_text(doc, fields["measure"], "measure"),
        responsible=_text(doc, fields["responsible"], "responsible"),
        deadline=_text(doc, fields["deadline"], "deadline"),
    )


def _activity(doc: _Doc, node: yaml.Node) -> ImplementationActivity:
    fields = _fields(doc, node, "an implementation activity", _ACTIVITY_FIELDS, ())
    values = {key: _text(doc, fields[key], key) for key in _ACTIVITY_FIELDS}
    return ImplementationActivity(**values)


# --- p/l index -----------------------------------------------------------------------------------


def read_price_index(path: Path) -> PriceIndex:
    """Read a p/l index CSV: a header ``year,index`` and one ``2023,103.2`` line per year."""
    return parse_price_index(_read_text(path), source=str(path))


def parse_price_index(text: str, *, source: str) -> PriceIndex:
    """Parse p/l index CSV text (comma-separated, decimal point); blank and '#' lines skipped."""
    levels: dict[int, Decimal] = {}
    header_seen = False
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if not header_seen:
            _check_index_header(cells, source, line_no)
            header_seen = True
            continue
        year, level = _index_row(cells, source, line_no)
        if year in levels:
            raise InputError(f"{source}, line {line_no}: year {year} appears twice. Fix: keep one.")
        levels[year] = level
    if not levels:
        raise InputError(
            f"{source}: the p/l index has no rows. Fix: add 'year,index' and one line per year."
        )
    return PriceIndex(MappingProxyType(levels), source=source)


def _check_index_header(cells: list[str], source: str, line_no: int) -> None:
    if [c.casefold() for c in cells] not in (["year", "index"], ["år", "indeks"]):
        raise InputError(
            f"{source}, line {line_no}: the header is {','.join(cells)!r}, not 'year,index'. "
            "Fix: make the first line 'year,index'."
        )


def _index_row(cells: list[str], source: str, line_no: int) -> tuple[int, Decimal]:
    where = f"{source}, line {line_no}"
    if len(cells) != 2:
        raise InputError(
            f"{where}: {len(cells)} cells {cells}, expected 2 (year,index). Fix: write one "
            "'2023,103.2' per line, with a decimal point (not a comma) in the index."
        )
    year, level = cells
    if not _YEAR.fullmatch(year):
        raise InputError(f"{where}: '{year}' is not a year. Fix: write a four-digit year.")
    if not _INDEX.fullmatch(level) or Decimal(level) == 0:
        raise InputError(
            f"{where}: index '{level}' for {year} is not a positive number. "
            "Fix: write it with a decimal point, e.g. 103.2."
        )
    return int(year), Decimal(level)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file. Fix: check the path.") from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}). "
            "Fix: save the file as UTF-8."
        ) from None
