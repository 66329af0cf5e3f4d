"""``kitflow extract azure-devops`` on the real command tree, and ``kitflow sources`` listing
its streams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from extractors.errors import FatalError
from extractors.pseudonym import KEY_ENV
from models.errors import KitflowError
from tests.cli_support import run
from tests.fakes.azure_devops import FakeAzureDevOps

FIXTURES = Path(__file__).parent / "fixtures" / "azure_devops"
KEY = "ado-cli-test-key-0123456789"
PAT = "cli-pat-abcdefghijklmnopqrstuvwxyz0123456789"
runner = CliRunner()


@pytest.fixture(autouse=True)
def environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv("ADO_PAT", PAT)
    return data_dir


def saved_batches(folder: Path) -> Path:
    """The fixture batches laid out as an export: azure-devops/<stream>/batch-00001.json."""
    for stream in ("workitemrevisions", "workitemlinks", "workitems"):
        target = folder / "azure-devops" / stream / "batch-00001.json"
        target.parent.mkdir(parents=True)
        target.write_bytes((FIXTURES / f"{stream}.json").read_bytes())
    return folder


@pytest.fixture
def fake() -> Iterator[FakeAzureDevOps]:
    revisions = json.loads((FIXTURES / "workitemrevisions.json").read_text("utf-8"))["values"]
    good = [r for r in revisions if isinstance(r, dict) and "System.ChangedDate" in r["fields"]]
    with FakeAzureDevOps(revisions=good, pat=PAT, batch_size=4) as server:
        yield server


def test_an_export_then_sources_then_a_rebuild(tmp_path: Path) -> None:
    export = saved_batches(tmp_path / "saved")
    first = json.loads(run("extract", "azure-devops", "--export", str(export), "--json"))
    # The fixtures: 3 bad revisions, 1 bad link, 1 bad work item (the null of an omitted id
    # is not a record; see the mapping tests).
    log = first["logs"][0]
    assert (log["name"], log["cases"], log["events"], first["quarantined"]) == (
        "azure-devops", 3, 9, 5,
    )  # fmt: skip
    batch = "export azure-devops/{}/batch-00001.json".format
    assert [(s["stream"], s["pages"], s["records"], s["bookmark"]) for s in first["streams"]] == [
        ("workitemrevisions", 1, 14, ["14;101;2", batch("workitemrevisions")]),
        ("workitemlinks", 1, 6, ["6;101;103", batch("workitemlinks")]),
        ("workitems", 1, 4, ["107", batch("workitems")]),
    ]
    assert first["staged"] == [
        {"table": "revisions", "rows": 10, "quarantined": 3},
        {"table": "links", "rows": 4, "quarantined": 1},
        {"table": "workitems", "rows": 3, "quarantined": 1},
        {"table": "relations", "rows": 8, "quarantined": 0},
    ]
    assert first["notes"] == [
        "1 work item(s) lack revision 1 in the extracted history, so they have no 'Created' "
        "event; their logs start at the first change read."
    ]
    listed = {(s["source"], s["stream"]): s for s in json.loads(run("sources", "--json"))}
    assert set(listed) == {
        ("azure-devops", "workitemrevisions"), ("azure-devops", "workitemlinks"),
        ("azure-devops", "workitems"), ("azure-devops-export", "azure-devops"),
    }  # fmt: skip
    revisions = listed["azure-devops", "workitemrevisions"]
    assert (revisions["records_stored"], revisions["quarantined"]) == (14, 3)
    assert revisions["bookmark"][0] == "14;101;2"
    assert listed["azure-devops", "workitems"]["quarantined"] == 1
    assert listed["azure-devops-export", "azure-devops"]["quarantined"] == 5
    assert "azure-devops/workitemrevisions  finished" in run("sources")
    again = json.loads(run("extract", "azure-devops", "--rebuild", "--json"))
    assert (again["logs"][0]["events"], again["quarantined"], again["streams"]) == (9, 5, [])
    assert again["staged"] == first["staged"]


def test_a_live_extraction_with_a_yaml_config(tmp_path: Path, fake: FakeAzureDevOps) -> None:
    config = tmp_path / "ado.yaml"
    config.write_text(
        f"organisation_url: {fake.url}\nproject: KIT\npat_env: ADO_PAT\nbatch_size: 2\n"
        "timeout_s: 5\nmax_tries: 2\n"
    )
    result = runner.invoke(cli, ["extract", "azure-devops", "--config", str(config)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Stored 'azure-devops': 3 cases, 9 events, 5 activities." in result.stdout
    assert PAT not in result.output
    summary = json.loads(run("extract", "azure-devops", "--config", str(config), "--json"))
    # The second run: one request per reporting stream finds nothing new.
    assert [(s["stream"], s["pages"], s["records"]) for s in summary["streams"]] == [
        ("workitemrevisions", 0, 0), ("workitemlinks", 0, 0), ("workitems", 0, 0),
    ]  # fmt: skip
    # 12 revisions served (one with a day-first ChangedDate, quarantined), one read twice.
    assert summary["staged"][0] == {"table": "revisions", "rows": 10, "quarantined": 1}
    # The fetch's notes come first, then the build's.
    assert summary["notes"][0].startswith("5 work item id(s) seen in revisions no longer exist")


def test_bad_invocations_say_what_to_fix(tmp_path: Path, fake: FakeAzureDevOps) -> None:
    nothing = runner.invoke(cli, ["extract", "azure-devops"])
    assert isinstance(nothing.exception, KitflowError)
    assert "nothing to do; give exactly one of --config FILE alone (fetch from the API)" in str(
        nothing.exception
    )
    config = tmp_path / "ado.yaml"
    config.write_text(f"organisation_url: {fake.url}\nproject: KIT\npat_env: ADO_PAT\nteam: x\n")
    bad = runner.invoke(cli, ["extract", "azure-devops", "--config", str(config)])
    assert isinstance(bad.exception, FatalError)
    assert "unknown key(s) team" in str(bad.exception)
    config.write_text(f"organisation_url: {fake.url}\nproject: KIT\nbatch_size: 500\n")
    big = runner.invoke(cli, ["extract", "azure-devops", "--config", str(config)])
    assert "batch_size must be 1..200" in str(big.exception)
    rebuild = runner.invoke(cli, ["extract", "azure-devops", "--rebuild"])
    assert "there are no stored revision batches of source 'azure-devops'" in str(rebuild.exception)
