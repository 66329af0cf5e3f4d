"""The planted effects: parameters taken from the two seed proposals, in one place.

Volumes are per year or per month at ``--scale 1``; the generator multiplies them by the scale.
Handling minutes are multiples of 3 so that registered hours (two decimals) are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["uipath", "power_automate"]

HOURS_PER_AAV = 1924.0  # bevillingsårsværk, 37 h x 52 weeks (the state's rule)


@dataclass(frozen=True)
class Automation:
    """One of the five automations of 'Nye automatiseringsløsninger i Koncern IT'."""

    key: str
    name: str
    platform: Platform
    process_name: str  # UiPath ReleaseName / Power Automate desktop flow name
    go_live: str  # UTC date the robot starts taking the transactions
    monthly_volume: float  # transactions per month at scale 1
    manual_minutes: int  # a person's handling time per transaction without the robot
    residual_minutes: int  # a person's time per successful transaction with it (assistants)
    business_exception_rate: float
    application_exception_rate: float
    robot_seconds: tuple[int, int]  # uniform range of robot processing time per transaction
    savings_share: float  # the proposal's split of the expected savings
    source_table: Literal["sc_req_item", "incident"]
    catalog_items: tuple[str, ...]  # sc_cat_item names (or the incident category for incidents)
    task_description: str  # sc_task short_description of the handling step
    owner_areas: tuple[str, ...]  # service areas whose employees handle it manually
    time_category: str  # activity in the time registration

    @property
    def exception_rate(self) -> float:
        """Share of transactions a person must finish by hand."""
        return self.business_exception_rate + self.application_exception_rate


AUTOMATIONS: tuple[Automation, ...] = (
    Automation(
        "ledelsestilsyn",
        "Automatisering af ledelsestilsyn",
        "uipath",
        "KIT_Ledelsestilsyn_Dataudtraek",
        "2023-10-01",
        40.0,
        360,
        0,
        0.05,
        0.03,
        (600, 1500),
        0.50,
        "sc_req_item",
        ("Ledelsestilsyn - dataklargøring",),
        "Klargør data til ledelsestilsyn",
        ("FU", "DI", "SD", "APP", "SIK", "DU"),
        "Ledelsestilsyn",
    ),
    Automation(
        "indsigtsanmodninger",
        "Automatisering af indsigtsanmodninger",
        "uipath",
        "KIT_Indsigtsanmodning_Udtraek",
        "2024-03-01",
        24.0,
        240,
        0,
        0.10,
        0.04,
        (300, 900),
        0.20,
        "sc_req_item",
        ("Indsigtsanmodning",),
        "Udtræk og saml data til indsigtsanmodning",
        ("SIK",),
        "Indsigtsanmodninger",
    ),
    Automation(
        "journalisering",
        "Automatisering af journalisering",
        "power_automate",
        "KIT Journalisering i eDoc",
        "2024-06-01",
        960.0,
        3,
        0,
        0.04,
        0.02,
        (40, 120),
        0.10,
        "sc_req_item",
        ("Journalisering i eDoc",),
        "Journaliser dokumenter i eDoc",
        ("FU", "DI", "SD", "APP", "SIK", "DU"),
        "Journalisering",
    ),
    Automation(
        "standard_requests",
        "Automatisering af standard requests",
        "uipath",
        "KIT_StandardRequests_Postkasser_Distributionslister",
        "2024-10-01",
        480.0,
        6,
        0,
        0.06,
        0.02,
        (45, 180),
        0.10,
        "sc_req_item",
        (
            "Oprettelse af kontorpostkasse",
            "Oprettelse af distributionsliste",
            "Tilføjelse/fjernelse af medarbejdere på distributionsliste",
        ),
        "Udfør standard request",
        ("DI",),
        "Standard requests",
    ),
    Automation(
        "simple_sager",
        "Automatisering af simple sager i ServiceNow (assistent)",
        "power_automate",
        "KIT Assistent til simple sager",
        "2025-02-01",
        480.0,
        9,
        3,
        0.05,
        0.03,
        (30, 90),
        0.10,
        "incident",
        ("adgang",),
        "Simpel sag: adgang og adgangskode",
        ("SD",),
        "Simple sager",
    ),
)


@dataclass(frozen=True)
class Integration:
    """The ServiceNow-to-DevOps integration of 'Optimering af tværgående opgavestyring'."""

    go_live: str = "2023-11-01"
    catalog_item: str = "Bestilling af udvikling eller ændring"
    orders_per_year: float = 1283.0  # 1.5 h saved per order x 1,283 orders = 1 ÅV (1,924 h)
    lag_median_before_s: float = 4 * 86_400.0  # days of manual coordination
    lag_sigma_before: float = 0.55
    lag_median_after_s: float = 300.0  # the integration polls every few minutes
    lag_sigma_after: float = 0.45
    handover_choices_before: tuple[int, ...] = (2, 3, 4)
    handover_weights_before: tuple[float, ...] = (0.3, 0.4, 0.3)
    coordination_hours_before: float = 2.0  # per order, FU coordinators, 'Koordinering'
    coordination_hours_after: float = 0.5
    target_areas: tuple[str, ...] = ("APP", "DU", "DI", "SIK")
    target_weights: tuple[float, ...] = (0.35, 0.35, 0.2, 0.1)


@dataclass(frozen=True)
class Bottleneck:
    """Waiting for approval of standard requests: RITM approval requested -> approved."""

    mean_wait_h: float = 30.0
    gamma_shape: float = 2.0


@dataclass(frozen=True)
class Misuse:
    """DevOps misuse concentrated in one service area (SAFe conformance rules 1, 3 and 5/6)."""

    area: str = "DI"
    feature_without_epic: tuple[float, float] = (0.40, 0.03)  # (in the area, elsewhere)
    closed_without_active: tuple[float, float] = (0.30, 0.02)
    iteration_at_root: tuple[float, float] = (0.30, 0.02)


@dataclass(frozen=True)
class Volumes:
    """Background volumes per year at scale 1 (not planted effects, the rest of the work)."""

    incidents_per_year: float = 14_000.0
    incident_handover_rate: float = 0.3
    internal_features_per_area_year: float = 40.0


Scenario = Literal["clean", "confounded"]

# A comparable catalog item that is never automated: the difference-in-differences control.
COMPARISON = Automation(
    "comparison",
    "Oprettelse af fællesdrev (aldrig automatiseret)",
    "uipath",
    "",
    "9999-12-31",  # never live: every case is handled by a person
    200.0,
    120,
    0,
    0.0,
    0.0,
    (1, 1),
    0.0,
    "sc_req_item",
    ("Oprettelse af fællesdrev",),
    "Opret fællesdrev",
    ("DI", "APP"),
    "Fællesdrev",
)


@dataclass(frozen=True)
class Confounders:
    """What the 'confounded' scenario plants so that naive before/after savings go wrong.

    - ``trend_per_year``: demand trend per process (compounding monthly from the start), on top
      of the monthly SEASON profile; "orders" are the integration's, "comparison" the control.
    - adoption: after go-live the robot takes a case with a share that ramps linearly from
      ``ramp_start_share`` (go-live month) to the final share over ``ramp_months`` months; the
      other cases stay fully manual.
    - ``exception_cost_factor``: a robot exception costs a person this many times the manual time.
    - time-registration noise, in this order: ``unregistered_case_share`` of case references get
      no entries; ``catch_all_share`` of the rest are booked on ``catch_all_activity``; from
      ``missing_days_from`` ``missing_day_share`` of (employee, day) pairs register nothing;
      every entry is rounded up to ``rounding_hours``.
    - ``moved_share`` of the time a robot frees per successful case is registered on
      ``moved_activity`` without a case reference (the freed hours went to other work).
    - ``coordination_hours_per_handover``: coordination costs this many hours per handover
      (2, 3 or 4 before the integration, 1 after), so the integration saves what the handovers
      it removes cost (1 hour an order on average at 0,5 h a handover, less than the proposal's
      1,5 hours); a quarter-hour multiple in each sitting, so rounding leaves it exact.
    """

    trend_per_year: tuple[tuple[str, float], ...] = (
        ("ledelsestilsyn", 0.0),
        ("indsigtsanmodninger", 0.30),
        ("journalisering", -0.25),
        ("standard_requests", -0.10),
        ("simple_sager", 0.15),
        ("orders", -0.15),
        ("comparison", 0.0),
    )
    ramp_start_share: float = 0.3
    ramp_months: int = 6
    final_share: float = 0.9
    final_share_by_key: tuple[tuple[str, float], ...] = (("standard_requests", 0.6),)
    exception_cost_factor: float = 1.5
    unregistered_case_share: float = 0.12
    catch_all_share: float = 0.10
    catch_all_activity: str = "Diverse"
    missing_days_from: str = "2024-09-01"
    missing_day_share: float = 0.15
    rounding_hours: float = 0.25
    moved_share: float = 0.5
    moved_activity: str = "Udvikling og forbedring"
    coordination_hours_per_handover: float = 0.5

    def trend(self, key: str) -> float:
        """Yearly demand trend of a process (0 when not listed)."""
        return dict(self.trend_per_year).get(key, 0.0)

    def final(self, key: str) -> float:
        """The share of cases the robot takes once adoption has ramped up."""
        return dict(self.final_share_by_key).get(key, self.final_share)

    def as_json(self) -> dict[str, object]:
        """The parameters as plain JSON (pairs as objects) for the manifest."""
        out: dict[str, object] = {}
        for name, value in self.__dict__.items():
            out[name] = dict(value) if isinstance(value, tuple) else value
        return out
