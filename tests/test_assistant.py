"""The fill-in assistant (issue #16) on a sample of the real UCI ServiceNow export (the first
8,000 rows: time-split, seeded, exact figures) and on hand-made logs: features as filed, no person
as a feature, the abstain rule, signed model files and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from extractors.servicenow import CsvExportOptions
from models.datafolder import DataFolder
from models.ml_assistant import (
    FEATURES,
    build_incidents,
    choose_threshold,
    decide,
    macro_f1,
    read_incident_events,
    split_by_time,
    top_k_accuracy,
)
from services import AssistantError, read_model, suggest_groups, train_assistant
from tests.cli_support import run
from tests.shared_data import shared_file

UCI = "servicenow-uci-incidents/incident_event_log.zip"
ROWS = 8000
TICKET = {
    "category": "Category 26",
    "subcategory": "Subcategory 174",
    "u_symptom": "Symptom 491",
    "contact_type": "Phone",
    "location": "Location 143",
    "impact": "2 - Medium",
    "urgency": "2 - Medium",
    "opened_at": "2016-03-01T09:30",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DataFolder, Path]]:
    root = tmp_path_factory.mktemp("assistant")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KITFLOW_MODEL_KEY_FILE", str(root / "keys" / "model.key"))
        patch.setenv("KITFLOW_DATA_DIR", str(root / "data"))
        data = DataFolder.from_env()
        _, _, folder = train_assistant(data, shared_file(UCI), limit_rows=ROWS, seed=0)
        yield data, folder


def test_the_sample_gives_exact_seeded_figures(trained: tuple[DataFolder, Path]) -> None:
    card = json.loads((trained[1] / "card.json").read_text("utf-8"))
    assert card["data"]["incidents"] == 1137
    assert (card["data"]["train_incidents"], card["data"]["test_incidents"]) == (910, 227)
    model, frequent = card["metrics"]["model"], card["metrics"]["most_frequent"]
    assert (round(model["top1"], 4), round(model["top3"], 4)) == (0.5242, 0.7313)
    assert round(model["precision_at_half"], 4) == 0.6842
    assert round(frequent["top1"], 4) == 0.3084
    assert round(card["metrics"]["most_frequent_per_category"]["top1"], 4) == 0.2819
    assert card["seed"] == 0 and card["threshold"] == model["threshold"]


def test_no_person_is_a_feature(trained: tuple[DataFolder, Path]) -> None:
    card = json.loads((trained[1] / "card.json").read_text("utf-8"))
    assert card["features"] == list(FEATURES)
    people_columns = CsvExportOptions(timezone="UTC").person_columns  # as the export declares
    assert len(people_columns) == 6 and not set(FEATURES) & set(people_columns)
    people = ("caller", "opened_by", "created_by", "updated_by", "assigned_to", "resolved_by")
    assert not [f for f in FEATURES if any(p in f for p in people)]


def test_the_split_is_by_opening_time() -> None:
    incidents = build_incidents(read_incident_events(shared_file(UCI), limit_rows=ROWS))
    train, test = split_by_time(incidents, test_share=0.2)
    assert train.height + test.height == incidents.height
    assert test["opened_at"].min() > train["opened_at"].max()  # type: ignore[operator]


def _event(number: str, updated: str, category: str, group: str, row: int) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(
        ("subcategory", "u_symptom", "contact_type", "location", "impact", "urgency"), "x"
    )
    return {
        **values,
        "number": number,
        "opened_at": "1/3/2016 08:00",
        "sys_updated_at": updated,
        "category": category,
        "assignment_group": group,
        "caller_id": "Caller 1",
        "row": row,
    }


def test_features_are_the_values_as_filed_and_the_target_the_final_group() -> None:
    events = pl.DataFrame(
        [
            _event("INC2", "1/3/2016 09:00", "Category 9", "Group 2", 0),  # a later update, first
            _event("INC2", "1/3/2016 08:05", "Category 1", "Group 1", 1),  # as filed
            _event("INC2", "1/3/2016 10:00", "Category 9", "Group 3", 2),  # the final group
        ]
    ).with_columns(pl.col("row").cast(pl.UInt32))
    incident = build_incidents(events).row(0, named=True)
    assert (incident["category"], incident["target"]) == ("Category 1", "Group 3")
    assert incident["category_subcategory"] == "Category 1|x"


def test_measures_on_hand_checked_cases() -> None:
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, False, True])
    assert choose_threshold(confidence, correct, precision=0.75) == 0.6
    assert choose_threshold(confidence, correct, precision=0.8) == 0.8
    assert choose_threshold(confidence, ~correct, precision=0.8) == 1.0
    assert decide(confidence, 0.7).tolist() == [True, True, True, False]
    ranked = np.array([["a", "b", "c"], ["b", "a", "c"], ["c", "a", "b"]])
    truth = np.array(["a", "a", "a"])
    assert (top_k_accuracy(ranked, truth, 1), top_k_accuracy(ranked, truth, 3)) == (1 / 3, 1.0)
    assert macro_f1(np.array(["a", "b"]), np.array(["a", "a"])) == pytest.approx((2 / 3) / 2)


def test_the_assistant_abstains_below_the_threshold(trained: tuple[DataFolder, Path]) -> None:
    data = trained[0]
    never = suggest_groups(data, [TICKET, TICKET], threshold=1.01)
    always = suggest_groups(data, [TICKET], threshold=0.0)
    assert [s.group for s in never] == [None, None]
    assert always[0].group == always[0].top3[0][0] and len(always[0].top3) == 3
    assert 0.0 <= always[0].confidence <= 1.0


def test_a_filing_time_with_an_offset_is_read_as_copenhagen_time(
    trained: tuple[DataFolder, Path],
) -> None:
    local, utc = (
        {**TICKET, "opened_at": "2016-03-01T09:30"},
        {**TICKET, "opened_at": "2016-03-01T08:30Z"},
    )
    other = {**TICKET, "opened_at": "2016-03-06T03:30"}  # a Sunday night
    answers = suggest_groups(trained[0], [local, utc, other], threshold=0.0)
    assert answers[0] == answers[1] != answers[2]


def test_a_tampered_model_file_is_refused(trained: tuple[DataFolder, Path], tmp_path: Path) -> None:
    data, folder = trained
    copy = data.model_store() / "tampered" / "1"
    copy.mkdir(parents=True)
    for name in ("model.joblib", "model.joblib.hmac", "card.json"):
        (copy / name).write_bytes((folder / name).read_bytes())
    read_model(data, "tampered")  # an exact copy is accepted
    payload = bytearray((copy / "model.joblib").read_bytes())
    payload[-20] ^= 0xFF
    (copy / "model.joblib").write_bytes(bytes(payload))
    with pytest.raises(AssistantError, match="does not match its signature"):
        read_model(data, "tampered")


def test_the_cli_suggests_and_lists_in_json(
    trained: tuple[DataFolder, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, folder = trained
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data.root))
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(folder.parents[4] / "keys" / "model.key"))
    tickets = tmp_path / "tickets.json"
    tickets.write_text(json.dumps([TICKET, {**TICKET, "category": "Category 53"}]), "utf-8")
    answers = json.loads(run("predict", "suggest", str(tickets), "--threshold", "0", "--json"))
    assert [a["abstain"] for a in answers] == [False, False]
    assert all(len(a["top3"]) == 3 for a in answers)
    listed = json.loads(run("predict", "list", "--json"))
    assert ("assignment-group", "1") in [(c["name"], c["version"]) for c in listed]
    evaluated = json.loads(run("predict", "evaluate", "--json"))
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert evaluated["metrics"]["model"]["top1"] == card["metrics"]["model"]["top1"]


def test_each_trained_version_has_its_card_in_the_catalog(trained: tuple[DataFolder, Path]) -> None:
    data, folder = trained
    with data.log_catalog() as catalog:
        cards = [c for c in catalog.model_cards() if c.name == "assignment-group"]
    assert [c.version for c in cards] == [1]
    stored = json.loads((folder / "card.json").read_text("utf-8"))
    assert json.loads(cards[0].card) == stored
    assert cards[0].task == stored["task"]
    assert cards[0].trained_at.isoformat(timespec="seconds") == stored["trained_at"]
