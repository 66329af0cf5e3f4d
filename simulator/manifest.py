"""The ground-truth manifest: every planted effect with its parameters and its realised values.

Planted values are what the generator drew from; realised values are computed from exactly what
was written (after the cut at the extraction time), so a measurement from the raw files can be
compared with them exactly, and with the planted values within sampling noise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from simulator.azure_devops import OrderPlan
from simulator.context import Context, Transactions
from simulator.effects import (
    AUTOMATIONS,
    COMPARISON,
    HOURS_PER_AAV,
    Automation,
    Bottleneck,
    Integration,
    Misuse,
)
from simulator.ids import IntArray
from simulator.servicenow import iso_s
from simulator.world import (
    DAY_S,
    HOUR_S,
    PROJECT,
    SERVICE_AREAS,
    month_label,
    month_labels,
    month_starts,
)

SCHEMA = "kitflow-simulated-landscape/1"

LAYOUT = {
    "servicenow/<table>/page-NNNNN.json": (
        "Table API value-mode pages {'result': [...]}, 1000 records a page, all values strings, "
        "UTC 'YYYY-MM-DD HH:MM:SS', references as sys_ids; sorted by (sys_updated_on, sys_id), "
        "sys_audit by (sys_created_on, sys_id). Tables: sc_request, sc_req_item, sc_task, "
        "incident, "
        "sys_audit, task_sla, time_card, sys_user, sys_user_group, sys_choice, sc_cat_item, "
        "contract_sla."
    ),
    "azure-devops/workitemrevisions/batch-NNNNN.json": (
        "reporting/workitemrevisions batches {'values', 'nextLink', 'continuationToken', "
        "'isLastBatch'}, includeIdentityRef=true, ordered by System.ChangedDate (the watermark)."
    ),
    "azure-devops/workitemlinks/batch-NNNNN.json": (
        "reporting/workitemlinks batches: {rel, sourceId, targetId, changedDate, isActive}; "
        "Hierarchy-Forward from parent (source) to child (target)."
    ),
    "azure-devops/workitems/batch-NNNNN.json": (
        "workitemsbatch with $expand=relations: {'count', 'value': [{id, rev, fields, relations, "
        "url}]}, 200 a batch; relations Hierarchy-Reverse (parent), Hierarchy-Forward (children), "
        "Hyperlink (the ServiceNow requested item of an order)."
    ),
    "time-registration/tidsregistrering-YYYY.csv": (
        "Dato;Medarbejder;Serviceområde;Sagsreference;Aktivitet;Timer - semicolon, decimal "
        "comma, UTF-8; one row per employee, day, case reference and activity."
    ),
    "robots/uipath/{Jobs,QueueItems,QueueItemEvents,QueueDefinitions}/page-NNNNN.json": (
        "Orchestrator OData pages {'@odata.context', '@odata.count' (total), 'value'}, 1000 a "
        "page; times ISO-8601 UTC with milliseconds and Z."
    ),
    "robots/power-automate/{flowsessions,workflows}/page-NNNNN.json": (
        "Dataverse Web API pages {'@odata.context', 'value', '@odata.nextLink' on all but the "
        "last}; times ISO-8601 UTC with Z; flowsession._regardingobjectid_value = workflowid."
    ),
}


def _r(x: float, digits: int = 4) -> float:
    """Round for the manifest (JSON floats, stable text)."""
    return round(float(x), digits)


def _month_counts(t: IntArray) -> dict[str, int]:
    """How many of the times fall in each month ('YYYY-MM')."""
    labels, counts = np.unique(month_labels(t), return_counts=True)
    return {str(k): int(c) for k, c in zip(labels, counts, strict=True)}


def _hours_by(entries: pl.DataFrame, category: str) -> dict[str, float]:
    """Registered hours per month for one activity."""
    if entries.height == 0:
        return {}
    part = entries.filter(pl.col("category") == category)
    months = (
        part.group_by(pl.col("date").dt.strftime("%Y-%m").alias("m"))
        .agg(pl.col("hours").sum())
        .sort("m")
    )
    return {m: _r(h, 2) for m, h in months.iter_rows()}


def integration_effect(ctx: Context, plan: OrderPlan, entries: pl.DataFrame) -> dict[str, Any]:
    """The ServiceNow-to-DevOps integration: lag, handovers, coordination hours."""
    integ = Integration()
    go = iso_s(integ.go_live)
    end = ctx.world.end_s
    seen = plan.ado_created < end
    lag = plan.ado_created - plan.opened
    handovers = np.asarray(ctx.facts["order_handovers"])
    groups = {"before": seen & ~plan.integrated, "after": seen & plan.integrated}
    coord = _coordination(entries, plan)
    before_years = (go - ctx.world.start_s) / (365.25 * DAY_S)
    after_years = (end - go) / (365.25 * DAY_S)
    per_year = {
        "before": coord["before"] / before_years if before_years > 0 else 0.0,
        "after": coord["after"] / after_years if after_years > 0 else 0.0,
    }
    return {
        "name": "Integration mellem ServiceNow og Azure DevOps",
        "seed_proposal": "investment-proposal-cross-cutting-task-management.txt",
        "go_live": f"{integ.go_live}T00:00:00Z",
        "period_rule": "an order is 'before' when its sc_req_item.opened_at < go_live",
        "orders": {
            "selector": {"table": "sc_req_item", "cat_item_name": integ.catalog_item},
            "count_before": int((plan.opened < go).sum()),
            "count_after": int(((plan.opened >= go) & (plan.opened < end)).sum()),
            "planned_per_year_at_scale": _r(integ.orders_per_year * ctx.scale, 2),
        },
        "link_rule": (
            "the Feature's relation rel='Hyperlink' points at the item: after go-live "
            "'.../sc_req_item.do?sys_id=<sys_id>' (and sc_req_item.correlation_id = the Feature "
            "id); before it '.../nav_to.do?uri=sc_req_item.do?sysparm_query=number=<RITM number>'"
        ),
        "lag_to_devops": {
            "definition": "Feature System.CreatedDate (rev 1) minus sc_req_item.opened_at, seconds",
            "planted_median_before_s": integ.lag_median_before_s,
            "planted_median_after_s": integ.lag_median_after_s,
            **{
                f"median_{k}_s": _r(np.median(lag[m]), 1) if m.any() else None
                for k, m in groups.items()
            },
            **{
                f"mean_{k}_s": _r(np.mean(lag[m]), 1) if m.any() else None
                for k, m in groups.items()
            },
            **{f"n_{k}": int(m.sum()) for k, m in groups.items()},
        },
        "handovers": {
            "definition": (
                "sys_audit rows on the sc_req_item with fieldname='assignment_group' (each is a "
                "handover between service areas; the insert is not audited)"
            ),
            "planted_before": "2, 3 or 4 (weights 0.3/0.4/0.3): Servicedesk -> FU -> ... -> area",
            "planted_after": 1,
            **{
                f"mean_{k}": _r(np.mean(handovers[m])) if m.any() else None
                for k, m in groups.items()
            },
        },
        "coordination_time": {
            "definition": "time registration Aktivitet='Koordinering', Sagsreference=RITM number",
            "hours_per_aav": HOURS_PER_AAV,
            "planted_hours_per_order_before": integ.coordination_hours_before,
            "planted_hours_per_order_after": integ.coordination_hours_after,
            "hours_before": _r(coord["before"], 2),
            "hours_after": _r(coord["after"], 2),
            "hours_per_order_before": _r(coord["before"] / max(int(groups["before"].sum()), 1)),
            "hours_per_order_after": _r(coord["after"] / max(int(groups["after"].sum()), 1)),
            "hours_per_year_before": _r(per_year["before"], 2),
            "hours_per_year_after": _r(per_year["after"], 2),
            "reduction_hours_per_year": _r(per_year["before"] - per_year["after"], 2),
            "reduction_aav_per_year": _r((per_year["before"] - per_year["after"]) / HOURS_PER_AAV),
            "expected_reduction_aav_per_year": _r(
                (integ.coordination_hours_before - integ.coordination_hours_after)
                * integ.orders_per_year
                * ctx.scale
                / HOURS_PER_AAV
            ),
            "hours_by_month": _hours_by(entries, "Koordinering"),
        },
        "truth": _integration_truth(ctx, plan),
    }


def _integration_truth(ctx: Context, plan: OrderPlan) -> dict[str, Any]:
    """Coordination hours the integration really saved, by the orders' opening year."""
    integ = Integration()
    saved = integ.coordination_hours_before - integ.coordination_hours_after
    if ctx.confounders is not None:
        # Each handover costs the same; an order after go-live has 1 instead of 2, 3 or 4.
        weights = np.array(integ.handover_weights_before)
        mean = float(np.dot(integ.handover_choices_before, weights) / weights.sum())
        saved = ctx.confounders.coordination_hours_per_handover * (mean - 1)
    after = (plan.opened >= iso_s(integ.go_live)) & (plan.opened < ctx.world.end_s)
    years = [month_label(int(t))[:4] for t in plan.opened[after]]
    return {
        "definition": (
            "orders opened from go-live x (hours an order cost before - hours after), before "
            "noise; confounded: coordination follows the handovers"
        ),
        "coordination_hours_saved": _r(int(after.sum()) * saved, 2),
        "by_year": {y: _r(c * saved, 2) for y, c in sorted(Counter(years).items())},
    }


def comparison_effect(ctx: Context, entries: pl.DataFrame) -> dict[str, Any]:
    """The never-automated comparison process (confounded scenario only)."""
    cases = _opened_cases(ctx, COMPARISON.key)
    return {
        "name": COMPARISON.name,
        "selector": {"table": "sc_req_item", "cat_item_name": COMPARISON.catalog_items[0]},
        "handling_task": COMPARISON.task_description,
        "owner_service_areas": [a.name for a in SERVICE_AREAS if a.code in COMPARISON.owner_areas],
        "aktivitet": COMPARISON.time_category,
        "manual_minutes_per_case": COMPARISON.manual_minutes,
        "monthly_volume": _r(COMPARISON.monthly_volume * ctx.scale, 3),
        "cases_by_month": dict(sorted(Counter(cases["month"].to_list()).items())),
        "hours_by_month": _hours_by(entries, COMPARISON.time_category),
    }


def scenario_block(ctx: Context) -> dict[str, Any]:
    """Which scenario was simulated, and the confounders' parameters when confounded."""
    conf = ctx.confounders
    if conf is None:
        return {"name": "clean", "confounders": {}}
    return {"name": "confounded", "confounders": conf.as_json()}


def _coordination(entries: pl.DataFrame, plan: OrderPlan) -> dict[str, float]:
    """Koordinering hours split by the period of the order they were registered on."""
    if entries.height == 0:
        return {"before": 0.0, "after": 0.0}
    orders = pl.DataFrame({"reference": plan.ritm_number, "integrated": plan.integrated})
    part = entries.filter(pl.col("category") == "Koordinering").join(orders, on="reference")
    total = part.group_by("integrated").agg(pl.col("hours").sum())
    found = {bool(k): float(v) for k, v in total.iter_rows()}
    return {"before": found.get(False, 0.0), "after": found.get(True, 0.0)}


def bottleneck_effect(ctx: Context) -> dict[str, Any]:
    """Waiting for approval of standard requests."""
    b = Bottleneck()
    waits = np.asarray(ctx.facts.get("bottleneck_waits_s", np.zeros(0)))
    return {
        "name": "Venter på godkendelse (standard requests)",
        "activity_from": "sc_req_item opened (approval='requested')",
        "activity_to": "sys_audit approval requested -> approved",
        "definition": (
            "sys_audit.sys_created_on of the row (tablename='sc_req_item', fieldname='approval', "
            "oldvalue='requested', newvalue='approved') minus the item's opened_at"
        ),
        "selector": {"table": "sc_req_item", "cat_item_names": list(AUTOMATIONS[3].catalog_items)},
        "planted_mean_wait_h": b.mean_wait_h,
        "distribution": f"gamma(shape={b.gamma_shape}, mean={b.mean_wait_h} h), calendar time",
        "mean_wait_h": _r(float(waits.mean()) / HOUR_S) if len(waits) else None,
        "median_wait_h": _r(float(np.median(waits)) / HOUR_S) if len(waits) else None,
        "n": len(waits),
    }


def misuse_effect(ctx: Context) -> dict[str, Any]:
    """DevOps misuse, concentrated in one service area."""
    m = Misuse()
    area = next(a for a in SERVICE_AREAS if a.code == m.area)
    return {
        "name": "Forkert brug af Azure DevOps",
        "service_area": area.name,
        "area_path": f"{PROJECT}\\{area.ado_area}",
        "rules": {
            "feature_without_epic": "a Feature without System.Parent (no Hierarchy-Reverse link)",
            "closed_without_active": (
                "a Feature or User Story whose revisions reach Closed without ever being Active"
            ),
            "iteration_at_root": (
                "a Feature or User Story whose System.IterationPath is the project root "
                f"'{PROJECT}'"
            ),
        },
        "planted_rates": {
            "in_area_vs_elsewhere": {k: list(v) for k, v in asdict(m).items() if k != "area"},
        },
        "by_service_area": ctx.facts["ado_misuse"],
    }


def automation_effect(
    ctx: Context, auto: Automation, tx: Transactions | None, entries: pl.DataFrame
) -> dict[str, Any]:
    """One automation: plan, and what the robot, the time registration and ServiceNow show."""
    volume = auto.monthly_volume * ctx.scale
    saved_min = auto.manual_minutes - auto.residual_minutes
    expected = volume * (1 - auto.exception_rate) * saved_min / 60
    out: dict[str, Any] = {
        "key": auto.key,
        "name": auto.name,
        "platform": auto.platform,
        "process_name": auto.process_name,
        "go_live": f"{auto.go_live}T00:00:00Z",
        "monthly_volume": _r(volume, 3),
        "manual_minutes_per_transaction": auto.manual_minutes,
        "residual_minutes_per_successful_transaction": auto.residual_minutes,
        "business_exception_rate": auto.business_exception_rate,
        "application_exception_rate": auto.application_exception_rate,
        "exception_rate": _r(auto.exception_rate),
        "savings_share_in_proposal": auto.savings_share,
        "expected_hours_saved_per_month": _r(expected, 3),
        "savings_rule": (
            "hours saved = successful transactions x (manual - residual minutes) / 60; "
            "exceptions are finished by hand in full"
        ),
        "servicenow": {
            "table": auto.source_table,
            (
                "category" if auto.source_table == "incident" else "cat_item_names"
            ): auto.catalog_items[0]
            if auto.source_table == "incident"
            else list(auto.catalog_items),
            "handling_task": auto.task_description if auto.source_table == "sc_req_item" else None,
            "owner_service_areas": [a.name for a in SERVICE_AREAS if a.code in auto.owner_areas],
        },
        "time_registration": _time_before_after(ctx, auto, _hours_by(entries, auto.time_category)),
        "robot": _realised(auto, tx),
        "truth": automation_truth(ctx, auto, tx),
    }
    return out


def _opened_cases(ctx: Context, key: str) -> pl.DataFrame:
    """The cases of a process opened before the cut-off: reference and opening month."""
    pair = ctx.facts[f"cases:{key}"]
    assert isinstance(pair, tuple)
    number, opened = pair
    seen = opened < ctx.world.end_s
    months = month_labels(opened[seen])
    return pl.DataFrame({"reference": number[seen], "month": months})


def _sum_by(labels: list[str], values: np.ndarray) -> dict[str, float]:
    """Values summed per label, sorted, rounded to two decimals."""
    frame = pl.DataFrame({"k": labels, "v": values}, schema={"k": pl.String, "v": pl.Float64})
    summed = frame.group_by("k").agg(pl.col("v").sum()).sort("k")
    return {str(k): _r(v, 2) for k, v in summed.iter_rows()}


def _robot_share(
    auto: Automation, cases: pl.DataFrame, tx: Transactions | None
) -> dict[str, float]:
    """Robot transactions per case opened, by the case's opening month, from go-live."""
    all_by = cases.group_by("month").len("cases")
    refs = pl.DataFrame(
        {"reference": [] if tx is None else tx.reference}, schema={"reference": pl.String}
    )
    robot_by = cases.join(refs, on="reference").group_by("month").len("robot")
    joined = all_by.join(robot_by, on="month", how="left").fill_null(0).sort("month")
    live = auto.go_live[:7]
    return {m: _r(r / c) for m, c, r in joined.iter_rows() if m >= live}


def automation_truth(ctx: Context, auto: Automation, tx: Transactions | None) -> dict[str, Any]:
    """The real saving, from the transactions written: what each case cost a person.

    A successful case costs the residual minutes, an exception the manual minutes times the
    scenario's exception factor (1 when clean); the freed hours some handlers register on other
    work are subtracted for the budget view.
    """
    conf = ctx.confounders
    factor = 1.0 if conf is None else conf.exception_cost_factor
    outcome = np.zeros(0, dtype=np.int64) if tx is None else tx.outcome
    start = np.zeros(0, dtype=np.int64) if tx is None else tx.start_s
    human = np.where(outcome == 0, auto.residual_minutes, auto.manual_minutes * factor)
    hours = (auto.manual_minutes - human) / 60
    months = month_labels(start).tolist()
    moved = (
        0.0 if conf is None else conf.moved_share * (auto.manual_minutes - auto.residual_minutes)
    )
    moved_h = float((outcome == 0).sum()) * moved / 60
    moved_registered = ctx.facts.get("moved_registered", {})
    assert isinstance(moved_registered, dict)
    registered = float(moved_registered.get(auto.key, 0.0))
    cases = _opened_cases(ctx, auto.key)
    return {
        "hours_saved": _r(hours.sum(), 2),
        "hours_saved_by_month": _sum_by(months, hours),
        "hours_saved_by_year": _sum_by([m[:4] for m in months], hours),
        "robot_share_by_month": _robot_share(auto, cases, tx),
        "hours_moved_to_other_work": _r(moved_h, 2),
        "hours_moved_registered": _r(registered, 2),
        "budget_hours_saved": _r(hours.sum() - registered, 2),
        "cases_by_month": dict(sorted(Counter(cases["month"].to_list()).items())),
    }


def _time_before_after(
    ctx: Context, auto: Automation, by_month: dict[str, float]
) -> dict[str, Any]:
    """Registered hours per month, and their mean over whole months before and after go-live."""
    months = [month_label(t) for t in month_starts(ctx.world.start_s, ctx.world.end_s)[:-1]]
    live = auto.go_live[:7]
    before = [by_month.get(m, 0.0) for m in months if m < live]
    after = [by_month.get(m, 0.0) for m in months if m >= live]
    return {
        "aktivitet": auto.time_category,
        "month_rule": "by Dato; months before the go-live month vs from it on",
        "mean_hours_per_month_before": _r(float(np.mean(before)), 3) if before else None,
        "mean_hours_per_month_after": _r(float(np.mean(after)), 3) if after else None,
        "expected_hours_per_month_before": _r(
            auto.monthly_volume * ctx.scale * auto.manual_minutes / 60, 3
        ),
        "expected_hours_per_month_after": _r(
            auto.monthly_volume
            * ctx.scale
            * (
                auto.exception_rate * auto.manual_minutes
                + (1 - auto.exception_rate) * auto.residual_minutes
            )
            / 60,
            3,
        ),
        "hours_by_month": by_month,
    }


def _realised(auto: Automation, tx: Transactions | None) -> dict[str, Any]:
    """What the robot run data shows for one automation."""
    if tx is None or len(tx.reference) == 0:
        return {"transactions": 0, "transactions_by_month": {}}
    ok = tx.outcome == 0
    saved_min = auto.manual_minutes - auto.residual_minutes
    where = (
        "odata/QueueItems by StartProcessing month"
        if auto.platform == "uipath"
        else "flowsessions (one per transaction) by startedon month"
    )
    return {
        "counted_from": where,
        "transactions": len(tx.reference),
        "successful": int(ok.sum()),
        "business_exceptions": int((tx.outcome == 1).sum()),
        "application_exceptions": int((tx.outcome == 2).sum()),
        "transactions_by_month": _month_counts(tx.start_s),
        "successful_by_month": _month_counts(tx.start_s[ok]),
        "hours_saved": _r(ok.sum() * saved_min / 60, 2),
        "references": "QueueItem.Reference / flowsession.name = the RITM or INC number",
    }


def build_manifest(
    ctx: Context,
    plan: OrderPlan,
    entries: pl.DataFrame,
    counts: dict[str, Any],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The whole manifest."""
    by_key = {tx.automation.key: tx for tx in ctx.transactions}
    people = ctx.world.people
    effects: dict[str, Any] = {
        "integration": integration_effect(ctx, plan, entries),
        "bottleneck": bottleneck_effect(ctx),
        "devops_misuse": misuse_effect(ctx),
        "automations": [automation_effect(ctx, a, by_key.get(a.key), entries) for a in AUTOMATIONS],
    }
    if ctx.confounders is not None:
        effects["comparison"] = comparison_effect(ctx, entries)
    return {
        "schema": SCHEMA,
        "generator": {"command": "kitflow simulate", **options},
        "scenario": scenario_block(ctx),
        "conventions": {
            "hours_per_aav": HOURS_PER_AAV,
            "servicenow_times": "UTC, 'YYYY-MM-DD HH:MM:SS'",
            "other_times": "UTC ISO-8601 with Z",
            "time_registration_dates": "local working day (Europe/Copenhagen)",
            "people": (
                "sys_user.sys_id/user_name/email, sys_audit.user, ADO identities (id, uniqueName, "
                "displayName), time-registration Medarbejder, flowsession.sessionusername are "
                "personal identifiers: pseudonymise at extraction"
            ),
        },
        "organisation": {
            "service_areas": [
                {
                    "code": a.code,
                    "name": a.name,
                    "ado_area_path": f"{PROJECT}\\{a.ado_area}",
                    "assignment_group_sys_id": str(ctx.world.group_sys_id[i]),
                    "employees": a.employees,
                }
                for i, a in enumerate(SERVICE_AREAS)
            ],
            "employees": people.n_employees,
            "service_accounts": [
                str(u)
                for u in people.user_name[
                    people.n_employees : people.n_employees + people.n_accounts
                ]
            ],
            "customers": people.n - people.n_employees - people.n_accounts,
        },
        "layout": LAYOUT,
        "counts": counts,
        "effects": effects,
    }
