"""``kitflow extract servicenow`` and ``kitflow sources`` on a typer app of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.cli_extract import register
from extractors.errors import FatalError
from extractors.pseudonym import KEY_ENV, KEY_FILE_ENV
from models.errors import KitflowError
from tests.fakes import FakeServiceNow, generate_landscape

FIXTURES = Path(__file__).parent / "fixtures" / "servicenow"
runner = CliRunner()


def make_cli() -> typer.Typer:
    cli = typer.Typer()

    @cli.callback()
    def main() -> None:
        """Test app."""

    register(cli)
    return cli


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "secrets" / "pseudonym.key"))
    monkeypatch.setenv("SN_USER", "integration")
    monkeypatch.setenv("SN_PASSWORD", "s3cret-pw")
    return tmp_path / "data"


@pytest.fixture
def fake() -> Iterator[FakeServiceNow]:
    tables = generate_landscape(incidents=22, seed=5)
    hidden = [tables["incident"][0]["sys_id"], tables["incident"][1]["sys_id"]]
    with FakeServiceNow(tables, hidden=hidden, credentials=("integration", "s3cret-pw")) as server:
        yield server


def write_config(tmp_path: Path, url: str, suffix: str = ".yaml") -> Path:
    path = tmp_path / f"servicenow{suffix}"
    if suffix == ".toml":
        path.write_text(
            f'base_url = "{url}"\npage_size = 9\n'
            '[auth]\nusername_env = "SN_USER"\npassword_env = "SN_PASSWORD"\n'
        )
    else:
        path.write_text(
            f"base_url: {url}\npage_size: 9\n"
            "tables: [sys_user_group, sys_choice, incident, sys_audit, task_sla]\n"
            "auth:\n  username_env: SN_USER\n  password_env: SN_PASSWORD\n"
        )
    return path


def invoke(*args: str) -> str:
    result = runner.invoke(make_cli(), list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_extract_prints_a_summary_and_sources_lists_each_stream(
    tmp_path: Path, fake: FakeServiceNow
) -> None:
    config = write_config(tmp_path, fake.url)
    result = runner.invoke(make_cli(), ["extract", "servicenow", "--config", str(config)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Created a new pseudonymisation key" in result.stderr
    assert "Stored 'servicenow-incidents': 20 cases" in result.stdout
    assert "s3cret-pw" not in result.output
    sources = json.loads(invoke("sources", "--json"))
    by_stream = {s["stream"]: s for s in sources}
    assert set(by_stream) == {"incident", "sys_audit", "sys_choice", "sys_user_group", "task_sla"}
    incident = by_stream["incident"]
    assert incident["records_stored"] == 20 and incident["last_run"]["status"] == "finished"
    visible = [r for r in fake.tables["incident"] if r["sys_id"] not in fake.hidden]
    assert incident["bookmark"][0] == max(r["sys_updated_on"] for r in visible)
    orphans = [a for a in fake.tables["sys_audit"] if a["documentkey"] in fake.hidden]
    assert by_stream["sys_audit"]["quarantined"] == len(orphans) > 0
    listing = invoke("sources")
    assert "servicenow/sys_audit  finished" in listing
    assert f"{len(orphans)} quarantined" in listing


def test_json_summary_rebuild_and_toml_config(tmp_path: Path, fake: FakeServiceNow) -> None:
    config = write_config(tmp_path, fake.url, ".toml")
    first = json.loads(invoke("extract", "servicenow", "--config", str(config), "--json"))
    orphans = [a for a in fake.tables["sys_audit"] if a["documentkey"] in fake.hidden]
    assert first["logs"][0]["cases"] == 20 and first["quarantined"] == len(orphans)
    assert (first["source"], first["mode"]) == ("servicenow", "api")
    assert {s["stream"] for s in first["streams"]} >= {"incident", "sys_audit"}
    requests = len(fake.requests)
    again = json.loads(
        invoke("extract", "servicenow", "--config", str(config), "--rebuild", "--json")
    )
    assert len(fake.requests) == requests  # rebuilt from raw pages, nothing fetched
    assert (again["logs"][0]["events"], again["streams"]) == (first["logs"][0]["events"], [])
    assert again["mode"] == "rebuild"


def test_an_export_file_and_the_sources_listing(tmp_path: Path) -> None:
    out = invoke(
        "extract", "servicenow", "--export", str(FIXTURES / "incident.json"), "--name", "x"
    )
    assert "Stored 'x': 2 cases, 5 events" in out
    listed = json.loads(invoke("sources", "--json"))
    assert [(s["source"], s["stream"], s["records_stored"]) for s in listed] == [
        ("servicenow-export", "x", 2)
    ]


def test_bad_invocations_say_what_to_fix(tmp_path: Path, fake: FakeServiceNow) -> None:
    both = runner.invoke(make_cli(), ["extract", "servicenow"])
    assert isinstance(both.exception, KitflowError)
    assert "exactly one of --config FILE" in str(both.exception)
    config = tmp_path / "bad.yaml"
    config.write_text(f"base_url: {fake.url}\ntables: [incident, changes]\n")
    bad = runner.invoke(make_cli(), ["extract", "servicenow", "--config", str(config)])
    assert isinstance(bad.exception, FatalError)
    assert "no ServiceNow stream 'changes'" in str(bad.exception)
    config.write_text(f"base_url: {fake.url}\nauth:\n  username_env: NOT_SET_ANYWHERE\n")
    unset = runner.invoke(make_cli(), ["extract", "servicenow", "--config", str(config)])
    assert "NOT_SET_ANYWHERE named in the configuration is not set" in str(unset.exception)


def test_no_sources_yet() -> None:
    assert "No extractions yet" in invoke("sources")
