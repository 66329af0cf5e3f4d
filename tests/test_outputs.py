"""``--out``: never inside the data folder, never over a file without ``--force``, never half a
file (services/outputs.py and the commands that write through it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import cli
from models.datafolder import DataFolder
from models.errors import InputError
from services.outputs import write_output_file
from tests.cli_support import run, runner
from tests.shared_data import shared_file

INSIDE = "lies inside the data folder"
EXISTS = "exists: add --force to overwrite it, or choose another --out"


@pytest.fixture
def running(data_dir: Path) -> Path:
    """The running example stored as 'running'; returns the data folder."""
    run("import", str(shared_file("pm4py-examples/running-example.xes")), "--name", "running")
    return data_dir


def refused(*args: str) -> str:
    """Run ``kitflow ARGS``, which must stop with an InputError; returns its message."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, InputError), (result.output, result.exception)
    return str(result.exception)


def leftovers(folder: Path) -> list[str]:
    """Temporary files a write left behind."""
    return sorted(p.name for p in folder.rglob(".kitflow-*"))


def test_export_over_a_stored_log_is_refused_and_the_log_unchanged(
    running: Path, tmp_path: Path
) -> None:
    events = running / "03_primary" / "running" / "events.parquet"
    before, files = events.read_bytes(), sorted(events.parent.iterdir())
    for force in ((), ("--force",)):  # inside the data folder, whatever the flags
        message = refused("export", "running", "--format", "csv", "--out", str(events), *force)
        assert INSIDE in message and str(running) in message and "outside it" in message
    # Through a link outside the data folder: the resolved path counts.
    link = tmp_path / "elsewhere"
    link.symlink_to(events.parent, target_is_directory=True)
    message = refused("export", "running", "--format", "parquet", "--out", str(link / "x.parquet"))
    assert INSIDE in message
    assert events.read_bytes() == before
    assert sorted(events.parent.iterdir()) == files  # nothing written beside it either
    assert "42" in run("stats", "running")


def test_export_over_the_catalog_database_is_refused(running: Path) -> None:
    database = running / "kitflow.db"
    before = database.read_bytes()
    assert INSIDE in refused("export", "running", "--format", "csv", "--out", str(database))
    assert database.read_bytes() == before
    assert "running" in run("logs")


def test_an_existing_file_is_overwritten_only_with_force(running: Path, tmp_path: Path) -> None:
    out = tmp_path / "running.csv"
    out.write_text("mine\n", "utf-8")
    message = refused("export", "running", "--format", "csv", "--out", str(out))
    assert f"{out} {EXISTS}" in message
    assert out.read_text("utf-8") == "mine\n"
    assert f"Wrote {out}" in run(
        "export", "running", "--format", "csv", "--out", str(out), "--force"
    )
    assert len(out.read_text("utf-8").splitlines()) == 43
    assert leftovers(tmp_path) == []


def test_draft_case_over_an_existing_bindings_file_is_refused(
    data_dir: Path, tmp_path: Path
) -> None:
    draft, bindings = tmp_path / "draft.yaml", tmp_path / "draft.followup.yaml"
    bindings.write_text("case: mine.yaml\n", "utf-8")
    message = refused("candidates", "--draft-case", "1", "--out", str(draft))
    assert f"{bindings} {EXISTS}" in message
    assert not draft.exists()  # both files are checked before either is written
    assert bindings.read_text("utf-8") == "case: mine.yaml\n"


def test_draft_case_inside_the_data_folder_is_refused(data_dir: Path) -> None:
    draft = data_dir / "business_cases" / "draft.yaml"
    assert INSIDE in refused("candidates", "--draft-case", "1", "--out", str(draft))
    assert not draft.exists()


def test_landscape_ocel_inside_the_data_folder_is_refused(data_dir: Path) -> None:
    out = data_dir / "kit.jsonocel"
    assert INSIDE in refused("landscape", "ocel", "--out", str(out))
    assert not out.exists()


def test_discover_inside_the_data_folder_is_refused(running: Path) -> None:
    out = running / "03_primary" / "running" / "model.bpmn"
    assert INSIDE in refused("discover", "running", "--out", str(out))
    assert not out.exists()


def test_simulate_inside_the_data_folder_is_refused(data_dir: Path) -> None:
    out = data_dir / "simulated"
    assert INSIDE in refused("simulate", "--out", str(out), "--scale", "0.01")
    assert not out.exists()


def test_simulate_into_a_folder_with_files_needs_force(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    out.mkdir()
    (out / "notes.txt").write_text("mine", "utf-8")
    message = refused("simulate", "--out", str(out), "--scale", "0.01")
    assert f"{out} exists and is not empty: add --force" in message
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_half_file(tmp_path: Path) -> None:
    data = DataFolder.from_env(tmp_path / "data")
    out = tmp_path / "report.csv"
    out.write_text("old\n", "utf-8")

    def half_then_fail(path: Path) -> None:
        path.write_text("half", "utf-8")
        raise InputError(f"cannot write {path}: the disk is full")

    with pytest.raises(InputError) as stopped:
        write_output_file(data, out, half_then_fail, force=True)
    assert str(stopped.value) == f"cannot write {out}: the disk is full"  # the user's path
    assert out.read_text("utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_a_path_that_cannot_be_written_says_so(running: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    out = blocker / "running.csv"  # a file where a folder should be
    message = refused("export", "running", "--format", "csv", "--out", str(out))
    assert message.startswith(f"cannot write {out}: ") and "Choose another --out" in message
    assert leftovers(tmp_path) == []


def test_out_without_a_draft_case_is_refused_not_ignored(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranking.yaml"
    result = runner.invoke(cli, ["candidates", "--out", str(out)])
    assert result.exit_code == 2
    assert "--out and --force belong to --draft-case ID" in result.output
    assert not out.exists()
