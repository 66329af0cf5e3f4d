"""Our token-based replayer (mining/token_replay.py) gives exactly pm4py's token counts.

pm4py's side is pm4py's own ``token_replay.apply`` on the same variants and the same net object,
computed in the test: per variant the fit flag, trace fitness and the missing, consumed,
remaining and produced tokens must be identical, on the real logs in ../shared/data and on the
standard workload (seed 42), for the inductive miner's nets (with hidden transitions) and for
nets mined from a few variants only, which most of the log does not fit. Tiny nets check the
counts against values worked out by hand.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from mining import pm4py_adapter as adapter
from mining.conformance import ACTIVITIES, compute_variant_table
from mining.token_replay import ReplayCounts, UnsupportedNetError, replay_variants
from tests.shared_data import SHARED_DATA, shared_file

GENERATOR = SHARED_DATA.parent / "bench" / "gen_o2c_log.py"


def pm4py_module() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - the reference side only

    return pm4py


def variants_of_xes(path: Path) -> pl.DataFrame:
    frame = pm4py_module().read_xes(str(path))
    events = pl.from_pandas(frame[["case:concept:name", "concept:name"]]).rename(
        {"case:concept:name": "case_id", "concept:name": "activity"}
    )
    return compute_variant_table(events.with_columns(pl.col("activity").cast(pl.Categorical)))


def variants_of_o2c(root: Path, events: int) -> pl.DataFrame:
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips, or fails on CI, with the reason
    prefix = root / "o2c"
    subprocess.run(
        [sys.executable, str(GENERATOR), str(events), str(prefix), "42"],
        check=True,
        capture_output=True,
    )
    stored = pl.read_parquet(prefix.with_suffix(".parquet")).sort("case_id", "timestamp")
    return compute_variant_table(stored.with_columns(pl.col("activity").cast(pl.Categorical)))


def mined_model(variants: pl.DataFrame, noise: float, top: int | None = None) -> Any:
    """pm4py's inductive net of the variants (or of the ``top`` most frequent ones only)."""
    chosen = variants.sort("case_count", descending=True).head(top) if top else variants
    log = adapter._event_log(chosen[ACTIVITIES].to_list())
    net, im, fm = pm4py_module().discover_petri_net_inductive(log, noise_threshold=noise)
    return adapter._model(net, im, fm)


def assert_same_as_pm4py(variants: pl.DataFrame, model: adapter.ProcessModel) -> list[list[Any]]:
    reference = adapter._token_replay_pm4py(variants, model)
    ours = [
        c.as_row()
        for c in replay_variants(adapter.replay_net(model), variants[ACTIVITIES].to_list())
    ]
    mismatches = [
        (activities, theirs, mine)
        for activities, theirs, mine in zip(variants[ACTIVITIES], reference, ours, strict=True)
        if theirs != mine
    ]
    assert mismatches == []
    assert len(ours) == variants.height
    return ours


MODELS = [(0.0, None), (0.2, None), (0.2, 3)]
"""(noise, top variants mined): the inductive miner's net of the whole log, with and without
noise, and the net of the three most frequent variants (most of the log then does not fit)."""


@pytest.fixture(scope="module")
def receipt() -> pl.DataFrame:
    return variants_of_xes(shared_file("pm4py-examples/receipt.xes.gz"))


@pytest.fixture(scope="module")
def o2c(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return variants_of_o2c(tmp_path_factory.mktemp("o2c"), 30_000)


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_running_example_equals_pm4py(noise: float, top: int | None) -> None:
    variants = variants_of_xes(shared_file("pm4py-examples/running-example.xes"))
    assert_same_as_pm4py(variants, mined_model(variants, noise, top))


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_receipt_equals_pm4py(receipt: pl.DataFrame, noise: float, top: int | None) -> None:
    rows = assert_same_as_pm4py(receipt, mined_model(receipt, noise, top))
    if top:  # the comparison would be weak if every variant fitted
        assert sum(1 for row in rows if not row[0]) > receipt.height // 2


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_standard_workload_equals_pm4py(o2c: pl.DataFrame, noise: float, top: int | None) -> None:
    rows = assert_same_as_pm4py(o2c, mined_model(o2c, noise, top))
    if top:  # missing and remaining tokens both occur, so every count is exercised
        assert any(row[2] > 0 for row in rows) and any(row[4] > 0 for row in rows)


def test_bpic2013_equals_pm4py() -> None:
    path = shared_file("bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz")
    variants = variants_of_xes(path)
    assert_same_as_pm4py(variants, mined_model(variants, 0.2))


# ------------------------------------------------------------------------- by hand, tiny nets


def sequence_net(steps: list[str | None]) -> adapter.ProcessModel:
    """A sequence p0 -> t1 -> p1 -> ... -> pn; None is a hidden transition."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet  # noqa: PLC0415
    from pm4py.objects.petri_net.utils import petri_utils  # noqa: PLC0415

    net = PetriNet("sequence")
    places = [PetriNet.Place(f"p{i}") for i in range(len(steps) + 1)]
    for place in places:
        net.places.add(place)
    for i, label in enumerate(steps):
        transition = PetriNet.Transition(f"t{i}", label)
        net.transitions.add(transition)
        petri_utils.add_arc_from_to(places[i], transition, net)
        petri_utils.add_arc_from_to(transition, places[i + 1], net)
    return adapter._model(net, Marking({places[0]: 1}), Marking({places[-1]: 1}))


def test_a_skipped_step_counts_one_missing_and_one_remaining_token() -> None:
    # Trace "b" on a -> b: b lacks p1's token (missing 1), p0's token stays (remaining 1);
    # consumed: b's 1 + the final marking's 1; produced: the initial 1 + b's 1.
    [counts] = replay_variants(adapter.replay_net(sequence_net(["a", "b"])), [["b"]])
    assert counts == ReplayCounts(False, 0.5, 1, 2, 1, 2)


def test_hidden_steps_are_fired_to_enable_the_next_event() -> None:
    # Trace "a b" on a -> tau -> b: tau fires between them, all tokens balance.
    [counts] = replay_variants(adapter.replay_net(sequence_net(["a", None, "b"])), [["a", "b"]])
    assert counts == ReplayCounts(True, 1.0, 0, 4, 0, 4)


def test_an_activity_unknown_to_the_model_is_skipped() -> None:
    net = adapter.replay_net(sequence_net(["a", "b"]))
    assert replay_variants(net, [["a", "x", "b"]]) == replay_variants(net, [["a", "b"]])
    assert replay_variants(net, [["a", "b"]]) == [ReplayCounts(True, 1.0, 0, 3, 0, 3)]


def test_duplicate_labels_fall_back_to_pm4py() -> None:
    model = sequence_net(["a", "a"])
    with pytest.raises(UnsupportedNetError, match=r"\['a'\] sit on more than one transition"):
        adapter.replay_net(model)
    variants = pl.DataFrame({ACTIVITIES: [["a", "a"], ["a"]], "case_count": [2, 1]})
    assert adapter._token_replay(variants, model) == adapter._token_replay_pm4py(variants, model)
