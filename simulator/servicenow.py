"""ServiceNow as KIT's instance would hold it: records, sys_audit, task_sla and reference tables.

Every value is a string (value mode, ``sysparm_display_value=false``), references are sys_ids,
times are UTC 'YYYY-MM-DD HH:MM:SS'. Builders plan case paths with numpy and let the case engine
derive the records and the audit rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.cases import (
    CasePlan,
    Settled,
    audit_rows,
    current_column,
    first_time,
    gather,
    settle,
    settled_chunks,
    updated_by,
    updated_on,
)
from simulator.confounders import human_minutes, robot_takes
from simulator.context import Context, Transactions
from simulator.effects import (
    AUTOMATIONS,
    COMPARISON,
    Automation,
    Bottleneck,
    Integration,
    Volumes,
)
from simulator.ids import (
    IntArray,
    StrArray,
    format_servicenow_duration,
    format_servicenow_time,
    make_sys_ids,
)
from simulator.world import (
    AREA_INDEX,
    DAY_S,
    HOUR_S,
    SERVICE_AREAS,
    People,
    next_work_time,
)

NUMBER_START = 10_001
NEVER = np.iinfo(np.int64).max // 2  # a planned time after any cut-off
CHUNK_CASES = 50_000  # cases whose records and audit rows are built at a time

INCIDENT_CATEGORIES = {
    "software": "Fejl i fagsystem",
    "hardware": "Defekt udstyr",
    "netvaerk": "Ingen forbindelse til netværk",
    "foresporgsel": "Spørgsmål til løsning",
    "sikkerhed": "Mistænkelig e-mail",
}
HANDOVER_AREAS = ("DI", "APP", "SIK", "DU", "FU")
HANDOVER_WEIGHTS = (0.35, 0.3, 0.1, 0.15, 0.1)
SLA_TARGET_H = {"2": 8, "3": 24, "4": 72}


def catalog_items(*, with_comparison: bool = False) -> list[str]:
    """All sc_cat_item names, in a fixed order (their index is their sys_id sequence).

    The comparison item (confounded scenario only) comes last so the others keep their sys_ids.
    """
    names = [
        name
        for auto in AUTOMATIONS
        if auto.source_table == "sc_req_item"
        for name in auto.catalog_items
    ]
    extra = list(COMPARISON.catalog_items) if with_comparison else []
    return [*names, Integration().catalog_item, *extra]


def _catalog_ids(ctx: Context, names: StrArray) -> StrArray:
    """sys_ids of catalog items by name, vectorised."""
    known = np.array(catalog_items(with_comparison=True))
    ids = make_sys_ids(ctx.world.seed, "sc_cat_item", np.arange(len(known), dtype=np.int64))
    order = np.argsort(known)
    return ids[order[np.searchsorted(known[order], names)]]


def pick_members(rng: np.random.Generator, people: People, areas: IntArray) -> IntArray:
    """One random employee of each given service area."""
    out = np.zeros(len(areas), dtype=np.int64)
    for a in range(len(SERVICE_AREAS)):
        mask = areas == a
        if mask.any():
            out[mask] = rng.choice(np.flatnonzero(people.area == a), int(mask.sum()))
    return out


def _plan(table: str, sys_id: StrArray, k: int) -> CasePlan:
    """An empty plan of k steps for the given records."""
    n = len(sys_id)
    return CasePlan(
        table=table,
        sys_id=sys_id,
        times=np.zeros((n, k), dtype=np.int64),
        actor=np.zeros((n, k), dtype=np.int64),
        valid=np.ones((n, k), dtype=bool),
    )


def task_record(
    ctx: Context, settled: Settled, number: StrArray, opened_by: IntArray
) -> dict[str, object]:
    """The columns every task-derived record shares."""
    people = ctx.world.people
    plan = settled.plan
    n = plan.n
    users = people.user_name
    return {
        "sys_id": plan.sys_id,
        "number": number,
        "state": current_column(settled, "state"),
        "assignment_group": current_column(settled, "assignment_group"),
        "assigned_to": current_column(settled, "assigned_to")
        if "assigned_to" in plan.fields
        else pl.repeat("", n, eager=True),
        "opened_at": format_servicenow_time(plan.times[:, 0]),
        "opened_by": gather(people.sys_id, opened_by),
        "sys_class_name": pl.repeat(plan.table, n, eager=True),
        "sys_created_on": format_servicenow_time(plan.times[:, 0]),
        "sys_created_by": gather(users, opened_by),
        "sys_updated_on": format_servicenow_time(updated_on(settled)),
        "sys_updated_by": gather(users, updated_by(settled)),
        "sys_mod_count": pl.Series(settled.mod_count).cast(pl.String),
    }


def emit(
    ctx: Context, settled: Settled, columns: dict[str, object], first: dict[str, int] | None = None
) -> None:
    """Spill a table's records and their audit rows (numbered from ``first``, see audit_rows)."""
    ctx.spill.add(settled.plan.table, pl.DataFrame(columns))
    people = ctx.world.people
    ctx.spill.add("sys_audit", audit_rows(settled, people.user_name, ctx.audit_seq, first))


# -- incidents -----------------------------------------------------------------------------------


def build_incidents(ctx: Context, opened: IntArray, seq: IntArray) -> None:
    """General incidents: Servicedesk takes them, some are handed over to another area."""
    rng = ctx.rng(1)
    people = ctx.world.people
    n = len(opened)
    plan = _plan("incident", make_sys_ids(ctx.world.seed, "incident", seq), 7)
    agent = rng.choice(people.members("SD"), n)
    caller = rng.choice(people.customers(), n)
    self_service = rng.random(n) < 0.6
    hand = rng.random(n) < Volumes().incident_handover_rate
    codes = np.array([AREA_INDEX[c] for c in HANDOVER_AREAS])
    target = rng.choice(codes, n, p=np.array(HANDOVER_WEIGHTS))
    person = pick_members(rng, people, target)
    resolver = np.where(hand, person, agent)
    t = plan.times
    t[:, 0] = opened
    t[:, 1] = next_work_time(opened + rng.integers(300, 4 * HOUR_S, n), rng)
    t[:, 2] = t[:, 1] + rng.integers(60, 1800, n)
    t[:, 3] = t[:, 2] + rng.integers(1800, DAY_S, n)
    t[:, 4] = next_work_time(t[:, 3] + rng.integers(600, 6 * HOUR_S, n), rng)
    handling = np.clip(rng.lognormal(np.log(2 * HOUR_S), 1.0, n), 600, 5 * DAY_S).astype(np.int64)
    t[:, 5] = np.where(hand, t[:, 4], t[:, 2]) + handling
    t[:, 6] = t[:, 5] + 3 * DAY_S
    plan.valid[:, 3] = hand
    plan.valid[:, 4] = hand
    opener = np.where(self_service, caller, agent)
    system = people.account("system")
    plan.actor[:] = np.stack(
        [opener, agent, agent, agent, person, resolver, np.full(n, system)], axis=1
    )
    _incident_fields(ctx, plan, agent, target, person)
    number = np.char.add("INC", _digits(seq))
    category = rng.choice(np.array(list(INCIDENT_CATEGORIES)), n)
    priority = rng.choice(np.array(["2", "3", "4"]), n, p=np.array([0.1, 0.6, 0.3]))
    contact = np.where(self_service, "self-service", "phone")
    values = IncidentValues(number, opener, caller, category, priority, contact)
    resolved = _emit_incidents(ctx, settle(plan, ctx.world.end_s), values)
    hours = np.maximum(np.round(handling / HOUR_S * 4) / 4, 0.25)
    ctx.add_time(
        when_s=np.where(resolved >= 0, resolved, NEVER),
        user=resolver,
        reference=number,
        category="Incidenthåndtering",
        hours=np.minimum(hours, 7.5),
        task_sys_id=plan.sys_id,
    )


@dataclass(frozen=True)
class IncidentValues:
    """Per incident: its number, who opened it, the caller, category, priority, contact type."""

    number: StrArray
    opener: IntArray
    caller: IntArray
    category: StrArray
    priority: StrArray
    contact: StrArray

    def part(self, cases: slice) -> IncidentValues:
        """The values of a slice of the incidents."""
        return IncidentValues(
            *(getattr(self, name)[cases] for name in IncidentValues.__dataclass_fields__)
        )


def _emit_incidents(ctx: Context, whole: Settled, values: IncidentValues) -> IntArray:
    """Incident records, audit rows and SLAs, a chunk of cases at a time (their text is what
    takes memory); returns when each was resolved (-1: not)."""
    resolved = np.full(whole.plan.n, -1, dtype=np.int64)
    for part, settled, first in settled_chunks(whole, ctx.audit_seq, CHUNK_CASES):
        mine = values.part(part)
        emit(ctx, settled, _incident_record(ctx, settled, mine), first)
        _task_sla(ctx, settled, mine.priority)
        resolved[part] = first_time(settled, "state", ("6",))
    return resolved


def _incident_fields(
    ctx: Context, plan: CasePlan, agent: IntArray, target: IntArray, person: IntArray
) -> None:
    """Audited values per step: state, assignment group, assignee."""
    n, k = plan.times.shape
    people = ctx.world.people
    state = np.zeros((n, k), dtype=np.int64)
    state[:] = np.array([0, 0, 1, 1, 1, 2, 3])
    group = np.full((n, k), AREA_INDEX["SD"], dtype=np.int64)
    group[:, 3:] = target[:, None]
    assigned = np.zeros((n, k), dtype=np.int64)  # 0: nobody, else 1 + the person
    assigned[:, 1:3] = agent[:, None] + 1
    assigned[:, 4:] = person[:, None] + 1
    plan.fields = {"state": state, "assignment_group": group, "assigned_to": assigned}
    plan.vocab = {
        "state": np.array(["1", "2", "6", "7"]),
        "assignment_group": ctx.world.group_sys_id,
        "assigned_to": _people_or_nobody(people),
    }


def _people_or_nobody(people: People) -> StrArray:
    """The texts of assignee codes: 0 nobody (""), 1 + i the person i's sys_id."""
    return np.concatenate([np.array([""]), people.sys_id])


def _incident_record(ctx: Context, settled: Settled, values: IncidentValues) -> dict[str, object]:
    """The incident record columns on top of the shared task columns."""
    people = ctx.world.people
    record = task_record(ctx, settled, values.number, values.opener)
    priority, category = values.priority, values.category
    resolved = first_time(settled, "state", ("6",))
    opened = settled.plan.times[:, 0]
    duration = np.where(resolved >= 0, resolved - opened, -1)
    record.update(
        {
            "incident_state": record["state"],
            "priority": priority,
            "impact": np.full(settled.plan.n, "2"),
            "urgency": priority,
            "category": category,
            "short_description": _mapped(
                category, lambda c: INCIDENT_CATEGORIES.get(c, "Adgang og adgangskode")
            ),
            "caller_id": gather(people.sys_id, values.caller),
            "resolved_at": format_servicenow_time(resolved),
            "closed_at": format_servicenow_time(first_time(settled, "state", ("7",))),
            "reassignment_count": settled.changed["assignment_group"].sum(axis=1).astype(str),
            "reopen_count": np.full(settled.plan.n, "0"),
            "calendar_duration": format_servicenow_duration(duration),
            "contact_type": values.contact,
        }
    )
    return record


def _mapped(values: StrArray, to: Callable[[str], object]) -> np.ndarray:
    """``to`` of each value, called once per distinct value."""
    keys, inverse = np.unique(values, return_inverse=True)
    return np.array([to(str(k)) for k in keys])[inverse]


def sla_sys_ids(ctx: Context) -> dict[str, str]:
    """sys_ids of the contract_sla definitions (resolution SLA per priority)."""
    ids = make_sys_ids(ctx.world.seed, "contract_sla", np.arange(3, dtype=np.int64))
    return {p: str(ids[i]) for i, p in enumerate(SLA_TARGET_H)}


def _task_sla(ctx: Context, settled: Settled, priority: StrArray) -> None:
    """One resolution SLA per incident, as task_sla rows."""
    plan = settled.plan
    start = plan.times[:, 0]
    end = first_time(settled, "state", ("6",))
    target_s = _mapped(priority, SLA_TARGET_H.__getitem__).astype(np.int64) * HOUR_S
    planned = start + target_s
    done = end >= 0
    elapsed = np.where(done, end - start, np.maximum(ctx.world.end_s - start, 0))
    breached = elapsed > target_s
    slas = sla_sys_ids(ctx)
    updated = np.where(done, end, np.maximum(start, np.minimum(planned, ctx.world.end_s - 1)))
    frame = {
        "sys_id": make_sys_ids(ctx.world.seed, "task_sla", _sla_seq(ctx, plan.n)),
        "task": plan.sys_id,
        "sla": _mapped(priority, slas.__getitem__).astype(str),
        "stage": np.where(done, "completed", np.where(breached, "breached", "in_progress")),
        "has_breached": np.where(breached, "true", "false"),
        "active": np.where(done, "false", "true"),
        "start_time": format_servicenow_time(start),
        "end_time": format_servicenow_time(end),
        "planned_end_time": format_servicenow_time(planned),
        "duration": format_servicenow_duration(elapsed),
        "percentage": np.round(elapsed / target_s * 100, 2).astype(str),
        "sys_created_on": format_servicenow_time(start),
        "sys_updated_on": format_servicenow_time(updated),
    }
    ctx.spill.add("task_sla", pl.DataFrame(frame))


def _sla_seq(ctx: Context, n: int) -> IntArray:
    """The next ``n`` task_sla sequence numbers."""
    seq = np.arange(ctx.sla_seq, ctx.sla_seq + n, dtype=np.int64)
    ctx.sla_seq += n
    return seq


def build_simple_incidents(ctx: Context, auto: Automation, opened: IntArray, seq: IntArray) -> None:
    """Simple access incidents; from go-live an attended assistant cuts the handling time."""
    rng = ctx.rng(2)
    people = ctx.world.people
    n = len(opened)
    plan = _plan("incident", make_sys_ids(ctx.world.seed, "incident", seq), 4)
    agent = rng.choice(people.members("SD"), n)
    caller = rng.choice(people.customers(), n)
    after = robot_takes(ctx, auto.key, auto.go_live, opened, opened >= iso_s(auto.go_live))
    outcome = _outcomes(rng, auto, after)
    minutes = np.where(after & (outcome == 0), auto.residual_minutes, auto.manual_minutes)
    minutes = np.where(after & (outcome > 0), human_minutes(ctx, auto.manual_minutes), minutes)
    t = plan.times
    t[:, 0] = opened
    t[:, 1] = next_work_time(opened + rng.integers(300, 2 * HOUR_S, n), rng)
    t[:, 2] = t[:, 1] + np.round(minutes * 60).astype(np.int64)
    t[:, 3] = t[:, 2] + 3 * DAY_S
    system = np.full(n, people.account("system"))
    plan.actor[:] = np.stack([caller, agent, agent, system], axis=1)
    plan.fields = {
        "state": np.repeat(np.arange(4)[None, :], n, axis=0),
        "assignment_group": np.full((n, 4), AREA_INDEX["SD"], dtype=np.int64),
        "assigned_to": np.zeros((n, 4), dtype=np.int64),  # 0: nobody, else 1 + the person
    }
    plan.fields["assigned_to"][:, 1:] = agent[:, None] + 1
    plan.vocab = {
        "state": np.array(["1", "2", "6", "7"]),
        "assignment_group": ctx.world.group_sys_id,
        "assigned_to": _people_or_nobody(people),
    }
    number = np.char.add("INC", _digits(seq))
    category, priority = np.full(n, auto.catalog_items[0]), np.full(n, "4")
    values = IncidentValues(number, caller, caller, category, priority, np.full(n, "self-service"))
    _emit_incidents(ctx, settle(plan, ctx.world.end_s), values)
    ctx.add_time(
        when_s=t[:, 2],
        user=agent,
        reference=number,
        category=auto.time_category,
        hours=minutes / 60,
        task_sys_id=plan.sys_id,
    )
    ctx.facts[f"cases:{auto.key}"] = (number, opened)
    robot_s = rng.integers(auto.robot_seconds[0], auto.robot_seconds[1] + 1, n)
    start = t[:, 1] + 10  # the agent starts the assistant right after taking the case
    _moved_time(
        ctx, auto, when_s=np.where(after & (outcome == 0), start + robot_s, NEVER), user=agent
    )
    _collect(
        ctx,
        auto,
        mask=after,
        reference=number,
        sys_id=plan.sys_id,
        created=t[:, 1],
        start=start,
        end=start + robot_s,
        outcome=outcome,
        user=agent,
    )


def iso_s(date: str) -> int:
    """Epoch seconds of an ISO date (UTC midnight)."""
    return int(np.datetime64(date, "s").astype(np.int64))


def _outcomes(rng: np.random.Generator, auto: Automation, after: np.ndarray) -> IntArray:
    """0 success, 1 business, 2 application exception, for the transactions after go-live.

    The counts are the planted rates exactly (rounded), on randomly chosen transactions, so the
    exception rate read from the run data is the planted one rather than a sample of it.
    """
    idx = np.flatnonzero(after)
    business = round(len(idx) * auto.business_exception_rate)
    application = round(len(idx) * auto.application_exception_rate)
    picked = rng.permutation(idx)
    outcome = np.zeros(len(after), dtype=np.int64)
    outcome[picked[:business]] = 1
    outcome[picked[business : business + application]] = 2
    return outcome


def _collect(
    ctx: Context,
    auto: Automation,
    *,
    mask: np.ndarray,
    reference: StrArray,
    sys_id: StrArray,
    created: IntArray,
    start: IntArray,
    end: IntArray,
    outcome: IntArray,
    user: IntArray,
) -> None:
    """Hand the robot's transactions (those after go-live, before the cut-off) to robots.py."""
    keep = mask & (created < ctx.world.end_s) & (end < ctx.world.end_s)
    ctx.transactions.append(
        Transactions(
            auto,
            reference[keep],
            sys_id[keep],
            created[keep],
            start[keep],
            end[keep],
            outcome[keep],
            user[keep],
        )
    )


# -- requested items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ritm:
    """Identity of a batch of requested items (and their one-to-one requests)."""

    seq: IntArray
    opened: IntArray
    sys_id: StrArray
    number: StrArray
    request_sys_id: StrArray
    request_number: StrArray


def make_ritm(ctx: Context, seq: IntArray, opened: IntArray) -> Ritm:
    """Ids and numbers of requested items and their requests (one request per item)."""
    seed = ctx.world.seed
    return Ritm(
        seq=seq,
        opened=opened,
        sys_id=make_sys_ids(seed, "sc_req_item", seq),
        number=np.char.add("RITM", _digits(seq)),
        request_sys_id=make_sys_ids(seed, "sc_request", seq),
        request_number=np.char.add("REQ", _digits(seq)),
    )


def _ritm_part(ritm: Ritm, part: slice) -> Ritm:
    """The items of a slice."""
    return Ritm(
        ritm.seq[part],
        ritm.opened[part],
        ritm.sys_id[part],
        ritm.number[part],
        ritm.request_sys_id[part],
        ritm.request_number[part],
    )


def _request_frame(
    ctx: Context, ritm: Ritm, settled: Settled, requester: IntArray, title: StrArray
) -> None:
    """sc_request rows: opened with the item, closed when it closes (not audited)."""
    people = ctx.world.people
    closed = first_time(settled, "state", ("3",))
    done = closed >= 0
    frame = {
        "sys_id": ritm.request_sys_id,
        "number": ritm.request_number,
        "requested_for": people.sys_id[requester],
        "opened_by": people.sys_id[requester],
        "opened_at": format_servicenow_time(ritm.opened),
        "request_state": np.where(done, "closed_complete", "in_process"),
        "approval": np.full(len(ritm.seq), "approved"),
        "state": np.where(done, "3", "2"),
        "closed_at": format_servicenow_time(closed),
        "short_description": title,
        "sys_class_name": np.full(len(ritm.seq), "sc_request"),
        "sys_created_on": format_servicenow_time(ritm.opened),
        "sys_created_by": people.user_name[requester],
        "sys_updated_on": format_servicenow_time(np.where(done, closed, ritm.opened)),
        "sys_updated_by": people.user_name[requester],
        "sys_mod_count": np.where(done, "1", "0"),
    }
    ctx.spill.add("sc_request", pl.DataFrame(frame))


def _ritm_record(
    ctx: Context, ritm: Ritm, settled: Settled, requester: IntArray, cat_item: StrArray
) -> dict[str, object]:
    """The sc_req_item record columns on top of the shared ones."""
    people = ctx.world.people
    record = task_record(ctx, settled, ritm.number, requester)
    record.update(
        {
            "request": ritm.request_sys_id,
            "cat_item": _catalog_ids(ctx, cat_item),
            "short_description": cat_item,
            "requested_for": people.sys_id[requester],
            "quantity": np.full(settled.plan.n, "1"),
            "closed_at": format_servicenow_time(first_time(settled, "state", ("3",))),
            "correlation_id": np.full(settled.plan.n, ""),
        }
    )
    for name in ("approval", "stage"):
        if name in settled.plan.fields:
            record[name] = current_column(settled, name)
    return record


def build_catalog_automation(
    ctx: Context,
    auto: Automation,
    opened: IntArray,
    seq: IntArray,
    *,
    stream: int,
    bottleneck: Bottleneck | None = None,
) -> None:
    """Requested items one catalog task handles: by a person, from go-live by the robot."""
    rng = ctx.rng(stream)
    people = ctx.world.people
    n = len(opened)
    ritm = make_ritm(ctx, seq, opened)
    requester = rng.choice(people.customers(), n)
    cat_item = rng.choice(np.array(auto.catalog_items), n)
    handler = rng.choice(np.concatenate([people.members(c) for c in auto.owner_areas]), n)
    # The bottleneck: standard requests wait for the customer's leader to approve.
    wait = np.zeros(n, dtype=np.int64)
    if bottleneck is not None:
        scale_s = bottleneck.mean_wait_h * HOUR_S / bottleneck.gamma_shape
        wait = np.round(rng.gamma(bottleneck.gamma_shape, scale_s, n)).astype(np.int64)
    task_insert = opened + wait + 5
    after = robot_takes(
        ctx, auto.key, auto.go_live, task_insert, task_insert >= iso_s(auto.go_live)
    )
    ctx.facts[f"cases:{auto.key}"] = (ritm.number, opened)
    outcome = _outcomes(rng, auto, after)
    task = _catalog_task(
        ctx,
        rng,
        auto,
        ritm,
        insert=task_insert,
        after=after,
        outcome=outcome,
        handler=handler,
    )
    plan = _plan("sc_req_item", ritm.sys_id, 4)
    t = plan.times
    t[:, 0] = opened
    t[:, 1] = opened + wait
    t[:, 2] = task_insert
    t[:, 3] = task.close + 2
    plan.valid[:, 1] = bottleneck is not None
    approver = rng.choice(people.customers(), n)
    system = np.full(n, people.account("system"))
    plan.actor[:] = np.stack([requester, approver, system, system], axis=1)
    state = np.repeat(np.array([[0, 0, 1, 2]]), n, axis=0)
    approval = np.zeros((n, 4), dtype=np.int64)
    stage = np.repeat(np.array([[0, 0, 0, 1]]), n, axis=0)
    if bottleneck is not None:
        approval[:, 0] = 1
        stage[:, 0] = 2
    plan.fields = {
        "state": state,
        "approval": approval,
        "stage": stage,
        "assignment_group": np.repeat(people.area[handler][:, None], 4, axis=1),
    }
    plan.vocab = {
        "state": np.array(["1", "2", "3"]),
        "approval": np.array(["approved", "requested"]),
        "stage": np.array(["fulfillment", "complete", "waiting_for_approval"]),
        "assignment_group": ctx.world.group_sys_id,
    }
    whole = settle(plan, ctx.world.end_s)
    for part, settled, first in settled_chunks(whole, ctx.audit_seq, CHUNK_CASES):
        mine = _ritm_part(ritm, part)
        record = _ritm_record(ctx, mine, settled, requester[part], cat_item[part])
        emit(ctx, settled, record, first)
        _request_frame(ctx, mine, settled, requester[part], cat_item[part])
    if bottleneck is not None:
        ctx.facts["bottleneck_waits_s"] = wait[(opened + wait) < ctx.world.end_s]


@dataclass(frozen=True)
class TaskTimes:
    """When each catalog task closes (planned, may lie after the cut-off)."""

    close: IntArray


def _catalog_task_times(
    rng: np.random.Generator,
    auto: Automation,
    insert: IntArray,
    after: np.ndarray,
    exception: np.ndarray,
    *,
    exception_s: int,
) -> tuple[IntArray, IntArray]:
    """Planned step times (n, 5) of the handling task, and when the robot finished.

    Steps: 0 insert, 1 picked up (person or robot), 2 robot puts it back (exceptions only),
    3 a person takes it (exceptions only), 4 closed. A person needs exactly the manual minutes,
    ``exception_s`` after a robot exception.
    """
    n = len(insert)
    robot_s = rng.integers(auto.robot_seconds[0], auto.robot_seconds[1] + 1, n)
    human_pickup = next_work_time(insert + rng.integers(600, 4 * HOUR_S, n), rng)
    t = np.zeros((n, 5), dtype=np.int64)
    t[:, 0] = insert
    t[:, 1] = np.where(after, insert + rng.integers(60, 900, n), human_pickup)
    t[:, 2] = t[:, 1] + robot_s
    t[:, 3] = next_work_time(t[:, 2] + rng.integers(600, 4 * HOUR_S, n), rng)
    manual_start = np.where(exception, t[:, 3], t[:, 1])
    human_s = np.where(exception, exception_s, auto.manual_minutes * 60)
    t[:, 4] = np.where(after & ~exception, t[:, 2], manual_start + human_s)
    return t, t[:, 2].copy()


def _catalog_task(
    ctx: Context,
    rng: np.random.Generator,
    auto: Automation,
    ritm: Ritm,
    *,
    insert: IntArray,
    after: np.ndarray,
    outcome: IntArray,
    handler: IntArray,
) -> TaskTimes:
    """The sc_task that does the work: person, robot, or robot then person on an exception."""
    people = ctx.world.people
    n = len(insert)
    robot = people.account("svc_uipath_robot" if auto.platform == "uipath" else "svc_pad_robot")
    plan = _plan("sc_task", make_sys_ids(ctx.world.seed, "sc_task", ritm.seq), 5)
    exception = after & (outcome > 0)
    exception_min = human_minutes(ctx, auto.manual_minutes)
    times, robot_end = _catalog_task_times(
        rng, auto, insert, after, exception, exception_s=round(exception_min * 60)
    )
    plan.times[:] = times
    plan.valid[:, 2] = exception
    plan.valid[:, 3] = exception
    robot_closes = after & ~exception
    first = np.where(after, robot, handler)
    system = np.full(n, people.account("system"))
    last = np.where(robot_closes, robot, handler)
    plan.actor[:] = np.stack([system, first, first, handler, last], axis=1)
    state = np.repeat(np.array([[0, 1, 0, 1, 2]]), n, axis=0)
    assigned = np.zeros((n, 5), dtype=np.int64)  # 0: nobody, else 1 + the person
    # Steps 2 and 3 exist only on exceptions: the robot puts the task back, a person takes it.
    assigned[:, 1] = first + 1
    assigned[:, 3] = handler + 1
    assigned[:, 4] = last + 1
    group = np.repeat(people.area[handler][:, None], 5, axis=1)
    plan.fields = {"state": state, "assignment_group": group, "assigned_to": assigned}
    plan.vocab = {
        "state": np.array(["1", "2", "3"]),
        "assignment_group": ctx.world.group_sys_id,
        "assigned_to": _people_or_nobody(people),
    }
    whole = settle(plan, ctx.world.end_s)
    for part, settled, numbers in settled_chunks(whole, ctx.audit_seq, CHUNK_CASES):
        mine = _ritm_part(ritm, part)
        _emit_catalog_task(ctx, auto, mine, settled, system[part], first=numbers)
    ctx.add_time(
        when_s=np.where(~robot_closes, times[:, 4], NEVER),
        user=handler,
        reference=ritm.number,
        category=auto.time_category,
        hours=np.where(exception, exception_min / 60, auto.manual_minutes / 60),
        task_sys_id=plan.sys_id,
    )
    _moved_time(ctx, auto, when_s=np.where(robot_closes, robot_end, NEVER), user=handler)
    attended = auto.platform == "power_automate" and auto.residual_minutes > 0
    _collect(
        ctx,
        auto,
        mask=after,
        reference=ritm.number,
        sys_id=ritm.sys_id,
        created=insert,
        start=times[:, 1],
        end=robot_end,
        outcome=outcome,
        user=handler if attended else np.full(n, robot),
    )
    return TaskTimes(close=times[:, 4])


def _moved_time(ctx: Context, auto: Automation, *, when_s: IntArray, user: IntArray) -> None:
    """Confounded only: part of the freed time registered on other work, without a case."""
    conf = ctx.confounders
    if conf is None:
        return
    n = len(when_s)
    freed_h = (auto.manual_minutes - auto.residual_minutes) / 60
    ctx.add_time(
        when_s=when_s,
        user=user,
        reference=np.full(n, ""),
        category=conf.moved_activity,
        hours=np.full(n, conf.moved_share * freed_h),
        task_sys_id=np.full(n, ""),
        moved_from=auto.key,
    )


def _emit_catalog_task(
    ctx: Context,
    auto: Automation,
    ritm: Ritm,
    settled: Settled,
    opener: IntArray,
    *,
    first: dict[str, int],
) -> None:
    """sc_task records (one per requested item) and their audit rows."""
    n = settled.plan.n
    closed = format_servicenow_time(first_time(settled, "state", ("3",)))
    picked = np.where(settled.seen[:, 1], settled.plan.times[:, 1], -1)
    record = task_record(ctx, settled, np.char.add("SCTASK", _digits(ritm.seq)), opener)
    record.update(
        {
            "request_item": ritm.sys_id,
            "request": ritm.request_sys_id,
            "short_description": np.full(n, auto.task_description),
            "work_start": format_servicenow_time(picked),
            "work_end": closed,
            "closed_at": closed,
        }
    )
    emit(ctx, settled, record, first)


def _digits(seq: IntArray) -> StrArray:
    """The seven-digit part of a record number (INC0010001) for a sequence number."""
    return np.char.zfill((seq + NUMBER_START).astype(str), 7)
