"""Extraction over real HTTP against the fake Azure DevOps API: continuation tokens, batches of
at most 200 ids, increments, every fault, and no identity or PAT in the data folder."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from extractors.azure_devops import DevOpsClient, PatCredentials
from extractors.base import RetryPolicy
from extractors.errors import FatalError, RetriableError
from extractors.pseudonym import KEY_ENV
from models.datafolder import DataFolder
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url
from services.ingestion import (
    AzureDevOpsConfig,
    AzureDevOpsSource,
    IngestionReport,
    ingest,
    raw_records,
)
from simulator.generate import simulate
from tests.fakes.azure_devops import FakeAzureDevOps, Fault

KEY = "ado-extract-test-key-0123456789"
PAT = "ado-pat-0123456789abcdefghijklmnopqrstuvwxyz"
PAT_ENV = "KITFLOW_TEST_ADO_PAT"
STREAMS = ("workitemrevisions", "workitemlinks", "workitems")
FAST = RetryPolicy(max_tries=3, base_s=0.01, cap_s=0.05)
# The small landscape: 528 revisions of 154 work items, 132 links (see the simulator's manifest).
REVISIONS, LINKS, ITEMS = 528, 132, 154


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(PAT_ENV, PAT)


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_landscape(tmp_path_factory.mktemp("landscape"))


def small_landscape(folder: Path) -> Path:
    """Half a year of KIT at 5 % volume: three revision batches, one of links, one of items."""
    simulate(folder, seed=7, scale=0.05, start="2024-01-01", end="2024-06-30")
    return folder


def make_fake(landscape: Path, **options: Any) -> FakeAzureDevOps:
    return FakeAzureDevOps.from_export(landscape, pat=PAT, batch_size=60, **options)


def config_for(url: str, **options: Any) -> AzureDevOpsConfig:
    values: dict[str, Any] = {"project": "KIT", "pat_env": PAT_ENV, "batch_size": 50,
                              "timeout_s": 5.0, **options}  # fmt: skip
    return AzureDevOpsConfig(organisation_url=url, **values)


def extract(url: str, data_dir: Path, **options: Any) -> IngestionReport:
    config = config_for(url, **options)
    return ingest(LogStore(data_dir), AzureDevOpsSource(), settings=config, retry=FAST)


def snapshot(data_dir: Path) -> dict[str, Any]:
    """What later steps read: staged tables, the log and its quarantine, the raw records."""
    staged = {
        p.name: pl.read_parquet(p).to_dicts() if p.suffix == ".parquet" else p.read_text()
        for p in sorted((data_dir / "02_intermediate" / "azure-devops").iterdir())
    }
    primary = data_dir / "03_primary" / "azure-devops"
    quarantine = primary / "quarantine.csv"
    return {
        "staged": staged,
        "events": pl.read_parquet(primary / "events.parquet").to_dicts(),
        "quarantine": quarantine.read_text() if quarantine.exists() else "",
        "raw": {
            s: sorted(
                json.dumps(r, sort_keys=True)
                for r in raw_records(DataFolder.from_env(data_dir), "azure-devops", s)
            )
            for s in STREAMS
        },
    }


def identities(landscape: Path) -> set[str]:
    """Every displayName, uniqueName, identity id and descriptor in the simulator's batches."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "uniqueName" in value:
                found.update(str(value[k]) for k in ("displayName", "uniqueName", "id"))
                found.add(str(value["descriptor"]))
            else:
                for v in value.values():
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in (landscape / "azure-devops").rglob("*.json"):
        walk(json.loads(path.read_text("utf-8")))
    return found


def leaks(data_dir: Path, secrets: set[str]) -> list[tuple[str, str]]:
    """(file, secret) for every secret found in any file under ``data_dir`` (Parquet read back
    as text, since its pages are compressed)."""
    found = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            text = json.dumps(pl.read_parquet(path).to_dicts(), default=str, ensure_ascii=False)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        found += [(str(path.relative_to(data_dir)), s) for s in secrets if s in text]
    return found


@dataclass(frozen=True)
class CleanRun:
    """One uninterrupted extraction: its data folder, report, requests and snapshot."""

    data: Path
    report: IngestionReport
    requests: list[tuple[str, str, dict[str, str], Any]]
    revisions: list[dict[str, Any]]
    snapshot: dict[str, Any]


@pytest.fixture(scope="module")
def clean(landscape: Path, tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    data = tmp_path_factory.mktemp("clean") / "data"
    with pytest.MonkeyPatch.context() as patch, make_fake(landscape) as fake:
        patch.setenv(KEY_ENV, KEY)  # module scope: the autouse fixtures come later
        patch.setenv(PAT_ENV, PAT)
        report = extract(fake.url, data)
        return CleanRun(data, report, list(fake.requests), fake.revisions, snapshot(data))


@pytest.fixture
def fake(landscape: Path) -> Iterator[FakeAzureDevOps]:
    with make_fake(landscape, retry_after_s=0.05, slow_s=1.0) as server:
        yield server


def test_a_full_extraction_reads_every_batch_once(clean: CleanRun) -> None:
    report = clean.report
    streams = [(r.stream, r.pages, r.records) for r in report.streams]
    assert streams == [
        ("workitemrevisions", 11, REVISIONS),  # $maxPageSize=50
        ("workitemlinks", 3, LINKS),  # the server's batch of 60
        ("workitems", 4, ITEMS),  # 50 ids a POST
    ]
    last = clean.revisions[-1]
    assert report.streams[0].bookmark is not None
    assert report.streams[0].bookmark.value == f"{REVISIONS};{last['id']};{last['rev']}"
    assert (report.entry.cases, report.entry.events) == (ITEMS, REVISIONS)
    assert [(s.table, s.rows, s.quarantined) for s in report.staged] == [
        ("revisions", REVISIONS, 0), ("links", LINKS, 0), ("workitems", ITEMS, 0),
        ("relations", 297, 0),
    ]  # fmt: skip
    # No request is spent after a batch flagged last; ids go in batches of at most 50.
    paths = [path.rsplit("/", 1)[1] for _, path, _, _ in clean.requests]
    assert paths == ["workitemrevisions"] * 11 + ["workitemlinks"] * 3 + ["workitemsbatch"] * 4
    posts = [body for method, _, _, body in clean.requests if method == "POST"]
    assert [len(b["ids"]) for b in posts] == [50, 50, 50, 4]
    assert posts[0]["$expand"] == "relations" and posts[0]["errorPolicy"] == "omit"
    first, second = clean.requests[0][2], clean.requests[1][2]
    assert first == {"includeIdentityRef": "true", "api-version": "7.1", "$maxPageSize": "50"}
    assert second["continuationToken"] == "50;{id};{rev}".format(**clean.revisions[49])


def test_the_pat_goes_as_basic_auth_with_an_empty_user(landscape: Path) -> None:
    with make_fake(landscape) as fake:
        client = DevOpsClient(fake.url, "KIT", credentials=PatCredentials(PAT))
        path = client.project_path("wit/reporting/workitemlinks")
        assert len(client.get_json(path, {"api-version": "7.1"})["values"]) == 60
        client.close()
        url = f"{fake.url}{path}?api-version=7.1"
        with_user = httpx.get(url, auth=httpx.BasicAuth("integration", PAT))
        assert with_user.status_code == 401  # the fake, like Azure DevOps, wants no user name
    assert PAT not in repr(PatCredentials(PAT))


def test_a_second_run_fetches_only_what_changed(fake: FakeAzureDevOps, tmp_path: Path) -> None:
    data = tmp_path / "data"
    extract(fake.url, data)
    item = fake.workitems[max(fake.workitems)]
    changed = json.loads(json.dumps(item))
    changed["rev"] += 1
    changed["fields"].update({"System.Rev": changed["rev"], "System.State": "Removed",
                              "System.ChangedDate": "2024-07-01T08:00:00Z"})  # fmt: skip
    fake.revisions.append({"id": changed["id"], "rev": changed["rev"], "fields": changed["fields"]})
    fake.workitems[changed["id"]] = changed
    fake.requests.clear()
    report = extract(fake.url, data)
    assert [(r.stream, r.pages, r.records) for r in report.streams] == [
        ("workitemrevisions", 1, 1), ("workitemlinks", 0, 0), ("workitems", 4, ITEMS),
    ]  # fmt: skip
    tokens = [p.get("continuationToken", "") for _, _, p, _ in fake.requests[:2]]
    assert tokens[0].startswith(f"{REVISIONS};") and tokens[1].startswith(f"{LINKS};")
    assert report.entry.events == REVISIONS + 1
    events = pl.read_parquet(data / "03_primary" / "azure-devops" / "events.parquet")
    last = events.filter(pl.col("case_id") == str(changed["id"])).tail(1)
    assert last["activity"].cast(pl.String).to_list() == ["State: Removed"]


@pytest.mark.parametrize("fault", ["429", "500", "slow", "drop"])
def test_retriable_faults_are_retried_and_change_nothing(
    fault: Fault, fake: FakeAzureDevOps, clean: CleanRun, tmp_path: Path
) -> None:
    fake.fail_next(fault, times=2)
    extract(fake.url, tmp_path / "faulty", timeout_s=0.5)
    assert len(fake.requests) == len(clean.requests) + 2
    assert snapshot(tmp_path / "faulty") == clean.snapshot


def test_retry_after_is_honoured_on_429_and_on_200(fake: FakeAzureDevOps) -> None:
    slept: list[float] = []
    client = DevOpsClient(fake.url, "KIT", credentials=PatCredentials(PAT), retry=FAST,
                          sleep=slept.append, rng=random.Random(1))  # fmt: skip
    path = client.project_path("wit/reporting/workitemlinks")
    fake.fail_next("429")
    client.get_json(path, {"api-version": "7.1"})
    assert slept == [0.05]  # exactly the Retry-After, not our own back-off
    fake.fail_next("200-retry-after")
    client.get_json(path, {"api-version": "7.1"})
    assert slept == [0.05]  # a success: the wait comes before the *next* request
    client.get_json(path, {"api-version": "7.1"})
    assert slept == [0.05, 0.05]
    client.close()


def test_giving_up_says_that_nothing_is_lost(fake: FakeAzureDevOps, tmp_path: Path) -> None:
    fake.fail_next("500", times=3)
    with pytest.raises(RetriableError, match=r"gave up after 3 tries.*resumes from the last"):
        extract(fake.url, tmp_path / "data")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("401", "401.*TF400813.*token was refused.*environment variable or secrets file"),
        ("403", "403.*'Work Items \\(Read\\)'"),
        ("404", "404.*no project 'KIT' at http://127.0.0.1"),
    ],
)
def test_fatal_answers_stop_with_what_to_fix(
    fault: Fault, expected: str, fake: FakeAzureDevOps, tmp_path: Path
) -> None:
    fake.fail_next(fault)
    data = tmp_path / "data"
    with pytest.raises(FatalError, match=expected) as raised:
        extract(fake.url, data)
    assert PAT not in str(raised.value)
    assert len(fake.requests) == 1  # no retry of a fatal answer
    catalog = ExtractionCatalog(default_database_url(data))
    status = catalog.status("azure-devops", "workitemrevisions")
    catalog.dispose()
    assert (status.last_run_status, status.pages_stored) == ("failed", 0)
    assert fault in status.last_run_message


def test_a_wrong_project_and_a_wrong_pat(
    fake: FakeAzureDevOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FatalError, match=r"TF200016.*no project 'Kit' at"):
        extract(fake.url, tmp_path / "a", project="Kit")
    monkeypatch.setenv(PAT_ENV, "an-expired-token")
    with pytest.raises(FatalError, match=r"401.*token was refused"):
        extract(fake.url, tmp_path / "b")
    monkeypatch.delenv(PAT_ENV)
    with pytest.raises(
        FatalError, match=rf"{PAT_ENV} named in the configuration is not set \(pat_env\)"
    ):
        extract(fake.url, tmp_path / "c")


def test_a_pat_from_a_secrets_file(fake: FakeAzureDevOps, tmp_path: Path) -> None:
    secret = tmp_path / "secrets" / "ado.pat"
    secret.parent.mkdir()
    secret.write_text(PAT + "\n")
    secret.chmod(0o600)  # a secrets file others may read is refused (tests/test_secrets.py)
    report = extract(fake.url, tmp_path / "data", pat_env=None, pat_file=str(secret))
    assert report.entry.events == REVISIONS


def test_no_identity_or_pat_reaches_the_data_folder(clean: CleanRun, landscape: Path) -> None:
    secrets = identities(landscape)
    assert len(secrets) > 100
    assert leaks(clean.data, secrets | {PAT}) == []
    staged = pl.read_parquet(clean.data / "02_intermediate" / "azure-devops" / "revisions.parquet")
    people = set(staged["changed_by"]) | set(staged["created_by"])
    assert all(p.startswith("p-") and len(p) == 18 for p in people)
