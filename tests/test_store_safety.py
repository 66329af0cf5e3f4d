"""Safe writes of the log store (``models.store``): one writer per log name, and no killed run
that damages a log, splits a folder from its catalog entry or leaves hidden copies of the data.

The writers are real ``kitflow`` processes. ``KITFLOW_TEST_HOOK`` stops one at a named step of
its write (``wait``), marks that it got there (``mark``) or kills it there with SIGKILL
(``kill``), so each interleaving is reached every time instead of by luck of timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from extractors.files import ReadOptions
from models.store import TEST_HOOK_ENV, LogStore, read_entry_file
from services.imports import import_log
from tests.cli_support import run

ROOT = Path(__file__).resolve().parents[1]
HEADER = "case_id,activity,timestamp\n"
OLD_ROWS = "c1,Register,2024-01-01T08:00:00Z\nc1,Decide,2024-01-01T09:00:00Z\n"
NEW_ROWS = (
    "n1,Register,2024-02-01T08:00:00Z\nn1,Check,2024-02-01T08:30:00Z\n"
    "n2,Register,2024-02-02T08:00:00Z\nn2,Decide,2024-02-02T10:00:00Z\n"
    "n3,Register,2024-02-03T08:00:00Z\n"
)
Popen = subprocess.Popen[str]


def _logs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text(HEADER + OLD_ROWS, "utf-8")
    new.write_text(HEADER + NEW_ROWS, "utf-8")
    return old, new


def _stored_old(tmp_path: Path, data: Path) -> tuple[LogStore, Path, Path]:
    """A store on ``data`` holding the old log as ``x``; the old and new source files."""
    old, new = _logs(tmp_path)
    store = LogStore(data)
    import_log(store, old, name="x", options=ReadOptions())
    return store, old, new


def _start(data: Path, *args: str | Path, hook: str | None = None, **env: str) -> Popen:
    """``kitflow ARGS`` in a child process on data folder ``data`` (its default catalog)."""
    environment = {**os.environ, **env, "KITFLOW_DATA_DIR": str(data)}
    environment.pop("KITFLOW_DATABASE_URL", None)
    environment.pop(TEST_HOOK_ENV, None)
    if hook is not None:
        environment[TEST_HOOK_ENV] = hook
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=ROOT,
    )


def _finish(child: Popen) -> tuple[int, str]:
    """The exit code and the output (whitespace joined: rich wraps long lines)."""
    output, _ = child.communicate()
    return child.returncode, " ".join(output.split())


def _wait_for(path: Path, child: Popen) -> bool:
    """Wait until ``path`` exists (True) or ``child`` has ended without making it (False)."""
    while not path.exists():
        if child.poll() is not None:
            return path.exists()
        time.sleep(0.02)
    return True


def _hidden(data: Path) -> list[str]:
    """Hidden folders and partial files a write left in ``03_primary`` or in a log's folder."""
    primary = data / "03_primary"
    found = [p.name for p in primary.iterdir() if p.name.startswith(".")]
    for folder in primary.iterdir():
        if folder.is_dir():
            found += [p.name for p in folder.iterdir() if p.name.startswith(".")]
    return sorted(found)


def _assert_consistent(data: Path, name: str, source: Path) -> None:
    """The catalog entry of ``name`` is that of ``source`` and equals its folder's content."""
    store = LogStore(data)
    entry = store.entry(name)
    events = store.read(name)
    assert entry.source_path == str(source.resolve())
    assert entry.events == events.height
    assert set(events["case_id"]) == {line.split(",")[0] for line in _rows(source)}
    assert read_entry_file(store.folder(name)) == entry
    assert _hidden(data) == []


def _rows(source: Path) -> list[str]:
    return source.read_text("utf-8").splitlines()[1:]


# -- one writer per log name ------------------------------------------------------------------


def test_a_second_import_of_a_name_being_written_stops_clearly_after_its_wait(
    tmp_path: Path, data_dir: Path
) -> None:
    old, new = _logs(tmp_path)
    data, go = data_dir, tmp_path / "go"
    first = _start(data, "import", old, "--name", "x", hook=f"staged:wait:{go}")
    assert _wait_for(Path(f"{go}.reached"), first)
    second = _start(data, "import", new, "--name", "x", KITFLOW_LOCK_TIMEOUT_S="0.2")
    code, said = _finish(second)
    go.touch()
    first_code, first_said = _finish(first)
    assert (first_code, "Stored 'x'" in first_said) == (0, True), first_said
    assert code == 2, said
    assert f"another kitflow process (pid {first.pid} since" in said
    assert "is writing log 'x'; waited 0.2 s" in said
    assert "KITFLOW_LOCK_TIMEOUT_S" in said
    _assert_consistent(data, "x", old)


@pytest.mark.parametrize("replace", [False, True], ids=["without-replace", "with-replace"])
def test_a_second_import_waits_for_the_first_then_finds_the_name_taken_or_replaces_it(
    tmp_path: Path, data_dir: Path, replace: bool
) -> None:
    old, new = _logs(tmp_path)
    data, go, waiting = data_dir, tmp_path / "go", tmp_path / "second-waits"
    first = _start(data, "import", old, "--name", "x", hook=f"staged:wait:{go}")
    assert _wait_for(Path(f"{go}.reached"), first)
    flags = ["--replace"] if replace else []
    second = _start(data, "import", new, "--name", "x", *flags, hook=f"locking:mark:{waiting}")
    _wait_for(waiting, second)  # the second is at the lock, which the first holds
    go.touch()
    first_code, first_said = _finish(first)
    code, said = _finish(second)
    assert (first_code, "Stored 'x'" in first_said) == (0, True), first_said
    if replace:
        assert (code, "Stored 'x'" in said) == (0, True), said
        _assert_consistent(data, "x", new)
    else:
        assert code == 2, said
        assert "a log named 'x' is stored already" in said
        _assert_consistent(data, "x", old)


def test_the_previous_log_stays_readable_while_its_replacement_is_written(
    tmp_path: Path, data_dir: Path
) -> None:
    store, _, new = _stored_old(tmp_path, data_dir)
    before = store.read("x")
    go = tmp_path / "go"
    child = _start(data_dir, "import", new, "--name", "x", "--replace", hook=f"staged:wait:{go}")
    assert _wait_for(Path(f"{go}.reached"), child)
    assert LogStore(data_dir).read("x").equals(before)  # another reader meanwhile
    go.touch()
    code, said = _finish(child)
    assert code == 0, said
    _assert_consistent(data_dir, "x", new)


# -- killed writes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "survivor"),
    [("staged", "old"), ("moved-old", "old"), ("placed", "new"), ("registered", "new")],
)
def test_a_replace_killed_anywhere_leaves_the_old_log_or_the_new_one_and_nothing_hidden(
    tmp_path: Path, data_dir: Path, point: str, survivor: str
) -> None:
    store, old, new = _stored_old(tmp_path, data_dir)
    entry, events = store.entry("x"), store.read("x")
    child = _start(data_dir, "import", new, "--name", "x", "--replace", hook=f"{point}:kill")
    code, said = _finish(child)
    assert code == -signal.SIGKILL, said
    run("logs")  # the next command
    assert _hidden(data_dir) == []
    if survivor == "old":
        after = LogStore(data_dir)
        assert after.entry("x") == entry
        assert after.read("x").equals(events)
        _assert_consistent(data_dir, "x", old)
    else:
        _assert_consistent(data_dir, "x", new)


def test_a_first_import_killed_before_its_catalog_entry_is_registered_at_the_next_start(
    tmp_path: Path, data_dir: Path
) -> None:
    _, new = _logs(tmp_path)
    child = _start(data_dir, "import", new, "--name", "x", hook="placed:kill")
    assert _finish(child)[0] == -signal.SIGKILL
    assert "x  (new.csv" in run("logs")
    _assert_consistent(data_dir, "x", new)
    assert "Deleted 'x'" in run("delete", "x")
    assert sorted(p.name for p in (data_dir / "03_primary").iterdir()) == []


def test_a_delete_killed_after_moving_the_folder_aside_is_finished_at_the_next_start(
    tmp_path: Path, data_dir: Path
) -> None:
    _stored_old(tmp_path, data_dir)
    child = _start(data_dir, "delete", "x", hook="trashed:kill")
    assert _finish(child)[0] == -signal.SIGKILL
    assert "No logs stored yet" in run("logs")
    assert sorted(p.name for p in (data_dir / "03_primary").iterdir()) == []


def test_a_partial_aggregate_file_of_a_killed_reader_is_removed_at_the_next_start(
    tmp_path: Path, data_dir: Path
) -> None:
    folder = _stored_old(tmp_path, data_dir)[0].folder("x")
    partial = folder / f".events.dfg.parquet.{'0' * 32}.tmp"
    partial.write_bytes(b"half a Parquet file")
    kept = sorted(p.name for p in folder.iterdir() if p != partial)
    LogStore(data_dir)
    assert sorted(p.name for p in folder.iterdir()) == kept


def test_a_folder_without_a_catalog_entry_of_an_older_version_is_no_stored_log(
    tmp_path: Path, data_dir: Path
) -> None:
    # An import killed by an older KIT Flow left its folder without a catalog entry (and without
    # entry.json): not a stored log for any command, and an import of its name replaces it.
    old, _ = _logs(tmp_path)
    orphan = data_dir / "03_primary" / "x"
    orphan.mkdir(parents=True)
    pl.DataFrame({"leftover": [1]}).write_parquet(orphan / "events.parquet")
    assert "Stored 'x'" in run("import", str(old), "--name", "x")
    _assert_consistent(data_dir, "x", old)
