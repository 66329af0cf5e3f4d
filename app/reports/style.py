"""Colours of the report, the same in every face and as on the dashboard (its ink, accent and
lines): a status reads the same colour on paper, on screen and in the spreadsheet."""

from __future__ import annotations

from models.followup import Status

INK = "#1b2a3a"
MUTED = "#5b6b7c"
ACCENT = "#1d4f8a"
LINE = "#dde3ea"
HEADING_FILL = "#e8f1fa"
WARNING_FILL = "#fff6e5"

STATUS_COLOURS: dict[Status, tuple[str, str]] = {
    "met": ("#d7ecd9", "#1e5e2a"),
    "on track": ("#e3f0fb", "#1d4f8a"),
    "at risk": ("#fff1d6", "#8a5a00"),
    "missed": ("#fbe0dd", "#a3271b"),
    "no data": ("#eceff3", "#5b6b7c"),
}
"""status -> (fill, text) colour."""


def rgb(colour: str) -> tuple[int, int, int]:
    """``#1d4f8a`` -> (29, 79, 138)."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
