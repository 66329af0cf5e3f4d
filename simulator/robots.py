"""Robot run data (kørselsdata): UiPath Orchestrator OData and Power Automate flow sessions.

UiPath: ``odata/QueueDefinitions``, ``odata/QueueItems`` (one per transaction),
``odata/QueueItemEvents`` (Create, InProgress, final status) and ``odata/Jobs`` (one queue-triggered
job per process and day). Power Automate: Dataverse ``workflows`` (the desktop flows) and
``flowsessions`` (one per transaction). Only transactions after each go-live exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from simulator.context import Context, Transactions
from simulator.ids import IntArray, format_iso_ms, format_iso_s, make_guids
from simulator.servicenow import iso_s
from simulator.world import DAY_S
from simulator.writer import write_dataverse, write_odata

ORCHESTRATOR = "https://cloud.uipath.com/kk/kit/orchestrator_/odata"
DATAVERSE = "https://kk-kit.crm4.dynamics.com/api/data/v9.2"
FOLDER_ID = 4711
QUEUE_STATUS = ("Successful", "Failed", "Failed")
EXCEPTION_TYPE = (None, "BusinessException", "ApplicationException")
# Power Automate has no business/application split: KIT's flows end in Failed (8) when a
# business rule stops them and Faulted (9) when an action breaks.
FLOW_STATUS = (4, 8, 9)
FLOW_ERROR = (None, "BusinessRuleViolation", "ActionFailed")


def _ms(seconds: IntArray, rng: np.random.Generator) -> IntArray:
    """Seconds to milliseconds with a random sub-second part."""
    return seconds * 1000 + rng.integers(0, 1000, len(seconds))


def write_robots(ctx: Context, out: Path) -> None:
    """Write both platforms' run data."""
    uipath = [tx for tx in ctx.transactions if tx.automation.platform == "uipath"]
    flows = [tx for tx in ctx.transactions if tx.automation.platform == "power_automate"]
    _write_uipath(ctx, uipath, out / "robots" / "uipath")
    _write_power_automate(ctx, flows, out / "robots" / "power-automate")


def _queue_name(tx: Transactions) -> str:
    """The Orchestrator queue an automation's dispatcher fills."""
    return tx.automation.process_name.replace("KIT_", "KIT_Queue_")


def _write_uipath(ctx: Context, txs: list[Transactions], out: Path) -> None:
    """QueueDefinitions, QueueItems, QueueItemEvents and Jobs pages."""
    rng = ctx.rng(40)
    seed = ctx.world.seed
    definitions = [
        {
            "Id": 100 + k,
            "Key": str(make_guids(seed, "uipath_queue", np.array([k], dtype=np.int64))[0]),
            "Name": _queue_name(tx),
            "Description": tx.automation.name,
            "MaxNumberOfRetries": 0,
            "AcceptAutomaticallyRetry": False,
            "EnforceUniqueReference": True,
            "CreationTime": format_iso_ms(
                np.array([iso_s(tx.automation.go_live) - 30 * DAY_S]) * 1000, trim=False
            )[0],
            "OrganizationUnitId": FOLDER_ID,
        }
        for k, tx in enumerate(txs)
    ]
    write_odata(
        out / "QueueDefinitions", definitions, context=f"{ORCHESTRATOR}/$metadata#QueueDefinitions"
    )
    frame = _uipath_frame(txs, rng)
    items = _queue_items(ctx, frame)
    written = write_odata(out / "QueueItems", items, context=f"{ORCHESTRATOR}/$metadata#QueueItems")
    ctx.count("robots", "uipath_queue_items", written)
    written = write_odata(
        out / "QueueItemEvents",
        _queue_events(frame, items),
        context=f"{ORCHESTRATOR}/$metadata#QueueItemEvents",
    )
    ctx.count("robots", "uipath_queue_item_events", written)
    jobs = _jobs(ctx, frame, rng)
    written = write_odata(out / "Jobs", jobs, context=f"{ORCHESTRATOR}/$metadata#Jobs")
    ctx.count("robots", "uipath_jobs", written)


def _uipath_frame(txs: list[Transactions], rng: np.random.Generator) -> pl.DataFrame:
    """All UiPath transactions in one frame, ordered as Orchestrator numbers them."""
    parts = [
        pl.DataFrame(
            {
                "queue": np.full(len(tx.reference), 100 + k),
                "release": np.full(len(tx.reference), tx.automation.process_name),
                "reference": tx.reference,
                "record": tx.record_sys_id,
                "created_ms": _ms(tx.created_s, rng),
                "start_ms": _ms(tx.start_s, rng),
                "end_ms": _ms(tx.end_s, rng),
                "outcome": tx.outcome,
            }
        )
        for k, tx in enumerate(txs)
    ]
    if not parts:
        return pl.DataFrame()
    frame = pl.concat(parts).sort(["created_ms", "reference"])
    # Robot times come from the same seconds as ServiceNow's: keep end after start.
    frame = frame.with_columns(
        pl.max_horizontal("end_ms", pl.col("start_ms") + 1000).alias("end_ms")
    )
    return frame.with_row_index("Id", offset=50_001)


def _queue_items(ctx: Context, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """odata/QueueItems rows, one per transaction."""
    if frame.height == 0:
        return []
    keys = make_guids(ctx.world.seed, "uipath_queue_item", frame["Id"].to_numpy().astype(np.int64))
    created = format_iso_ms(frame["created_ms"].to_numpy(), trim=False).to_list()
    start = format_iso_ms(frame["start_ms"].to_numpy(), trim=False).to_list()
    end = format_iso_ms(frame["end_ms"].to_numpy(), trim=False).to_list()
    items: list[dict[str, Any]] = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        outcome = int(row["outcome"])
        exception = None
        if outcome:
            exception = {
                "Reason": "Forretningsregel ikke opfyldt"
                if outcome == 1
                else "Element ikke fundet på skærmen",
                "Details": None,
                "Type": EXCEPTION_TYPE[outcome],
                "AssociatedImageFilePath": None,
                "CreationTime": end[i],
            }
        items.append(
            {
                "Id": int(row["Id"]),
                "Key": str(keys[i]),
                "QueueDefinitionId": int(row["queue"]),
                "Status": QUEUE_STATUS[outcome],
                "ReviewStatus": "None",
                "Priority": "Normal",
                "Reference": row["reference"],
                "ProcessingExceptionType": EXCEPTION_TYPE[outcome],
                "ProcessingException": exception,
                "DueDate": None,
                "RiskSlaDate": None,
                "DeferDate": None,
                "StartProcessing": start[i],
                "EndProcessing": end[i],
                "SecondsInPreviousAttempts": 0,
                "AncestorId": None,
                "RetryNumber": 0,
                "SpecificContent": {"Reference": row["reference"], "sys_id": row["record"]},
                "Output": {"Result": "OK"} if outcome == 0 else None,
                "Analytics": None,
                "Progress": None,
                "CreationTime": created[i],
                "OrganizationUnitId": FOLDER_ID,
            }
        )
    return items


def _queue_events(frame: pl.DataFrame, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per queue item: created (New), picked up (InProgress), finished (final status)."""
    events: list[dict[str, Any]] = []
    for item in items:
        for stamp, action, status in (
            (item["CreationTime"], "Create", "New"),
            (item["StartProcessing"], "Status", "InProgress"),
            (item["EndProcessing"], "Status", item["Status"]),
        ):
            events.append(
                {
                    "QueueItemId": item["Id"],
                    "Timestamp": stamp,
                    "Action": action,
                    "Status": status,
                    "ReviewStatus": "None",
                    "UserName": "svc_uipath_robot",
                    "ExternalClientId": None,
                }
            )
    events.sort(key=lambda e: (e["Timestamp"], e["QueueItemId"]))
    return [{"Id": 900_001 + k, **e} for k, e in enumerate(events)]


def _jobs(ctx: Context, frame: pl.DataFrame, rng: np.random.Generator) -> list[dict[str, Any]]:
    """One queue-triggered job per process and day, spanning that day's transactions."""
    if frame.height == 0:
        return []
    days = frame.with_columns((pl.col("start_ms") // (DAY_S * 1000)).alias("day"))
    jobs = (
        days.group_by(["release", "day"])
        .agg(
            pl.col("start_ms").min().alias("first"),
            pl.col("end_ms").max().alias("last"),
            pl.len().alias("items"),
        )
        .sort(["first", "release"])
    )
    start = jobs["first"].to_numpy() - 20_000
    end = jobs["last"].to_numpy() + 15_000
    n = jobs.height
    keys = make_guids(ctx.world.seed, "uipath_job", np.arange(n, dtype=np.int64))
    batch = make_guids(ctx.world.seed, "uipath_batch", np.arange(n, dtype=np.int64))
    host = rng.choice(np.array(["KIT-RPA-01", "KIT-RPA-02"]), n)
    fmt = {
        name: format_iso_ms(v, trim=False).to_list()
        for name, v in (("start", start), ("end", end), ("created", start - 5_000))
    }
    return [
        {
            "Id": 700_001 + i,
            "Key": str(keys[i]),
            "ReleaseName": row["release"],
            "ReleaseVersionId": 3,
            "ProcessType": "Process",
            "Type": "Unattended",
            "RuntimeType": "Unattended",
            "State": "Successful",
            "Source": "Queue Trigger",
            "SourceType": "Queue",
            "JobPriority": "Normal",
            "StartTime": fmt["start"][i],
            "EndTime": fmt["end"][i],
            "CreationTime": fmt["created"][i],
            "HostMachineName": str(host[i]),
            "Info": f"Job completed: {row['items']} items",
            "InputArguments": None,
            "OutputArguments": "{}",
            "BatchExecutionKey": str(batch[i]),
            "StartingScheduleId": None,
            "HasMediaRecorded": False,
            "EntryPointPath": "Main.xaml",
            "OrganizationUnitId": FOLDER_ID,
        }
        for i, row in enumerate(jobs.iter_rows(named=True))
    ]


def _write_power_automate(ctx: Context, txs: list[Transactions], out: Path) -> None:
    """Dataverse workflows and flowsessions pages."""
    seed = ctx.world.seed
    people = ctx.world.people
    flow_ids = make_guids(seed, "pa_workflow", np.arange(len(txs), dtype=np.int64))
    workflows = [
        {
            "workflowid": str(flow_ids[k]),
            "name": tx.automation.process_name,
            "category": 6,
            "statecode": 1,
            "description": tx.automation.name,
            "createdon": format_iso_s(np.array([iso_s(tx.automation.go_live) - 30 * DAY_S]))[0],
        }
        for k, tx in enumerate(txs)
    ]
    write_dataverse(out / "workflows", workflows, entity_url=f"{DATAVERSE}/workflows")
    rows: list[dict[str, Any]] = []
    machine = make_guids(seed, "pa_machine", np.arange(2, dtype=np.int64))
    for k, tx in enumerate(txs):
        attended = tx.automation.residual_minutes > 0
        fmt = {
            n: format_iso_s(v).to_list()
            for n, v in (("start", tx.start_s), ("end", tx.end_s), ("created", tx.created_s))
        }
        for i in range(len(tx.reference)):
            outcome = int(tx.outcome[i])
            rows.append(
                {
                    "createdon": fmt["created"][i],
                    "startedon": fmt["start"][i],
                    "completedon": fmt["end"][i],
                    "name": str(tx.reference[i]),
                    "_regardingobjectid_value": str(flow_ids[k]),
                    "statecode": 0,
                    "statuscode": FLOW_STATUS[outcome],
                    "runmode": 1 if attended else 2,
                    "triggertype": 2 if attended else 0,
                    "runduration": int(tx.end_s[i] - tx.start_s[i]),
                    "errorcode": FLOW_ERROR[outcome],
                    "errormessage": None if outcome == 0 else "Flow stoppet: se detaljer",
                    "_machineid_value": str(machine[0 if attended else 1]),
                    "sessionusername": str(people.user_name[tx.user[i]]),
                }
            )
    rows.sort(key=lambda r: (r["createdon"], r["name"]))
    ids = make_guids(seed, "pa_flowsession", np.arange(len(rows), dtype=np.int64))
    sessions = [{"flowsessionid": str(ids[i]), **r} for i, r in enumerate(rows)]
    written = write_dataverse(
        out / "flowsessions", sessions, entity_url=f"{DATAVERSE}/flowsessions"
    )
    ctx.count("robots", "power_automate_flowsessions", written)
