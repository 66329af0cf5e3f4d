"""The directors' view of the investment cases: savings in 1.000 kr. and ÅV against the case's
tables, payback as budgeted and as measured-and-forecast (with actual costs), the follow-up
status, and how far each source's data reach, all as of one date.

This module holds the *shape* every face reads (the Overblik, Gevinstrealisering and
Opfølgning pages, and the KIT DIR report): one ``CaseOverview`` per case. Signs: amounts here
are as directors read them, **savings positive**; the cumulative effect keeps KK's sign
(negative = the case has paid back more than it cost), as in Tabel 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import get_args

from models.actual_costs import (
    ActualCosts,
    check_cost_years,
    compute_costs_by_year,
    costs_path_for,
    read_case_costs,
)
from models.business_case import (
    AarsvaerkAssumptions,
    BusinessCase,
    CaseEvaluation,
    CaseTable,
    PriceIndex,
    compute_payback_years,
    evaluate_case,
)
from models.cockpit import (
    AARSVAERK,
    TKR,
    build_overview_table,
    compute_pct,
    compute_to_date,
    cumulate_effect,
    find_break_even_year,
    find_year_hours,
    sum_known,
)
from models.datafolder import DataFolder
from models.followup import BINDING_SUFFIX, Fact, Month, Status, binding_path_for
from models.realisation import (
    CaseRealisation,
    compute_hours_aarsvaerk,
    compute_hours_tkr,
    find_last_complete_month,
    realise_as_of,
)
from services.benefits import CaseInputs, load_case_inputs
from services.build_cache import BuildCache
from services.followup import MEASUREMENTS, SHARED_DATA, FollowUpReport, evaluate_followup

SOURCE_NAMES = ("servicenow", "azure-devops", "time-registration", "robots")
"""The sources whose data reach is shown on every page and the report's cover."""

ATTENTION: frozenset[Status] = frozenset({"missed", "at risk", "no data"})
"""The follow-up statuses that need action."""

_ZERO = Decimal(0)


@dataclass(frozen=True)
class SourceCoverage:
    """How far one source's stored data reach: its first and last timestamp (UTC), None when
    the source has no data. ``rows`` counts what the reach was read from."""

    source: str
    first: dt.datetime | None
    last: dt.datetime | None
    rows: int


@dataclass(frozen=True)
class YearFigures:
    """One budget year of a case. Savings positive; costs positive.

    - ``budget_*``: what the case promised (its permanent savings lines; its cost lines);
    - ``realised_*``: measured by the primary method up to the as-of date (None before the
      first measured month of the year, or for a year after the as-of date);
    - ``forecast_*``: measured plus the run rate for the year's months after the data (for a
      year wholly before the as-of date equal to realised);
    - ``actual_costs_tkr``: implementation and operating costs actually spent (the case's
      actual-costs file), None when not stated;
    - ``cumulative_budget_tkr`` / ``cumulative_forecast_tkr``: Tabel 1's cumulative total
      effect (KK sign: negative = net gain so far), as budgeted and with the measured-and-forecast
      savings and the actual costs where stated.
    """

    year: int
    budget_savings_tkr: Decimal
    budget_savings_aav: Decimal
    realised_savings_tkr: Decimal | None
    realised_savings_aav: Decimal | None
    forecast_savings_tkr: Decimal | None
    forecast_savings_aav: Decimal | None
    realisation_pct: float | None
    budget_costs_tkr: Decimal
    actual_costs_tkr: Decimal | None
    cumulative_budget_tkr: Decimal
    cumulative_forecast_tkr: Decimal
    forecast: bool


@dataclass(frozen=True)
class CaseOverview:
    """One case as of a date: what was promised, realised and forecast, the payback both ways,
    the follow-up, and the data behind it."""

    case_path: Path
    title: str
    price_level_year: int
    hours_per_aav: Decimal
    kroner_per_aav: Decimal
    as_of: dt.date
    years: tuple[YearFigures, ...]
    expected_this_year_tkr: Decimal
    realised_this_year_tkr: Decimal | None
    expected_to_date_tkr: Decimal
    realised_to_date_tkr: Decimal
    expected_to_date_aav: Decimal
    realised_to_date_aav: Decimal
    realisation_to_date_pct: float | None
    payback_budget_years: int | None
    payback_forecast_years: int | None
    break_even_budget_year: int | None
    break_even_forecast_year: int | None
    status_counts: Mapping[Status, int]
    attention: tuple[int, ...]
    """Numbers of the follow-up rows that need action (missed, at risk, no data)."""
    followup: FollowUpReport
    tables: tuple[CaseTable, ...]
    """Tabel 1 in Copenhagen's layout with budget, realised and forecast rows."""
    coverage: tuple[SourceCoverage, ...]
    notes: tuple[Fact, ...]
    """Method notes and warnings (e.g. an as-of date past the data) as i18n keys with values,
    rendered by the faces in Danish or English like the follow-up evidence."""


def find_business_cases(data: DataFolder) -> tuple[Path, ...]:
    """The case files of the data folder that have a binding file beside them, by name (the
    one rule of which cases the dashboard, the CLI and the report show)."""
    folder = data.business_cases()
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            path
            for path in folder.glob("*.yaml")
            if not path.name.endswith(BINDING_SUFFIX) and binding_path_for(path).exists()
        )
    )


def build_overviews(
    data: DataFolder,
    *,
    as_of: dt.date,
    price_index: PriceIndex | None = None,
    cases: Sequence[Path] | None = None,
    coverage: tuple[SourceCoverage, ...] | None = None,
    version: Hashable | None = None,
) -> tuple[CaseOverview, ...]:
    """Every case of :func:`find_business_cases` (or the ``cases`` given) as of ``as_of``,
    each with its actual costs when it has a costs file beside it; ``coverage`` (the data's
    reach) is read from the data folder when not given.

    With ``version`` (anything that changes whenever a file the overviews read changes, as the
    dashboard's name, size and modification time of each), the result is kept per date and
    version (the last ``OVERVIEW_DATES`` dates asked for), shared by every thread: concurrent
    requests for one date wait for one build. The cases' files (cases, bindings, actual
    costs), which do not depend on the date, are read once per version.
    """
    if version is None:
        return _build_overviews(data, _read_cases(data, cases), as_of, price_index, coverage)
    key = (data, tuple(cases) if cases is not None else None, version)
    index = None if price_index is None else tuple(sorted(price_index.index_by_year.items()))
    return OVERVIEWS.get(
        (*key, index, as_of),
        lambda: _build_overviews(
            data,
            CASE_FILES.get(key, lambda: _read_cases(data, cases)),
            as_of,
            price_index,
            coverage,
            version=version,
        ),
    )


def _read_cases(
    data: DataFolder, cases: Sequence[Path] | None
) -> tuple[tuple[CaseInputs, ActualCosts | None], ...]:
    """Each case with its bindings, and its actual costs (None without a costs file)."""
    paths = find_business_cases(data) if cases is None else cases
    return tuple((load_case_inputs(path, data), read_case_costs(path)) for path in paths)


def _build_overviews(
    data: DataFolder,
    cases: tuple[tuple[CaseInputs, ActualCosts | None], ...],
    as_of: dt.date,
    price_index: PriceIndex | None,
    coverage: tuple[SourceCoverage, ...] | None,
    *,
    version: Hashable | None = None,
) -> tuple[CaseOverview, ...]:
    coverage = _find_coverage(data) if coverage is None else coverage
    return tuple(
        build_case_overview(
            inputs, as_of=as_of, costs=costs, price_index=price_index, coverage=coverage,
            version=version,
        )
        for inputs, costs in cases
    )  # fmt: skip


OVERVIEW_DATES = 64
"""As-of dates whose overviews :func:`build_overviews` keeps (with a ``version``)."""
OVERVIEWS: BuildCache[Hashable, tuple[CaseOverview, ...]] = BuildCache(OVERVIEW_DATES)
"""The overviews kept per folder, cases, version, p/l index and date."""
CASE_FILES: BuildCache[Hashable, tuple[tuple[CaseInputs, ActualCosts | None], ...]] = BuildCache(4)
"""The cases' files read, per folder, cases and version."""


def clear_overview_cache() -> None:
    """Forget every kept overview, case, measurement and table read (to measure a first
    request)."""
    OVERVIEWS.clear()
    CASE_FILES.clear()
    MEASUREMENTS.clear()
    SHARED_DATA.clear()


def _find_coverage(data: DataFolder) -> tuple[SourceCoverage, ...]:
    # Imported here: services.coverage builds this module's SourceCoverage, so a module-level
    # import would be circular.
    from services.coverage import find_source_coverage  # noqa: PLC0415

    return tuple(find_source_coverage(data))


def build_case_overview(
    inputs: CaseInputs,
    *,
    as_of: dt.date,
    costs: ActualCosts | None = None,
    price_index: PriceIndex | None = None,
    coverage: tuple[SourceCoverage, ...] | None = None,
    version: Hashable | None = None,
) -> CaseOverview:
    """One case as of ``as_of`` (``version``: of the files read, to share the measurement of
    a month between dates, see :func:`services.followup.evaluate_followup`): its follow-up,
    its savings measured in the complete months up to the date and forecast at the run rate
    after, against its budget; ``costs`` are the
    actual costs (None: not stated), converted to the case's p/l with ``price_index`` when
    given; ``coverage`` is read from the data folder when not given.

    "This year" is the as-of year: the case's whole year against what was realised in it so
    far. "To date" is every year up to the as-of date: the case's years before it and the
    as-of year pro rata by its complete months, against the realised years.
    """
    case = inputs.case
    if costs is not None:
        check_cost_years(costs, case.budget_years)
    followup = evaluate_followup(inputs, as_of=as_of, version=version)
    realisation = realise_as_of(case, followup.realisation.solutions, as_of=as_of)
    evaluation = evaluate_case(case)
    actual = _actual_costs(case, costs, as_of=as_of, price_index=price_index)
    years = _build_years(evaluation, realisation, actual)
    coverage = _find_coverage(inputs.data) if coverage is None else coverage
    notes = (
        *_data_notes(realisation, coverage, as_of=as_of),
        _costs_note(inputs.bindings.case_path, case, costs, price_index),
    )
    return _overview(
        inputs, evaluation, years, as_of=as_of, followup=followup, coverage=coverage, notes=notes
    )


def _actual_costs(
    case: BusinessCase,
    costs: ActualCosts | None,
    *,
    as_of: dt.date,
    price_index: PriceIndex | None,
) -> Mapping[int, Decimal]:
    if costs is None:
        return {}
    return compute_costs_by_year(
        costs, through_year=as_of.year, price_level_year=case.price_level_year,
        price_index=price_index,
    )  # fmt: skip


def _build_years(
    evaluation: CaseEvaluation, realisation: CaseRealisation, actual: Mapping[int, Decimal]
) -> tuple[YearFigures, ...]:
    """Each budget year's figures; the cumulative forecast takes the actual costs of a year
    where they are stated and the case's costs elsewhere."""
    assumptions = evaluation.case.aarsvaerk
    savings = {e.year: _ZERO - e.permanent_savings_tkr for e in evaluation.effects}
    costs = {
        e.year: e.samlet_oekonomisk_paavirkning_tkr - e.permanent_savings_tkr
        for e in evaluation.effects
    }
    hours = find_year_hours(realisation, expected_tkr=savings)
    realised = [_tkr(h.measured, assumptions) for h in hours]
    forecast = [_tkr(h.forecast, assumptions) for h in hours]
    cumulative = cumulate_effect([actual.get(y, costs[y]) for y in costs], forecast)
    return tuple(
        YearFigures(
            year=effect.year,
            budget_savings_tkr=savings[effect.year],
            budget_savings_aav=effect.savings_aarsvaerk,
            realised_savings_tkr=realised_tkr,
            realised_savings_aav=_aav(year_hours.measured, assumptions),
            forecast_savings_tkr=forecast_tkr,
            forecast_savings_aav=_aav(year_hours.forecast, assumptions),
            realisation_pct=compute_pct(realised_tkr, savings[effect.year]),
            budget_costs_tkr=costs[effect.year],
            actual_costs_tkr=actual.get(effect.year),
            cumulative_budget_tkr=effect.cumulative_total_tkr,
            cumulative_forecast_tkr=cumulative_tkr,
            forecast=year_hours.is_forecast,
        )
        for effect, year_hours, realised_tkr, forecast_tkr, cumulative_tkr in zip(
            evaluation.effects, hours, realised, forecast, cumulative, strict=True
        )
    )


def _tkr(hours: float | None, assumptions: AarsvaerkAssumptions) -> Decimal | None:
    return None if hours is None else compute_hours_tkr(hours, assumptions)


def _aav(hours: float | None, assumptions: AarsvaerkAssumptions) -> Decimal | None:
    return None if hours is None else compute_hours_aarsvaerk(hours, assumptions)


def _overview(
    inputs: CaseInputs,
    evaluation: CaseEvaluation,
    years: tuple[YearFigures, ...],
    *,
    as_of: dt.date,
    followup: FollowUpReport,
    coverage: tuple[SourceCoverage, ...],
    notes: tuple[Fact, ...],
) -> CaseOverview:
    case = inputs.case
    first_year = evaluation.first_effect_year
    payback_forecast = compute_payback_years(
        [(y.year, y.cumulative_forecast_tkr) for y in years], first_year=first_year
    )
    this_year = next((y for y in years if y.year == as_of.year), None)
    expected_to_date = _to_date(years, as_of, lambda y: y.budget_savings_tkr, TKR)
    realised_to_date = sum_known(y.realised_savings_tkr for y in years)
    return CaseOverview(
        case_path=inputs.bindings.case_path,
        title=case.title,
        price_level_year=case.price_level_year,
        hours_per_aav=case.aarsvaerk.hours_per_aarsvaerk,
        kroner_per_aav=case.aarsvaerk.kroner_per_aarsvaerk,
        as_of=as_of,
        years=years,
        expected_this_year_tkr=this_year.budget_savings_tkr if this_year else _ZERO,
        realised_this_year_tkr=this_year.realised_savings_tkr if this_year else None,
        expected_to_date_tkr=expected_to_date,
        realised_to_date_tkr=realised_to_date,
        expected_to_date_aav=_to_date(years, as_of, lambda y: y.budget_savings_aav, AARSVAERK),
        realised_to_date_aav=sum_known(y.realised_savings_aav for y in years),
        realisation_to_date_pct=compute_pct(realised_to_date, expected_to_date),
        payback_budget_years=evaluation.payback_total_years,
        payback_forecast_years=payback_forecast,
        break_even_budget_year=find_break_even_year(evaluation.payback_total_years, first_year),
        break_even_forecast_year=find_break_even_year(payback_forecast, first_year),
        status_counts=_status_counts(followup),
        attention=tuple(t.number for t in followup.targets if t.status in ATTENTION),
        followup=followup,
        tables=(build_overview_table(evaluation.table("tabel_1"), years),),
        coverage=coverage,
        notes=notes,
    )


def _to_date(
    years: tuple[YearFigures, ...],
    as_of: dt.date,
    value: Callable[[YearFigures], Decimal],
    places: Decimal,
) -> Decimal:
    return compute_to_date({y.year: value(y) for y in years}, as_of=as_of, places=places)


def _status_counts(followup: FollowUpReport) -> Mapping[Status, int]:
    """Every status, in the order of ``Status``, with how many rows have it (0 included)."""
    found = [t.status for t in followup.targets]
    return MappingProxyType({status: found.count(status) for status in get_args(Status)})


def _data_notes(
    realisation: CaseRealisation, coverage: tuple[SourceCoverage, ...], *, as_of: dt.date
) -> tuple[Fact, ...]:
    """Where the figures rest on less than the date promises: the data end before it, the
    savings are measured to an earlier month, or a solution has no measurement yet."""
    notes = []
    lasts = [c.last for c in coverage if c.last is not None]
    if lasts and max(lasts).date() < as_of:
        notes.append(Fact("note.as_of_past_data", {"as_of": as_of, "last": max(lasts).date()}))
    months = [s.last_month for s in realisation.solutions if s.last_month is not None]
    if months and max(months) < find_last_complete_month(as_of):
        notes.append(Fact("note.measured_through", {"month": Month(max(months))}))
    unmeasured = [s.name for s in realisation.solutions if s.primary is None]
    if unmeasured:
        notes.append(Fact("note.not_measured", {"solutions": "; ".join(unmeasured)}))
    return tuple(notes)


def _costs_note(
    case_path: Path, case: BusinessCase, costs: ActualCosts | None, index: PriceIndex | None
) -> Fact:
    """Where the actual costs come from, or that they are not stated."""
    pl_year = str(case.price_level_year)
    if costs is None:
        return Fact("note.costs_not_stated", {"file": costs_path_for(case_path).name})
    if index is None:
        return Fact("note.costs_as_stated", {"file": Path(costs.source).name, "pl": pl_year})
    return Fact(
        "note.costs_converted",
        {"file": Path(costs.source).name, "pl": pl_year, "index": Path(index.source).name},
    )
