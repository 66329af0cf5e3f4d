"""The one module that imports pm4py: model discovery, model files, replay and alignments.

A canonical polars log never goes to pm4py whole. It is reduced to its variants (one trace per
distinct activity sequence, with its case count); pm4py replays or aligns each variant once and
the results are weighted by the counts. That gives the same figures pm4py computes on the full
log (its log fitness sums integer token and cost totals, precision sums weighted prefix counts),
at the cost of the variants only.

Results are cached per (log fingerprint, model fingerprint): in memory for the process, and on
disk when a ``cache_dir`` is given (the CLI uses ``<data>/07_model_output/conformance``). The log
fingerprint is a hash of its variant table, since nothing else of a log changes these results.

pm4py is imported inside the functions: it takes seconds to load and most commands never need it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import polars as pl

from mining.alignments import AlignmentNet, UnalignableNetError, align_variants
from mining.conformance import (
    ACTIVITIES,
    CASE_COUNT,
    VariantSource,
    build_deviation_table,
    case_variant_table,
    compute_prefix_counts,
    fingerprint_variants,
    spread_deviations_to_cases,
    variant_table,
    weighted_mean,
)
from mining.token_replay import Net as ReplayNet
from mining.token_replay import UnsupportedNetError, replay_variants
from models.errors import InputError, KitflowError

ReplayMethod = Literal["token_replay", "alignments"]
DeviationLevel = Literal["variant", "case"]
ModelFormat = Literal["bpmn", "pnml"]

_ACTIVITY_KEY = "concept:name"
# pm4py's alignment cost of one log or model move; taus cost 1 on top, hence the floor division.
_MOVE_COST = 10000
_MEMORY_ENTRIES = 64
_T = TypeVar("_T")


@dataclass(frozen=True)
class ProcessModel:
    """A process model as pm4py holds it: an accepting Petri net, and the tree or BPMN diagram
    it came from when there is one. ``fingerprint`` identifies the net for caching."""

    net: Any
    initial_marking: Any
    final_marking: Any
    fingerprint: str
    tree: Any | None = None
    bpmn: Any | None = None

    @property
    def activities(self) -> frozenset[str]:
        """The labels of the visible transitions."""
        return frozenset(t.label for t in self.net.transitions if t.label is not None)


@dataclass(frozen=True)
class FitnessResult:
    """Fitness of one log against one model (one value per log), as pm4py defines it.

    ``log_fitness``: token replay: 0.5 (1 - missing/consumed) + 0.5 (1 - remaining/produced)
    over all cases; alignments: 1 - total cost / total worst cost, where pm4py counts each
    silent (tau) step at 1/10000 of a deviation, so a perfectly fitting log scores a hair under
    1 on a model with silent steps. ``average_case_fitness``: the
    mean of the per-case fitness. ``fitting_cases_pct``: cases that replay without deviation.
    """

    method: ReplayMethod
    log_fitness: float
    average_case_fitness: float
    fitting_cases_pct: float
    cases: int
    variants: int


@dataclass(frozen=True)
class CacheStats:
    """Counters of the conformance cache since the process started (or the last clear)."""

    hits: int
    disk_hits: int
    misses: int


_memory: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_counters = {"hits": 0, "disk_hits": 0, "misses": 0}


def read_cache_stats() -> CacheStats:
    """How often a conformance result came from memory, from disk, or was computed."""
    return CacheStats(**_counters)


def clear_cache() -> None:
    """Forget the in-memory results and reset the counters (files on disk stay)."""
    _memory.clear()
    for key in _counters:
        _counters[key] = 0


@contextmanager
def _quiet_pm4py() -> Iterator[Any]:
    # pm4py warns about deprecations and draws progress bars on stderr; neither helps a user.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - slow to import, only needed here

        yield pm4py


# ---------------------------------------------------------------------------------- discovery


def discover_process_model(events: VariantSource, *, noise_threshold: float = 0.0) -> ProcessModel:
    """The inductive miner's process tree of a log, with its Petri net (``noise_threshold`` 0:
    IM, above 0: IMf), discovered from the variants exactly as pm4py's
    ``discover_process_tree_inductive`` does from the whole log."""
    if not 0.0 <= noise_threshold <= 1.0:
        raise InputError(
            f"noise threshold {noise_threshold} is outside 0..1: use e.g. 0.2 to leave out "
            "behaviour seen in fewer than 20 % of the cases at a split."
        )
    variants = variant_table(events)
    if variants.height == 0:
        raise InputError("the log has no events: there is nothing to discover a model from.")
    with _quiet_pm4py() as pm4py:
        tree = _inductive_tree(variants, noise_threshold)
        net, im, fm = pm4py.convert_to_petri_net(tree)
    return _model(net, im, fm, tree=tree)


def _inductive_tree(variants: pl.DataFrame, noise_threshold: float) -> Any:
    from collections import Counter  # noqa: PLC0415

    from pm4py.algo.discovery.inductive.dtypes.im_ds import (  # noqa: PLC0415
        IMDataStructureUVCL,
    )
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL  # noqa: PLC0415
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL  # noqa: PLC0415
    from pm4py.objects.process_tree.utils import generic  # noqa: PLC0415
    from pm4py.util.compression.dtypes import UVCL  # noqa: PLC0415

    # The multiset of variants (pm4py's UVCL) is what the miner reads from a log anyway; first-
    # seen order is kept because the miner's tie-breaking follows it.
    uvcl: UVCL = Counter(
        {tuple(a): int(n) for a, n in variants.select(ACTIVITIES, CASE_COUNT).iter_rows()}
    )
    parameters = {"noise_threshold": noise_threshold}
    miner = IMFUVCL(parameters) if noise_threshold > 0 else IMUVCL(parameters)
    tree = miner.apply(IMDataStructureUVCL(uvcl), parameters)
    tree = generic.fold(tree)
    generic.tree_sort(tree)
    return tree


def _model(net: Any, im: Any, fm: Any, *, tree: Any = None, bpmn: Any = None) -> ProcessModel:
    from pm4py.objects.petri_net.exporter.variants import pnml  # noqa: PLC0415

    text = pnml.export_petri_as_string(net, im, fm)
    fingerprint = hashlib.sha256(text if isinstance(text, bytes) else text.encode()).hexdigest()
    return ProcessModel(net, im, fm, fingerprint[:32], tree=tree, bpmn=bpmn)


# ------------------------------------------------------------------------------- model files


def write_process_model(model: ProcessModel, path: Path) -> Path:
    """Write ``model`` as BPMN 2.0 with a diagram layout (``.bpmn``: opens in Camunda Modeler or
    bpmn.io) or as a Petri net (``.pnml``); the suffix of ``path`` decides."""
    model_format = _model_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet_pm4py() as pm4py:
        if model_format == "pnml":
            pm4py.write_pnml(model.net, model.initial_marking, model.final_marking, str(path))
        else:
            bpmn = model.bpmn or pm4py.convert_to_bpmn(
                model.tree
                if model.tree is not None
                else (model.net, model.initial_marking, model.final_marking)
            )
            # pm4py's own layout needs Graphviz's ``dot`` program; ours needs nothing.
            _layout_bpmn(bpmn)
            pm4py.write_bpmn(bpmn, str(path), auto_layout=False)
    return path


_COLUMN_WIDTH, _ROW_HEIGHT = 170, 110
_SIZES = {"Task": (120, 60), "StartEvent": (36, 36), "EndEvent": (36, 36)}
_GATEWAY_SIZE = (50, 50)


def _layout_bpmn(bpmn: Any) -> None:
    """Left-to-right layered positions for every node, straight flows between them.

    A node's column is its longest distance from the start along forward flows (loops back are
    left out); nodes of one column stack downwards in the order they were reached.
    """
    nodes, flows = list(bpmn.get_nodes()), list(bpmn.get_flows())
    outgoing: dict[Any, list[Any]] = {n: [] for n in nodes}
    for flow in flows:
        outgoing[flow.get_source()].append(flow.get_target())
    column = _longest_path_columns(nodes, outgoing)
    rows: dict[int, int] = {}
    layout = bpmn.get_layout()
    for node in sorted(nodes, key=lambda n: column[n]):
        width, height = _SIZES.get(type(node).__name__, _GATEWAY_SIZE)
        row = rows.get(column[node], 0)
        rows[column[node]] = row + 1
        place = layout.get(node)
        place.set_width(width)
        place.set_height(height)
        place.set_x(column[node] * _COLUMN_WIDTH + (_COLUMN_WIDTH - width) // 2)
        place.set_y(row * _ROW_HEIGHT + (_ROW_HEIGHT - height) // 2)
    for flow in flows:
        source, target = layout.get(flow.get_source()), layout.get(flow.get_target())
        line = layout.get(flow)
        line.del_waypoints()
        line.add_waypoint(
            (source.get_x() + source.get_width(), source.get_y() + source.get_height() // 2)
        )
        line.add_waypoint((target.get_x(), target.get_y() + target.get_height() // 2))


def _longest_path_columns(nodes: list[Any], outgoing: dict[Any, list[Any]]) -> dict[Any, int]:
    # Depth-first search from the start events marks the flows that close a loop; the longest
    # path over the remaining (acyclic) flows gives each node its column.
    starts = [n for n in nodes if type(n).__name__ == "StartEvent"] or nodes[:1]
    order: list[Any] = []
    back: set[tuple[Any, Any]] = set()
    state: dict[Any, int] = {}

    def visit(node: Any) -> None:
        state[node] = 1
        for target in outgoing[node]:
            if state.get(target) == 1:
                back.add((node, target))
            elif target not in state:
                visit(target)
        state[node] = 2
        order.append(node)

    for node in [*starts, *nodes]:
        if node not in state:
            visit(node)
    column = dict.fromkeys(nodes, 0)
    for node in reversed(order):  # a topological order of the forward flows
        for target in outgoing[node]:
            if (node, target) not in back:
                column[target] = max(column[target], column[node] + 1)
    return column


def read_process_model(path: Path) -> ProcessModel:
    """A reference model from a ``.bpmn`` or ``.pnml`` file, as an accepting Petri net."""
    model_format = _model_format(path)
    if not path.is_file():
        raise InputError(f"the model file {path} does not exist: check the path given to --model.")
    try:
        with _quiet_pm4py() as pm4py:
            if model_format == "pnml":
                net, im, fm = pm4py.read_pnml(str(path))
                return _model(net, im, fm)
            bpmn = pm4py.read_bpmn(str(path))
            net, im, fm = pm4py.convert_to_petri_net(bpmn)
            return _model(net, im, fm, bpmn=bpmn)
    except KitflowError:
        raise
    except Exception as error:
        raise InputError(
            f"cannot read the {model_format.upper()} model {path}: {error}. Export it again "
            "from the modeller (BPMN 2.0 XML, or PNML with an initial and a final marking)."
        ) from error


def _model_format(path: Path) -> ModelFormat:
    suffix = path.suffix.lower()
    if suffix == ".bpmn":
        return "bpmn"
    if suffix == ".pnml":
        return "pnml"
    raise InputError(f"the model file {path} must end in .bpmn or .pnml (it ends in {suffix!r}).")


# --------------------------------------------------------------------------------- conformance


def compute_fitness(
    events: VariantSource,
    model: ProcessModel,
    *,
    method: ReplayMethod = "token_replay",
    cache_dir: Path | None = None,
) -> FitnessResult:
    """Fitness of the log against the model, equal to pm4py's ``fitness_token_based_replay``
    or ``fitness_alignments`` on the same log (computed on the variants, weighted by counts)."""
    variants = variant_table(events)
    counts = variants[CASE_COUNT].to_list()
    if method == "token_replay":
        fit, trace_fitness, log_fitness = _token_replay_figures(
            _replayed(variants, model, cache_dir), counts
        )
    else:
        fit, trace_fitness, log_fitness = _alignment_figures(
            _aligned(variants, model, cache_dir), counts
        )
    cases = sum(counts)
    fitting = sum(n for f, n in zip(fit, counts, strict=True) if f)
    return FitnessResult(
        method=method,
        log_fitness=log_fitness,
        average_case_fitness=weighted_mean(trace_fitness, counts),
        fitting_cases_pct=100.0 * fitting / cases if cases else 0.0,
        cases=cases,
        variants=variants.height,
    )


def compute_variant_fitness(
    events: VariantSource, model: ProcessModel, *, cache_dir: Path | None = None
) -> pl.DataFrame:
    """One row per variant (see :func:`mining.compute_variant_table`) with its token-based
    ``fitness`` (pm4py's trace fitness) and ``fits`` (replayed without missing or remaining
    tokens); the same replay, and cache, as :func:`compute_fitness`."""
    variants = variant_table(events)
    rows = _replayed(variants, model, cache_dir)
    return variants.with_columns(
        pl.Series("fitness", [float(row[1]) for row in rows], dtype=pl.Float64),
        pl.Series("fits", [bool(row[0]) for row in rows], dtype=pl.Boolean),
    )


def _token_replay_figures(
    rows: list[list[Any]], counts: list[int]
) -> tuple[list[bool], list[float], float]:
    """Per-variant fit flags and fitness, and pm4py's log fitness over the weighted tokens."""

    def total(i: int) -> int:
        return sum(int(row[i]) * n for row, n in zip(rows, counts, strict=True))

    missing, consumed, remaining, produced = total(2), total(3), total(4), total(5)
    log_fitness = 0.0
    if consumed > 0 and produced > 0:
        log_fitness = 0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced)
    return [bool(r[0]) for r in rows], [float(r[1]) for r in rows], log_fitness


def _alignment_figures(
    aligned: list[dict[str, Any]], counts: list[int]
) -> tuple[list[bool], list[float], float]:
    """Per-variant fit flags and fitness, and pm4py's log fitness: 1 - cost / worst cost."""
    cost = sum(a["cost"] * n for a, n in zip(aligned, counts, strict=True))
    worst = sum(a["bwc"] * n for a, n in zip(aligned, counts, strict=True))
    log_fitness = 1.0 - cost / worst if worst > 0 else 0.0
    return (
        [a["fitness"] == 1.0 for a in aligned],
        [float(a["fitness"]) for a in aligned],
        log_fitness,
    )


def compute_precision(
    events: VariantSource,
    model: ProcessModel,
    *,
    method: ReplayMethod = "token_replay",
    cache_dir: Path | None = None,
) -> float:
    """ETConformance precision, equal to pm4py's ``precision_token_based_replay`` or
    ``precision_alignments``: the share of the model's enabled activities after each log prefix
    that the log actually uses there, weighted by how many cases pass through the prefix."""
    variants = variant_table(events)
    log_fp = fingerprint_variants(variants)
    result = _cached(
        f"precision-{method}",
        log_fp,
        model.fingerprint,
        lambda: _precision(variants, model, method),
        cache_dir,
    )
    return float(result)


def find_deviations(
    events: VariantSource,
    model: ProcessModel,
    *,
    level: DeviationLevel = "variant",
    cache_dir: Path | None = None,
) -> pl.DataFrame:
    """Which activities the cases skipped or inserted against the model, from optimal alignments.

    ``level="variant"``: one row per (variant, activity, kind) with ``variant_id``, ``activity``,
    ``kind`` (skipped|inserted), ``occurrences`` (per case) and ``case_count``.
    ``level="case"``: one row per (case, activity, kind) with ``case_id``, ``activity``, ``kind``,
    ``occurrences``. Where several alignments are optimal, the one ``mining.alignments`` chooses
    is reported (deterministically: the search prefers states further along the trace, then
    transitions in name order), which need not be the one pm4py would report.
    """
    variants = variant_table(events)
    aligned = _aligned(variants, model, cache_dir)
    moves = (
        (variant_id, activity, kind)
        for variant_id, result in enumerate(aligned)
        for activity, kind in result["moves"]
    )
    table = build_deviation_table(variants, moves)
    if level == "variant":
        return table
    return spread_deviations_to_cases(table, case_variant_table(events, variants))


# ------------------------------------------------------------------------------ pm4py engines


def _replayed(
    variants: pl.DataFrame, model: ProcessModel, cache_dir: Path | None
) -> list[list[Any]]:
    """Per variant: [is fit, trace fitness, missing, consumed, remaining, produced tokens]."""
    return _cached(
        "token_replay",
        fingerprint_variants(variants),
        model.fingerprint,
        lambda: _token_replay(variants, model),
        cache_dir,
    )


def _token_replay(variants: pl.DataFrame, model: ProcessModel) -> list[list[Any]]:
    """Our own replayer (``mining.token_replay``), which reproduces pm4py's counts exactly and
    many times faster; pm4py's for a net the port cannot reproduce (duplicate labels)."""
    try:
        net = replay_net(model)
    except UnsupportedNetError:
        return _token_replay_pm4py(variants, model)
    return [counts.as_row() for counts in replay_variants(net, variants[ACTIVITIES].to_list())]


def replay_net(model: ProcessModel) -> ReplayNet:
    """The net of ``model`` as plain indices for ``mining.token_replay``.

    Every list follows the iteration order of pm4py's own sets (places, arcs), which is the
    order pm4py's replayer breaks ties in; this keeps the two replays identical in-process.
    Raises ``UnsupportedNetError`` for a net the port cannot replay exactly.
    """
    net = model.net
    if type(net).__name__ != "PetriNet":
        raise UnsupportedNetError(
            f"a {type(net).__name__} has reset or inhibitor arcs, which the port does not model"
        )
    places = list(net.places)
    transitions = list(net.transitions)
    place_index = {id(p): i for i, p in enumerate(places)}
    transition_index = {id(t): i for i, t in enumerate(transitions)}

    def arcs(arc_set: Any, end: str) -> tuple[tuple[int, int], ...]:
        return tuple((place_index[id(getattr(a, end))], int(a.weight)) for a in arc_set)

    def marking(pm4py_marking: Any) -> tuple[tuple[int, int], ...]:
        return tuple((place_index[id(p)], int(n)) for p, n in pm4py_marking.items())

    return ReplayNet(
        place_names=tuple(str(p.name) for p in places),
        transition_names=tuple(str(t.name) for t in transitions),
        labels=tuple(t.label for t in transitions),
        inputs=tuple(arcs(t.in_arcs, "source") for t in transitions),
        outputs=tuple(arcs(t.out_arcs, "target") for t in transitions),
        place_outputs=tuple(
            tuple(transition_index[id(a.target)] for a in p.out_arcs) for p in places
        ),
        initial_marking=marking(model.initial_marking),
        final_marking=marking(model.final_marking),
    )


def _token_replay_pm4py(variants: pl.DataFrame, model: ProcessModel) -> list[list[Any]]:
    """pm4py's own token-based replay of each variant (the reference our replayer must equal)."""
    with _quiet_pm4py():
        from pm4py.algo.conformance.tokenreplay.variants import token_replay  # noqa: PLC0415

        parameters = {
            token_replay.Parameters.ACTIVITY_KEY: _ACTIVITY_KEY,
            token_replay.Parameters.CONSIDER_REMAINING_IN_FITNESS: True,
            token_replay.Parameters.SHOW_PROGRESS_BAR: False,
        }
        replayed = token_replay.apply(
            _event_log(variants[ACTIVITIES].to_list()),
            model.net,
            model.initial_marking,
            model.final_marking,
            parameters=parameters,
        )
    keys = (
        "trace_is_fit",
        "trace_fitness",
        "missing_tokens",
        "consumed_tokens",
        "remaining_tokens",
        "produced_tokens",
    )
    return [[r[k] for k in keys] for r in replayed]


def _aligned(
    variants: pl.DataFrame, model: ProcessModel, cache_dir: Path | None
) -> list[dict[str, Any]]:
    """Per variant: cost and worst cost (in moves), fitness and the deviating moves."""
    return _cached(
        "alignments",
        fingerprint_variants(variants),
        model.fingerprint,
        lambda: _alignments(variants, model),
        cache_dir,
    )


def _alignments(variants: pl.DataFrame, model: ProcessModel) -> list[dict[str, Any]]:
    """Our own optimal alignments (``mining.alignments``): pm4py's standard costs, so the same
    cost and worst cost per variant as pm4py's, hence the same fitness; pm4py's search for a
    net with reset or inhibitor arcs, which ours does not model."""
    if type(model.net).__name__ != "PetriNet":
        return _alignments_pm4py(variants, model)
    try:
        model_run_cost, aligned = align_variants(
            alignment_net(model), variants[ACTIVITIES].to_list()
        )
    except UnalignableNetError as error:
        raise InputError(
            f"cannot align the log on this model: {error}. Alignments need a sound workflow "
            "net (one start, one end, every task on a path between them): check the reference "
            "model in the modeller."
        ) from error
    lengths = variants[ACTIVITIES].list.len().to_list()
    return [
        _alignment_summary({"cost": a.cost, "bwc": model_run_cost, "alignment": a.moves}, n)
        for a, n in zip(aligned, lengths, strict=True)
    ]


def alignment_net(model: ProcessModel) -> AlignmentNet:
    """The net of ``model`` as plain indices for ``mining.alignments``.

    Transitions are sorted by (name, label) and places by name, so the search, which breaks
    ties between equally good alignments in transition order, chooses the same alignment in
    every process (pm4py's sets iterate in memory-address order).
    """
    net = model.net
    places = sorted(net.places, key=lambda p: str(p.name))
    transitions = sorted(net.transitions, key=lambda t: (str(t.name), str(t.label)))
    place_index = {id(p): i for i, p in enumerate(places)}

    def arcs(arc_set: Any, end: str) -> tuple[tuple[int, int], ...]:
        found = ((place_index[id(getattr(a, end))], int(a.weight)) for a in arc_set)
        return tuple(sorted(found))

    def marking(pm4py_marking: Any) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((place_index[id(p)], int(n)) for p, n in pm4py_marking.items()))

    return AlignmentNet(
        labels=tuple(t.label for t in transitions),
        inputs=tuple(arcs(t.in_arcs, "source") for t in transitions),
        outputs=tuple(arcs(t.out_arcs, "target") for t in transitions),
        place_count=len(places),
        initial_marking=marking(model.initial_marking),
        final_marking=marking(model.final_marking),
    )


def _alignments_pm4py(variants: pl.DataFrame, model: ProcessModel) -> list[dict[str, Any]]:
    """pm4py's optimal alignments (Dijkstra, standard costs): the reference ours must equal."""
    with _quiet_pm4py():
        from pm4py.algo.conformance.alignments.petri_net import (  # noqa: PLC0415
            algorithm as alignments,
        )

        net, im, fm = model.net, model.initial_marking, model.final_marking
        # pm4py's standard costs: a log or model move 10000, a tau 1, a sync move 0. Dijkstra
        # with these costs finds alignments of the same optimal cost as pm4py's default A*
        # with its LP heuristic; fitness depends on that cost only. Not the LESS_MEMORY
        # variant: on nets with a label on several transitions it can return a costlier
        # alignment than the optimum (c; (b || d); a; d with the trace d c b a d: 40000, not
        # 20000).
        costs = {t: _MOVE_COST if t.label is not None else 1 for t in net.transitions}
        parameters = {"model_cost_function": costs, "show_progress_bar": False}
        try:
            aligned = alignments.apply_log(
                _event_log(variants[ACTIVITIES].to_list()),
                net,
                im,
                fm,
                variant=alignments.Variants.VERSION_DIJKSTRA_NO_HEURISTICS,
                parameters=parameters,
            )
        except Exception as error:
            raise InputError(
                f"pm4py cannot align the log on this model: {error}. Alignments need a sound "
                "workflow net (one start, one end, every task on a path between them): check "
                "the reference model in the modeller."
            ) from error
    # This variant's "bwc" already holds a log move for every event, as pm4py's A* does.
    return [_alignment_summary(a, 0) for a in aligned]


def _alignment_summary(aligned: dict[str, Any], length: int) -> dict[str, Any]:
    """Cost and worst cost as pm4py's A* variant reports them (taus included: pm4py's log
    fitness divides these raw sums), the trace fitness pm4py derives from them, the moves."""
    # The worst cost is the cheapest run of the model plus a log move for every event; ``bwc``
    # is the run alone when ``length`` (the events) is given, the whole worst cost at 0.
    worst = aligned["bwc"] + _MOVE_COST * length
    deviations, worst_moves = aligned["cost"] // _MOVE_COST, worst // _MOVE_COST
    moves: list[tuple[str, str]] = []
    for log_label, model_label in aligned["alignment"]:
        if model_label == ">>":
            moves.append((log_label, "inserted"))
        elif log_label == ">>" and model_label is not None:
            moves.append((model_label, "skipped"))
    return {
        "cost": aligned["cost"],
        "bwc": worst,
        "fitness": 1 - deviations / worst_moves if worst_moves > 0 else 0.0,
        "moves": moves,
    }


def _precision(variants: pl.DataFrame, model: ProcessModel, method: ReplayMethod) -> float:
    prefixes = compute_prefix_counts(variants)
    keys = list(prefixes)
    if method == "token_replay":
        enabled = _enabled_after_prefixes_token_replay(keys, model)
    else:
        enabled = _enabled_after_prefixes_alignments(keys, model)
    sum_at = sum_ee = 0
    for key, labels in zip(keys, enabled, strict=True):
        if labels is None:  # the prefix does not fit the model: pm4py leaves it out
            continue
        following, count = prefixes[key]
        sum_at += len(labels) * count
        sum_ee += len(labels - following) * count
    initial = _visible_enabled(model.net, model.initial_marking)
    starts = {a[0] for a in variants[ACTIVITIES].to_list() if a}
    cases = int(variants[CASE_COUNT].sum())
    sum_at += cases * len(initial)
    sum_ee += cases * len(initial - starts)
    return 1.0 - sum_ee / sum_at if sum_at > 0 else 1.0


def _visible_enabled(net: Any, marking: Any) -> set[str]:
    from pm4py.objects.petri_net.utils.align_utils import (  # noqa: PLC0415
        get_visible_transitions_eventually_enabled_by_marking,
    )

    return {t.label for t in get_visible_transitions_eventually_enabled_by_marking(net, marking)}


def _enabled_after_prefixes_token_replay(
    prefixes: list[tuple[str, ...]], model: ProcessModel
) -> list[set[str] | None]:
    with _quiet_pm4py():
        from pm4py.algo.conformance.tokenreplay.variants import token_replay  # noqa: PLC0415

        # The replay settings of pm4py's ETConformance (etconformance_token.apply).
        parameters = {
            token_replay.Parameters.SHOW_PROGRESS_BAR: False,
            token_replay.Parameters.CONSIDER_REMAINING_IN_FITNESS: False,
            token_replay.Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
            token_replay.Parameters.STOP_IMMEDIATELY_UNFIT: True,
            token_replay.Parameters.WALK_THROUGH_HIDDEN_TRANS: True,
            token_replay.Parameters.ACTIVITY_KEY: _ACTIVITY_KEY,
        }
        replayed = token_replay.apply(
            _event_log(prefixes),
            model.net,
            model.initial_marking,
            model.final_marking,
            parameters=parameters,
        )
    return [
        {t.label for t in r["enabled_transitions_in_marking"] if t.label is not None}
        if r["trace_is_fit"]
        else None
        for r in replayed
    ]


def _enabled_after_prefixes_alignments(
    prefixes: list[tuple[str, ...]], model: ProcessModel
) -> list[set[str] | None]:
    with _quiet_pm4py():
        from pm4py.algo.evaluation.precision.variants import (  # noqa: PLC0415
            align_etconformance as etc,
        )
        from pm4py.objects.petri_net.utils.check_soundness import (  # noqa: PLC0415
            check_easy_soundness_net_in_fin_marking,
        )

        net, im, fm = model.net, model.initial_marking, model.final_marking
        if not check_easy_soundness_net_in_fin_marking(net, im, fm):
            raise InputError(
                "alignment precision needs an easy-sound workflow net and this model is not: "
                "use --method token_replay, or fix the model so its end is reachable."
            )
        stop = etc.align_fake_log_stop_marking(
            _event_log(prefixes), net, im, fm, parameters={"show_progress_bar": False}
        )
        markings = etc.transform_markings_from_sync_to_original_net(stop, net, parameters={})
    result: list[set[str] | None] = []
    for reached in markings:
        if reached is None:
            result.append(None)
            continue
        labels: set[str] = set()
        for marking in reached:
            labels |= {label for label in _visible_enabled(net, marking) if label is not None}
        result.append(labels)
    return result


def _event_log(sequences: list[Any]) -> Any:
    from pm4py.objects.log.obj import Event, EventLog, Trace  # noqa: PLC0415

    return EventLog([Trace([Event({_ACTIVITY_KEY: a}) for a in seq]) for seq in sequences])


# ---------------------------------------------------------------------------------- the cache


def _cached(
    kind: str, log_fp: str, model_fp: str, compute: Callable[[], _T], cache_dir: Path | None
) -> _T:
    """The result of ``compute`` for (kind, log, model): from memory, else disk, else computed.

    Results are plain JSON values, so what is read from disk equals what was computed.
    """
    key = (kind, log_fp, model_fp)
    if key in _memory:
        _counters["hits"] += 1
        _memory.move_to_end(key)
        return _memory[key]  # type: ignore[no-any-return]
    path = cache_dir / f"{kind}-{log_fp}-{model_fp}.json" if cache_dir else None
    if path is not None and path.is_file():
        _counters["disk_hits"] += 1
        value = json.loads(path.read_text(encoding="utf-8"))
    else:
        _counters["misses"] += 1
        # Round-trip through JSON so a fresh result and a disk hit are the very same value.
        value = json.loads(json.dumps(compute()))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value), encoding="utf-8")
    _memory[key] = value
    while len(_memory) > _MEMORY_ENTRIES:
        _memory.popitem(last=False)
    return value  # type: ignore[no-any-return]


# ------------------------------------------------------------ pm4py's own route, for the bench

_XES_COLUMNS = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "resource": "org:resource",
    "org_unit": "org:group",
}
Pm4pyOperation = Literal["dfg", "filter_dfg", "variants", "discover", "token_replay", "alignments"]


def format_for_pm4py(events: pl.DataFrame) -> Any:
    """A canonical log as the pandas frame pm4py's functions take: XES column names, then
    pm4py's ``format_dataframe`` (which sorts by case and time, ties in frame order)."""
    columns = _XES_COLUMNS
    frame = (
        events.select([c for c in columns if c in events.columns])
        .with_columns(pl.col("activity").cast(pl.String))
        .rename({k: v for k, v in columns.items() if k in events.columns})
        .to_pandas()
    )
    with _quiet_pm4py() as pm4py:
        return pm4py.format_dataframe(frame)


def read_file_for_pm4py(path: Path) -> Any:
    """An event-log file read and formatted the way a pm4py user would: ``read_xes`` for XES;
    Parquet or CSV with canonical (``case_id``, ``activity``, ``timestamp``) or XES column
    names into a pandas frame (through Arrow, as ``pandas.read_parquet`` does), then
    ``format_dataframe``."""
    with _quiet_pm4py() as pm4py:
        name = path.name.lower()
        if name.endswith((".xes", ".xes.gz")):
            return pm4py.read_xes(str(path))
        table = (
            pl.read_parquet(path)
            if name.endswith(".parquet")
            else pl.read_csv(path, try_parse_dates=True)
        )
        renames = {k: v for k, v in _XES_COLUMNS.items() if k in table.columns}
        return pm4py.format_dataframe(table.rename(renames).to_pandas())


def run_pm4py_operation(
    operation: Pm4pyOperation,
    frame: Any,
    *,
    model: ProcessModel | None = None,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    resources: tuple[str, ...] = (),
    noise_threshold: float = 0.2,
) -> Any:
    """pm4py's own implementation of one benchmark operation on a ``format_for_pm4py`` frame.

    ``dfg``: ``discover_performance_dfg``; ``filter_dfg``: ``filter_time_range`` (events in
    ``window``, end excluded) and ``filter_event_attribute_values`` (events of ``resources``),
    then the performance DFG; ``variants``: ``get_variants``; ``discover``: the inductive
    miner's tree (as text); ``token_replay`` / ``alignments``: ``fitness_*`` on ``model``.
    """
    with _quiet_pm4py() as pm4py:
        if operation == "dfg":
            return pm4py.discover_performance_dfg(frame)[0]
        if operation == "filter_dfg":
            if window is None:
                raise InputError("filter_dfg needs a time window.")
            # pm4py keeps both ends; one microsecond less keeps the window half-open as ours.
            start, end = window[0], window[1] - dt.timedelta(microseconds=1)
            kept = pm4py.filter_time_range(frame, start, end, mode="events")
            kept = pm4py.filter_event_attribute_values(
                kept, "org:resource", list(resources), level="event", retain=True
            )
            return pm4py.discover_performance_dfg(kept)[0]
        if operation == "variants":
            return pm4py.get_variants(frame)
        if operation == "discover":
            return str(
                pm4py.discover_process_tree_inductive(frame, noise_threshold=noise_threshold)
            )
        if model is None:
            raise InputError(f"{operation} needs a model.")
        replay = (
            pm4py.fitness_token_based_replay
            if operation == "token_replay"
            else pm4py.fitness_alignments
        )
        return replay(frame, model.net, model.initial_marking, model.final_marking)


def as_object_columns(frame: Any) -> Any:
    """``frame`` with the case and activity columns as Python objects: pm4py's variant filters
    cannot compare the Arrow-backed strings ``format_for_pm4py`` leaves (no ``is_in`` kernel for
    lists of them)."""
    return frame.astype({"case:concept:name": object, "concept:name": object})


FilterKind = Literal["filter", "period", "attribute", "org_unit", "variant"]
FilteredResult = Literal["dfg", "variants", "bottlenecks"]


def run_pm4py_filtered(
    frame: Any,
    kind: FilterKind,
    result: FilteredResult,
    *,
    window: tuple[dt.datetime, dt.datetime],
    resources: tuple[str, ...] = (),
    case_resources: tuple[str, ...] = (),
    units: tuple[str, ...] = (),
    top_k: int = 10,
) -> Any:
    """pm4py's filter of one kind on a ``format_for_pm4py`` frame, then its performance DFG
    (``dfg``; also ``bottlenecks``: the waits between consecutive events are the arcs'
    durations) or ``get_variants``.

    ``filter``: events in ``window`` (end excluded) of ``resources``; ``period``: cases
    intersecting ``window``; ``attribute``: cases with an event of ``case_resources``;
    ``org_unit``: cases with an event of ``units`` (``org:group``); ``variant``: the ``top_k``
    most frequent variants (pm4py breaks ties the other way round: choose a ``top_k`` after which
    the count drops; give it a frame through ``as_object_columns``)."""
    # pm4py keeps both ends; one microsecond less keeps the window half-open as ours.
    start, end = window[0], window[1] - dt.timedelta(microseconds=1)
    with _quiet_pm4py() as pm4py:
        if kind == "filter":
            kept = pm4py.filter_time_range(frame, start, end, mode="events")
            kept = pm4py.filter_event_attribute_values(
                kept, "org:resource", list(resources), level="event", retain=True
            )
        elif kind == "period":
            kept = pm4py.filter_time_range(frame, start, end, mode="traces_intersecting")
        elif kind == "attribute":
            kept = pm4py.filter_event_attribute_values(
                frame, "org:resource", list(case_resources), level="case", retain=True
            )
        elif kind == "org_unit":
            kept = pm4py.filter_event_attribute_values(
                frame, "org:group", list(units), level="case", retain=True
            )
        else:
            kept = pm4py.filter_variants_top_k(frame, top_k)
        if result == "variants":
            return pm4py.get_variants(kept)
        return pm4py.discover_performance_dfg(kept)[0]


def run_pm4py_load_and_mine(path: Path) -> list[int]:
    """pm4py's route from a file to a DFG and variants: read and format the file
    (``read_file_for_pm4py``), ``discover_dfg``, ``get_variants``. Returns the number of arcs
    and of variants."""
    frame = read_file_for_pm4py(path)
    with _quiet_pm4py() as pm4py:
        arcs = pm4py.discover_dfg(frame)[0]
        variants = pm4py.get_variants(frame)
    return [len(arcs), len(variants)]
