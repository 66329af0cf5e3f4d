"""Follow-up targets of a business case: each bound row's metric read from the stored data,
and its status as of a date (rules in models/followup.py).

Metrics:
- ``robot_usage``: the solution's robot is used: transactions in each of the
  ``USAGE_MONTHS`` months up to the deadline (or up to the as-of date before it); the
  evidence gives transactions and the number of distinct users per month (a count only, of
  people: not the robot accounts; "under 5" when fewer than 5, the 5-person rule).
- ``realised_savings``: the primary estimate's hours in the deadline's year reach
  ``threshold`` % (default 90) of the hours the case expects; before the year is complete,
  on track when measured plus the run rate for the months left reaches it.
- ``handovers_per_case``: handovers between service areas per case fell after go-live, with
  a permutation p-value below ``threshold`` (default 0.05).
- ``devops_practice``: in every service area at most ``threshold`` % (default 10) of the
  Features and Stories break a SAFe rule (Feature without an Epic parent, closed without ever
  being Active, iteration at the project root), read from the staged Azure DevOps tables
  (``mining.compute_devops_rule_rates``). Under the 5-person rule the service areas whose items
  name fewer than 5 people are judged and shown as one, "Other"; when they hold fewer than 5
  people together they are left out (shown and judged neither), and the evidence says so.
- ``integration_use``: the ServiceNow-to-Azure DevOps integration carries the orders: in the
  last month up to the deadline with any order linked to a DevOps item, at least ``threshold``
  % (default 90) of the linked orders were linked by the integration (its Hyperlink by sys_id
  or the item's ``correlation_id``), not by a link pasted by hand with the RITM number. The
  evidence gives the first month the integration linked an order and, for the last
  ``USAGE_MONTHS`` months (Copenhagen months), the share and the median time from order to item
  (``mining.compute_integration_share``).

Every input file is where the data folder (models/datafolder.py) says it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from extractors.azure_devops import SOURCE as AZURE_DEVOPS
from mining import (
    OTHER_GROUP,
    WITHHELD_GROUP,
    PrivacyError,
    compare_periods,
    compute_devops_rule_rates,
    compute_integration_share,
    merge_small_groups,
)
from models.benefits import METHODS, month_start
from models.business_case import FollowUpTarget
from models.datafolder import DataFolder
from models.errors import InputError
from models.followup import (
    DeadlineJudgement,
    Fact,
    FactValue,
    Month,
    Number,
    Period,
    Reading,
    SolutionBinding,
    Source,
    Status,
    TargetBinding,
    TargetStatus,
    binding_path_for,
    count_people,
    decide_status,
    parse_deadlines,
)
from models.realisation import CaseRealisation, SolutionRealisation
from models.schema import TIMESTAMP
from services.benefits import CaseInputs, StoredData, last_complete_month, measure_case
from services.build_cache import BuildCache

USAGE_MONTHS = 3
METHOD_KEYS: frozenset[str] = frozenset(METHODS)
DEVOPS_TABLES = ("workitems", "revisions")

_DEFAULTS = {
    "realised_savings": 90.0,
    "handovers_per_case": 0.05,
    "devops_practice": 10.0,
    "integration_use": 90.0,
}


@dataclass(frozen=True)
class FollowUpReport:
    """The realisation of the case (on the months complete by ``as_of``) and the status of each
    of its follow-up rows as of ``as_of``."""

    realisation: CaseRealisation
    targets: tuple[TargetStatus, ...]
    as_of: dt.date


MEASUREMENTS: BuildCache[Hashable, CaseRealisation] = BuildCache(128)
"""Cases measured per case, data folder, version of its files and last complete month: every
as-of date in a month shares the measurement (it reads only the complete months)."""
SHARED_DATA: BuildCache[Hashable, StoredData] = BuildCache(2)
"""The stored tables read per data folder, robot accounts and version of its files."""


@dataclass
class _Context:
    """One follow-up's inputs, with the data and the measured case per cut date, each made
    once (and with a ``version`` of the files, shared between follow-ups)."""

    inputs: CaseInputs
    data: StoredData
    as_of: dt.date
    version: Hashable | None = None
    _cuts: dict[dt.date, StoredData] = field(default_factory=dict)
    _realisations: dict[dt.date, CaseRealisation] = field(default_factory=dict)

    def cut(self, until: dt.date) -> StoredData:
        """The data as they stood at the end of ``until``."""
        if until not in self._cuts:
            self._cuts[until] = self.data.cut(until)
        return self._cuts[until]

    def realisation(self, until: dt.date) -> CaseRealisation:
        """The case measured on the months complete by ``until``."""
        months = last_complete_month(until)
        if months not in self._realisations:
            self._realisations[months] = self._measure(months)
        return self._realisations[months]

    def _measure(self, months: dt.date) -> CaseRealisation:
        if self.version is None:
            return measure_case(self.inputs, data=self.cut(months))
        bindings = self.inputs.bindings
        key = (bindings.path, bindings.case_path, self.inputs.data.root, self.version, months)
        return MEASUREMENTS.get(key, lambda: measure_case(self.inputs, data=self.cut(months)))


@dataclass(frozen=True)
class _Window:
    """What one reading of a metric looks at: the data up to ``until`` (the deadline, or the
    end of the period measured when that is later, or the as-of date before them)."""

    until: dt.date
    deadline: dt.date | None
    period: Period | None


def evaluate_followup(
    inputs: CaseInputs, *, as_of: dt.date, version: Hashable | None = None
) -> FollowUpReport:
    """Measure the case and read every follow-up row's metric at each of its deadlines, with
    only the data up to ``as_of``. With ``version`` (anything that changes whenever a file the
    case or its data read changes), the stored tables are read once and the measurement of a
    month is made once per version, shared by every as-of date in the month and every thread."""
    accounts = inputs.bindings.robot_accounts
    data = (
        StoredData(inputs.data, accounts)
        if version is None
        else SHARED_DATA.get(
            (inputs.data.root, accounts, version), lambda: StoredData(inputs.data, accounts)
        )
    )
    context = _Context(inputs, data, as_of, version)
    statuses = tuple(
        _status(context, number, row)
        for number, row in enumerate(inputs.case.follow_up_targets, start=1)
    )
    return FollowUpReport(context.realisation(as_of), statuses, as_of)


def _status(context: _Context, number: int, row: FollowUpTarget) -> TargetStatus:
    """A row judged at each of its deadlines; its status and evidence are its current one's."""
    bound = [t for t in context.inputs.bindings.targets if t.follow_up == number]
    deadlines = _deadlines(bound, row.deadline)
    judgements = tuple(
        DeadlineJudgement(day, text, *_judge(context, number, bound, day))
        for day, text in deadlines
    )
    if judgements:
        current = next((j for j in judgements if context.as_of <= j.deadline), judgements[-1])
        status, evidence = current.status, current.evidence
    else:
        status, evidence = _judge(context, number, bound, None)
    metrics = ", ".join(t.metric for t in bound) or None
    solution = next((t.solution for t in bound if t.solution), None)
    last = deadlines[-1][0] if deadlines else None
    return TargetStatus(
        number, row.target, row.measure, row.responsible, row.deadline, last, metrics, solution,
        status, evidence, judgements,
    )  # fmt: skip


def _deadlines(bound: list[TargetBinding], text: str) -> tuple[tuple[dt.date, str], ...]:
    """The row's deadlines with their words; a binding's ``deadline`` overrides the case's."""
    override = next((t.deadline for t in bound if t.deadline), None)
    if override is not None:
        return ((override, override.isoformat()),)
    return parse_deadlines(text)


def _judge(
    context: _Context, number: int, bound: list[TargetBinding], deadline: dt.date | None
) -> tuple[Status, tuple[Fact, ...]]:
    """The row at one deadline: with several metrics bound, every one must be reached."""
    if not bound:
        file = context.inputs.bindings.path.name
        reading = _no_data("evidence.unbound", number=number, file=file)
        return decide_status(reading, deadline=deadline, as_of=context.as_of), reading.evidence
    windows = [_window(context, binding, deadline) for binding in bound]
    reading = _combine(
        [_METRICS[b.metric](context, b, w) for b, w in zip(bound, windows, strict=True)]
    )
    period_end = max((w.period.end for w in windows if w.period), default=None)
    status = decide_status(reading, deadline=deadline, as_of=context.as_of, period_end=period_end)
    return status, reading.evidence


def _window(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> _Window:
    period = binding.period
    if period is None and binding.metric == "realised_savings":
        # The savings a deadline asks for are those of its year.
        period = Period.year((deadline or context.as_of).year)
    ends = (deadline, period.end if period else None)
    due = max((d for d in ends if d is not None), default=None)
    return _Window(min(due, context.as_of) if due else context.as_of, deadline, period)


def _combine(readings: list[Reading]) -> Reading:
    unknown = any(r.reached is None for r in readings)
    reached = None if unknown else all(r.reached for r in readings)
    facts = tuple(fact for r in readings for fact in r.evidence)
    return Reading(reached, all(r.on_track for r in readings), facts)


def _no_data(key: str, **values: FactValue) -> Reading:
    return Reading(None, False, (Fact(key, values),))


def _solution(context: _Context, binding: TargetBinding) -> SolutionBinding:
    name = binding.solution or context.inputs.bindings.solutions[0].name
    return context.inputs.bindings.solution(name)


def _robot_usage(context: _Context, binding: TargetBinding, window: _Window) -> Reading:
    solution = _solution(context, binding)
    data = context.cut(window.until)
    transactions = data.transactions
    if transactions is None or solution.robot_process is None:
        return _no_data("evidence.no_robot_data")
    end = window.until
    reach = _past_data("robots", _last_day(context.data.transactions, "start"), end)
    mine = transactions.filter(pl.col("process_name") == solution.robot_process)
    if mine.is_empty():
        fact = Fact("evidence.no_transactions", {"process": solution.robot_process, "date": end})
        return Reading(False, False, (fact, *reach))
    months = _usage_by_month(data, solution.robot_process, mine).tail(USAGE_MONTHS)
    last = dt.date(end.year, end.month, 1)
    expected = _months_back(last, USAGE_MONTHS)
    used = [m for m in months["month"].to_list() if m in expected]
    first = mine["start"].min()
    assert isinstance(first, dt.datetime)
    evidence = (
        Fact(
            "evidence.first_use", {"process": solution.robot_process, "month": Month(first.date())}
        ),
        *(
            Fact(
                "evidence.usage_month",
                {"month": Month(m), "transactions": t, "users": count_people(u)},
            )
            for m, t, u in months.iter_rows()
        ),
        *reach,
    )
    return Reading(len(used) == USAGE_MONTHS, last in used, evidence)


def _usage_by_month(data: StoredData, process: str, mine: pl.DataFrame) -> pl.DataFrame:
    """Transactions and distinct users (from the runs, a count only) per month. The users are
    people: the robot accounts of the bindings and runs without a user are not counted, so a
    count of 5 is 5 people (the 5-person rule withholds fewer)."""
    by_month = mine.group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month")).agg(
        pl.len().alias("transactions")
    )
    users = pl.DataFrame(schema={"month": pl.Date, "users": pl.UInt32})
    if data.runs is not None:
        robots = data.robot_pseudonyms
        users = (
            data.runs.filter(pl.col("process_name") == process)
            .group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
            .agg(
                pl.col("robot_user")
                .filter(~pl.col("robot_user").is_in(robots))
                .drop_nulls()
                .n_unique()
                .alias("users")
            )
        )
    return (
        by_month.join(users, on="month", how="left")
        .with_columns(pl.col("users").fill_null(0))
        .sort("month")
    )


def _months_back(last: dt.date, count: int) -> set[dt.date]:
    months, year, month = set(), last.year, last.month
    for _ in range(count):
        months.add(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _realised(context: _Context, binding: TargetBinding, window: _Window) -> Reading:
    """The primary estimate's hours in the period against the hours the case expects of it;
    before the period's months are all measured, on track when the run rate for the months
    left reaches the pass mark."""
    assert window.period is not None  # _window gives realised_savings a period
    period = window.period
    solution = _solution(context, binding)
    realisation = context.realisation(window.until)
    found = next(s for s in realisation.solutions if s.name == solution.name)
    chosen = found.estimate(found.primary) if found.primary else None
    if chosen is None or found.run_rate_hours_per_month is None:
        return _no_data("evidence.no_savings_data")
    expected = _expected_in(found, period)
    if expected <= 0:
        return _no_data("evidence.no_expected", year=period.label)
    threshold = binding.threshold or _DEFAULTS["realised_savings"]
    months = _months_of(period)
    measured = float(chosen.monthly.filter(pl.col("month").is_in(months))["hours_saved"].sum())
    measured_to = month_start(last_complete_month(window.until))
    left = sum(1 for month in months if month > measured_to)
    forecast = measured + found.run_rate_hours_per_month * left
    pct = measured / expected * 100
    savings = Fact(
        "evidence.savings",
        {
            "year": period.label, "measured": Number(measured), "method": chosen.method,
            "expected": Number(expected), "pct": Number(pct), "threshold": Number(threshold),
        },
    )  # fmt: skip
    to_come = Fact("evidence.savings_forecast", {"forecast": Number(forecast)})
    reach = _past_data(*_method_reach(context, solution, chosen.method), window.until)
    evidence = (savings, to_come, *reach) if left else (savings, *reach)
    return Reading(not left and pct >= threshold, forecast / expected * 100 >= threshold, evidence)


def _method_reach(
    context: _Context, solution: SolutionBinding, method: str
) -> tuple[Source, dt.date | None]:
    """The source a method's estimate rests on and the last day of its stored data."""
    data = context.data
    if method == "robot":
        return "robots", _last_day(data.transactions, "start")
    if method == "time_registration":
        return "time-registration", _last_day(data.hours, "date")
    table = solution.work.table if solution.work else "incident"
    return "servicenow", _last_day(data.events(table), TIMESTAMP)


def _months_of(period: Period) -> list[dt.date]:
    """The first day of every month the period touches."""
    months, month = [], month_start(period.start)
    while month <= period.end:
        months.append(month)
        month = (month + dt.timedelta(days=31)).replace(day=1)
    return months


def _expected_in(found: SolutionRealisation, period: Period) -> float:
    """The hours the case expects in the period: a twelfth of a year's for each month."""
    months = _months_of(period)
    # The share first, so a whole year's expected hours stay exact.
    return sum(
        year.expected_hours * (sum(1 for m in months if m.year == year.year) / 12)
        for year in found.years
    )


def _handovers(context: _Context, binding: TargetBinding, window: _Window) -> Reading:
    solution = _solution(context, binding)
    selector = solution.work
    data = context.cut(window.until)
    if selector is None or not data.has_work(selector):
        return _no_data("evidence.no_orders")
    events = data.work_events(selector)
    try:
        result = compare_periods(events, at=solution.go_live, measure="handovers")
    except PrivacyError:
        # A side of the go-live shows fewer than 5 people (the 5-person rule): withheld.
        return _no_data(
            "evidence.handovers_withheld", go_live=solution.go_live.date(), date=window.until
        )
    except InputError:
        # Fewer than 2 cases on a side of the go-live by then: nothing to compare yet.
        return _no_data(
            "evidence.handovers_too_few", go_live=solution.go_live.date(), date=window.until
        )
    threshold = binding.threshold or _DEFAULTS["handovers_per_case"]
    fact = Fact(
        "evidence.handovers",
        {
            "before": Number(result.before, 2), "after": Number(result.after, 2),
            "go_live": solution.go_live.date(), "difference": Number(result.difference, 2),
            "low": Number(result.ci_low, 2), "high": Number(result.ci_high, 2),
            "p": Number(result.p_value, 4), "n_before": result.cases_before,
            "n_after": result.cases_after,
        },
    )  # fmt: skip
    fell = result.difference < 0 and result.p_value < threshold
    reach = _past_data(
        "servicenow", _last_day(context.data.events(selector.table), TIMESTAMP), window.until
    )
    return Reading(fell, result.difference < 0, (fact, *reach))


def _devops(context: _Context, binding: TargetBinding, window: _Window) -> Reading:
    data = context.cut(window.until)
    tables = [data.table(data.data.staged_table(AZURE_DEVOPS, name)) for name in DEVOPS_TABLES]
    workitems, revisions = tables
    if workitems is None or revisions is None:
        return _no_data("evidence.no_devops")
    merged = _merge_small_areas(workitems, revisions, until=data.end)
    rates = compute_devops_rule_rates(merged.workitems, merged.revisions, until=data.end)
    # The areas of fewer than 5 people even together are neither shown nor judged.
    rates = rates.filter(pl.col("service_area") != WITHHELD_GROUP)
    if rates.is_empty() and not merged.areas:
        return _no_data("evidence.no_devops_items", date=window.until)
    threshold = binding.threshold or _DEFAULTS["devops_practice"]
    above = rates.filter(pl.col("breaking_pct") > threshold)
    evidence = (
        *(_devops_area(area, items, pct, merged) for area, items, pct in rates.iter_rows()),
        *_devops_withheld(merged),
        *_past_data("azure-devops", _last_day(revisions, "changed_date"), window.until),
    )
    if rates.is_empty():
        return Reading(None, False, evidence)
    return Reading(above.is_empty(), above.is_empty(), evidence)


DEVOPS_PEOPLE = ("created_by", "assigned_to", "changed_by")
"""The people of a service area's Features and Stories: who created, was assigned or changed
them."""
_PLANNED = ("Feature", "User Story")  # the items mining.compute_devops_rule_rates judges
_AREA = pl.col("area_path").str.split("\\").list.last()
"""The service area of an area path, as mining.compute_devops_rule_rates reads it."""


@dataclass(frozen=True)
class _MergedAreas:
    """Work items and revisions with the service areas of fewer than 5 people (``areas`` of
    them) renamed :data:`OTHER_GROUP` or, when fewer than 5 people together,
    :data:`WITHHELD_GROUP` (``withheld``)."""

    workitems: pl.DataFrame
    revisions: pl.DataFrame
    areas: int = 0
    withheld: bool = False


def _merge_small_areas(
    workitems: pl.DataFrame, revisions: pl.DataFrame, *, until: dt.datetime | None
) -> _MergedAreas:
    """The 5-person rule on the service areas (the last segment of the area path): the people
    of an area are those its Features' and Stories' revisions up to ``until`` name
    (:data:`DEVOPS_PEOPLE`). Revisions that name no one: nothing to count, nothing merged."""
    named = [c for c in DEVOPS_PEOPLE if c in revisions.columns]
    if not named:
        return _MergedAreas(workitems, revisions)
    seen = revisions.filter(pl.col("work_item_type").is_in(_PLANNED))
    if until is not None:
        seen = seen.filter(pl.col("changed_date") < until)
    people = seen.select(
        _AREA.alias("service_area"), _AREA.alias("_area"), pl.concat_list(named).alias("_person")
    ).explode("_person")
    merged = merge_small_groups(people, by="service_area", people_column="_person")
    if not merged.people_known or merged.merged == 0:
        return _MergedAreas(workitems, revisions)
    label = WITHHELD_GROUP if merged.withheld else OTHER_GROUP
    small = merged.frame.filter(pl.col("service_area") == label).select("_area").unique()
    renamed = (
        pl.when(_AREA.is_in(small.collect()["_area"].implode()))
        .then(pl.lit(label))
        .otherwise(pl.col("area_path"))
    )
    return _MergedAreas(
        workitems.with_columns(renamed.alias("area_path")),
        revisions.with_columns(renamed.alias("area_path")),
        areas=merged.merged,
        withheld=merged.withheld,
    )


def _devops_area(area: str, items: int, pct: float, merged: _MergedAreas) -> Fact:
    """One service area's share, the merged areas' under their own words."""
    values: dict[str, FactValue] = {"pct": Number(pct, 1), "items": items}
    if area == OTHER_GROUP:
        return Fact("evidence.devops_other", {**values, "count": merged.areas})
    return Fact("evidence.devops_area", {**values, "area": area})


def _devops_withheld(merged: _MergedAreas) -> tuple[Fact, ...]:
    """That the areas of fewer than 5 people even together are left out, if any."""
    if not merged.withheld:
        return ()
    return (Fact("evidence.devops_withheld", {"count": merged.areas}),)


def _integration(context: _Context, binding: TargetBinding, window: _Window) -> Reading:
    links = context.data.table(context.inputs.data.order_links())
    if links is None:
        return _no_data("evidence.no_links")
    end = window.until
    months = compute_integration_share(links, until=end)
    if months.is_empty():
        return Reading(False, False, (Fact("evidence.no_linked_orders", {"date": end}),))
    threshold = binding.threshold or _DEFAULTS["integration_use"]
    through = months.filter(pl.col("integrated") > 0)
    first: list[Fact] = []
    if not through.is_empty():
        first = [Fact("evidence.integration_first", {"month": Month(through["month"][0])})]
    evidence = (
        *first,
        *(
            Fact(
                "evidence.integration_month",
                {
                    "month": Month(m),
                    "pct": Number(pct, 1),
                    "orders": n,
                    # No DevOps creation time in the month: nothing to take a median of.
                    "median_hours": Number(lag / 3600, 1) if lag is not None else "–",
                },
            )
            for m, n, _, pct, lag in months.tail(USAGE_MONTHS).iter_rows()
        ),
        *_past_data("servicenow", _last_day(links, "opened_at"), end),
    )
    reached = float(months["integrated_pct"][-1]) >= threshold
    return Reading(reached, reached, evidence)


def _last_day(frame: pl.DataFrame | None, column: str) -> dt.date | None:
    """The day of the latest ``column`` value (UTC), None without any."""
    last = None if frame is None else frame[column].max()
    if isinstance(last, dt.datetime):
        return last.astimezone(dt.UTC).date()
    return last if isinstance(last, dt.date) else None


def _past_data(source: Source, last: dt.date | None, until: dt.date) -> tuple[Fact, ...]:
    """A note when the metric looks at days after its source's stored data end: what it did
    not find there may simply not have been extracted yet."""
    if last is None or last >= until:
        return ()
    return (Fact("evidence.as_of_past_data", {"source": source, "last": last, "date": until}),)


_METRICS: dict[str, Callable[[_Context, TargetBinding, _Window], Reading]] = {
    "robot_usage": _robot_usage,
    "realised_savings": _realised,
    "handovers_per_case": _handovers,
    "devops_practice": _devops,
    "integration_use": _integration,
}


def followup_input_files(data: DataFolder, case: Path) -> tuple[Path, ...]:
    """Every file measuring and following up ``case`` reads: the case and its bindings, the
    robot runs and transactions, the hours, the order links and every staged ServiceNow and
    Azure DevOps table."""
    staged = (
        path
        for source in ("servicenow", "azure-devops")
        for path in sorted(data.staged(source).glob("*.parquet"))
    )
    return (
        case,
        binding_path_for(case),
        data.robot_transactions(),
        data.robot_runs(),
        data.hours(),
        data.order_links(),
        *staged,
    )
