"""Evidence sentences: the facts behind a follow-up status, as text in Danish or English."""

from __future__ import annotations

import datetime as dt

from app.figures.dates import format_day, format_month
from app.formatting import Language, format_int, format_number
from app.i18n import translate
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
