"""Follow-up bindings: how a business case is measured in KIT's data, and target statuses.

A binding file sits beside the case (``<case>.followup.yaml``) so the case itself stays a
faithful transcription of the proposal. It says, per solution, when it went live and where
its work shows (robot process, time-registration activity, the ServiceNow work it takes
over), and binds the case's follow-up rows (``follow_up: N``, 1-based, in the case's order)
to a metric the platform computes.

A target's status as of a date: **met** when the metric shows the target reached; **missed**
when the deadline has passed without it; before the deadline **on track** when the trend
reaches it, else **at risk**; **no data** when the data the metric needs is not there (or the
row is not bound to a metric). Deadlines are read from the case's Danish text: "Udgangen af
YYYY" and "Ultimo YYYY" are 31 December, "Primo YYYY" is 31 January. A row naming several
("Ultimo 2023 og ultimo 2024") is judged at each of them on its own, with the data up to that
deadline (or up to the as-of date before it); the row's status is that of its current deadline:
the first not yet passed, else the last. A binding's ``deadline`` overrides the text.

A metric that measures a period (the savings of a year) is judged with the data up to the end
of that period, and is never **missed** before the period has ended, even when the deadline
comes first ("Primo 2024" against the savings of 2024): until then it is on track or at risk by
the trend. A binding states the period (``period: 2024`` or ``period: {start: ..., end: ...}``);
``realised_savings`` measures the deadline's year by default.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from models.errors import InputError

Metric = Literal[
    "robot_usage", "realised_savings", "handovers_per_case", "devops_practice", "integration_use"
]
Status = Literal["met", "on track", "at risk", "missed", "no data"]
Source = Literal["servicenow", "azure-devops", "time-registration", "robots"]
SOURCES: tuple[Source, ...] = get_args(Source)
"""The source systems a metric reads (a fact's ``source`` value is one of them)."""
WorkTable = Literal["sc_req_item", "incident"]
BINDING_SUFFIX = ".followup.yaml"
_DEADLINE = re.compile(r"\b(udgangen af|ultimo|primo)\s+(\d{4})", re.IGNORECASE)


@dataclass(frozen=True)
class WorkSelector:
    """The ServiceNow work a solution takes over. For ``sc_req_item`` the cases are the
    catalog tasks of the orders of ``catalog_items`` (reference = the order's number); for
    ``incident`` the incidents of ``category``. ``start``/``end`` are the activities between
    which a person handles the case; without them the selection gives volume only."""

    table: WorkTable
    catalog_items: tuple[str, ...] = ()
    category: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class SolutionBinding:
    """Where one solution (a sub-solution, or the whole case) shows in the data."""

    name: str
    go_live: dt.datetime
    robot_process: str | None = None
    time_activity: str | None = None
    work: WorkSelector | None = None
    handovers: bool = False
    manual_minutes: float | None = None
    residual_minutes: float | None = None
    comparison: Comparison | None = None


@dataclass(frozen=True)
class Comparison:
    """A comparable process that is never automated: its time-registration activity and,
    where it shows in ServiceNow, its work (for its count of cases). What changes for it
    changes for all work alike, so it corrects the time-registration estimate."""

    time_activity: str
    work: WorkSelector | None = None


@dataclass(frozen=True)
class Period:
    """The span a metric measures, both days included; a metric measuring months counts every
    month the span touches."""

    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def label(self) -> str:
        """``2024`` for a calendar year, else ``2024-01-01–2024-06-30``."""
        if self == Period.year(self.start.year):
            return str(self.start.year)
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


@dataclass(frozen=True)
class TargetBinding:
    """A follow-up row bound to a metric; ``threshold`` is the metric's pass mark."""

    follow_up: int
    metric: Metric
    solution: str | None = None
    threshold: float | None = None
    deadline: dt.date | None = None
    period: Period | None = None


@dataclass(frozen=True)
class FollowUpBindings:
    """A case's binding file."""

    path: Path
    case_path: Path
    robot_accounts: tuple[str, ...]
    solutions: tuple[SolutionBinding, ...]
    targets: tuple[TargetBinding, ...]
    catch_all_activities: tuple[str, ...] = ()
    freed_time_activities: tuple[str, ...] = ()

    def solution(self, name: str) -> SolutionBinding:
        """The solution called ``name``."""
        return next(s for s in self.solutions if s.name == name)


@dataclass(frozen=True)
class Number:
    """A figure in evidence, with the decimals it is shown with."""

    value: float
    decimals: int = 0


@dataclass(frozen=True)
class Month:
    """A calendar month in evidence (shown "december 2024"), by any day in it."""

    day: dt.date


@dataclass(frozen=True)
class FewerThan:
    """A count of people withheld because it is below ``limit`` (the 5-person rule): shown as
    "under 5", never as the count itself."""

    limit: int = 5


MIN_PEOPLE = 5
"""No figure describes fewer than this many people."""


def count_people(count: int) -> int | FewerThan:
    """``count`` when it describes at least ``MIN_PEOPLE`` people (or none), else withheld."""
    return count if count == 0 or count >= MIN_PEOPLE else FewerThan(MIN_PEOPLE)


FactValue = str | int | Number | dt.date | Month | FewerThan


@dataclass(frozen=True)
class Fact:
    """One sentence of evidence: a label key (app/i18n.py, ``evidence.*``) and its values, so
    the dashboard can say it in Danish or English with the language's number format."""

    key: str
    values: Mapping[str, FactValue]


@dataclass(frozen=True)
class DeadlineJudgement:
    """A row judged at one of its deadlines (``deadline_text`` as the case names it, e.g.
    "Ultimo 2023"), with the data up to that deadline or the as-of date before it."""

    deadline: dt.date
    deadline_text: str
    status: Status
    evidence: tuple[Fact, ...]


@dataclass(frozen=True)
class TargetStatus:
    """A follow-up row's status with the evidence behind it: those of its current deadline
    (the first not yet passed at the as-of date, else the last), and ``judgements`` at each of
    its deadlines in order (none when the row names no deadline). ``deadline`` is the last."""

    number: int
    target: str
    measure: str
    responsible: str
    deadline_text: str
    deadline: dt.date | None
    metrics: str | None
    solution: str | None
    status: Status
    evidence: tuple[Fact, ...]
    judgements: tuple[DeadlineJudgement, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What a metric found: ``reached`` (None: no data), ``on_track`` for before the deadline,
    and the evidence."""

    reached: bool | None
    on_track: bool
    evidence: tuple[Fact, ...]


def binding_path_for(case_path: Path) -> Path:
    """``data/business_cases/x.yaml`` → ``data/business_cases/x.followup.yaml``."""
    return case_path.with_name(case_path.stem + BINDING_SUFFIX)


def parse_deadline(text: str) -> dt.date | None:
    """The last date the case's deadline text names; None when it names none."""
    found = parse_deadlines(text)
    return found[-1][0] if found else None


def parse_deadlines(text: str) -> tuple[tuple[dt.date, str], ...]:
    """Every deadline the case's text names, in its order, each with its words ("Ultimo 2023
    og ultimo 2024" → 31-12-2023 "Ultimo 2023", 31-12-2024 "Ultimo 2024")."""
    found = []
    for match in _DEADLINE.finditer(text):
        word, year = match.group(1), int(match.group(2))
        day = dt.date(year, 1, 31) if word.lower() == "primo" else dt.date(year, 12, 31)
        words = match.group(0)
        found.append((day, words[0].upper() + words[1:]))
    return tuple(found)


def decide_status(
    reading: Reading,
    *,
    deadline: dt.date | None,
    as_of: dt.date,
    period_end: dt.date | None = None,
) -> Status:
    """The status rule of the module docstring: ``period_end`` is the end of the period the
    metric measures, before which the row is not missed."""
    if reading.reached is None:
        return "no data"
    if reading.reached:
        return "met"
    due = max((d for d in (deadline, period_end) if d is not None), default=None)
    if due is not None and as_of > due:
        return "missed"
    return "on track" if reading.on_track else "at risk"


def read_bindings(path: Path) -> FollowUpBindings:
    """Read and check a binding file; errors name the file, the entry and the fix."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"Cannot read the follow-up bindings {path}: {error}.") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML: {error}") from None
    where = _Where(path)
    doc = where.mapping(raw, "the file", required=("case", "solutions"))
    _unknown(where, doc, _FILE_KEYS, "the file")
    shared = _comparison(where, doc.get("comparison"), "comparison")
    solutions = tuple(
        _solution(where, item, f"solutions[{i}]", shared) for i, item in enumerate(doc["solutions"])
    )
    names = {s.name for s in solutions}
    targets = tuple(
        _target(where, item, f"targets[{i}]", names)
        for i, item in enumerate(doc.get("targets") or [])
    )
    accounts = tuple(str(a) for a in doc.get("robot_accounts") or ())
    catch_all = tuple(str(a) for a in doc.get("catch_all_activities") or ())
    freed = tuple(str(a) for a in doc.get("freed_time_activities") or ())
    return FollowUpBindings(
        path, path.parent / str(doc["case"]), accounts, solutions, targets, catch_all, freed
    )


@dataclass(frozen=True)
class _Where:
    path: Path

    def fail(self, where: str, problem: str, fix: str) -> InputError:
        return InputError(f"{self.path}, {where}: {problem}. {fix}")

    def mapping(
        self, value: Any, where: str, *, required: tuple[str, ...] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(
                where, "expected a mapping of keys to values", "Write key: value lines."
            )
        for key in required:
            if key not in value:
                raise self.fail(where, f"'{key}' is missing", f"Add '{key}:'.")
        return value

    def date(self, value: Any, where: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(where, f"{value!r} is not a date", "Write it as 2024-03-01.") from None

    def number(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"{value!r} is not a number", "Write a plain number, e.g. 90.")
        return float(value)


_FILE_KEYS = {"case", "robot_accounts", "solutions", "targets", "comparison",
              "catch_all_activities", "freed_time_activities"}  # fmt: skip
_SOLUTION_KEYS = {
    "name", "go_live", "robot_process", "time_activity", "work", "handovers",
    "manual_minutes", "residual_minutes", "comparison",
}  # fmt: skip
_COMPARISON_KEYS = {"time_activity", "work"}
_WORK_KEYS = {"table", "catalog_items", "category", "start", "end"}
_TARGET_KEYS = {"follow_up", "metric", "solution", "threshold", "deadline", "period"}


def _unknown(where: _Where, item: Mapping[str, Any], allowed: set[str], at: str) -> None:
    extra = sorted(set(item) - allowed)
    if extra:
        raise where.fail(
            at, f"unknown key '{extra[0]}'", f"Allowed keys are {', '.join(sorted(allowed))}."
        )


def _comparison(where: _Where, raw: Any, at: str) -> Comparison | None:
    """``comparison: {time_activity: ..., work: {...}}``; ``comparison: none`` turns a shared
    comparison off for one solution."""
    if raw is None or raw == "none":
        return None
    item = where.mapping(raw, at, required=("time_activity",))
    _unknown(where, item, _COMPARISON_KEYS, at)
    work = _work(where, item["work"], f"{at}.work") if item.get("work") else None
    return Comparison(str(item["time_activity"]), work)


def _solution(
    where: _Where, raw: Any, at: str, shared: Comparison | None = None
) -> SolutionBinding:
    item = where.mapping(raw, at, required=("name", "go_live"))
    _unknown(where, item, _SOLUTION_KEYS, at)
    day = where.date(item["go_live"], f"{at}.go_live")
    return SolutionBinding(
        name=str(item["name"]),
        go_live=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC),
        robot_process=_optional_text(item, "robot_process"),
        time_activity=_optional_text(item, "time_activity"),
        work=_work(where, item["work"], f"{at}.work") if item.get("work") else None,
        handovers=bool(item.get("handovers", False)),
        manual_minutes=where.number(item.get("manual_minutes"), f"{at}.manual_minutes"),
        residual_minutes=where.number(item.get("residual_minutes"), f"{at}.residual_minutes"),
        comparison=(
            _comparison(where, item["comparison"], f"{at}.comparison")
            if "comparison" in item
            else shared
        ),
    )


def _optional_text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


def _work(where: _Where, raw: Any, at: str) -> WorkSelector:
    item = where.mapping(raw, at, required=("table",))
    _unknown(where, item, _WORK_KEYS, at)
    table = item["table"]
    if table not in get_args(WorkTable):
        raise where.fail(
            f"{at}.table", f"'{table}' is not a work table", "Write sc_req_item or incident."
        )
    items = tuple(str(c) for c in item.get("catalog_items") or ())
    if table == "sc_req_item" and not items:
        raise where.fail(at, "no catalog_items", "List the catalog item names of the orders.")
    if table == "incident" and not item.get("category"):
        raise where.fail(at, "no category", "Give the incident category of the work.")
    return WorkSelector(
        table, items, _optional_text(item, "category"),
        _optional_text(item, "start"), _optional_text(item, "end"),
    )  # fmt: skip


def _target(where: _Where, raw: Any, at: str, solutions: set[str]) -> TargetBinding:
    item = where.mapping(raw, at, required=("follow_up", "metric"))
    _unknown(where, item, _TARGET_KEYS, at)
    metric = item["metric"]
    if metric not in get_args(Metric):
        raise where.fail(
            f"{at}.metric",
            f"'{metric}' is not a metric",
            f"Write one of {', '.join(get_args(Metric))}.",
        )
    solution = _optional_text(item, "solution")
    if solution is not None and solution not in solutions:
        raise where.fail(
            f"{at}.solution", f"no solution is called '{solution}'",
            "Use a name from 'solutions'.",
        )  # fmt: skip
    number = item["follow_up"]
    if not isinstance(number, int) or number < 1:
        raise where.fail(f"{at}.follow_up", f"{number!r} is not a row number", "Count from 1.")
    deadline = item.get("deadline")
    period = item.get("period")
    return TargetBinding(
        number, metric, solution,
        where.number(item.get("threshold"), f"{at}.threshold"),
        where.date(deadline, f"{at}.deadline") if deadline is not None else None,
        _period(where, period, f"{at}.period") if period is not None else None,
    )  # fmt: skip


def _period(where: _Where, raw: Any, at: str) -> Period:
    """``2024`` (a calendar year) or ``{start: 2024-01-01, end: 2024-06-30}``."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Period.year(raw)
    if not isinstance(raw, dict):
        raise where.fail(
            at, f"{raw!r} is not a period", "Write a year (2024) or {start: 2024-01-01, end: ...}."
        )
    item = where.mapping(raw, at, required=("start", "end"))
    _unknown(where, item, {"start", "end"}, at)
    period = Period(where.date(item["start"], f"{at}.start"), where.date(item["end"], f"{at}.end"))
    if period.end < period.start:
        raise where.fail(at, f"it ends {period.end} before it starts {period.start}", "Swap them.")
    return period
