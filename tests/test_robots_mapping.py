"""The robot mapping on small hand-made records: every status rule, the queue-to-process rule,
quarantine reasons, the generic CSV, and the UiPath query built from a saved bookmark."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.base import Bookmark, Cursor
from extractors.pseudonym import KEY_ENV, Pseudonymiser
from extractors.robots import (
    UIPATH_STREAMS,
    map_power_automate,
    map_robot_csv,
    map_uipath,
    uipath_params,
)
from extractors.robots.streams import _low_water
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url
from services.ingestion import RobotsSource, ingest

Record = dict[str, Any]
KEY = "robots-mapping-key-0123456789"
FIXTURES = Path(__file__).parent / "fixtures" / "robots"


def utc(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, second, tzinfo=dt.UTC)


def job(
    job_id: int, release: str, start: str, end: str | None, state: str = "Successful"
) -> Record:
    return {"Id": job_id, "Key": f"job-{job_id}", "ReleaseName": release, "State": state,
            "StartTime": start, "EndTime": end, "HostMachineName": "KIT-RPA-01"}  # fmt: skip


def item(
    item_id: int, queue: int, status: str, start: str | None, kind: str | None = None
) -> Record:
    exception = {"Reason": "Forretningsregel", "Type": kind} if kind else None
    return {"Id": item_id, "QueueDefinitionId": queue, "Status": status, "Reference": f"R{item_id}",
            "ProcessingExceptionType": kind, "ProcessingException": exception,
            "StartProcessing": start, "EndProcessing": start, "RetryNumber": 0}  # fmt: skip


QUEUES = [
    (1, {"Id": 1, "Name": "Q_A"}),
    (2, {"Id": 2, "Name": "Q_B"}),
    (3, {"Id": 3, "Name": "Q_C"}),
]
JOBS = [
    (1, job(10, "Proc_A", "2024-03-04T08:00:00.000Z", "2024-03-04T12:00:00.000Z")),
    # Proc_B's job overlaps Proc_A's: the vote per queue tells them apart (Q_B: 2 to 1).
    (2, job(11, "Proc_B", "2024-03-04T09:00:00.000Z", "2024-03-04T13:00:00.000Z")),
    (3, job(12, "Proc_A", "2024-03-05T08:00:00Z", None, state="Running")),
    (4, job(13, "Proc_A", "2024-03-06T08:00:00Z", "2024-03-06T09:00:00Z", state="Faulted")),
    (5, job(14, "Proc_A", "", None, state="Pending")),
    (6, job(15, "Proc_A", "2024-03-07T08:00:00Z", None, state="Exploded")),
]


def test_uipath_status_rules_queue_process_vote_and_quarantine() -> None:
    items = [
        (1, item(100, 1, "Successful", "2024-03-04T08:30:00Z")),
        (2, item(101, 1, "Failed", "2024-03-04T09:30:00Z", "BusinessException")),
        (3, item(102, 1, "Failed", "2024-03-05T09:30:00Z", "ApplicationException")),
        (4, item(103, 1, "Abandoned", "2024-03-04T11:00:00Z")),
        (5, item(104, 2, "Successful", "2024-03-04T09:15:00Z")),
        (6, item(105, 2, "Retried", "2024-03-04T12:30:00Z")),
        (7, item(106, 1, "Deleted", None)),
        (8, item(107, 1, "New", None)),
        (9, item(108, 3, "Successful", "2024-03-03T08:00:00Z")),
        (10, item(109, 1, "Weird", None)),
        (11, {"Status": "Successful"}),
    ]
    tables = map_uipath(jobs=JOBS, queue_items=items, queue_definitions=QUEUES)
    rows = tables.transactions.select(
        "transaction_id", "run_id", "process_name", "queue_name", "status"
    ).rows()
    assert rows == [
        ("100", "job-10", "Proc_A", "Q_A", "success"),
        ("101", "job-10", "Proc_A", "Q_A", "business exception"),
        ("102", "job-12", "Proc_A", "Q_A", "system exception"),
        ("103", "job-10", "Proc_A", "Q_A", "system exception"),
        ("104", "job-11", "Proc_B", "Q_B", "success"),
        ("105", "job-11", "Proc_B", "Q_B", "system exception"),
        ("106", None, "Proc_A", "Q_A", "cancelled"),
        ("107", None, "Proc_A", "Q_A", "running"),
        ("108", None, "Q_C", "Q_C", "success"),
    ]
    assert tables.transactions["exception_reason"][1] == "Forretningsregel"
    assert tables.runs.select("run_id", "status", "items").rows() == [
        ("job-10", "success", 3), ("job-11", "success", 2), ("job-12", "running", 1),
        ("job-13", "system exception", 0), ("job-14", "running", 0),
    ]  # fmt: skip
    assert tables.runs["start"][0] == utc(4, 8)
    assert tables.quarantine.select("stream", "record_number", "reason").rows() == [
        ("Jobs", 6, "State 'Exploded' is not a UiPath job state (Successful, Faulted, Stopped, "
         "Pending, Running, Stopping, Terminating, Suspended, Resumed)"),
        ("QueueItems", 10, "Status 'Weird' is not a UiPath queue item status"),
        ("QueueItems", 11, "Id is missing"),
    ]  # fmt: skip
    assert tables.notes == (
        "no job covers the items of queue 'Q_C', so its process name is the queue's name; "
        "name its process under queue_processes in the robots configuration.",
    )
    mapped = map_uipath(
        jobs=JOBS, queue_items=items[:9], queue_definitions=QUEUES,
        queue_processes={"Q_C": "Proc_C", "Q_B": "Proc_A"},
    )  # fmt: skip
    assert mapped.transactions["process_name"].to_list()[4:] == [
        "Proc_A", "Proc_A", "Proc_A", "Proc_A", "Proc_C",
    ]  # fmt: skip
    assert mapped.notes == ()


def test_power_automate_status_codes_and_unknown_workflow() -> None:
    def session(n: int, code: object, flow: str = "wf-1") -> tuple[int, dict[str, Any]]:
        return n, {"flowsessionid": f"s{n}", "name": f"RITM{n}", "_regardingobjectid_value": flow,
                   "statuscode": code, "startedon": "2024-06-03T07:02:37Z",
                   "completedon": "2024-06-03T07:04:11Z", "sessionusername": "p-1",
                   "errormessage": None if code == 4 else "Flow stoppet",
                   "runmode": n % 3}  # fmt: skip

    codes = [4, 8, 9, 10, 7, 11, 14, 5, 2, 3]
    sessions = [session(i, c) for i, c in enumerate(codes, start=1)]
    sessions += [session(11, 99), session(12, 4, flow="wf-unknown")]
    tables = map_power_automate(
        flowsessions=sessions, workflows=[(1, {"workflowid": "wf-1", "name": "KIT Journal"})]
    )
    assert tables.transactions["status"].to_list() == [
        "success", "business exception", "system exception", "system exception", "cancelled",
        "cancelled", "cancelled", "cancelled", "running", "running",
    ]  # fmt: skip
    first = tables.transactions.row(0, named=True)
    assert first == {
        "platform": "power-automate", "transaction_id": "s1", "run_id": "s1",
        "process_name": "KIT Journal", "queue_name": None, "reference": "RITM1",
        "start": utc(3, 7, 2, 37, month=6), "end": utc(3, 7, 4, 11, month=6),
        "status": "success", "exception_reason": None, "retry_number": 0,
        "run_mode": "attended",
    }  # fmt: skip
    assert tables.runs["items"].to_list() == [1] * 10
    # runmode 0 Local and 1 Attended: attended (RDA); 2 Unattended: unattended (RPA).
    assert tables.runs["run_mode"].to_list() == [
        "attended", "unattended", "attended", "attended", "unattended", "attended", "attended",
        "unattended", "attended", "attended",
    ]  # fmt: skip
    assert tables.transactions["run_mode"].to_list() == tables.runs["run_mode"].to_list()
    assert tables.quarantine.select("record_number", "reason").rows() == [
        (11, "statuscode 99 is not a flowsession status code (0-14)"),
        (12, "_regardingobjectid_value wf-unknown is not among the extracted workflows: "
             "extract the workflows table too"),
    ]  # fmt: skip


def test_generic_csv_runs_transactions_and_quarantine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    store = LogStore(tmp_path)
    report = ingest(store, RobotsSource(), exports=[FIXTURES / "runs.csv"])
    runs = pl.read_parquet(store.data.robot_runs())
    bot = Pseudonymiser(KEY.encode())("svc_bot")
    assert runs.to_dicts() == [
        {"platform": "csv", "run_id": "r1", "process_name": "KIT_Fakturering", "machine": "VM-1",
         "robot_user": bot, "start": utc(4, 8), "end": utc(4, 8, 7, 30),
         "status": "business exception", "items": 2, "run_mode": None},
        {"platform": "csv", "run_id": "r2", "process_name": "KIT_Fakturering", "machine": "VM-2",
         "robot_user": bot, "start": utc(1, 10, month=7), "end": None, "status": "running",
         "items": 1, "run_mode": None},
    ]  # fmt: skip
    transactions = pl.read_parquet(store.data.robot_transactions())
    columns = ("transaction_id", "reference", "status", "exception_reason")
    assert transactions.select(columns).rows() == [
        ("csv-runs:2", "RITM0001", "success", None),
        ("csv-runs:3", "RITM0002", "business exception", "Mangler CPR"),
    ]  # fmt: skip
    assert report.quarantined == 2
    quarantine = pl.read_csv(store.data.robots_folder() / "quarantine.csv")
    assert quarantine.select("stream", "record_number").rows() == [("csv-runs", 5), ("csv-runs", 6)]
    assert quarantine["reason"].to_list() == [
        "status 'exploded' is not one of success, business exception, system exception, "
        "cancelled, running",
        "start 'yesterday' is not an ISO-8601 time",
    ]
    assert "svc_bot" not in (tmp_path / "01_raw/robots/csv-runs/page-0000001.json").read_text()
    state = ExtractionCatalog(default_database_url(tmp_path))
    try:
        assert state.status("robots", "csv-runs").quarantined == 2
    finally:
        state.dispose()


def test_uipath_query_from_a_saved_bookmark_and_the_low_water_mark() -> None:
    spec = UIPATH_STREAMS["QueueItems"]
    fields = ",".join(spec.fields)
    assert uipath_params(spec, Cursor(None), page_size=500) == {
        "$top": "500", "$orderby": "Id asc", "$select": fields,
    }  # fmt: skip
    resumed = Cursor(Bookmark("50210", "50100"), resume=True)
    assert uipath_params(spec, resumed, page_size=500)["$filter"] == "Id gt 50210"
    new_run = Cursor(Bookmark("50210", "50100"), resume=False)
    assert uipath_params(spec, new_run, page_size=500)["$filter"] == "Id gt 50100"
    assert uipath_params(spec, Cursor(Bookmark("50210", "")), page_size=5)["$filter"] == (
        "Id gt 50210"
    )
    page = ({"Id": 50211, "Status": "Successful"}, {"Id": 50212, "Status": "InProgress"})
    assert _low_water(spec, Cursor(Bookmark("50210", ""), resume=True), page) == "50211"
    assert _low_water(spec, resumed, page) == "50100"
    assert _low_water(spec, new_run, page) == "50211"


@pytest.mark.parametrize("name", ["robots", "time_registration"])
def test_the_packages_export_exactly_their_public_names(name: str) -> None:
    package = importlib.import_module(f"extractors.{name}")
    public = {n for n in dir(package) if not n.startswith("_")}
    modules = {"client", "export", "mapping", "streams"}
    assert set(package.__all__) == public - modules


def test_uipath_run_mode_from_the_jobs_type_and_the_items_from_their_job() -> None:
    jobs = [
        (1, {**job(10, "Proc_A", "2024-03-04T08:00:00Z", "2024-03-04T12:00:00Z"),
             "Type": "Unattended"}),
        (2, {**job(11, "Proc_B", "2024-03-05T08:00:00Z", "2024-03-05T12:00:00Z"),
             "Type": "Attended"}),
        (3, {**job(12, "Proc_C", "2024-03-06T08:00:00Z", "2024-03-06T12:00:00Z"),
             "RuntimeType": "StudioX"}),
        (4, job(13, "Proc_D", "2024-03-07T08:00:00Z", "2024-03-07T12:00:00Z")),
    ]  # fmt: skip
    items = [
        (1, item(100, 1, "Successful", "2024-03-04T08:30:00Z")),
        (2, item(101, 2, "Successful", "2024-03-05T08:30:00Z")),
        (3, item(102, 3, "Successful", "2024-03-07T08:30:00Z")),
        (4, item(103, 3, "Successful", "2024-03-09T08:30:00Z")),
    ]
    tables = map_uipath(jobs=jobs, queue_items=items, queue_definitions=QUEUES)
    assert tables.runs.select("run_id", "run_mode").rows() == [
        ("job-10", "unattended"), ("job-11", "attended"), ("job-12", "attended"),
        ("job-13", None),
    ]  # fmt: skip
    # An item takes its job's run mode; one no job covers has none.
    assert tables.transactions.select("transaction_id", "run_mode").rows() == [
        ("100", "unattended"), ("101", "attended"), ("102", None), ("103", None),
    ]  # fmt: skip


def test_the_robot_csvs_run_mode_column() -> None:
    def row(run: str, mode: str) -> dict[str, str]:
        return {"process": "KIT_Bot", "run_id": run, "start": "2024-03-04T09:00:00Z",
                "status": "success", "reference": f"RITM{run}", "run_mode": mode}  # fmt: skip

    rows = [(1, row("a", "Attended")), (2, row("b", " unattended ")), (3, row("c", "")),
            (4, row("d", "sometimes"))]  # fmt: skip
    tables = map_robot_csv(rows, file="runs.csv", local_zone=dt.UTC)
    assert tables.runs["run_mode"].to_list() == ["attended", "unattended", None, None]
    assert tables.transactions["run_mode"].to_list() == ["attended", "unattended", None, None]
