"""The pure Azure DevOps mapping on small recorded-shape batches, with hand-checked answers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.azure_devops import (
    build_events,
    identity_user_id,
    parse_time,
    pseudonymise_record,
    relation_row,
    service_area,
    stage_links,
    stage_revisions,
    stage_workitems,
)
from extractors.errors import SkippableRecord
from extractors.pseudonym import Pseudonymiser
from models.eventlog import build_canonical_log

FIXTURES = Path(__file__).parent / "fixtures" / "azure_devops"
P = Pseudonymiser(b"mapping-test-key-0123456789")
A, B, C = P("anha@kk.dk"), P("boni@kk.dk"), P("cabe@kk.dk")
SYS_ID = "3f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e"
API = "https://dev.azure.com/kk-kit/KIT/_apis/wit/workItems"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def batch(name: str, key: str = "values") -> list[Any]:
    records = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))[key]
    return [pseudonymise_record(r, P) for r in records]


def test_identities_become_one_pseudonym_whatever_their_shape() -> None:
    raw = json.loads((FIXTURES / "workitemrevisions.json").read_text("utf-8"))["values"]
    cleaned = pseudonymise_record(raw[1], P)
    fields = cleaned["fields"]
    assert (fields["System.ChangedBy"], fields["System.CreatedBy"]) == (A, A)
    assert fields["System.AssignedTo"] == B
    # Text identities (includeIdentityRef=false) hash the login in angle brackets.
    assert pseudonymise_record(raw[7], P)["fields"]["System.ChangedBy"] == C
    assert identity_user_id("Bo Nielsen <boni@kk.dk>") == identity_user_id(
        raw[2]["fields"]["System.CreatedBy"]
    )
    text = json.dumps([pseudonymise_record(r, P) for r in raw], ensure_ascii=False)
    for secret in ("Anne Hansen", "anha@kk.dk", "0f1e2d3c-aaaa-4bbb-8ccc-000000000001",
                   "aad.0f1e2d3caaaa4bbb8ccc0000", "Carl Berg", "cabe@kk.dk"):  # fmt: skip
        assert secret not in text


def test_revisions_are_staged_one_row_per_id_and_rev_latest_read_winning() -> None:
    staged = stage_revisions(batch("workitemrevisions"))
    frame = staged.frame
    assert frame.select("id", "rev").rows() == [
        (101, 1), (101, 2), (102, 1), (102, 2), (102, 3), (102, 4), (102, 5), (103, 1),
        (103, 2), (104, 3),
    ]  # fmt: skip
    assert frame.schema["parent"] == pl.Int64 and frame.schema["changed_date"] == pl.Datetime(
        "us", "UTC"
    )
    assert frame.row(1, named=True) == {
        "id": 101, "rev": 2, "work_item_type": "Epic", "state": "Active",
        "reason": "Implementation started",  # the second read, not "first read"
        "area_path": "KIT\\Applikationer", "iteration_path": "KIT", "team_project": "KIT",
        "parent": None, "created_date": utc("2024-03-01T08:00:00"),
        "changed_date": utc("2024-03-04T09:15:30.500"),
        "activated_date": utc("2024-03-04T09:15:30.500"), "closed_date": None,
        "changed_by": A, "assigned_to": B, "created_by": A,
    }  # fmt: skip
    closed = frame.filter((pl.col("id") == 102) & (pl.col("rev") == 5)).row(0, named=True)
    assert closed["closed_date"] == utc("2024-03-11T13:45:00")  # +01:00 in the source
    assert closed["parent"] == 101
    assert "System.Title" not in json.dumps(frame.columns)
    assert staged.quarantine.select("row_number", "reason").rows() == [
        (11, "no System.ChangedDate: the revision cannot be placed in time"),
        (12, "System.ChangedDate is '01-03-2024 10:00', not an ISO-8601 time such as "
             "2024-03-01T09:30:00.12Z"),
        (13, "not a JSON object but str: unknown shape"),
    ]  # fmt: skip


def test_an_identity_left_in_clear_is_quarantined_not_staged() -> None:
    raw = json.loads((FIXTURES / "workitemrevisions.json").read_text("utf-8"))["values"][:1]
    staged = stage_revisions(raw)
    assert staged.frame.height == 0
    assert staged.quarantine["reason"].to_list() == [
        "System.ChangedBy is an object, not a pseudonym: the batch was stored without "
        "pseudonymisation; extract again (the identity is not copied anywhere)"
    ]


def test_events_follow_state_area_and_iteration_changes() -> None:
    mapped = build_events(stage_revisions(batch("workitemrevisions")).frame)
    log = build_canonical_log(mapped.staged)
    rows = log.events.select(
        "case_id", pl.col("activity").cast(pl.String), "timestamp", "resource", "org_unit"
    ).rows()
    assert rows == [
        ("101", "Created", utc("2024-03-01T08:00:00"), A, "Applikationer"),
        ("101", "State: Active", utc("2024-03-04T09:15:30.500"), A, "Applikationer"),
        ("102", "Created", utc("2024-03-05T10:00:00.120"), B, "Applikationer"),
        ("102", "State: Active", utc("2024-03-06T11:30:00"), B, "Applikationer"),
        ("102", "Iteration changed", utc("2024-03-06T11:30:00"), B, "Applikationer"),
        ("102", "Area changed", utc("2024-03-08T13:00:00"), A, "Drift og Infrastruktur"),
        ("102", "State: Closed", utc("2024-03-11T13:45:00"), A, "Drift og Infrastruktur"),
        ("103", "Created", utc("2024-03-12T07:00:00"), C, "KIT (rod)"),
        ("103", "State: Closed", utc("2024-03-13T07:30:00"), C, "KIT (rod)"),
    ]
    assert log.quarantine.height == 0
    assert log.events["source_system"].unique().to_list() == ["azure-devops"]
    attributes = log.events.filter(pl.col("case_id") == "102").row(4, named=True)
    names = ("work_item_type", "area_path", "iteration_path", "state", "parent", "rev")
    assert {k: attributes[k] for k in names} == {
        "work_item_type": "Feature",
        "area_path": "KIT\\Drift og Infrastruktur",
        "iteration_path": "KIT\\PI 2024-2",
        "state": "Closed",
        "parent": 101,
        "rev": 5,
    }
    cases = log.events.group_by("case_id", maintain_order=True).agg(
        pl.col("case:work_item_type", "case:parent_id", "case:parent_type").first()
    )
    assert cases.rows() == [
        ("101", "Epic", None, None),
        ("102", "Feature", 101, "Epic"),
        ("103", "User Story", None, None),
    ]
    assert mapped.notes == (
        "1 work item(s) lack revision 1 in the extracted history, so they have no 'Created' "
        "event; their logs start at the first change read.",
    )


def test_service_area_is_the_first_segment_below_the_root() -> None:
    paths = pl.Series(["KIT", "KIT\\Sikkerhed", "KIT\\Applikationer\\Team Blå", "Fabrikam"])
    got = pl.DataFrame({"p": paths}).select(service_area(pl.col("p")))["p"].to_list()
    assert got == ["KIT (rod)", "Sikkerhed", "Applikationer", "Fabrikam (rod)"]


def test_links_keep_each_history_entry_once() -> None:
    staged = stage_links(batch("workitemlinks"))
    fw, rel = "System.LinkTypes.Hierarchy-Forward", "System.LinkTypes.Related"
    assert staged.frame.rows() == [
        (fw, 101, 102, utc("2024-03-05T10:00:00.120"), True),
        (fw, 102, 104, utc("2024-03-14T09:00:00"), True),
        (rel, 103, 104, utc("2024-03-14T10:00:00"), True),
        (rel, 103, 104, utc("2024-03-15T08:00:00"), False),
    ]
    assert staged.frame.columns == ["rel", "source_id", "target_id", "changed_date", "is_active"]
    assert staged.quarantine.select("row_number", "reason").rows() == [
        (6, "no changedDate: the link change cannot be placed in time")
    ]


def test_work_items_and_relations_with_both_servicenow_url_forms() -> None:
    items, relations = stage_workitems(batch("workitems", "value"))
    assert items.frame.select("id", "rev", "state", "parent", "iteration_path").rows() == [
        (101, 2, "Active", None, "KIT"),
        (102, 5, "Closed", 101, "KIT\\PI 2024-2"),
        (103, 2, "Closed", None, "KIT"),
    ]
    assert items.quarantine.select("row_number", "reason").rows() == [
        (4, "not a JSON object but NoneType: unknown shape"),
        (5, "no 'fields' object: not a work item revision (unknown shape); was the batch saved "
            "from another endpoint?"),
    ]  # fmt: skip
    fw, rv = "System.LinkTypes.Hierarchy-Forward", "System.LinkTypes.Hierarchy-Reverse"
    number_url = (
        "https://kkprod.service-now.com/nav_to.do?uri=sc_req_item.do%3Fsysparm_query%3Dnumber"
        "%3DRITM0012345"
    )
    assert relations.frame.rows() == [
        (101, fw, 102, f"{API}/102", None, None),
        (102, "ArtifactLink", None, "vstfs:///Git/Commit/1f2e%2F9a8b%2Fabc123", None, None),
        (102, "Hyperlink", None, f"https://kkprod.service-now.com/sc_req_item.do?sys_id={SYS_ID}",
         SYS_ID, None),
        (102, fw, 104, f"{API}/104", None, None),
        (102, rv, 101, f"{API}/101", None, None),
        (103, "AttachedFile", None,
         "https://dev.azure.com/kk-kit/KIT/_apis/wit/attachments/9a8b7c6d?fileName=plan.xlsx",
         None, None),
        (103, "Hyperlink", None, number_url, None, "RITM0012345"),
        (103, "Hyperlink", None, "https://wiki.kk.dk/pages/kit-safe", None, None),
    ]  # fmt: skip


def test_the_plain_number_form_and_a_bad_relation() -> None:
    url = "https://kkprod.service-now.com/nav_to.do?uri=sc_req_item.do?sysparm_query=number=RITM0000042"
    assert relation_row(7, {"rel": "Hyperlink", "url": url})["servicenow_number"] == "RITM0000042"
    with pytest.raises(SkippableRecord, match="a relation without 'rel'"):
        relation_row(7, {"url": url})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-08-25T21:54:46.06Z", dt.datetime(2015, 8, 25, 21, 54, 46, 60000, tzinfo=dt.UTC)),
        ("2023-02-03T06:22:39Z", dt.datetime(2023, 2, 3, 6, 22, 39, tzinfo=dt.UTC)),
        (
            "2024-07-01T10:00:00.1234567+02:00",
            dt.datetime(2024, 7, 1, 8, 0, 0, 123456, tzinfo=dt.UTC),
        ),
        (None, None),
    ],
)
def test_times_are_read_as_utc(text: str | None, expected: dt.datetime | None) -> None:
    assert parse_time(text, "x") == expected


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(SkippableRecord, match="a time without zone"):
        parse_time("2024-03-01T10:00:00", "System.ChangedDate")
