"""The simulator builds ServiceNow records and audit rows a chunk of cases at a time: any chunk
size writes byte for byte the files of one chunk holding every case. Its JSON writer (orjson where
that gives the same bytes) writes the bytes of json.dumps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from simulator import servicenow, writer
from simulator.cases import AuditSequence, CasePlan, audit_rows, settle, settled_chunks
from simulator.generate import simulate


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_tiny_chunks_write_the_files_of_one_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servicenow, "CHUNK_CASES", 10**9)
    whole = simulate(tmp_path / "whole", seed=7, scale=0.03)
    monkeypatch.setattr(servicenow, "CHUNK_CASES", 97)
    chunked = simulate(tmp_path / "chunked", seed=7, scale=0.03)
    assert chunked.counts == whole.counts
    assert chunked.counts["servicenow"]["incident"] > 10 * 97  # many chunks, one cut mid-way
    assert chunked.counts["servicenow"]["sys_audit"] == whole.counts["servicenow"]["sys_audit"]
    assert _files(tmp_path / "chunked") == _files(tmp_path / "whole")


def _plan() -> CasePlan:
    """Five cases of three steps; the assignee changes on some, the state on all seen steps."""
    return CasePlan(
        table="incident",
        sys_id=np.array(["a", "b", "c", "d", "e"]),
        times=np.array([[1, 2, 3], [1, 2, 30], [1, 2, 3], [1, 2, 3], [1, 2, 3]]),
        actor=np.array([[0, 1, 1], [1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]]),
        valid=np.ones((5, 3), dtype=bool),
        fields={
            "state": np.repeat(np.array([[0, 1, 2]]), 5, axis=0),
            "assigned_to": np.array([[0, 1, 1], [0, 0, 2], [0, 2, 1], [0, 1, 2], [0, 0, 0]]),
        },
        vocab={"state": np.array(["1", "2", "6"]), "assigned_to": np.array(["", "x", "y"])},
    )


def test_chunks_number_audit_rows_as_the_whole_plan() -> None:
    users = np.array(["u0", "u1"])
    whole = audit_rows(settle(_plan(), 10), users, AuditSequence(1, next_seq=5))
    seq = AuditSequence(1, next_seq=5)
    parts = [
        audit_rows(chunk, users, seq, first)
        for _, chunk, first in settled_chunks(settle(_plan(), 10), seq, 2)
    ]
    # Case b's last step lies after the cut-off (10): 9 state and 5 assignee changes remain.
    assert seq.next_seq == 5 + 9 + 5
    assert whole.height == 14
    assert [p.height for p in parts] == [4, 8, 2]  # cases a, b | c, d | e
    both = pl.concat(parts).sort("sys_id")
    assert both.equals(whole.sort("sys_id"))
    assert both["newvalue"].sort().to_list() == ["2"] * 5 + ["6"] * 4 + ["x"] * 3 + ["y"] * 2
    assert both.filter(documentkey="c")["oldvalue"].sort().to_list() == ["", "1", "2", "y"]


def test_a_vocabulary_that_repeats_a_text_is_refused() -> None:
    plan = _plan()
    plan.vocab["assigned_to"] = np.array(["", "x", "x"])
    with pytest.raises(ValueError, match="assigned_to repeats a text"):
        settle(plan, 10)


@pytest.mark.parametrize(
    "payload",
    [
        {"rate": 5e-05, "tiny": [1e-07, -1.5e-05], "ok": 0.0001},
        {"big": 1e16, "huge": 1.2345e22, "n": 3.0, "neg": -0.0, "i": 2**63 - 1},
        {"text": 'æøå "x" \\ \u2028 \x1f\x7f 1e-7, 0.00001', "nested": [{"a": None, "b": True}]},
        {1: "a key that is not text", "n": 2**70},
        {"nan": float("nan"), "inf": [float("inf"), -float("inf")], "none": None},
    ],
)
def test_dump_json_writes_the_bytes_of_json_dumps(tmp_path: Path, payload: object) -> None:
    writer.dump_json(tmp_path / "x.json", payload)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert (tmp_path / "x.json").read_bytes() == text.encode()
