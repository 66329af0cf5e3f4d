"""The directors' pages (Overblik, Gevinstrealisering, Opfølgning) without a browser: number
and date formats, figures, tables and layouts from hand-made ``CaseOverview`` values whose
every figure is known, read back from the components."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from app.dashboard import ids
from app.dashboard.cockpit_data import CockpitView, parse_as_of
from app.dashboard.components import note
from app.dashboard.data import Cockpit
from app.dashboard.pages import followup, overview, realisation
from app.dashboard.spreadsheet import build_workbook
from app.figures.amounts import aav_cell, band_cell, pct_cell, tkr_cell
from app.figures.cockpit_charts import build_cumulative_figure, build_yearly_figure
from app.figures.cockpit_tables import (
    AreaUsage,
    build_case_tables,
    build_followup_table,
    build_key_figures,
    build_method_table,
    build_usage_table,
)
from app.figures.dates import format_day, format_month
from app.figures.tables import Amount, Column, TableData, cell_text
from models.benefits import Method
from models.business_case import CaseTable, TableRow
from models.followup import DeadlineJudgement, Fact, Status, TargetStatus
from models.realisation import CaseRealisation, MethodYear, SolutionRealisation, SolutionYear
from services.cockpit import CaseOverview, SourceCoverage, YearFigures
from services.followup import FollowUpReport
from tests.test_dashboard import by_id, has_id, table_rows, text, walk


def test_dates_read_as_a_dane_writes_them() -> None:
    assert format_day(dt.date(2026, 12, 4), "da") == "4.12.2026"
    assert format_day(dt.date(2026, 12, 4), "en") == "4 Dec 2026"
    assert format_month(dt.date(2024, 12, 1), "da") == "december 2024"
    assert format_month(dt.date(2024, 3, 1), "en") == "March 2024"
    assert format_day(None, "da") == "–"


def test_amounts_keep_their_value_and_show_the_language_format() -> None:
    assert tkr_cell(Decimal(14673), "da") == Amount(14673.0, "14.673")
    assert tkr_cell(14673, "en").text == "14,673"
    # A measured amount keeps the hundred kroner it is measured in, as the report shows it.
    assert tkr_cell(Decimal("-24.8"), "da") == Amount(-24.8, "-24,8", 1)
    assert tkr_cell(-0.04, "da").text == "0"
    assert aav_cell(2.345, "da") == Amount(2.345, "2,3", 1)
    assert pct_cell(86.4, "da") == Amount(86.4, "86 %", 0, unit="%")
    assert pct_cell(None, "da") == Amount(None, "–")
    assert band_cell(1234.4, 1100.2, 1300.0, "da").text == "1.234 (1.100–1.300)"
    assert band_cell(99.6, 99.8, 100.1, "da").text == "100"


# --- a hand-made case whose every figure is known ---------------------------------------------

AS_OF = dt.date(2025, 12, 31)
TITLE = "Nye automatiseringsløsninger i Koncern IT"
LONG_TARGET = (
    "Arbejdsgange i proces for Automatisering af ledelsestilsyn er optimeret og klargjort til "
    "implementering. Medarbejderne ved hvordan de skal arbejde og det er med løsningen sikret, "
    "at de kan arbejde på denne måde."
)


def _year(year: int, budget: str, realised: str | None, forecast: str, **rest: Any) -> YearFigures:
    """A budget year: savings in 1.000 kr. as text (exact), the rest as given."""
    return YearFigures(
        year=year,
        budget_savings_tkr=Decimal(budget),
        budget_savings_aav=Decimal(rest.get("budget_aav", "3.00")),
        realised_savings_tkr=None if realised is None else Decimal(realised),
        realised_savings_aav=None if realised is None else Decimal(rest.get("aav", "1.00")),
        forecast_savings_tkr=Decimal(forecast),
        forecast_savings_aav=Decimal("2.78"),
        realisation_pct=rest.get("pct"),
        budget_costs_tkr=Decimal(rest["costs"]),
        actual_costs_tkr=None if rest.get("actual") is None else Decimal(rest["actual"]),
        cumulative_budget_tkr=Decimal(rest["cum_budget"]),
        cumulative_forecast_tkr=Decimal(rest["cum_forecast"]),
        forecast=realised is None,
    )


YEARS = (
    _year(2024, "697", "702.3", "702.3", pct=100.76, costs="2200", actual="2150",
          cum_budget="1503", cum_forecast="1447.7"),
    _year(2025, "1989", "1834.6", "1834.6", pct=92.24, costs="2300",
          cum_budget="1814", cum_forecast="1912.1"),
    _year(2026, "1989", None, "1840", costs="300", cum_budget="125", cum_forecast="372.1"),
    _year(2027, "1989", None, "1840", costs="300", cum_budget="-1564", cum_forecast="172.1"),
    _year(2028, "1989", None, "1840", costs="300", cum_budget="-3253", cum_forecast="-1367.9"),
)  # fmt: skip

TABEL_1 = CaseTable(
    "tabel_1",
    "Forslagets samlede økonomiske konsekvenser",
    (
        TableRow("Tidsbesparelse på administrative opgaver", "line", "Service",
                 tuple(Decimal(v) for v in ("-697", "-1989", "-1989", "-1989", "-1989"))),
        TableRow("Intern udvikling af RPA/RDA/anden teknologi", "line", "Anlæg",
                 (Decimal(1500), Decimal(1500), None, None, None)),
        TableRow("Varig effektivisering, realiseret", "line", None,
                 (Decimal("-702.3"), Decimal("-1834.6"), None, None, None)),
        TableRow("Akkumuleret, totaløkonomi", "total", None,
                 tuple(Decimal(v) for v in ("1503", "1814", "125", "-1564", "-3253"))),
    ),
)  # fmt: skip

METHODS_2024: dict[Method, MethodYear] = {
    "robot": MethodYear(1048.0, 1048.0, 1048.0),
    "time_registration": MethodYear(1020.4, 940.2, 1101.9),
    "process_mining": MethodYear(998.0, 870.0, 1130.0),
}
SOLUTION = SolutionRealisation(
    name="Automatisering af ledelsestilsyn",
    go_live=dt.datetime(2023, 10, 1, tzinfo=dt.UTC),
    estimates=(),
    primary="robot",
    years=(
        SolutionYear(2022, 0.0, {}, None, None),
        SolutionYear(2023, 332.0, {"robot": MethodYear(0.0, 0.0, 0.0)}, 0.0, 0.0),
        SolutionYear(2024, 1011.0, METHODS_2024, 1048.0, 103.66),
        SolutionYear(2025, 2886.0, {}, None, None),
    ),
    run_rate_hours_per_month=88.0,
    last_month=dt.date(2025, 12, 1),
    disagreements=(),
)


def _target(
    number: int, status: Status, target: str, responsible: str, **rest: Any
) -> TargetStatus:
    return TargetStatus(
        number, target, "aflæses i kørselsdata", responsible, rest["deadline_text"],
        rest.get("deadline"), None, None, status, rest.get("evidence", ()),
        rest.get("judgements", ()),
    )  # fmt: skip


FU = "Forretningsudvikling, Koncern IT"
KONTORCHEF = "Kontorchef i Forretningsudvikling"
TARGETS = (
    _target(1, "met", LONG_TARGET, FU, deadline_text="Udgangen af 2024",
            deadline=dt.date(2024, 12, 31),
            evidence=(Fact("evidence.first_use",
                           {"process": "KIT_Ledelsestilsyn", "month": "2023-10"}),)),
    _target(2, "missed", "Automatiseringsløsning for indsigtsanmodninger er i drift.", FU,
            deadline_text="Udgangen af 2025", deadline=dt.date(2025, 12, 31),
            evidence=(Fact("evidence.no_transactions",
                           {"process": "KIT_Indsigt", "date": "31.12.2025"}),)),
    _target(3, "at risk", "Ny tværgående praksis er implementeret", KONTORCHEF,
            deadline_text="Ultimo 2023 og ultimo 2024", deadline=dt.date(2024, 12, 31),
            judgements=(
                DeadlineJudgement(dt.date(2023, 12, 31), "Ultimo 2023", "met",
                                  (Fact("evidence.no_devops", {}),)),
                DeadlineJudgement(dt.date(2024, 12, 31), "Ultimo 2024", "at risk",
                                  (Fact("evidence.no_links", {}),)),
            )),
    _target(4, "no data", "Gevinsten er realiseret", FU, deadline_text="Løbende"),
)  # fmt: skip

COVERAGE = (
    SourceCoverage("servicenow", dt.datetime(2023, 1, 2, 7, 41, tzinfo=dt.UTC),
                   dt.datetime(2025, 12, 31, 22, 30, tzinfo=dt.UTC), 17065),
    SourceCoverage("azure-devops", dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
                   dt.datetime(2025, 10, 15, 9, 0, tzinfo=dt.UTC), 6215),
    SourceCoverage("time-registration", None, None, 0),
    SourceCoverage("robots", dt.datetime(2023, 10, 3, 10, 6, tzinfo=dt.UTC),
                   dt.datetime(2025, 12, 31, 12, 0, tzinfo=dt.UTC), 3230),
)  # fmt: skip


def make_overview(**changes: Any) -> CaseOverview:
    """The automation case as of 31.12.2025 (every figure above), with ``changes``."""
    realisation = CaseRealisation(TITLE, 2023, (SOLUTION,), (), 4, 5, 2024)
    overview = CaseOverview(
        case_path=Path("/cases/automation-solutions.yaml"),
        title=TITLE,
        price_level_year=2023,
        hours_per_aav=Decimal(1924),
        kroner_per_aav=Decimal(663000),
        as_of=AS_OF,
        years=YEARS,
        expected_this_year_tkr=Decimal(1989),
        realised_this_year_tkr=Decimal("1834.6"),
        expected_to_date_tkr=Decimal(2686),
        realised_to_date_tkr=Decimal("2536.9"),
        expected_to_date_aav=Decimal("4.06"),
        realised_to_date_aav=Decimal("3.83"),
        realisation_to_date_pct=94.45,
        payback_budget_years=4,
        payback_forecast_years=5,
        break_even_budget_year=2027,
        break_even_forecast_year=2028,
        status_counts={"met": 1, "on track": 0, "at risk": 1, "missed": 1, "no data": 1},
        attention=(2, 3, 4),
        followup=FollowUpReport(realisation, TARGETS, AS_OF),
        tables=(TABEL_1,),
        coverage=COVERAGE,
        notes=(Fact("evidence.no_devops", {}),),
    )
    return replace(overview, **changes)


def second_case() -> CaseOverview:
    """A second case with one target met, a note of its own and the shared one."""
    return make_overview(
        case_path=Path("/cases/cross-cutting-task-management.yaml"),
        title="Optimering af tværgående opgavestyring i Koncern IT",
        status_counts={"met": 1},
        attention=(),
        followup=FollowUpReport(make_overview().followup.realisation, TARGETS[:1], AS_OF),
        notes=(Fact("evidence.no_devops", {}), Fact("evidence.no_orders", {})),
    )


def view_of(*overviews: CaseOverview) -> CockpitView:
    return CockpitView(Cockpit(overviews, AS_OF, COVERAGE))


# --- tables -----------------------------------------------------------------------------------


def test_key_figures_set_the_promise_against_the_delivery() -> None:
    table = build_key_figures(make_overview(), "da")
    assert table.texts("measure") == [
        "Gevinst 2025, 1.000 kr.",
        "Gevinst til dato, 1.000 kr.",
        "Gevinst til dato, ÅV",
        "Realisering til dato",
        "Tilbagebetalingstid (realiseret: målt og prognose)",
    ]
    assert table.texts("case") == ["1.989", "2.686", "4,1", "", "4 år (2027)"]
    assert table.texts("realised") == ["1.834,6", "2.536,9", "3,8", "94 %", "5 år (2028)"]
    english = build_key_figures(make_overview(payback_forecast_years=None), "en")
    assert english.texts("realised") == [
        "1,834.6", "2,536.9", "3.8", "94 %", "not within the budget years",
    ]  # fmt: skip


def test_tabel_1_keeps_copenhagens_layout_and_sign() -> None:
    (table,) = build_case_tables(make_overview(), "da")
    assert [c.label for c in table.columns] == [
        "1.000 kr.", "2024", "2025", "2026", "2027", "2028",
    ]  # fmt: skip
    assert [table.texts(str(y))[0] for y in range(2024, 2029)] == ["-697", "-1.989"] + [
        "-1.989"
    ] * 3
    assert table.texts("2026")[1] == "-"
    assert table.texts("2025")[2] == "-1.834,6"
    assert table.row_classes == ("kf-row-line",) * 3 + ("kf-row-total",)


def test_each_method_side_by_side_with_its_band() -> None:
    table = build_method_table(SOLUTION, "da")
    # 2022 expects nothing and measured nothing; 2023 expected savings and measured none.
    assert table.texts("year") == ["2023", "2024", "2025"]
    assert table.texts("robot") == ["0", "1.048", "–"]
    assert table.texts("time_registration") == ["–", "1.020 (940–1.102)", "–"]
    assert table.texts("process_mining") == ["–", "998 (870–1.130)", "–"]
    assert table.texts("realisation") == ["0 %", "104 %", "–"]
    assert table.texts("expected") == ["332", "1.011", "2.886"]


def test_the_followup_table_keeps_every_word_and_each_deadlines_status() -> None:
    table = build_followup_table(TARGETS, "da")
    assert table.texts("target")[0] == LONG_TARGET
    assert table.texts("status") == ["opfyldt", "ikke nået", "i risiko", "ingen data"]
    assert [cell.tone for cell in table.column("status")] == [  # type: ignore[union-attr]
        "good", "bad", "warning", "neutral",
    ]  # fmt: skip
    assert table.texts("deadline") == [
        "Udgangen af 2024 (31.12.2024)",
        "Udgangen af 2025 (31.12.2025)",
        "Ultimo 2023 (31.12.2023): opfyldt; Ultimo 2024 (31.12.2024): i risiko",
        "Løbende",
    ]
    assert table.texts("evidence")[0] == "KIT_Ledelsestilsyn: første transaktion 2023-10"
    assert table.texts("evidence")[2] == (
        "Ultimo 2023: ingen Azure DevOps-data\n"
        "Ultimo 2024: ingen koblinger mellem bestillinger og DevOps (kør kitflow landscape link)"
    )
    assert table.texts("responsible") == [FU, FU, KONTORCHEF, FU]


def test_usage_never_shows_a_group_below_five_people() -> None:
    usage = (
        AreaUsage("Assistent", "Applikationer", 4),
        AreaUsage("Assistent", "Servicedesk", 30),
        AreaUsage("Assistent", "Sikkerhed", 5),
    )
    table = build_usage_table(["Ledelsestilsyn", "Assistent"], usage, "da")
    rows = [(r["solution"], r["area"], cell_text(r["users"])) for r in table.rows]
    assert rows == [
        ("Ledelsestilsyn", "–", "ingen fundet i kørselsdata"),
        ("Assistent", "Applikationer", "under 5"),
        ("Assistent", "Servicedesk", "30"),
        ("Assistent", "Sikkerhed", "5"),
    ]
    withheld = table.rows[1]["users"]
    assert isinstance(withheld, Amount) and withheld.value is None


# --- charts -----------------------------------------------------------------------------------


def test_the_cumulative_curve_shows_the_net_gain_and_marks_each_break_even() -> None:
    figure = build_cumulative_figure(make_overview(), "da")
    budget, realised, forecast, budget_mark, forecast_mark = figure.data
    assert list(budget.x) == [2024, 2025, 2026, 2027, 2028]
    assert list(budget.y) == [-1503.0, -1814.0, -125.0, 1564.0, 3253.0]
    assert (list(realised.x), list(realised.y)) == ([2024, 2025], [-1447.7, -1912.1])
    # The forecast starts where the realised line ends.
    assert list(forecast.x) == [2025, 2026, 2027, 2028]
    assert list(forecast.y) == [-1912.1, -372.1, -172.1, 1367.9]
    assert (list(budget_mark.x), list(budget_mark.y), budget_mark.text) == (
        [2027], [1564.0], ("2027",),
    )  # fmt: skip
    assert (list(forecast_mark.x), forecast_mark.text) == ([2028], ("2028",))


def test_charts_speak_danish_numbers_without_si_suffixes() -> None:
    for figure in (
        build_cumulative_figure(make_overview(), "da"),
        build_yearly_figure(make_overview(), "da"),
    ):
        layout = figure.layout
        assert layout.separators == ",."
        assert (layout.yaxis.tickformat, layout.yaxis.hoverformat) == (",.0f", ",.0f")
        assert (layout.xaxis.tickformat, layout.xaxis.dtick) == ("d", 1)
    assert build_cumulative_figure(make_overview(), "en").layout.separators == ".,"


def test_the_yearly_chart_stacks_the_forecast_on_what_was_realised() -> None:
    figure = build_yearly_figure(make_overview(), "da")
    names = [trace.name for trace in figure.data]
    assert names == ["Casen (budget)", "Realiseret", "Prognose", "Omkostninger i casen",
                     "Faktiske omkostninger"]  # fmt: skip
    budget, realised, forecast, costs, actual = figure.data
    assert list(budget.y) == [697.0, 1989.0, 1989.0, 1989.0, 1989.0]
    assert list(realised.y) == [702.3, 1834.6, 0.0, 0.0, 0.0]
    assert list(forecast.y) == [0.0, 0.0, 1840.0, 1840.0, 1840.0]
    assert list(costs.y) == [2200.0, 2300.0, 300.0, 300.0, 300.0]
    assert list(actual.y) == [2150.0, None, None, None, None]
    # Without actual costs stated, no empty line in the legend.
    no_costs = tuple(replace(y, actual_costs_tkr=None) for y in YEARS)
    assert len(build_yearly_figure(make_overview(years=no_costs), "da").data) == 4


# --- the spreadsheet --------------------------------------------------------------------------


def test_a_table_downloads_as_a_workbook_with_numbers_as_numbers() -> None:
    table = build_method_table(SOLUTION, "da")
    content = build_workbook("Automatisering af ledelsestilsyn: 2024/25?", table)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet.title == "Automatisering af ledelsestilsy"  # 31 characters at most
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "År", "Forventet", "Kørselsdata", "Kørselsdata (min.)", "Kørselsdata (maks.)",
        "Tidsregistrering",
    )  # fmt: skip
    assert rows[2][:6] == ("2024", 1011.0, 1048.0, 1048.0, 1048.0, 1020.4)
    assert rows[3][1:3] == (2886.0, None)
    assert sheet["B3"].number_format == "#,##0"
    # Year, expected, three methods each with its low and high, then the realisation.
    assert (sheet["L3"].value, sheet["L3"].number_format) == (103.66, '#,##0" %"')


# --- the pages' layouts -----------------------------------------------------------------------


def key_figure_rows(tree: Any, stem: str) -> list[list[str]]:
    return table_rows(by_id(tree, f"{ids.OVERVIEW_KEY_FIGURES}-{stem}"))


def test_overblik_puts_every_case_side_by_side() -> None:
    page = overview.build_page(view_of(make_overview(), second_case()), "da")
    assert text(by_id(page, ids.OVERVIEW_TITLE)) == "Overblik"
    assert text(by_id(page, ids.OVERVIEW_AS_OF)) == "Opgjort pr. 31.12.2025"
    cards = by_id(page, ids.OVERVIEW_CASES).children
    assert [c.id["key"] for c in cards] == ["automation-solutions", "cross-cutting-task-management"]
    assert key_figure_rows(page, "automation-solutions")[1] == [
        "Gevinst til dato, 1.000 kr.", "2.686", "2.536,9",
    ]  # fmt: skip
    counts = by_id(page, {"type": ids.OVERVIEW_COUNTS, "key": "automation-solutions"})
    assert [c.children for c in counts.children] == ["1 ikke nået", "1 i risiko", "1 ingen data",
                                                     "1 opfyldt"]  # fmt: skip
    attention = by_id(page, {"type": ids.OVERVIEW_ATTENTION, "key": "automation-solutions"})
    links = [n for n in walk(attention) if type(n).__name__ == "Link"]
    assert [link.children for link in links] == [
        "2. Automatiseringsløsning for indsigtsanmodninger er i drift.",
        "3. Ny tværgående praksis er implementeret",
        "4. Gevinsten er realiseret",
    ]
    assert links[0].href == "/followup?case=automation-solutions&as_of=2025-12-31"
    calm = by_id(page, {"type": ids.OVERVIEW_ATTENTION, "key": "cross-cutting-task-management"})
    assert text(calm) == "Ingen mål kræver handling."


def test_overblik_says_how_far_the_data_reach_and_each_note_once() -> None:
    page = overview.build_page(view_of(make_overview(), second_case()), "da")
    assert " ".join(text(by_id(page, ids.OVERVIEW_COVERAGE)).split()) == (
        "Data: ServiceNow 2.1.2023–31.12.2025 · Azure DevOps 1.1.2023–15.10.2025 · "
        "Tidsregistrering: ingen data · Kørselsdata 3.10.2023–31.12.2025"
    )
    stale = [n for n in walk(by_id(page, ids.OVERVIEW_COVERAGE)) if
             getattr(n, "className", None) == "is-short"]  # fmt: skip
    assert [n.children for n in stale] == ["Azure DevOps 1.1.2023–15.10.2025"]
    page_text = text(page)
    # The note both cases have once on the page, the other one in its case's card.
    assert page_text.count("ingen Azure DevOps-data") == 1
    assert page_text.count("ingen ServiceNow-data for bestillingerne") == 1


def test_overblik_lists_at_most_three_rows_needing_action() -> None:
    many = make_overview(attention=(1, 2, 3, 4))
    page = overview.build_page(view_of(many), "en")
    attention = by_id(page, {"type": ids.OVERVIEW_ATTENTION, "key": "automation-solutions"})
    assert text(attention.children[-1]) == "+1 more in Follow-up"
    assert len(attention.children) == overview.ATTENTION_SHOWN + 1


def test_gevinstrealisering_shows_one_case_by_its_title() -> None:
    page = realisation.build_page(
        view_of(make_overview(), second_case()), "da", "cross-cutting-task-management",
        (AreaUsage("Automatisering af ledelsestilsyn", "Servicedesk", 3),),
    )  # fmt: skip
    links = by_id(page, ids.REALISATION_CASES).children
    assert [(link.children, "is-active" in link.className) for link in links] == [
        (TITLE, False), ("Optimering af tværgående opgavestyring i Koncern IT", True),
    ]  # fmt: skip
    assert links[0].href == "/realisation?case=automation-solutions&as_of=2025-12-31"
    assert text(by_id(page, ids.REALISATION_FACTS)) == (
        "Beløb i 1.000 kr., 2023-p/l · 1 ÅV = 1.924 timer = 663.000 kr."
    )
    assert table_rows(by_id(page, f"{ids.REALISATION_TABLE}-1"))[0] == [
        "Tidsbesparelse på administrative opgaver", "-697", "-1.989", "-1.989", "-1.989",
        "-1.989",
    ]  # fmt: skip
    assert table_rows(by_id(page, f"{ids.REALISATION_METHODS}-1"))[1] == [
        "2024", "1.011", "1.048", "1.020 (940–1.102)", "998 (870–1.130)", "104 %",
    ]  # fmt: skip
    assert table_rows(by_id(page, ids.REALISATION_USAGE)) == [
        ["Automatisering af ledelsestilsyn", "Servicedesk", "under 5"],
    ]
    assert "ingen ServiceNow-data for bestillingerne" in text(page)


def test_opfoelgning_filters_by_responsible_and_keeps_the_full_text() -> None:
    view = view_of(make_overview(), second_case())
    everyone = followup.build_page(view, followup.Choice("da"))
    rows = table_rows(by_id(everyone, f"{ids.FOLLOWUP_TARGETS}-automation-solutions"))
    assert [row[:2] for row in rows] == [
        ["1", "opfyldt"], ["2", "ikke nået"], ["3", "i risiko"], ["4", "ingen data"],
    ]  # fmt: skip
    assert rows[0][2] == LONG_TARGET
    assert by_id(everyone, ids.FOLLOWUP_AS_OF).date == "2025-12-31"
    assert by_id(everyone, ids.FOLLOWUP_RESPONSIBLE).options == [FU, KONTORCHEF]
    chief = followup.build_page(view, followup.Choice("da", responsible=KONTORCHEF))
    assert not has_id(chief, f"{ids.FOLLOWUP_TARGETS}-cross-cutting-task-management")
    only = table_rows(by_id(chief, f"{ids.FOLLOWUP_TARGETS}-automation-solutions"))
    assert [row[:2] for row in only] == [["3", "i risiko"]]
    assert "1 af 4 mål" in text(chief)
    one_case = followup.build_page(view, followup.Choice("da", case="automation-solutions"))
    assert not has_id(one_case, f"{ids.FOLLOWUP_TARGETS}-cross-cutting-task-management")


def test_a_page_without_cases_says_where_they_belong() -> None:
    empty = CockpitView(Cockpit((), AS_OF, ()), note("none", note_id=ids.OVERVIEW_MESSAGE))
    assert text(by_id(overview.build_page(empty, "da"), ids.OVERVIEW_MESSAGE)) == "none"


def test_an_as_of_date_from_the_url_is_read_or_left_to_the_default() -> None:
    assert parse_as_of("2024-12-31") == dt.date(2024, 12, 31)
    assert parse_as_of("2024-12-31T00:00:00") == dt.date(2024, 12, 31)
    assert parse_as_of("31.12.2024") is None
    assert parse_as_of(None) is None


def test_a_text_that_looks_like_a_formula_is_escaped_and_stays_text_in_the_workbook() -> None:
    # The one rule of every spreadsheet export (models.spreadsheet): a leading apostrophe.
    table = TableData((Column("target", "Mål"),), ({"target": '=HYPERLINK("http://x")'},))
    sheet = load_workbook(io.BytesIO(build_workbook("Mål", table))).active
    assert sheet is not None
    assert (sheet["A2"].value, sheet["A2"].data_type) == ('\'=HYPERLINK("http://x")', "s")
