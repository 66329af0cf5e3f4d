"""The polars staging of plain ServiceNow records and Azure DevOps revisions gives exactly what
staging record by record gives: rows, types, order, quarantine rows and their reasons."""

from __future__ import annotations

import copy
from typing import Any

import polars as pl

from extractors.azure_devops import mapping as devops
from extractors.servicenow import mapping as snow
from extractors.servicenow.streams import stream_spec


def _same(a: Any, b: Any) -> bool:
    return (
        a.frame.schema == b.frame.schema
        and a.frame.equals(b.frame)
        and a.quarantine.equals(b.quarantine)
    )


def _incident(n: int, **values: str | None) -> dict[str, str | None]:
    record: dict[str, str | None] = {
        "sys_id": f"{n:032x}",
        "number": f"INC{n:07d}",
        "state": "2",
        "opened_at": "2024-03-01 09:00:00",
        "sys_updated_on": f"2024-03-0{n % 9 + 1} 10:00:00",
        "sys_created_on": "2024-03-01 09:00:00",
        "closed_at": "",
        "assigned_to": "p-0123456789abcdef",
    }
    return {**record, **values}


SNOW_RECORDS = [
    _incident(1),
    _incident(2, state="6"),
    _incident(1, state="7"),  # a later read of sys_id 1 wins
    _incident(3, opened_at="01-03-2024 09:00"),  # a display value: set aside
    _incident(4, sys_updated_on=""),  # no replication key: set aside
    _incident(5, sys_id=""),  # no sys_id: set aside, twice the same record kept once
    _incident(5, sys_id=""),
    _incident(3),  # the later good read of sys_id 3 replaces the bad one
]


def test_plain_servicenow_records_stage_as_record_by_record() -> None:
    spec = stream_spec("incident")
    staged = snow.stage_records(spec, SNOW_RECORDS)
    assert _same(staged, snow._stage_each(spec, SNOW_RECORDS))
    assert staged.frame["number"].to_list() == ["INC0000001", "INC0000002", "INC0000003"]
    assert staged.frame["state"].to_list() == ["7", "6", "2"]
    assert staged.frame.schema["opened_at"] == pl.Datetime("us", "UTC")
    assert staged.quarantine["row_number"].to_list() == [5, 7]
    assert staged.quarantine["reason"].to_list()[0].startswith("no sys_updated_on")


def test_servicenow_records_that_are_not_plain_are_staged_one_by_one() -> None:
    spec = stream_spec("incident")
    referenced = [*SNOW_RECORDS, {**_incident(6), "assignment_group": {"value": "g1"}}]
    numbered = [*SNOW_RECORDS, {**_incident(7), "reopen_count": 2}]
    for records in (referenced, numbered, [*SNOW_RECORDS, "not an object"]):
        assert snow._stage_plain(spec, records) is None
        assert _same(snow.stage_records(spec, records), snow._stage_each(spec, records))


def _revision(item: int, rev: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": item,
        "rev": rev,
        "fields": {
            "System.Id": item,
            "System.Rev": rev,
            "System.WorkItemType": "Feature",
            "System.State": "New" if rev == 1 else "Active",
            "System.AreaPath": "KIT\\Applikationer",
            "System.IterationPath": "KIT",
            "System.ChangedDate": f"2024-03-0{rev}T09:30:00.{rev}2Z",
            "System.ChangedBy": "p-0123456789abcdef",
            "System.Parent": 7,
            **fields,
        },
    }


def _per_record(records: list[Any]) -> devops.StagedTable:
    return devops._stage(
        records,
        devops.revision_row,
        lambda r: (r["id"], r["rev"]),
        name="revisions",
        schema=devops.REVISION_SCHEMA,
        sort=["id", "rev"],
    )


REVISIONS = [
    _revision(12, 2),
    _revision(11, 1),
    _revision(12, 1, **{"System.ChangedBy": ""}),  # no person: null
    _revision(12, 2, **{"System.State": "Closed"}),  # a later read of (12, 2) wins
    _revision(13, 1, **{"System.ChangedDate": ""}),  # no changed date: set aside
    {"rev": 1, "fields": {"System.Rev": 1, "System.ChangedDate": "2024-03-01T09:30:00Z"}},
]


def test_plain_revisions_stage_as_record_by_record() -> None:
    staged = devops.stage_revisions(REVISIONS)
    assert _same(staged, _per_record(REVISIONS))
    rows = staged.frame.select("id", "rev", "state", "changed_by").rows()
    assert rows == [
        (11, 1, "New", "p-0123456789abcdef"),
        (12, 1, "New", None),
        (12, 2, "Closed", "p-0123456789abcdef"),
    ]
    assert staged.frame["changed_date"].dt.microsecond().to_list() == [120000, 120000, 220000]
    assert staged.quarantine["row_number"].to_list() == [5, 6]


def test_revisions_that_are_not_plain_are_staged_one_by_one() -> None:
    cases = {
        "offset": {"System.ChangedDate": "2024-03-01T10:30:00+01:00"},
        "no such day": {"System.ChangedDate": "2024-02-30T09:30:00Z"},
        "number as text": {"System.State": 3},
        "identity object": {"System.ChangedBy": {"uniqueName": "anha@kk.dk"}},
    }
    for change in cases.values():
        records = copy.deepcopy(REVISIONS)
        records[0]["fields"].update(change)
        assert devops._stage_plain_revisions(records) is None
        assert _same(devops.stage_revisions(records), _per_record(records))


def test_servicenow_pages_stage_as_the_records_read_whole() -> None:
    spec = stream_spec("incident")
    pages = [SNOW_RECORDS[:3], [], SNOW_RECORDS[3:5], SNOW_RECORDS[5:]]
    staged = snow.stage_pages(spec, lambda: iter(pages))
    assert _same(staged, snow.stage_records(spec, SNOW_RECORDS))
    assert staged.quarantine["row_number"].to_list() == [5, 7]
    # One page that is not plain stages every page record by record, as one list would.
    odd = [*pages, [{**_incident(6), "reopen_count": 2}]]
    whole = [r for page in odd for r in page]
    assert _same(snow.stage_pages(spec, lambda: iter(odd)), snow._stage_each(spec, whole))
    assert snow.stage_pages(spec, lambda: iter([[], []])).frame.height == 0
