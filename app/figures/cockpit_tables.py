"""The directors' tables, from a ``CaseOverview`` (services/cockpit.py) to display-ready
cells: the key figures of a case, Tabel 1, each sub-solution's three measurements, and the
follow-up targets. Pure: no store, no Dash."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.evidence import describe
from app.figures.amounts import aav_cell, band_cell, number_cell, pct_cell, tkr_cell
from app.figures.dates import format_day
from app.figures.tables import Amount, Badge, Cell, Column, Judged, Link, TableData, Tone
from app.formatting import Language
from app.i18n import translate
from mining import MIN_GROUP_SIZE
from models.benefits import METHODS
from models.business_case import CaseTable
from models.followup import Status, TargetStatus
from models.realisation import MethodYear, SolutionRealisation
from services import CaseOverview


@dataclass(frozen=True)
class AreaUsage:
    """How many people used one solution in one service area (what the usage table reads)."""

    solution: str
    service_area: str
    users: int


STATUS_TONES: dict[Status, Tone] = {
    "met": "good",
    "on track": "info",
    "at risk": "warning",
    "missed": "bad",
    "no data": "neutral",
}
STATUS_ORDER: tuple[Status, ...] = ("missed", "at risk", "no data", "on track", "met")
"""Worst first: the order the counts and the rows needing attention are shown in."""


def status_badge(status: Status, language: Language) -> Badge:
    """The status word on its colour."""
    return Badge(translate(f"status.{status}", language), STATUS_TONES[status])


def build_key_figures(overview: CaseOverview, language: Language) -> TableData:
    """The case's promise against what it delivers: savings this year and to date in
    1.000 kr. and ÅV, the realisation and the payback, one row each."""
    columns = (
        Column("measure", translate("overview.col.measure", language)),
        Column("case", translate("overview.col.case", language), numeric=True),
        Column("realised", translate("overview.col.realised", language), numeric=True),
    )
    year = overview.as_of.year
    rows: tuple[dict[str, Cell], ...] = (
        _row("overview.row.this_year", language, year=year)
        | {
            "case": tkr_cell(overview.expected_this_year_tkr, language),
            "realised": tkr_cell(overview.realised_this_year_tkr, language),
        },
        _row("overview.row.to_date", language)
        | {
            "case": tkr_cell(overview.expected_to_date_tkr, language),
            "realised": tkr_cell(overview.realised_to_date_tkr, language),
        },
        _row("overview.row.to_date_aav", language)
        | {
            "case": aav_cell(overview.expected_to_date_aav, language),
            "realised": aav_cell(overview.realised_to_date_aav, language),
        },
        _row("overview.row.realisation", language)
        | {"case": "", "realised": pct_cell(overview.realisation_to_date_pct, language)},
        _row("overview.row.payback", language)
        | {
            "case": _payback(
                overview.payback_budget_years, overview.break_even_budget_year, language
            ),
            "realised": _payback(
                overview.payback_forecast_years, overview.break_even_forecast_year, language
            ),
        },
    )
    return TableData(columns, rows)


def _row(key: str, language: Language, **values: object) -> dict[str, Cell]:
    return {"measure": translate(key, language, **values)}


def _payback(years: int | None, break_even: int | None, language: Language) -> str:
    """6 år (2027): the payback time and the year it is reached (text in a spreadsheet too,
    so the year stays with it)."""
    if years is None:
        return translate("cockpit.no_payback", language)
    return translate("cockpit.payback", language, years=years, year=break_even or "–")


def build_case_tables(overview: CaseOverview, language: Language) -> tuple[TableData, ...]:
    """Each of the case's tables (Tabel 1 first) in Copenhagen's layout: a label column and
    one column per budget year, amounts in 1.000 kr. with KK's sign, "-" for no amount."""
    years = [figures.year for figures in overview.years]
    return tuple(_case_table(table, years, language) for table in overview.tables)


def _case_table(table: CaseTable, years: Sequence[int], language: Language) -> TableData:
    columns = (
        Column("label", translate("chart.tkr", language)),
        *(Column(str(year), str(year), numeric=True) for year in years),
    )
    rows = tuple(
        {"label": row.label}
        | {
            str(year): Amount(None, "-") if cell is None else tkr_cell(cell, language)
            for year, cell in zip(years, row.cells_tkr, strict=True)
        }
        for row in table.rows
    )
    return TableData(columns, rows, tuple(f"kf-row-{row.role}" for row in table.rows))


def build_method_table(solution: SolutionRealisation, language: Language) -> TableData:
    """One row per budget year the case expects savings in or any method measured savings:
    the expected hours, each method's hours with its band, and the primary method's
    realisation. A year before the go-live with savings expected is kept: a missed early
    year shows."""
    columns = (
        Column("year", translate("realisation.col.year", language)),
        Column("expected", translate("realisation.col.expected", language), numeric=True),
        *(
            Column(m, translate(f"method.{m}", language).capitalize(), numeric=True)
            for m in METHODS
        ),
        Column("realisation", translate("realisation.col.realisation", language), numeric=True),
    )
    rows = tuple(
        {
            "year": str(year.year),
            "expected": number_cell(year.expected_hours, language),
            **{m: _measured(year.measured.get(m), language) for m in METHODS},
            "realisation": pct_cell(year.realisation_pct, language),
        }
        for year in solution.years
        if year.expected_hours > 0 or any(m.hours for m in year.measured.values())
    )
    return TableData(columns, rows)


def _measured(found: MethodYear | None, language: Language) -> Amount:
    if found is None:
        return Amount(None, "–")
    return band_cell(found.hours, found.low, found.high, language)


def build_followup_table(
    targets: Sequence[TargetStatus],
    language: Language,
    *,
    link_for: Callable[[TargetStatus], str] | None = None,
) -> TableData:
    """Every target: number, status, the full target text, the evidence, who answers for it
    and its deadline(s); a row with several deadlines shows each one's own status and
    evidence."""
    columns = (
        Column("number", translate("followup.col.number", language), numeric=True),
        Column("status", translate("followup.col.status", language)),
        Column("target", translate("followup.col.target", language)),
        Column("evidence", translate("followup.col.evidence", language)),
        Column("responsible", translate("followup.col.responsible", language)),
        Column("deadline", translate("followup.col.deadline", language)),
    )
    rows = tuple(
        {
            "number": Link(str(t.number), link_for(t)) if link_for else str(t.number),
            "status": status_badge(t.status, language),
            "target": t.target,
            "evidence": _evidence(t, language),
            "responsible": t.responsible,
            "deadline": _deadlines(t, language),
        }
        for t in targets
    )
    return TableData(columns, rows)


def _evidence(target: TargetStatus, language: Language) -> str:
    """The evidence; with several deadlines, each deadline's on a line of its own."""
    if len(target.judgements) < 2:
        return describe(target.evidence, language)
    return "\n".join(
        f"{j.deadline_text}: {describe(j.evidence, language)}" for j in target.judgements
    )


def _deadlines(target: TargetStatus, language: Language) -> Cell:
    """ "Udgangen af 2024 (31.12.2024)"; several deadlines each with its status."""
    if len(target.judgements) >= 2:
        return Judged(
            tuple(
                (f"{j.deadline_text} ({format_day(j.deadline, language)})",
                 status_badge(j.status, language))
                for j in target.judgements
            )
        )  # fmt: skip
    if target.deadline is None:
        return target.deadline_text
    return f"{target.deadline_text} ({format_day(target.deadline, language)})"


def attention_targets(overview: CaseOverview) -> tuple[TargetStatus, ...]:
    """The targets that need action (``overview.attention``), worst status first."""
    wanted = [t for t in overview.followup.targets if t.number in overview.attention]
    return tuple(sorted(wanted, key=lambda t: (STATUS_ORDER.index(t.status), t.number)))


def status_counts(overview: CaseOverview) -> tuple[tuple[Status, int], ...]:
    """The follow-up's count per status, worst first, statuses with no target left out."""
    return tuple(
        (status, overview.status_counts.get(status, 0))
        for status in STATUS_ORDER
        if overview.status_counts.get(status, 0)
    )


def build_usage_table(
    solutions: Sequence[str], usage: Sequence[AreaUsage], language: Language
) -> TableData:
    """Per solution and service area the number of people who used it; a number below the
    privacy rule's minimum group is withheld (its row says so, never the figure), and a
    solution nobody was found using says that."""
    columns = (
        Column("solution", translate("realisation.col.solution", language)),
        Column("area", translate("realisation.col.area", language)),
        Column("users", translate("realisation.col.users", language), numeric=True),
    )
    rows: list[dict[str, Cell]] = []
    for solution in solutions:
        mine = [u for u in usage if u.solution == solution]
        rows.extend(
            {"solution": solution, "area": u.service_area, "users": _users(u.users, language)}
            for u in mine
        )
        if not mine:
            none = translate("realisation.no_users", language)
            rows.append({"solution": solution, "area": "–", "users": Amount(None, none)})
    return TableData(columns, tuple(rows))


def _users(count: int, language: Language) -> Amount:
    if count < MIN_GROUP_SIZE:
        return Amount(None, translate("realisation.withheld", language))
    return number_cell(count, language)
