"""Robot run data to the ``runs`` and ``transactions`` tables (pure).

``runs``: one row per robot run (a UiPath Job, a Power Automate flow session, a CSV row)::

    platform (uipath | power-automate | csv) · run_id · process_name · machine · robot_user
    (pseudonym) · start, end (UTC) · status · items · run_mode

``transactions``: one row per handled item (a UiPath QueueItem, a flow session, a CSV row with a
reference)::

    platform · transaction_id · run_id (null when unknown) · process_name · queue_name (null for
    Power Automate) · reference · start, end (UTC) · status · exception_reason · retry_number ·
    run_mode

**Status** is one of ``success``, ``business exception``, ``system exception``, ``cancelled`` and
``running`` (not finished when extracted: kept, so the run is visible, but it is not a handled
transaction and must not count as a saving):

- UiPath Job ``State``: Successful → success; Faulted → system exception; Stopped → cancelled;
  Pending, Running, Stopping, Terminating, Suspended, Resumed → running.
- UiPath QueueItem ``Status``: Successful → success; Failed → business exception when
  ``ProcessingExceptionType`` is BusinessException, else system exception; Abandoned (the robot
  never finished it) and Retried (failed, and a retry item was made) → system exception;
  Deleted → cancelled; New, InProgress → running.
- Power Automate ``statuscode``: 4 Succeeded → success; 8 Failed → business exception (KIT's
  flows end Failed when a business rule stops them); 9 Faulted and 10 TimedOut → system
  exception; 5 Skipped, 7 Cancelled, 11 Aborted, 12 Ignored, 13 Deleted, 14 Terminated →
  cancelled; 0 NotSpecified, 1 Paused, 2 Running, 3 Waiting, 6 Suspended → running.

**Run mode** (``run_mode``): ``unattended`` (RPA: a robot runs alone, from a schedule or a
queue) or ``attended`` (RDA: a person starts the robot on their own machine and finishes the case;
residual human minutes remain); null when the data does not say.

- UiPath Job ``Type`` (else ``RuntimeType``): Attended, StudioX, Studio, StudioPro,
  Development → attended; Unattended, NonProduction, Headless, TestAutomation → unattended. A
  queue item takes the run mode of the job that worked it.
- Power Automate ``runmode``: 0 Local and 1 Attended → attended; 2 Unattended → unattended.
- CSV: an optional ``run_mode`` column (attended / unattended).

**Which process worked a UiPath queue item.** Orchestrator's QueueItems carry the queue, not the
process. The rule: a job *covers* an item when the job's ``StartTime``–``EndTime`` window (open
while running) contains the item's ``StartProcessing``. Each queue is given the process
(``ReleaseName``) whose jobs cover most of the queue's items (ties: the first name in
alphabetical order), unless the configuration maps the queue to a process
(``queue_processes``), which wins. An item's ``run_id`` is the latest-starting job of its
queue's process that covers it (null when none does). A queue no job covers and no mapping
names keeps its queue name as process name, with a note saying to add a mapping.

Records that cannot be used (no id, an unknown state or status code, a time that is not ISO-8601,
a flow session of an unknown workflow) are quarantined with the reason and counted.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from extractors.errors import SkippableRecord

Platform = Literal["uipath", "power-automate", "csv"]
Status = Literal["success", "business exception", "system exception", "cancelled", "running"]
STATUSES: tuple[Status, ...] = (
    "success", "business exception", "system exception", "cancelled", "running",
)  # fmt: skip
UTC_US = pl.Datetime("us", "UTC")
RUNS_SCHEMA: Mapping[str, pl.DataType] = {
    "platform": pl.String(),
    "run_id": pl.String(),
    "process_name": pl.String(),
    "machine": pl.String(),
    "robot_user": pl.String(),
    "start": UTC_US,
    "end": UTC_US,
    "status": pl.String(),
    "items": pl.Int64(),
    "run_mode": pl.String(),
}
TRANSACTIONS_SCHEMA: Mapping[str, pl.DataType] = {
    "platform": pl.String(),
    "transaction_id": pl.String(),
    "run_id": pl.String(),
    "process_name": pl.String(),
    "queue_name": pl.String(),
    "reference": pl.String(),
    "start": UTC_US,
    "end": UTC_US,
    "status": pl.String(),
    "exception_reason": pl.String(),
    "retry_number": pl.Int64(),
    "run_mode": pl.String(),
}
QUARANTINE_SCHEMA: Mapping[str, pl.DataType] = {
    "platform": pl.String(),
    "stream": pl.String(),
    "record_number": pl.Int64(),
    "reason": pl.String(),
    "record": pl.String(),
}

JOB_STATES: Mapping[str, Status] = {
    "Successful": "success", "Faulted": "system exception", "Stopped": "cancelled",
    "Pending": "running", "Running": "running", "Stopping": "running",
    "Terminating": "running", "Suspended": "running", "Resumed": "running",
}  # fmt: skip
_ITEM_STATUSES: Mapping[str, Status] = {
    "Successful": "success", "Abandoned": "system exception", "Retried": "system exception",
    "Deleted": "cancelled", "New": "running", "InProgress": "running",
}  # fmt: skip
RunMode = Literal["attended", "unattended"]
UIPATH_RUN_MODES: Mapping[str, RunMode] = {
    "attended": "attended", "studiox": "attended", "studio": "attended",
    "studiopro": "attended", "development": "attended", "unattended": "unattended",
    "nonproduction": "unattended", "headless": "unattended", "testautomation": "unattended",
}  # fmt: skip
FLOW_RUN_MODES: Mapping[int, RunMode] = {0: "attended", 1: "attended", 2: "unattended"}
CSV_RUN_MODES: Mapping[str, RunMode] = {"attended": "attended", "unattended": "unattended"}
FLOW_STATUS_CODES: Mapping[int, Status] = {
    4: "success", 8: "business exception", 9: "system exception", 10: "system exception",
    5: "cancelled", 7: "cancelled", 11: "cancelled", 12: "cancelled", 13: "cancelled",
    14: "cancelled", 0: "running", 1: "running", 2: "running", 3: "running", 6: "running",
}  # fmt: skip


@dataclass(frozen=True)
class RobotTables:
    """The mapped runs and transactions, the records set aside, and notes."""

    runs: pl.DataFrame
    transactions: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...] = ()


Numbered = Iterable[tuple[int, Any]]


class _Quarantine:
    """Collects records set aside, with the stream and position they came from."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, platform: str, stream: str, number: int, reason: str, record: Any) -> None:
        text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
        self.rows.append(
            {"platform": platform, "stream": stream, "record_number": number,
             "reason": reason, "record": text}
        )  # fmt: skip

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=dict(QUARANTINE_SCHEMA))


def parse_utc(value: Any, field: str) -> dt.datetime | None:
    """An ISO-8601 time (``Z`` or an offset; none: UTC, as OData sends) in UTC; null stays null."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SkippableRecord(f"{field} {value!r} is not an ISO-8601 time")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SkippableRecord(f"{field} {value!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def latest_by_id(records: Numbered, key: str) -> list[tuple[int, Any]]:
    """The last version of each record by ``key`` (re-read pages repeat records; later pages
    are newer), in first-seen order; records without the key are kept for the quarantine."""
    latest: dict[Any, tuple[int, Any]] = {}
    others: list[tuple[int, Any]] = []
    for number, record in records:
        value = record.get(key) if isinstance(record, dict) else None
        if value is None or value == "":
            others.append((number, record))
        else:
            latest[value] = (number, record)
    return [*latest.values(), *others]


def _require(record: Any, field: str) -> Any:
    if not isinstance(record, dict):
        raise SkippableRecord(f"the record is a {type(record).__name__}, not an object")
    value = record.get(field)
    if value is None or value == "":
        raise SkippableRecord(f"{field} is missing")
    return value


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# -- UiPath ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    run_id: str
    process: str
    start: dt.datetime | None
    end: dt.datetime | None
    row: dict[str, Any]


def map_uipath(
    *,
    jobs: Numbered,
    queue_items: Numbered,
    queue_definitions: Numbered,
    queue_processes: Mapping[str, str] | None = None,
) -> RobotTables:
    """UiPath Jobs to runs and QueueItems to transactions (the module's rules)."""
    bad = _Quarantine()
    queues = _queue_names(queue_definitions, bad)
    mapped_jobs = _uipath_jobs(jobs, bad)
    items = _uipath_items(queue_items, queues, bad)
    by_process = _jobs_by_process(mapped_jobs)
    processes, notes = _queue_process_rule(items, by_process, queue_processes or {})
    counts: dict[str, int] = {}
    transactions = []
    for item in items:
        process = processes[item["_queue_key"]]
        worked_by = by_process.get(process)
        job = worked_by.covering(item["start"]) if worked_by else None
        run_id = job.run_id if job else None
        run_mode = job.row["run_mode"] if job else None
        if run_id is not None:
            counts[run_id] = counts.get(run_id, 0) + 1
        transactions.append(
            {**{k: v for k, v in item.items() if not k.startswith("_")},
             "run_id": run_id, "process_name": process, "run_mode": run_mode}
        )  # fmt: skip
    runs = [{**j.row, "items": counts.get(j.run_id, 0)} for j in mapped_jobs]
    return RobotTables(
        pl.DataFrame(runs, schema=dict(RUNS_SCHEMA)),
        pl.DataFrame(transactions, schema=dict(TRANSACTIONS_SCHEMA)),
        bad.frame(),
        notes,
    )


def _queue_names(definitions: Numbered, bad: _Quarantine) -> dict[int, str]:
    names: dict[int, str] = {}
    for number, record in latest_by_id(definitions, "Id"):
        try:
            names[int(_require(record, "Id"))] = str(_require(record, "Name"))
        except (SkippableRecord, ValueError) as error:
            bad.add("uipath", "QueueDefinitions", number, _reason(error), record)
    return names


def _reason(error: Exception) -> str:
    return error.reason if isinstance(error, SkippableRecord) else str(error)


def _uipath_jobs(records: Numbered, bad: _Quarantine) -> list[_Job]:
    jobs = []
    for number, record in latest_by_id(records, "Id"):
        try:
            jobs.append(_uipath_job(record))
        except SkippableRecord as error:
            bad.add("uipath", "Jobs", number, error.reason, record)
    return jobs


def _uipath_job(record: Any) -> _Job:
    run_id = str(record.get("Key") or _require(record, "Id")) if isinstance(record, dict) else ""
    process = str(_require(record, "ReleaseName"))
    state = str(_require(record, "State"))
    status = JOB_STATES.get(state)
    if status is None:
        raise SkippableRecord(
            f"State {state!r} is not a UiPath job state ({', '.join(JOB_STATES)})"
        )
    start, end = (
        parse_utc(record.get("StartTime"), "StartTime"),
        parse_utc(record.get("EndTime"), "EndTime"),
    )
    robot = record.get("Robot")
    user = robot.get("Username") if isinstance(robot, dict) else None
    row = {
        "platform": "uipath", "run_id": run_id, "process_name": process,
        "machine": _text(record.get("HostMachineName")), "robot_user": _text(user),
        "start": start, "end": end, "status": status, "run_mode": _uipath_run_mode(record),
    }  # fmt: skip
    return _Job(run_id, process, start, end, row)


def _uipath_run_mode(record: dict[str, Any]) -> RunMode | None:
    for field in ("Type", "RuntimeType"):
        value = record.get(field)
        if isinstance(value, str) and value.casefold() in UIPATH_RUN_MODES:
            return UIPATH_RUN_MODES[value.casefold()]
    return None


def _uipath_items(
    records: Numbered, queues: Mapping[int, str], bad: _Quarantine
) -> list[dict[str, Any]]:
    items = []
    for number, record in latest_by_id(records, "Id"):
        try:
            items.append(_uipath_item(record, queues))
        except SkippableRecord as error:
            bad.add("uipath", "QueueItems", number, error.reason, record)
    return items


def _uipath_item(record: Any, queues: Mapping[int, str]) -> dict[str, Any]:
    item_id = str(_require(record, "Id"))
    status_text = str(_require(record, "Status"))
    kind = record.get("ProcessingExceptionType")
    if status_text == "Failed":
        status: Status | None = (
            "business exception" if kind == "BusinessException" else "system exception"
        )
    else:
        status = _ITEM_STATUSES.get(status_text)
    if status is None:
        raise SkippableRecord(f"Status {status_text!r} is not a UiPath queue item status")
    queue_id = record.get("QueueDefinitionId")
    queue = (
        queues.get(int(queue_id))
        if isinstance(queue_id, int | str) and str(queue_id).isdigit()
        else None
    )
    exception = record.get("ProcessingException")
    reason = exception.get("Reason") if isinstance(exception, dict) else None
    retry = record.get("RetryNumber")
    return {
        "platform": "uipath", "transaction_id": item_id, "queue_name": queue,
        "reference": _text(record.get("Reference")),
        "start": parse_utc(record.get("StartProcessing"), "StartProcessing"),
        "end": parse_utc(record.get("EndProcessing"), "EndProcessing"),
        "status": status, "exception_reason": _text(reason),
        "retry_number": int(retry) if isinstance(retry, int) else 0,
        "_queue_key": queue or f"queue {queue_id}",
    }  # fmt: skip


def _jobs_by_process(jobs: list[_Job]) -> dict[str, _Jobs]:
    grouped: dict[str, list[_Job]] = {}
    for job in jobs:
        if job.start is not None:
            grouped.setdefault(job.process, []).append(job)
    return {name: _Jobs.of(group) for name, group in grouped.items()}


@dataclass(frozen=True)
class _Jobs:
    """One process's jobs by start time, the longest finished one (to bound the search) and
    the ones still open (a running job covers everything after its start)."""

    jobs: tuple[_Job, ...]
    starts: tuple[dt.datetime, ...]
    longest: dt.timedelta
    still_open: tuple[_Job, ...]

    @staticmethod
    def of(jobs: list[_Job]) -> _Jobs:
        ordered = tuple(sorted(jobs, key=lambda j: (j.start, j.run_id)))
        spans = [j.end - j.start for j in ordered if j.end is not None and j.start is not None]
        starts = tuple(j.start for j in ordered if j.start is not None)
        still_open = tuple(j for j in reversed(ordered) if j.end is None)
        return _Jobs(ordered, starts, max(spans, default=dt.timedelta(0)), still_open)

    def covering(self, moment: dt.datetime | None) -> _Job | None:
        """The latest-starting job whose window contains ``moment``."""
        if moment is None:
            return None
        at = bisect.bisect_right(self.starts, moment) - 1
        while at >= 0:
            job = self.jobs[at]
            if _covers(job, moment):
                return job
            if moment - self.starts[at] > self.longest:
                break  # every earlier finished job ended before ``moment``
            at -= 1
        return next((j for j in self.still_open if _covers(j, moment)), None)


def _queue_process_rule(
    items: list[dict[str, Any]], by_process: Mapping[str, _Jobs], mapping: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    votes: dict[str, dict[str, int]] = {}
    for item in items:
        tally = votes.setdefault(item["_queue_key"], {})
        for name, jobs in by_process.items():
            if jobs.covering(item["start"]) is not None:
                tally[name] = tally.get(name, 0) + 1
    processes: dict[str, str] = {}
    unmatched: list[str] = []
    for queue, tally in votes.items():
        if queue in mapping:
            processes[queue] = mapping[queue]
        elif tally:
            processes[queue] = min(tally, key=lambda name: (-tally[name], name))
        else:
            processes[queue] = queue
            unmatched.append(queue)
    notes = tuple(
        f"no job covers the items of queue {q!r}, so its process name is the queue's name; "
        "name its process under queue_processes in the robots configuration."
        for q in unmatched
    )
    return processes, notes


def _covers(job: _Job, moment: dt.datetime) -> bool:
    if job.start is None or moment < job.start:
        return False
    return job.end is None or moment <= job.end


# -- Power Automate --------------------------------------------------------------------------


def map_power_automate(*, flowsessions: Numbered, workflows: Numbered) -> RobotTables:
    """Each flow session is one run and one transaction of its workflow (desktop flow)."""
    bad = _Quarantine()
    names: dict[str, str] = {}
    for number, record in latest_by_id(workflows, "workflowid"):
        try:
            names[str(_require(record, "workflowid"))] = str(_require(record, "name"))
        except SkippableRecord as error:
            bad.add("power-automate", "workflows", number, error.reason, record)
    runs, transactions = [], []
    for number, record in latest_by_id(flowsessions, "flowsessionid"):
        try:
            run, transaction = _flow_session(record, names)
        except SkippableRecord as error:
            bad.add("power-automate", "flowsessions", number, error.reason, record)
            continue
        runs.append(run)
        transactions.append(transaction)
    return RobotTables(
        pl.DataFrame(runs, schema=dict(RUNS_SCHEMA)),
        pl.DataFrame(transactions, schema=dict(TRANSACTIONS_SCHEMA)),
        bad.frame(),
    )


def _flow_session(
    record: Any, workflows: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    session_id = str(_require(record, "flowsessionid"))
    flow = str(_require(record, "_regardingobjectid_value"))
    process = workflows.get(flow)
    if process is None:
        raise SkippableRecord(
            f"_regardingobjectid_value {flow} is not among the extracted workflows: "
            "extract the workflows table too"
        )
    code = record.get("statuscode")
    status = FLOW_STATUS_CODES.get(code) if isinstance(code, int) else None
    if status is None:
        raise SkippableRecord(f"statuscode {code!r} is not a flowsession status code (0-14)")
    start = parse_utc(record.get("startedon"), "startedon")
    end = parse_utc(record.get("completedon"), "completedon")
    reason = record.get("errormessage") or record.get("errorcode")
    mode = record.get("runmode")
    run_mode = FLOW_RUN_MODES.get(mode) if isinstance(mode, int) else None
    run = {
        "platform": "power-automate", "run_id": session_id, "process_name": process,
        "machine": _text(record.get("_machineid_value")),
        "robot_user": _text(record.get("sessionusername")),
        "start": start, "end": end, "status": status, "items": 1, "run_mode": run_mode,
    }  # fmt: skip
    transaction = {
        "platform": "power-automate", "transaction_id": session_id, "run_id": session_id,
        "process_name": process, "queue_name": None, "reference": _text(record.get("name")),
        "start": start, "end": end, "status": status, "exception_reason": _text(reason),
        "retry_number": 0, "run_mode": run_mode,
    }  # fmt: skip
    return run, transaction


# -- generic CSV -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "process", "run_id", "start", "end", "status", "machine", "items", "reference",
    "transaction_id", "robot_user", "queue", "exception_reason", "retry_number", "run_mode",
)  # fmt: skip
CSV_REQUIRED = ("process", "run_id", "start", "status")
CSV_STATUS_WORDS: Mapping[str, Status] = {
    "success": "success", "successful": "success", "succeeded": "success", "ok": "success",
    "business exception": "business exception", "businessexception": "business exception",
    "business": "business exception", "system exception": "system exception",
    "systemexception": "system exception", "application exception": "system exception",
    "applicationexception": "system exception", "failed": "system exception",
    "faulted": "system exception", "error": "system exception", "cancelled": "cancelled",
    "canceled": "cancelled", "stopped": "cancelled", "running": "running",
    "pending": "running", "in progress": "running",
}  # fmt: skip


def map_robot_csv(rows: Numbered, *, file: str, local_zone: dt.tzinfo) -> RobotTables:
    """Rows of a generic robot CSV (``CSV_COLUMNS``; robot_user pseudonymised) to runs and,
    for rows with a reference, transactions. Rows sharing a ``run_id`` form one run: its start
    is the earliest, its end the latest, its items the row count (or the sum of ``items``) and
    its status the first row's that is not success (else success)."""
    bad = _Quarantine()
    runs: dict[str, dict[str, Any]] = {}
    transactions = []
    for number, row in rows:
        try:
            run, transaction = _csv_row(row, number, file, local_zone)
        except SkippableRecord as error:
            bad.add("csv", file, number, error.reason, row)
            continue
        _merge_run(runs, run)
        if transaction is not None:
            transactions.append(transaction)
    return RobotTables(
        pl.DataFrame(list(runs.values()), schema=dict(RUNS_SCHEMA)),
        pl.DataFrame(transactions, schema=dict(TRANSACTIONS_SCHEMA)),
        bad.frame(),
    )


def _local_time(value: Any, field: str, zone: dt.tzinfo) -> dt.datetime | None:
    moment = parse_utc(value, field)
    if moment is None or (isinstance(value, str) and _has_zone(value)):
        return moment
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)  # a local time: the declared zone


def _has_zone(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith("Z") or "+" in tail or "-" in tail


def _csv_row(
    row: Any, number: int, file: str, zone: dt.tzinfo
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    for name in CSV_REQUIRED:
        _require(row, name)
    word = str(row["status"]).strip().casefold()
    status = CSV_STATUS_WORDS.get(word)
    if status is None:
        raise SkippableRecord(f"status {row['status']!r} is not one of {', '.join(STATUSES)}")
    start, end = _local_time(row["start"], "start", zone), _local_time(row.get("end"), "end", zone)
    items_text = str(row.get("items") or "").strip()
    if items_text and not items_text.isdigit():
        raise SkippableRecord(f"items {items_text!r} is not a whole number")
    mode_text = str(row.get("run_mode") or "").strip().casefold()
    run_mode = CSV_RUN_MODES.get(mode_text)
    run = {
        "platform": "csv", "run_id": str(row["run_id"]), "process_name": str(row["process"]),
        "machine": _text(row.get("machine")), "robot_user": _text(row.get("robot_user")),
        "start": start, "end": end, "status": status,
        "items": int(items_text) if items_text else 1, "run_mode": run_mode,
    }  # fmt: skip
    reference = _text(row.get("reference"))
    if reference is None:
        return run, None
    retry = str(row.get("retry_number") or "0").strip()
    transaction = {
        "platform": "csv", "transaction_id": _text(row.get("transaction_id")) or f"{file}:{number}",
        "run_id": str(row["run_id"]), "process_name": str(row["process"]),
        "queue_name": _text(row.get("queue")), "reference": reference, "start": start,
        "end": end, "status": status, "exception_reason": _text(row.get("exception_reason")),
        "retry_number": int(retry) if retry.isdigit() else 0, "run_mode": run_mode,
    }  # fmt: skip
    return run, transaction


def _merge_run(runs: dict[str, dict[str, Any]], run: dict[str, Any]) -> None:
    known = runs.get(run["run_id"])
    if known is None:
        runs[run["run_id"]] = run
        return
    known["items"] += run["items"]
    known["start"] = min(d for d in (known["start"], run["start"]) if d is not None)
    ends = [d for d in (known["end"], run["end"]) if d is not None]
    known["end"] = max(ends) if ends else None
    if known["status"] == "success":
        known["status"] = run["status"]
