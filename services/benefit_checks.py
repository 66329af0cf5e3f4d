"""The checks of a solution's estimates (models/benefit_checks.py), measured on its data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from models.benefit_checks import Cause, Check, make_check
from models.benefits import Baseline, Estimate, RobotCaseMinutes, month_start
from models.benefits_registration import RegistrationIndex, RegistrationRate
from services.registration_inputs import Registration

# Below these, a confounder is too small to name.
REGISTRATION_GAP_PCT = 10.0
ROUNDED_SHARE = 0.95
FLOOR_SHARE = 0.5
QUARTER_HOUR = 0.25
UNREGISTERED_SHARE = 0.05
CATCH_ALL_SHARE = 0.02
INDEX_SHIFT_PCT = 5.0
DEMAND_CHANGE_PCT = 15.0
FULL_TAKEOVER = 0.95
COSTLY_EXCEPTION = 1.05
TAKEOVER_MONTHS = 3


@dataclass(frozen=True)
class Evidence:
    """What the checks look at for one solution."""

    go_live: dt.datetime
    baseline: Baseline | None
    mined: bool
    robot_minutes: RobotCaseMinutes | None
    registration: Registration | None
    rate: RegistrationRate | None
    index: RegistrationIndex | None
    volume: pl.DataFrame | None
    transactions: pl.DataFrame | None
    estimates: tuple[Estimate, ...]
    from_handovers: bool


def measure_checks(evidence: Evidence) -> tuple[Check, ...]:
    """Every check that applies to the solution's data."""
    found = [
        _registration_gap(evidence),
        _registration_floor(evidence),
        _unregistered(evidence),
        _catch_all(evidence),
        _comparison(evidence),
        _demand(evidence),
        _takeover(evidence),
        _exceptions(evidence),
        _assumed_minutes(evidence),
    ]
    if evidence.from_handovers:
        found.append(make_check("handover_model", corrected=False))
    return tuple(c for c in found if c is not None)


def _registration_gap(evidence: Evidence) -> Check | None:
    """Registered minutes per case against the mined handling minutes, before go-live."""
    if evidence.rate is None or evidence.baseline is None or not evidence.mined:
        return None
    mined = evidence.baseline.minutes
    registered = evidence.rate.minutes_per_registered_case
    if mined <= 0:
        return None
    gap = (registered / mined - 1) * 100
    if abs(gap) <= REGISTRATION_GAP_PCT:
        return None
    entries = evidence.registration.entries if evidence.registration else pl.Series([])
    rounded = (
        entries.len() > 0
        and float(
            ((entries / QUARTER_HOUR).round(6) % 1 == 0).mean()  # type: ignore[arg-type]
        )
        >= ROUNDED_SHARE
    )
    values = {"registered_minutes": registered, "mined_minutes": mined, "gap_pct": gap}
    cause: Cause = "registration_rounded" if rounded else "registration_differs"
    return make_check(cause, corrected=False, values=values, implied_gap_pct=gap)


def _rounded(entries: pl.Series) -> bool:
    """Whether nearly every entry is a whole number of quarter hours."""
    if entries.len() == 0:
        return False
    whole = (entries / QUARTER_HOUR).round(6) % 1 == 0
    return float(whole.mean()) >= ROUNDED_SHARE  # type: ignore[arg-type]


def _registration_floor(evidence: Evidence) -> Check | None:
    """Without mined handling time to compare with: most cases registered at exactly the
    smallest unit (a quarter hour) suggest the real time is shorter than what is registered."""
    registration = evidence.registration
    if registration is None or evidence.mined or not _rounded(registration.entries):
        return None
    first = month_start(evidence.go_live)
    before = registration.cases.filter((pl.col("month") < first) & (pl.col("hours") > 0))
    if before.is_empty():
        return None
    share = float((before["hours"] == QUARTER_HOUR).mean())  # type: ignore[arg-type]
    if share < FLOOR_SHARE:
        return None
    return make_check("registration_floor", corrected=False, values={"share_pct": share * 100})


def _unregistered(evidence: Evidence) -> Check | None:
    rate = evidence.rate
    if rate is None or 1 - rate.registered_share <= UNREGISTERED_SHARE:
        return None
    seen = evidence.registration is not None and evidence.registration.cases_from_servicenow
    share = (1 - rate.registered_share) * 100
    return make_check("unregistered_cases", corrected=seen, values={"share_pct": share},
                      implied_gap_pct=-share)  # fmt: skip


def _catch_all(evidence: Evidence) -> Check | None:
    registration = evidence.registration
    if registration is None:
        return None
    total = float(registration.entries.sum())
    if total <= 0 or registration.catch_all_hours / total <= CATCH_ALL_SHARE:
        return None
    share = registration.catch_all_hours / total * 100
    return make_check(
        "catch_all", corrected=True, values={"share_pct": share}, implied_gap_pct=-share
    )


def _comparison(evidence: Evidence) -> Check | None:
    if not any(e.method == "time_registration" for e in evidence.estimates):
        return None
    if evidence.index is None:
        return make_check("no_comparison", corrected=False)
    shift = evidence.index.shift_pct(month_start(evidence.go_live))
    if shift is None or abs(shift) <= INDEX_SHIFT_PCT:
        return None
    return make_check("registration_shift", corrected=True, values={"shift_pct": shift})


def _demand(evidence: Evidence) -> Check | None:
    """Cases per month in the year after go-live against the year before."""
    if evidence.volume is None or evidence.volume.is_empty():
        return None
    first = month_start(evidence.go_live)
    year_before = dt.date(first.year - 1, first.month, 1)
    year_after = dt.date(first.year + 1, first.month, 1)
    volume = evidence.volume
    before = volume.filter((pl.col("month") >= year_before) & (pl.col("month") < first))
    after = volume.filter((pl.col("month") >= first) & (pl.col("month") < year_after))
    if before.is_empty() or after.is_empty():
        return None
    mean_before = float(before["volume"].mean())  # type: ignore[arg-type]
    if mean_before == 0:
        return None
    change = (float(after["volume"].mean()) / mean_before - 1) * 100  # type: ignore[arg-type]
    if abs(change) <= DEMAND_CHANGE_PCT:
        return None
    normalised = any(
        e.method == "time_registration" and e.monthly["volume"].null_count() == 0
        for e in evidence.estimates
    )
    return make_check("demand_change", corrected=normalised, values={"change_pct": change},
                      implied_gap_pct=-change)  # fmt: skip


def _takeover(evidence: Evidence) -> Check | None:
    """The robot's share of the cases over the last months of the data."""
    if evidence.transactions is None or evidence.volume is None or evidence.volume.is_empty():
        return None
    last = evidence.volume.sort("month").tail(TAKEOVER_MONTHS)
    cases = int(last["volume"].sum())
    robot = evidence.transactions.filter(
        pl.col("start").dt.date().dt.truncate("1mo").is_in(last["month"].implode())
    )["reference"].n_unique()
    if cases == 0 or robot / cases >= FULL_TAKEOVER:
        return None
    return make_check("partial_takeover", corrected=True, values={"share_pct": robot / cases * 100})


def _exceptions(evidence: Evidence) -> Check | None:
    minutes, baseline = evidence.robot_minutes, evidence.baseline
    if minutes is None or minutes.exception is None or baseline is None:
        return None
    if minutes.exception.minutes <= baseline.minutes * COSTLY_EXCEPTION:
        return None
    values = {"exception_minutes": minutes.exception.minutes, "manual_minutes": baseline.minutes}
    return make_check("costly_exceptions", corrected=True, values=values)


def _assumed_minutes(evidence: Evidence) -> Check | None:
    baseline = evidence.baseline
    if baseline is None or baseline.observations > 0:
        return None
    return make_check("manual_minutes_assumed", corrected=False,
                      values={"manual_minutes": baseline.minutes})  # fmt: skip
