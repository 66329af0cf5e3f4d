"""ServiceNow reference tables: sys_user, sys_user_group, sys_choice, sc_cat_item, contract_sla."""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator.context import Context
from simulator.ids import format_servicenow_time, make_sys_ids
from simulator.servicenow import SLA_TARGET_H, catalog_items, sla_sys_ids
from simulator.world import SERVICE_AREAS

# (table, element, value, label): the codes the audit trail and records use.
CHOICES: tuple[tuple[str, str, str, str], ...] = (
    ("incident", "state", "1", "New"),
    ("incident", "state", "2", "In Progress"),
    ("incident", "state", "3", "On Hold"),
    ("incident", "state", "6", "Resolved"),
    ("incident", "state", "7", "Closed"),
    ("incident", "state", "8", "Canceled"),
    ("sc_req_item", "state", "1", "Open"),
    ("sc_req_item", "state", "2", "Work in Progress"),
    ("sc_req_item", "state", "3", "Closed Complete"),
    ("sc_req_item", "state", "4", "Closed Incomplete"),
    ("sc_req_item", "approval", "requested", "Requested"),
    ("sc_req_item", "approval", "approved", "Approved"),
    ("sc_req_item", "approval", "rejected", "Rejected"),
    ("sc_req_item", "stage", "waiting_for_approval", "Waiting for Approval"),
    ("sc_req_item", "stage", "fulfillment", "Fulfillment"),
    ("sc_req_item", "stage", "complete", "Completed"),
    ("sc_task", "state", "1", "Open"),
    ("sc_task", "state", "2", "Work in Progress"),
    ("sc_task", "state", "3", "Closed Complete"),
    ("sc_task", "state", "4", "Closed Incomplete"),
    ("incident", "category", "software", "Software"),
    ("incident", "category", "hardware", "Hardware"),
    ("incident", "category", "netvaerk", "Netværk"),
    ("incident", "category", "foresporgsel", "Forespørgsel"),
    ("incident", "category", "sikkerhed", "Sikkerhed"),
    ("incident", "category", "adgang", "Adgang og adgangskode"),
)


def build_reference_tables(ctx: Context) -> None:
    """Spill the reference tables; they were set up before the simulated period."""
    setup = format_servicenow_time(np.array([ctx.world.start_s - 400 * 86_400]))[0]
    _users(ctx, setup)
    _groups(ctx, setup)
    _choices(ctx, setup)
    _catalog(ctx, setup)
    _slas(ctx, setup)


def _users(ctx: Context, setup: str) -> None:
    """sys_user: employees, service accounts and customers."""
    people = ctx.world.people
    names = np.array([a.name for a in SERVICE_AREAS] + [""])
    group_ids = np.append(ctx.world.group_sys_id, "")
    area = np.where(people.area >= 0, people.area, len(SERVICE_AREAS))
    full = np.char.strip(np.char.add(np.char.add(people.first_name, " "), people.last_name))
    is_account = np.zeros(people.n, dtype=bool)
    is_account[people.n_employees : people.n_employees + people.n_accounts] = True
    frame = pl.DataFrame(
        {
            "sys_id": people.sys_id,
            "user_name": people.user_name,
            "first_name": people.first_name,
            "last_name": people.last_name,
            "name": full,
            "email": people.email,
            "active": np.full(people.n, "true"),
            "department": np.where(people.area >= 0, "Koncern IT", people.forvaltning),
            "u_serviceomraade": names[area],
            "u_primary_group": group_ids[area],
            "web_service_access_only": np.where(is_account, "true", "false"),
            "sys_created_on": np.full(people.n, setup),
            "sys_created_by": np.full(people.n, "admin"),
            "sys_updated_on": np.full(people.n, setup),
            "sys_updated_by": np.full(people.n, "admin"),
        }
    )
    ctx.spill.add("sys_user", frame)


def _groups(ctx: Context, setup: str) -> None:
    """sys_user_group: one assignment group per service area."""
    people = ctx.world.people
    managers = [int(people.members(a.code)[0]) for a in SERVICE_AREAS]
    n = len(SERVICE_AREAS)
    ctx.spill.add(
        "sys_user_group",
        pl.DataFrame(
            {
                "sys_id": ctx.world.group_sys_id,
                "name": [a.name for a in SERVICE_AREAS],
                "description": [
                    f"Koncern IT, serviceområde {a.name} ({a.code})" for a in SERVICE_AREAS
                ],
                "manager": people.sys_id[managers],
                "type": np.full(n, "itil"),
                "active": np.full(n, "true"),
                "sys_created_on": np.full(n, setup),
                "sys_updated_on": np.full(n, setup),
            }
        ),
    )


def _choices(ctx: Context, setup: str) -> None:
    """sys_choice: labels of the coded values the records use."""
    n = len(CHOICES)
    seq_in_element: list[str] = []
    counter: dict[tuple[str, str], int] = {}
    for table, element, _, _ in CHOICES:
        counter[(table, element)] = counter.get((table, element), 0) + 1
        seq_in_element.append(str(counter[(table, element)] * 10))
    ctx.spill.add(
        "sys_choice",
        pl.DataFrame(
            {
                "sys_id": make_sys_ids(ctx.world.seed, "sys_choice", np.arange(n, dtype=np.int64)),
                "name": [c[0] for c in CHOICES],
                "element": [c[1] for c in CHOICES],
                "value": [c[2] for c in CHOICES],
                "label": [c[3] for c in CHOICES],
                "language": np.full(n, "en"),
                "sequence": seq_in_element,
                "inactive": np.full(n, "false"),
                "sys_created_on": np.full(n, setup),
                "sys_updated_on": np.full(n, setup),
            }
        ),
    )


def _catalog(ctx: Context, setup: str) -> None:
    """sc_cat_item: the catalog items orders and requests come from."""
    names = catalog_items(with_comparison=ctx.confounders is not None)
    n = len(names)
    ctx.spill.add(
        "sc_cat_item",
        pl.DataFrame(
            {
                "sys_id": make_sys_ids(ctx.world.seed, "sc_cat_item", np.arange(n, dtype=np.int64)),
                "name": names,
                "short_description": names,
                "active": np.full(n, "true"),
                "sys_class_name": np.full(n, "sc_cat_item"),
                "sys_created_on": np.full(n, setup),
                "sys_updated_on": np.full(n, setup),
            }
        ),
    )


def _slas(ctx: Context, setup: str) -> None:
    """contract_sla: the resolution SLA definitions task_sla points at."""
    ids = sla_sys_ids(ctx)
    n = len(ids)
    ctx.spill.add(
        "contract_sla",
        pl.DataFrame(
            {
                "sys_id": list(ids.values()),
                "name": [f"Løsningstid P{p}" for p in ids],
                "collection": np.full(n, "incident"),
                "type": np.full(n, "SLA"),
                "duration": [
                    format_servicenow_time(np.array([SLA_TARGET_H[p] * 3600]))[0] for p in ids
                ],
                "sys_created_on": np.full(n, setup),
                "sys_updated_on": np.full(n, setup),
            }
        ),
    )
