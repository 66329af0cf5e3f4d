"""Danish (default) and English number and date formats for people to read."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

Language = Literal["da", "en"]
DISPLAY_ZONE = ZoneInfo("Europe/Copenhagen")


def format_int(value: int | None, language: Language = "da") -> str:
    """1.434 in Danish, 1,434 in English; an en dash for no value."""
    if value is None:
        return "–"
    text = f"{value:,}"
    return text.replace(",", ".") if language == "da" else text


def format_number(value: float | None, decimals: int = 1, language: Language = "da") -> str:
    """1.234,5 in Danish, 1,234.5 in English."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if language == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_datetime(value: dt.datetime | None, language: Language = "da") -> str:
    """A UTC time shown in Copenhagen time: 30.12.2010 14:32 (da) or 2010-12-30 14:32 (en)."""
    if value is None:
        return "–"
    local = value.astimezone(DISPLAY_ZONE)
    return local.strftime("%d.%m.%Y %H:%M" if language == "da" else "%Y-%m-%d %H:%M")


def format_date(value: dt.datetime | None, language: Language = "da") -> str:
    """The Copenhagen date of a UTC time: 30.12.2010 (da) or 2010-12-30 (en)."""
    if value is None:
        return "–"
    return value.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y" if language == "da" else "%Y-%m-%d")


def format_date_only(value: dt.date | None, language: Language = "da") -> str:
    """A calendar day: 30.12.2010 (da) or 2010-12-30 (en)."""
    if value is None:
        return "–"
    return value.strftime("%d.%m.%Y" if language == "da" else "%Y-%m-%d")


def format_duration(seconds: float | None, language: Language = "da") -> str:
    """A duration in the largest sensible unit: 45 s, 12,5 min, 3,2 t, 4,1 d (da)."""
    if seconds is None:
        return "–"
    units = (("d", 86400.0), ("t" if language == "da" else "h", 3600.0), ("min", 60.0))
    for unit, size in units:
        if abs(seconds) >= size:
            return f"{format_number(seconds / size, 1, language)} {unit}"
    return f"{format_number(seconds, 0, language)} s"
