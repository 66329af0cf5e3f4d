"""What can fool each way of measuring a saving, measured on the data, and which of it most
likely explains a disagreement between the methods (a pure engine).

A **check** is one fact about the data behind a solution's estimates that can move a method
away from the truth: time rounded to quarter hours, cases without registration, a change the
comparison process shows for all work, demand that moved, a robot that takes only part of the
cases, exceptions dearer than manual work, a baseline taken on trust. Each names the methods it
can fool, whether the estimate corrects for it, and (where it can be told) how far it would
push an uncorrected method, in per cent.

When a method parts from the primary by more than ``DISAGREEMENT_PCT``, the note names the
check that most likely explains it: among the uncorrected checks on that method, the one whose
implied gap is closest to the gap seen (checks whose size cannot be told come after those that
can); failing that, a corrected one (the correction may fall short).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from models.benefits import Estimate, Method

DISAGREEMENT_PCT = 20.0

Cause = Literal[
    "registration_rounded",
    "registration_differs",
    "registration_floor",
    "registration_shift",
    "no_comparison",
    "unregistered_cases",
    "catch_all",
    "demand_change",
    "partial_takeover",
    "costly_exceptions",
    "handover_model",
    "manual_minutes_assumed",
    "few_people",
]
CAUSES: tuple[Cause, ...] = (
    "registration_rounded", "registration_differs", "registration_floor", "registration_shift",
    "no_comparison",
    "unregistered_cases", "catch_all", "demand_change", "partial_takeover", "costly_exceptions",
    "handover_model", "manual_minutes_assumed", "few_people",
)  # fmt: skip
CAUSE_METHODS: Mapping[Cause, tuple[Method, ...]] = {
    "registration_rounded": ("time_registration",),
    "registration_differs": ("time_registration",),
    "registration_floor": ("robot", "time_registration"),
    "registration_shift": ("time_registration",),
    "no_comparison": ("time_registration",),
    "unregistered_cases": ("time_registration",),
    "catch_all": ("time_registration",),
    "demand_change": ("time_registration",),
    "partial_takeover": (),
    "costly_exceptions": ("robot",),
    "handover_model": ("process_mining",),
    "manual_minutes_assumed": ("robot", "process_mining"),
    "few_people": ("time_registration",),
}
"""The methods each cause can fool (services/benefit_checks.py measures them)."""


@dataclass(frozen=True)
class Check:
    """One thing in the data that can fool ``methods``; ``values`` are its figures (names as
    in the Danish and English sentences of app/i18n.py, ``cause.<cause>``)."""

    cause: Cause
    methods: tuple[Method, ...]
    corrected: bool
    values: Mapping[str, float] = field(default_factory=dict)
    implied_gap_pct: float | None = None


def make_check(
    cause: Cause,
    *,
    corrected: bool,
    values: Mapping[str, float] | None = None,
    implied_gap_pct: float | None = None,
) -> Check:
    """A check of ``cause`` on the methods it can fool (CAUSE_METHODS)."""
    return Check(cause, CAUSE_METHODS[cause], corrected, values or {}, implied_gap_pct)


@dataclass(frozen=True)
class Disagreement:
    """A method whose total parts from the primary's by more than DISAGREEMENT_PCT, and the
    check that most likely explains it (None when no check applies to the method)."""

    method: Method
    primary: Method
    hours: float
    primary_hours: float
    gap_pct: float
    cause: Check | None

    def __str__(self) -> str:
        """One line in English (the CLI and logs; the dashboard words it in its language)."""
        because = f"; most likely: {self.cause.cause}" if self.cause else "; cause unknown"
        return (
            f"{self.method} gives {self.hours:,.0f} h against {self.primary}'s "
            f"{self.primary_hours:,.0f} h ({self.gap_pct:+.0f} %){because}"
        )


def find_disagreements(
    estimates: Sequence[Estimate], primary: Method | None, checks: Sequence[Check]
) -> tuple[Disagreement, ...]:
    """Methods whose total differs from the primary's by more than DISAGREEMENT_PCT."""
    base = next((e for e in estimates if e.method == primary), None)
    if base is None or primary is None or base.hours == 0:
        return ()
    found = []
    for other in estimates:
        if other.method == primary:
            continue
        gap = (other.hours - base.hours) / abs(base.hours) * 100
        if abs(gap) > DISAGREEMENT_PCT:
            cause = likely_cause(other.method, gap, checks)
            found.append(Disagreement(other.method, primary, other.hours, base.hours, gap, cause))
    return tuple(found)


def likely_cause(method: Method, gap_pct: float, checks: Sequence[Check]) -> Check | None:
    """The check that most likely explains ``method`` being ``gap_pct`` off (module doc)."""
    applicable = [c for c in checks if method in c.methods]
    uncorrected = [c for c in applicable if not c.corrected]
    pool = uncorrected or applicable
    if not pool:
        return None

    def distance(check: Check) -> tuple[int, float]:
        if check.implied_gap_pct is None:
            return (1, 0.0)
        return (0, abs(check.implied_gap_pct - gap_pct))

    return min(pool, key=distance)
