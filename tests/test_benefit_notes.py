"""The disagreement notes and checks as a director reads them, in Danish and English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.evidence import describe_check, describe_disagreement
from app.figures.capacity_table import build_capacity_table
from app.formatting import format_number
from models.benefit_checks import CAUSES, Check, Disagreement
from services.benefits import load_case_inputs, measure_case

AUTOMATION = (
    Path(__file__).resolve().parent.parent / "data" / "business_cases" / "automation-solutions.yaml"
)

ROUNDED = Check(
    "registration_rounded", ("time_registration",), False,
    {"registered_minutes": 15.0, "mined_minutes": 3.0, "gap_pct": 399.6}, 399.6,
)  # fmt: skip


def test_a_disagreement_reads_with_its_cause_in_danish_and_english() -> None:
    note = Disagreement("time_registration", "robot", 171.1, 33.8, 406.2, ROUNDED)
    assert describe_disagreement(note, "da") == (
        "Tidsregistrering giver 171 t mod kørselsdatas 34 t (+406 %). Mest sandsynlig årsag: "
        "tiden er rundet op til kvarte timer: 15,0 min. registreret pr. sag mod 3,0 min. målt "
        "i ServiceNow før idriftsættelse"
    )
    assert describe_disagreement(note, "en") == (
        "Time registration gives 171 h against robot run data's 34 h (+406 %). Most likely "
        "cause: time is rounded up to quarter hours: 15.0 min registered per case against 3.0 "
        "min measured in ServiceNow before go-live"
    )


def test_a_disagreement_without_a_check_says_the_cause_cannot_be_told() -> None:
    note = Disagreement("process_mining", "robot", 50.0, 100.0, -50.0, None)
    assert describe_disagreement(note, "da") == (
        "Process mining giver 50 t mod kørselsdatas 100 t (−50 %). Årsagen kan ikke ses i data"
    )


def test_every_cause_has_a_sentence_in_both_languages() -> None:
    values = {"registered_minutes": 1.0, "mined_minutes": 1.0, "gap_pct": 1.0, "share_pct": 1.0,
              "shift_pct": -1.0, "change_pct": 1.0, "exception_minutes": 1.0,
              "manual_minutes": 1.0, "limit": 5.0}  # fmt: skip
    for cause in CAUSES:
        check = Check(cause, (), True, values)
        assert describe_check(check, "da") != describe_check(check, "en"), cause


def test_capacity_and_budget_read_in_danish(confounded_landscape: Any) -> None:
    landscape = confounded_landscape(7)
    realisation = measure_case(load_case_inputs(AUTOMATION, landscape.data_dir))
    table = build_capacity_table(realisation, "da")
    assert table is not None
    moved = realisation.moved_hours
    assert moved is not None
    years = sorted(y for y in moved if realisation.capacity_hours(y) is not None)
    assert table.texts("year") == [str(y) for y in years]
    for year, capacity, shifted, budget in zip(
        years, table.texts("capacity"), table.texts("moved"), table.texts("budget"), strict=True
    ):
        freed = realisation.capacity_hours(year)
        assert freed is not None
        assert capacity == format_number(freed, 0, "da")
        assert shifted == format_number(moved[year], 0, "da")
        assert budget == format_number(freed - moved[year], 0, "da")
    assert [c.label for c in table.columns] == [
        "År", "Frigjort kapacitet, timer", "Flyttet til andet arbejde, timer",
        "Budgetgevinst, timer",
    ]  # fmt: skip
