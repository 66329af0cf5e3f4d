"""Automation candidates: a pure scoring engine from process measures to savings and payback.

The app layer measures each process (a catalog item, an incident category, a time-registration
activity) over a period and hands a :class:`ProcessMeasures` here. The engine turns it into an
estimate of what automating it would save, with the reasoning spelled out:

* **suitability** (0-1) = standardisation x rule-likeness x (1 - rework rate) x stability: a
  product, so one poor factor (most cases off the top variants, every case reworked) vetoes
  automation however large the volume. Standardisation is the share of cases in the top variants;
  rule-likeness is the mean of 1 / branching (distinct next activities per activity, weighted
  by frequency) and 1 - normalised variant entropy; stability is 1 / (1 + coefficient of
  variation of the monthly volume). An unknown measure counts as 0.5 (neutral) and says so.
* **automatable hours** = handling hours a year x suitability x (1 - exception rate): the
  cases that leave the standard path are finished by hand, as the automation proposal assumes.
* **ÅV** = automatable hours / hours per ÅV; **savings** in 1.000 kr. = ÅV x kroner per ÅV / 1000.
* **net** = savings - operating cost a year; **payback** = development cost / net (years), also
  at the low and high ends of the development-cost range; none when net is not positive.
* **suggested run mode**: seed 2 uses RPA (unattended, full automation) for rule-bound work and
  RDA (an attended assistant) where a person's judgement is needed. A process is suggested for
  RPA when at most ``RPA_MAX_EXCEPTIONS`` of its cases leave the usual path and at least
  ``RPA_MIN_STANDARDISATION`` follow its top variants; else for RDA (an unknown measure: RDA, as
  judgement cannot be ruled out).
* **criticality** (a weight the analyst sets per process, 1 when not set; seed 2 ranks by
  "effekt og kritikalitet"): candidates are ranked by the **priority** = net x criticality when
  the net is positive; a net loss stays the loss (a weight never turns a loss into a gain).

Defaults come from the automation proposal (``seeds/investment-proposal-automation-
solutions.txt``): development 900-1,100 t.kr. per solution (1,000 mid), operating 60 t.kr. a year
per solution, 1,924 hours per ÅV (bevillingsårsværk) and 663,000 kr. per ÅV (its "ca. 3 årsværk
svarende til ca. 2 mio. kr."; the app reads it from the case YAML).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from models.errors import InputError

HoursBasis = Literal["registered", "mined", "none"]
Level = Literal["process", "activity"]

NEUTRAL = 0.5
RPA_MAX_EXCEPTIONS = 0.2
RPA_MIN_STANDARDISATION = 0.6
RunMode = Literal["unattended", "attended"]


@dataclass(frozen=True)
class CandidateParameters:
    """The money assumptions of a ranking; amounts in 1.000 kr. unless named otherwise."""

    hours_per_aarsvaerk: float = 1924.0
    kroner_per_aarsvaerk: float = 663_000.0
    development_cost_tkr: float = 1000.0
    development_cost_low_tkr: float = 900.0
    development_cost_high_tkr: float = 1100.0
    operating_cost_tkr: float = 60.0

    def __post_init__(self) -> None:
        for name in ("hours_per_aarsvaerk", "kroner_per_aarsvaerk"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} must be above 0, got {getattr(self, name)}.")
        low, mid, high = (
            self.development_cost_low_tkr,
            self.development_cost_tkr,
            self.development_cost_high_tkr,
        )
        if not 0 <= low <= mid <= high:
            raise InputError(
                f"the development cost range must satisfy 0 <= low <= cost <= high; got "
                f"{low} <= {mid} <= {high}: give --dev-cost-low, --dev-cost and "
                "--dev-cost-high in that order."
            )
        if self.operating_cost_tkr < 0:
            raise InputError(
                f"operating_cost_tkr must be 0 or more, got {self.operating_cost_tkr}."
            )


@dataclass(frozen=True)
class Automated:
    """A process a robot already does: its robot process, go-live (first transaction, ISO date)
    and the realised share (cases since go-live that a robot handled successfully, 0-1)."""

    robot_process: str
    go_live: str
    realised_share: float
    robot_transactions: int
    run_mode: str | None = None
    """``unattended`` (RPA), ``attended`` (RDA, a person starts it and finishes the case: residual
    human minutes), ``mixed``, or None when the robot data does not say."""


@dataclass(frozen=True)
class ProcessMeasures:
    """What was measured of one process over ``years`` years. Rates and shares are 0-1; None
    means the data held no way to measure it (scored neutral, said in the explanation)."""

    candidate_id: str
    label: str
    level: Level
    source: str
    cases: int
    years: float
    handling_hours: float
    hours_basis: HoursBasis
    standardisation: float | None = None
    top_variants: int = 3
    branching: float | None = None
    variant_entropy: float | None = None
    exception_rate: float | None = None
    rework_rate: float | None = None
    monthly_cv: float | None = None
    automated: Automated | None = None
    related: tuple[str, ...] = field(default_factory=tuple)
    members: tuple[str, ...] = field(default_factory=tuple)
    """The ids of the sources' rows merged into this process (empty: the row is its own)."""
    factor_sources: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """(factor, source) pairs: which source each factor was measured in (volume, hours, shape,
    automated)."""
    criticality: float = 1.0
    case_years: float | None = None
    """The years the cases were counted over, when not ``years`` (the hours' source's)."""
    period: tuple[str, str] | None = None
    """The period measured (ISO first and last day), when known."""

    def __post_init__(self) -> None:
        if self.years <= 0 or (self.case_years is not None and self.case_years <= 0):
            raise InputError(f"{self.candidate_id}: the period must be longer than 0 years.")
        if not self.criticality > 0:
            raise InputError(
                f"{self.candidate_id}: the criticality must be above 0, got {self.criticality}."
            )
        for name in ("standardisation", "variant_entropy", "exception_rate", "rework_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise InputError(f"{self.candidate_id}: {name} must lie in 0-1, got {value}.")
        if self.branching is not None and self.branching < 1:
            raise InputError(
                f"{self.candidate_id}: branching must be 1 or more, got {self.branching}."
            )


@dataclass(frozen=True)
class CandidateScore:
    """One ranked candidate. Money in 1.000 kr. a year; ``payback_years`` None when the net
    saving is not positive. ``rank`` is 1 for the best, 0 for an already automated process."""

    measures: ProcessMeasures
    cases_per_year: float
    hours_per_year: float
    rule_likeness: float
    stability: float
    suitability: float
    automatable_hours_per_year: float
    aarsvaerk: float
    savings_tkr: float
    net_savings_tkr: float
    payback_years: float | None
    payback_years_low: float | None
    payback_years_high: float | None
    explanation: str
    status: Literal["candidate", "already automated"] = "candidate"
    rank: int = 0
    priority_tkr: float = 0.0
    """What the candidates are ranked by: net x criticality when the net is positive, else net."""
    suggested_run_mode: RunMode = "attended"
    """RPA (``unattended``) for rule-bound work, RDA (``attended``) where judgement is needed."""


def compute_rule_likeness(branching: float | None, variant_entropy: float | None) -> float:
    """Mean of 1 / branching and 1 - normalised entropy; a missing part counts as neutral."""
    inverse_branching = NEUTRAL if branching is None else 1.0 / branching
    low_entropy = NEUTRAL if variant_entropy is None else 1.0 - variant_entropy
    return (inverse_branching + low_entropy) / 2


def compute_stability(monthly_cv: float | None) -> float:
    """1 / (1 + coefficient of variation of the monthly volume); neutral when unknown."""
    return NEUTRAL if monthly_cv is None else 1.0 / (1.0 + monthly_cv)


def compute_suitability(measures: ProcessMeasures) -> float:
    """Standardisation x rule-likeness x (1 - rework rate) x stability."""
    return (
        _known(measures.standardisation)
        * compute_rule_likeness(measures.branching, measures.variant_entropy)
        * (1.0 - (measures.rework_rate or 0.0))
        * compute_stability(measures.monthly_cv)
    )


def _known(value: float | None) -> float:
    return NEUTRAL if value is None else value


def compute_variant_entropy(case_counts: Sequence[int]) -> float:
    """Shannon entropy of the variant distribution over log2(number of cases), 0-1.

    0 when every case follows one variant; 1 when every case is a variant of its own."""
    total = sum(case_counts)
    if total <= 1:
        return 0.0
    bits = -sum(n / total * math.log2(n / total) for n in case_counts if n)
    return min(bits / math.log2(total), 1.0)


def score_candidate(measures: ProcessMeasures, parameters: CandidateParameters) -> CandidateScore:
    """Suitability, automatable hours, ÅV, savings, net and payback of one process."""
    suitability = compute_suitability(measures)
    hours_per_year = measures.handling_hours / measures.years
    automatable = hours_per_year * suitability * (1.0 - (measures.exception_rate or 0.0))
    aarsvaerk = automatable / parameters.hours_per_aarsvaerk
    savings = aarsvaerk * parameters.kroner_per_aarsvaerk / 1000.0
    net = savings - parameters.operating_cost_tkr
    score = CandidateScore(
        measures=measures,
        cases_per_year=measures.cases / (measures.case_years or measures.years),
        hours_per_year=hours_per_year,
        rule_likeness=compute_rule_likeness(measures.branching, measures.variant_entropy),
        stability=compute_stability(measures.monthly_cv),
        suitability=suitability,
        automatable_hours_per_year=automatable,
        aarsvaerk=aarsvaerk,
        savings_tkr=savings,
        net_savings_tkr=net,
        payback_years=_payback(parameters.development_cost_tkr, net),
        payback_years_low=_payback(parameters.development_cost_low_tkr, net),
        payback_years_high=_payback(parameters.development_cost_high_tkr, net),
        explanation="",
        status="already automated" if measures.automated else "candidate",
        priority_tkr=compute_priority(net, measures.criticality),
        suggested_run_mode=suggest_run_mode(measures),
    )
    return replace(score, explanation=explain(score, parameters))


def suggest_run_mode(measures: ProcessMeasures) -> RunMode:
    """``unattended`` (RPA) when few cases leave the usual path and most follow the top
    variants; else ``attended`` (RDA, an assistant to the person who judges the case)."""
    exceptions, standard = measures.exception_rate, measures.standardisation
    if exceptions is None or standard is None:
        return "attended"
    if exceptions <= RPA_MAX_EXCEPTIONS and standard >= RPA_MIN_STANDARDISATION:
        return "unattended"
    return "attended"


def compute_priority(net_savings_tkr: float, criticality: float) -> float:
    """Net x criticality for a positive net; a net loss (or none) stays as it is."""
    return net_savings_tkr * criticality if net_savings_tkr > 0 else net_savings_tkr


def _payback(cost_tkr: float, net_tkr: float) -> float | None:
    return cost_tkr / net_tkr if net_tkr > 0 else None


def rank_candidates(
    measures: Sequence[ProcessMeasures], parameters: CandidateParameters
) -> tuple[CandidateScore, ...]:
    """Every process scored; candidates ranked by priority (net saving a year x criticality,
    then net, then label), best first, followed by the already automated ones (rank 0), by
    realised share."""
    ids = [m.candidate_id for m in measures]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"candidate ids must be unique; repeated: {', '.join(duplicates)}.")
    scores = [score_candidate(m, parameters) for m in measures]
    open_ = sorted(
        (s for s in scores if s.status == "candidate"),
        key=lambda s: (
            -s.priority_tkr,
            -s.net_savings_tkr,
            s.measures.label,
            s.measures.candidate_id,
        ),
    )
    done = sorted(
        (s for s in scores if s.status == "already automated"),
        key=lambda s: (-_realised(s), s.measures.candidate_id),
    )
    ranked = [replace(s, rank=i) for i, s in enumerate(open_, start=1)]
    return (*ranked, *done)


def _realised(score: CandidateScore) -> float:
    return score.measures.automated.realised_share if score.measures.automated else 0.0


def explain(score: CandidateScore, parameters: CandidateParameters) -> str:
    """The score in English words: the volume, the measures, and the money."""
    m = score.measures
    parts = [
        f"{m.label} ({m.source}): {_n(score.cases_per_year)} cases a year, "
        f"{_n(score.hours_per_year)} {_basis(m.hours_basis)} hours a year",
        _standardisation(m),
        _rule_likeness(m),
        f"{_pct(m.rework_rate)} of cases with rework"
        if m.rework_rate is not None
        else "rework unknown",
        f"{_pct(m.exception_rate)} off the usual end (finished by hand)"
        if m.exception_rate is not None
        else "exception rate unknown (none assumed)",
        _stability(m),
    ]
    money = (
        f"suitability {_fixed(score.suitability, 2)} gives {_n(score.automatable_hours_per_year)} "
        f"automatable hours a year = {_fixed(score.aarsvaerk, 2)} ÅV "
        f"(at {_n(parameters.hours_per_aarsvaerk)} h per ÅV) = {_n(score.savings_tkr)} "
        f"t.kr. a year, {_n(score.net_savings_tkr)} t.kr. net of "
        f"{_n(parameters.operating_cost_tkr)} t.kr. operating cost"
    )
    text = "; ".join(parts) + ". " + money + ". " + _payback_words(score, parameters)
    text += " " + _criticality_words(score) + " " + _suggestion_words(score)
    if m.factor_sources:
        merged = ", ".join(f"{factor} from {source}" for factor, source in m.factor_sources)
        text += f" Sources merged into this process: {merged}."
    if m.automated:
        a = m.automated
        text += (
            f" Already automated: robot process {a.robot_process!r} live since {a.go_live}, "
            f"{a.robot_transactions} transactions, handling {_pct(a.realised_share)} of the "
            f"cases since{_run_mode_words(a.run_mode)}."
        )
    return text


RUN_MODE_WORDS = {
    "unattended": "unattended (RPA: the robot finishes the case alone)",
    "attended": "attended (RDA: an assistant a person starts; residual human minutes remain)",
    "mixed": "both attended and unattended runs",
}


def _run_mode_words(run_mode: str | None) -> str:
    return f"; it runs {RUN_MODE_WORDS[run_mode]}" if run_mode in RUN_MODE_WORDS else ""


def _suggestion_words(score: CandidateScore) -> str:
    m = score.measures
    if score.suggested_run_mode == "unattended":
        return (
            f"Suggested: RPA (unattended), {_pct(m.exception_rate)} of cases off the usual path "
            f"and {_pct(m.standardisation)} in the top variants."
        )
    if m.exception_rate is None or m.standardisation is None:
        return "Suggested: RDA (an attended assistant), as the path of the cases is unknown."
    return (
        f"Suggested: RDA (an attended assistant), as {_pct(m.exception_rate)} of cases leave the "
        f"usual path and {_pct(m.standardisation)} follow the top variants (RPA needs at most "
        f"{_pct(RPA_MAX_EXCEPTIONS)} and at least {_pct(RPA_MIN_STANDARDISATION)})."
    )


def _criticality_words(score: CandidateScore) -> str:
    weight = score.measures.criticality
    if weight == 1:
        return "Criticality 1 (not set by an analyst): ranked by the net saving."
    if score.net_savings_tkr <= 0:
        return (
            f"Criticality {_fixed(weight, 1)} (set by an analyst) does not weigh a net loss: "
            "ranked by the net."
        )
    return (
        f"Criticality {_fixed(weight, 1)} (set by an analyst): ranked by net x criticality = "
        f"{_n(score.priority_tkr)} t.kr."
    )


def _basis(basis: HoursBasis) -> str:
    return {
        "registered": "registered",
        "mined": "mined (working time from pickup to close, an upper bound)",
        "none": "registered (none links to its cases)",
    }[basis]


def _standardisation(m: ProcessMeasures) -> str:
    if m.standardisation is None:
        return "standardisation unknown (no linked cases; neutral 0.5)"
    return f"{_pct(m.standardisation)} of cases in the top {m.top_variants} variants"


def _rule_likeness(m: ProcessMeasures) -> str:
    if m.branching is None or m.variant_entropy is None:
        return "rule-likeness unknown (neutral 0.5)"
    return (
        f"{_fixed(m.branching, 2)} distinct next activities per activity and variant entropy "
        f"{_fixed(m.variant_entropy, 2)} ({'rule-like' if m.branching <= 1.5 else 'branching'})"
    )


def _stability(m: ProcessMeasures) -> str:
    if m.monthly_cv is None:
        return "stability unknown (neutral 0.5)"
    word = "stable" if m.monthly_cv <= 0.25 else "variable"
    return f"{word} monthly volume (variation coefficient {_fixed(m.monthly_cv, 2)})"


def _payback_words(score: CandidateScore, parameters: CandidateParameters) -> str:
    if score.payback_years is None:
        return (
            f"It does not pay back: the saving does not cover the operating cost "
            f"(development {_n(parameters.development_cost_tkr)} t.kr.)."
        )
    low, high = score.payback_years_low or 0.0, score.payback_years_high or 0.0
    return (
        f"Payback {_fixed(score.payback_years, 1)} years on "
        f"{_n(parameters.development_cost_tkr)} t.kr. development "
        f"({_fixed(low, 1)}-{_fixed(high, 1)} years at "
        f"{_n(parameters.development_cost_low_tkr)}-"
        f"{_n(parameters.development_cost_high_tkr)} t.kr.)."
    )


def _n(value: float) -> str:
    """Whole number with thousands separators, rounded half up."""
    rounded = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{int(rounded):,}"


def _fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, rounded half up (0.815 -> 0.82, as KK rounds)."""
    exact = Decimal(repr(round(value, 9)))
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value * 100:.0f}%"


@dataclass(frozen=True)
class DraftCase:
    """What a business-case draft needs besides the score: its first budget year (the
    development year; savings and operating cost run from the next year), how many budget
    years, the p/l year, and the metric the follow-up target is bound to."""

    first_year: int
    years: int = 6
    price_level_year: int | None = None
    administration: str = "Økonomiforvaltningen"
    metric: str = "realised_savings"


def build_draft_case_yaml(
    score: CandidateScore, parameters: CandidateParameters, draft: DraftCase
) -> str:
    """A business-case YAML (data/business_cases/README.md format) for one candidate.

    Amounts are whole 1.000 kr., savings negative: development in the first year (Anlæg), the
    yearly saving and operating cost (Service) from the second year on."""
    if draft.years < 2:
        raise InputError(f"a draft case needs at least 2 budget years, got {draft.years}.")
    m = score.measures
    years = list(range(draft.first_year, draft.first_year + draft.years))
    saving = _whole_tkr(score.savings_tkr)
    running = years[1:]
    lines = [
        _line("Tidsbesparelse ved automatisering", "Service", "permanent_change",
              {y: -saving for y in running}, admin_effect=True),
        _line("Driftsomkostninger", "Service", "operating_cost",
              {y: _whole_tkr(parameters.operating_cost_tkr) for y in running}, admin_effect=True),
        _line("Udvikling af automatiseringsløsning", "Anlæg", "implementation_cost",
              {years[0]: _whole_tkr(parameters.development_cost_tkr)}),
    ]  # fmt: skip
    deadline = f"Udgangen af {years[1]}"
    text = [
        "# Draft written by 'kitflow candidates --draft-case'. Check every figure before use.",
        f"title: {_quote(f'Automatisering af {m.label}')}",
        f"administration: {_quote(draft.administration)}",
        f"summary: {_quote(score.explanation)}",
        f"price_level_year: {draft.price_level_year or draft.first_year}",
        f"budget_years: [{', '.join(str(y) for y in years)}]",
        "lines:",
        *lines,
        "aarsvaerk:",
        f"  kroner_per_aarsvaerk: {_whole(parameters.kroner_per_aarsvaerk)}",
        f"  hours_per_aarsvaerk: {_whole(parameters.hours_per_aarsvaerk)}",
        f"  note: {_quote(_aarsvaerk_note(score))}",
        "follow_up:",
        "  - group: Realisering af effektiviseringer",
        f"    target: {_quote(_target(m.label))}",
        f"    measure: {_quote(_measure(score, draft.metric))}",
        "    responsible: Koncern IT, serviceområde der ejer automatiseringsløsningen",
        f"    deadline: {deadline}",
        "notes:",
        "  - Alle besparelser er angivet med negativt (-) fortegn.",
        f"  - {_quote(f'Kandidat {m.candidate_id} fra kitflow candidates.')}",
    ]
    return "\n".join(text) + "\n"


# The ServiceNow work a candidate's own log holds, and the activities a person handles it
# between (the simulated and KIT's task states): the follow-up then measures handling time.
_DRAFT_WORK = {
    "servicenow-orders": (
        "sc_req_item", "catalog_items", "State: Work in Progress", "State: Closed Complete",
    ),
    "servicenow-incidents": ("incident", "category", "State: In Progress", "State: Resolved"),
}  # fmt: skip


def build_draft_bindings_yaml(score: CandidateScore, draft: DraftCase, case_file: str) -> str:
    """The follow-up bindings (data/business_cases/README.md) for the draft ``case_file``: the
    one solution, live from the year after development, its time-registration activity or
    ServiceNow work, and its one target bound to ``draft.metric``."""
    m = score.measures
    log, _, group = m.candidate_id.partition(":")
    solution = [
        f"  - name: {_quote(f'Automatisering af {m.label}')}",
        f"    go_live: {draft.first_year + 1}-01-01",
        "    # robot_process: the release or flow name, once the robot is built",
    ]
    if log == "time-registration":
        solution.append(f"    time_activity: {_quote(group)}")
    elif log in _DRAFT_WORK and group:
        table, key, start, end = _DRAFT_WORK[log]
        value = f"[{_quote(group)}]" if key == "catalog_items" else _quote(group)
        solution += [
            "    work:",
            f"      table: {table}",
            f"      {key}: {value}",
            f"      start: {_quote(start)}",
            f"      end: {_quote(end)}",
        ]
    text = [
        "# Follow-up bindings drafted by 'kitflow candidates --draft-case'. Check before use.",
        f"case: {_quote(case_file)}",
        "solutions:",
        *solution,
        "targets:",
        f"  - {{follow_up: 1, metric: {draft.metric}}}",
    ]
    return "\n".join(text) + "\n"


def _line(
    label: str, omraade: str, kind: str, amounts: dict[int, int], *, admin_effect: bool = False
) -> str:
    rows = [
        f"  - label: {_quote(label)}",
        f"    styringsomraade: {omraade}",
        f"    kind: {kind}",
    ]
    if admin_effect:
        rows.append("    admin_effect: hovedkonto_6")
    rows.append("    amounts_tkr:")
    rows += [f"      {year}: {amount}" for year, amount in amounts.items()]
    return "\n".join(rows)


def _target(label: str) -> str:
    return f"Automatiseringsløsning for {label} er implementeret og i drift."


def _measure(score: CandidateScore, metric: str) -> str:
    return (
        f"Metric {metric}: sparede timer = robottens gennemførte transaktioner x manuel tid; "
        f"baseline {_n(score.hours_per_year)} timer om året, heraf "
        f"{_n(score.automatable_hours_per_year)} automatiserbare (aflæses i kørselsdata)"
    )


def _aarsvaerk_note(score: CandidateScore) -> str:
    return (
        f"Skøn fra kitflow candidates: {_n(score.automatable_hours_per_year)} automatiserbare "
        f"timer om året = {_fixed(score.aarsvaerk, 2)} ÅV."
    )


def _whole_tkr(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _whole(value: float) -> str:
    return str(_whole_tkr(value))


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (the reader takes any scalar's raw text)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
