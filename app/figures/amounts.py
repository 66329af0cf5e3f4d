"""Number cells of the directors' pages: amounts in 1.000 kr., ÅV, percentages and hours,
each with its value kept for the spreadsheet and its text in the language's format."""

from __future__ import annotations

from decimal import Decimal

from app.figures.tables import Amount
from app.formatting import Language, format_number

Number = Decimal | float | int


def number_cell(value: Number | None, language: Language, *, decimals: int = 0) -> Amount:
    """``value`` with ``decimals`` decimals; a value that rounds to zero shows as 0, not -0."""
    if value is None:
        return Amount(None, "–", decimals)
    shown = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return Amount(float(value), format_number(shown, decimals, language), decimals)


def tkr_cell(value: Number | None, language: Language) -> Amount:
    """An amount in 1.000 kr. as the case states it, whole thousands (1.989), and a measured
    one to the hundred kroner it is measured in (337,8)."""
    if value is None:
        return number_cell(None, language)
    whole = round(float(value), 1) == round(float(value))
    return number_cell(value, language, decimals=0 if whole else 1)


def aav_cell(value: Number | None, language: Language) -> Amount:
    """Work in ÅV (full-time years), one decimal: 2,3."""
    return number_cell(value, language, decimals=1)


def pct_cell(value: Number | None, language: Language) -> Amount:
    """A percentage, whole: 86 %."""
    cell = number_cell(value, language)
    if value is None:
        return cell
    return Amount(cell.value, f"{cell.text} %", 0, unit="%")


def band_cell(hours: float, low: float, high: float, language: Language) -> Amount:
    """Hours with their band: 1.234 (1.100–1.300); the band is left out when it is one value."""
    text = format_number(round(hours) + 0.0, 0, language)
    if round(low) != round(high):
        low_text = format_number(round(low) + 0.0, 0, language)
        text += f" ({low_text}–{format_number(round(high) + 0.0, 0, language)})"
    return Amount(hours, text, 0, band=(low, high))
