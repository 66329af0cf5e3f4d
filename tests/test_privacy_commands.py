"""``kitflow privacy lookup|erase|retention|rotate-key`` and the key's fingerprint in
``kitflow sources``, on a small data folder built by hand: every layer holds two people, anni42
and bo7 (and the robot account svc_bot), with hand-counted rows."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from app.cli_privacy import privacy_cli
from extractors.pseudonym import Pseudonymiser, key_fingerprint
from models.eventlog import build_canonical_log
from models.store import LogStore
from services import recorded_privacy_requests
from services.storing import store_canonical_log
from tests.cli_support import run

KEY = "privacy-test-key-0123456789"
FIXTURES = Path(__file__).parent / "fixtures"


def _pseudonym(name: str) -> str:
    value = Pseudonymiser(KEY.encode())(name)
    assert value is not None
    return value


ANNI, BO, BOT = (_pseudonym(name) for name in ("anni42", "bo7", "svc_bot"))
runner = CliRunner()


def privacy(*args: str) -> str:
    result = runner.invoke(privacy_cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


@pytest.fixture
def folder(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hours and robots extracted from the fixtures; a stored log, a staged table and a raw
    ServiceNow page written by hand."""
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    run("extract", "time", "--export", str(FIXTURES / "time_registration" / "small.csv"))
    run("extract", "robots", "--export", str(FIXTURES / "robots" / "runs.csv"))
    store = LogStore()
    _store_log(store)
    staged = store.data.staged_table("servicenow", "incident")
    staged.parent.mkdir(parents=True)
    pl.DataFrame(
        {"sys_id": ["i1", "i2"], "assigned_to": [ANNI, BO],
         "opened_at": ["2024-01-10 08:00:00", "2025-02-01 09:00:00"]}
    ).write_parquet(staged)  # fmt: skip
    page = store.data.raw("servicenow", "incident") / "page-0000001.json"
    page.parent.mkdir(parents=True)
    records = [
        {"sys_id": "i1", "assigned_to": ANNI, "opened_at": "2024-01-10 08:00:00"},
        {"sys_id": "i2", "assigned_to": BO, "opened_at": "2025-02-01 09:00:00"},
    ]
    page.write_text(json.dumps({"stream": "incident", "result": records}), "utf-8")
    return data_dir


def _store_log(store: LogStore) -> None:
    staged = pl.DataFrame(
        {
            "case_id": ["c1", "c1", "c2", "c3"],
            "activity": ["Opret", "Løs", "Opret", "Opret"],
            "timestamp": ["2024-01-10T08:00:00Z", "2024-01-11T08:00:00Z",
                          "2024-06-01T08:00:00Z", "2025-02-01T08:00:00Z"],
            "event_order": [0, 1, 2, 3],
            "resource": [ANNI, BO, ANNI, BO],
        }
    ).with_columns(
        pl.col("timestamp").str.to_datetime(time_zone="UTC"),
        pl.col("event_order").cast(pl.UInt64),
        pl.col("activity").cast(pl.Categorical),
    )  # fmt: skip
    quarantine = pl.DataFrame(
        {"row_number": pl.Series([9], dtype=pl.UInt64), "reason": ["no activity"],
         "record": [json.dumps({"resource": ANNI, "timestamp": "2024-02-01T00:00:00Z"})]}
    )  # fmt: skip
    log = build_canonical_log(staged, quarantine=quarantine)
    store_canonical_log(
        store, log, name="incidents", source_path="x.csv", source_format="csv", replace=False
    )


def _findings(*identifiers: str) -> dict[str, dict[str, object]]:
    args = [a for i in identifiers for a in ("--identifier", i)]
    document = json.loads(privacy("lookup", *args, "--reason", "indsigt j.nr. 17", "--json"))
    return {f["path"]: f for f in document["files"]}


def test_lookup_finds_the_person_in_every_layer(folder: Path) -> None:
    found = _findings("ANNI42 ")  # normalised as at extraction: trimmed, case-folded
    assert {path: f["rows"] for path, f in found.items()} == {
        "01_raw/servicenow/incident/page-0000001.json": 1,
        "01_raw/time-registration/exports/small.csv.json": 2,
        "02_intermediate/servicenow/incident.parquet": 1,
        "03_primary/incidents/events.parquet": 2,
        "03_primary/incidents/quarantine.csv": 1,
        "03_primary/time-registration/hours.parquet": 2,
    }
    events = found["03_primary/incidents/events.parquet"]
    assert events["layer"] == "log"
    assert events["log"] == "incidents"
    assert events["columns"] == ["resource"]
    assert events["cases"] == ["c1", "c2"]
    assert (events["first"], events["last"]) == ("2024-01-10", "2024-06-01")
    assert found["01_raw/servicenow/incident/page-0000001.json"]["columns"] == ["assigned_to"]
    assert found["03_primary/time-registration/hours.parquet"]["columns"] == ["employee"]


def test_lookup_joins_several_identifiers_and_is_recorded_without_them(folder: Path) -> None:
    found = _findings("anni42", "bo7")
    assert found["03_primary/incidents/events.parquet"]["rows"] == 4
    assert found["03_primary/time-registration/hours.quarantine.csv"]["rows"] == 4
    (request,) = recorded_privacy_requests(LogStore().data)
    assert request.action == "privacy lookup"
    assert request.target == ",".join(sorted((ANNI, BO)))
    assert request.detail == "reason: indsigt j.nr. 17; 7 files, 23 rows"
    assert "anni42" not in repr(request) and "bo7" not in repr(request)


def test_lookup_needs_a_reason_and_writes_out_only_outside_the_data_folder(
    folder: Path, tmp_path: Path
) -> None:
    blank = runner.invoke(privacy_cli, ["lookup", "--identifier", "anni42", "--reason", " "])
    assert blank.exit_code != 0
    assert "--reason is required" in str(blank.exception)
    inside = folder / "answer.json"
    refused = runner.invoke(
        privacy_cli, ["lookup", "--identifier", "anni42", "--reason", "r", "--out", str(inside)]
    )
    assert refused.exit_code != 0 and not inside.exists()
    answer = tmp_path / "answer.json"
    privacy("lookup", "--identifier", "anni42", "--reason", "r", "--out", str(answer))
    assert json.loads(answer.read_text("utf-8"))["rows"] == 9
    again = runner.invoke(
        privacy_cli, ["lookup", "--identifier", "anni42", "--reason", "r", "--out", str(answer)]
    )
    assert again.exit_code != 0 and "--force" in str(again.exception)


def test_erase_removes_the_person_from_every_layer_and_rebuilds_the_log(folder: Path) -> None:
    dry = privacy("erase", "--identifier", "anni42", "--reason", "sletning", "--dry-run")
    assert "In all: would remove 9 rows in 6 files." in dry
    assert _findings("anni42")["03_primary/incidents/events.parquet"]["rows"] == 2
    done = privacy("erase", "--identifier", "anni42", "--reason", "sletning")
    assert "03_primary/incidents/events.parquet (log): removed 2, 2 kept" in done
    assert "In all: removed 9 rows in 6 files." in done
    assert _findings("anni42") == {}
    assert _findings("bo7")["03_primary/incidents/events.parquet"]["rows"] == 2
    store = LogStore()
    entry = store.entry("incidents")
    assert (entry.events, entry.cases, entry.quarantined) == (2, 2, 0)
    assert store.data.log_table("incidents").with_name("events.dfg.parquet").exists()


def test_retention_removes_what_is_older_and_keeps_undated_rows(folder: Path) -> None:
    done = json.loads(
        privacy("retention", "--older-than", "2024-07-01", "--reason", "regel", "--json")
    )
    removed = {f["path"]: (f["changed"], f["kept"], f["undated"]) for f in done["files"]}
    assert removed == {
        "01_raw/robots/csv-runs/page-0000001.json": (2, 3, 1),
        "01_raw/servicenow/incident/page-0000001.json": (1, 1, 0),
        "01_raw/time-registration/exports/small.csv.json": (7, 1, 1),
        "02_intermediate/servicenow/incident.parquet": (1, 1, 0),
        "03_primary/incidents/events.parquet": (3, 1, 0),
        "03_primary/incidents/quarantine.csv": (1, 0, 0),
        "03_primary/robots/quarantine.csv": (0, 2, 1),
        "03_primary/robots/runs.parquet": (1, 1, 0),
        "03_primary/robots/transactions.parquet": (2, 0, 0),
        "03_primary/time-registration/hours.parquet": (3, 0, 0),
        "03_primary/time-registration/hours.quarantine.csv": (4, 1, 1),
    }
    assert LogStore().entry("incidents").events == 1
    again = privacy("retention", "--older-than", "2024-07-01", "--reason", "regel")
    assert "would remove" not in again and "In all: removed 0 rows" in again


def test_sources_shows_the_key_fingerprint_never_the_key(folder: Path) -> None:
    fingerprint = key_fingerprint(KEY.encode())
    human = run("sources")
    assert f"fingerprint {fingerprint}" in human and KEY not in human
    streams = json.loads(run("sources", "--json"))
    assert {s["key_fingerprint"] for s in streams} == {fingerprint}


def test_rotate_key_maps_the_supplied_people_and_reports_the_rest(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_key = "a-new-privacy-key-9876543210"
    key_file = tmp_path / "new.key"
    key_file.write_text(new_key + "\n", "utf-8")
    key_file.chmod(0o600)
    staff = tmp_path / "staff.txt"
    staff.write_text("# staff list\nANNI42\nsvc_bot\n", "utf-8")
    args = ["--new-key-file", str(key_file), "--identifiers-file", str(staff), "--reason", "r"]
    rotated = json.loads(privacy("rotate-key", *args, "--json"))
    assert rotated["mapped"] == 2
    assert rotated["unmapped"] == [BO]
    assert rotated["new_key_fingerprint"] == key_fingerprint(new_key.encode())
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY", new_key)
    found = _findings("anni42")
    assert sum(int(str(f["rows"])) for f in found.values()) == 9
    assert _findings("svc_bot")["03_primary/robots/runs.parquet"]["rows"] == 2
    assert _findings("bo7") == {}  # unlinkable now: bo7 was not on the list
    first = recorded_privacy_requests(LogStore().data)[0]
    assert (first.action, first.target) == ("privacy rotate-key", "")
    assert first.detail.startswith("reason: r; 2 mapped, 1 unmapped; ")


def test_the_privacy_commands_are_on_the_main_command_line(folder: Path) -> None:
    listed = run("privacy", "--help")
    assert all(name in listed for name in ("lookup", "erase", "retention", "rotate-key"))
    found = run("privacy", "lookup", "--identifier", "bo7", "--reason", "indsigt")
    assert "03_primary/time-registration/hours.parquet (primary): 1 rows" in found


def test_sources_says_when_no_key_is_set(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KITFLOW_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("KITFLOW_PSEUDONYM_KEY_FILE", str(tmp_path / "none.key"))
    assert "Pseudonymisation key: fingerprint – (no key set)" in run("sources")
    assert not (tmp_path / "none.key").exists()
    refused = runner.invoke(privacy_cli, ["lookup", "--identifier", "x", "--reason", "r"])
    assert "there is no pseudonymisation key" in str(refused.exception)


def test_erasing_everyone_in_a_log_deletes_the_log(folder: Path) -> None:
    privacy("erase", "--identifier", "anni42", "--reason", "sletning")
    done = privacy("erase", "--identifier", "BO7", "--reason", "sletning")
    assert "03_primary/incidents/events.parquet (log): removed 2, 0 kept" in done
    store = LogStore()
    assert store.catalog.get("incidents") is None
    assert not store.data.log_folder("incidents").exists()
    actions = [e.action for e in recorded_privacy_requests(store.data)]
    assert actions == ["privacy erase", "privacy erase"]


def test_a_damaged_file_is_named_with_what_to_do(folder: Path) -> None:
    page = folder / "01_raw" / "servicenow" / "incident" / "page-0000001.json"
    page.write_text("{not json", "utf-8")
    failed = runner.invoke(privacy_cli, ["lookup", "--identifier", "anni42", "--reason", "r"])
    assert failed.exit_code != 0
    assert f"cannot read {page}" in str(failed.exception)
    assert "Restore that file" in str(failed.exception)


def test_retention_keeps_the_rows_of_a_person_on_hold(folder: Path) -> None:
    args = ("--older-than", "2024-07-01", "--reason", "regel", "--hold", "anni42", "--json")
    done = json.loads(privacy("retention", *args))
    removed = {f["path"]: (f["changed"], f["kept"]) for f in done["files"]}
    assert removed["03_primary/incidents/events.parquet"] == (1, 3)
    assert removed["03_primary/time-registration/hours.parquet"] == (1, 2)
    assert "01_raw/servicenow/incident/page-0000001.json" not in removed  # i1 held, i2 new
    assert _findings("anni42")["03_primary/incidents/events.parquet"]["rows"] == 2
    (entry, _lookup) = recorded_privacy_requests(LogStore().data)
    assert (entry.action, entry.target) == ("privacy retention before 2024-07-01", ANNI)


def test_the_audit_trail_never_holds_the_identifiers_in_clear(folder: Path, tmp_path: Path) -> None:
    answer = tmp_path / "answer.json"
    run("privacy", "lookup", "--identifier", "anni42", "--reason", "r", "--out", str(answer))
    (entry,) = recorded_privacy_requests(LogStore().data)
    assert entry.detail == f"reason: r; 6 files, 9 rows; written to {answer}"
    database = (folder / "kitflow.db").read_bytes()
    assert b"anni42" not in database and b"anni42" not in answer.read_bytes()
