"""Governance's conformance section on a hand-made log against a hand-checkable model.

The model is the sequence a → b → c (discovered from three cases that follow it, written as a
file the analyst sends). The log adds one case a → c. Token replay of a → c on the sequence net:
the initial token, a, and c produce 3 tokens; a, c and the final marking consume 3; c finds no
token in front of it (1 missing) and b's input place keeps one (1 remaining), so the trace
fitness is ½(1 − ⅓) + ½(1 − ⅓) = ⅔. Over the log: 3 × 4 + 3 = 15 produced and consumed, 1
missing, 1 remaining, so the log fitness is 1 − 1/15 = 0,933; 3 of 4 cases (75 %) fit.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.dashboard.governance_conformance import render_conformance
from app.figures.governance import build_net_elements
from mining import compute_variant_fitness, describe_net, discover_process_model
from mining import write_process_model as write_model
from models.store import LogStore
from tests.test_dashboard import table_rows, text
from tests.test_dashboard_analysis import import_csv

SEQUENCE_CSV = """case_id,activity,timestamp
1,a,2025-01-06T08:00:00Z
1,b,2025-01-06T09:00:00Z
1,c,2025-01-06T10:00:00Z
2,a,2025-01-07T08:00:00Z
2,b,2025-01-07T09:00:00Z
2,c,2025-01-07T10:00:00Z
3,a,2025-01-08T08:00:00Z
3,b,2025-01-08T09:00:00Z
3,c,2025-01-08T10:00:00Z
"""
LOG_CSV = SEQUENCE_CSV + "4,a,2025-01-09T08:00:00Z\n4,c,2025-01-09T10:00:00Z\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    log_store = LogStore(tmp_path / "data")
    import_csv(log_store, tmp_path, "sequence", SEQUENCE_CSV)
    import_csv(log_store, tmp_path, "orders", LOG_CSV)
    yield log_store
    log_store.catalog.dispose()


def upload_of(store: LogStore, tmp_path: Path, suffix: str) -> str:
    """The sequence model as ``dcc.Upload`` hands a file to the callback."""
    model = discover_process_model(store.read("sequence"))
    path = write_model(model, tmp_path / f"sequence{suffix}")
    return "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()


def test_the_fitness_per_variant_on_the_sequence(store: LogStore) -> None:
    model = discover_process_model(store.read("sequence"))
    found = compute_variant_fitness(store.read("orders"), model)
    assert found.select("activities", "case_count", "fits").rows() == [
        (["a", "b", "c"], 3, True),
        (["a", "c"], 1, False),
    ]
    assert found["fitness"].to_list() == pytest.approx([1.0, 2 / 3])


def test_the_net_is_described_for_drawing(store: LogStore) -> None:
    net = describe_net(discover_process_model(store.read("sequence")))
    assert net.activities == ("a", "b", "c")
    places = [n for n in net.nodes if n.kind == "place"]
    assert sorted(n.marking for n in places).count("start") == 1
    assert sorted(n.marking for n in places).count("end") == 1
    elements = build_net_elements(net)
    labels = sorted(e["data"]["label"] for e in elements if e.get("classes") == "transition")
    assert labels == ["a", "b", "c"]
    assert len([e for e in elements if "source" in e["data"]]) == len(net.arcs)


@pytest.mark.parametrize("suffix", [".pnml", ".bpmn"])
def test_the_section_against_a_sent_model(store: LogStore, tmp_path: Path, suffix: str) -> None:
    view = render_conformance(
        store,
        log="orders",
        upload=upload_of(store, tmp_path, suffix),
        filename=f"sekvens{suffix}",
        language="da",
    )
    assert view.model == f"Model: sekvens{suffix}."
    assert view.summary == (
        "Fitness (token replay) 0,933; 75,0 % af 4 sager passer helt til modellen; varianter: 2."
    )
    variants, deviations = (
        table_rows(view.result[i]) for i in (3, 5)
    )  # net heading, net, variants heading, variants, deviations heading, deviations
    assert variants == [["1", "a → b → c", "3", "1,000"], ["2", "a → c", "1", "0,667"]]
    assert deviations == [["b", "sprunget over", "1", "1"]]


def test_a_discovered_model_and_the_messages(store: LogStore) -> None:
    view = render_conformance(store, log="sequence", upload=None, filename=None, language="en")
    assert view.model == "Model: discovered from sequence (inductive miner, noise threshold 20 %)."
    assert view.summary == (
        "Fitness (token replay) 1.000; 100.0 % of 3 cases fit the model completely; variants: 1."
    )
    assert text(view.result[5]) == "No deviations: every case follows the model."
    wrong = render_conformance(
        store, log="orders", upload="data:;base64,aGVq", filename="model.txt", language="da"
    )
    assert text(wrong.message) == (
        "Konformiteten kunne ikke beregnes: the model file model.txt must end in .bpmn or .pnml."
    )
    none = render_conformance(store, log=None, upload=None, filename=None, language="da")
    assert text(none.message) == "Vælg en log for at tjekke den mod en model."
