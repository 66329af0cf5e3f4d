"""Realised savings and follow-up of a business case, from the data KIT Flow has extracted.

Reads the business case and its binding file (models/followup.py), then the stored data:
robot transactions (``03_primary/robots/transactions.parquet``), time registration
(``03_primary/time-registration/hours.parquet``), and the staged ServiceNow tables
(``02_intermediate/servicenow``) from which it builds the event logs of the work each
solution takes over. Robot service accounts are recognised by their pseudonyms (the same key
as at extraction), so human handling time leaves the robot's events out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from extractors.pseudonym import Pseudonymiser, load_key
from extractors.servicenow.mapping import build_events
from mining import compute_case_measure, compute_time_between
from models.benefits import (
    Baseline,
    Estimate,
    estimate_from_handling_time,
    estimate_from_handovers,
    estimate_from_robot_runs,
    estimate_from_time_registration,
    measure_baseline,
    measure_residual,
    monthly_volume,
)
from models.business_case import BusinessCase
from models.business_case_io import read_business_case
from models.errors import InputError
from models.followup import (
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
from models.schema import ACTIVITY, CASE, RESOURCE
from models.store import PRIMARY
from services.ingestion.servicenow import intermediate_folder

TRANSACTIONS = Path(PRIMARY) / "robots" / "transactions.parquet"
HOURS = Path(PRIMARY) / "time-registration" / "hours.parquet"
SERVICENOW_TABLES = (
    "sc_task", "sc_req_item", "incident", "sys_audit", "sys_choice", "sys_user_group",
    "sc_cat_item",
)  # fmt: skip


@dataclass(frozen=True)
class CaseInputs:
    """A case, its bindings, and where its data lies."""

    case: BusinessCase
    bindings: FollowUpBindings
    data_dir: Path


def load_case_inputs(
    case_path: Path, data_dir: Path, bindings_path: Path | None = None
) -> CaseInputs:
    """Read the case and its binding file (``<case>.followup.yaml`` unless given)."""
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
    return CaseInputs(case, bindings, data_dir)


@dataclass
class StoredData:
    """The stored tables a measurement reads, loaded once and only when needed."""

    data_dir: Path
    robot_accounts: tuple[str, ...]
    _events: dict[str, pl.DataFrame] = field(default_factory=dict)

    @cached_property
    def transactions(self) -> pl.DataFrame | None:
        """Robot transactions, or None before any robot extraction."""
        path = self.data_dir / TRANSACTIONS
        return pl.read_parquet(path) if path.exists() else None

    @cached_property
    def hours(self) -> pl.DataFrame | None:
        """Registered hours, or None before any time-registration extraction."""
        path = self.data_dir / HOURS
        return pl.read_parquet(path) if path.exists() else None

    @cached_property
    def servicenow(self) -> dict[str, pl.DataFrame]:
        """The staged ServiceNow tables there are."""
        folder = intermediate_folder(self.data_dir, "servicenow")
        tables = {}
        for table in SERVICENOW_TABLES:
            path = folder / f"{table}.parquet"
            if path.exists():
                tables[table] = pl.read_parquet(path)
        return tables

    @cached_property
    def robot_pseudonyms(self) -> list[str]:
        """The robot accounts as they appear in the extracted data."""
        pseudonym = Pseudonymiser(load_key(data_dir=self.data_dir))
        return [p for p in (pseudonym(a) for a in self.robot_accounts) if p]

    def events(self, table: str) -> pl.DataFrame:
        """The event log of a ServiceNow task table, built from the staged tables."""
        if table not in self._events:
            self._events[table] = build_events(self.servicenow, table=table).staged
        return self._events[table]

    def has_work(self, selector: WorkSelector) -> bool:
        """Whether the staged tables the selector needs are there."""
        needed = {selector.table, "sys_audit"}
        if selector.table == "sc_req_item":
            needed |= {"sc_task", "sc_cat_item"}
        return needed <= self.servicenow.keys()


def select_cases(data: StoredData, selector: WorkSelector) -> pl.DataFrame:
    """The cases of the work: ``case_id`` (event-log case), ``reference`` (order or incident
    number, as robots and time registration cite it), ``opened``."""
    tables = data.servicenow
    if selector.table == "incident":
        return tables["incident"].filter(pl.col("category") == selector.category).select(
            pl.col("number").alias(CASE), pl.col("number").alias("reference"),
            pl.col("opened_at").alias("opened"),
        )  # fmt: skip
    items = tables["sc_cat_item"].filter(pl.col("name").is_in(list(selector.catalog_items)))
    orders = tables["sc_req_item"].filter(pl.col("cat_item").is_in(items["sys_id"].implode()))
    if selector.start is None:
        return orders.select(
            pl.col("number").alias(CASE), pl.col("number").alias("reference"),
            pl.col("opened_at").alias("opened"),
        )  # fmt: skip
    return (
        tables["sc_task"]
        .join(orders.select("sys_id", pl.col("number").alias("reference")),
              left_on="request_item", right_on="sys_id")
        .select(pl.col("number").alias(CASE), "reference", pl.col("opened_at").alias("opened"))
    )  # fmt: skip


def work_cases(data: StoredData, selector: WorkSelector) -> pl.DataFrame:
    """Per case of the work: reference, opened, reached_end, human_minutes (0 when no person
    handled it, e.g. a robot did)."""
    assert selector.start is not None and selector.end is not None
    cases = select_cases(data, selector)
    table = "sc_task" if selector.table == "sc_req_item" else "incident"
    events = data.events(table).filter(pl.col(CASE).is_in(cases[CASE].implode()))
    reached = events.group_by(CASE).agg(
        (pl.col(ACTIVITY) == selector.end).any().alias("reached_end")
    )
    human = events.filter(~pl.col(RESOURCE).is_in(data.robot_pseudonyms))
    handled = compute_time_between(human, source=selector.start, target=selector.end).select(
        CASE, (pl.col("duration_s") / 60).alias("human_minutes")
    )
    return (
        cases.join(reached, on=CASE, how="left")
        .join(handled, on=CASE, how="left")
        .with_columns(
            pl.col("reached_end").fill_null(False), pl.col("human_minutes").fill_null(0.0)
        )
    )


def measure_solution(data: StoredData, solution: SolutionBinding) -> list[Estimate]:
    """Every estimate the data allows for one solution."""
    selector = solution.work
    has_work = selector is not None and data.has_work(selector)
    mined = selector is not None and selector.start is not None and has_work
    work = work_cases(data, selector) if mined and selector else None
    baseline = _baseline(solution, work)
    transactions = _transactions(data, solution)
    estimates: list[Estimate] = []
    if transactions is not None and baseline is not None:
        residual, exception = (
            measure_residual(work, transactions, go_live=solution.go_live)
            if work is not None
            else (0.0, baseline.minutes)
        )
        if solution.residual_minutes is not None:
            residual = solution.residual_minutes
        estimates.append(
            estimate_from_robot_runs(
                transactions, go_live=solution.go_live, baseline=baseline,
                residual_minutes=residual,
                exception_extra_minutes=max(exception - baseline.minutes, 0.0),
            )
        )  # fmt: skip
    volume = _volume(data, solution, transactions, has_work)
    registered = _registered(data, solution)
    if registered is not None and volume is not None:
        estimate = estimate_from_time_registration(registered, volume, go_live=solution.go_live)
        if estimate is not None:
            estimates.append(estimate)
    if work is not None and baseline is not None:
        estimates.append(
            estimate_from_handling_time(work, go_live=solution.go_live, baseline=baseline)
        )
    elif solution.handovers and has_work and selector is not None:
        estimate = _from_handovers(data, solution, selector, registered)
        if estimate is not None:
            estimates.append(estimate)
    return estimates


def _baseline(solution: SolutionBinding, work: pl.DataFrame | None) -> Baseline | None:
    measured = measure_baseline(work, go_live=solution.go_live) if work is not None else None
    if measured is not None:
        return measured
    if solution.manual_minutes is not None:
        return Baseline.fixed(solution.manual_minutes, "from the follow-up binding")
    return None


def _transactions(data: StoredData, solution: SolutionBinding) -> pl.DataFrame | None:
    if solution.robot_process is None or data.transactions is None:
        return None
    return data.transactions.filter(pl.col("process_name") == solution.robot_process)


def _registered(data: StoredData, solution: SolutionBinding) -> pl.DataFrame | None:
    if solution.time_activity is None or data.hours is None:
        return None
    return data.hours.filter(pl.col("activity") == solution.time_activity)


def _volume(
    data: StoredData,
    solution: SolutionBinding,
    transactions: pl.DataFrame | None,
    has_work: bool,
) -> pl.DataFrame | None:
    """Cases per month: the ServiceNow work where it is there, else robot transactions."""
    if has_work and solution.work is not None:
        return monthly_volume(select_cases(data, solution.work)["opened"])
    if transactions is not None:
        return monthly_volume(transactions["start"])
    return None


def _from_handovers(
    data: StoredData,
    solution: SolutionBinding,
    selector: WorkSelector,
    registered: pl.DataFrame | None,
) -> Estimate | None:
    """Coordination saved through fewer handovers between service areas on the orders."""
    if registered is None:
        return None
    cases = select_cases(data, selector)
    events = data.events(selector.table).filter(pl.col(CASE).is_in(cases[CASE].implode()))
    handovers = compute_case_measure(events, measure="handovers")
    before = registered.filter(pl.col("date") < solution.go_live.date())
    references = before["case_reference"].drop_nulls().n_unique()
    if references == 0:
        return None
    per_case = float(before["hours"].sum()) / references
    return estimate_from_handovers(
        handovers, go_live=solution.go_live, hours_per_case_before=per_case
    )


def measure_case(inputs: CaseInputs, *, data: StoredData | None = None) -> CaseRealisation:
    """Every bound solution measured and compared with the case."""
    data = data or StoredData(inputs.data_dir, inputs.bindings.robot_accounts)
    expected = expected_hours(inputs.case)
    solutions: list[SolutionRealisation] = []
    for solution in inputs.bindings.solutions:
        estimates = measure_solution(data, solution)
        solutions.append(
            realise_solution(
                solution.name, go_live=solution.go_live, estimates=estimates,
                expected=expected[solution.name],
            )
        )  # fmt: skip
    return realise_case(inputs.case, solutions)
