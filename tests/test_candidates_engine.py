"""The automation-candidate scoring engine on tiny hand-computed inputs."""

from __future__ import annotations

from dataclasses import replace
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
        "branching": 1.0,
        "variant_entropy": 0.0,
        "exception_rate": 0.2,
        "rework_rate": 0.0,
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
    # 0.8 standard x 1 rule-like x (1 - 0 rework) x 0.8 stable
    assert compute_suitability(_measures()) == pytest.approx(0.64)
    # 0.8 x 0.8 x (1 - 0.1) x 0.8
    reworked = _measures(branching=1.25, variant_entropy=0.2, rework_rate=0.1)
    assert compute_suitability(reworked) == pytest.approx(0.4608)


def test_score_turns_hours_into_aarsvaerk_kroner_and_payback() -> None:
    score = score_candidate(_measures(), EASY)
    assert score.cases_per_year == 60
    assert score.hours_per_year == 1000
    # 1,000 h x 0.64 suitable x (1 - 0.2 exceptions) = 512 h; / 1,600 = 0.32 ÅV; x 800 t.kr.
    assert score.automatable_hours_per_year == pytest.approx(512)
    assert score.aarsvaerk == pytest.approx(0.32)
    assert score.savings_tkr == pytest.approx(256)
    assert score.net_savings_tkr == pytest.approx(196)
    assert score.payback_years == pytest.approx(1000 / 196)
    assert score.payback_years_low == pytest.approx(900 / 196)
    assert score.payback_years_high == pytest.approx(1100 / 196)
    assert score.status == "candidate"
    assert score.explanation == (
        "Process a (tiny): 60 cases a year, 1,000 registered hours a year; 80% of cases in the "
        "top 3 variants; 1.00 distinct next activities per activity and variant entropy 0.00 "
        "(rule-like); 0% of cases with rework; 20% off the usual end (finished by hand); "
        "stable monthly volume (variation coefficient 0.25). suitability 0.64 gives 512 "
        "automatable hours a year = 0.32 ÅV (at 1,600 h per ÅV) = 256 t.kr. a year, 196 t.kr. "
        "net of 60 t.kr. operating cost. Payback 5.1 years on 1,000 t.kr. development (4.6-5.6 "
        "years at 900-1,100 t.kr.). Criticality 1 (not set by an analyst): ranked by the net "
        "saving. Suggested: RPA (unattended), 20% of cases off the usual path and 80% in the "
        "top variants."
    )


def test_unknown_measures_count_as_neutral_and_are_named() -> None:
    measures = _measures(
        standardisation=None, branching=None, variant_entropy=None, exception_rate=None,
        rework_rate=None, monthly_cv=None,
    )  # fmt: skip
    score = score_candidate(measures, EASY)
    # 0.5 x 0.5 x 1 x 0.5, and no exceptions assumed: 1,000 h x 0.125
    assert score.suitability == pytest.approx(0.125)
    assert score.automatable_hours_per_year == pytest.approx(125)
    assert "standardisation unknown" in score.explanation
    assert "rule-likeness unknown" in score.explanation
    assert "exception rate unknown" in score.explanation


def test_a_small_process_does_not_pay_back() -> None:
    score = score_candidate(_measures(handling_hours=100.0), EASY)
    # 50 h a year x 0.64 x 0.8 = 25.6 h = 12.8 t.kr. < 60 t.kr. operating cost.
    assert score.net_savings_tkr == pytest.approx(12.8 - 60)
    assert score.payback_years is None
    assert score.explanation.endswith(
        "It does not pay back: the saving does not cover the operating cost "
        "(development 1,000 t.kr.). Criticality 1 (not set by an analyst): ranked by the net "
        "saving. Suggested: RPA (unattended), 20% of cases off the usual path and 80% in the "
        "top variants."
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
    assert amounts["Tidsbesparelse ved automatisering"][2027] == Decimal(-256)
    assert amounts["Driftsomkostninger"][2031] == Decimal(60)
    assert amounts["Udvikling af automatiseringsløsning"][2026] == Decimal(1000)
    evaluation = evaluate_case(case)
    # 1,000 in 2026, then -196 a year: cumulative 804, 608, 412, 216, 20: not within 6 years.
    assert [e.cumulative_total_tkr for e in evaluation.effects] == [
        Decimal(1000), Decimal(804), Decimal(608), Decimal(412), Decimal(216), Decimal(20),
    ]  # fmt: skip
    assert evaluation.payback_total_years is None
    assert evaluation.effects[1].savings_aarsvaerk == Decimal("0.32")
    longer = parse_business_case(
        build_draft_case_yaml(score, EASY, DraftCase(first_year=2026, years=7)), source="x"
    )
    # Year 7 (2032): 20 - 196 = -176 < 0, so it pays back in year 7.
    assert evaluate_case(longer).payback_total_years == 7
    (target,) = case.follow_up_targets
    assert target.deadline == "Udgangen af 2027"
    assert target.measure.startswith("Metric realised_savings:")


def test_criticality_weighs_a_positive_net_and_leaves_a_loss_as_it_is() -> None:
    big = _measures(candidate_id="big", label="Big", handling_hours=2000.0)  # net 196 t.kr.
    small = _measures(candidate_id="small", label="Small", handling_hours=1000.0)  # net 68
    loss = _measures(candidate_id="loss", label="Loss", handling_hours=100.0)  # net -47.2
    ranked = rank_candidates([big, small, loss], EASY)
    assert [s.measures.candidate_id for s in ranked] == ["big", "small", "loss"]
    weighted = rank_candidates(
        [big, replace(small, criticality=3.0), replace(loss, criticality=10.0)], EASY
    )
    assert [s.measures.candidate_id for s in weighted] == ["small", "big", "loss"]
    assert [round(s.priority_tkr, 1) for s in weighted] == [204.0, 196.0, -47.2]
    assert (
        weighted[0].explanation.count(
            "Criticality 3.0 (set by an analyst): ranked by net x criticality = 204 t.kr."
        )
        == 1
    )
    assert (
        "Criticality 10.0 (set by an analyst) does not weigh a net loss" in weighted[2].explanation
    )
    with pytest.raises(InputError, match="criticality must be above 0"):
        replace(big, criticality=0.0)


def test_rpa_for_rule_bound_work_rda_where_judgement_is_needed() -> None:
    assert score_candidate(_measures(), EASY).suggested_run_mode == "unattended"
    judged = score_candidate(_measures(exception_rate=0.35), EASY)
    assert judged.suggested_run_mode == "attended"
    assert (
        "Suggested: RDA (an attended assistant), as 35% of cases leave the usual path and 80% "
        "follow the top variants (RPA needs at most 20% and at least 60%)."
    ) in judged.explanation
    spread = score_candidate(_measures(standardisation=0.5), EASY)
    assert spread.suggested_run_mode == "attended"
    unknown = score_candidate(_measures(exception_rate=None), EASY)
    assert unknown.suggested_run_mode == "attended"
