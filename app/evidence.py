"""Evidence sentences: the facts behind a follow-up status, as text in Danish or English."""

from __future__ import annotations

import datetime as dt

from app.figures.dates import format_day, format_month
from app.formatting import Language, format_int, format_number
from app.i18n import translate
from models.benefit_checks import Check, Disagreement
from models.benefits import METHODS
from models.followup import SOURCES, Fact, FactValue, FewerThan, Month, Number

# Values that stand for a label: a method or a source system.
_LABELLED: dict[str, str] = {
    **{method: f"method.{method}" for method in METHODS},
    **{source: f"evidence.source.{source}" for source in SOURCES},
}


def describe(facts: tuple[Fact, ...], language: Language) -> str:
    """The evidence as one text in ``language``, numbers and dates in its format."""
    return "; ".join(
        translate(f.key, language, **{k: _show(v, language) for k, v in f.values.items()})
        for f in facts
    )


def _show(value: FactValue, language: Language) -> str:
    if isinstance(value, str):
        return translate(_LABELLED[value], language) if value in _LABELLED else value
    if isinstance(value, bool | int):
        return str(value) if isinstance(value, bool) else format_int(value, language)
    return _show_typed(value, language)


def _show_typed(value: Number | dt.date | Month | FewerThan, language: Language) -> str:
    if isinstance(value, Number):
        return format_number(value.value, value.decimals, language)
    if isinstance(value, Month):
        return format_month(value.day, language)
    if isinstance(value, FewerThan):
        return translate("value.fewer_than", language, limit=str(value.limit))
    return format_day(value, language)


_CAUSE_DECIMALS = {"registered_minutes": 1, "mined_minutes": 1, "exception_minutes": 1,
                   "manual_minutes": 1}  # fmt: skip


def describe_check(check: Check, language: Language) -> str:
    """One check (what can fool a method, and what was done) in the language."""
    values = {
        _cause_word(name): (
            _signed(value, language)
            if name in _SIGNED
            else format_number(value, _CAUSE_DECIMALS.get(name, 0), language)
        )
        for name, value in check.values.items()
    }
    return translate(f"cause.{check.cause}", language, **values)


_SIGNED = {"shift_pct", "change_pct", "gap_pct"}


def _signed(value: float, language: Language) -> str:
    """A whole per cent with its sign: +12 or −8."""
    text = format_number(abs(value), 0, language)
    return f"+{text}" if round(value) > 0 else (f"−{text}" if round(value) < 0 else text)


def _cause_word(name: str) -> str:
    """The sentences name percentages without the ``_pct`` suffix."""
    return name.removesuffix("_pct")


def describe_disagreement(disagreement: Disagreement, language: Language) -> str:
    """A method parting from the primary, with its most likely cause, in the language."""
    values = {
        "method": translate(f"method.{disagreement.method}", language),
        "primary": translate(f"method.{disagreement.primary}", language),
        "hours": format_int(round(disagreement.hours), language),
        "primary_hours": format_int(round(disagreement.primary_hours), language),
        "gap": _signed(disagreement.gap_pct, language),
    }
    if disagreement.cause is None:
        return _capitalised(translate("benefits.gap_unknown", language, **values))
    cause = describe_check(disagreement.cause, language)
    return _capitalised(translate("benefits.gap", language, cause=cause, **values))


def _capitalised(sentence: str) -> str:
    """The sentence with a capital first letter (method names are lower case in Danish)."""
    return sentence[:1].upper() + sentence[1:]
