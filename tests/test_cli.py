"""The kitflow command line, end to end on a store in a temporary folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.cli import cli, main
from tests.cli_support import run, runner
from tests.shared_data import shared_file


@pytest.fixture(autouse=True)
def _every_test_in_its_own_data_dir(data_dir: Path) -> Path:
    return data_dir


def test_import_then_stats_dfg_logs_export_delete(tmp_path: Path, data_dir: Path) -> None:
    source = shared_file("pm4py-examples/running-example.xes")
    assert "Stored 'running': 6 cases, 42 events, 8 activities, 6 variants." in run(
        "import", str(source), "--name", "running"
    )
    stats = json.loads(run("stats", "running", "--json"))
    assert stats == {
        "name": "running",
        "kind": "flat",
        "cases": 6,
        "events": 42,
        "activities": 8,
        "variants": 6,
        "start": "2010-12-30T10:02:00+00:00",
        "end": "2011-01-24T13:56:00+00:00",
        "quarantined": 0,
        "objects": None,
    }
    # Each of the 8 activities names fewer than 5 of the 6 people: one merged activity (the
    # 5-person rule), every directly-follows pair an arc from it to itself.
    dfg = json.loads(run("dfg", "running", "--json"))
    other = "Other activities (fewer than 5 people)"
    assert [(arc["source"], arc["target"], arc["frequency"]) for arc in dfg] == [
        (other, other, 42 - 6)
    ]
    listed = json.loads(run("logs", "--json"))
    assert [(e["name"], e["cases"], e["events"], e["variants"]) for e in listed] == [
        ("running", 6, 42, 6)
    ]
    assert "running" in run("logs") and "42" in run("logs")
    out = tmp_path / "running.csv"
    assert f"Wrote {out}" in run("export", "running", "--format", "csv", "--out", str(out))
    assert len(out.read_text().splitlines()) == 43
    assert "Deleted 'running' (42 events)." in run("delete", "running")
    assert json.loads(run("logs", "--json")) == []
    assert not (data_dir / "03_primary" / "running").exists()


def test_human_output_uses_danish_numbers(tmp_path: Path) -> None:
    source = shared_file("pm4py-examples/receipt.xes.gz")
    output = run("import", str(source), "--name", "receipt")
    assert "1.434 cases, 8.577 events" in output


def test_csv_mapping_flags(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(
        "nummer;x\n"
        if False
        else "nummer,tilstand,tid,gruppe\nT1,Ny,31/12/2024 23:30,SD\nT1,Løst,1/1/2025 08:00,?\n",
        encoding="utf-8",
    )
    output = run(
        "import",
        str(path),
        "--name",
        "t",
        "--case",
        "nummer",
        "--activity",
        "tilstand",
        "--timestamp",
        "tid",
        "--group",
        "gruppe",
        "--dayfirst",
        "--timezone",
        "Europe/Copenhagen",
        "--null-values",
        "?,N/A",
        "--json",
    )
    report = json.loads(output)
    assert (report["cases"], report["events"], report["start"]) == (
        1,
        2,
        "2024-12-31T22:30:00+00:00",
    )


def test_errors_exit_2_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["kitflow", "stats", "missing"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "Error:" in error and "no stored log is named 'missing'" in error


def test_every_command_has_help() -> None:
    for command in ("import", "logs", "stats", "dfg", "export", "delete"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.stdout


def test_object_centric_log_in_a_flat_view_says_how_to_flatten() -> None:
    source = shared_file("pm4py-examples/ocel20_example.jsonocel")
    output = run("import", str(source), "--name", "ocel")
    assert "Stored 'ocel': 13 events, " in output and "9 objects of 4 types" in output
    result = runner.invoke(cli, ["dfg", "ocel"])
    assert result.exit_code == 1
    assert "'ocel' is an object-centric (OCEL) log" in str(result.exception)
    assert "--object-type" in str(result.exception)
