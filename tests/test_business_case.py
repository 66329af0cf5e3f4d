"""The business-case engine against the two seed proposals, cell by cell, and its edges.

Seed rows are copied as the seeds print them ("-1.989" is minus 1.989 thousand); "-" stands
for a cell the seed prints as "-" or leaves blank.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import cli, main
from app.cli_case import format_tkr, parse_discount_rate
from models.business_case import (
    AarsvaerkAssumptions,
    BudgetLine,
    BusinessCase,
    CaseEvaluation,
    PriceIndex,
    SubSolution,
    compute_aarsvaerk,
    compute_hours,
    compute_npv_tkr,
    convert_price_level,
    evaluate_case,
)
from models.business_case_io import (
    parse_business_case,
    parse_price_index,
    read_business_case,
    read_price_index,
)
from models.errors import InputError

CASES = Path(__file__).resolve().parents[1] / "data" / "business_cases"
AUTOMATION = CASES / "automation-solutions.yaml"
TASK_MANAGEMENT = CASES / "cross-cutting-task-management.yaml"
PROCES_LABEL = (
    "Procesoptimering og implementering (projektledelse, automatiseringskonsulenter, "
    "implementering, process mining, mv.)"
)


def seed_cells(printed: str) -> tuple[Decimal | None, ...]:
    """A row as the seed prints it, '- -129 -1.689', as cells: (None, -129, -1689)."""
    return tuple(
        None if cell == "-" else Decimal(cell.replace(".", "").replace(",", "."))
        for cell in printed.split()
    )


@pytest.fixture(scope="module")
def automation() -> CaseEvaluation:
    return evaluate_case(read_business_case(AUTOMATION))


@pytest.fixture(scope="module")
def task_management() -> CaseEvaluation:
    return evaluate_case(read_business_case(TASK_MANAGEMENT))


def rows_of(evaluation: CaseEvaluation, key: str) -> list[tuple[str, tuple[Decimal | None, ...]]]:
    return [(row.label, row.cells_tkr) for row in evaluation.table(key).rows]


# --- The automation proposal (2023 p/l, 2022-2028) -------------------------------------------


def test_automation_tabel_1_every_cell(automation: CaseEvaluation) -> None:
    assert automation.years == (2022, 2023, 2024, 2025, 2026, 2027, 2028)
    assert automation.case.price_level_year == 2023
    expected = [
        ("Tidsbesparelse på administrative opgaver", "- -229 -697 -1.989 -1.989 -1.989 -1.989"),
        ("Driftsomkostninger", "- 100 200 300 300 300 300"),
        ("Samlet varig ændring", "- -129 -497 -1.689 -1.689 -1.689 -1.689"),
        ("Intern udvikling af RPA/RDA/anden teknologi", "- 2.000 1.500 1.500 - - -"),
        (PROCES_LABEL, "- 1.000 500 500 - - -"),
        ("Samlede implementeringsomkostninger", "- 3.000 2.000 2.000 - - -"),
        ("Samlet økonomisk påvirkning", "- 2.871 1.503 311 -1.689 -1.689 -1.689"),
    ]
    assert rows_of(automation, "tabel_1") == [(label, seed_cells(c)) for label, c in expected]
    omraader = [row.styringsomraade for row in automation.table("tabel_1").rows]
    assert omraader == ["Service", "Service", "Service", "Anlæg", "Anlæg", "Anlæg", None]


def test_automation_tabel_2_varige_aendringer_service(automation: CaseEvaluation) -> None:
    expected = [
        ("Tidsbesparelse på administrative opgaver", "- -229 -697 -1.989 -1.989 -1.989 -1.989"),
        ("Driftsomkostninger", "- 100 200 300 300 300 300"),
        ("Varige ændringer totalt, service", "- -129 -497 -1.689 -1.689 -1.689 -1.689"),
    ]
    assert rows_of(automation, "varige_service") == [(lb, seed_cells(c)) for lb, c in expected]


def test_automation_tabel_3_anlaegsinvesteringer(automation: CaseEvaluation) -> None:
    expected = [
        ("Intern udvikling af RPA/RDA/anden teknologi", "- 2.000 1.500 1.500 - - -"),
        (PROCES_LABEL, "- 1.000 500 500 - - -"),
        ("Investeringer totalt, Anlæg", "- 3.000 2.000 2.000 - - -"),
    ]
    assert rows_of(automation, "investeringer_anlaeg") == [
        (lb, seed_cells(c)) for lb, c in expected
    ]
    assert [t.key for t in automation.tables] == [
        "tabel_1",
        "varige_service",
        "investeringer_anlaeg",
        "administration",
    ]


def test_automation_tabel_4_administration(automation: CaseEvaluation) -> None:
    expected = [
        (
            "Effekt på lønudgifter på hovedkonto 6 og øvrige adm. udgifter på hovedfunktion 6.45",
            "- -129 -497 -1.689 -1.689 -1.689 -1.689",
        ),
        ("Effekt på øvrige administrative udgifter", "- - - - - - -"),
        ("Varige ændringer totalt, administration", "- -129 -497 -1.689 -1.689 -1.689 -1.689"),
    ]
    assert rows_of(automation, "administration") == [(lb, seed_cells(c)) for lb, c in expected]


def test_automation_per_year_effects_and_cumulative(automation: CaseEvaluation) -> None:
    effects = automation.effects
    assert [e.samlet_varig_aendring_tkr for e in effects] == list(
        seed_cells("0 -129 -497 -1.689 -1.689 -1.689 -1.689")
    )
    assert [e.samlede_implementeringsomkostninger_tkr for e in effects] == list(
        seed_cells("0 3.000 2.000 2.000 0 0 0")
    )
    assert [e.samlet_oekonomisk_paavirkning_tkr for e in effects] == list(
        seed_cells("0 2.871 1.503 311 -1.689 -1.689 -1.689")
    )
    # 2.871 + 1.503 + 311 - 3 x 1.689 = -382: below zero in 2028, the 6th year from 2023.
    assert [e.cumulative_total_tkr for e in effects] == list(
        seed_cells("0 2.871 4.374 4.685 2.996 1.307 -382")
    )


def test_automation_payback_both_bases(automation: CaseEvaluation) -> None:
    assert automation.first_effect_year == 2023  # 2022 is "-" in every row
    assert automation.payback_service_years == 6
    assert automation.payback_total_years == 6


def test_automation_aarsvaerk_and_hours(automation: CaseEvaluation) -> None:
    # 663.000 kr. per ÅV (1.989 t.kr. = "ca. 3 årsværk"), 1.924 hours per ÅV.
    by_year = {e.year: (e.savings_aarsvaerk, e.savings_hours) for e in automation.effects}
    assert by_year[2022] == (Decimal("0.00"), 0)
    assert by_year[2023] == (Decimal("0.35"), 665)  # 229/663 = 0,3454 ÅV; x 1924 = 664,55 h
    assert by_year[2024] == (Decimal("1.05"), 2023)  # 697/663 = 1,0513 ÅV; 2.022,67 h
    assert by_year[2025] == (Decimal("3.00"), 5772)  # exactly 3 ÅV
    assert by_year[2028] == (Decimal("3.00"), 5772)


def test_automation_split_per_sub_solution(automation: CaseEvaluation) -> None:
    splits = {s.name: s for s in automation.sub_solutions}
    assert [s.share_pct for s in automation.sub_solutions] == [50, 20, 10, 10, 10]
    ledelsestilsyn = splits["Automatisering af ledelsestilsyn"]
    assert ledelsestilsyn.savings_tkr == seed_cells("0 -114,5 -348,5 -994,5 -994,5 -994,5 -994,5")
    assert ledelsestilsyn.savings_aarsvaerk[3] == Decimal("1.50")
    indsigt = splits["Automatisering af indsigtsanmodninger"]
    assert indsigt.savings_tkr == seed_cells("0 -45,8 -139,4 -397,8 -397,8 -397,8 -397,8")
    # The parts add up exactly to the permanent savings of every year.
    for index, effect in enumerate(automation.effects):
        total = sum(s.savings_tkr[index] for s in automation.sub_solutions)
        assert total == effect.permanent_savings_tkr


def test_automation_npv_at_default_rate(automation: CaseEvaluation) -> None:
    # t = 0 is 2022 (the overførselssag). -(2871/1.035 + 1503/1.035^2 + 311/1.035^3)
    # + 1689 x (1/1.035^4 + 1/1.035^5 + 1/1.035^6) = -4457,48 + 4267,96 = -189,52.
    assert automation.case.npv_base_year == 2022
    assert automation.discount_rate == Decimal("0.035")
    assert automation.npv_tkr == Decimal("-189.52")


def test_automation_follow_up_targets_and_metadata() -> None:
    case = read_business_case(AUTOMATION)
    assert case.title == "Nye automatiseringsløsninger i Koncern IT"
    assert case.administration == "Økonomiforvaltningen"
    assert (case.payout_price_level_year, case.decision_year) == (2022, 2022)
    assert len(case.follow_up_targets) == 10
    first, last = case.follow_up_targets[0], case.follow_up_targets[-1]
    assert first.measure == "Medarbejder benytter automatiseringsløsningen (aflæses i kørselsdata)"
    assert (first.responsible, first.deadline) == (
        "Forretningsudvikling, Koncern IT",
        "Udgangen af 2024",
    )
    assert last.group == "Realisering af effektiviseringer"
    assert last.responsible == "Koncern IT, serviceområde der ejer automatiseringsløsningen"
    assert {t.deadline for t in case.follow_up_targets[5:]} == {"Udgangen af 2025"}
    assert case.aarsvaerk.kroner_per_aarsvaerk == 663000
    assert len(case.implementation_activities) == 2


# --- The cross-cutting task management proposal (2024 p/l, 2023-2028) -------------------------


def test_task_management_tabel_1_every_cell(task_management: CaseEvaluation) -> None:
    assert task_management.years == (2023, 2024, 2025, 2026, 2027, 2028)
    assert task_management.case.price_level_year == 2024
    expected = [
        ("Samlet varig ændring, service", "- -500 -500 -500 -500 -500"),
        ("Samlet varig ændring", "0 -500 -500 -500 -500 -500"),
        ("Konfigurering af system og udvikling af integration", "500 500 0 0 0 0"),
        ("Organisatorisk implementering", "500 500 - - - -"),
        ("Samlede implementeringsomkostninger", "1.000 1.000 0 0 0 0"),
        ("Samlet økonomisk påvirkning", "1.000 500 -500 -500 -500 -500"),
    ]
    rows = task_management.table("tabel_1").rows
    assert [row.label for row in rows] == [label for label, _ in expected]
    for row, (label, printed) in zip(rows, expected, strict=True):
        if label == "Samlet varig ændring":
            # The seed prints 0 in 2023 here but leaves the same cell blank in the row above;
            # the engine shows a total as "-" when no line has an amount, so compare values.
            assert [c or 0 for c in row.cells_tkr] == [c or 0 for c in seed_cells(printed)]
        else:
            assert row.cells_tkr == seed_cells(printed), label


def test_task_management_tabel_2_administration(task_management: CaseEvaluation) -> None:
    expected = [
        (
            "Effekt på lønudgifter på hovedkonto 6 og øvrige adm. udgifter på hovedfunktion 6.45",
            "- -500 -500 -500 -500 -500",
        ),
        ("Effekt på øvrige administrative udgifter", "- - - - - -"),
        ("Varige ændringer totalt, administration", "- -500 -500 -500 -500 -500"),
    ]
    assert rows_of(task_management, "administration") == [(lb, seed_cells(c)) for lb, c in expected]


def test_task_management_payback_counts_zero_as_not_yet_paid(
    task_management: CaseEvaluation,
) -> None:
    cumulative = [e.cumulative_total_tkr for e in task_management.effects]
    assert cumulative == list(seed_cells("1.000 1.500 1.000 500 0 -500"))
    # 2027 sums to exactly 0: not below zero, so payback is 2028, the 6th year.
    assert task_management.payback_total_years == 6
    assert task_management.payback_service_years == 6


def test_task_management_npv_aarsvaerk_and_no_split(task_management: CaseEvaluation) -> None:
    # t = 0 is 2023: -1000 - 500/1.035 + 500 x (1/1.035^2 + ... + 1/1.035^5) = 291,34.
    assert task_management.npv_tkr == Decimal("291.34")
    assert [e.savings_aarsvaerk for e in task_management.effects][1:] == [Decimal("1.00")] * 5
    assert task_management.effects[1].savings_hours == 1924
    assert task_management.sub_solutions == ()
    targets = task_management.case.follow_up_targets
    assert [t.deadline for t in targets] == [
        "Ultimo 2023 og ultimo 2024",
        "Ultimo 2023",
        "Primo 2024",
    ]
    assert {t.responsible for t in targets} == {"Kontorchef i Forretningsudvikling"}


# --- Engine edges on tiny hand-computed cases ---------------------------------------------------


def tiny_case(
    amounts: dict[str, dict[int, int]],
    *,
    years: tuple[int, ...] = (2024, 2025, 2026),
    decision_year: int | None = None,
) -> BusinessCase:
    """Lines named 'kind:område', amounts in 1.000 kr."""
    lines = []
    for name, by_year in amounts.items():
        kind, omraade = name.split(":")
        lines.append(
            BudgetLine(
                label=name,
                styringsomraade=omraade,  # type: ignore[arg-type]
                kind=kind,  # type: ignore[arg-type]
                amounts_tkr=MappingProxyType({y: Decimal(a) for y, a in by_year.items()}),
            )
        )
    return BusinessCase(
        title="tiny",
        administration="ØKF",
        price_level_year=2024,
        budget_years=years,
        lines=tuple(lines),
        aarsvaerk=AarsvaerkAssumptions(Decimal(500000), Decimal(1924)),
        decision_year=decision_year,
    )


def test_npv_tiny_case_is_zero_at_ten_percent() -> None:
    # t=0 (2024): cost 100; t=1 (2025): saving 110. -100 + 110/1.1 = 0.
    case = tiny_case(
        {"implementation_cost:Service": {2024: 100}, "permanent_change:Service": {2025: -110}},
        years=(2024, 2025),
    )
    assert evaluate_case(case, discount_rate=Decimal("0.10")).npv_tkr == Decimal("0.00")
    # At 0 % the NPV is minus the plain sum of the effects.
    assert evaluate_case(case, discount_rate=Decimal(0)).npv_tkr == Decimal("10.00")


def test_npv_counts_from_the_decision_year() -> None:
    # Decided in 2023, a year before the first column: -100/1.1 + 121/1.21 = 9,0909... -> 9,09.
    case = tiny_case(
        {"implementation_cost:Anlæg": {2024: 100}, "permanent_change:Service": {2025: -121}},
        years=(2024, 2025),
        decision_year=2023,
    )
    assert evaluate_case(case, discount_rate=Decimal("0.10")).npv_tkr == Decimal("9.09")
    effects = [(2023, Decimal(0)), (2024, Decimal(-10))]
    assert compute_npv_tkr(effects, base_year=2023, discount_rate=Decimal(0)) == Decimal("10.00")


def test_payback_service_basis_leaves_out_overfoersler() -> None:
    # Investment 1.000 (Service) in 2024; savings from 2025: 100 Service + 400 Overførsler.
    case = tiny_case(
        {
            "implementation_cost:Service": {2024: 1000},
            "permanent_change:Service": {2025: -100, 2026: -100, 2027: -100, 2028: -100},
            "permanent_change:Overførsler": {2025: -400, 2026: -400, 2027: -400, 2028: -400},
        },
        years=(2024, 2025, 2026, 2027, 2028),
    )
    evaluation = evaluate_case(case)
    # Total: 1000, 500, 0, -500 -> year 4. Service: 1000, 900, 800, 700, 600 -> never.
    assert evaluation.payback_total_years == 4
    assert evaluation.payback_service_years is None
    tabel_1 = evaluation.table("tabel_1")
    # Two styringsområder in the permanent section: one subtotal each, total without område.
    assert tabel_1.row("Samlet varig ændring, service").cells_tkr == seed_cells(
        "- -100 -100 -100 -100"
    )
    assert tabel_1.row("Samlet varig ændring, overførsler").cells_tkr == seed_cells(
        "- -400 -400 -400 -400"
    )
    assert tabel_1.row("Samlet varig ændring").styringsomraade is None


def test_payback_is_year_one_without_investment() -> None:
    case = tiny_case({"permanent_change:Service": {2025: -10, 2026: -10}})
    evaluation = evaluate_case(case)
    assert (evaluation.first_effect_year, evaluation.payback_total_years) == (2025, 1)


def test_aarsvaerk_and_hours_conversion() -> None:
    net = AarsvaerkAssumptions(Decimal(600000), Decimal(1628))
    assert compute_aarsvaerk(Decimal(900), net) == Decimal("1.50")
    assert compute_hours(Decimal(900), net) == 2442  # 1,5 x 1.628
    gross = AarsvaerkAssumptions(Decimal(600000), Decimal(1924))
    assert compute_hours(Decimal(900), gross) == 2886
    # Hours come from the exact ÅV: 100/600 = 0,1666.. ÅV -> 0,17 ÅV but 320,67 -> 321 hours.
    assert compute_aarsvaerk(Decimal(100), gross) == Decimal("0.17")
    assert compute_hours(Decimal(100), gross) == 321


# --- p/l conversion -----------------------------------------------------------------------------

INDEX_CSV = "year,index\n2023,100\n2024,104\n"


def test_price_level_conversion_with_tiny_index() -> None:
    index = parse_price_index(INDEX_CSV, source="pl.csv")
    case = convert_price_level(read_business_case(AUTOMATION), target_year=2024, price_index=index)
    assert (case.price_level_year, case.converted_from_price_level_year) == (2024, 2023)
    tabel_1 = evaluate_case(case).table("tabel_1")
    # -229 x 1,04 = -238,16 -> -238; 100 x 1,04 = 104; -1.989 x 1,04 = -2.068,56 -> -2.069.
    assert tabel_1.row("Tidsbesparelse på administrative opgaver").cells_tkr[1:4] == (
        Decimal(-238),
        Decimal(-725),
        Decimal(-2069),
    )
    # Totals are sums of the rounded lines, so the converted table still adds up.
    assert tabel_1.row("Samlet varig ændring").cells_tkr[1] == Decimal(-238 + 104)
    assert case.aarsvaerk.kroner_per_aarsvaerk == Decimal(689520)


def test_price_level_conversion_rounds_half_up_away_from_zero() -> None:
    case = tiny_case({"permanent_change:Service": {2024: 10, 2025: -10}})
    index = PriceIndex(MappingProxyType({2024: Decimal(100), 2025: Decimal(105)}), "x.csv")
    converted = convert_price_level(case, target_year=2025, price_index=index)
    assert dict(converted.lines[0].amounts_tkr) == {2024: Decimal(11), 2025: Decimal(-11)}
    back = convert_price_level(case, target_year=2025, price_index=index, decimals=1)
    assert dict(back.lines[0].amounts_tkr) == {2024: Decimal("10.5"), 2025: Decimal("-10.5")}


def test_price_level_conversion_names_the_missing_year() -> None:
    index = parse_price_index(INDEX_CSV, source="pl.csv")
    with pytest.raises(InputError) as raised:
        convert_price_level(read_business_case(AUTOMATION), target_year=2026, price_index=index)
    message = str(raised.value)
    assert "pl.csv" in message and "2026" in message and "2023–2024" in message
    assert "Fix: add a line '2026,<index>'" in message


# --- Bad input: precise errors ------------------------------------------------------------------

VALID = """\
title: Lille forslag
administration: Økonomiforvaltningen
price_level_year: 2024
budget_years: [2024, 2025, 2026]
lines:
  - label: Bortfaldne lønomkostninger
    styringsomraade: Service
    kind: permanent_change
    amounts_tkr:
      2025: -1.000
      2026: -1.000
  - label: Implementering
    styringsomraade: Anlæg
    kind: implementation_cost
    amounts_tkr:
      2024: 1.500
sub_solutions:
  - name: Del A
    share_pct: 60
  - name: Del B
    share_pct: 40
aarsvaerk:
  kroner_per_aarsvaerk: 500.000
  hours_per_aarsvaerk: 1628
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line number of the first line containing ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def error_for(text: str) -> str:
    with pytest.raises(InputError) as raised:
        parse_business_case(text, source="bad.yaml")
    return str(raised.value)


def test_valid_tiny_yaml_reads() -> None:
    evaluation = evaluate_case(parse_business_case(VALID, source="ok.yaml"))
    assert evaluation.table("tabel_1").row("Samlet økonomisk påvirkning").cells_tkr == (
        seed_cells("1.500 -1.000 -1.000")
    )
    assert evaluation.payback_total_years == 3  # 1.500, 500, -500


def test_error_year_outside_range() -> None:
    text = VALID.replace("      2026: -1.000", "      2030: -1.000")
    message = error_for(text)
    assert message.startswith(f"bad.yaml, line {line_of(text, '2030:')}:")
    assert "year 2030" in message and "2024–2026" in message
    assert "Fix: move the amount to a budget year or add 2030 to budget_years" in message


def test_error_shares_not_summing_to_100() -> None:
    text = VALID.replace("share_pct: 40", "share_pct: 30")
    message = error_for(text)
    assert f"line {line_of(text, '  - name: Del A')}" in message
    assert "sum to 90 % (60 + 30), not 100 %" in message
    assert "Fix: correct share_pct so the shares sum to exactly 100" in message


def test_error_line_without_styringsomraade() -> None:
    text = VALID.replace("    styringsomraade: Anlæg\n", "")
    message = error_for(text)
    assert f"line {line_of(text, '- label: Implementering')}" in message
    assert "budget line 'Implementering' has no styringsomraade" in message
    assert "Fix: add 'styringsomraade: Service' (one of Service, Anlæg, Overførsler)" in message
    # An empty value is the same mistake, reported on its own line.
    text = VALID.replace("styringsomraade: Anlæg", "styringsomraade:")
    message = error_for(text)
    empty_line = next(
        i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() == "styringsomraade:"
    )
    assert f"line {empty_line}:" in message
    assert "has no styringsomraade" in message


def test_error_unknown_styringsomraade() -> None:
    text = VALID.replace("styringsomraade: Anlæg", "styringsomraade: Drift")
    message = error_for(text)
    assert f"line {line_of(text, 'Drift')}" in message and "'Drift'" in message
    assert "Fix: write one of Service, Anlæg, Overførsler" in message


def test_error_non_numeric_cell() -> None:
    text = VALID.replace("2026: -1.000", "2026: ca. 1 mio")
    message = error_for(text)
    assert message.startswith(f"bad.yaml, line {line_of(text, 'ca. 1 mio')}:")
    assert "'ca. 1 mio', which is not a number" in message
    assert "Bortfaldne lønomkostninger" in message and "2026" in message
    assert "Fix: write the amount in 1.000 kr." in message


def test_error_decimal_point_is_ambiguous() -> None:
    text = VALID.replace("2026: -1.000", "2026: -12.5")
    message = error_for(text)
    assert f"line {line_of(text, '-12.5')}" in message and "ambiguous" in message
    assert "Fix: write -12,5 for a decimal number" in message


def test_error_unknown_key_suggests_the_right_one() -> None:
    text = VALID.replace("styringsomraade: Anlæg", "styringsomrade: Anlæg")
    message = error_for(text)
    assert f"line {line_of(text, 'styringsomrade:')}" in message
    assert "unknown key 'styringsomrade'" in message
    assert "did you mean 'styringsomraade'?" in message


def test_error_invalid_yaml_and_missing_key() -> None:
    message = error_for("title: [unclosed\nadministration: x\n")
    assert message.startswith("bad.yaml, line ") and "not valid YAML" in message
    message = error_for(VALID.replace("price_level_year: 2024\n", ""))
    assert "bad.yaml, line 1: the business case has no 'price_level_year'" in message
    assert "Fix: add 'price_level_year: ...'" in message


def test_error_budget_years_not_consecutive() -> None:
    text = VALID.replace("[2024, 2025, 2026]", "[2024, 2026]")
    message = error_for(text)
    assert "budget year 2026 follows 2024" in message and "Fix: list every year" in message


def test_error_bad_index_csv_names_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "pl.csv"
    path.write_text("year,index\n2023,100\n2024,103,2\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_price_index(path)
    message = str(raised.value)
    assert f"{path}, line 3" in message and "'103'" in message
    assert "Fix: write one '2023,103.2' per line, with a decimal point" in message
    with pytest.raises(InputError, match=r"line 2: index 'abc' for 2023 .* Fix: write it"):
        parse_price_index("year,index\n2023,abc\n", source="pl.csv")
    with pytest.raises(InputError, match=r"line 1: the header is .* Fix: make the first line"):
        parse_price_index("aar;indeks\n", source="pl.csv")


def test_error_missing_file() -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: no such file\. Fix: check the path"):
        read_business_case(Path("nope.yaml"))


def test_discount_rate_parsing() -> None:
    assert parse_discount_rate("3.5") == Decimal("0.035")
    assert parse_discount_rate("3,5 %") == Decimal("0.035")
    with pytest.raises(InputError, match=r"--discount-rate 'tre' .* Fix: write the real rate"):
        parse_discount_rate("tre")


def test_format_tkr_is_danish_and_exact() -> None:
    assert [format_tkr(Decimal(v)) for v in ("-1989", "2871", "0", "-114.5")] == [
        "-1.989",
        "2.871",
        "0",
        "-114,5",
    ]
    assert format_tkr(None) == "-"
    assert format_tkr(Decimal("1234567.25")) == "1.234.567,25"


# --- CLI -----------------------------------------------------------------------------------------


def invoke(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["case", "evaluate", *args])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)  # exactly one JSON object, nothing else on stdout
    assert isinstance(parsed, dict)
    return parsed


def test_cli_json_automation() -> None:
    report = invoke(str(AUTOMATION), "--json")
    assert report["price_level"] == {
        "year": 2023,
        "unit": "1.000 kr. 2023 p/l",
        "converted_from_year": None,
        "index_file": None,
        "payout_year": 2022,
    }
    years = {row["year"]: row for row in report["years"]}  # type: ignore[attr-defined]
    assert [years[y]["samlet_varig_aendring_tkr"] for y in range(2023, 2029)] == [
        -129,
        -497,
        -1689,
        -1689,
        -1689,
        -1689,
    ]
    assert [years[y]["samlet_oekonomisk_paavirkning_tkr"] for y in range(2023, 2029)] == [
        2871,
        1503,
        311,
        -1689,
        -1689,
        -1689,
    ]
    assert years[2028]["cumulative_total_tkr"] == -382
    assert report["payback"]["serviceeffektivisering_years"] == 6  # type: ignore[index]
    assert report["payback"]["totaloekonomi_years"] == 6  # type: ignore[index]
    assert report["npv"]["npv_tkr"] == -189.52  # type: ignore[index]
    assert report["npv"]["discount_rate_pct"] == 3.5  # type: ignore[index]
    split = report["sub_solutions"][0]  # type: ignore[index]
    assert split["savings_tkr"]["2025"] == -994.5
    tabel_1 = report["tables"][0]  # type: ignore[index]
    assert tabel_1["rows"][0]["cells_tkr"]["2022"] is None


def test_cli_json_task_management_with_discount_rate() -> None:
    report = invoke(str(TASK_MANAGEMENT), "--json", "--discount-rate", "0")
    values = [row["samlet_oekonomisk_paavirkning_tkr"] for row in report["years"]]  # type: ignore[attr-defined]
    assert values == [1000, 500, -500, -500, -500, -500]
    assert report["payback"]["totaloekonomi_years"] == 6  # type: ignore[index]
    assert report["npv"]["npv_tkr"] == 500  # type: ignore[index]  # -(1000+500-2000) at 0 %


def test_cli_json_price_level_conversion(tmp_path: Path) -> None:
    index = tmp_path / "pl.csv"
    index.write_text(INDEX_CSV, encoding="utf-8")
    report = invoke(str(TASK_MANAGEMENT), "--json", "--pl-year", "2023", "--pl-index", str(index))
    assert report["price_level"]["unit"] == "1.000 kr. 2023 p/l"  # type: ignore[index]
    assert report["price_level"]["converted_from_year"] == 2024  # type: ignore[index]
    assert report["price_level"]["index_file"] == str(index)  # type: ignore[index]
    # 500 x 100/104 = 480,77 -> 481; 1.000 -> 961,54 -> 962 as the sum of two rounded 481s.
    values = [row["samlet_oekonomisk_paavirkning_tkr"] for row in report["years"]]  # type: ignore[attr-defined]
    assert values == [962, 481, -481, -481, -481, -481]


def test_cli_text_report_says_the_price_level() -> None:
    result = CliRunner().invoke(cli, ["case", "evaluate", str(AUTOMATION)])
    assert result.exit_code == 0, result.output
    assert "1.000 kr. 2023 p/l" in result.stdout
    assert "-1.989" in result.stdout and "2.871" in result.stdout
    assert "Tilbagebetalingstid baseret på totaløkonomi: 6 år" in result.stdout
    assert "Tilbagebetalingstid baseret på serviceeffektivisering: 6 år" in result.stdout


def test_cli_error_is_clean_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("share_pct: 40", "share_pct: 30"), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["kitflow", "case", "evaluate", str(bad), "--json"])
    with pytest.raises(SystemExit) as raised:
        main()
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not 100 %" in " ".join(captured.err.split())


def test_cli_pl_year_needs_index() -> None:
    result = CliRunner().invoke(cli, ["case", "evaluate", str(AUTOMATION), "--pl-year", "2024"])
    assert isinstance(result.exception, InputError)
    assert "--pl-year and --pl-index go together" in str(result.exception)


def test_evaluation_is_frozen(automation: CaseEvaluation) -> None:
    with pytest.raises(AttributeError):
        automation.npv_tkr = Decimal(0)  # type: ignore[misc]
    assert replace(automation, npv_tkr=Decimal(1)).npv_tkr == 1


# --- Invariants ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    savings=st.lists(st.integers(-5000, 5000), min_size=4, max_size=4),
    costs=st.lists(st.integers(0, 5000), min_size=4, max_size=4),
    cuts=st.sets(st.integers(1, 99), max_size=4),
)
def test_invariants_split_cumulative_payback(
    savings: list[int], costs: list[int], cuts: set[int]
) -> None:
    years = (2024, 2025, 2026, 2027)
    case = tiny_case(
        {
            "permanent_change:Service": dict(zip(years, savings, strict=True)),
            "implementation_cost:Anlæg": dict(zip(years, costs, strict=True)),
        },
        years=years,
    )
    bounds = [0, *sorted(cuts), 100]
    shares = [Decimal(b - a) for a, b in pairwise(bounds)]
    subs = tuple(SubSolution(f"del {i}", share) for i, share in enumerate(shares))
    evaluation = evaluate_case(replace(case, sub_solutions=subs))
    effects = evaluation.effects
    # The parts of the savings add up exactly, every year.
    for index, effect in enumerate(effects):
        assert sum(s.savings_tkr[index] for s in evaluation.sub_solutions) == (
            effect.permanent_savings_tkr
        )
    # The cumulative is the running sum of Samlet økonomisk påvirkning.
    assert effects[-1].cumulative_total_tkr == sum(savings) + sum(costs)
    # Payback p: the cumulative is below zero in year p and not before it.
    payback = evaluation.payback_total_years
    first = evaluation.first_effect_year
    below = [
        e.year
        for e in effects
        if first is not None and e.year >= first and e.cumulative_total_tkr < 0
    ]
    if payback is None:
        assert below == []
    else:
        assert first is not None and below[0] == first + payback - 1
