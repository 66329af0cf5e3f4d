"""Realised savings of a business case, from the data KIT Flow has extracted.

Reads the business case and its binding file (models/followup.py), then the stored data, each
file where the data folder (models/datafolder.py) says it is: robot transactions, time
registration, and the staged ServiceNow tables, from which the ServiceNow extractor builds the
event logs of the work each solution takes over. The work's cases and their human handling
time are measured in mining (mining/work.py); robot service accounts are recognised by their
pseudonyms (the same key as at extraction), so human handling time leaves the robot's events
out. The arithmetic of the estimates and the realisation is the business-case engine's
(models/benefits.py, models/realisation.py).

As of a date, a measurement reads only what the data held by the end of that day (UTC, as
every stored time and every measured month): robot transactions and runs started by then, hours
registered up to it, the work's cases opened by then with the events of their log up to then.
Savings are measured on the months complete by the date, so a month is never half counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from extractors import Pseudonymiser, load_key
from extractors.servicenow import build_events
from mining import compute_case_measure, compute_human_handling, find_work_cases
from models.benefit_checks import Check, make_check
from models.benefits import (
    Baseline,
    Estimate,
    RobotCaseMinutes,
    estimate_from_handling_time,
    estimate_from_handovers,
    estimate_from_robot_runs,
    mean_baseline,
    measure_baseline,
    measure_robot_case_minutes,
    month_start,
    monthly_volume,
    outcomes,
    split_case_minutes,
)
from models.benefits_registration import (
    RegistrationIndex,
    RegistrationRate,
    estimate_from_time_registration,
    estimate_without_references,
    measure_registration_index,
)
from models.business_case import BusinessCase
from models.business_case_io import read_business_case
from models.datafolder import DataFolder, default_database_url
from models.errors import InputError
from models.followup import (
    MIN_PEOPLE,
    FollowUpBindings,
    SolutionBinding,
    WorkSelector,
    binding_path_for,
    read_bindings,
)
from models.realisation import (
    CaseRealisation,
    SolutionRealisation,
    expected_hours,
    realise_case,
    realise_solution,
)
from models.schema import CASE, TIMESTAMP
from services.benefit_checks import Evidence, measure_checks
from services.registration_inputs import (
    Registration,
    comparison_cases,
    has_references,
    loose_by_month,
    prepare_registration,
)

SERVICENOW = "servicenow"
SERVICENOW_TABLES = (
    "sc_task", "sc_req_item", "incident", "sys_audit", "sys_choice", "sys_user_group",
    "sc_cat_item",
)  # fmt: skip


@dataclass(frozen=True)
class CaseInputs:
    """A case, its bindings, and the data folder its data lies in."""

    case: BusinessCase
    bindings: FollowUpBindings
    data: DataFolder


def load_case_inputs(
    case_path: Path, data: DataFolder | Path, bindings_path: Path | None = None
) -> CaseInputs:
    """Read the case and its binding file (``<case>.followup.yaml`` unless given); ``data``
    is the data folder (or its root)."""
    path = bindings_path or binding_path_for(case_path)
    if not path.exists():
        raise InputError(
            f"No follow-up bindings for {case_path}: {path} does not exist. Write one that says "
            "where each solution shows in the data (see data/business_cases/README.md)."
        )
    case = read_business_case(case_path)
    bindings = read_bindings(path)
    known = {s.name for s in case.sub_solutions} or {case.title}
    for solution in bindings.solutions:
        if solution.name not in known:
            raise InputError(
                f"{path}: solution '{solution.name}' is not in {case_path}. Use one of: "
                f"{'; '.join(sorted(known))}."
            )
    return CaseInputs(case, bindings, _data_folder(data))


def _data_folder(data: DataFolder | Path) -> DataFolder:
    # Reading creates nothing: a root that does not exist simply holds no data yet.
    if isinstance(data, DataFolder):
        return data
    root = data.resolve()
    return DataFolder(root, default_database_url(root))


@dataclass
class StoredData:
    """The stored tables a measurement reads, loaded once and only when needed. With ``until``,
    only what was there by the end of that day (module docstring); the cuts of one StoredData
    (``cut``) share its reads."""

    data: DataFolder
    robot_accounts: tuple[str, ...]
    until: dt.date | None = None
    _read: dict[Path, pl.DataFrame | None] = field(default_factory=dict)
    _logs: dict[str, pl.DataFrame] = field(default_factory=dict)

    def cut(self, until: dt.date) -> StoredData:
        """The same data as they stood at the end of ``until``."""
        return StoredData(self.data, self.robot_accounts, until, self._read, self._logs)

    @property
    def end(self) -> dt.datetime | None:
        """The first moment after the data: midnight UTC after ``until``."""
        if self.until is None:
            return None
        return dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def table(self, path: Path) -> pl.DataFrame | None:
        """A stored table as it is stored (read once), or None when it is not there."""
        if path not in self._read:
            self._read[path] = pl.read_parquet(path) if path.exists() else None
        return self._read[path]

    @cached_property
    def transactions(self) -> pl.DataFrame | None:
        """Robot transactions, or None before any robot extraction."""
        transactions = self.table(self.data.robot_transactions())
        return None if transactions is None else self._started(transactions, "start")

    @cached_property
    def runs(self) -> pl.DataFrame | None:
        """Robot runs, or None before any robot extraction."""
        runs = self.table(self.data.robot_runs())
        return None if runs is None else self._started(runs, "start")

    @cached_property
    def hours(self) -> pl.DataFrame | None:
        """Registered hours, or None before any time-registration extraction."""
        hours = self.table(self.data.hours())
        if hours is None or self.until is None:
            return hours
        return hours.filter(pl.col("date") <= self.until)

    @cached_property
    def servicenow(self) -> dict[str, pl.DataFrame]:
        """The staged ServiceNow tables there are, as stored: each record with its latest
        fields, so the cut applies to the work's cases and the events built from them."""
        tables = {}
        for table in SERVICENOW_TABLES:
            frame = self.table(self.data.staged_table(SERVICENOW, table))
            if frame is not None:
                tables[table] = frame
        return tables

    @cached_property
    def robot_pseudonyms(self) -> list[str]:
        """The robot accounts as they appear in the extracted data (no key is read when the
        case names no robot account)."""
        if not self.robot_accounts:
            return []
        pseudonym = Pseudonymiser(load_key(data_dir=self.data.root, create=False))
        return [p for p in (pseudonym(a) for a in self.robot_accounts) if p]

    def events(self, table: str) -> pl.DataFrame:
        """The event log of a ServiceNow task table, built from the staged tables (once for
        every cut), its events up to the end of the data."""
        if table not in self._logs:
            self._logs[table] = build_events(self.servicenow, table=table).staged
        return self._started(self._logs[table], TIMESTAMP)

    def has_work(self, selector: WorkSelector) -> bool:
        """Whether the staged tables the selector needs are there."""
        needed = {selector.table, "sys_audit"}
        if selector.table == "sc_req_item":
            needed |= {"sc_task", "sc_cat_item"}
        return needed <= self.servicenow.keys()

    def work_cases(self, selector: WorkSelector) -> pl.DataFrame:
        """The cases of the work opened by the end of the data (``mining.find_work_cases``)."""
        return self._started(find_work_cases(self.servicenow, selector=selector), "opened")

    def work_events(self, selector: WorkSelector) -> pl.DataFrame:
        """The events of the work's cases in the log of its table (orders or incidents)."""
        cases = self.work_cases(selector)
        return self.events(selector.table).filter(pl.col(CASE).is_in(cases[CASE].implode()))

    def _started(self, frame: pl.DataFrame, column: str) -> pl.DataFrame:
        """The rows whose ``column`` lies before the end of the data."""
        if self.end is None:
            return frame
        return frame.filter(pl.col(column) < self.end)


def last_complete_month(day: dt.date) -> dt.date:
    """The last day of the last calendar month complete at the end of ``day``."""
    if (day + dt.timedelta(days=1)).day == 1:
        return day
    return day.replace(day=1) - dt.timedelta(days=1)


def handled_cases(data: StoredData, selector: WorkSelector) -> pl.DataFrame:
    """Per case of the work: reference, opened, reached_end, human_minutes
    (``mining.compute_human_handling``), on the log of the table a person handles: the
    catalog tasks of orders, or the incidents."""
    assert selector.start is not None and selector.end is not None
    table = "sc_task" if selector.table == "sc_req_item" else "incident"
    return compute_human_handling(
        data.events(table), data.work_cases(selector), start=selector.start,
        end=selector.end, robot_resources=data.robot_pseudonyms,
    )  # fmt: skip


@dataclass(frozen=True)
class SolutionMeasurement:
    """Every estimate the data allow for one solution, and the checks of what can fool them."""

    estimates: tuple[Estimate, ...]
    checks: tuple[Check, ...]


def measure_solution(
    data: StoredData, solution: SolutionBinding, *, catch_all: tuple[str, ...] = ()
) -> SolutionMeasurement:
    """Every estimate the data allow for one solution, with its checks."""
    selector = solution.work
    has_work = selector is not None and data.has_work(selector)
    mined = selector is not None and selector.start is not None and has_work
    work = handled_cases(data, selector) if mined and selector else None
    transactions = _transactions(data, solution)
    opened = data.work_cases(selector).select("reference", "opened") if has_work and selector \
        else None  # fmt: skip
    registration = _registration(data, solution, catch_all, opened, transactions)
    index = _index(data, solution, catch_all)
    registered = _from_registration(registration, solution, index)
    rate = registered[1] if registered else None
    baseline = _baseline(solution, work, registration, rate)
    few = _few_people(registration, solution)
    if few is not None:
        # The 5-person rule: hours of fewer people are not shown, nor what they reveal.
        registered, registration, rate = None, None, rate if solution.handovers else None
    robot_minutes = _robot_minutes(solution, work, registration, transactions)
    estimates: list[Estimate] = []
    if transactions is not None and baseline is not None:
        estimates.append(
            estimate_from_robot_runs(
                transactions, go_live=solution.go_live, baseline=baseline,
                robot_minutes=robot_minutes,
            )
        )  # fmt: skip
    if registered is not None:
        estimates.append(registered[0])
    elif registration is None and few is None and solution.time_activity and data.hours is not None:
        loose = estimate_without_references(
            loose_by_month(data.hours, solution.time_activity), go_live=solution.go_live
        )
        estimates.extend([loose] if loose is not None else [])
    handovers = False
    if work is not None and baseline is not None:
        estimates.append(
            estimate_from_handling_time(work, go_live=solution.go_live, baseline=baseline)
        )
    elif solution.handovers and has_work and selector is not None and rate is not None:
        estimate = _from_handovers(data, solution, selector, rate)
        handovers = estimate is not None
        estimates.extend([estimate] if estimate is not None else [])
    volume = monthly_volume(opened["opened"]) if opened is not None else None
    evidence = Evidence(
        solution.go_live, baseline, work is not None, robot_minutes, registration, rate, index,
        volume, transactions, tuple(estimates), handovers,
    )  # fmt: skip
    checks = measure_checks(evidence) + ((few,) if few is not None else ())
    return SolutionMeasurement(tuple(estimates), checks)


def _few_people(registration: Registration | None, solution: SolutionBinding) -> Check | None:
    """A check withholding the time-registration estimate when fewer than MIN_PEOPLE people
    registered the work in a year from go-live on; None when the rule lets it be shown."""
    if registration is None or not registration.people_by_year:
        return None
    fewest = registration.fewest_people(solution.go_live.year)
    if fewest >= MIN_PEOPLE:
        return None
    return make_check("few_people", corrected=False, values={"limit": float(MIN_PEOPLE)})


def _registration(
    data: StoredData,
    solution: SolutionBinding,
    catch_all: tuple[str, ...],
    opened: pl.DataFrame | None,
    transactions: pl.DataFrame | None,
) -> Registration | None:
    if solution.time_activity is None or data.hours is None:
        return None
    found = prepare_registration(
        data.hours, activity=solution.time_activity, catch_all=catch_all, opened=opened,
        transactions=transactions,
    )  # fmt: skip
    return found if found is not None and has_references(found) else None


def _index(
    data: StoredData, solution: SolutionBinding, catch_all: tuple[str, ...]
) -> RegistrationIndex | None:
    """The comparison process's index, when the binding names one and the data hold it."""
    comparison = solution.comparison
    if comparison is None or data.hours is None:
        return None
    selector = comparison.work
    opened = (
        data.work_cases(selector).select("reference", "opened")
        if selector is not None and data.has_work(selector)
        else None
    )
    cases = comparison_cases(data.hours, comparison, catch_all=catch_all, opened=opened)
    if cases is None:
        return None
    return measure_registration_index(comparison.time_activity, cases, go_live=solution.go_live)


def _from_registration(
    registration: Registration | None, solution: SolutionBinding, index: RegistrationIndex | None
) -> tuple[Estimate, RegistrationRate] | None:
    if registration is None:
        return None
    return estimate_from_time_registration(
        registration.cases, go_live=solution.go_live, loose=registration.loose, index=index
    )


def _baseline(
    solution: SolutionBinding,
    work: pl.DataFrame | None,
    registration: Registration | None,
    rate: RegistrationRate | None,
) -> Baseline | None:
    """The manual minutes of a case: mined, else registered per case reference before go-live,
    else from the binding."""
    measured = measure_baseline(work, go_live=solution.go_live) if work is not None else None
    if measured is not None:
        return measured
    if registration is not None and rate is not None:
        before = registration.cases.filter(
            (pl.col("month") < solution.go_live.date()) & (pl.col("hours") > 0)
        )
        found = mean_baseline(before["hours"] * 60, "registered per case reference before go-live")
        if found is not None:
            return found
    if solution.manual_minutes is not None:
        return Baseline.fixed(solution.manual_minutes, "from the follow-up binding")
    return None


def _robot_minutes(
    solution: SolutionBinding,
    work: pl.DataFrame | None,
    registration: Registration | None,
    transactions: pl.DataFrame | None,
) -> RobotCaseMinutes:
    """What the robot's cases still cost: mined, else registered on their references, else
    the binding's residual minutes (exceptions then count as manual cases)."""
    fixed = RobotCaseMinutes(
        Baseline.fixed(solution.residual_minutes or 0.0, "from the follow-up binding"), None
    )
    if transactions is None:
        return fixed
    if work is not None:
        found = measure_robot_case_minutes(work, transactions, go_live=solution.go_live)
    elif registration is not None:
        found = registered_robot_minutes(registration, transactions)
    else:
        return fixed
    if solution.residual_minutes is not None:
        return RobotCaseMinutes(fixed.residual, found.exception)
    return found


def registered_robot_minutes(
    registration: Registration, transactions: pl.DataFrame
) -> RobotCaseMinutes:
    """Registered minutes on the robot's cases: a successful case's registered minutes
    (0 when nothing is registered: the robot did it), and an exception's over the exceptions
    somebody registered (an exception nobody registered is an unregistered case, not free)."""
    found = outcomes(transactions)
    minutes = (
        registration.hours_of(found["reference"])
        .join(found, on="reference")
        .with_columns((pl.col("hours") * 60).alias("minutes"))
        .filter(pl.col("succeeded") | (pl.col("minutes") > 0))
    )
    return split_case_minutes(minutes, "registered on the robot's cases")


def _transactions(data: StoredData, solution: SolutionBinding) -> pl.DataFrame | None:
    if solution.robot_process is None or data.transactions is None:
        return None
    found = data.transactions.filter(pl.col("process_name") == solution.robot_process)
    return None if found.is_empty() else found


def _from_handovers(
    data: StoredData,
    solution: SolutionBinding,
    selector: WorkSelector,
    rate: RegistrationRate,
) -> Estimate | None:
    """Coordination saved through fewer handovers between service areas on the orders: a
    handover is priced at the registered hours of a registered case before go-live over the
    handovers of a case then."""
    handovers = compute_case_measure(data.work_events(selector), measure="handovers")
    return estimate_from_handovers(
        handovers, go_live=solution.go_live,
        hours_per_case_before=rate.minutes_per_registered_case / 60,
    )  # fmt: skip


def measure_case(
    inputs: CaseInputs, *, data: StoredData | None = None, until: dt.date | None = None
) -> CaseRealisation:
    """Every bound solution measured and compared with the case; with ``until``, on the months
    complete by then."""
    data = data or StoredData(inputs.data, inputs.bindings.robot_accounts)
    if until is not None:
        data = data.cut(last_complete_month(until))
    expected = expected_hours(inputs.case)
    solutions: list[SolutionRealisation] = []
    for solution in inputs.bindings.solutions:
        measured = measure_solution(data, solution, catch_all=inputs.bindings.catch_all_activities)
        solutions.append(
            realise_solution(
                solution.name, go_live=solution.go_live, estimates=measured.estimates,
                expected=expected[solution.name], checks=measured.checks,
            )
        )  # fmt: skip
    moved = _moved_hours(data, inputs.bindings)
    return realise_case(inputs.case, solutions, moved)


def _moved_hours(data: StoredData, bindings: FollowUpBindings) -> dict[int, float] | None:
    """Hours per year on the activities freed time moves to, above their mean month before the
    first go-live (a capacity saving that does not lower the budget); None when the binding
    names none or the data hold no time registration."""
    hours = data.hours
    if not bindings.freed_time_activities or hours is None or hours.is_empty():
        return None
    first = month_start(min(s.go_live for s in bindings.solutions))
    monthly = (
        hours.filter(pl.col("activity").is_in(list(bindings.freed_time_activities)))
        .group_by(pl.col("date").dt.truncate("1mo").alias("month"), maintain_order=True)
        .agg(pl.col("hours").sum())
    )
    months = month_range(hours["date"].min(), hours["date"].max())  # type: ignore[arg-type]
    by_month = dict(monthly.iter_rows())
    before = [by_month.get(m, 0.0) for m in months if m < first]
    level = sum(before) / len(before) if before else 0.0
    moved: dict[int, float] = {}
    for month in (m for m in months if m >= first):
        moved[month.year] = moved.get(month.year, 0.0) + by_month.get(month, 0.0) - level
    return moved


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of every month from ``first``'s to ``last``'s."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months
