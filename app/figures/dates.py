"""Dates as a Danish reader writes them (4.12.2026, december 2024) and in English (4 Dec 2026,
December 2024): one form on every page, chart and table."""

from __future__ import annotations

import datetime as dt

from app.formatting import Language

_MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_day(day: dt.date | None, language: Language) -> str:
    """4.12.2026 (da), 4 Dec 2026 (en); an en dash for no date."""
    if day is None:
        return "–"
    if language == "da":
        return f"{day.day}.{day.month}.{day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1][:3]} {day.year}"


def format_month(day: dt.date | None, language: Language) -> str:
    """december 2024 (da), December 2024 (en); an en dash for no date."""
    if day is None:
        return "–"
    names = _MONTHS_DA if language == "da" else _MONTHS_EN
    return f"{names[day.month - 1]} {day.year}"
