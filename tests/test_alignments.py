"""Our own alignments (mining/alignments.py) have exactly pm4py's optimal costs.

pm4py's side is computed in the test on the same variants and the same net object: per variant
the optimal cost (pm4py's standard costs: sync 0, log or visible model move 10000, tau 1), the
best worst cost and the trace fitness must be identical. The reference is pm4py's Dijkstra
variant with these costs (``adapter._alignments_pm4py``, what the adapter used before) and, where
it is fast enough, pm4py's default A* (``conformance_diagnostics_alignments``, what
``fitness_alignments`` uses). Logs: the real logs in ../shared/data and the standard workload
(seed 42), each against the inductive miner's net at noise 0 and 0.2 and the net of the three
most frequent variants (which most variants do not fit). Tiny nets check costs worked out by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest

from mining import alignments
from mining import pm4py_adapter as adapter
from mining.alignments import Aligner, AlignmentNet, UnalignableNetError, align_variants
from mining.conformance import ACTIVITIES
from models.errors import InputError
from tests.shared_data import shared_file
from tests.test_replay import MODELS, mined_model, variants_of_o2c, variants_of_xes


def pm4py_module() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - the reference side only

    return pm4py


def sample(variants: pl.DataFrame, size: int) -> pl.DataFrame:
    """``size`` variants spread evenly over the table (every k-th), to keep pm4py's side fast."""
    step = max(1, variants.height // size)
    return variants.gather_every(step).head(size)


def assert_costs_equal_pm4py(
    variants: pl.DataFrame, model: adapter.ProcessModel, *, default_a_star: bool = False
) -> list[dict[str, Any]]:
    """Per variant, our cost, worst cost and fitness equal pm4py's; returns ours."""
    ours = adapter._alignments(variants, model)
    if default_a_star:
        log = adapter._event_log(variants[ACTIVITIES].to_list())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = pm4py_module().conformance_diagnostics_alignments(
                log, model.net, model.initial_marking, model.final_marking
            )
    else:
        theirs = adapter._alignments_pm4py(variants, model)
    keys = ("cost", "bwc", "fitness")
    mismatches = [
        (activities, [mine[k] for k in keys], [other[k] for k in keys])
        for activities, mine, other in zip(variants[ACTIVITIES], ours, theirs, strict=True)
        if any(mine[k] != other[k] for k in keys)
    ]
    assert mismatches == []
    assert len(ours) == variants.height
    return ours


def deviating(rows: list[dict[str, Any]]) -> int:
    return sum(1 for row in rows if row["cost"] >= adapter._MOVE_COST)


@pytest.fixture(scope="module")
def receipt() -> pl.DataFrame:
    return variants_of_xes(shared_file("pm4py-examples/receipt.xes.gz"))


@pytest.fixture(scope="module")
def o2c(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return variants_of_o2c(tmp_path_factory.mktemp("o2c"), 5_000)


@pytest.fixture(scope="module")
def bpic2013() -> pl.DataFrame:
    return variants_of_xes(shared_file("bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz"))


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_running_example_equals_pm4py(noise: float, top: int | None) -> None:
    variants = variants_of_xes(shared_file("pm4py-examples/running-example.xes"))
    model = mined_model(variants, noise, top)
    assert_costs_equal_pm4py(variants, model)
    assert_costs_equal_pm4py(variants, model, default_a_star=True)


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_receipt_equals_pm4py(receipt: pl.DataFrame, noise: float, top: int | None) -> None:
    model = mined_model(receipt, noise, top)
    # pm4py needs about 13 s for all 116 variants on the noise-free net (ours: about 1 s).
    chosen = sample(receipt, 40) if noise == 0.0 else receipt
    rows = assert_costs_equal_pm4py(chosen, model)
    if top:  # the comparison would be weak if every variant fitted
        assert deviating(rows) > chosen.height // 2


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_standard_workload_equals_pm4py(o2c: pl.DataFrame, noise: float, top: int | None) -> None:
    model = mined_model(o2c, noise, top)
    rows = assert_costs_equal_pm4py(o2c, model)
    if top:
        assert deviating(rows) > o2c.height // 2
        assert any(row["cost"] >= 2 * adapter._MOVE_COST for row in rows)  # several deviations
    else:  # the inductive miner's nets have taus, and optimal alignments fire them
        assert any(row["cost"] % adapter._MOVE_COST > 0 for row in rows)


def test_standard_workload_equals_pm4py_default_a_star(o2c: pl.DataFrame) -> None:
    # pm4py's default A* (LP heuristic), which pm4py.fitness_alignments uses.
    assert_costs_equal_pm4py(o2c, mined_model(o2c, 0.2), default_a_star=True)


@pytest.mark.parametrize(("noise", "top"), MODELS)
def test_bpic2013_equals_pm4py(bpic2013: pl.DataFrame, noise: float, top: int | None) -> None:
    # The net is mined from every variant; pm4py's side is checked on a spread-out sample.
    model = mined_model(bpic2013, noise, top)
    rows = assert_costs_equal_pm4py(sample(bpic2013, 60), model)
    if noise == 0.0:  # the inductive miner without noise filtering fits every trace
        assert deviating(rows) == 0
    else:
        assert deviating(rows) > 0


def test_fitness_equals_pm4py_fitness_alignments(o2c: pl.DataFrame) -> None:
    # The log-level figures pm4py.fitness_alignments reports, on the variants as a log.
    model = mined_model(o2c, 0.2, 3)
    counts = o2c["case_count"].to_list()
    log = adapter._event_log(
        [a for a, n in zip(o2c[ACTIVITIES].to_list(), counts, strict=True) for _ in range(n)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pm4py_module().fitness_alignments(
            log, model.net, model.initial_marking, model.final_marking
        )
    fit, trace_fitness, log_fitness = adapter._alignment_figures(
        adapter._alignments(o2c, model), counts
    )
    assert log_fitness == reference["log_fitness"]
    fitting = sum(n for f, n in zip(fit, counts, strict=True) if f)
    assert 100.0 * fitting / sum(counts) == reference["percentage_of_fitting_traces"]
    average = sum(f * n for f, n in zip(trace_fitness, counts, strict=True)) / sum(counts)
    assert average == pytest.approx(reference["average_trace_fitness"], rel=1e-12)


# ------------------------------------------------------------------------- by hand, tiny nets


def tiny_net(
    arcs: list[tuple[str, str]], labels: Mapping[str, str | None], start: str, end: str
) -> adapter.ProcessModel:
    """A pm4py net from arcs between places (p...) and transitions (named in ``labels``)."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet  # noqa: PLC0415
    from pm4py.objects.petri_net.utils import petri_utils  # noqa: PLC0415

    net = PetriNet("tiny")
    nodes: dict[str, Any] = {}
    for name, label in labels.items():
        nodes[name] = PetriNet.Transition(name, label)
        net.transitions.add(nodes[name])
    for source, target in arcs:
        for name in (source, target):
            if name not in nodes:
                nodes[name] = PetriNet.Place(name)
                net.places.add(nodes[name])
        petri_utils.add_arc_from_to(nodes[source], nodes[target], net)
    return adapter._model(net, Marking({nodes[start]: 1}), Marking({nodes[end]: 1}))


def sequence(*labels: str) -> adapter.ProcessModel:
    arcs: list[tuple[str, str]] = []
    for i in range(len(labels)):
        arcs += [(f"p{i}", f"t{i}"), (f"t{i}", f"p{i + 1}")]
    names = {f"t{i}": label for i, label in enumerate(labels)}
    return tiny_net(arcs, names, "p0", f"p{len(labels)}")


def align(model: adapter.ProcessModel, *traces: list[str]) -> list[dict[str, Any]]:
    variants = pl.DataFrame(
        {ACTIVITIES: list(traces), "case_count": [1] * len(traces)},
        schema={ACTIVITIES: pl.List(pl.String), "case_count": pl.Int64},
    )
    return assert_costs_equal_pm4py(variants, model)


def test_a_loop_with_taus() -> None:
    # a, then b once or more (tau "redo" back, tau "exit" out), then c.
    loop = tiny_net(
        [
            ("p0", "a"),
            ("a", "p1"),
            ("p1", "b"),
            ("b", "p2"),
            ("p2", "redo"),
            ("redo", "p1"),
            ("p2", "exit"),
            ("exit", "p3"),
            ("p3", "c"),
            ("c", "p4"),
        ],
        {"a": "a", "b": "b", "c": "c", "redo": None, "exit": None},
        "p0",
        "p4",
    )
    once, thrice, none = align(loop, ["a", "b", "c"], ["a", "b", "b", "b", "c"], ["a", "c"])
    assert (once["cost"], once["bwc"], once["fitness"]) == (1, 30001 + 30000, 1.0)
    assert thrice["cost"] == 3  # two redos, one exit
    assert (none["cost"], none["moves"]) == (10001, [("b", "skipped")])
    assert none["fitness"] == 1 - 1 / 5  # one deviation of 3 model + 2 log moves at worst


def test_a_tau_is_the_cheapest_way_to_the_end() -> None:
    # After a, the net ends either through b or through a tau: the tau costs 1, b 10000.
    net = tiny_net(
        [("p0", "a"), ("a", "p1"), ("p1", "b"), ("b", "p2"), ("p1", "skip"), ("skip", "p2")],
        {"a": "a", "b": "b", "skip": None},
        "p0",
        "p2",
    )
    [short, full] = align(net, ["a"], ["a", "b"])
    assert (short["cost"], short["bwc"], short["fitness"], short["moves"]) == (1, 20001, 1.0, [])
    assert (full["cost"], full["bwc"]) == (0, 30001)


def test_an_event_the_model_does_not_know_is_a_log_move() -> None:
    [row] = align(sequence("a", "b"), ["a", "x", "b"])
    assert (row["cost"], row["bwc"], row["moves"]) == (10000, 50000, [("x", "inserted")])
    assert row["fitness"] == 1 - 1 / 5


def test_the_empty_trace_is_all_model_moves() -> None:
    [row] = align(sequence("a", "b"), [])
    assert (row["cost"], row["bwc"], row["fitness"]) == (20000, 20000, 0.0)
    assert row["moves"] == [("a", "skipped"), ("b", "skipped")]


def test_equally_good_alignments_are_chosen_the_same_way_every_time() -> None:
    # "b a" on the sequence a -> b: skip a, match b, insert a; or insert b, match a, skip b.
    # Both cost 20000. Ours prefers, among equally promising states, the one further along
    # the trace: after reading b as inserted it is at position 1, after skipping a at 0.
    rows = [align(sequence("a", "b"), ["b", "a"])[0] for _ in range(3)]
    assert [row["cost"] for row in rows] == [20000] * 3
    assert [row["moves"] for row in rows] == [[("b", "inserted"), ("b", "skipped")]] * 3


def test_duplicate_labels_are_aligned() -> None:
    # Two transitions labelled a in sequence: token replay hands this to pm4py, ours aligns it.
    [twice, once] = align(sequence("a", "a"), ["a", "a"], ["a"])
    assert (twice["cost"], once["cost"]) == (0, 10000)


def test_a_label_on_two_transitions_after_a_parallel_block() -> None:
    # c; (b || d); a; d. pm4py's LESS_MEMORY Dijkstra aligns "d c b a d" at 40000; the optimum
    # (its other searches and ours) is 20000: the first d inserted, the parallel d skipped, the
    # last d in sync with the second d transition.
    net = tiny_net(
        [
            ("p0", "c"), ("c", "p1"), ("c", "p2"), ("p1", "b"), ("b", "p3"), ("p2", "d1"),
            ("d1", "p4"), ("p3", "a"), ("p4", "a"), ("a", "p5"), ("p5", "d2"), ("d2", "p6"),
        ],
        {"c": "c", "b": "b", "d1": "d", "a": "a", "d2": "d"},
        "p0",
        "p6",
    )  # fmt: skip
    [row] = align(net, ["d", "c", "b", "a", "d"])
    assert row["cost"] == 20000


def test_an_unreachable_final_marking_is_a_clear_error() -> None:
    # a moves the token to p1; the final marking asks for p2, which nothing marks.
    net = tiny_net(
        [("p0", "a"), ("a", "p1"), ("p2", "b"), ("b", "p3")], {"a": "a", "b": "b"}, "p0", "p2"
    )
    variants = pl.DataFrame({ACTIVITIES: [["a"]], "case_count": [1]})
    guidance = "Alignments need a sound workflow net"
    with pytest.raises(InputError, match=f"final marking cannot be reached.*{guidance}"):
        adapter._alignments(variants, net)
    with pytest.raises(InputError, match=f"not a easy sound net.*{guidance}"):
        adapter._alignments_pm4py(variants, net)  # pm4py's route said the same before


def test_the_module_works_on_plain_indices() -> None:
    # a then (b or tau), as indices: transitions 0 a, 1 b, 2 tau; places 0, 1, 2.
    net = AlignmentNet(
        labels=("a", "b", None),
        inputs=(((0, 1),), ((1, 1),), ((1, 1),)),
        outputs=(((1, 1),), ((2, 1),), ((2, 1),)),
        place_count=3,
        initial_marking=((0, 1),),
        final_marking=((2, 1),),
    )
    model_run, [fits, inserted] = align_variants(net, [["a", "b"], ["b", "a"]])
    assert model_run == 10001  # a, then the tau
    assert (fits.cost, fits.moves) == (0, (("a", "a"), ("b", "b")))
    assert inserted.cost == 10001
    assert inserted.moves == (("b", ">>"), ("a", "a"), (">>", None))
    with pytest.raises(UnalignableNetError, match="cannot be reached"):
        Aligner(AlignmentNet(("a",), (((0, 1),),), (((1, 1),),), 3, ((0, 1),), ((2, 1),)))


@pytest.mark.parametrize(
    ("analysis", "fitting"), [(5, 20_000), (100_000, 5)], ids=["no-analysis", "no-fitting-bound"]
)
def test_the_weaker_heuristics_give_the_same_costs(
    o2c: pl.DataFrame, monkeypatch: pytest.MonkeyPatch, analysis: int, fitting: int
) -> None:
    # A net with more markings than the limits is searched with weaker heuristics: slower,
    # but the costs stay pm4py's. The limits are lowered so the standard workload's net
    # takes those routes.
    monkeypatch.setattr(alignments, "ANALYSIS_MARKING_LIMIT", analysis)
    monkeypatch.setattr(alignments, "FITTING_MARKING_LIMIT", fitting)
    model = mined_model(o2c, 0.2, 3)
    aligner = Aligner(adapter.alignment_net(model))
    assert (aligner.bounds is None, aligner.fitting is None) == (analysis == 5, True)
    rows = assert_costs_equal_pm4py(sample(o2c, 60), model)
    assert deviating(rows) > 30


def test_an_unbounded_net_is_aligned_without_the_reachability_graph() -> None:
    # a puts a token back on p0 and one more on p1 each time: infinitely many markings. b
    # ends the run in p2, but only if a never fired (the final marking is p2 alone).
    net = AlignmentNet(
        labels=("a", "b"),
        inputs=(((0, 1),), ((0, 1),)),
        outputs=(((0, 1), (1, 1)), ((2, 1),)),
        place_count=3,
        initial_marking=((0, 1),),
        final_marking=((2, 1),),
    )
    aligner = Aligner(net)
    assert aligner.bounds is None
    assert aligner.model_run_cost == 10000
    aligned = aligner.align(["a", "b"])
    assert (aligned.cost, aligned.moves) == (10000, (("a", ">>"), ("b", "b")))


def test_hidden_transitions_producing_tokens_without_end_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A tau puts a token back on p0 and one more on p1 each time: its closure never ends.
    monkeypatch.setattr(alignments, "CLOSURE_MARKING_LIMIT", 1_000)
    net = AlignmentNet(
        labels=(None, None, "a"),
        inputs=(((0, 1),), ((1, 1),), ((0, 1),)),
        outputs=(((0, 1), (1, 1)), (), ((2, 1),)),
        place_count=3,
        initial_marking=((0, 1),),
        final_marking=((2, 1),),
    )
    with pytest.raises(UnalignableNetError, match="hidden transitions alone reach more than 1,000"):
        align_variants(net, [["a"]])


def test_without_the_order_bound_when_the_closures_pass_their_budget(
    o2c: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nets of many parallel optional tasks have closures that grow threefold per task; past
    # the budget the order bound is not built and the costs stay pm4py's.
    monkeypatch.setattr(alignments, "CLOSURE_BUDGET", 10)
    model = mined_model(o2c, 0.2, 3)
    aligner = Aligner(adapter.alignment_net(model))
    assert (aligner.bounds is None, aligner.fitting, aligner.order) == (False, None, None)
    rows = assert_costs_equal_pm4py(sample(o2c, 60), model)
    assert deviating(rows) > 30
