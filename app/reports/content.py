"""The KIT DIR follow-up report's content, in the order every face shows it: the cover (the
cases with their price level and ÅV, the as-of date, the status counts, how far each source's
data reach, warnings), then per case its key figures, Tabel 1, the payback chart and the
follow-up targets, then the method notes: how the savings are measured, a paragraph per
method, and per solution what in its data can fool the measurement (corrected or not) and where
the methods disagree (``Metodenoter``; the dashboard's Metode page shows the same notes).

Cells keep their values (Decimal, int, date) and say what they are (``CellKind``): the PDF and
HTML faces write them the Danish way with :func:`cell_text`, the XLSX face stores numbers as
numbers and dates as dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

from app.evidence import describe, describe_check, describe_disagreement
from app.figures.dates import format_day
from app.formatting import DISPLAY_ZONE, Language, format_int, format_number
from app.i18n import translate
from models.benefit_checks import Check
from models.benefits import METHODS, Method
from models.business_case import CaseTable, TableRow
from models.followup import Status, TargetStatus
from services import CaseOverview, SourceCoverage

CellKind = Literal["text", "tkr", "aav", "pct", "int", "year", "date"]
CellValue = str | int | float | Decimal | dt.date | None

METHOD_NOTE_KEYS = (
    "report.method.measured",
    "report.method.primary",
    "report.method.money",
    "report.method.forecast",
    "report.method.status",
)
STATUSES: tuple[Status, ...] = get_args(Status)
_TKR_STEP = Decimal("0.1")


@dataclass(frozen=True)
class Cell:
    """One table cell: its value, what it is, and for a status cell the status (its colour)."""

    value: CellValue
    kind: CellKind = "text"
    status: Status | None = None


@dataclass(frozen=True)
class ReportRow:
    """One row of a report table; ``bold`` for KK's subtotals and totals."""

    cells: tuple[Cell, ...]
    bold: bool = False


@dataclass(frozen=True)
class ReportTable:
    """A table as every face shows it: a title, column headings, rows."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class PaybackChart:
    """The cumulative total effect per budget year (KK sign: below 0 = paid back), as budgeted
    and as realised-and-forecast; ``forecast[i]`` says year ``i`` holds forecast months."""

    years: tuple[int, ...]
    budget_tkr: tuple[Decimal, ...]
    forecast_tkr: tuple[Decimal, ...]
    forecast: tuple[bool, ...]
    break_even_budget_year: int | None
    break_even_forecast_year: int | None
    axis_label: str


@dataclass(frozen=True)
class TargetRow:
    """A follow-up target as the report shows it, texts already in the report's language."""

    number: int
    status: Status
    status_text: str
    target: str
    measure: str
    responsible: str
    deadline_text: str
    deadline: dt.date | None
    evidence: str
    judgements: tuple[str, ...]


@dataclass(frozen=True)
class CaseSection:
    """One case: its title, price level and ÅV line, key figures, Tabel 1, payback, targets."""

    title: str
    facts: str
    key_figures: ReportTable
    tables: tuple[ReportTable, ...]
    payback: PaybackChart
    targets: tuple[TargetRow, ...]
    notes: tuple[str, ...]
    """The case's own notes and warnings (those of every case are on the cover)."""


@dataclass(frozen=True)
class ReportContent:
    """The whole report, sections in order."""

    language: Language
    title: str
    subtitle: str
    as_of: dt.date
    cases_table: ReportTable
    status_table: ReportTable
    coverage_table: ReportTable
    warnings: tuple[str, ...]
    """Notes every case has (e.g. an as-of date past the data): said once, on the cover."""
    cases: tuple[CaseSection, ...]
    method_title: str
    method_notes: tuple[str, ...]
    method_notes_title: str
    """"Metodenoter": a paragraph per method, then ``solution_notes_table``."""
    method_paragraphs: tuple[str, ...]
    solution_notes_table: ReportTable


@dataclass(frozen=True)
class CheckNote:
    """One thing in a solution's data that can fool a method, as a sentence, and whether the
    estimate corrects for it (``handled``: "korrigeret" or "ikke korrigeret")."""

    text: str
    corrected: bool
    handled: str


@dataclass(frozen=True)
class SolutionNotes:
    """A solution's method notes: its checks and the methods' disagreements, in sentences."""

    case: str
    solution: str
    facts: str
    """Go-live and primary method: "Idriftsat 1.10.2023 · primær metode: kørselsdata"."""
    checks: tuple[CheckNote, ...]
    disagreements: tuple[str, ...]
    compared: bool
    """True when more than one method measured the solution (so they could disagree)."""


def build_report_content(
    overviews: Sequence[CaseOverview], *, language: Language = "da"
) -> ReportContent:
    """The report of ``overviews`` (one or more cases, all as of the same date)."""
    as_of = _common_as_of(overviews)

    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    return ReportContent(
        language=language,
        title=t("report.title"),
        subtitle=t("report.subtitle", date=format_day(as_of, language)),
        as_of=as_of,
        cases_table=_cases_table(overviews, language),
        status_table=_status_table(overviews, language),
        coverage_table=_coverage_table(merge_coverage(overviews), language),
        warnings=common_notes(overviews, language),
        cases=tuple(_case_section(o, language, overviews) for o in overviews),
        method_title=t("report.method"),
        method_notes=tuple(t(key) for key in METHOD_NOTE_KEYS),
        method_notes_title=t("report.method_notes"),
        method_paragraphs=tuple(method_paragraph(m, language) for m in METHODS),
        solution_notes_table=solution_notes_table(solution_notes(overviews, language), language),
    )


def _common_as_of(overviews: Sequence[CaseOverview]) -> dt.date:
    dates = {o.as_of for o in overviews}
    if len(dates) != 1:
        # One report states one as-of date on its cover; mixing dates would mislead.
        raise ValueError(f"a report needs one or more cases as of one date, got {sorted(dates)}")
    return dates.pop()


# --- Formats -----------------------------------------------------------------------------------


def format_tkr(value: Decimal, language: Language = "da") -> str:
    """KK style, to 0,1 at most and whole amounts without decimals: -1.989; 1.234,5; 926."""
    shown = value.quantize(_TKR_STEP)
    # Whole thousands as the case's tables write them, whatever decimals the value carries.
    shown = shown.quantize(Decimal(1)) if shown == shown.to_integral_value() else shown
    text = f"{shown + 0:,f}"  # + 0: no "-0"
    if language == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def cell_text(cell: Cell, language: Language) -> str:
    """The cell as the PDF and HTML show it; an en dash for no value, as the dashboard does."""
    value = cell.value
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return format_day(value, language)
    return _number_text(value, cell.kind, language)


def _number_text(value: int | float | Decimal, kind: CellKind, language: Language) -> str:
    if kind == "tkr":
        return format_tkr(Decimal(value), language)
    if kind == "aav":
        return format_number(float(value), 2, language)
    if kind == "pct":
        return f"{format_number(float(value), 1, language)} %"
    if kind == "year":
        return str(value)
    return format_int(int(value), language)


# --- The cover ---------------------------------------------------------------------------------


def _cases_table(overviews: Sequence[CaseOverview], language: Language) -> ReportTable:
    rows = tuple(
        ReportRow(
            (
                Cell(o.title),
                Cell(o.price_level_year, "year"),
                Cell(o.hours_per_aav, "int"),
                Cell(o.kroner_per_aav, "int"),
            )
        )
        for o in overviews
    )
    columns = ("report.col.case", "report.col.pl", "report.col.hours_per_aav",
               "report.col.kroner_per_aav")  # fmt: skip
    return _table("report.cases", columns, rows, language)


def _table(
    title_key: str, column_keys: tuple[str, ...], rows: tuple[ReportRow, ...], language: Language
) -> ReportTable:
    return ReportTable(
        translate(title_key, language), tuple(translate(k, language) for k in column_keys), rows
    )


def _status_table(overviews: Sequence[CaseOverview], language: Language) -> ReportTable:
    rows = tuple(
        ReportRow(
            (
                Cell(o.title),
                *(Cell(o.status_counts.get(s, 0), "int", status=s) for s in STATUSES),
            )
        )
        for o in overviews
    )
    columns = (
        translate("report.col.case", language),
        *(status_word(s, language) for s in STATUSES),
    )
    return ReportTable(translate("report.status_counts", language), columns, rows)


def status_word(status: Status, language: Language) -> str:
    """The status as the dashboard says it (``status.*`` in app/i18n.py)."""
    return translate(f"status.{status}", language)


def merge_coverage(overviews: Sequence[CaseOverview]) -> tuple[SourceCoverage, ...]:
    """One reach per source over the cases (they read the same data folder, so normally the
    same), in the order of the first case."""
    merged: dict[str, SourceCoverage] = {}
    for overview in overviews:
        for found in overview.coverage:
            known = merged.get(found.source)
            merged[found.source] = found if known is None else _wider(known, found)
    return tuple(merged.values())


def _wider(a: SourceCoverage, b: SourceCoverage) -> SourceCoverage:
    firsts = [d for d in (a.first, b.first) if d is not None]
    lasts = [d for d in (a.last, b.last) if d is not None]
    return SourceCoverage(
        a.source,
        min(firsts) if firsts else None,
        max(lasts) if lasts else None,
        max(a.rows, b.rows),
    )


def _coverage_table(coverage: Sequence[SourceCoverage], language: Language) -> ReportTable:
    keys = ("report.col.source", "report.col.first", "report.col.last", "report.col.rows")
    rows = tuple(
        ReportRow(
            (
                # The dashboard's names of the sources: one name on screen and paper.
                Cell(translate(f"cockpit.source.{c.source}", language)),
                _reach_cell(c.first, language),
                _reach_cell(c.last, language),
                Cell(c.rows, "int"),
            )
        )
        for c in coverage
    )
    return _table("report.coverage", keys, rows, language)


def _reach_cell(moment: dt.datetime | None, language: Language) -> Cell:
    if moment is None:
        return Cell(translate("report.no_data", language))
    return Cell(copenhagen_date(moment), "date")


def copenhagen_date(moment: dt.datetime) -> dt.date:
    """The Copenhagen date of a stored (UTC) time: the day people read it as."""
    return moment.astimezone(DISPLAY_ZONE).date() if moment.tzinfo else moment.date()


def common_notes(overviews: Sequence[CaseOverview], language: Language) -> tuple[str, ...]:
    """The notes of every case, once: the cases share the data folder, so a note such as "the
    as-of date is past the data" would otherwise stand once per case."""
    notes = [_notes(o, language) for o in overviews]
    return tuple(text for text in notes[0] if all(text in other for other in notes[1:]))


def _notes(overview: CaseOverview, language: Language) -> tuple[str, ...]:
    return tuple(dict.fromkeys(describe((note,), language) for note in overview.notes))


# --- One case ----------------------------------------------------------------------------------


def _case_section(
    overview: CaseOverview, language: Language, overviews: Sequence[CaseOverview]
) -> CaseSection:
    facts = translate(
        "report.case_facts",
        language,
        pl=overview.price_level_year,
        hours=format_int(int(overview.hours_per_aav), language),
        kroner=format_int(int(overview.kroner_per_aav), language),
    )
    return CaseSection(
        title=overview.title,
        facts=facts,
        key_figures=_key_figures(overview, language),
        tables=tuple(_case_table(table, overview, language) for table in overview.tables),
        payback=_payback(overview, language),
        targets=tuple(_target_row(t, language) for t in overview.followup.targets),
        notes=tuple(
            text
            for text in _notes(overview, language)
            if text not in common_notes(overviews, language)
        ),
    )


def _key_figures(overview: CaseOverview, language: Language) -> ReportTable:
    o = overview

    def row(key: str, budget: CellValue, measured: CellValue, kind: CellKind) -> ReportRow:
        label = translate(key, language, year=o.as_of.year)
        return ReportRow((Cell(label), Cell(budget, kind), Cell(measured, kind)))

    rows = (
        row("report.figure.this_year", o.expected_this_year_tkr, o.realised_this_year_tkr, "tkr"),
        row("report.figure.to_date_tkr", o.expected_to_date_tkr, o.realised_to_date_tkr, "tkr"),
        row("report.figure.to_date_aav", o.expected_to_date_aav, o.realised_to_date_aav, "aav"),
        row("report.figure.realisation", None, o.realisation_to_date_pct, "pct"),
        row("report.figure.payback", o.payback_budget_years, o.payback_forecast_years, "int"),
        row(
            "report.figure.break_even",
            o.break_even_budget_year,
            o.break_even_forecast_year,
            "year",
        ),
    )
    columns = ("", translate("report.col.budget", language),
               translate("report.col.measured", language))  # fmt: skip
    return ReportTable(translate("report.key_figures", language), columns, rows)


def _case_table(table: CaseTable, overview: CaseOverview, language: Language) -> ReportTable:
    """A KK table as ``kitflow case evaluate`` prints it: the unit and p/l over the labels,
    the styringsområde, one column per budget year, "–" for an empty cell."""
    unit = f"1.000 kr. {overview.price_level_year} p/l"
    years = tuple(str(y.year) for y in overview.years)
    return ReportTable(
        table.title,
        (unit, "Styringsomr.", *years),
        tuple(_case_row(row, len(years)) for row in table.rows),
    )


def _case_row(row: TableRow, year_count: int) -> ReportRow:
    if len(row.cells_tkr) != year_count:
        raise ValueError(f"row {row.label!r} has {len(row.cells_tkr)} cells for {year_count} years")
    cells = (Cell(row.label), Cell(row.styringsomraade or ""))
    amounts = tuple(Cell(value, "tkr") for value in row.cells_tkr)
    return ReportRow((*cells, *amounts), bold=row.role != "line")


def _payback(overview: CaseOverview, language: Language) -> PaybackChart:
    years = overview.years
    return PaybackChart(
        years=tuple(y.year for y in years),
        budget_tkr=tuple(y.cumulative_budget_tkr for y in years),
        forecast_tkr=tuple(y.cumulative_forecast_tkr for y in years),
        # A year after the as-of date is never realised, even with no forecast to draw in it.
        forecast=tuple(y.forecast or y.year > overview.as_of.year for y in years),
        break_even_budget_year=overview.break_even_budget_year,
        break_even_forecast_year=overview.break_even_forecast_year,
        axis_label=translate("report.chart.axis", language, pl=overview.price_level_year),
    )


def payback_table(chart: PaybackChart, language: Language) -> ReportTable:
    """The numbers behind the payback chart, one row per budget year."""
    keys = ("report.col.year", "report.col.cumulative_budget", "report.col.cumulative_forecast",
            "report.col.basis")  # fmt: skip
    basis = {True: "report.chart.forecast", False: "report.chart.realised"}
    rows = tuple(
        ReportRow(
            (
                Cell(year, "year"),
                Cell(budget, "tkr"),
                Cell(forecast, "tkr"),
                Cell(translate(basis[is_forecast], language)),
            )
        )
        for year, budget, forecast, is_forecast in zip(
            chart.years, chart.budget_tkr, chart.forecast_tkr, chart.forecast, strict=True
        )
    )
    return _table("report.payback", keys, rows, language)


def _target_row(target: TargetStatus, language: Language) -> TargetRow:
    return TargetRow(
        number=target.number,
        status=target.status,
        status_text=status_word(target.status, language),
        target=target.target,
        measure=target.measure,
        responsible=target.responsible,
        deadline_text=target.deadline_text,
        deadline=target.deadline,
        evidence=_evidence(target, language),
        judgements=_judgements(target, language),
    )


def _judgements(target: TargetStatus, language: Language) -> tuple[str, ...]:
    """ "Ultimo 2023: ikke nået" per deadline of a row with several; none for one deadline
    (its judgement is the row's status)."""
    if len(target.judgements) < 2:
        return ()
    return tuple(f"{j.deadline_text}: {status_word(j.status, language)}" for j in target.judgements)


def _evidence(target: TargetStatus, language: Language) -> str:
    """The evidence; for a row with several deadlines each deadline's own, as each was judged
    on the data up to it."""
    if len(target.judgements) < 2:
        return describe(target.evidence, language)
    return "\n\n".join(
        f"{j.deadline_text}: {describe(j.evidence, language) or '–'}" for j in target.judgements
    )


def targets_table(section: CaseSection, language: Language) -> ReportTable:
    """The case's targets, one column per field (the XLSX sheet's layout)."""
    keys = (
        "report.col.case", "report.col.number", "report.col.status", "report.col.target",
        "report.col.measure", "report.col.responsible", "report.col.deadline",
        "report.col.deadline_date", "report.col.evidence", "report.col.judgements",
    )  # fmt: skip
    rows = tuple(
        ReportRow(
            (
                Cell(section.title),
                Cell(t.number, "int"),
                Cell(t.status_text, status=t.status),
                Cell(t.target),
                Cell(t.measure),
                Cell(t.responsible),
                Cell(t.deadline_text),
                Cell(t.deadline, "date"),
                Cell(t.evidence),
                Cell("\n".join(t.judgements) or None),
            )
        )
        for t in section.targets
    )
    return _table("report.targets", keys, rows, language)


# --- Method notes ------------------------------------------------------------------------------


def method_name(method: Method, language: Language) -> str:
    """The method's name as a heading: "Kørselsdata", "Process mining"."""
    return capitalised(translate(f"method.{method}", language))


def method_paragraph(method: Method, language: Language) -> str:
    """The fixed paragraph on ``method``: what its figure is and how it is measured."""
    return f"{method_name(method, language)}: {translate(f'method.about.{method}', language)}"


def solution_notes(
    overviews: Sequence[CaseOverview], language: Language
) -> tuple[SolutionNotes, ...]:
    """Every case's solutions, in order, with their checks and disagreements in sentences."""
    return tuple(
        SolutionNotes(
            case=overview.title,
            solution=solution.name,
            facts=translate(
                "realisation.go_live",
                language,
                date=format_day(solution.go_live.date(), language),
                method=translate(
                    f"method.{solution.primary}" if solution.primary else "realisation.no_method",
                    language,
                ),
            ),
            checks=tuple(check_note(c, language) for c in solution.checks),
            disagreements=tuple(
                capitalised(describe_disagreement(d, language)) for d in solution.disagreements
            ),
            compared=sum(not e.monthly.is_empty() for e in solution.estimates) > 1,
        )
        for overview in overviews
        for solution in overview.followup.realisation.solutions
    )


def check_note(check: Check, language: Language) -> CheckNote:
    """The check's sentence (``describe_check``) and whether it is corrected for."""
    handled = translate("method.corrected" if check.corrected else "method.not_corrected", language)
    return CheckNote(capitalised(describe_check(check, language)), check.corrected, handled)


def capitalised(text: str) -> str:
    """A sentence from app/evidence.py (written to stand inside another) as a sentence."""
    return text[:1].upper() + text[1:]


def solution_notes_table(notes: Sequence[SolutionNotes], language: Language) -> ReportTable:
    """One row per check and per disagreement of each solution (a solution with neither: one
    row saying so)."""
    disagreement = translate("report.method_notes.disagreement", language)
    rows: list[ReportRow] = []
    for note in notes:

        def row(text: str, handled: str | None, note: SolutionNotes = note) -> ReportRow:
            return ReportRow((Cell(note.case), Cell(note.solution), Cell(text), Cell(handled)))

        rows += [row(c.text, c.handled) for c in note.checks]
        rows += [row(text, disagreement) for text in note.disagreements]
        if not note.checks and not note.disagreements:
            rows.append(row(translate("method.no_checks", language), None))
    keys = ("report.col.case", "report.col.solution", "report.col.note", "report.col.handled")
    return _table("report.method_notes.checks", keys, tuple(rows), language)
