"""The KIT DIR follow-up report (app/reports/, ``kitflow report followup``): PDF, XLSX and HTML.

The inputs are hand-made ``CaseOverview`` values with exact figures (plain frozen
dataclasses), so each test says which number must stand where and how it is written: the
PDF's text is read back with pypdf, the XLSX's cells with openpyxl, the HTML as text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from app.cli import cli
from app.formatting import format_number
from app.reports import render_followup_report
from app.reports.chart import Box, lay_out_payback, nice_ticks
from app.reports.content import build_report_content
from app.reports.followup_pdf import to_pdf_text
from models.business_case import CaseTable, TableRow
from models.errors import InputError
from models.followup import DeadlineJudgement, Fact, Number, Status, TargetStatus
from models.realisation import CaseRealisation
from services import CaseOverview, FollowUpReport, SourceCoverage, YearFigures
from tests.cli_support import run, runner
from tests.conftest import KitLandscape

AS_OF = dt.date(2024, 12, 31)
D = Decimal
CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
DANISH = {"met": "opfyldt", "on track": "på vej", "at risk": "i risiko", "missed": "ikke nået",
          "no data": "ingen data"}  # fmt: skip


# --- Hand-made overviews -----------------------------------------------------------------------


def _year(
    year: int, budget: str, realised: str | None, cumulative: tuple[str, str], *, forecast: bool
) -> YearFigures:
    return YearFigures(
        year=year,
        budget_savings_tkr=D(budget),
        budget_savings_aav=(D(budget) / D("663")).quantize(D("0.01")),
        realised_savings_tkr=None if realised is None else D(realised),
        realised_savings_aav=None if realised is None else (D(realised) / 663).quantize(D("0.01")),
        forecast_savings_tkr=None if realised is None else D(realised),
        forecast_savings_aav=None,
        realisation_pct=None,
        budget_costs_tkr=D("0"),
        actual_costs_tkr=None,
        cumulative_budget_tkr=D(cumulative[0]),
        cumulative_forecast_tkr=D(cumulative[1]),
        forecast=forecast,
    )


AUTOMATION_YEARS = (
    _year(2023, "229", "171.5", ("2871", "2928.5"), forecast=False),
    _year(2024, "697", "1234.5", ("4374", "3697"), forecast=False),
    _year(2025, "1989", None, ("4685", "2697"), forecast=True),
    _year(2026, "1989", None, ("2996", "497"), forecast=True),
    _year(2027, "1989", None, ("1307", "-1703"), forecast=True),
    _year(2028, "1989", None, ("-382", "-3903"), forecast=True),
)

TABEL_1 = CaseTable(
    "tabel_1",
    "Forslagets samlede økonomiske konsekvenser",
    (
        TableRow("Samlet varig ændring", "subtotal", "Service",
                 (D("-129"), D("-497"), D("-1689"), D("-1689"), D("-1689"), D("-1689"))),
        TableRow("Samlede implementeringsomkostninger", "subtotal", "Anlæg",
                 (D("3000"), D("2000"), D("2000"), None, None, None)),
        TableRow("Realiseret gevinst", "line", "Service",
                 (D("-171.5"), D("-1234.5"), None, None, None, None)),
        TableRow("Prognose", "line", "Service",
                 (None, None, D("-2200"), D("-2200"), D("-2200"), D("-2200"))),
        TableRow("Samlet økonomisk påvirkning", "total", None,
                 (D("2871"), D("1503"), D("311"), D("-1689"), D("-1689"), D("-1689"))),
    ),
)  # fmt: skip


def _target(number: int, status: Status, target: str, evidence: tuple[Fact, ...]) -> TargetStatus:
    return TargetStatus(
        number=number,
        target=target,
        measure=f"Måling {number}",
        responsible="Kontorchef i Forretningsudvikling",
        deadline_text="Ultimo 2024",
        deadline=dt.date(2024, 12, 31),
        metrics="realised_savings",
        solution=None,
        status=status,
        evidence=evidence,
    )


SAVINGS_FACT = Fact(
    "evidence.savings",
    {"year": "2024", "measured": Number(1234.5, 1), "method": "robot",
     "expected": Number(1051, 0), "pct": Number(117.46, 1), "threshold": Number(90, 0)},
)  # fmt: skip
AUTOMATION_TARGETS = (
    _target(1, "met", "Gevinsten er realiseret ≥ 90 %", (SAVINGS_FACT,)),
    _target(2, "on track", "Robotten bruges hver måned", ()),
    _target(3, "at risk", "+10 % flere sager automatiseret", ()),
    _target(4, "missed", "=SUM(A1:A9) er ikke en formel", (Fact("evidence.no_devops", {}),)),
    _target(5, "no data", "Journalisering er automatiseret", ()),
)

COVERAGE = (
    SourceCoverage(
        "servicenow",
        dt.datetime(2023, 1, 2, 7, 0, tzinfo=dt.UTC),
        # 23:30 UTC on 31 January is 1 February in Copenhagen: the report shows the local day.
        dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC),
        18_231,
    ),
    SourceCoverage("robots", None, None, 0),
)


def _overview(
    title: str,
    *,
    years: tuple[YearFigures, ...] = AUTOMATION_YEARS,
    targets: tuple[TargetStatus, ...] = AUTOMATION_TARGETS,
    tables: tuple[CaseTable, ...] = (TABEL_1,),
) -> CaseOverview:
    realisation = CaseRealisation(title, 2023, (), (), 6, 5, 2023)
    return CaseOverview(
        case_path=Path(f"data/business_cases/{title}.yaml"),
        title=title,
        price_level_year=2023,
        hours_per_aav=D("1924"),
        kroner_per_aav=D("663000"),
        as_of=AS_OF,
        years=years,
        expected_this_year_tkr=D("697"),
        realised_this_year_tkr=D("1234.5"),
        expected_to_date_tkr=D("926"),
        realised_to_date_tkr=D("1406"),
        expected_to_date_aav=D("1.40"),
        realised_to_date_aav=D("2.12"),
        realisation_to_date_pct=151.8,
        payback_budget_years=6,
        payback_forecast_years=5,
        break_even_budget_year=2028,
        break_even_forecast_year=2027,
        status_counts={"met": 1, "on track": 1, "at risk": 1, "missed": 1, "no data": 1},
        attention=(3, 4, 5),
        followup=FollowUpReport(realisation, targets, AS_OF),
        tables=tables,
        coverage=COVERAGE,
        notes=(Fact("evidence.no_devops", {}),),
    )


def automation() -> CaseOverview:
    """A case over 2023-2028, paid back in 2028 as budgeted and in 2027 as measured."""
    return _overview("Nye automatiseringsløsninger i Koncern IT")


def task_management() -> CaseOverview:
    """A second, shorter case: never paid back within its budget years."""
    years = (
        _year(2023, "0", "0", ("1000", "1000"), forecast=False),
        _year(2024, "663", "331.5", ("337", "668.5"), forecast=False),
        _year(2025, "663", None, ("-326", "337"), forecast=True),
    )
    table = CaseTable(
        "tabel_1",
        "Forslagets samlede økonomiske konsekvenser",
        (
            TableRow(
                "Samlet økonomisk påvirkning", "total", None, (D("1000"), D("-663"), D("-663"))
            ),
        ),
    )
    target = _target(1, "missed", "Fald i overleveringer på tværs af KIT", ())
    overview = _overview(
        "Tværgående opgavestyring", years=years, targets=(target,), tables=(table,)
    )
    return replace(overview, break_even_budget_year=2025, break_even_forecast_year=None,
                   payback_budget_years=3, payback_forecast_years=None)  # fmt: skip


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _lines(text: str) -> list[str]:
    return text.splitlines()


# --- PDF ---------------------------------------------------------------------------------------


def test_the_pdf_cover_states_the_case_the_as_of_date_the_price_level_and_the_data_reach() -> None:
    pages = PdfReader(io.BytesIO(render_followup_report([automation()], report_format="pdf")))
    cover = _lines(pages.pages[0].extract_text())
    assert cover[:2] == [
        "Opfølgning til KIT DIR",
        "Gevinstrealisering og opfølgningsmål pr. 31.12.2024",
    ]
    assert "Nye automatiseringsløsninger i Koncern IT 2023 1.924 663.000" in cover
    assert "Nye automatiseringsløsninger i Koncern IT 1 1 1 1 1" in cover
    # Copenhagen days: the last ServiceNow time, 23:30 UTC on 31 January, is 1 February.
    assert "ServiceNow 2.1.2023 1.2.2025 18.231" in cover
    assert "Kørselsdata ingen data ingen data 0" in cover
    assert "ingen Azure DevOps-data" in cover
    assert cover[-1] == "KIT Flow · opfølgning pr. 31.12.2024 · side 1"


def test_the_pdf_holds_the_key_figures_and_tabel_1_in_danish_number_format() -> None:
    lines = _lines(_pdf_text(render_followup_report([automation()], report_format="pdf")))
    for expected in (
        "Gevinst 2024, 1.000 kr. 697 1.234,5",
        "Gevinst til dato, 1.000 kr. 926 1.406",
        "Gevinst til dato, ÅV 1,40 2,12",
        "Realisering til dato – 151,8 %",
        "Tilbagebetalingstid, år 6 5",
        "Tilbagebetalt i året 2028 2027",
        "1.000 kr. 2023 p/l Styringsomr. 2023 2024 2025 2026 2027 2028",
        "Samlet varig ændring Service -129 -497 -1.689 -1.689 -1.689 -1.689",
        "Samlede implementeringsomkostninger Anlæg 3.000 2.000 2.000 – – –",
        "Realiseret gevinst Service -171,5 -1.234,5 – – – –",
        "Samlet økonomisk påvirkning 2.871 1.503 311 -1.689 -1.689 -1.689",
    ):
        assert expected in lines


def test_the_pdf_lists_each_target_with_its_status_word_evidence_and_responsible() -> None:
    text = _pdf_text(render_followup_report([automation()], report_format="pdf"))
    lines = _lines(text)
    assert [line for line in lines if line[:2] in {"1 ", "2 ", "3 ", "4 ", "5 "}] == [
        "1 opfyldt Gevinsten er realiseret >= 90 %",  # "≥" is outside the PDF font's characters
        "2 på vej Robotten bruges hver måned",
        "3 i risiko +10 % flere sager automatiseret",
        "4 ikke nået =SUM(A1:A9) er ikke en formel",
        "5 ingen data Journalisering er automatiseret",
    ]
    evidence = (
        "2024: 1.234,5 timer målt (kørselsdata) mod 1.051 timer forventet = 117,5 % (krav 90 %)"
    )
    assert evidence in " ".join(text.split())  # wrapped in its cell
    assert lines.count("Kontorchef i") == 5
    assert lines.count("Frist: Ultimo 2024") == 5
    assert "Sådan måles gevinsterne" in lines


def test_the_payback_chart_is_drawn_with_its_axis_years_and_break_even_years() -> None:
    lines = _lines(_pdf_text(render_followup_report([automation()], report_format="pdf")))
    start = lines.index(
        "Akkumuleret nettogevinst, 1.000 kr. 2023 p/l (over 0 = investeringen er tjent hjem)"
    )
    assert lines[start + 1 : start + 12] == [
        "-6.000", "-4.000", "-2.000", "0", "2.000", "4.000", "6.000",
        "2023 2024 2025 2026 2027 2028", "2028", "2027", "Budget (casen) Realiseret Prognose",
    ]  # fmt: skip


def test_all_cases_make_one_report_with_a_section_per_case() -> None:
    text = _pdf_text(render_followup_report([automation(), task_management()], report_format="pdf"))
    lines = _lines(text)
    assert "Tværgående opgavestyring 1 1 1 1 1" in lines
    assert lines.count("Nye automatiseringsløsninger i Koncern IT") == 1  # its section's heading
    assert lines.count("Tværgående opgavestyring") == 1
    assert "Samlet økonomisk påvirkning 1.000 -663 -663" in lines
    assert "Tilbagebetalt i året 2025 –" in lines
    assert "1 ikke nået Fald i overleveringer på tværs af KIT" in lines


def test_a_row_with_two_deadlines_shows_its_judgement_and_evidence_at_each() -> None:
    judgements = (
        DeadlineJudgement(dt.date(2023, 12, 31), "Ultimo 2023", "missed",
                          (Fact("evidence.no_devops", {}),)),
        DeadlineJudgement(dt.date(2024, 12, 31), "Ultimo 2024", "met", (SAVINGS_FACT,)),
    )  # fmt: skip
    target = replace(
        _target(1, "met", "Ny praksis er implementeret", (SAVINGS_FACT,)),
        deadline_text="Ultimo 2023 og ultimo 2024",
        judgements=judgements,
    )
    overview = _overview("Tværgående opgavestyring", targets=(target,))
    text = _pdf_text(render_followup_report([overview], report_format="pdf"))
    # The row's cells one after the other (each wrapped in its column).
    assert (
        "1 opfyldt Ultimo 2023: ikke nået Ultimo 2024: opfyldt Ny praksis er implementeret "
        "Måles: Måling 1 Kontorchef i Forretningsudvikling Frist: Ultimo 2023 og ultimo 2024 "
        "Ultimo 2023: ingen Azure DevOps-data Ultimo 2024: 2024: 1.234,5 timer målt "
        "(kørselsdata) mod 1.051 timer forventet = 117,5 % (krav 90 %)"
    ) in " ".join(text.split())
    sheet = _workbook(overview)["Opfølgning"]
    assert _row(sheet, "Tværgående opgavestyring")[8:] == (
        "Ultimo 2023: ingen Azure DevOps-data\n\nUltimo 2024: 2024: 1.234,5 timer målt "
        "(kørselsdata) mod 1.051 timer forventet = 117,5 % (krav 90 %)",
        "Ultimo 2023: ikke nået\nUltimo 2024: opfyldt",
    )


def test_the_report_in_english_has_english_texts_and_number_format() -> None:
    data = render_followup_report([automation()], report_format="pdf", language="en")
    lines = _lines(_pdf_text(data))
    assert lines[:2] == [
        "Follow-up report to KIT DIR",
        "Benefit realisation and follow-up targets as of 31 Dec 2024",
    ]
    assert "Savings 2024, DKK 1,000 697 1,234.5" in lines
    assert "1 met Gevinsten er realiseret >= 90 %" in lines


def test_cases_as_of_different_dates_make_no_report() -> None:
    later = replace(task_management(), as_of=dt.date(2025, 1, 31))
    with pytest.raises(ValueError, match="one date"):
        render_followup_report([automation(), later], report_format="pdf")


def test_signs_outside_the_pdf_font_are_written_in_ascii() -> None:
    assert to_pdf_text("≥ 90 % – A → B · æøå ÆØÅ é ✓") == ">= 90 % – A -> B · æøå ÆØÅ é ?"


# --- XLSX --------------------------------------------------------------------------------------


def _workbook(*overviews: CaseOverview) -> openpyxl.Workbook:
    data = render_followup_report(list(overviews), report_format="xlsx")
    return openpyxl.load_workbook(io.BytesIO(data))


def _row(sheet: Any, first: object) -> tuple[Any, ...]:
    """The values of the sheet's first row whose first cell is ``first``, without the empty
    cells after its last value (the sheet's rows are as wide as its widest)."""
    row = list(next(r for r in sheet.iter_rows(values_only=True) if r[0] == first))
    while row and row[-1] is None:
        row.pop()
    return tuple(row)


def test_the_workbook_has_one_sheet_per_table() -> None:
    assert _workbook(automation(), task_management()).sheetnames == [
        "Oversigt", "Tabel 1", "Tabel 1 (2)", "Tilbagebetaling", "Opfølgning", "Datagrundlag",
        "Metode",
    ]  # fmt: skip


def test_the_workbook_holds_numbers_as_numbers_with_danish_looking_formats() -> None:
    book = _workbook(automation())
    overview = book["Oversigt"]
    assert _row(overview, "Nye automatiseringsløsninger i Koncern IT")[:4] == (
        "Nye automatiseringsløsninger i Koncern IT", 2023, 1924, 663000,
    )  # fmt: skip
    assert _row(overview, "Gevinst 2024, 1.000 kr.") == ("Gevinst 2024, 1.000 kr.", 697, 1234.5)
    assert _row(overview, "Gevinst til dato, ÅV") == ("Gevinst til dato, ÅV", 1.4, 2.12)
    assert _row(overview, "Realisering til dato") == ("Realisering til dato", None, 151.8)
    formats = {
        c.value: c.number_format for row in overview.iter_rows() for c in row[1:2] if c.value
    }
    assert formats[697] == "#,##0.0"
    assert formats[1.4] == "#,##0.00"
    tabel_1 = book["Tabel 1"]
    assert _row(tabel_1, "Realiseret gevinst") == (
        "Realiseret gevinst", "Service", -171.5, -1234.5,
    )  # fmt: skip
    total = _row(tabel_1, "Samlet økonomisk påvirkning")
    assert total[2:] == (2871, 1503, 311, -1689, -1689, -1689)
    assert _row(book["Tilbagebetaling"], 2027) == (2027, 1307, -1703, "Prognose")


def test_the_workbook_holds_dates_as_dates() -> None:
    book = _workbook(automation())
    assert _row(book["Datagrundlag"], "ServiceNow") == (
        "ServiceNow", dt.datetime(2023, 1, 2), dt.datetime(2025, 2, 1), 18231,
    )  # fmt: skip
    first_target = _row(book["Opfølgning"], "Nye automatiseringsløsninger i Koncern IT")
    assert first_target[1:3] == (1, "opfyldt")
    assert first_target[6:8] == ("Ultimo 2024", dt.datetime(2024, 12, 31))
    deadline = next(c for c in book["Opfølgning"]["H"] if isinstance(c.value, dt.datetime))
    assert deadline.number_format == "d.m.yyyy"


def test_texts_that_excel_would_run_as_formulas_are_escaped() -> None:
    sheet = _workbook(automation())["Opfølgning"]
    targets = {row[1]: row[3] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert targets[3] == "'+10 % flere sager automatiseret"
    assert targets[4] == "'=SUM(A1:A9) er ikke en formel"
    assert targets[1] == "Gevinsten er realiseret ≥ 90 %"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- HTML --------------------------------------------------------------------------------------


def test_the_html_is_one_file_with_the_same_figures() -> None:
    page = render_followup_report([automation()], report_format="html").decode("utf-8")
    for expected in (
        "<h1>Opfølgning til KIT DIR</h1>",
        "Gevinstrealisering og opfølgningsmål pr. 31.12.2024",
        '<td class="num">1.234,5</td>',
        '<td class="num">151,8 %</td>',
        '<td class="num">-1.689</td>',
        '<td class="num">1.2.2025</td>',
        "Gevinsten er realiseret ≥ 90 %",
        "=SUM(A1:A9) er ikke en formel",
        "2024: 1.234,5 timer målt (kørselsdata) mod 1.051 timer forventet = 117,5 % (krav 90 %)",
        "<svg ",
    ):
        assert expected in page
    for word in ("opfyldt", "på vej", "i risiko", "ikke nået", "ingen data"):
        assert f">{word}</td>" in page
    # Self-contained: nothing is fetched when it opens.
    assert not re.search(r"""(src|href)=|url\(|@import|<script""", page)


def test_the_html_escapes_the_cases_texts() -> None:
    target = _target(1, "met", "<b>fed</b> & klar", ())
    page = render_followup_report(
        [_overview("Sag <1>", targets=(target,))], report_format="html"
    ).decode("utf-8")
    assert "&lt;b&gt;fed&lt;/b&gt; &amp; klar" in page
    assert "<h2>Sag &lt;1&gt;</h2>" in page


# --- The chart's geometry ----------------------------------------------------------------------


def test_axis_values_are_round_and_cover_the_curves() -> None:
    assert nice_ticks(-3903.0, 4685.0) == [-4000.0, -2000.0, 0.0, 2000.0, 4000.0, 6000.0]
    assert nice_ticks(0.0, 0.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_the_curves_show_gains_upwards_and_mark_each_break_even_year() -> None:
    content = build_report_content([automation()])
    layout = lay_out_payback(content.cases[0].payback, Box(0, 0, 600, 100), "da")
    budget, realised, forecast = layout.lines
    # 6 years over 600 units: each year in the middle of its 100; 6.000 at the top, -6.000 at
    # the bottom (the curves' -4.685 to 3.903 and some headroom, in round steps).
    assert budget.points[0] == (50.0, 100 * (6000 + 2871) / 12000)
    assert [x for x, _ in realised.points] == [50.0, 150.0]
    assert [x for x, _ in forecast.points] == [150.0, 250.0, 350.0, 450.0, 550.0]
    assert layout.zero_y == 50.0
    assert [(m.label, m.centre[0]) for m in layout.markers] == [("2028", 550.0), ("2027", 450.0)]


# --- The command -------------------------------------------------------------------------------


def refused(*args: str) -> str:
    """Run ``kitflow ARGS``, which must stop with an InputError; returns its message."""
    result = runner.invoke(cli, list(args))
    assert isinstance(result.exception, InputError), (result.output, result.exception)
    return str(result.exception)


def test_the_command_refuses_an_out_inside_the_data_folder(data_dir: Path) -> None:
    for force in ((), ("--force",)):  # whatever the flags
        message = refused(
            "report", "followup", "--all", "--format", "pdf",
            "--out", str(data_dir / "rapport.pdf"), *force,
        )  # fmt: skip
        assert "lies inside the data folder" in message
    assert not (data_dir / "rapport.pdf").exists()


def test_the_command_refuses_an_existing_file_without_force(data_dir: Path, tmp_path: Path) -> None:
    existing = tmp_path / "rapport.pdf"
    existing.write_text("the last meeting's report")
    message = refused("report", "followup", "--all", "--format", "pdf", "--out", str(existing))
    assert "exists: add --force to overwrite it" in message
    assert existing.read_text() == "the last meeting's report"


def test_the_command_wants_one_case_or_all_and_a_known_format(
    data_dir: Path, tmp_path: Path
) -> None:
    out = str(tmp_path / "rapport.pdf")
    case = str(CASES / "automation-solutions.yaml")
    expected = "Give --case FILE (one case) or --all (every case in one report)."
    assert refused("report", "followup", "--format", "pdf", "--out", out) == expected
    assert refused("report", "followup", "--all", "--case", case, "--format", "pdf",
                   "--out", out) == expected  # fmt: skip
    message = refused("report", "followup", "--all", "--format", "docx", "--out", out)
    assert message == "--format 'docx' is not one of pdf|xlsx|html."
    message = refused("report", "followup", "--all", "--format", "pdf", "--out", out,
                      "--as-of", "31.12.2024")  # fmt: skip
    assert message == "--as-of '31.12.2024' is not a date. Fix: write it as 2024-12-31."


def test_the_report_has_the_figures_of_kitflow_followup_on_the_landscape(
    kit_landscape: KitLandscape, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(kit_landscape.data_dir))
    case = CASES / "automation-solutions.yaml"
    followup = json.loads(run("followup", "--case", str(case), "--as-of", "2024-12-31", "--json"))
    args = ("report", "followup", "--case", str(case), "--as-of", "2024-12-31")
    run(*args, "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    run(*args, "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    lines = _lines(_pdf_text((tmp_path / "r.pdf").read_bytes()))
    assert "Gevinstrealisering og opfølgningsmål pr. 31.12.2024" in lines
    statuses = [f"{t['number']} {DANISH[t['status']]} " for t in followup["targets"]]
    assert [next(line for line in lines if line.startswith(s)) for s in statuses]
    # The year's realised savings: the primary method's hours of every solution in 2024, in
    # 1.000 kr. by the case's ÅV (hours are to 0,1 h in the JSON: the krone amount is to 0,1).
    savings = followup["savings"]
    hours = sum(
        y["primary_hours"] or 0.0
        for s in savings["solutions"]
        for y in s["years"]
        if y["year"] == 2024
    )
    tkr = hours / savings["hours_per_aarsvaerk"] * savings["kroner_per_aarsvaerk"] / 1000
    key_figure = next(line for line in lines if line.startswith("Gevinst 2024, 1.000 kr. "))
    assert key_figure == f"Gevinst 2024, 1.000 kr. 697 {format_number(tkr, 1)}"
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert _row(book["Oversigt"], "Gevinst 2024, 1.000 kr.") == (
        "Gevinst 2024, 1.000 kr.", 697, pytest.approx(tkr, abs=0.05),
    )  # fmt: skip
