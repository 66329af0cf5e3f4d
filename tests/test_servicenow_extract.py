"""Extraction over real HTTP against the fake Table API: paging, increments, every fault, and
no employee identifier in the data folder afterwards."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from extractors.base import Cursor, RetryPolicy, iter_raw_pages, run_stream
from extractors.errors import FatalError, RetriableError
from extractors.http_status import retry_after_s
from extractors.pseudonym import KEY_ENV, Pseudonymiser
from extractors.servicenow.client import Credentials, TableClient
from extractors.servicenow.mapping import stage_records
from extractors.servicenow.streams import TableStream, stream_spec
from models.datafolder import DataFolder
from models.extraction import ExtractionCatalog
from models.store import LogStore
from services.ingestion import IngestionReport, ServiceNowConfig, ServiceNowSource, ingest
from services.ingestion import raw_records as stored_records
from tests.fakes import FakeServiceNow, generate_landscape
from tests.file_text import parquet_text

KEY = "extract-test-key-0123456789"
TABLES = ("sys_user_group", "sys_choice", "incident", "sys_audit", "task_sla")
PERSON_FIELDS = (
    "caller_id", "opened_by", "assigned_to", "sys_created_by", "sys_updated_by", "resolved_by",
    "closed_by", "user",
)  # fmt: skip


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture
def landscape() -> dict[str, list[dict[str, Any]]]:
    return generate_landscape(incidents=60, seed=7)


@pytest.fixture
def fake(landscape: dict[str, list[dict[str, Any]]]) -> Iterator[FakeServiceNow]:
    with FakeServiceNow(landscape, retry_after_s=2, slow_s=1.0) as server:
        yield server


def snapshot(data_dir: Path, log: str = "sn") -> dict[str, Any]:
    """Everything a run leaves behind that later steps read: staged tables, the log, the
    quarantine, and the raw records (as a multiset, since re-reads may repeat them)."""
    staged = {
        p.stem: pl.read_parquet(p).to_dicts()
        for p in sorted((data_dir / "02_intermediate").rglob("*.parquet"))
    }
    primary = data_dir / "03_primary" / log
    quarantine = primary / "quarantine.csv"
    return {
        "staged": staged,
        "events": pl.read_parquet(primary / "events.parquet").to_dicts(),
        "quarantine": quarantine.read_text() if quarantine.exists() else "",
        "raw": {
            t: sorted(
                json.dumps(r, sort_keys=True)
                for _, page in iter_raw_pages(raw_folder(data_dir, "servicenow", t))
                for r in page["result"]
            )
            for t in TABLES
        },
    }


def raw_folder(data_dir: Path, source: str, stream: str) -> Path:
    """The stored pages of one stream, as the data folder's owner names the folder."""
    return DataFolder.from_env(data_dir).raw(source, stream)


def run_pipeline(url: str, data_dir: Path, *, page_size: int = 7) -> IngestionReport:
    config = ServiceNowConfig(base_url=url, tables=TABLES, page_size=page_size, timeout_s=5)
    return ingest(LogStore(data_dir), ServiceNowSource(), settings=config, name="sn")


def one_stream(
    url: str,
    data_dir: Path,
    *,
    table: str = "incident",
    timeout_s: float = 5,
    max_tries: int = 5,
    sleeps: list[float] | None = None,
    credentials: Credentials | None = None,
) -> Any:
    client = TableClient(
        url,
        credentials=credentials,
        timeout_s=timeout_s,
        retry=RetryPolicy(max_tries=max_tries, base_s=0.01, cap_s=0.05),
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
        rng=random.Random(1),
    )
    stream = TableStream(stream_spec(table), client, Pseudonymiser(KEY.encode()), page_size=7)
    state = ExtractionCatalog(f"sqlite:///{data_dir / 'kitflow.db'}")
    try:
        folder = raw_folder(data_dir, "servicenow", table)
        return run_stream(stream, source="servicenow", folder=folder, state=state)
    finally:
        client.close()
        state.dispose()


def visible_ids(fake: FakeServiceNow, table: str = "incident") -> list[str]:
    return sorted(r["sys_id"] for r in fake.tables[table] if r["sys_id"] not in fake.hidden)


def staged(data_dir: Path, table: str = "incident") -> pl.DataFrame:
    """The table staged from its stored pages (latest read per sys_id)."""
    records = stored_records(DataFolder.from_env(data_dir), "servicenow", table)
    return stage_records(stream_spec(table), records).frame


def staged_ids(data_dir: Path, table: str = "incident") -> list[str]:
    return sorted(staged(data_dir, table)["sys_id"].to_list())


def test_short_pages_from_access_rules_do_not_end_the_stream(
    landscape: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    hidden = [r["sys_id"] for r in landscape["incident"][::9]]
    with FakeServiceNow(landscape, hidden=hidden) as fake:
        report = run_pipeline(fake.url, tmp_path)
        incident_pages = [p for path, p in fake.requests if path.endswith("/incident")]
    counts = [
        len(p["result"]) for _, p in iter_raw_pages(raw_folder(tmp_path, "servicenow", "incident"))
    ]
    assert any(0 < c < 7 for c in counts[:-1]), counts  # a short page, and more after it
    assert staged_ids(tmp_path) == visible_ids(fake)
    assert sum(counts) == len(visible_ids(fake))  # each record read exactly once
    assert fake.ignored_conditions == []
    assert all(
        p["sysparm_display_value"] == "false"
        and p["sysparm_exclude_reference_link"] == "true"
        and p["sysparm_no_count"] == "true"
        and p["sysparm_fields"]
        for p in incident_pages
    )
    by_stream = {r.stream: r for r in report.streams}
    assert by_stream["incident"].records == 60 - len(hidden)
    # The audit rows of incidents the user may not read are set aside, each with the reason.
    assert report.entry.quarantined == sum(
        1 for a in landscape["sys_audit"] if a["documentkey"] in set(hidden)
    )
    assert report.entry.cases == 60 - len(hidden)


def test_second_run_rereads_the_bookmark_second_and_upserts(
    fake: FakeServiceNow, tmp_path: Path
) -> None:
    run_pipeline(fake.url, tmp_path)
    incidents = fake.tables["incident"]
    last = max(incidents, key=lambda r: (r["sys_updated_on"], r["sys_id"]))
    # Updated in the bookmark's own second, with a sys_id before the bookmark's: only the
    # inclusive re-read of that second finds it.
    sneaky = {**incidents[0], "sys_id": "0" * 32, "number": "INC0999999",
              "sys_updated_on": last["sys_updated_on"]}  # fmt: skip
    changed = {**incidents[1], "priority": "1", "sys_updated_on": "2031-01-01 00:00:00"}
    incidents[1] = changed
    incidents.append(sneaky)
    before = len(fake.requests)
    result = run_pipeline(fake.url, tmp_path)
    first = next(p for path, p in fake.requests[before:] if path.endswith("/incident"))
    assert first["sysparm_query"].startswith(f"sys_updated_on>={last['sys_updated_on']}^ORDERBY")
    incidents = staged(tmp_path)
    assert sorted(incidents["sys_id"].to_list()) == visible_ids(fake)
    assert incidents.filter(pl.col("sys_id") == changed["sys_id"])["priority"].to_list() == ["1"]
    assert result.entry.cases == 61


@pytest.mark.parametrize(("fault", "times"), [("429", 1), ("500", 2), ("drop", 2), ("slow", 1)])
def test_transient_faults_are_retried_and_lose_nothing(
    fake: FakeServiceNow, tmp_path: Path, fault: Any, times: int
) -> None:
    sleeps: list[float] = []
    fake.fail_next(fault, times=times)
    result = one_stream(fake.url, tmp_path, timeout_s=0.4, sleeps=sleeps)
    assert staged_ids(tmp_path) == visible_ids(fake)
    assert result.records == 60
    assert len(sleeps) == times
    if fault == "429":
        assert sleeps == [2.0]  # Retry-After honoured exactly
    else:
        assert all(0 <= s <= 0.05 for s in sleeps)  # exponential back-off, full jitter, capped


def test_giving_up_keeps_the_bookmark_and_the_next_run_resumes(
    fake: FakeServiceNow, tmp_path: Path
) -> None:
    one_stream(fake.url, tmp_path, table="sys_user_group")  # an unrelated stream is left alone
    fake.slow_s = 0
    original = fake.answer
    calls = {"n": 0}

    def failing_after_three_pages(table: str, params: Mapping[str, str]) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            fake.fail_next("500", times=3)
        return original(table, params)

    fake.answer = failing_after_three_pages  # type: ignore[method-assign]
    with pytest.raises(
        RetriableError, match=r"gave up after 3 tries.*resumes from the last stored"
    ):
        one_stream(fake.url, tmp_path, max_tries=3)
    state = ExtractionCatalog(f"sqlite:///{tmp_path / 'kitflow.db'}")
    status = state.status("servicenow", "incident")
    assert (status.pages_stored, status.last_run_status) == (4, "failed")
    assert "gave up" in status.last_run_message
    result = one_stream(fake.url, tmp_path)
    assert result.resumed and result.run_id == status.last_run_id
    assert staged_ids(tmp_path) == visible_ids(fake)
    pages = list(iter_raw_pages(raw_folder(tmp_path, "servicenow", "incident")))
    assert sum(len(p["result"]) for _, p in pages) == 60  # resumed strictly: nothing re-read
    assert state.status("servicenow", "incident").last_run_status == "finished"
    state.dispose()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("401", "answered 401 \\(User Not Authenticated.*check the user name and password"),
        ("403", "answered 403 .*may not read this table: ask the ServiceNow team"),
    ],
)
def test_refused_credentials_stop_at_once_with_what_to_fix(
    fake: FakeServiceNow, tmp_path: Path, fault: Any, message: str
) -> None:
    fake.fail_next(fault)
    with pytest.raises(FatalError, match=message):
        one_stream(fake.url, tmp_path)
    assert len(fake.requests) == 1  # never retried


def test_wrong_password_and_unknown_table_are_fatal(fake: FakeServiceNow, tmp_path: Path) -> None:
    fake.credentials = ("integration", "right")
    with pytest.raises(FatalError, match="401"):
        one_stream(fake.url, tmp_path, credentials=Credentials("integration", "wrong"))
    assert one_stream(fake.url, tmp_path, credentials=Credentials("integration", "right")).records
    with pytest.raises(FatalError, match=r"404 \(Invalid table time_card.*check base_url"):
        right = Credentials("integration", "right")
        one_stream(fake.url, tmp_path, table="time_card", credentials=right)


def test_a_source_that_ignores_the_keyset_is_stopped(tmp_path: Path) -> None:
    class Stuck:
        def get_records(self, path: str, params: Mapping[str, str]) -> list[Any]:
            return [{"sys_id": "a", "sys_updated_on": "2025-01-01 00:00:00", "name": "G"}]

    stream = TableStream(stream_spec("sys_user_group"), Stuck(), Pseudonymiser(KEY.encode()))
    state = ExtractionCatalog(f"sqlite:///{tmp_path / 'kitflow.db'}")
    folder = raw_folder(tmp_path, "servicenow", "sys_user_group")
    with pytest.raises(FatalError, match="ignored the paging condition"):
        run_stream(stream, source="servicenow", folder=folder, state=state)
    assert stream.fetch_page(Cursor(None)).records[0]["name"] == "G"
    state.dispose()


def person_values(tables: Mapping[str, list[dict[str, Any]]]) -> set[str]:
    values = {
        str(r[f]) for rows in tables.values() for r in rows for f in PERSON_FIELDS if r.get(f)
    }
    values |= {
        r[f]
        for r in tables["sys_audit"]
        if r["fieldname"] == "assigned_to"
        for f in ("oldvalue", "newvalue")
        if r[f]
    }
    return values - {"system"}


def folder_text(folder: Path) -> Iterator[tuple[Path, str]]:
    for path in folder.rglob("*"):
        if path.suffix == ".parquet":
            yield path, parquet_text(path)
        elif path.is_file():
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def test_no_employee_identifier_reaches_the_data_folder(
    landscape: dict[str, list[dict[str, Any]]], fake: FakeServiceNow, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run_pipeline(fake.url, data)
    people = person_values(landscape)
    assert len(people) > 30
    for path, text in folder_text(data):
        found = [p for p in people if p in text]
        assert not found, f"{path} holds {found[:3]}"
    events = pl.read_parquet(data / "03_primary" / "sn" / "events.parquet")
    assert events["resource"].drop_nulls().str.starts_with("p-").all()
    assert set(events["org_unit"].drop_nulls()) <= {g["name"] for g in landscape["sys_user_group"]}


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("Wed, 21 Oct 2026 07:28:00 GMT", None), (None, None)],
)
def test_retry_after_is_read_in_seconds_for_every_client(
    header: str | None, seconds: float | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert retry_after_s(httpx.Response(429, headers=headers)) == seconds
