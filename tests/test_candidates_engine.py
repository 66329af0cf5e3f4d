"""The automation-candidate scoring engine on tiny hand-computed inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.business_case import evaluate_case
from models.business_case_io import parse_business_case
from models.candidates import (
    Automated,
    CandidateParameters,
    DraftCase,
    ProcessMeasures,
    build_draft_case_yaml,
    compute_rule_likeness,
    compute_stability,
    compute_suitability,
    compute_variant_entropy,
    rank_candidates,
    score_candidate,
)
from models.errors import InputError

# 500 kr. an hour: 1,600 h per ÅV at 800,000 kr. per ÅV.
EASY = CandidateParameters(hours_per_aarsvaerk=1600, kroner_per_aarsvaerk=800_000)


def _measures(candidate_id: str = "a", **changes: object) -> ProcessMeasures:
    values: dict[str, object] = {
        "candidate_id": candidate_id,
        "label": f"Process {candidate_id}",
        "level": "process",
        "source": "tiny",
        "cases": 120,
        "years": 2.0,
        "handling_hours": 2000.0,
        "hours_basis": "registered",
        "standardisation": 0.8,
        "branching": 1.25,
        "variant_entropy": 0.2,
        "exception_rate": 0.2,
        "rework_rate": 0.1,
        "monthly_cv": 0.25,
    }
    values.update(changes)
    return ProcessMeasures(**values)  # type: ignore[arg-type]


def test_variant_entropy_is_normalised_by_the_number_of_cases() -> None:
    assert compute_variant_entropy([4]) == 0.0
    assert compute_variant_entropy([1, 1, 1, 1]) == 1.0
    # Two variants of two cases each: 1 bit out of log2(4) = 2 bits.
    assert compute_variant_entropy([2, 2]) == 0.5
    assert compute_variant_entropy([]) == 0.0


def test_parts_of_the_suitability() -> None:
    assert compute_rule_likeness(1.25, 0.2) == pytest.approx(0.8)
    assert compute_rule_likeness(None, None) == 0.5
    assert compute_stability(0.25) == pytest.approx(0.8)
    assert compute_stability(None) == 0.5
    # 0.4 x 0.8 + 0.3 x 0.8 + 0.15 x 0.9 + 0.15 x 0.8
    assert compute_suitability(_measures()) == pytest.approx(0.815)


def test_score_turns_hours_into_aarsvaerk_kroner_and_payback() -> None:
    score = score_candidate(_measures(), EASY)
    assert score.cases_per_year == 60
    assert score.hours_per_year == 1000
    # 1,000 h x 0.815 suitable x (1 - 0.2 exceptions) = 652 h; / 1,600 = 0.4075 ÅV; x 800 t.kr.
    assert score.automatable_hours_per_year == pytest.approx(652)
    assert score.aarsvaerk == pytest.approx(0.4075)
    assert score.savings_tkr == pytest.approx(326)
    assert score.net_savings_tkr == pytest.approx(266)
    assert score.payback_years == pytest.approx(1000 / 266)
    assert score.payback_years_low == pytest.approx(900 / 266)
    assert score.payback_years_high == pytest.approx(1100 / 266)
    assert score.status == "candidate"
    assert score.explanation == (
        "Process a (tiny): 60 cases a year, 1,000 registered hours a year; 80% of cases in the "
        "top 3 variants; 1.25 distinct next activities per activity and variant entropy 0.20 "
        "(rule-like); 10% of cases with rework; 20% off the usual end (finished by hand); "
        "stable monthly volume (variation coefficient 0.25). suitability 0.82 gives 652 "
        "automatable hours a year = 0.41 ÅV (at 1,600 h per ÅV) = 326 t.kr. a year, 266 t.kr. "
        "net of 60 t.kr. operating cost. Payback 3.8 years on 1,000 t.kr. development (3.4-4.1 "
        "years at 900-1,100 t.kr.)."
    )


def test_unknown_measures_count_as_neutral_and_are_named() -> None:
    measures = _measures(
        standardisation=None, branching=None, variant_entropy=None, exception_rate=None,
        rework_rate=None, monthly_cv=None,
    )  # fmt: skip
    score = score_candidate(measures, EASY)
    # 0.4 x 0.5 + 0.3 x 0.5 + 0.15 x 1 + 0.15 x 0.5
    assert score.suitability == pytest.approx(0.575)
    assert score.automatable_hours_per_year == pytest.approx(575)
    assert "standardisation unknown" in score.explanation
    assert "rule-likeness unknown" in score.explanation
    assert "exception rate unknown" in score.explanation


def test_a_small_process_does_not_pay_back() -> None:
    score = score_candidate(_measures(handling_hours=100.0), EASY)
    # 50 h a year x 0.815 x 0.8 = 32.6 h = 16.3 t.kr. < 60 t.kr. operating cost.
    assert score.net_savings_tkr == pytest.approx(16.3 - 60)
    assert score.payback_years is None
    assert score.explanation.endswith(
        "It does not pay back: the saving does not cover the operating cost "
        "(development 1,000 t.kr.)."
    )


def test_ranking_by_net_saving_with_automated_processes_last() -> None:
    robot = Automated("KIT_Robot", "2024-03-01", realised_share=0.86, robot_transactions=528)
    scores = rank_candidates(
        [
            _measures("small", handling_hours=500.0),
            _measures("done", handling_hours=9000.0, automated=robot),
            _measures("big", handling_hours=4000.0),
        ],
        EASY,
    )
    assert [(s.measures.candidate_id, s.rank, s.status) for s in scores] == [
        ("big", 1, "candidate"),
        ("small", 2, "candidate"),
        ("done", 0, "already automated"),
    ]
    assert scores[2].explanation.endswith(
        "Already automated: robot process 'KIT_Robot' live since 2024-03-01, 528 transactions, "
        "handling 86% of the cases since."
    )


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(InputError, match="repeated: a"):
        rank_candidates([_measures(), _measures()], EASY)
    with pytest.raises(InputError, match=r"standardisation must lie in 0-1, got 1\.5"):
        _measures(standardisation=1.5)
    with pytest.raises(InputError, match="low <= cost <= high"):
        CandidateParameters(development_cost_low_tkr=1200)
    with pytest.raises(InputError, match="longer than 0 years"):
        _measures(years=0.0)


def test_draft_case_round_trips_through_the_business_case_reader() -> None:
    score = score_candidate(_measures(label='Indsigt "GDPR"'), EASY)
    text = build_draft_case_yaml(score, EASY, DraftCase(first_year=2026))
    case = parse_business_case(text, source="draft.yaml")
    assert case.title == 'Automatisering af Indsigt "GDPR"'
    assert case.budget_years == (2026, 2027, 2028, 2029, 2030, 2031)
    assert case.aarsvaerk.kroner_per_aarsvaerk == Decimal(800000)
    assert case.aarsvaerk.hours_per_aarsvaerk == Decimal(1600)
    amounts = {line.label: line.amounts_tkr for line in case.lines}
    assert amounts["Tidsbesparelse ved automatisering"][2027] == Decimal(-326)
    assert amounts["Driftsomkostninger"][2031] == Decimal(60)
    assert amounts["Udvikling af automatiseringsløsning"][2026] == Decimal(1000)
    evaluation = evaluate_case(case)
    # 1,000 in 2026, then -266 a year: cumulative 734, 468, 202, -64 in 2030 = year 5.
    assert [e.cumulative_total_tkr for e in evaluation.effects] == [
        Decimal(1000), Decimal(734), Decimal(468), Decimal(202), Decimal(-64), Decimal(-330),
    ]  # fmt: skip
    assert evaluation.payback_total_years == 5
    assert evaluation.effects[1].savings_aarsvaerk == Decimal("0.41")
    (target,) = case.follow_up_targets
    assert target.deadline == "Udgangen af 2027"
    assert target.measure.startswith("Metric realised_savings:")
