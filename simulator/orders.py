"""Development orders: the ServiceNow side of the planted ServiceNow-to-DevOps integration effect.

Before the go-live an order waits days in ServiceNow while coordinators in Forretningsudvikling
hand it between service areas and finally create the Feature in DevOps by hand. After it, the
integration creates the Feature within minutes and hands the order straight to the delivering area.
"""

from __future__ import annotations

import numpy as np

from simulator.azure_devops import OrderFeatures, OrderPlan
from simulator.cases import current, settle
from simulator.context import Context
from simulator.effects import Integration
from simulator.ids import IntArray
from simulator.servicenow import (
    NEVER,
    Ritm,
    _plan,
    _request_frame,
    _ritm_record,
    emit,
    iso_s,
    make_ritm,
)
from simulator.world import AREA_INDEX, DAY_S, HOUR_S

ORDER_TITLES = (
    "Ny integration til fagsystem",
    "Ændring af selvbetjeningsløsning",
    "Udvidelse af datavarehus",
    "Ny rapport i ledelsesinformation",
    "Opgradering af fagsystem",
    "Ny funktion i intranet",
)
SLOTS = 4  # at most four handovers


def plan_orders(ctx: Context, opened: IntArray, seq: IntArray) -> tuple[OrderPlan, Ritm]:
    """Draw each order's lag to DevOps, its delivering area and who creates the Feature."""
    rng = ctx.rng(10)
    integ = Integration()
    people = ctx.world.people
    n = len(opened)
    integrated = opened >= iso_s(integ.go_live)
    before = rng.lognormal(np.log(integ.lag_median_before_s), integ.lag_sigma_before, n)
    after = rng.lognormal(np.log(integ.lag_median_after_s), integ.lag_sigma_after, n)
    lag = np.maximum(np.round(np.where(integrated, after, before)), 1).astype(np.int64)
    areas = np.array([AREA_INDEX[c] for c in integ.target_areas])
    target = rng.choice(areas, n, p=np.array(integ.target_weights))
    coordinator = rng.choice(people.members("FU"), n)
    creator = np.where(integrated, people.account("svc_ado_integration"), coordinator)
    ritm = make_ritm(ctx, seq, opened)
    title = rng.choice(np.array(ORDER_TITLES), n)
    ctx.facts["order_coordinator"] = coordinator
    plan = OrderPlan(
        opened, opened + lag, target, integrated, creator, ritm.sys_id, ritm.number, title
    )
    return plan, ritm


def _handover_areas(rng: np.random.Generator, target: IntArray, count: IntArray) -> IntArray:
    """Area index per handover slot: FU first, detours, the delivering area last."""
    n = len(target)
    detour_pool = np.array([AREA_INDEX[c] for c in ("DI", "APP", "SIK", "DU")])
    keys = rng.random((n, len(detour_pool)))
    keys[detour_pool[None, :] == target[:, None]] = 2.0  # never detour to the target itself
    detours = detour_pool[np.argsort(keys, axis=1)[:, :2]]
    slots = np.repeat(target[:, None], SLOTS, axis=1)
    slots[:, 0] = AREA_INDEX["FU"]
    slots[count == 3, 1] = detours[count == 3, 0]
    slots[count == 4, 1] = detours[count == 4, 0]
    slots[count == 4, 2] = detours[count == 4, 1]
    return slots


def build_orders(ctx: Context, plan: OrderPlan, ritm: Ritm, features: OrderFeatures) -> None:
    """Requested items for the orders, their audit trail, requests and coordination hours."""
    rng = ctx.rng(11)
    integ = Integration()
    people = ctx.world.people
    n = len(plan.opened)
    count = np.where(
        plan.integrated,
        1,
        rng.choice(
            np.array(integ.handover_choices_before), n, p=np.array(integ.handover_weights_before)
        ),
    )
    slots = np.where(
        plan.integrated[:, None], plan.target[:, None], _handover_areas(rng, plan.target, count)
    )
    lag = plan.ado_created - plan.opened
    frac = np.sort(rng.uniform(0.05, 0.85, (n, SLOTS)), axis=1)
    times = plan.opened[:, None] + (lag[:, None] * frac).astype(np.int64)
    last = np.maximum(plan.ado_created - rng.integers(60, 600, n), times.max(axis=1) + 1)
    times[np.arange(n), count - 1] = np.where(plan.integrated, plan.ado_created, last)
    order = _plan("sc_req_item", ritm.sys_id, SLOTS + 3)
    t = order.times
    t[:, 0] = plan.opened
    t[:, 1 : SLOTS + 1] = times
    t[:, SLOTS + 1] = plan.ado_created + 5
    close = features.closed + rng.integers(HOUR_S, 2 * DAY_S, n)
    t[:, SLOTS + 2] = np.where(features.closed >= 0, close, NEVER)
    order.valid[:, 1 : SLOTS + 1] = np.arange(SLOTS)[None, :] < count[:, None]
    requester = rng.choice(people.customers(), n)
    agent = rng.choice(people.members("SD"), n)
    coordinator = ctx.facts["order_coordinator"]
    assert isinstance(coordinator, np.ndarray)
    doer = plan.creator  # the coordinator before the go-live, the integration after
    order.actor[:, 0] = requester
    order.actor[:, 1] = np.where(plan.integrated, doer, agent)
    order.actor[:, 2:] = doer[:, None]
    state = np.zeros((n, SLOTS + 3), dtype=np.int64)
    state[:, SLOTS + 1] = 1
    state[:, SLOTS + 2] = 2
    group = np.full((n, SLOTS + 3), AREA_INDEX["SD"], dtype=np.int64)
    group[:, 1 : SLOTS + 1] = slots
    group[:, SLOTS + 1 :] = plan.target[:, None]
    order.fields = {"state": state, "assignment_group": group}
    order.vocab = {"state": np.array(["1", "2", "3"]), "assignment_group": ctx.world.group_sys_id}
    settled = settle(order, ctx.world.end_s)
    cat_item = np.full(n, integ.catalog_item)
    record = _ritm_record(ctx, ritm, settled, requester, cat_item)
    linked = plan.integrated & (plan.ado_created < ctx.world.end_s)
    record["approval"] = np.full(n, "approved")
    record["stage"] = np.where(current(settled, "state") == "3", "complete", "fulfillment")
    record["correlation_id"] = np.where(linked, features.feature_id.astype(str), "")
    emit(ctx, settled, record)
    _request_frame(ctx, ritm, settled, requester, cat_item)
    _coordination_time(ctx, plan, ritm, times[:, 1], coordinator, handovers=count)
    ctx.facts["order_handovers"] = settled.changed["assignment_group"].sum(axis=1)


def coordination_hours(ctx: Context, handovers: IntArray) -> tuple[np.ndarray, np.ndarray]:
    """Hours of each of the two sittings before the go-live, and of the one sitting after.

    Clean: 2 hours in two halves before, 0,5 after. Confounded: every handover costs the same
    (Confounders.coordination_hours_per_handover), so an order's hours follow its handovers."""
    integ = Integration()
    n = len(handovers)
    conf = ctx.confounders
    if conf is None:
        half = np.full(n, integ.coordination_hours_before / 2)
        return half, np.full(n, integ.coordination_hours_after)
    per = conf.coordination_hours_per_handover
    return per * handovers / 2, per * handovers


def _coordination_time(
    ctx: Context,
    plan: OrderPlan,
    ritm: Ritm,
    second_handover: IntArray,
    coordinator: IntArray,
    *,
    handovers: IntArray,
) -> None:
    """'Koordinering' hours on the order: two sittings before the go-live, one short after."""
    half, after = coordination_hours(ctx, handovers)
    first_sitting = np.where(plan.integrated, NEVER, second_handover)
    ctx.add_time(
        when_s=first_sitting,
        user=coordinator,
        reference=ritm.number,
        category="Koordinering",
        hours=half,
        task_sys_id=ritm.sys_id,
    )
    hours = np.where(plan.integrated, after, half)
    ctx.add_time(
        when_s=plan.ado_created,
        user=coordinator,
        reference=ritm.number,
        category="Koordinering",
        hours=hours,
        task_sys_id=ritm.sys_id,
    )
