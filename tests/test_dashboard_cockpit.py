"""The directors' pages (Overblik, Gevinstrealisering, Opfølgning) without a browser: number
and date formats, figures, tables and layouts from hand-made ``CaseOverview`` values whose
every figure is known, read back from the components."""

from __future__ import annotations

import datetime as dt

from app.figures.amounts import aav_cell, band_cell, pct_cell, tkr_cell
from app.figures.dates import format_day, format_month
from app.figures.tables import Amount


def test_dates_read_as_a_dane_writes_them() -> None:
    assert format_day(dt.date(2026, 12, 4), "da") == "4.12.2026"
    assert format_day(dt.date(2026, 12, 4), "en") == "4 Dec 2026"
    assert format_month(dt.date(2024, 12, 1), "da") == "december 2024"
    assert format_month(dt.date(2024, 3, 1), "en") == "March 2024"
    assert format_day(None, "da") == "–"


def test_amounts_keep_their_value_and_show_the_language_format() -> None:
    assert tkr_cell(14673.4, "da") == Amount(14673.4, "14.673")
    assert tkr_cell(14673.4, "en").text == "14,673"
    assert tkr_cell(-0.4, "da").text == "0"
    assert aav_cell(2.345, "da") == Amount(2.345, "2,3", 1)
    assert pct_cell(86.4, "da") == Amount(86.4, "86 %", 0, unit="%")
    assert pct_cell(None, "da") == Amount(None, "–")
    assert band_cell(1234.4, 1100.2, 1300.0, "da").text == "1.234 (1.100–1.300)"
    assert band_cell(99.6, 99.8, 100.1, "da").text == "100"
