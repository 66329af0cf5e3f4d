"""Robot runs: the simulated landscape's automations recovered exactly from the export, and
extraction over real HTTP against the fake UiPath and Dataverse APIs, with every fault."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.base import RetryPolicy
from extractors.errors import FatalError
from extractors.pseudonym import KEY_ENV
from models.datafolder import DataFolder
from models.store import LogStore
from services.ingestion import (
    IngestionReport,
    PlatformConfig,
    RobotsConfig,
    RobotsSource,
    ingest,
)
from services.ingestion import raw_records as stored_records
from services.ingestion.robots import read_robots_config
from simulator.generate import simulate
from tests.fakes.power_automate import FakePowerAutomate
from tests.fakes.uipath import FakeUiPath

KEY = "robots-test-key-0123456789"
TOKEN_ENV = "KITFLOW_TEST_ROBOT_TOKEN"
FAST = RetryPolicy(max_tries=6, base_s=0.01, cap_s=0.02)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(TOKEN_ENV, "fake-token")


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landscape")
    simulate(out, seed=42, scale=0.05, start="2024-04-01", end="2024-07-31")
    return out


def saved(landscape: Path, platform: str, entity: str) -> list[dict[str, Any]]:
    folder = landscape / "robots" / platform / entity
    return [
        r for p in sorted(folder.glob("page-*.json")) for r in json.loads(p.read_text())["value"]
    ]


def primary_folder(data_dir: Path) -> Path:
    """``03_primary/robots`` of the data folder ``data_dir``."""
    return DataFolder.from_env(data_dir).robots_folder()


def extract_robots(store: LogStore, config: RobotsConfig, **options: Any) -> IngestionReport:
    return ingest(store, RobotsSource(), settings=config, **options)


def import_robot_export(store: LogStore, export: Path) -> IngestionReport:
    return ingest(store, RobotsSource(), exports=[export])


def per_automation(transactions: pl.DataFrame, process: str) -> dict[str, Any]:
    part = transactions.filter(pl.col("process_name") == process)
    count = {s: part.filter(pl.col("status") == s).height for s in (
        "success", "business exception", "system exception")}  # fmt: skip
    months = part.group_by(pl.col("start").dt.strftime("%Y-%m")).len().iter_rows()
    return {
        "transactions": part.height,
        "successful": count["success"],
        "business_exceptions": count["business exception"],
        "application_exceptions": count["system exception"],
        "transactions_by_month": dict(months),
    }


def assert_automations_recovered(landscape: Path, data_dir: Path) -> None:
    manifest = json.loads((landscape / "manifest.json").read_text("utf-8"))
    transactions = pl.read_parquet(primary_folder(data_dir) / "transactions.parquet")
    checked = 0
    for automation in manifest["effects"]["automations"]:
        robot = automation["robot"]
        if not robot.get("transactions"):
            continue
        expected = {k: robot[k] for k in (
            "transactions", "successful", "business_exceptions", "application_exceptions",
            "transactions_by_month")}  # fmt: skip
        assert per_automation(transactions, automation["process_name"]) == expected
        checked += 1
    assert checked >= 3


def assert_no_raw_identifiers(landscape: Path, data_dir: Path) -> None:
    users = {r["sessionusername"] for r in saved(landscape, "power-automate", "flowsessions")}
    users |= {r["UserName"] for r in saved(landscape, "uipath", "QueueItemEvents")}
    stored = "".join(
        p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file()
    )
    assert users and not [u for u in users if f'"{u}"' in stored]


def test_export_recovers_every_automation_exactly_and_keeps_no_identifier(
    landscape: Path, tmp_path: Path
) -> None:
    report = import_robot_export(LogStore(tmp_path), landscape)
    assert report.quarantined == 0 and report.notes == ()
    assert [(t.name, t.path) for t in report.tables] == [
        ("runs", primary_folder(tmp_path) / "runs.parquet"),
        ("transactions", primary_folder(tmp_path) / "transactions.parquet"),
    ]
    assert_automations_recovered(landscape, tmp_path)
    assert_no_raw_identifiers(landscape, tmp_path)
    transactions = pl.read_parquet(primary_folder(tmp_path) / "transactions.parquet")
    uipath = transactions.filter(pl.col("platform") == "uipath")
    assert uipath["run_id"].null_count() == 0  # every item lies inside a job of its process
    runs = pl.read_parquet(primary_folder(tmp_path) / "runs.parquet")
    jobs = runs.filter(pl.col("platform") == "uipath")
    assert jobs["items"].sum() == uipath.height


def make_config(ui_url: str, pa_url: str, *, page_size: int = 7) -> RobotsConfig:
    return RobotsConfig(
        uipath=PlatformConfig(
            base_url=ui_url, token_env=TOKEN_ENV, folder_id=4711,
            entities=("QueueDefinitions", "Jobs", "QueueItems", "QueueItemEvents"),
            page_size=page_size,
        ),
        power_automate=PlatformConfig(
            base_url=f"{pa_url}/api/data/v9.2", token_env=TOKEN_ENV,
            entities=("workflows", "flowsessions"), page_size=page_size,
        ),
        timeout_s=0.5,
    )  # fmt: skip


def fakes(landscape: Path) -> tuple[FakeUiPath, FakePowerAutomate]:
    ui = FakeUiPath(
        {e: saved(landscape, "uipath", e)
         for e in ("QueueDefinitions", "Jobs", "QueueItems", "QueueItemEvents")},
        folder_id=4711, slow_s=1.0, retry_after_s=0.01,
    )  # fmt: skip
    pa = FakePowerAutomate(
        {e: saved(landscape, "power-automate", e) for e in ("workflows", "flowsessions")},
        slow_s=1.0, retry_after_s=0.01,
    )  # fmt: skip
    return ui, pa


def raw_records(data_dir: Path, stream: str) -> list[str]:
    return sorted(
        json.dumps(r, sort_keys=True)
        for r in stored_records(DataFolder.from_env(data_dir), "robots", stream)
    )


def test_extraction_over_http_survives_every_retriable_fault(
    landscape: Path, tmp_path: Path
) -> None:
    ui, pa = fakes(landscape)
    with ui, pa:
        for fake in (ui, pa):
            for fault in ("429", "500", "slow", "drop"):
                fake.fail_next(fault)
        report = extract_robots(LogStore(tmp_path / "api"), make_config(ui.url, pa.url), retry=FAST)
        statuses = [r.stream for r in report.streams]
        first = ui.requests[0]
    assert statuses == [
        "uipath-QueueDefinitions", "uipath-Jobs", "uipath-QueueItems", "uipath-QueueItemEvents",
        "power-automate-workflows", "power-automate-flowsessions",
    ]  # fmt: skip
    assert first[1]["$orderby"] == "Id asc" and first[1]["$top"] == "7"
    assert first[2]["x-uipath-organizationunitid"] == "4711"
    assert any(h.get("prefer") == "odata.maxpagesize=7" for _, _, h in pa.requests)
    assert any("$filter" in p and p["$filter"].startswith("Id gt ") for _, p, _ in ui.requests)
    assert_automations_recovered(landscape, tmp_path / "api")
    assert_no_raw_identifiers(landscape, tmp_path / "api")
    # The API and the export give the same tables.
    import_robot_export(LogStore(tmp_path / "export"), landscape)
    for table in ("runs.parquet", "transactions.parquet"):
        api = pl.read_parquet(primary_folder(tmp_path / "api") / table)
        export = pl.read_parquet(primary_folder(tmp_path / "export") / table)
        assert api.equals(export), table


@pytest.mark.parametrize(("fault", "words"), [("401", "token was refused"), ("403", "scopes")])
def test_refused_credentials_stop_with_what_to_fix(
    landscape: Path, tmp_path: Path, fault: str, words: str
) -> None:
    ui, pa = fakes(landscape)
    with ui, pa:
        ui.fail_next(fault)  # type: ignore[arg-type]
        with pytest.raises(FatalError, match=words):
            extract_robots(LogStore(tmp_path), make_config(ui.url, pa.url), retry=FAST)


def test_a_failed_run_resumes_after_its_last_stored_page(landscape: Path, tmp_path: Path) -> None:
    ui, pa = fakes(landscape)
    rng = random.Random(5)
    with ui, pa:
        extract_robots(LogStore(tmp_path / "once"), make_config(ui.url, pa.url), retry=FAST)
        broken = tmp_path / "broken"
        for _ in range(3):
            # Let a few pages through, then a fatal answer stops the run mid-stream.
            ui.pass_next(times=rng.randint(1, 6))
            ui.fail_next("401")
            with pytest.raises(FatalError):
                extract_robots(LogStore(broken), make_config(ui.url, pa.url), retry=FAST)
        ui.clear_faults()
        report = extract_robots(LogStore(broken), make_config(ui.url, pa.url), retry=FAST)
    assert any(r.resumed for r in report.streams)
    for stream in ("uipath-Jobs", "uipath-QueueItems", "power-automate-flowsessions"):
        assert set(raw_records(broken, stream)) == set(raw_records(tmp_path / "once", stream))
    for table in ("runs.parquet", "transactions.parquet"):
        assert pl.read_parquet(primary_folder(broken) / table).equals(
            pl.read_parquet(primary_folder(tmp_path / "once") / table)
        )


def test_a_new_run_rereads_items_that_were_unfinished(landscape: Path, tmp_path: Path) -> None:
    ui, pa = fakes(landscape)
    items = ui.entities["QueueItems"]
    pending = items[3]
    final_status = pending["Status"]
    pending["Status"], pending["EndProcessing"] = "InProgress", None
    with ui, pa:
        extract_robots(LogStore(tmp_path), make_config(ui.url, pa.url), retry=FAST)
        first = pl.read_parquet(primary_folder(tmp_path) / "transactions.parquet")
        assert first.filter(pl.col("transaction_id") == str(pending["Id"]))["status"].to_list() == [
            "running"
        ]
        pending["Status"] = final_status
        pending["EndProcessing"] = pending["StartProcessing"]
        ui.requests.clear()
        report = extract_robots(LogStore(tmp_path), make_config(ui.url, pa.url), retry=FAST)
        queries = [p for path, p, _ in ui.requests if path == "/odata/QueueItems"]
    assert queries[0]["$filter"] == f"Id gt {pending['Id'] - 1}"  # the low-water mark
    again = pl.read_parquet(primary_folder(tmp_path) / "transactions.parquet")
    assert again.height == first.height
    assert again.filter(pl.col("status") == "running").height == 0
    by_stream = {r.stream: r.records for r in report.streams}
    assert by_stream["uipath-QueueItems"] == len(items) - 3


def test_configuration_file_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "robots.yaml"
    path.write_text(
        "uipath:\n  base_url: https://cloud.uipath.com/kk/kit/orchestrator_\n"
        "  folder_id: 4711\n  token_env: KITFLOW_TEST_ROBOT_TOKEN\n  entities: [Jobs]\n"
        "queue_processes:\n  KIT_Queue_X: KIT_X\n",
        "utf-8",
    )
    config = read_robots_config(path)
    assert config.uipath == PlatformConfig(
        base_url="https://cloud.uipath.com/kk/kit/orchestrator_",
        token_env=TOKEN_ENV, folder_id=4711, entities=("Jobs",), page_size=1000,
    )  # fmt: skip
    assert config.power_automate is None and config.queue_processes == {"KIT_Queue_X": "KIT_X"}
    path.write_text("uipath:\n  base_url: x\n  token_env: T\n  entities: [Robots]\n", "utf-8")
    with pytest.raises(FatalError, match=r"uipath\.entities has Robots; known: QueueDefinitions"):
        read_robots_config(path)
    path.write_text("uipath: {base_url: x}\ncolour: blue\n", "utf-8")
    with pytest.raises(FatalError, match="unknown: colour"):
        read_robots_config(path)
    missing = PlatformConfig(base_url="x", token_env="KITFLOW_TEST_UNSET_TOKEN")
    with pytest.raises(FatalError, match="export KITFLOW_TEST_UNSET_TOKEN=<access token>"):
        missing.token()
