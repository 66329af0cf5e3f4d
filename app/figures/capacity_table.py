"""Capacity and budget apart: the hours a case's solutions freed per year, the part of them that
moved to other work, and what is left as a budget saving (models/realisation.py)."""

from __future__ import annotations

from app.figures.amounts import number_cell
from app.figures.tables import Cell, Column, TableData
from app.formatting import Language
from app.i18n import translate
from models.realisation import CaseRealisation


def build_capacity_table(realisation: CaseRealisation, language: Language) -> TableData | None:
    """One row per measured year; None when the binding names no activity freed time moves to
    (then only capacity is known)."""
    if realisation.moved_hours is None:
        return None
    columns = (
        Column("year", translate("capacity.col.year", language)),
        Column("capacity", translate("capacity.col.capacity", language), numeric=True),
        Column("moved", translate("capacity.col.moved", language), numeric=True),
        Column("budget", translate("capacity.col.budget", language), numeric=True),
    )
    rows: list[dict[str, Cell]] = []
    for year in sorted(realisation.moved_hours):
        capacity = realisation.capacity_hours(year)
        if capacity is None:
            continue
        rows.append(
            {
                "year": str(year),
                "capacity": number_cell(capacity, language),
                "moved": number_cell(realisation.moved_hours[year], language),
                "budget": number_cell(realisation.budget_hours(year), language),
            }
        )
    return TableData(columns, tuple(rows))
