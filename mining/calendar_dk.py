"""The Danish working calendar: office hours on weekdays, without the Danish days off.

Holidays are computed from the date of Easter (the Gregorian computus), so no holiday package
is needed. The default set is what Copenhagen Municipality (KK) gives its staff off:

- the statutory public holidays (helligdage): Nytårsdag (1 January), Skærtorsdag, Langfredag,
  Påskedag, 2. påskedag, Kristi himmelfartsdag, Pinsedag, 2. pinsedag, Juledag (25 December),
  2. juledag (26 December), and Store bededag up to and including 2023 (it was abolished by
  law from 2024);
- the customary days off in KK: Grundlovsdag (5 June), Juleaftensdag (24 December) and
  Nytårsaftensdag (31 December).

Both the set of named days and the office hours are settings of :class:`WorkingCalendar`.
Working time is measured on the Copenhagen wall clock, so a daylight-saving change never moves
office hours.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

DISPLAY_ZONE: Final = "Europe/Copenhagen"

STATUTORY_DAYS_OFF: Final = frozenset(
    {
        "Nytårsdag",
        "Skærtorsdag",
        "Langfredag",
        "Påskedag",
        "2. påskedag",
        "Store bededag",
        "Kristi himmelfartsdag",
        "Pinsedag",
        "2. pinsedag",
        "Juledag",
        "2. juledag",
    }
)
KK_CUSTOMARY_DAYS_OFF: Final = frozenset({"Grundlovsdag", "Juleaftensdag", "Nytårsaftensdag"})
DEFAULT_DAYS_OFF: Final = STATUTORY_DAYS_OFF | KK_CUSTOMARY_DAYS_OFF

# Store bededag (the fourth Friday after Easter) was a holiday for the last time in 2023.
LAST_STORE_BEDEDAG: Final = 2023
# The years whose days off a calendar knows; a time outside them counts every weekday as open.
CALENDAR_YEARS: Final = range(1970, 2101)

# Days after Easter Sunday of the movable days off.
_EASTER_OFFSETS: Final = {
    "Skærtorsdag": -3,
    "Langfredag": -2,
    "Påskedag": 0,
    "2. påskedag": 1,
    "Store bededag": 26,
    "Kristi himmelfartsdag": 39,
    "Pinsedag": 49,
    "2. pinsedag": 50,
}
_FIXED_DAYS: Final = {
    "Nytårsdag": (1, 1),
    "Grundlovsdag": (6, 5),
    "Juleaftensdag": (12, 24),
    "Juledag": (12, 25),
    "2. juledag": (12, 26),
    "Nytårsaftensdag": (12, 31),
}


def compute_easter_sunday(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (the anonymous Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def find_danish_holidays(
    year: int, *, names: frozenset[str] = DEFAULT_DAYS_OFF
) -> dict[dt.date, str]:
    """The named Danish days off of ``year`` that are in ``names``: date to Danish name."""
    unknown = names - _EASTER_OFFSETS.keys() - _FIXED_DAYS.keys()
    if unknown:
        known = ", ".join(sorted(_EASTER_OFFSETS.keys() | _FIXED_DAYS.keys()))
        raise ValueError(f"unknown Danish day(s) off {sorted(unknown)}; known: {known}")
    easter = compute_easter_sunday(year)
    days = {easter + dt.timedelta(days=n): name for name, n in _EASTER_OFFSETS.items()}
    days |= {dt.date(year, month, day): name for name, (month, day) in _FIXED_DAYS.items()}
    return {
        date: name
        for date, name in sorted(days.items())
        if name in names and not (name == "Store bededag" and year > LAST_STORE_BEDEDAG)
    }


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours on open weekdays, in Copenhagen wall-clock time.

    ``weekdays`` are ISO-style Monday=0 … Sunday=6; ``days_off`` names the Danish days off (see
    the module docstring for the default); ``extra_days_off`` adds local dates (a closing day).
    """

    office_start: dt.time = dt.time(8, 0)
    office_end: dt.time = dt.time(16, 0)
    weekdays: frozenset[int] = frozenset(range(5))
    days_off: frozenset[str] = DEFAULT_DAYS_OFF
    extra_days_off: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.office_end <= self.office_start:
            raise ValueError(
                f"office hours end ({self.office_end}) must be after they start "
                f"({self.office_start})"
            )

    @property
    def office_s(self) -> int:
        """Working seconds of one open day."""
        return _seconds(self.office_end) - _seconds(self.office_start)

    def closed_dates(self) -> list[dt.date]:
        """Every day off of the years the calendar knows, sorted."""
        dates = set(self.extra_days_off)
        for year in CALENDAR_YEARS:
            dates |= find_danish_holidays(year, names=self.days_off).keys()
        return sorted(dates)


DEFAULT_CALENDAR: Final = WorkingCalendar()


def _seconds(time: dt.time) -> int:
    return time.hour * 3600 + time.minute * 60 + time.second


_US: Final = 1_000_000
_DAY_US: Final = 86_400 * _US
_EPOCH: Final = dt.date(1970, 1, 1)


@functools.cache
def _utc_offsets() -> tuple[pl.Series, pl.Series]:
    """Copenhagen's UTC offset changes: instants (µs since the epoch, UTC) and the new offsets.

    Converting a million times with the time-zone database takes most of a second; looking the
    offset up among the few hundred changes is a binary search per time.
    """
    zone = ZoneInfo(DISPLAY_ZONE)
    instants, offsets = [-(2**62)], [_offset_us(zone, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))]
    hour = dt.timedelta(hours=1)
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(CALENDAR_YEARS[-1] + 1, 1, 1, tzinfo=dt.UTC)
    while moment < end:
        # Copenhagen changes its offset on the hour and never twice within a day.
        day_later = moment + dt.timedelta(days=1)
        if _offset_us(zone, day_later) != offsets[-1]:
            change = next(
                moment + n * hour
                for n in range(1, 25)
                if _offset_us(zone, moment + n * hour) != offsets[-1]
            )
            instants.append((change - moment) // dt.timedelta(microseconds=1) + _us(moment))
            offsets.append(_offset_us(zone, change))
        moment = day_later
    return pl.Series(instants, dtype=pl.Int64), pl.Series(offsets, dtype=pl.Int64)


def _offset_us(zone: ZoneInfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset() or dt.timedelta()
    return offset // dt.timedelta(microseconds=1)


def _us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


@functools.cache
def _open_days(calendar: WorkingCalendar) -> tuple[pl.Series, pl.Series]:
    """Per local day since 1970-01-01: is it open, and how many open days came before it."""
    closed = set(calendar.closed_dates())
    days = (dt.date(CALENDAR_YEARS[-1] + 1, 1, 1) - _EPOCH).days
    is_open = [
        (_EPOCH + dt.timedelta(days=n)).weekday() in calendar.weekdays
        and _EPOCH + dt.timedelta(days=n) not in closed
        for n in range(days)
    ]
    before = [0] * days
    for n in range(1, days):
        before[n] = before[n - 1] + is_open[n - 1]
    return pl.Series(is_open, dtype=pl.Boolean), pl.Series(before, dtype=pl.Int64)


def compute_local_us(utc: pl.Expr) -> pl.Expr:
    """Copenhagen wall-clock time of a UTC datetime, as µs since 1970-01-01 00:00 local."""
    instants, offsets = _utc_offsets()
    us = utc.dt.cast_time_unit("us").dt.epoch("us")
    index = pl.lit(instants).search_sorted(us, side="right").cast(pl.Int64) - 1
    return us + pl.lit(offsets).gather(index)


def local_month(utc: pl.Expr) -> pl.Expr:
    """The first day (a ``Date``) of the Copenhagen month of a UTC datetime."""
    return pl.from_epoch(compute_local_us(utc), time_unit="us").dt.truncate("1mo").dt.date()


def compute_working_duration_s(
    start: pl.Expr, end: pl.Expr, *, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> pl.Expr:
    """Seconds of office time between two UTC datetime expressions (negative when end < start).

    Open days from the start's local date up to (not including) the end's local date count
    whole; then the office time already gone on the start's day is taken off and the part of the
    end's day added. Times outside the calendar's years (1970-2100) are an error of polars'
    ``gather``: no real log reaches them.
    """
    is_open, before = _open_days(calendar)
    local_start, local_end = compute_local_us(start), compute_local_us(end)
    start_day, end_day = local_start // _DAY_US, local_end // _DAY_US
    whole_days = pl.lit(before).gather(end_day) - pl.lit(before).gather(start_day)
    return (
        whole_days * calendar.office_s
        - _office_part_s(local_start, start_day, calendar, is_open)
        + _office_part_s(local_end, end_day, calendar, is_open)
    ).cast(pl.Float64)


def _office_part_s(
    local_us: pl.Expr, day: pl.Expr, calendar: WorkingCalendar, is_open: pl.Series
) -> pl.Expr:
    """Office seconds of the local day that have passed at ``local_us`` (0 on a closed day)."""
    of_day_s = (local_us - day * _DAY_US).cast(pl.Float64) / _US
    opening = float(_seconds(calendar.office_start))
    closing = float(_seconds(calendar.office_end))
    elapsed = of_day_s.clip(opening, closing) - opening
    return pl.when(pl.lit(is_open).gather(day)).then(elapsed).otherwise(0.0)
