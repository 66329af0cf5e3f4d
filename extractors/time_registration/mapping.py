"""Time-registration bookings to the ``hours`` table (pure): export rows and ServiceNow time cards.

The table has one row per booking (an employee's hours on one local working day, one case
reference and one activity)::

    date (Date, local working day) · employee (pseudonym) · service_area · case_reference (null
    if empty) · activity · hours (Float64) · start, end (Datetime UTC µs) · whole_day (Boolean)
    · source (file name or ``servicenow:time_card``) · source_row (line, or record number)

**Whole-day rule.** Most bookings carry no clock times. Such a booking is placed on its local
working day (Europe/Copenhagen) from 08:00, lasting the hours booked (``end = start + hours``),
with ``whole_day`` true. Several bookings of one employee on one day (in one source) are laid end
to end in the order of the source, so they do not overlap: the second starts where the first
ended. A booking with ``Start`` and ``Slut`` clock times keeps them (local times; a ``Slut`` not
after ``Start`` means the work went past midnight) and has ``whole_day`` false; its ``hours`` stay
those booked in ``Timer``.

**Set aside** (quarantined with file, line and reason, never dropped silently): an unparsable
date or number of hours, negative hours or more than 24 hours in one row, a missing employee or
activity, only one of ``Start``/``Slut``, a clock time that does not exist locally (the spring
daylight-saving gap).

ServiceNow ``time_card`` rows are weekly (one per user, task, week and category) with the hours
per weekday in ``monday`` .. ``sunday``: each day with hours becomes one whole-day booking on
``week_starts_on`` + the day's offset. The activity is the card's ``u_aktivitet`` (KIT's own
activity field) or else its ``category``; the case reference and service area come from the
task (its number and its assignment group's name) when the task's table was extracted. A card
without day fields (a stream that fetched only ``total``) is booked as one row on
``week_starts_on`` and noted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from extractors.errors import SkippableRecord
from extractors.time_registration.export import CellTable

LOCAL_ZONE = ZoneInfo("Europe/Copenhagen")
WORKDAY_START = dt.time(8, 0)
MAX_HOURS_PER_ROW = 24.0
TIME_CARD_SOURCE = "servicenow:time_card"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

HOURS_SCHEMA: Mapping[str, pl.DataType] = {
    "date": pl.Date(),
    "employee": pl.String(),
    "service_area": pl.String(),
    "case_reference": pl.String(),
    "activity": pl.String(),
    "hours": pl.Float64(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "whole_day": pl.Boolean(),
    "source": pl.String(),
    "source_row": pl.Int64(),
}
QUARANTINE_SCHEMA: Mapping[str, pl.DataType] = {
    "file": pl.String(),
    "line": pl.Int64(),
    "reason": pl.String(),
    "record": pl.String(),
}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")
_CLOCK_FORMATS = ("%H:%M", "%H:%M:%S", "%H.%M")


@dataclass(frozen=True)
class Booking:
    """One booking before placement: clock times (local) only when the source gave them."""

    date: dt.date
    employee: str
    service_area: str | None
    case_reference: str | None
    activity: str
    hours: float
    clock: tuple[dt.time, dt.time] | None
    source: str
    source_row: int


@dataclass(frozen=True)
class HoursTable:
    """Mapped bookings (``frame``, schema ``HOURS_SCHEMA``), the rows set aside (``quarantine``,
    schema ``QUARANTINE_SCHEMA``) and notes about the mapping."""

    frame: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskInfo:
    """What a time card's task contributes: its number and its assignment group's name."""

    number: str | None
    service_area: str | None


def parse_date(text: str) -> dt.date:
    """A local working day from ``YYYY-MM-DD`` (also ``DD-MM-YYYY``, ``DD.MM.YYYY``)."""
    value = text.strip()
    if len(value) == 10 and value.isascii() and _ISO_DAY.match(value):
        try:
            return dt.date.fromisoformat(value)  # the first form, without strptime's cost
        except ValueError:
            pass  # 2024-02-30: the forms below say why
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise SkippableRecord(f"the date {text!r} is not a date; write it as YYYY-MM-DD")


def parse_hours(text: str, *, limit: float = MAX_HOURS_PER_ROW) -> float:
    """Hours from ``1,50`` or ``1.50``; negative or above ``limit`` is refused."""
    value = text.strip().replace(" ", "")
    if "," in value and "." in value:
        raise SkippableRecord(
            f"the hours {text!r} mix a decimal comma and point; write e.g. 1,50 or 1.50"
        )
    try:
        hours = float(value.replace(",", "."))
    except ValueError:
        raise SkippableRecord(f"the hours {text!r} are not a number") from None
    if not math.isfinite(hours):  # 'nan' and 'inf' parse as floats
        raise SkippableRecord(f"the hours {text!r} are not a number")
    if hours < 0:
        raise SkippableRecord(f"the hours {text!r} are negative")
    if hours > limit:
        raise SkippableRecord(f"the hours {text!r} are more than {limit:g} in one row")
    return hours


def parse_clock(text: str, column: str) -> dt.time:
    """A clock time ``HH:MM`` (or ``HH:MM:SS``, ``HH.MM``)."""
    for form in _CLOCK_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), form).time()
        except ValueError:
            continue
    raise SkippableRecord(f"{column} {text!r} is not a clock time; write it as HH:MM")


def local_to_utc(day: dt.date, clock: dt.time) -> dt.datetime:
    """A local Copenhagen clock time on ``day`` in UTC; a time in the spring gap is refused."""
    utc = _local_to_utc(day, clock)
    if utc is None:
        raise SkippableRecord(
            f"{day} {clock} does not exist in Europe/Copenhagen (the daylight-saving gap)"
        )
    return utc


@functools.lru_cache(maxsize=65_536)
def _local_to_utc(day: dt.date, clock: dt.time) -> dt.datetime | None:
    # Most bookings of a day start at the same clock time: each pair is converted once.
    local = dt.datetime.combine(day, clock, tzinfo=LOCAL_ZONE)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(LOCAL_ZONE).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def map_cell_table(table: CellTable) -> HoursTable:
    """Map one export file's rows (people already pseudonymised) to bookings."""
    bookings: list[Booking] = []
    bad: list[tuple[str, int, str, str]] = []
    for line, cells in table.rows:
        try:
            bookings.append(_booking_of(table, line, cells))
        except SkippableRecord as error:
            record = json.dumps(dict(zip(table.header, cells, strict=False)), ensure_ascii=False)
            bad.append((table.file, line, error.reason, record))
    return HoursTable(place_bookings(bookings), quarantine_frame(bad))


def _booking_of(table: CellTable, line: int, cells: Sequence[str]) -> Booking:
    def cell(name: str) -> str:
        at = table.columns.get(name)
        return cells[at].strip() if at is not None and at < len(cells) else ""

    employee, activity = cell("Medarbejder"), cell("Aktivitet")
    if not employee:
        raise SkippableRecord("Medarbejder is empty: every booking needs the employee")
    if not activity:
        raise SkippableRecord("Aktivitet is empty: every booking needs an activity")
    day, hours = parse_date(cell("Dato")), parse_hours(cell("Timer"))
    start_text, end_text = cell("Start"), cell("Slut")
    clock: tuple[dt.time, dt.time] | None = None
    if start_text or end_text:
        if not (start_text and end_text):
            raise SkippableRecord("only one of Start and Slut is filled in: give both or neither")
        clock = (parse_clock(start_text, "Start"), parse_clock(end_text, "Slut"))
        local_to_utc(day, clock[0])  # refuse clock times in the spring gap here, with the row
        local_to_utc(day if clock[1] > clock[0] else day + dt.timedelta(days=1), clock[1])
    return Booking(
        date=day,
        employee=employee,
        service_area=cell("Serviceområde") or None,
        case_reference=cell("Sagsreference") or None,
        activity=activity,
        hours=hours,
        clock=clock,
        source=table.file,
        source_row=line,
    )


def place_bookings(bookings: Iterable[Booking]) -> pl.DataFrame:
    """Start and end of each booking (the module's whole-day rule), as the hours table."""
    used: dict[tuple[str, str, dt.date], float] = {}
    rows: list[dict[str, Any]] = []
    for b in bookings:
        if b.clock is not None:
            start = local_to_utc(b.date, b.clock[0])
            end_day = b.date if b.clock[1] > b.clock[0] else b.date + dt.timedelta(days=1)
            end = local_to_utc(end_day, b.clock[1])
        else:
            slot = (b.source, b.employee, b.date)
            offset = used.get(slot, 0.0)
            used[slot] = offset + b.hours
            start = local_to_utc(b.date, WORKDAY_START) + dt.timedelta(hours=offset)
            end = start + dt.timedelta(hours=b.hours)
        rows.append(
            {
                "date": b.date, "employee": b.employee, "service_area": b.service_area,
                "case_reference": b.case_reference, "activity": b.activity, "hours": b.hours,
                "start": start, "end": end, "whole_day": b.clock is None, "source": b.source,
                "source_row": b.source_row,
            }
        )  # fmt: skip
    return pl.DataFrame(rows, schema=dict(HOURS_SCHEMA))


def quarantine_frame(bad: Sequence[tuple[str, int, str, str]]) -> pl.DataFrame:
    """Rows set aside: (file, line, reason, record as JSON)."""
    return pl.DataFrame(
        {
            "file": [b[0] for b in bad],
            "line": [b[1] for b in bad],
            "reason": [b[2] for b in bad],
            "record": [b[3] for b in bad],
        },
        schema=dict(QUARANTINE_SCHEMA),
    )


def task_lookup(
    tasks: Iterable[Mapping[str, Any]], groups: Iterable[Mapping[str, Any]]
) -> dict[str, TaskInfo]:
    """Per task sys_id: its number and its assignment group's name (from raw ServiceNow
    records of task tables and ``sys_user_group``)."""
    names = {str(g["sys_id"]): str(g["name"]) for g in groups if g.get("sys_id") and g.get("name")}
    lookup: dict[str, TaskInfo] = {}
    for task in tasks:
        sys_id = task.get("sys_id")
        if not isinstance(sys_id, str) or not sys_id:
            continue
        group = task.get("assignment_group")
        area = names.get(group) if isinstance(group, str) else None
        number = task.get("number")
        lookup[sys_id] = TaskInfo(number if isinstance(number, str) and number else None, area)
    return lookup


def map_time_cards(records: Iterable[tuple[int, Any]], tasks: Mapping[str, TaskInfo]) -> HoursTable:
    """Map ServiceNow ``time_card`` records (``(record number, record)``, user pseudonymised)
    to bookings, one per weekday with hours."""
    bookings: list[Booking] = []
    bad: list[tuple[str, int, str, str]] = []
    totals_only = 0
    for number, record in records:
        try:
            cards = _bookings_of_card(number, record, tasks)
        except SkippableRecord as error:
            text = json.dumps(_card_fields(record), ensure_ascii=False, sort_keys=True, default=str)
            bad.append((TIME_CARD_SOURCE, number, error.reason, text))
            continue
        totals_only += isinstance(record, dict) and not _has_days(record)
        bookings.extend(cards)
    notes: tuple[str, ...] = ()
    if totals_only:
        notes = (
            f"{totals_only} time_card rows had no weekday fields (monday .. sunday), so each "
            "week's total was booked on week_starts_on; add the weekday fields to the "
            "ServiceNow time_card stream to book the hours on their days.",
        )
    return HoursTable(place_bookings(bookings), quarantine_frame(bad), notes)


TIME_CARD_FIELDS = ("user", "u_aktivitet", "category", "week_starts_on", "task", "total")
"""The fields of a time card the mapping reads (with ``WEEKDAYS``): all a quarantine row keeps."""


def _card_fields(record: Any) -> Any:
    """Only the fields the mapping reads: a card's comments never reach the quarantine file."""
    if not isinstance(record, dict):
        return type(record).__name__
    return {k: v for k, v in record.items() if k in TIME_CARD_FIELDS or k in WEEKDAYS}


def _has_days(record: Mapping[str, Any]) -> bool:
    return any(day in record for day in WEEKDAYS)


def _bookings_of_card(number: int, record: Any, tasks: Mapping[str, TaskInfo]) -> list[Booking]:
    if not isinstance(record, dict):
        raise SkippableRecord(f"the record is a {type(record).__name__}, not an object")
    user = str(record.get("user") or "").strip()
    if not user:
        raise SkippableRecord("user is empty: every time card needs the employee")
    activity = str(record.get("u_aktivitet") or record.get("category") or "").strip()
    if not activity:
        raise SkippableRecord("neither u_aktivitet nor category names the activity")
    week = parse_date(str(record.get("week_starts_on") or ""))
    task = tasks.get(str(record.get("task") or ""), TaskInfo(None, None))
    if _has_days(record):
        days = [
            (week + dt.timedelta(days=i), parse_hours(str(record.get(name) or "0")))
            for i, name in enumerate(WEEKDAYS)
        ]
    else:
        days = [(week, parse_hours(str(record.get("total") or ""), limit=7 * 24))]
    return [
        Booking(day, user, task.service_area, task.number, activity, hours, None,
                TIME_CARD_SOURCE, number)
        for day, hours in days
        if hours > 0
    ]  # fmt: skip
