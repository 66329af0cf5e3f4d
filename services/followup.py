"""Follow-up targets of a business case: each bound row's metric read from the stored data,
and its status as of a date (rules in models/followup.py).

Metrics:
- ``robot_usage``: the solution's robot is used: transactions in each of the
  ``USAGE_MONTHS`` months up to the deadline (or up to the as-of date before it); the
  evidence gives transactions and the number of distinct users per month (a count only).
- ``realised_savings``: the primary estimate's hours in the deadline's year reach
  ``threshold`` % (default 90) of the hours the case expects; before the year is complete,
  on track when measured plus the run rate for the months left reaches it.
- ``handovers_per_case``: handovers between service areas per case fell after go-live, with
  a permutation p-value below ``threshold`` (default 0.05).
- ``devops_practice``: in every service area at most ``threshold`` % (default 10) of the
  Features and Stories break a SAFe rule (Feature without an Epic parent, closed without ever
  being Active, iteration at the project root), read from the staged Azure DevOps tables
  (``mining.compute_devops_rule_rates``).
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractors.azure_devops import SOURCE as AZURE_DEVOPS
from mining import compare_periods, compute_devops_rule_rates, compute_integration_share
from models.benefits import METHODS
from models.business_case import FollowUpTarget
from models.datafolder import DataFolder
from models.followup import (
    Fact,
    FactValue,
    Number,
    Reading,
    SolutionBinding,
    TargetBinding,
    TargetStatus,
    binding_path_for,
    decide_status,
    parse_deadline,
)
from models.realisation import CaseRealisation, SolutionRealisation
from services.benefits import CaseInputs, StoredData, measure_case

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
    """The realisation of the case and the status of each of its follow-up rows."""

    realisation: CaseRealisation
    targets: tuple[TargetStatus, ...]
    as_of: dt.date


@dataclass(frozen=True)
class _Context:
    inputs: CaseInputs
    data: StoredData
    realisation: CaseRealisation
    as_of: dt.date


def evaluate_followup(inputs: CaseInputs, *, as_of: dt.date) -> FollowUpReport:
    """Measure the case and read every follow-up row's metric."""
    data = StoredData(inputs.data, inputs.bindings.robot_accounts)
    realisation = measure_case(inputs, data=data)
    context = _Context(inputs, data, realisation, as_of)
    statuses = tuple(
        _status(context, number, row)
        for number, row in enumerate(inputs.case.follow_up_targets, start=1)
    )
    return FollowUpReport(realisation, statuses, as_of)


def _status(context: _Context, number: int, row: FollowUpTarget) -> TargetStatus:
    """A row's status: with several metrics bound, every one must be reached."""
    bound = [t for t in context.inputs.bindings.targets if t.follow_up == number]
    deadline = next((t.deadline for t in bound if t.deadline), None) or parse_deadline(row.deadline)
    if not bound:
        file = context.inputs.bindings.path.name
        reading = _no_data("evidence.unbound", number=number, file=file)
    else:
        reading = _combine([_METRICS[t.metric](context, t, deadline) for t in bound])
    metrics = ", ".join(t.metric for t in bound) or None
    solution = next((t.solution for t in bound if t.solution), None)
    return TargetStatus(
        number, row.target, row.measure, row.responsible, row.deadline, deadline, metrics,
        solution, decide_status(reading, deadline=deadline, as_of=context.as_of),
        reading.evidence,
    )  # fmt: skip


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


def _window_end(context: _Context, deadline: dt.date | None) -> dt.date:
    return min(deadline, context.as_of) if deadline else context.as_of


def _robot_usage(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> Reading:
    solution = _solution(context, binding)
    transactions = context.data.transactions
    if transactions is None or solution.robot_process is None:
        return _no_data("evidence.no_robot_data")
    end = _window_end(context, deadline)
    mine = transactions.filter(
        (pl.col("process_name") == solution.robot_process) & (pl.col("start").dt.date() <= end)
    )
    if mine.is_empty():
        fact = Fact("evidence.no_transactions", {"process": solution.robot_process, "date": end})
        return Reading(False, False, (fact,))
    months = _usage_by_month(context, solution.robot_process, mine).tail(USAGE_MONTHS)
    last = dt.date(end.year, end.month, 1)
    expected = _months_back(last, USAGE_MONTHS)
    used = [m for m in months["month"].to_list() if m in expected]
    first = mine["start"].min()
    assert isinstance(first, dt.datetime)
    evidence = (
        Fact("evidence.first_use", {"process": solution.robot_process, "month": f"{first:%Y-%m}"}),
        *(
            Fact("evidence.usage_month", {"month": f"{m:%Y-%m}", "transactions": t, "users": u})
            for m, t, u in months.iter_rows()
        ),
    )
    return Reading(len(used) == USAGE_MONTHS, last in used, evidence)


def _usage_by_month(context: _Context, process: str, mine: pl.DataFrame) -> pl.DataFrame:
    """Transactions and distinct users (from the runs, a count only) per month."""
    by_month = mine.group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month")).agg(
        pl.len().alias("transactions")
    )
    runs_path = context.inputs.data.robot_runs()
    users = pl.DataFrame(schema={"month": pl.Date, "users": pl.UInt32})
    if runs_path.exists():
        users = (
            pl.read_parquet(runs_path)
            .filter(pl.col("process_name") == process)
            .group_by(pl.col("start").dt.truncate("1mo").dt.date().alias("month"))
            .agg(pl.col("robot_user").n_unique().alias("users"))
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


def _realised(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> Reading:
    solution = _solution(context, binding)
    found = next(s for s in context.realisation.solutions if s.name == solution.name)
    if found.primary is None or found.last_month is None:
        return _no_data("evidence.no_savings_data")
    year = (deadline or context.as_of).year
    row = next((y for y in found.years if y.year == year), None)
    if row is None or row.primary_hours is None or row.expected_hours <= 0:
        return _no_data("evidence.no_expected", year=str(year))
    threshold = binding.threshold or _DEFAULTS["realised_savings"]
    complete = found.last_month >= dt.date(year, 12, 1)
    forecast = row.primary_hours + _left_at_run_rate(found, year)
    pct = row.primary_hours / row.expected_hours * 100
    measured = Fact(
        "evidence.savings",
        {
            "year": str(year), "measured": Number(row.primary_hours), "method": found.primary,
            "expected": Number(row.expected_hours), "pct": Number(pct),
            "threshold": Number(threshold),
        },
    )  # fmt: skip
    evidence = (measured,) if complete else (measured, Fact(
        "evidence.savings_forecast", {"forecast": Number(forecast)}
    ))  # fmt: skip
    reached = complete and pct >= threshold
    return Reading(reached, forecast / row.expected_hours * 100 >= threshold, evidence)


def _left_at_run_rate(found: SolutionRealisation, year: int) -> float:
    if found.run_rate_hours_per_month is None or found.last_month is None:
        return 0.0
    if found.last_month.year > year:
        return 0.0
    left = 12 if found.last_month.year < year else 12 - found.last_month.month
    return found.run_rate_hours_per_month * left


def _handovers(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> Reading:
    solution = _solution(context, binding)
    selector = solution.work
    if selector is None or not context.data.has_work(selector):
        return _no_data("evidence.no_orders")
    events = context.data.work_events(selector)
    result = compare_periods(events, at=solution.go_live, measure="handovers")
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
    return Reading(fell, result.difference < 0, (fact,))


def _devops(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> Reading:
    paths = [context.inputs.data.staged_table(AZURE_DEVOPS, table) for table in DEVOPS_TABLES]
    if not all(path.exists() for path in paths):
        return _no_data("evidence.no_devops")
    workitems, revisions = (pl.read_parquet(path) for path in paths)
    rates = compute_devops_rule_rates(workitems, revisions)
    threshold = binding.threshold or _DEFAULTS["devops_practice"]
    above = rates.filter(pl.col("breaking_pct") > threshold)
    evidence = tuple(
        Fact("evidence.devops_area", {"area": area, "pct": Number(pct, 1), "items": items})
        for area, items, pct in rates.select("service_area", "items", "breaking_pct").iter_rows()
    )
    return Reading(above.is_empty(), above.is_empty(), evidence)


def _integration(context: _Context, binding: TargetBinding, deadline: dt.date | None) -> Reading:
    path = context.inputs.data.order_links()
    if not path.exists():
        return _no_data("evidence.no_links")
    end = _window_end(context, deadline)
    months = compute_integration_share(pl.read_parquet(path), until=end)
    if months.is_empty():
        return Reading(False, False, (Fact("evidence.no_linked_orders", {"date": end}),))
    threshold = binding.threshold or _DEFAULTS["integration_use"]
    through = months.filter(pl.col("integrated") > 0)
    first: list[Fact] = []
    if not through.is_empty():
        first = [Fact("evidence.integration_first", {"month": f"{through['month'][0]:%Y-%m}"})]
    evidence = (
        *first,
        *(
            Fact(
                "evidence.integration_month",
                {
                    "month": f"{m:%Y-%m}",
                    "pct": Number(pct, 1),
                    "orders": n,
                    # No DevOps creation time in the month: nothing to take a median of.
                    "median_hours": Number(lag / 3600, 1) if lag is not None else "–",
                },
            )
            for m, n, _, pct, lag in months.tail(USAGE_MONTHS).iter_rows()
        ),
    )
    reached = float(months["integrated_pct"][-1]) >= threshold
    return Reading(reached, reached, evidence)


_METRICS: dict[str, Callable[[_Context, TargetBinding, dt.date | None], Reading]] = {
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
