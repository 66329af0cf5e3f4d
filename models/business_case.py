"""The business-case engine: Copenhagen (KK) investment proposals, evaluated exactly.

A business case is the content of a KK *investeringsforslag*: budget lines per styringsområde in
1.000 kr. at one price level (p/l year), savings negative and costs positive, as the KK tables
print them. :func:`evaluate_case` turns it into the tables the proposal prints (Tabel 1, the
tables per styringsområde, the administration table), the payback time on both bases, the NPV,
the savings in årsværk (ÅV) and hours, and the split per sub-solution.

Exactness: every amount is a :class:`~decimal.Decimal` and every division goes through
:class:`~fractions.Fraction`, so a table never shows float drift; the only rounding is explicit
(half-up, away from zero, at a stated number of decimals) and documented where it happens.

This module is pure: no files, no YAML (see :mod:`models.business_case_io`), no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from models.errors import InputError

Styringsomraade = Literal["Service", "Anlæg", "Overførsler"]
LineKind = Literal["permanent_change", "operating_cost", "implementation_cost"]
AdminEffect = Literal["hovedkonto_6", "oevrige", "none"]
RowRole = Literal["line", "subtotal", "total"]

STYRINGSOMRAADER: tuple[Styringsomraade, ...] = ("Service", "Anlæg", "Overførsler")
LINE_KINDS: tuple[LineKind, ...] = ("permanent_change", "operating_cost", "implementation_cost")
ADMIN_EFFECTS: tuple[AdminEffect, ...] = ("hovedkonto_6", "oevrige", "none")

#: Finansministeriet's real discount rate for years 0-35 since 7 Jan 2021 (sources.md 5.2).
DEFAULT_DISCOUNT_RATE = Decimal("0.035")
#: Økonomistyrelsen's bevillingsårsværk (37 h x 52 weeks); 1.628 is a common net alternative.
BEVILLINGSAARSVAERK_HOURS = Decimal(1924)
NET_AARSVAERK_HOURS = Decimal(1628)

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_AARSVAERK_DECIMALS = 2
_NPV_DECIMALS = 2

# The labels KK's template prints; kept here so the CLI, reports and tests share one spelling.
LABEL_VARIG_TOTAL = "Samlet varig ændring"
LABEL_IMPLEMENTERING_TOTAL = "Samlede implementeringsomkostninger"
LABEL_OEKONOMISK_PAAVIRKNING = "Samlet økonomisk påvirkning"
LABEL_ADMIN_HOVEDKONTO_6 = (
    "Effekt på lønudgifter på hovedkonto 6 og øvrige adm. udgifter på hovedfunktion 6.45"
)
LABEL_ADMIN_OEVRIGE = "Effekt på øvrige administrative udgifter"
LABEL_ADMIN_TOTAL = "Varige ændringer totalt, administration"


@dataclass(frozen=True)
class BudgetLine:
    """One row of the proposal's Tabel 1: an amount per budget year, in 1.000 kr.

    ``amounts_tkr`` holds only the years the proposal fills in; a missing year is printed "-"
    and counts as zero. ``admin_effect`` says in which row of the administration table a
    permanent line lands (KK's "Effekt på lønudgifter på hovedkonto 6 ..." or "øvrige").
    """

    label: str
    styringsomraade: Styringsomraade
    kind: LineKind
    amounts_tkr: Mapping[int, Decimal]
    admin_effect: AdminEffect = "none"
    profit_center: str | None = None

    @property
    def is_varig(self) -> bool:
        """Permanent changes and operating costs both belong to "Samlet varig ændring"."""
        return self.kind != "implementation_cost"

    def amount_tkr(self, year: int) -> Decimal | None:
        """The amount in ``year``, or None when the proposal leaves that cell empty."""
        return self.amounts_tkr.get(year)


@dataclass(frozen=True)
class SubSolution:
    """A part of the proposal with its share of the permanent savings, in percent."""

    name: str
    share_pct: Decimal


@dataclass(frozen=True)
class AarsvaerkAssumptions:
    """How savings in kroner translate into årsværk (ÅV) and hours.

    ``kroner_per_aarsvaerk`` is in whole kroner at the case's p/l; ``hours_per_aarsvaerk`` is
    1.924 (bevillingsårsværk), 1.628 (net) or the case's own figure: always shown, since the
    two presets differ by about 18 %.
    """

    kroner_per_aarsvaerk: Decimal
    hours_per_aarsvaerk: Decimal = BEVILLINGSAARSVAERK_HOURS
    note: str = ""


@dataclass(frozen=True)
class FollowUpTarget:
    """One row of the proposal's "Opfølgning" table."""

    group: str
    target: str
    measure: str
    responsible: str
    deadline: str


@dataclass(frozen=True)
class ImplementationActivity:
    """One row of an implementation-responsibility table (udførende, ansvarlig, ...)."""

    activity: str
    executing: str
    responsible: str
    informed: str
    advising: str


@dataclass(frozen=True)
class BusinessCase:
    """A KK investment proposal, amounts in 1.000 kr. at ``price_level_year`` p/l.

    ``budget_years`` are the table's consecutive columns. ``decision_year`` is t = 0 for the
    NPV (the year the proposal is decided and paid out); when None, the first budget year.
    ``converted_from_price_level_year`` is set when :func:`convert_price_level` made this case.
    """

    title: str
    administration: str
    price_level_year: int
    budget_years: tuple[int, ...]
    lines: tuple[BudgetLine, ...]
    aarsvaerk: AarsvaerkAssumptions
    sub_solutions: tuple[SubSolution, ...] = ()
    follow_up_targets: tuple[FollowUpTarget, ...] = ()
    implementation_activities: tuple[ImplementationActivity, ...] = ()
    affected_administrations: tuple[str, ...] = ()
    decision_year: int | None = None
    payout_price_level_year: int | None = None
    proposal_round: str = ""
    summary: str = ""
    notes: tuple[str, ...] = ()
    converted_from_price_level_year: int | None = None

    @property
    def npv_base_year(self) -> int:
        """The year that is t = 0 in the NPV."""
        return self.budget_years[0] if self.decision_year is None else self.decision_year


@dataclass(frozen=True)
class PriceIndex:
    """A p/l index: one level per year (any base); ``source`` names it in messages."""

    index_by_year: Mapping[int, Decimal]
    source: str = "the p/l index"


@dataclass(frozen=True)
class TableRow:
    """One printed row of a KK table; one cell per budget year, None where the table shows "-".

    A subtotal or total cell is None when no line under it has an amount that year.
    """

    label: str
    role: RowRole
    styringsomraade: Styringsomraade | None
    cells_tkr: tuple[Decimal | None, ...]


@dataclass(frozen=True)
class CaseTable:
    """A KK table: ``key`` is stable for code (``tabel_1``, ``varige_service``, ...)."""

    key: str
    title: str
    rows: tuple[TableRow, ...]

    def row(self, label: str) -> TableRow:
        """The row with this label (first match)."""
        for candidate in self.rows:
            if candidate.label == label:
                return candidate
        raise KeyError(label)


@dataclass(frozen=True)
class YearEffect:
    """One row per budget year: Tabel 1's totals, their cumulation and the savings in ÅV.

    Amounts are in 1.000 kr. in KK's sign (savings negative). ``service_effect_tkr`` is the
    basis of "Tilbagebetalingstid baseret på serviceeffektivisering": all implementation
    costs plus the permanent lines in styringsområde Service. ``permanent_savings_tkr`` sums
    the ``permanent_change`` lines only (gross of operating costs); ``savings_aarsvaerk`` and
    ``savings_hours`` express it as work freed, so a saving is positive there.
    """

    year: int
    samlet_varig_aendring_tkr: Decimal
    samlede_implementeringsomkostninger_tkr: Decimal
    samlet_oekonomisk_paavirkning_tkr: Decimal
    cumulative_total_tkr: Decimal
    service_effect_tkr: Decimal
    cumulative_service_tkr: Decimal
    permanent_savings_tkr: Decimal
    savings_aarsvaerk: Decimal
    savings_hours: int


@dataclass(frozen=True)
class SubSolutionSplit:
    """One sub-solution's share of the permanent savings, one value per budget year."""

    name: str
    share_pct: Decimal
    savings_tkr: tuple[Decimal, ...]
    savings_aarsvaerk: tuple[Decimal, ...]


@dataclass(frozen=True)
class CaseEvaluation:
    """Everything ``kitflow case evaluate`` reports, at ``case.price_level_year`` p/l.

    Payback counts the first year with any non-zero amount as year 1 and stops at the first
    year whose cumulative effect is below zero; None when that does not happen in the budget
    years. ``npv_tkr`` is positive when the case pays (see :func:`compute_npv_tkr`).
    """

    case: BusinessCase
    years: tuple[int, ...]
    tables: tuple[CaseTable, ...]
    effects: tuple[YearEffect, ...]
    first_effect_year: int | None
    payback_service_years: int | None
    payback_total_years: int | None
    discount_rate: Decimal
    npv_tkr: Decimal
    sub_solutions: tuple[SubSolutionSplit, ...]

    def table(self, key: str) -> CaseTable:
        """The table with this key."""
        for candidate in self.tables:
            if candidate.key == key:
                return candidate
        raise KeyError(key)


def evaluate_case(
    case: BusinessCase, *, discount_rate: Decimal = DEFAULT_DISCOUNT_RATE
) -> CaseEvaluation:
    """Evaluate a business case: its tables, payback, NPV, ÅV and sub-solution split."""
    effects = build_year_effects(case)
    first_year = find_first_effect_year(case)
    return CaseEvaluation(
        case=case,
        years=case.budget_years,
        tables=build_tables(case),
        effects=effects,
        first_effect_year=first_year,
        payback_service_years=compute_payback_years(
            [(e.year, e.cumulative_service_tkr) for e in effects], first_year=first_year
        ),
        payback_total_years=compute_payback_years(
            [(e.year, e.cumulative_total_tkr) for e in effects], first_year=first_year
        ),
        discount_rate=discount_rate,
        npv_tkr=compute_npv_tkr(
            [(e.year, e.samlet_oekonomisk_paavirkning_tkr) for e in effects],
            base_year=case.npv_base_year,
            discount_rate=discount_rate,
        ),
        sub_solutions=build_sub_solution_splits(case, effects),
    )


# --- Tables -------------------------------------------------------------------------------


def build_tables(case: BusinessCase) -> tuple[CaseTable, ...]:
    """Tabel 1, then one table per styringsområde and section, then the administration table."""
    tables = [CaseTable("tabel_1", "Forslagets samlede økonomiske konsekvenser", _tabel_1(case))]
    for omraade in STYRINGSOMRAADER:
        varige = [ln for ln in case.lines if ln.is_varig and ln.styringsomraade == omraade]
        if varige:
            title = f"Varige ændringer, {omraade.lower()}"
            total = f"Varige ændringer totalt, {omraade.lower()}"
            rows = (*_line_rows(case, varige), _sum_row(case, total, "total", varige, omraade))
            tables.append(CaseTable(f"varige_{_key(omraade)}", title, rows))
    for omraade in STYRINGSOMRAADER:
        costs = [ln for ln in case.lines if not ln.is_varig and ln.styringsomraade == omraade]
        if costs:
            title = f"Investeringer i forslaget, {omraade}"
            total = f"Investeringer totalt, {omraade}"
            rows = (*_line_rows(case, costs), _sum_row(case, total, "total", costs, omraade))
            tables.append(CaseTable(f"investeringer_{_key(omraade)}", title, rows))
    tables.append(CaseTable("administration", "Varige ændringer, administration", _admin(case)))
    return tuple(tables)


def _key(omraade: Styringsomraade) -> str:
    return {"Service": "service", "Anlæg": "anlaeg", "Overførsler": "overfoersler"}[omraade]


def _tabel_1(case: BusinessCase) -> tuple[TableRow, ...]:
    """KK's Tabel 1: permanent lines and their total, implementation lines and theirs, effect.

    A per-styringsområde subtotal appears only when a section spans several styringsområder;
    with one, the section total carries it (as the seeds print "Samlet varig ændring Service").
    """
    varige = [ln for ln in case.lines if ln.is_varig]
    costs = [ln for ln in case.lines if not ln.is_varig]
    rows: list[TableRow] = []
    for section, total_label in ((varige, LABEL_VARIG_TOTAL), (costs, LABEL_IMPLEMENTERING_TOTAL)):
        rows.extend(_line_rows(case, section))
        omraader = _omraader(section)
        if len(omraader) > 1:
            for omraade in omraader:
                part = [ln for ln in section if ln.styringsomraade == omraade]
                label = f"{total_label}, {omraade.lower()}"
                rows.append(_sum_row(case, label, "subtotal", part, omraade))
        single = omraader[0] if len(omraader) == 1 else None
        rows.append(_sum_row(case, total_label, "total", section, single))
    rows.append(_sum_row(case, LABEL_OEKONOMISK_PAAVIRKNING, "total", case.lines, None))
    return tuple(rows)


def _omraader(lines: Sequence[BudgetLine]) -> list[Styringsomraade]:
    present = {ln.styringsomraade for ln in lines}
    return [omraade for omraade in STYRINGSOMRAADER if omraade in present]


def _line_rows(case: BusinessCase, lines: Iterable[BudgetLine]) -> list[TableRow]:
    return [
        TableRow(
            ln.label, "line", ln.styringsomraade, tuple(ln.amount_tkr(y) for y in case.budget_years)
        )
        for ln in lines
    ]


def _sum_row(
    case: BusinessCase,
    label: str,
    role: RowRole,
    lines: Sequence[BudgetLine],
    omraade: Styringsomraade | None,
) -> TableRow:
    cells = tuple(_sum_cell(lines, year) for year in case.budget_years)
    return TableRow(label, role, omraade, cells)


def _sum_cell(lines: Iterable[BudgetLine], year: int) -> Decimal | None:
    """The sum of the lines' amounts; None (printed "-") when none of them has one."""
    present = [a for a in (ln.amount_tkr(year) for ln in lines) if a is not None]
    return sum(present, _ZERO) if present else None


def _admin(case: BusinessCase) -> tuple[TableRow, ...]:
    """KK's "Varige ændringer, administration": the permanent lines by administrative effect."""
    varige = [ln for ln in case.lines if ln.is_varig]
    hovedkonto_6 = [ln for ln in varige if ln.admin_effect == "hovedkonto_6"]
    oevrige = [ln for ln in varige if ln.admin_effect == "oevrige"]
    return (
        _sum_row(case, LABEL_ADMIN_HOVEDKONTO_6, "line", hovedkonto_6, None),
        _sum_row(case, LABEL_ADMIN_OEVRIGE, "line", oevrige, None),
        _sum_row(case, LABEL_ADMIN_TOTAL, "total", hovedkonto_6 + oevrige, None),
    )


# --- Per-year effects, payback, NPV ----------------------------------------------------------


def build_year_effects(case: BusinessCase) -> tuple[YearEffect, ...]:
    """One :class:`YearEffect` per budget year, cumulated from the first budget year."""
    effects: list[YearEffect] = []
    cumulative_total_tkr = _ZERO
    cumulative_service_tkr = _ZERO
    for year in case.budget_years:
        varig_tkr = _sum_tkr(case, year, lambda ln: ln.is_varig)
        impl_tkr = _sum_tkr(case, year, lambda ln: not ln.is_varig)
        service_tkr = impl_tkr + _sum_tkr(
            case, year, lambda ln: ln.is_varig and ln.styringsomraade == "Service"
        )
        savings_tkr = _sum_tkr(case, year, lambda ln: ln.kind == "permanent_change")
        cumulative_total_tkr += varig_tkr + impl_tkr
        cumulative_service_tkr += service_tkr
        effects.append(
            YearEffect(
                year=year,
                samlet_varig_aendring_tkr=varig_tkr,
                samlede_implementeringsomkostninger_tkr=impl_tkr,
                samlet_oekonomisk_paavirkning_tkr=varig_tkr + impl_tkr,
                cumulative_total_tkr=cumulative_total_tkr,
                service_effect_tkr=service_tkr,
                cumulative_service_tkr=cumulative_service_tkr,
                permanent_savings_tkr=savings_tkr,
                # Work freed is positive, while KK's savings are negative: hence the minus.
                savings_aarsvaerk=compute_aarsvaerk(-savings_tkr, case.aarsvaerk),
                savings_hours=compute_hours(-savings_tkr, case.aarsvaerk),
            )
        )
    return tuple(effects)


def _sum_tkr(case: BusinessCase, year: int, keep: Callable[[BudgetLine], bool]) -> Decimal:
    """The year's amounts of the lines ``keep`` selects, summed; empty cells count as zero."""
    amounts = (ln.amount_tkr(year) for ln in case.lines if keep(ln))
    return sum((a for a in amounts if a is not None), _ZERO)


def find_first_effect_year(case: BusinessCase) -> int | None:
    """The first budget year in which any line has a non-zero amount (payback's year 1)."""
    for year in case.budget_years:
        if any(ln.amount_tkr(year) for ln in case.lines):
            return year
    return None


def compute_payback_years(
    cumulative_tkr: Sequence[tuple[int, Decimal]], *, first_year: int | None
) -> int | None:
    """Tilbagebetalingstid: years from ``first_year`` (= year 1) until the cumulative is < 0.

    KK's tables count the year in which the cumulative effect (savings negative) first drops
    below zero; a cumulative of exactly zero has not yet paid back. Undiscounted, as KK
    prints it. None when it never happens within the given years.
    """
    if first_year is None:
        return None
    for year, cumulative in cumulative_tkr:
        if year >= first_year and cumulative < 0:
            return year - first_year + 1
    return None


def compute_npv_tkr(
    effects_tkr: Sequence[tuple[int, Decimal]], *, base_year: int, discount_rate: Decimal
) -> Decimal:
    """Net present value, in 1.000 kr., positive when the case pays.

    ``NPV = Σ_y (B_y − C_y) / (1 + r)^(y − base_year)`` (sources.md 5.2: t = 0 is the
    decision year, real rate on fixed-price figures at one p/l). ``effects_tkr`` are KK's
    "Samlet økonomisk påvirkning" (savings negative), so ``B_y − C_y`` is minus the effect.
    Computed exactly and rounded half-up to 2 decimals (10 kr.). Only the budget years count:
    no value is assumed after the table's last year.
    """
    growth = 1 + Fraction(discount_rate)
    total = sum(
        (-Fraction(effect) / growth ** (year - base_year) for year, effect in effects_tkr),
        Fraction(0),
    )
    return _round_fraction(total, _NPV_DECIMALS)


# --- ÅV and hours ------------------------------------------------------------------------------


def compute_aarsvaerk(savings_tkr: Decimal, assumptions: AarsvaerkAssumptions) -> Decimal:
    """Savings in 1.000 kr. as årsværk: ``savings_tkr × 1.000 / kroner_per_aarsvaerk``.

    Rounded half-up to 2 decimals; the sign follows ``savings_tkr``.
    """
    exact = Fraction(savings_tkr) * 1000 / Fraction(assumptions.kroner_per_aarsvaerk)
    return _round_fraction(exact, _AARSVAERK_DECIMALS)


def compute_hours(savings_tkr: Decimal, assumptions: AarsvaerkAssumptions) -> int:
    """Savings in 1.000 kr. as working hours, from the exact ÅV (not the rounded one)."""
    exact = (
        Fraction(savings_tkr)
        * 1000
        / Fraction(assumptions.kroner_per_aarsvaerk)
        * Fraction(assumptions.hours_per_aarsvaerk)
    )
    return int(_round_fraction(exact, 0))


def _round_fraction(value: Fraction, decimals: int) -> Decimal:
    """Round an exact fraction half-up (away from zero) to ``decimals`` places."""
    scale = 10**decimals
    scaled = abs(value) * scale
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    signed = -whole if value < 0 else whole
    return Decimal(signed).scaleb(-decimals)


# --- Sub-solutions -----------------------------------------------------------------------------


def build_sub_solution_splits(
    case: BusinessCase, effects: Sequence[YearEffect]
) -> tuple[SubSolutionSplit, ...]:
    """Each sub-solution's share of the permanent savings (``permanent_change`` lines).

    The seeds give the split of "effektiviseringen", i.e. the gross savings before operating
    costs, so that is what is split. Amounts are exact (a percentage of a Decimal); ÅV are
    rounded to 2 decimals per sub-solution.
    """
    splits = []
    for sub in case.sub_solutions:
        savings = tuple(e.permanent_savings_tkr * sub.share_pct / _HUNDRED for e in effects)
        splits.append(
            SubSolutionSplit(
                name=sub.name,
                share_pct=sub.share_pct,
                savings_tkr=tuple(_normalise(s) for s in savings),
                savings_aarsvaerk=tuple(compute_aarsvaerk(-s, case.aarsvaerk) for s in savings),
            )
        )
    return tuple(splits)


def _normalise(amount: Decimal) -> Decimal:
    """Drop trailing zeros that a percentage adds (−114,50 → −114,5) without rounding."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.normalize()


def compute_share_total_pct(sub_solutions: Sequence[SubSolution]) -> Decimal:
    """The sum of the shares in percent (callers require exactly 100 when there are any)."""
    return sum((sub.share_pct for sub in sub_solutions), _ZERO)


# --- Price level -------------------------------------------------------------------------------


def convert_price_level(
    case: BusinessCase, *, target_year: int, price_index: PriceIndex, decimals: int = 0
) -> BusinessCase:
    """The same case at ``target_year`` p/l: every amount × index[target] / index[case p/l].

    Each line amount is rounded half-up to ``decimals`` (0 = whole 1.000 kr., as KK tables
    print), and totals are then sums of the rounded lines, so a converted table still adds up.
    Kroner per ÅV is converted too (to whole kroner), so the ÅV figures stay comparable.
    """
    factor = _index_factor(price_index, case.price_level_year, target_year)
    lines = tuple(
        replace(
            ln,
            amounts_tkr=MappingProxyType(
                {
                    y: _round_fraction(Fraction(a) * factor, decimals)
                    for y, a in ln.amounts_tkr.items()
                }
            ),
        )
        for ln in case.lines
    )
    kroner = _round_fraction(Fraction(case.aarsvaerk.kroner_per_aarsvaerk) * factor, 0)
    return replace(
        case,
        lines=lines,
        aarsvaerk=replace(case.aarsvaerk, kroner_per_aarsvaerk=kroner),
        price_level_year=target_year,
        converted_from_price_level_year=case.price_level_year,
    )


def _index_factor(price_index: PriceIndex, from_year: int, to_year: int) -> Fraction:
    levels = price_index.index_by_year
    covered = f"{min(levels)}–{max(levels)}" if levels else "no years"
    for year in (from_year, to_year):
        if year not in levels:
            raise InputError(
                f"{price_index.source}: there is no p/l index for {year} (it covers {covered}). "
                f"Fix: add a line '{year},<index>' to {price_index.source}."
            )
    return Fraction(levels[to_year]) / Fraction(levels[from_year])
