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
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from models.business_case import CaseTable
from models.followup import Fact, Status
from services.followup import FollowUpReport

SOURCE_NAMES = ("servicenow", "azure-devops", "time-registration", "robots")
"""The sources whose data reach is shown on every page and the report's cover."""


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
