"""The one ingestion runner and the one extract command shape: the same flag rule for every
source (allowed and refused, with the message), ``--name``/``--replace`` refused where no log
can be named, one JSON shape, the store's own database for runs and bookmarks, and one writer
per source at a time."""

from __future__ import annotations

import importlib
import json
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from app.cli import cli
from extractors.pseudonym import KEY_ENV
from extractors.servicenow import stage_pages
from extractors.servicenow.pages import saved_page_spec
from models.datafolder import LockTimeoutError
from models.errors import InputError
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url
from services.ingestion import (
    AzureDevOpsSource,
    RobotsSource,
    ServiceNowSource,
    SourceSpec,
    TimeSource,
    choose_mode,
    ingest,
    ingestion_json,
    raw_pages,
)
from tests.cli_support import run

FIXTURES = Path(__file__).parent / "fixtures"
ROBOTS_CSV = FIXTURES / "robots" / "runs.csv"
TIME_CSV = FIXTURES / "time_registration" / "small.csv"
SOURCES: dict[str, SourceSpec[Any]] = {
    "servicenow": ServiceNowSource(),
    "azure-devops": AzureDevOpsSource(),
    "time": TimeSource(),
    "robots": RobotsSource(),
}
runner = CliRunner()


@pytest.fixture(autouse=True)
def environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(KEY_ENV, "runner-test-key-0123456789")
    return data_dir


def saved_pages(folder: Path) -> Path:
    """The ServiceNow fixtures as a folder of saved Table API pages, in keyset order."""
    for table in ("sys_user_group", "sys_choice", "incident"):
        records = json.loads((FIXTURES / "servicenow" / f"{table}.json").read_text("utf-8"))
        spec = saved_page_spec(table)
        ordered = sorted(records["result"], key=lambda r: (r[spec.replication_key], r["sys_id"]))
        page = folder / table / "page-00001.json"
        page.parent.mkdir(parents=True)
        page.write_text(json.dumps({"result": ordered}), "utf-8")
    return folder


def saved_batches(folder: Path) -> Path:
    """The Azure DevOps fixtures as saved batches: azure-devops/<stream>/batch-00001.json."""
    for stream in ("workitemrevisions", "workitemlinks", "workitems"):
        target = folder / "azure-devops" / stream / "batch-00001.json"
        target.parent.mkdir(parents=True)
        target.write_bytes((FIXTURES / "azure_devops" / f"{stream}.json").read_bytes())
    return folder


def an_export(source: str, folder: Path) -> Path:
    """A small export each source reads."""
    if source == "servicenow":
        return saved_pages(folder / "pages")
    if source == "azure-devops":
        return saved_batches(folder / "batches")
    return TIME_CSV if source == "time" else ROBOTS_CSV


def refusal(*args: str) -> str:
    """The message of a command that must stop before it does anything."""
    result = runner.invoke(cli, list(args))
    assert isinstance(result.exception, InputError), (result.output, result.exception)
    return str(result.exception)


# -- the flag rule ------------------------------------------------------------------------------

CONFIG, EXPORT, TWO_EXPORTS = Path("settings.yaml"), (Path("a"),), (Path("a"), Path("b"))


@pytest.mark.parametrize("source", ["servicenow", "azure-devops", "robots"])
@pytest.mark.parametrize(
    ("config", "exports", "rebuild", "mode"),
    [
        (True, (), False, "api"),
        (False, EXPORT, False, "export"),
        (True, EXPORT, False, "export"),  # the config gives settings only
        (False, (), True, "rebuild"),
        (True, (), True, "rebuild"),
    ],
)
def test_the_allowed_combinations_of_a_source_with_an_api(
    source: str, config: bool, exports: tuple[Path, ...], rebuild: bool, mode: str
) -> None:
    info = SOURCES[source].info
    assert choose_mode(info, config=config, exports=exports, rebuild=rebuild) == mode


@pytest.mark.parametrize(
    ("exports", "rebuild", "mode"),
    [(EXPORT, False, "export"), (TWO_EXPORTS, False, "export"), ((), True, "rebuild")],
)
def test_the_allowed_combinations_of_time_registration(
    exports: tuple[Path, ...], rebuild: bool, mode: str
) -> None:
    info = SOURCES["time"].info
    assert choose_mode(info, config=False, exports=exports, rebuild=rebuild) == mode


API_RULE = (
    "give exactly one of --config FILE alone (fetch from the API), --export PATH (read an "
    "export) or --rebuild (rebuild from the data folder, fetching nothing); --config FILE may "
    "accompany --export or --rebuild, as settings only."
)
TIME_RULE = (
    "give exactly one of --export PATH (repeatable) (read exports), or --rebuild (rebuild from "
    "the data folder)."
)


@pytest.mark.parametrize("command", ["servicenow", "azure-devops", "robots"])
def test_refused_combinations_say_which_are_allowed(command: str, tmp_path: Path) -> None:
    prefix = f"kitflow extract {command}"
    assert refusal("extract", command) == f"{prefix}: nothing to do; {API_RULE}"
    both = refusal("extract", command, "--export", str(tmp_path), "--rebuild")
    assert both == f"{prefix}: --export and --rebuild cannot be combined; {API_RULE}"
    two = refusal("extract", command, "--export", "a", "--export", "b")
    assert two == (
        f"{prefix} reads one --export PATH at a time (got 2); run it once per export; {API_RULE}"
    )


def test_refused_combinations_of_time_registration(tmp_path: Path) -> None:
    config = tmp_path / "time.yaml"
    config.write_text("x: 1\n")
    assert refusal("extract", "time", "--config", str(config)) == (
        f"kitflow extract time takes no --config: time registration has no API and no "
        f"settings; {TIME_RULE}"
    )
    # --servicenow is an option of a rebuild or an export, not a mode of its own.
    assert refusal("extract", "time", "--servicenow") == (
        f"kitflow extract time: nothing to do; {TIME_RULE}"
    )
    both = refusal("extract", "time", "--export", str(TIME_CSV), "--rebuild")
    assert both == f"kitflow extract time: --export and --rebuild cannot be combined; {TIME_RULE}"


def test_a_config_beside_an_export_or_a_rebuild_gives_settings(
    tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "robots.yaml"
    config.write_text("queue_processes: {KIT_Queue_X: KIT_X}\n", "utf-8")
    exported = json.loads(
        run("extract", "robots", "--export", str(ROBOTS_CSV), "--config", str(config), "--json")
    )
    rebuilt = json.loads(run("extract", "robots", "--rebuild", "--config", str(config), "--json"))
    assert (exported["mode"], rebuilt["mode"]) == ("export", "rebuild")
    assert exported["tables"] == rebuilt["tables"]
    # A DevOps config's source names the raw folder that an export fills.
    ado = tmp_path / "ado.yaml"
    ado.write_text("organisation_url: https://dev.azure.com/kk\nproject: KIT\nsource: ado-x\n")
    batches = saved_batches(tmp_path / "saved")
    report = json.loads(
        run("extract", "azure-devops", "--export", str(batches), "--config", str(ado), "--json")
    )
    assert (report["source"], report["logs"][0]["name"]) == ("ado-x", "azure-devops")
    assert (data_dir / "01_raw" / "ado-x" / "workitemrevisions").is_dir()


def test_a_rebuild_without_raw_data_says_what_to_run_first(data_dir: Path) -> None:
    raw = data_dir.resolve() / "01_raw"
    assert refusal("extract", "servicenow", "--rebuild") == (
        f"there are no stored incident pages of source 'servicenow' in {raw / 'servicenow'}"
        "/incident: extract with --config FILE or read saved pages with --export FOLDER first."
    )
    assert refusal("extract", "robots", "--rebuild").startswith(
        "there are no robot run data to build from"
    )
    assert refusal("extract", "time", "--rebuild").startswith(
        "there are no time-registration data to build from"
    )
    assert "there are no stored revision batches" in refusal("extract", "azure-devops", "--rebuild")


# -- --name and --replace -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "export", "builds"),
    [
        ("robots", ROBOTS_CSV,
         "robot run data become the tables runs and transactions in 03_primary/robots"),
        ("time", TIME_CSV,
         "time registration becomes the table hours in 03_primary/time-registration"),
    ],
)  # fmt: skip
def test_name_and_replace_on_a_source_of_tables_are_refused(
    command: str, export: Path, builds: str, data_dir: Path
) -> None:
    prefix = f"kitflow extract {command}"
    named = refusal("extract", command, "--export", str(export), "--name", "x")
    assert named == f"{prefix}: --name does not apply, since {builds}. Leave --name out."
    both = refusal("extract", command, "--rebuild", "--name", "x", "--replace")
    assert both == (
        f"{prefix}: --name and --replace do not apply, since {builds}. "
        "Leave --name and --replace out."
    )
    assert not (data_dir / "01_raw").exists()  # refused before anything was read


def test_name_on_a_folder_of_saved_servicenow_pages_is_refused(tmp_path: Path) -> None:
    folder = saved_pages(tmp_path / "pages")
    message = refusal("extract", "servicenow", "--export", str(folder), "--name", "mine")
    assert message == (
        "kitflow extract servicenow: --name does not apply, since a folder of saved ServiceNow "
        "pages always builds the logs servicenow-incidents and servicenow-orders, rebuilt in "
        "place by each import (give one export file to name its log). Leave --name out."
    )
    replace = refusal("extract", "servicenow", "--export", str(folder), "--replace")
    assert "--replace does not apply, since a folder of saved ServiceNow pages" in replace


def test_fixed_logs_never_silently_replace_a_log_from_elsewhere(tmp_path: Path) -> None:
    incident = FIXTURES / "servicenow" / "incident.json"
    run("extract", "servicenow", "--export", str(incident), "--name", "servicenow-incidents")
    folder = saved_pages(tmp_path / "pages")
    message = refusal("extract", "servicenow", "--export", str(folder))
    assert message == (
        f"a log named 'servicenow-incidents' is stored already, from {incident.resolve()} "
        "(servicenow-json): delete it first ('kitflow delete servicenow-incidents'), then run "
        "this again."
    )
    run("delete", "servicenow-incidents")
    report = json.loads(run("extract", "servicenow", "--export", str(folder), "--json"))
    assert [log["name"] for log in report["logs"]] == ["servicenow-incidents"]
    again = json.loads(run("extract", "servicenow", "--export", str(folder), "--json"))
    assert again["logs"][0]["events"] == report["logs"][0]["events"]  # rebuilt in place


# -- one JSON shape -----------------------------------------------------------------------------

TOP = {"source", "mode", "streams", "staged", "logs", "tables", "quarantined",
       "quarantine_files", "notes"}  # fmt: skip
NESTED = {
    "streams": {"stream", "pages", "records", "resumed", "bookmark", "quarantined"},
    "staged": {"table", "rows", "quarantined"},
    "logs": {"name", "cases", "events", "activities", "quarantined", "quarantine_file"},
    "tables": {"name", "path", "rows"},
}


def test_every_source_reports_in_the_same_json_shape(tmp_path: Path) -> None:
    reports = {
        command: json.loads(
            run("extract", command, "--export", str(an_export(command, tmp_path)), "--json")
        )
        for command in SOURCES
    }
    seen = set()
    for command, report in reports.items():
        assert set(report) == TOP, command
        assert report["mode"] == "export"
        for key, fields in NESTED.items():
            for item in report[key]:
                assert set(item) == fields, (command, key)
                seen.add(key)
    assert seen == set(NESTED)
    assert [r["source"] for r in reports.values()] == [
        "servicenow", "azure-devops", "time-registration", "robots",
    ]  # fmt: skip
    assert reports["time"]["streams"][0]["bookmark"][1] == "small.csv"


# -- the store's database -----------------------------------------------------------------------


@pytest.mark.parametrize("command", list(SOURCES))
def test_runs_and_bookmarks_go_to_the_stores_own_database(
    command: str, tmp_path: Path, data_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    store = LogStore(data_dir, url)
    report = ingest(store, SOURCES[command], exports=[an_export(command, tmp_path)])
    catalog = ExtractionCatalog(url)
    try:
        recorded = {(s.source, s.stream): s for s in catalog.list()}
    finally:
        catalog.dispose()
    assert {(report.source, s.stream) for s in report.streams} <= set(recorded)
    assert all(recorded[report.source, s.stream].bookmark_value for s in report.streams)
    assert not (data_dir / "kitflow.db").exists()  # no second catalog beside the store's
    assert default_database_url(data_dir) != url


# -- one writer per source ----------------------------------------------------------------------


def test_a_second_writer_of_a_source_waits_then_stops_clearly(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_LOCK_TIMEOUT_S", "0.5")
    store = LogStore(data_dir)
    holding, done = threading.Event(), threading.Event()

    def first_writer() -> None:
        # Another writer (the lock is re-entrant within one thread, so it runs in its own).
        with store.data.writer_lock("source", "robots"):
            holding.set()
            done.wait(10)

    first = threading.Thread(target=first_writer)
    first.start()
    try:
        assert holding.wait(10)
        began = time.monotonic()
        with pytest.raises(LockTimeoutError) as stopped:
            ingest(store, RobotsSource(), exports=[ROBOTS_CSV])
        waited = time.monotonic() - began
    finally:
        done.set()
        first.join()
    assert waited >= 0.5
    message = str(stopped.value)
    assert "is writing source 'robots'; waited 0.5 s for it" in message
    assert "Run the command again when that one has finished" in message
    assert not store.data.raw("robots").exists()  # nothing was read meanwhile
    # Once the first writer is done, the second goes through.
    report = ingest(store, RobotsSource(), exports=[ROBOTS_CSV])
    assert ingestion_json(report)["quarantined"] == 2


def test_the_facade_exports_exactly_its_public_names() -> None:
    facade = importlib.import_module("services.ingestion")
    modules = {"azure_devops", "landscape", "landscape_link", "robots", "runner", "servicenow",
               "servicenow_logs", "settings", "time_registration"}  # fmt: skip
    public = {name for name in dir(facade) if not name.startswith("_")}
    assert set(facade.__all__) == public - modules
    assert len(facade.__all__) == len(set(facade.__all__))


# -- pages stored by a run -----------------------------------------------------------------------


def test_pages_a_killed_export_left_uncommitted_are_removed(tmp_path: Path, data_dir: Path) -> None:
    store = LogStore(data_dir)
    stale = store.data.raw("azure-devops", "workitemrevisions") / "page-0000009.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"result": [{"id": 999}]}', "utf-8")
    report = ingest(store, SOURCES["azure-devops"], exports=[an_export("azure-devops", tmp_path)])
    stored = sorted(p.name for p in stale.parent.glob("page-*.json"))
    assert stored == ["page-0000001.json"]
    revisions = next(s for s in report.streams if s.stream == "workitemrevisions")
    assert (revisions.pages, revisions.bookmark is not None) == (1, True)
    catalog = ExtractionCatalog(store.data.database_url)
    try:
        assert catalog.status("azure-devops", "workitemrevisions").pages_stored == 1
    finally:
        catalog.dispose()


def test_saved_pages_staged_as_stored_equal_the_pages_read_back(
    tmp_path: Path, data_dir: Path
) -> None:
    store = LogStore(data_dir)
    ingest(store, SOURCES["servicenow"], exports=[an_export("servicenow", tmp_path)])
    for table in ("sys_user_group", "sys_choice", "incident"):
        again = stage_pages(
            saved_page_spec(table), partial(raw_pages, store.data, "servicenow", table)
        )
        staged = pl.read_parquet(store.data.staged_table("servicenow", table))
        assert staged.height > 0 and staged.equals(again.frame)
