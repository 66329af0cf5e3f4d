"""The simulated organisation: KIT's service areas, employees, customers and service accounts.

Employee identities (sys_ids, user names, e-mail addresses, Azure DevOps identity GUIDs) are the
raw identifiers the extractors must pseudonymise; service areas stay in clear, as in the real data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.ids import IntArray, StrArray, make_guids, make_sys_ids

PROJECT = "KIT"
ORG_URL = "https://dev.azure.com/kk-kit"
SN_INSTANCE = "https://kkprod.service-now.com"
DAY_S = 86_400
HOUR_S = 3_600


@dataclass(frozen=True)
class ServiceArea:
    """A service area (serviceområde): an assignment group in ServiceNow, an area in DevOps."""

    code: str
    name: str
    ado_area: str  # ADO area names may not contain '&', so KIT spells it out
    employees: int


SERVICE_AREAS: tuple[ServiceArea, ...] = (
    ServiceArea("FU", "Forretningsudvikling", "Forretningsudvikling", 22),
    ServiceArea("DI", "Drift & Infrastruktur", "Drift og Infrastruktur", 34),
    ServiceArea("SD", "Servicedesk", "Servicedesk", 30),
    ServiceArea("APP", "Applikationer", "Applikationer", 28),
    ServiceArea("SIK", "Sikkerhed", "Sikkerhed", 14),
    ServiceArea("DU", "Digital Udvikling", "Digital Udvikling", 22),
)
AREA_INDEX = {area.code: i for i, area in enumerate(SERVICE_AREAS)}

FORVALTNINGER = (
    "Økonomiforvaltningen",
    "Kultur- og Fritidsforvaltningen",
    "Børne- og Ungdomsforvaltningen",
    "Sundheds- og Omsorgsforvaltningen",
    "Socialforvaltningen",
    "Teknik- og Miljøforvaltningen",
    "Beskæftigelses- og Integrationsforvaltningen",
)

FIRST_NAMES = [
    "Anne",
    "Mette",
    "Lars",
    "Jens",
    "Peter",
    "Hanne",
    "Søren",
    "Maria",
    "Niels",
    "Camilla",
    "Mads",
    "Louise",
    "Rasmus",
    "Sofie",
    "Henrik",
    "Line",
    "Michael",
    "Pia",
    "Thomas",
    "Julie",
    "Kasper",
    "Ida",
    "Martin",
    "Karen",
    "Anders",
    "Emma",
    "Christian",
    "Lene",
    "Jesper",
    "Mathilde",
    "Frederik",
    "Signe",
    "Jonas",
    "Helle",
    "Morten",
    "Tina",
    "Nikolaj",
    "Birgitte",
    "Simon",
    "Astrid",
    "Ole",
    "Freja",
]
LAST_NAMES = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Olesen",
    "Frederiksen",
    "Laursen",
    "Henriksen",
    "Lund",
    "Holm",
    "Schmidt",
    "Eriksen",
    "Kristiansen",
    "Clausen",
    "Simonsen",
    "Svendsen",
    "Andreasen",
    "Iversen",
    "Østergaard",
    "Jeppesen",
    "Vestergaard",
]

# Service accounts that act in the source systems: they are not people, but extractors should
# treat every user column alike (pseudonymise all), so they are ordinary sys_user rows.
SERVICE_ACCOUNTS = (
    ("system", "System", ""),
    ("svc_ado_integration", "ServiceNow DevOps", "Integration"),
    ("svc_uipath_robot", "UiPath", "Robot"),
    ("svc_pad_robot", "Power Automate", "Robot"),
)


@dataclass(frozen=True)
class People:
    """All sys_user rows: KIT employees first, then service accounts, then customers.

    Arrays are aligned; ``area`` is the service-area index for employees and -1 otherwise.
    """

    sys_id: StrArray
    user_name: StrArray
    first_name: StrArray
    last_name: StrArray
    email: StrArray
    area: IntArray
    forvaltning: StrArray
    ado_id: StrArray
    n_employees: int
    n_accounts: int

    @property
    def n(self) -> int:
        """Number of sys_user rows."""
        return len(self.sys_id)

    def account(self, user_name: str) -> int:
        """Index of a service account by user name."""
        names = [name for name, _, _ in SERVICE_ACCOUNTS]
        return self.n_employees + names.index(user_name)

    def members(self, area_code: str) -> IntArray:
        """Indices of the employees of one service area."""
        return np.flatnonzero(self.area == AREA_INDEX[area_code]).astype(np.int64)

    def customers(self) -> IntArray:
        """Indices of the customers (employees of the administrations)."""
        return np.arange(self.n_employees + self.n_accounts, self.n, dtype=np.int64)

    def display_name(self, i: int) -> str:
        """'First Last' of one user."""
        return f"{self.first_name[i]} {self.last_name[i]}".strip()


def _unique_user_names(first: StrArray, last: StrArray, rng: np.random.Generator) -> list[str]:
    """KK-style short user names (letters of the name plus two digits), unique."""
    seen: set[str] = set()
    names: list[str] = []
    for f, ln in zip(first.tolist(), last.tolist(), strict=True):
        stem = (f[:2] + ln[:2]).lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
        while True:
            candidate = f"{stem}{int(rng.integers(10, 100))}"
            if candidate not in seen:
                seen.add(candidate)
                names.append(candidate)
                break
    return names


def build_people(seed: int, rng: np.random.Generator, n_customers: int = 320) -> People:
    """150 employees spread over the service areas, the service accounts and the customers."""
    area = np.repeat(np.arange(len(SERVICE_AREAS)), [a.employees for a in SERVICE_AREAS]).astype(
        np.int64
    )
    n_emp = len(area)
    n_acc = len(SERVICE_ACCOUNTS)
    n_people = n_emp + n_customers
    first = rng.choice(np.array(FIRST_NAMES), size=n_people)
    last = rng.choice(np.array(LAST_NAMES), size=n_people)
    user_names = _unique_user_names(first, last, rng)
    acc_names = [name for name, _, _ in SERVICE_ACCOUNTS]
    acc_first = [first for _, first, _ in SERVICE_ACCOUNTS]
    acc_last = [last for _, _, last in SERVICE_ACCOUNTS]
    all_user = user_names[:n_emp] + acc_names + user_names[n_emp:]
    all_first = first[:n_emp].tolist() + acc_first + first[n_emp:].tolist()
    all_last = last[:n_emp].tolist() + acc_last + last[n_emp:].tolist()
    n = len(all_user)
    forv = [""] * (n_emp + n_acc) + rng.choice(np.array(FORVALTNINGER), n_customers).tolist()
    seq = np.arange(n, dtype=np.int64)
    return People(
        sys_id=make_sys_ids(seed, "sys_user", seq),
        user_name=np.array(all_user),
        first_name=np.array(all_first),
        last_name=np.array(all_last),
        email=np.char.add(np.array(all_user), "@kk.dk"),
        area=np.concatenate([area, np.full(n - n_emp, -1, dtype=np.int64)]),
        forvaltning=np.array(forv),
        ado_id=make_guids(seed, "ado_identity", seq),
        n_employees=n_emp,
        n_accounts=n_acc,
    )


@dataclass(frozen=True)
class World:
    """The organisation plus the id of each service area's assignment group."""

    seed: int
    people: People
    group_sys_id: StrArray
    start_s: int
    end_s: int  # exclusive: the moment the 'extraction' happens; nothing later is emitted

    def group(self, code: str) -> str:
        """sys_id of a service area's assignment group."""
        return str(self.group_sys_id[AREA_INDEX[code]])


def build_world(seed: int, start_s: int, end_s: int) -> World:
    """The organisation for one seed."""
    rng = np.random.default_rng([seed, 1])
    people = build_people(seed, rng)
    groups = make_sys_ids(seed, "sys_user_group", np.arange(len(SERVICE_AREAS), dtype=np.int64))
    return World(seed, people, groups, start_s, end_s)


# -- time helpers --------------------------------------------------------------------------------

WORK_START_S = 6 * HOUR_S  # 07:00/08:00 in Copenhagen (UTC+1/+2)
WORK_END_S = 14 * HOUR_S + 30 * 60


def is_weekday(day: IntArray) -> NDArray[np.bool_]:
    """Whether epoch day numbers fall on Monday to Friday (1970-01-01 was a Thursday)."""
    return np.asarray(((day + 3) % 7) < 5)


def next_work_time(t: IntArray, rng: np.random.Generator) -> IntArray:
    """Move times outside office hours to early the next working day: people pick work up then."""
    day, tod = np.divmod(t, DAY_S)
    late = tod > WORK_END_S
    early = tod < WORK_START_S
    day = day + late
    jitter = rng.integers(0, 2 * HOUR_S, size=len(t))
    tod = np.where(late | early, WORK_START_S + jitter, tod)
    weekday = (day + 3) % 7  # Monday = 0
    day = day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    moved = late | early | (weekday >= 5)
    return np.where(moved, day * DAY_S + tod, t).astype(np.int64)


def work_times(rng: np.random.Generator, lo_s: int, hi_s: int, n: int) -> IntArray:
    """``n`` random office-hour moments on weekdays in [lo_s, hi_s), sorted."""
    days = np.arange(lo_s // DAY_S, -(-hi_s // DAY_S), dtype=np.int64)
    days = days[is_weekday(days)]
    if n == 0 or len(days) == 0:
        return np.zeros(0, dtype=np.int64)
    picked = rng.choice(days, size=n)
    # Busier mornings: a triangular time of day peaking around 08:00 UTC.
    tod = rng.triangular(WORK_START_S, 8 * HOUR_S, WORK_END_S, size=n).astype(np.int64)
    t = np.clip(picked * DAY_S + tod, lo_s, hi_s - 1)
    return np.sort(t)


def month_starts(start_s: int, end_s: int) -> list[int]:
    """Epoch seconds of the first of each month in [start, end), plus the end itself."""
    first = np.datetime64(int(start_s), "s").astype("datetime64[M]")
    last = np.datetime64(int(end_s) - 1, "s").astype("datetime64[M]")
    months = np.arange(first, last + 1)
    edges = [int(m.astype("datetime64[s]").astype(np.int64)) for m in months]
    return [max(e, start_s) for e in edges] + [end_s]


def month_label(t: int) -> str:
    """'YYYY-MM' of an epoch second."""
    return str(np.datetime64(int(t), "s").astype("datetime64[M]"))


def month_labels(t: IntArray) -> StrArray:
    """``month_label`` of each epoch second, vectorised."""
    return (
        np.asarray(t, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]").astype("U7")
    )


# July holidays and Christmas slow the municipality down; automation volumes stay flat.
_SEASON_RAW = np.array([1.05, 1.05, 1.05, 1.0, 1.0, 1.0, 0.6, 0.95, 1.1, 1.1, 1.1, 0.85])
SEASON = _SEASON_RAW / _SEASON_RAW.mean()  # a year's volume stays the nominal volume


def _month_length_s(t: int) -> int:
    """Length in seconds of the calendar month containing ``t``."""
    month = np.datetime64(int(t), "s").astype("datetime64[M]")
    edges = np.array([month, month + 1]).astype("datetime64[s]").astype(np.int64)
    return int(edges[1] - edges[0])


def month_means(
    start_s: int, end_s: int, per_month: float, *, seasonal: bool, trend: float = 0.0
) -> list[float]:
    """Expected arrivals in each (possibly partial) month of [start, end).

    ``trend`` is a yearly growth rate compounding monthly from the first month (0: flat).
    """
    edges = month_starts(start_s, end_s)
    means: list[float] = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        factor = float(SEASON[int(month_label(lo)[5:7]) - 1]) if seasonal else 1.0
        if trend:
            factor *= (1 + trend) ** (i / 12)
        means.append(per_month * factor * (hi - lo) / _month_length_s(lo))
    return means


def arrivals(
    rng: np.random.Generator,
    start_s: int,
    end_s: int,
    per_month: float,
    *,
    seasonal: bool,
    exact: bool,
    trend: float = 0.0,
) -> IntArray:
    """Arrival times in office hours, month by month.

    ``exact`` gives each month its expected count, rounded so the running total never drifts
    (planted effects should be measurable without sampling noise in their volumes); otherwise the
    counts are Poisson, as background work is.
    """
    means = np.array(month_means(start_s, end_s, per_month, seasonal=seasonal, trend=trend))
    if exact:
        totals = np.floor(np.cumsum(means) + 0.5).astype(np.int64)
        counts = np.diff(np.concatenate([[0], totals]))
    else:
        counts = rng.poisson(means)
    edges = month_starts(start_s, end_s)
    chunks = [
        work_times(rng, lo, hi, int(c))
        for (lo, hi), c in zip(itertools.pairwise(edges), counts, strict=True)
    ]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
