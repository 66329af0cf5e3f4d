"""The Danish working calendar: Easter, the days off, office hours across weekends and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining.calendar_dk import (
    DEFAULT_CALENDAR,
    STATUTORY_DAYS_OFF,
    WorkingCalendar,
    compute_easter_sunday,
    compute_local_us,
    compute_working_duration_s,
    find_danish_holidays,
)

UTC = dt.UTC
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, dt.date(2000, 4, 23)),
        (2019, dt.date(2019, 4, 21)),
        (2023, dt.date(2023, 4, 9)),
        (2024, dt.date(2024, 3, 31)),
        (2025, dt.date(2025, 4, 20)),
        (2038, dt.date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: dt.date) -> None:
    assert compute_easter_sunday(year) == easter


def test_days_off_2024_without_store_bededag() -> None:
    days = find_danish_holidays(2024)
    assert days == {
        dt.date(2024, 1, 1): "Nytårsdag",
        dt.date(2024, 3, 28): "Skærtorsdag",
        dt.date(2024, 3, 29): "Langfredag",
        dt.date(2024, 3, 31): "Påskedag",
        dt.date(2024, 4, 1): "2. påskedag",
        dt.date(2024, 5, 9): "Kristi himmelfartsdag",
        dt.date(2024, 5, 19): "Pinsedag",
        dt.date(2024, 5, 20): "2. pinsedag",
        dt.date(2024, 6, 5): "Grundlovsdag",
        dt.date(2024, 12, 24): "Juleaftensdag",
        dt.date(2024, 12, 25): "Juledag",
        dt.date(2024, 12, 26): "2. juledag",
        dt.date(2024, 12, 31): "Nytårsaftensdag",
    }


def test_store_bededag_until_2023_and_statutory_set() -> None:
    assert find_danish_holidays(2023)[dt.date(2023, 5, 5)] == "Store bededag"
    statutory = find_danish_holidays(2023, names=STATUTORY_DAYS_OFF)
    assert dt.date(2023, 6, 5) not in statutory
    assert dt.date(2023, 12, 24) not in statutory
    assert len(statutory) == 11
    with pytest.raises(ValueError, match="unknown Danish day"):
        find_danish_holidays(2024, names=frozenset({"Fastelavn"}))


def working_s(start: dt.datetime, end: dt.datetime, calendar: WorkingCalendar) -> float:
    frame = pl.DataFrame(
        {"s": [start], "e": [end]},
        schema={"s": pl.Datetime("us", "UTC"), "e": pl.Datetime("us", "UTC")},
    )
    return float(
        frame.select(compute_working_duration_s(pl.col("s"), pl.col("e"), calendar=calendar)).item()
    )


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CPH).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # Inside one office day.
        (local(2024, 3, 4, 9), local(2024, 3, 4, 11, 30), 2.5),
        # Before opening and after closing count nothing.
        (local(2024, 3, 4, 6), local(2024, 3, 4, 20), 8.0),
        # Friday 15:00 to Monday 09:00: one hour each side of the weekend.
        (local(2024, 3, 1, 15), local(2024, 3, 4, 9), 2.0),
        # Easter 2024: Skærtorsdag to 2. påskedag are closed; Tuesday 2 April 08-11.
        (local(2024, 3, 27, 15), local(2024, 4, 2, 11), 4.0),
        # Across the autumn DST change (27 October 2024): wall-clock office hours.
        (local(2024, 10, 25, 15), local(2024, 10, 28, 9), 2.0),
        # 24 December to 2 January 2025: closed on 24, 25, 26, 31 Dec and 1 Jan.
        (local(2024, 12, 23, 8), local(2025, 1, 2, 16), 4 * 8.0),
        # Backwards gives the negative.
        (local(2024, 3, 4, 11), local(2024, 3, 4, 9), -2.0),
    ],
)
def test_working_time_default_calendar(start: dt.datetime, end: dt.datetime, hours: float) -> None:
    # 23 Dec + 27 Dec + 30 Dec + 2 Jan are the open days of the Christmas case.
    assert working_s(start, end, DEFAULT_CALENDAR) == pytest.approx(hours * 3600)


def test_configurable_calendar() -> None:
    statutory = WorkingCalendar(
        office_start=dt.time(9), office_end=dt.time(17), days_off=STATUTORY_DAYS_OFF
    )
    # 24 December 2024 is an open Tuesday under statutory holidays only.
    assert working_s(local(2024, 12, 24, 8), local(2024, 12, 24, 18), statutory) == 8 * 3600
    closing_day = WorkingCalendar(extra_days_off=frozenset({dt.date(2024, 3, 5)}))
    assert working_s(local(2024, 3, 4, 8), local(2024, 3, 6, 8), closing_day) == 8 * 3600
    with pytest.raises(ValueError, match="must be after"):
        WorkingCalendar(office_start=dt.time(16), office_end=dt.time(8))


def test_local_time_equals_the_time_zone_database() -> None:
    moments = pl.datetime_range(
        dt.datetime(2023, 1, 1, tzinfo=UTC),
        dt.datetime(2025, 1, 1, tzinfo=UTC),
        interval="37m",
        eager=True,
    ).alias("t")
    frame = moments.to_frame()
    ours = frame.select(compute_local_us(pl.col("t"))).to_series()
    reference = frame.select(
        pl.col("t")
        .dt.convert_time_zone("Europe/Copenhagen")
        .dt.replace_time_zone(None)
        .dt.epoch("us")
    ).to_series()
    assert (ours == reference).all()


MOMENTS = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


@settings(max_examples=60, deadline=None)
@given(MOMENTS, MOMENTS, MOMENTS)
def test_working_time_is_additive_and_bounded(
    a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted([a, b, c])
    ab, bc, ac = (working_s(x, y, DEFAULT_CALENDAR) for x, y in ((a, b), (b, c), (a, c)))
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert 0.0 <= ac <= (c - a).total_seconds() + 1e-6
