"""Exact mapping of recorded ServiceNow pages, the keyset queries, staging and pseudonyms."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.base import Bookmark, Cursor
from extractors.errors import FatalError, RetriableError, SkippableRecord
from extractors.pseudonym import (
    KEY_ENV,
    KEY_FILE_ENV,
    Pseudonymiser,
    is_pseudonym,
    load_key,
)
from extractors.servicenow import mapping
from extractors.servicenow.mapping import build_events, stage_records
from extractors.servicenow.streams import (
    build_params,
    build_query,
    pseudonymise_record,
    stream_spec,
)
from models.errors import KitflowError
from models.eventlog import build_canonical_log

FIXTURES = Path(__file__).parent / "fixtures" / "servicenow"
KEY = b"test-key-0123456789abcdef"
P = Pseudonymiser(KEY)


def fixture_records(stream: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((FIXTURES / f"{stream}.json").read_text())["result"]
    return records


def staged_fixtures() -> dict[str, pl.DataFrame]:
    tables = {}
    for stream in ("incident", "sys_audit", "sys_choice", "sys_user_group", "task_sla"):
        spec = stream_spec(stream)
        records = [pseudonymise_record(spec, r, P) for r in fixture_records(stream)]
        staged = stage_records(spec, records)
        assert staged.quarantine.height == 0
        tables[stream] = staged.frame
    return tables


def pid(user: str) -> str:
    digest = hmac.new(KEY, user.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return "p-" + digest[:16]


def test_recorded_pages_map_to_exactly_these_events() -> None:
    mapped = build_events(staged_fixtures())
    log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    rows = [
        (c, a, t.strftime("%Y-%m-%d %H:%M:%S"), r, o)
        for c, a, t, r, o in log.events.select(
            "case_id", pl.col("activity").cast(pl.String), "timestamp", "resource", "org_unit"
        ).iter_rows()
    ]
    net, desk = "Netværk og Drift", "Servicedesk"
    assert rows == [
        ("INC0010042", "Created", "2025-03-03 07:58:12", pid("jdoe"), desk),
        ("INC0010042", "SLA started", "2025-03-03 07:58:12", None, desk),
        ("INC0010042", "State: In Progress", "2025-03-03 08:05:31", pid("agent7"), desk),
        ("INC0010042", "Assigned to group", "2025-03-03 09:12:02", pid("agent7"), net),
        ("INC0010042", "Assigned to person", "2025-03-03 09:12:02", pid("agent7"), net),
        ("INC0010042", "Priority changed", "2025-03-03 09:30:00", "system", net),
        ("INC0010042", "State: Resolved", "2025-03-03 11:20:40", pid("kpetersen"), net),
        ("INC0010042", "SLA completed", "2025-03-03 11:20:40", None, net),
        ("INC0010042", "State: Closed", "2025-03-06 12:00:03", "system", net),
        ("INC0010043", "Created", "2025-03-04 09:00:00", pid("mhansen"), desk),
        ("INC0010043", "SLA started", "2025-03-04 09:00:00", None, desk),
        ("INC0010043", "SLA breached", "2025-03-04 10:00:00", None, desk),
        (
            "INC0010043",
            "Resolved",
            "2025-03-04 10:30:00",
            pid("46d44a23a9fe19810012d100cca80666"),
            desk,
        ),
        ("INC0010043", "SLA completed", "2025-03-04 10:30:00", None, desk),
    ]
    assert log.events["timestamp"].dtype == pl.Datetime("us", "UTC")
    assert log.events["source_system"].unique().to_list() == ["servicenow"]
    assert log.events["case:sys_id"][0] == "9d385017c611228701d22104cc95c371"
    assert log.quarantine["reason"].to_list() == [
        "sys_audit row refers to incident record ffffffffffffffffffffffffffffffff, which is not "
        "among the extracted records (not readable by the integration user, or deleted); "
        "extract the table again to include it"
    ]
    assert mapped.notes == (
        "1 task_sla row(s) belong to tasks not in this log (other tables, or not readable).",
    )


def test_state_labels_fall_back_to_the_raw_value_and_task_choices() -> None:
    tables = staged_fixtures()
    tables["sys_choice"] = tables["sys_choice"].filter(pl.col("name") == "task")
    events = build_events(tables).staged
    states = events.filter(pl.col("activity").str.starts_with("State"))["activity"].to_list()
    assert states == ["State: Work in Progress", "State: 6", "State: 7"]


def test_no_person_value_of_the_pages_reaches_the_events() -> None:
    events = build_events(staged_fixtures()).staged
    text = events.write_csv()
    for stream in ("incident", "sys_audit"):
        spec = stream_spec(stream)
        for record in fixture_records(stream):
            for name in spec.person_fields:
                value = record.get(name, "")
                if value and value != "system":
                    assert value not in text, (stream, name)


def test_first_page_of_a_run_reads_the_bookmark_second_again() -> None:
    spec = stream_spec("incident")
    mark = Bookmark("2025-03-03 11:20:40", "9d385017c611228701d22104cc95c371")
    assert build_query(spec, Cursor(None)) == "ORDERBYsys_updated_on^ORDERBYsys_id"
    assert build_query(spec, Cursor(mark)) == (
        "sys_updated_on>=2025-03-03 11:20:40^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert build_query(spec, Cursor(mark, resume=True)) == (
        "sys_updated_on>=2025-03-03 11:20:40^sys_updated_on>2025-03-03 11:20:40"
        "^NQsys_updated_on>=2025-03-03 11:20:40^sys_updated_on=2025-03-03 11:20:40"
        "^sys_id>9d385017c611228701d22104cc95c371^ORDERBYsys_updated_on^ORDERBYsys_id"
    )


def test_audit_keyset_repeats_the_fixed_filter_in_each_branch() -> None:
    spec = stream_spec("sys_audit")
    query = build_query(spec, Cursor(Bookmark("2025-03-03 08:05:31", "a1"), resume=True))
    fixed = (
        "tablenameINincident,sc_request,sc_req_item,sc_task"
        "^fieldnameINstate,assignment_group,assigned_to,priority,approval"
    )
    assert query == (
        f"{fixed}^sys_created_on>=2025-03-03 08:05:31^sys_created_on>2025-03-03 08:05:31"
        f"^NQ{fixed}^sys_created_on>=2025-03-03 08:05:31^sys_created_on=2025-03-03 08:05:31"
        "^sys_id>a1^ORDERBYsys_created_on^ORDERBYsys_id"
    )


def test_every_request_asks_for_values_without_links_count_or_free_text() -> None:
    params = build_params(stream_spec("incident"), Cursor(None), page_size=500)
    assert params["sysparm_display_value"] == "false"
    assert params["sysparm_exclude_reference_link"] == "true"
    assert params["sysparm_no_count"] == "true"
    assert params["sysparm_limit"] == "500"
    fields = params["sysparm_fields"].split(",")
    assert {"sys_id", "number", "sys_updated_on", "assignment_group"} <= set(fields)
    assert not {"short_description", "description", "comments", "work_notes"} & set(fields)


def test_staging_upserts_by_sys_id_and_quarantines_bad_records() -> None:
    spec = stream_spec("sys_user_group")
    old = {"sys_id": "g1", "name": "Old", "sys_updated_on": "2024-01-01 00:00:00"}
    new = {**old, "name": "New", "sys_updated_on": "2024-02-01 00:00:00"}
    local = {"sys_id": "g2", "name": "X", "sys_updated_on": "01-02-2024 01:00:00"}
    linked = {"sys_id": "g3", "name": "Y", "parent": {"link": "https://x/g1", "value": "g1"},
              "sys_updated_on": "2024-01-05 00:00:00"}  # fmt: skip
    staged = stage_records(spec, [old, local, new, "junk", {"name": "no id"}, linked])
    assert staged.frame.select("sys_id", "name", "parent").rows() == [
        ("g3", "Y", "g1"),
        ("g1", "New", None),
    ]
    assert staged.frame["sys_updated_on"][1] == dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    reasons = dict(zip(staged.quarantine["row_number"], staged.quarantine["reason"], strict=True))
    assert sorted(reasons) == [2, 4, 5]
    assert reasons[2].startswith("sys_updated_on is '01-02-2024 01:00:00', not a UTC time")
    assert reasons[4].startswith("not a JSON object")
    assert reasons[5].startswith("no sys_id")


def test_sys_audit_person_values_are_pseudonymised_but_states_are_not() -> None:
    spec = stream_spec("sys_audit")
    person, state = fixture_records("sys_audit")[2], fixture_records("sys_audit")[0]
    assert pseudonymise_record(spec, person, P)["newvalue"] == pid(person["newvalue"])
    assert pseudonymise_record(spec, state, P)["newvalue"] == "2"
    assert pseudonymise_record(spec, state, P)["user"] == pid("agent7")


def test_pseudonyms_are_keyed_normalised_and_leave_system_and_blank_alone() -> None:
    assert P("JDoe ") == P("jdoe") == pid("jdoe")
    assert is_pseudonym(P("jdoe") or "")
    assert Pseudonymiser(b"another-key-0123456789")("jdoe") != P("jdoe")
    assert P("system") == P("Guest") == "system"
    assert P("") == "" and P(None) is None


def test_key_from_environment_or_a_key_file_outside_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv(KEY_ENV, "x" * 20)
    assert load_key(data_dir=data, create=False) == b"x" * 20
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(FatalError, match="at least 16"):
        load_key(data_dir=data, create=False)
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "secret" / "pseudonym.key"))
    said: list[str] = []
    first = load_key(data_dir=data, create=True, announce=said.append)
    assert len(said) == 1 and "Created a new pseudonymisation key" in said[0]
    assert load_key(data_dir=data, create=True, announce=said.append) == first and len(said) == 1
    assert (tmp_path / "secret" / "pseudonym.key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv(KEY_FILE_ENV, str(data / "pseudonym.key"))
    with pytest.raises(FatalError, match="inside the data folder"):
        load_key(data_dir=data, create=True)


def test_error_kinds_share_the_one_root() -> None:
    for kind in (RetriableError("x"), FatalError("x"), SkippableRecord("x")):
        assert isinstance(kind, KitflowError)
    assert RetriableError("x", retry_after_s=3).retry_after_s == 3


def test_the_package_exports_exactly_its_public_names() -> None:
    from extractors import servicenow  # noqa: PLC0415

    public = {n for n in dir(servicenow) if not n.startswith("_")}
    modules = {"client", "export", "mapping", "pages", "staging_spill", "streams"}
    assert set(servicenow.__all__) == public - modules


def test_events_mapped_a_case_at_a_time_are_the_whole_logs(monkeypatch: Any) -> None:
    tables = staged_fixtures()
    whole = build_events(tables)
    monkeypatch.setattr(mapping, "CASES_PER_CHUNK", 1)
    assert len(mapping._case_ranges(tables["incident"])) == 2
    chunked = build_events(tables)
    assert chunked.staged.equals(whole.staged) and chunked.quarantine.equals(whole.quarantine)
    assert chunked.staged["event_order"].to_list() == whole.staged["event_order"].to_list()
    assert chunked.quarantine["row_number"].to_list() == [15]  # the unknown record sorts last
    assert chunked.notes == whole.notes
