"""The fill-in assistant (issue #16) on a sample of the real UCI ServiceNow export (the first
8,000 rows: time-split, seeded, exact figures for the assignment group, category and priority
models) and on hand-made logs: features as filed, no person as a feature, the threshold rule on
rolling windows, the administrator's threshold, the landscape and XES sources, signed model
files and the CLI."""

from __future__ import annotations

import datetime as dt
import fcntl
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
    LANDSCAPE_SPEC,
    UCI_SPEC,
    build_incidents,
    build_landscape_cases,
    build_xes_cases,
    choose_threshold,
    decide,
    for_target,
    macro_f1,
    read_incident_events,
    split_by_time,
    time_windows,
    top_k_accuracy,
    window_threshold,
)
from services import (
    AssistantError,
    find_models,
    read_model,
    set_threshold,
    suggest_all,
    suggest_groups,
    train_targets,
)
from services.assistant import detect_source, fit_and_score, read_cases
from tests.cli_support import run
from tests.conftest import KitLandscape
from tests.shared_data import shared_file

UCI = "servicenow-uci-incidents/incident_event_log.zip"
ROWS = 8000
CATEGORY_FIGURES = (1164, 0.1034, 0.0948, 0.1013)  # cases, top-1, most frequent, threshold
PRIORITY_FIGURES = (1170, 0.8069, 0.8026, 0.6497)
LANDSCAPE_CASES = 11651
LANDSCAPE_SPLIT = (9321, 2330)
LANDSCAPE_TOP1 = (0.5009, 0.3489, 0.5013)  # model, most frequent, per category
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


@pytest.fixture(scope="session")
def trained_sample(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The three models trained on the sample once per test session (shared by this module,
    tests/test_assistant_page.py and the xdist workers: the first to take the lock trains);
    the folder holding ``keys/`` and ``data/``."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "assistant-uci-sample"
    root.mkdir(exist_ok=True)
    with (root / "train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "trained").exists():
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("KITFLOW_MODEL_KEY_FILE", str(root / "keys" / "model.key"))
                data = DataFolder.from_env(root / "data")
                train_targets(data, shared_file(UCI), limit_rows=ROWS, seed=0)
            (root / "trained").touch()
        fcntl.flock(lock, fcntl.LOCK_UN)
    return root


@pytest.fixture
def trained(
    trained_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DataFolder, Path]]:
    """The sample's data folder (its key and folder in the environment) and the assignment
    group's version folder."""
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(trained_sample / "keys" / "model.key"))
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(trained_sample / "data"))
    data = DataFolder.from_env()
    yield data, data.model_store() / "assignment-group" / "1"


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
    incidents = for_target(
        build_incidents(read_incident_events(shared_file(UCI), limit_rows=ROWS)), "group"
    )
    train, test = split_by_time(incidents, test_share=0.2)
    assert train.height + test.height == incidents.height
    assert test["opened_at"].min() > train["opened_at"].max()  # type: ignore[operator]


def _event(number: str, updated: str, category: str, group: str, row: int) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(
        ("subcategory", "u_symptom", "contact_type", "location", "impact", "urgency", "priority"),
        "x",
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
    incident = for_target(build_incidents(events), "group").row(0, named=True)
    assert (incident["category"], incident["target"]) == ("Category 1", "Group 3")
    assert incident["category_subcategory"] == "Category 1|x"
    assert incident["target_category"] == "Category 9|x"  # the final category|subcategory


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


def _card(data: DataFolder, name: str) -> dict[str, object]:
    return next(c for c in find_models(data) if c["name"] == name and c["version"] == "1")


def test_each_target_is_its_own_model_with_exact_figures(trained: tuple[DataFolder, Path]) -> None:
    data = trained[0]
    category, priority = _card(data, "category"), _card(data, "priority")
    assert category["target"] == "category" and priority["target"] == "priority"
    assert category["features"] == [
        "u_symptom",
        "contact_type",
        "location",
        "impact",
        "urgency",
        "opened_hour",
        "opened_weekday",
    ]
    assert priority["features"] == [
        "category",
        "subcategory",
        "u_symptom",
        "contact_type",
        "location",
        "opened_hour",
        "opened_weekday",
        "category_subcategory",
        "category_subcategory_symptom",
        "location_category",
    ]
    assert (category["baseline_by"], priority["baseline_by"]) == ("u_symptom", "category")
    figures = {
        name: (
            c["data"]["incidents"],  # type: ignore[index]
            round(c["metrics"]["model"]["top1"], 4),  # type: ignore[index]
            round(c["metrics"]["most_frequent"]["top1"], 4),  # type: ignore[index]
            round(c["threshold"], 4),  # type: ignore[arg-type]
        )
        for name, c in (("category", category), ("priority", priority))
    }
    assert figures == {"category": CATEGORY_FIGURES, "priority": PRIORITY_FIGURES}


def test_priority_is_the_lookup_of_impact_and_urgency() -> None:
    events = read_incident_events(shared_file(UCI), limit_rows=ROWS)
    per_pair = events.group_by("impact", "urgency").agg(pl.col("priority").n_unique())
    assert per_pair["priority"].max() == 1  # so neither is a feature of the priority model
    assert not {"impact", "urgency"} & set(UCI_SPEC.features("priority").columns)


def test_rolling_windows_and_the_threshold_they_give() -> None:
    frame = pl.DataFrame(
        {"opened_at": [dt.datetime(2016, 3, d) for d in range(1, 11)], "number": list("abcdefghij")}
    )
    pairs = time_windows(frame, (0.5, 0.8))
    assert [(b.height, w.height) for b, w in pairs] == [(5, 3), (8, 2)]
    assert pairs[0][1]["number"].to_list() == ["f", "g", "h"]
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, False, True, True])
    windows = np.array([0, 0, 1, 1])
    # window 0 reaches 80 % only at 0.9, half its cases at 0.8; window 1 at 0.6: the lowest
    assert window_threshold(confidence, correct, windows, precision=0.8, coverage=0.5) == 0.6
    pooled = np.zeros(4, dtype=np.int64)
    assert window_threshold(confidence, correct, pooled, precision=0.8, coverage=0.5) == 0.7


def test_an_administrator_sets_the_threshold(
    trained: tuple[DataFolder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, folder = trained
    copy = data.model_store() / "priority-copy" / "1"
    copy.mkdir(parents=True)
    for name in ("model.joblib", "model.joblib.hmac", "card.json"):
        (copy / name).write_bytes((folder.parents[1] / "priority" / "1" / name).read_bytes())
    with pytest.raises(AssistantError, match=r"between 0 and 1, not 1\.5"):
        set_threshold(data, "priority-copy", 1.5)
    written = set_threshold(data, "priority-copy", 0.99)
    assert (written["version"], written["threshold"]) == ("1", 0.99)
    card = _card(data, "priority-copy")
    assert round(card["trained_threshold"], 4) == PRIORITY_FIGURES[3]  # type: ignore[arg-type]
    assert card["threshold"] == 0.99 and "threshold_set_at" in card
    said = suggest_groups(data, [TICKET], name="priority-copy")[0]
    assert (said.group, said.threshold) == (None, 0.99)  # abstains below the set threshold
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data.root))
    monkeypatch.setenv("KITFLOW_MODEL_KEY_FILE", str(folder.parents[4] / "keys" / "model.key"))
    shown = json.loads(run("predict", "threshold", "priority-copy", "0.25", "--json"))
    assert shown["threshold"] == 0.25
    assert suggest_groups(data, [TICKET], name="priority-copy")[0].threshold == 0.25


def test_suggest_answers_every_target(trained: tuple[DataFolder, Path]) -> None:
    answer = suggest_all(trained[0], [TICKET], threshold=0.0)[0]
    assert list(answer) == ["group", "abstain", "confidence", "top3", "targets"]
    assert list(answer["targets"]) == ["group", "category", "priority"]
    assert answer["group"] == answer["targets"]["group"]["value"]
    for said in answer["targets"].values():
        assert said["abstain"] is False and len(said["top3"]) == 3 and said["threshold"] == 0.0
    assert answer["targets"]["category"]["model"] == "category v1"


def test_the_sources_are_told_apart(tmp_path: Path) -> None:
    assert detect_source(Path("x/incident_event_log.zip")) == "uci"
    assert detect_source(Path("BPI_Challenge_2013_incidents.xes.gz")) == "xes"
    staged = tmp_path / "02_intermediate" / "servicenow"
    staged.mkdir(parents=True)
    (staged / "incident.parquet").write_bytes(b"")
    assert detect_source(tmp_path) == "landscape"
    with pytest.raises(AssistantError, match="cannot tell what"):
        detect_source(tmp_path / "nothing")


def test_landscape_cases_take_the_filed_fields_and_the_final_group() -> None:
    at = dt.datetime(2023, 1, 2, 8, 0, tzinfo=dt.UTC)
    incidents = pl.DataFrame(
        {
            "number": ["INC1"],
            "opened_at": [at],
            "category": ["adgang"],
            "contact_type": ["phone"],
            "impact": ["2"],
            "urgency": ["3"],
            "priority": ["3"],
            "assignment_group": ["g2"],
            "caller_id": ["p-1"],
        }
    )
    orders = pl.DataFrame(
        {
            "number": ["RITM1"],
            "opened_at": [at + dt.timedelta(hours=1)],
            "cat_item": ["i1"],
            "contact_type": [None],
            "impact": [None],
            "urgency": [None],
            "assignment_group": ["g1"],
        },
        schema_overrides={"contact_type": pl.Utf8, "impact": pl.Utf8, "urgency": pl.Utf8},
    )
    groups = pl.DataFrame({"sys_id": ["g1", "g2"], "name": ["Applikationer", "Servicedesk"]})
    items = pl.DataFrame({"sys_id": ["i1"], "name": ["Journalisering i eDoc"]})
    cases = build_landscape_cases(incidents, orders, groups, items)
    assert cases.select(
        "number", "opened_at", "type", "category", "target_group", "target_priority"
    ).rows() == [
        (
            "INC1",
            dt.datetime(2023, 1, 2, 9, 0),
            "hændelse",
            "adgang",
            "Servicedesk",
            "3 - Moderat",
        ),
        (
            "RITM1",
            dt.datetime(2023, 1, 2, 10, 0),
            "bestilling",
            "Journalisering i eDoc",
            "Applikationer",
            None,
        ),
    ]
    assert "caller_id" not in cases.columns
    assert for_target(cases, "priority", LANDSCAPE_SPEC)["number"].to_list() == ["INC1"]


def test_xes_cases_are_known_at_the_first_event_with_the_final_group() -> None:
    at = dt.datetime(2012, 5, 1, 8, 0, tzinfo=dt.UTC)
    events = pl.DataFrame(
        {
            "case_id": ["1", "1", "1"],
            "event_order": [2, 0, 1],
            "timestamp": [at + dt.timedelta(hours=2), at, at + dt.timedelta(hours=1)],
            "org_unit": ["G3 2nd", "G1", "G2"],
            "resource": ["Siebel", "Anna", "Bo"],
            "impact": ["Low", "Medium", "High"],
            "product": ["PROD1", "PROD1", "PROD1"],
            "organization country": ["se", "se", "se"],
            "organization involved": ["Org A", "Org A", "Org B"],
            "org:role": ["A2_4", "A2_1", "A2_2"],
            "resource country": ["India", "Sweden", "Brazil"],
        }
    )
    case = build_xes_cases(events).row(0, named=True)
    assert (case["impact"], case["org:role"], case["resource country"]) == (
        "Medium",
        "A2_1",
        "Sweden",
    )
    assert case["target_group"] == "G3 2nd" and case["opened_at"] == at.replace(tzinfo=None)
    assert "resource" not in case


def test_the_landscape_source_beside_its_baselines(kit_landscape: KitLandscape) -> None:
    cases = read_cases(kit_landscape.data_dir, "landscape")
    assert cases.height == LANDSCAPE_CASES
    _, evaluation, train, test = fit_and_score(cases, LANDSCAPE_SPEC, "group")
    assert (train.height, test.height) == LANDSCAPE_SPLIT
    assert (
        round(evaluation.model.top1, 4),
        round(evaluation.most_frequent.top1, 4),
        round(evaluation.most_frequent_per_category.top1, 4),
    ) == LANDSCAPE_TOP1
