"""Optimal alignments of our own: the same costs, hence the same fitness, as pm4py's.

An alignment of a trace on an accepting Petri net is a sequence of moves that reads the whole
trace and fires the net from its initial to its final marking: a *sync move* fires a transition
whose label is the next event (cost 0), a *log move* reads an event the model does not do at that
point (cost 10000), a *model move* fires a transition without reading an event (10000 for a
visible transition, 1 for a hidden "tau" one). These are pm4py's standard costs; an optimal
alignment has the least total cost, and pm4py's fitness is a function of that cost and of the
"best worst cost" (the cheapest run of the model alone, plus a log move per event).

The search is A* over states (marking, trace position):

* **Markings are numbered once per net**, and each marking's enabled transitions and successor
  markings are computed once and shared by all variants: a log of thousands of variants walks
  a few hundred markings, so a step of the search is integer work.
* **Hidden transitions are folded into the moves.** From a marking the search fires the fewest
  taus that lead to each marking of its tau closure, then one visible transition (a sync or a
  model move), or, at the end of the trace, the fewest taus to the final marking. Every
  alignment is such a sequence (taus only matter through the marking they reach), so the
  optimum is unchanged; the closures are computed once per marking and shared by all variants.
* **The heuristic comes from the net's reachability graph**, explored once (up to
  ``ANALYSIS_MARKING_LIMIT`` markings). For each marking ``m`` it records: whether the final
  marking can still be reached (if not, the state is dropped), the least number of taus on any
  run to the final marking, and per label the least (``mandatory``) and the most (``upper``,
  possibly unbounded) number of transitions with that label on runs from ``m``. From a state
  (``m``, position ``i``) with ``c_l`` events of label ``l`` left in the trace, at least
  ``max(0, c_l - upper_l(m))`` of them must be log moves and at least
  ``max(0, mandatory_l(m) - c_l)`` transitions must be model moves; these are different moves,
  so ``10000 * (sum of both) + least taus`` never overestimates the remaining cost.
* **A second bound sees the order of the events** (``_OrderBound``): the exact remaining cost
  in a coarser system whose state is only the label of the last visible transition fired. In
  it, syncing an ``l2`` event after an ``l1`` costs the fewest taus between such transitions
  anywhere in the net (10000 if visible transitions must come between, as a model move costs
  that much), a log move 10000, and ending the fewest taus from after ``l1`` to the final
  marking. Every real run maps to a coarse run that costs no more, so this too never
  overestimates; it counts deviations that come from the order of the events ("b a" on a model
  "a b"), which the label counts cannot see. The costs per suffix of a trace are kept in a trie
  shared by all traces. The heuristic is the larger of the two bounds. Both are consistent (no
  move lowers them by more than its own cost), so the first time A* takes a state from the
  queue its cost is optimal, and the first complete alignment taken is optimal.
* **Dominated moves are dropped**: of two moves with the same label, the one whose target can
  be reached from the other's with hidden transitions at no more taus in total is not searched
  (typically its target has a concurrent branch advanced by taus not needed yet): everything
  the search could do from it, it can do from the other at no higher cost.
* A state's model moves cost at least 10000 more than the state, so they are queued as one
  deferred entry with that lower bound, and expanded only if the search gets that far: a trace
  that fits never pays for them.
* A net of more than ``FITTING_MARKING_LIMIT`` markings goes without the order bound; one
  larger than ``ANALYSIS_MARKING_LIMIT`` (or unbounded) is searched with a weaker heuristic:
  events whose label no transition has must be log moves. Still optimal, only slower.
* As in pm4py's Dijkstra variant, a log move is not made right after a model move: the two can be
  swapped at no cost, so only one order needs searching.

Several alignments may share the optimal cost; the deviations reported (which activities were
skipped or inserted) are then this search's choice, not necessarily pm4py's. The choice is
deterministic: among queued states of equal estimated total cost, the one further along the
trace goes first, then the one queued first; a state's moves are queued as its sync moves (the
fewest taus first, then breadth-first order over the net's transitions, which the adapter sorts
by name), then its log move, then its model moves (in the same order).

This module does not import pm4py: the adapter hands over the net as plain indices.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MOVE_COST = 10000
"""pm4py's cost of a log move and of a model move on a visible transition."""
TAU_COST = 1
"""pm4py's cost of a model move on a hidden transition."""
SKIP = ">>"
"""pm4py's mark for "no move" on one side of an alignment."""
ANALYSIS_MARKING_LIMIT = 100_000
# Markings one closure under hidden transitions may reach before the net is refused as unbounded.
CLOSURE_MARKING_LIMIT = 100_000
# Entries of all closures together beyond which the order bound is not built (see _fitting_bounds).
CLOSURE_BUDGET = 1_000_000
"""Above this many reachable markings the net is searched without the reachability heuristic."""
FITTING_MARKING_LIMIT = 20_000
"""Above this many markings the tau bound for fitting runs is left out (its closures cost)."""
SEARCH_STATE_LIMIT = 5_000_000
"""States one alignment may expand before the search gives up (an unbounded net, typically)."""

_UNREACHABLE_FINAL = "the final marking cannot be reached from the initial marking"
_UNBOUNDED = 1 << 40
_UNREACHABLE = 1 << 60

Arcs = tuple[tuple[int, int], ...]
"""(place index, weight) per arc."""
Estimate = Callable[[int, int], int]
"""The heuristic of one trace: a lower bound of the remaining cost from (marking, position)."""
Move = tuple[str, str | None]
"""(event label or ">>", transition label or ">>"; None for a hidden transition): pm4py's form."""


class UnalignableNetError(ValueError):
    """The net cannot align traces: its final marking is unreachable, or the search is too big."""


@dataclass(frozen=True)
class AlignmentNet:
    """An accepting Petri net as indices: each transition's label (None if hidden) and arcs,
    the number of places, and the initial and final markings as (place, tokens) pairs."""

    labels: tuple[str | None, ...]
    inputs: tuple[Arcs, ...]
    outputs: tuple[Arcs, ...]
    place_count: int
    initial_marking: Arcs
    final_marking: Arcs


@dataclass(frozen=True)
class Alignment:
    """One optimal alignment: its cost (pm4py's standard costs, taus included) and its moves."""

    cost: int
    moves: tuple[Move, ...]


# ------------------------------------------------------------------------ the marking graph


Successors = tuple[tuple[int, int, int], ...]
"""(transition, cost of its model move, marking reached) per enabled transition."""


class _MarkingGraph:
    """The reachable markings of a net, numbered as they are met, and their successors."""

    def __init__(self, net: AlignmentNet) -> None:
        self.net = net
        self.label_names = sorted({label for label in net.labels if label is not None})
        self.label_ids = {label: n for n, label in enumerate(self.label_names)}
        self.unknown_label = len(self.label_names)  # the id of every label the net lacks
        self.t_label = [-1 if lb is None else self.label_ids[lb] for lb in net.labels]
        self.t_cost = [TAU_COST if lb is None else MOVE_COST for lb in net.labels]
        self.t_delta = [_delta(net.inputs[t], net.outputs[t]) for t in range(len(net.labels))]
        self.markings: list[tuple[int, ...]] = []
        self.ids: dict[tuple[int, ...], int] = {}
        self.successors: list[Successors | None] = []
        self.closures: dict[int, _Closure] = {}
        self.tau_distances: dict[int, dict[int, int]] = {}
        self.pruned_syncs: dict[tuple[int, int], tuple[Edge, ...]] = {}
        self.pruned_models: dict[int, tuple[Edge, ...]] = {}
        self.initial = self.number(_vector(net.initial_marking, net.place_count))
        self.final = self.number(_vector(net.final_marking, net.place_count))

    def number(self, marking: tuple[int, ...]) -> int:
        found = self.ids.get(marking)
        if found is None:
            found = self.ids[marking] = len(self.markings)
            self.markings.append(marking)
            self.successors.append(None)
        return found

    def expand(self, m: int) -> Successors:
        """The enabled transitions of marking ``m`` and where they lead, computed once."""
        known = self.successors[m]
        if known is not None:
            return known
        marking = self.markings[m]
        found: list[tuple[int, int, int]] = []
        for t, arcs in enumerate(self.net.inputs):
            if all(marking[p] >= w for p, w in arcs):
                fired = list(marking)
                for p, change in self.t_delta[t]:
                    fired[p] += change
                found.append((t, self.t_cost[t], self.number(tuple(fired))))
        result = self.successors[m] = tuple(found)
        return result

    def taus_from(self, m: int) -> dict[int, int]:
        """The fewest taus from ``m`` to each marking of its tau closure."""
        known = self.tau_distances.get(m)
        if known is None:
            known = self.tau_distances[m] = {m: 0}
            order = [m]
            for via in order:  # breadth first: ``order`` grows while it is read
                for t, _, target in self.expand(via):
                    if self.t_label[t] < 0 and target not in known:
                        known[target] = known[via] + 1
                        order.append(target)
                        _check_closure_size(len(known))
        return known

    def syncs_for_search(self, m: int, label: int) -> tuple[Edge, ...]:
        """The sync moves of ``m`` for ``label`` without the dominated ones (``_undominated``)."""
        key = (m, label)
        known = self.pruned_syncs.get(key)
        if known is None:
            edges = self.closure(m).syncs.get(label, ())
            known = self.pruned_syncs[key] = _undominated(self, edges)
        return known

    def models_for_search(self, m: int) -> tuple[Edge, ...]:
        """The model moves of ``m`` without the dominated ones (``_undominated``)."""
        known = self.pruned_models.get(m)
        if known is None:
            known = self.pruned_models[m] = _undominated(self, self.closure(m).models)
        return known

    def closure(self, m: int) -> _Closure:
        """The moves of the search from marking ``m``, computed once (see ``_Closure``)."""
        known = self.closures.get(m)
        if known is None:
            known = self.closures[m] = _close(self, m)
        return known

    def explore(self, limit: int) -> bool:
        """Number every reachable marking (breadth first); False if there are more than
        ``limit`` of them (or infinitely many)."""
        m = 0
        while m < len(self.markings):
            if len(self.markings) > limit:
                return False
            self.expand(m)
            m += 1
        return True


Edge = tuple[int, int, int, int]
"""A move of the search: (taus fired first, visible transition, marking it fires in, target)."""


@dataclass(frozen=True)
class _Closure:
    """What the search can do from a marking ``m``: fire hidden transitions (the fewest that
    lead to each marking), then one visible transition, as a sync move (``syncs``, per label)
    or a model move (``models``); or, at the end of the trace, fire hidden transitions up to
    the final marking (``to_final``: how many, -1 if impossible). Among ways to the same
    target, the fewest taus win, then the first found (breadth first, transitions in order).
    ``tau_parent`` gives the hidden path to each marking of the closure."""

    syncs: dict[int, tuple[Edge, ...]]
    models: tuple[Edge, ...]
    to_final: int
    tau_parent: dict[int, tuple[int, int]]


def _check_closure_size(size: int) -> None:
    """Stop a closure under hidden transitions that keeps growing: a hidden transition that
    produces tokens without end (an unbounded net) would otherwise never let it finish."""
    if size > CLOSURE_MARKING_LIMIT:
        raise UnalignableNetError(
            f"hidden transitions alone reach more than {CLOSURE_MARKING_LIMIT:,} markings "
            "(is the net unbounded?)"
        )


def _close(graph: _MarkingGraph, m: int) -> _Closure:
    """The closure of ``m`` under hidden transitions, and the visible moves from it."""
    taus = {m: 0}
    tau_parent: dict[int, tuple[int, int]] = {}
    order = [m]
    syncs: dict[int, dict[int, Edge]] = {}
    models: dict[int, Edge] = {}
    for via in order:  # breadth first: ``order`` grows while it is read
        d = taus[via]
        for t, _, target in graph.expand(via):
            label = graph.t_label[t]
            if label < 0:
                if target not in taus:
                    taus[target] = d + 1
                    tau_parent[target] = (via, t)
                    order.append(target)
                    _check_closure_size(len(taus))
                continue
            syncs.setdefault(label, {}).setdefault(target, (d, t, via, target))
            models.setdefault(target, (d, t, via, target))
    return _Closure(
        {label: tuple(edges.values()) for label, edges in syncs.items()},
        tuple(models.values()),
        taus.get(graph.final, -1),
        tau_parent,
    )


def _undominated(graph: _MarkingGraph, edges: tuple[Edge, ...]) -> tuple[Edge, ...]:
    """The moves whose target is not dominated by another's: a target ``b`` reached with ``d_b``
    taus is dominated by a target ``a`` reached with ``d_a`` if hidden transitions lead from
    ``a`` to ``b`` with at most ``d_b - d_a`` taus, since everything the search can do from
    ``b`` it can then do from ``a`` at no higher cost (typically ``b`` has a concurrent branch
    advanced by taus it did not need yet). ``edges`` come fewest taus first, so the kept ones
    keep that order."""
    kept: list[Edge] = []
    for edge in edges:
        d, _, _, target = edge
        if not any(d >= a[0] + graph.taus_from(a[3]).get(target, _UNREACHABLE) for a in kept):
            kept.append(edge)
    return tuple(kept)


def _vector(marking: Arcs, place_count: int) -> tuple[int, ...]:
    tokens = [0] * place_count
    for p, n in marking:
        tokens[p] += n
    return tuple(tokens)


def _delta(inputs: Arcs, outputs: Arcs) -> tuple[tuple[int, int], ...]:
    change: dict[int, int] = {}
    for p, w in inputs:
        change[p] = change.get(p, 0) - w
    for p, w in outputs:
        change[p] = change.get(p, 0) + w
    return tuple((p, c) for p, c in change.items() if c != 0)


# ---------------------------------------------------------------------------- the heuristic


@dataclass(frozen=True)
class _Bounds:
    """Per marking: least taus to the final marking (``_UNREACHABLE`` if it cannot be reached),
    the (label, least count) pairs every run to the final marking needs, and per label id the
    most transitions of that label any run from it can fire (the last entry, for labels the net
    lacks, is 0)."""

    taus: list[int]
    mandatory: list[tuple[tuple[int, int], ...]]
    upper: list[list[int]]


@dataclass(frozen=True)
class _FittingBounds:
    """Lower bounds of the taus a run needs that syncs every remaining event (capped at
    ``MOVE_COST``: a run that deviates costs that much anyway). ``enter[m]``: per label, the
    fewest taus from ``m`` before a transition with that label can fire; ``pair[l1][l2]``: the
    fewest taus between an ``l1`` and a following ``l2`` transition, over every marking an
    ``l1`` transition can lead to; ``ending[l]``: the fewest taus from after an ``l``
    transition to the final marking; ``to_final[m]``: the fewest taus from ``m`` to the final
    marking through hidden transitions only. Label ids of the net's labels, plus one for the
    labels it lacks (always the cap)."""

    enter: list[dict[int, int]]
    pair: list[list[int]]
    ending: list[int]
    to_final: list[int]


def _fitting_bounds(graph: _MarkingGraph) -> _FittingBounds | None:
    """The bounds of ``_FittingBounds`` for every marking of a fully explored graph; None when
    the closures under hidden transitions together pass ``CLOSURE_BUDGET`` entries (a net of
    many parallel optional tasks: they grow about threefold per task), since then building
    the bound would cost more than the search it speeds up."""
    labels = len(graph.label_names) + 1
    count = len(graph.markings)
    closures = []
    size = 0
    for m in range(count):
        closure = graph.closure(m)
        size += len(closure.tau_parent) + len(closure.models)
        if size > CLOSURE_BUDGET:
            return None
        closures.append(closure)
    enter = [{label: edges[0][0] for label, edges in c.syncs.items()} for c in closures]
    to_final = [c.to_final if c.to_final >= 0 else MOVE_COST for c in closures]
    pair = [[MOVE_COST] * labels for _ in range(labels)]
    ending = [MOVE_COST] * labels
    for m in range(count):
        for t, _, target in graph.successors[m] or ():
            first = graph.t_label[t]
            if first < 0:
                continue
            row = pair[first]
            for second, taus in enter[target].items():
                row[second] = min(row[second], taus)
            ending[first] = min(ending[first], to_final[target])
    return _FittingBounds(enter, pair, ending, to_final)


def _analyse(graph: _MarkingGraph) -> _Bounds:
    """The heuristic's bounds for every marking of a fully explored graph."""
    count = len(graph.markings)
    edges = [graph.successors[m] or () for m in range(count)]
    backward: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for m, moves in enumerate(edges):
        for t, _, target in moves:
            backward[target].append((m, t))
    taus = _least_to_final(graph, backward, [label < 0 for label in graph.t_label])
    alive = [d < _UNREACHABLE for d in taus]
    labels = len(graph.label_names)
    least = [
        _least_to_final(graph, backward, [lb == label for lb in graph.t_label])
        for label in range(labels)
    ]
    mandatory = [
        tuple((label, least[label][m]) for label in range(labels) if least[label][m] > 0)
        if alive[m]
        else ()
        for m in range(count)
    ]
    upper = _most_per_label(graph, edges, alive)
    return _Bounds(taus, mandatory, upper)


def _least_to_final(
    graph: _MarkingGraph,
    backward: list[list[tuple[int, int]]],
    counted: list[bool],
) -> list[int]:
    """Per marking, the least number of ``counted`` transitions on a run to the final
    marking (a 0-1 breadth-first search backwards from it)."""
    distance = [_UNREACHABLE] * len(graph.markings)
    distance[graph.final] = 0
    queue = deque([graph.final])
    while queue:
        m = queue.popleft()
        here = distance[m]
        for source, t in backward[m]:
            step = 1 if counted[t] else 0
            if here + step < distance[source]:
                distance[source] = here + step
                if step:
                    queue.append(source)
                else:
                    queue.appendleft(source)
    return distance


def _most_per_label(
    graph: _MarkingGraph, edges: list[Successors], alive: list[bool]
) -> list[list[int]]:
    """Per marking and label, the most transitions of that label on any run that can still
    reach the final marking: unbounded when the run can enter a cycle through such a
    transition. Computed on the strongly connected components, sinks first."""
    labels = len(graph.label_names)
    components = _components(edges, alive)
    component_of = [-1] * len(edges)
    for c, members in enumerate(components):
        for m in members:
            component_of[m] = c
    upper_of: list[list[int]] = []
    for c, members in enumerate(components):  # Tarjan's order: successors come first
        best = [0] * (labels + 1)
        for m in members:
            for t, _, target in edges[m]:
                c2 = component_of[target]
                if c2 < 0:
                    continue
                label = graph.t_label[t]
                if c2 == c:
                    if label >= 0:
                        best[label] = _UNBOUNDED
                    continue
                below = upper_of[c2]
                for lb in range(labels):
                    value = below[lb] + (1 if lb == label else 0)
                    if value > best[lb]:
                        best[lb] = min(value, _UNBOUNDED)
        upper_of.append(best)
    empty = [0] * (labels + 1)
    return [upper_of[component_of[m]] if component_of[m] >= 0 else empty for m in range(len(edges))]


def _components(edges: list[Successors], alive: list[bool]) -> list[list[int]]:
    """Tarjan's strongly connected components of the live markings (iterative), in reverse
    topological order: a component comes after every component it leads to."""
    index = [-1] * len(edges)
    low = [0] * len(edges)
    on_stack = [False] * len(edges)
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if index[root] >= 0 or not alive[root]:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            m, position = work[-1]
            moves = edges[m]
            if position < len(moves):
                work[-1] = (m, position + 1)
                target = moves[position][2]
                if not alive[target]:
                    continue
                if index[target] < 0:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack[target] = True
                    work.append((target, 0))
                elif on_stack[target]:
                    low[m] = min(low[m], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[m])
            if low[m] == index[m]:
                members: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    members.append(member)
                    if member == m:
                        break
                result.append(members)
    return result


# ------------------------------------------------------------------------------- the search


class Aligner:
    """Aligns traces on one net, sharing the marking graph and its bounds between traces.

    Raises ``UnalignableNetError`` at construction when the final marking cannot be reached.
    """

    def __init__(self, net: AlignmentNet) -> None:
        self.graph = _MarkingGraph(net)
        complete = self.graph.explore(ANALYSIS_MARKING_LIMIT)
        self.bounds: _Bounds | None = None
        self.fitting: _FittingBounds | None = None
        self.order: _OrderBound | None = None
        if complete:
            self.bounds = _analyse(self.graph)
            if len(self.graph.markings) <= FITTING_MARKING_LIMIT:
                self.fitting = _fitting_bounds(self.graph)
            if self.fitting is not None:
                self.order = _OrderBound(self.fitting, len(self.graph.label_names))
            if self.bounds.taus[self.graph.initial] >= _UNREACHABLE:
                raise UnalignableNetError(_UNREACHABLE_FINAL)
        # The cheapest run of the model alone; pm4py's "best worst cost" adds a log move per
        # event to it. Also the reachability check for nets too large to explore.
        self.model_run_cost = self.align(()).cost

    def align(self, trace: Sequence[str]) -> Alignment:
        """An optimal alignment of ``trace`` (a sequence of activity labels)."""
        graph = self.graph
        ids = [graph.label_ids.get(a, graph.unknown_label) for a in trace]
        search = _Search(graph, ids, self._estimator(ids))
        cost, path = search.run()
        return Alignment(cost, self._moves(path, len(ids) + 1, trace))

    def _estimator(self, ids: list[int]) -> Estimate:
        """The heuristic for this trace: a function of (marking, position), memoised."""
        if self.bounds is None:
            return _weak_estimate(ids, self.graph.unknown_label)
        return _strong_estimate(self.bounds, self.order, ids)

    def _moves(
        self, path: list[tuple[int, int, int, int]], stride: int, trace: Sequence[str]
    ) -> tuple[Move, ...]:
        """pm4py's form of the moves along a path of the search (see ``_Search.run``)."""
        graph = self.graph
        labels = graph.net.labels
        moves: list[Move] = []
        for key, origin, t, via in path:
            i = origin % stride
            if t == -1:
                moves.append((trace[i], SKIP))
                continue
            moves.extend((SKIP, None) for _ in self._taus(origin // stride, via))
            if t == -2:
                continue
            moves.append((trace[i], labels[t]) if key % stride != i else (SKIP, labels[t]))
        return tuple(moves)

    def _taus(self, m: int, via: int) -> list[int]:
        """The hidden transitions the closure of ``m`` fires to reach ``via``."""
        tau_parent = self.graph.closure(m).tau_parent
        fired: list[int] = []
        while via != m:
            via, t = tau_parent[via]
            fired.append(t)
        fired.reverse()
        return fired


_STATE, _DEFERRED = 0, 1
"""Kinds of queue entries: a state to expand; a state's model moves."""


class _Search:
    """One A* search over states (marking, position), a state numbered marking * stride +
    position; the markings searched are the initial one and those right after a visible
    transition, since hidden transitions are folded into the moves (``_Closure``).

    The queue holds (estimated total, -position, order queued, cost, state, kind). A state's
    model moves cost at least ``MOVE_COST`` more than the state itself, so they are not queued
    one by one when the state is expanded but as one ``_DEFERRED`` entry, estimated at that
    lower bound (and at no less than the state's own estimate, which the heuristic's
    consistency guarantees for each of them): a trace that fits never pays for them."""

    def __init__(self, graph: _MarkingGraph, ids: list[int], estimate: Estimate) -> None:
        self.graph, self.ids, self.estimate = graph, ids, estimate
        self.stride = len(ids) + 1
        self.start = graph.initial * self.stride
        self.best = {self.start: 0}
        self.parent: dict[int, tuple[int, int, int]] = {}
        self.closed: set[int] = set()
        self.queue: list[tuple[int, int, int, int, int, int]] = []
        self.pushed = 0

    def push(self, key: int, g: int, origin: int, t: int, via: int) -> None:
        """Queue state ``key`` at cost ``g``, reached from ``origin`` by taus to ``via`` and
        then transition ``t`` (-1: a log move, -2: taus to the final marking), unless it is
        already known at no higher cost, or the final marking cannot be reached from it."""
        if key in self.closed or self.best.get(key, _UNREACHABLE) <= g:
            return
        m, i = divmod(key, self.stride)
        h = self.estimate(m, i)
        if h >= _UNREACHABLE:
            return
        self.best[key] = g
        self.parent[key] = (origin, t, via)
        self.pushed += 1
        heapq.heappush(self.queue, (g + h, -i, self.pushed, g, key, _STATE))

    def run(self) -> tuple[int, list[tuple[int, int, int, int]]]:
        """The optimal cost, and the path to the goal as (state, previous state, transition,
        marking it fired in) steps."""
        stride, n = self.stride, len(self.ids)
        goal = self.graph.final * stride + n
        if self.estimate(self.graph.initial, 0) >= _UNREACHABLE:
            raise UnalignableNetError(_UNREACHABLE_FINAL)
        self.queue.append((0, 0, 0, 0, self.start, _STATE))
        while self.queue:
            f, _, _, g, key, kind = heapq.heappop(self.queue)
            if kind == _DEFERRED:
                self._model_moves(key, g)
                continue
            if key in self.closed:
                continue
            if key == goal:
                return g, self._path(key)
            self.closed.add(key)
            if len(self.closed) > SEARCH_STATE_LIMIT:
                raise UnalignableNetError(
                    f"aligning a trace of {n} events took more than {SEARCH_STATE_LIMIT:,} "
                    "search states (is the net unbounded?)"
                )
            self._expand(key, g, f)
        raise UnalignableNetError(_UNREACHABLE_FINAL)

    def _expand(self, key: int, g: int, f: int) -> None:
        stride, n = self.stride, len(self.ids)
        m, i = divmod(key, stride)
        closure = self.graph.closure(m)
        if i < n:
            for d, t, via, target in self.graph.syncs_for_search(m, self.ids[i]):
                self.push(target * stride + i + 1, g + d, key, t, via)
            # A log move right after a model move can be swapped with it at no cost.
            if not self._after_model_move(key):
                self.push(key + 1, g + MOVE_COST, key, -1, m)
        elif closure.to_final > 0:
            self.push(
                self.graph.final * stride + n, g + closure.to_final, key, -2, self.graph.final
            )
        if closure.models:
            self.pushed += 1
            entry = (max(f, g + MOVE_COST), -i, self.pushed, g, key, _DEFERRED)
            heapq.heappush(self.queue, entry)

    def _model_moves(self, key: int, g: int) -> None:
        stride = self.stride
        i = key % stride
        for d, t, via, target in self.graph.models_for_search(key // stride):
            cost = g + d + MOVE_COST
            self.push(target * stride + i, cost, key, t, via)

    def _after_model_move(self, key: int) -> bool:
        if key == self.start:
            return False
        origin, t, _ = self.parent[key]
        return t >= 0 and origin % self.stride == key % self.stride

    def _path(self, key: int) -> list[tuple[int, int, int, int]]:
        path: list[tuple[int, int, int, int]] = []
        while key != self.start:
            origin, t, via = self.parent[key]
            path.append((key, origin, t, via))
            key = origin
        path.reverse()
        return path


def _weak_estimate(ids: list[int], unknown: int) -> Estimate:
    """Without the reachability graph: each event whose label the net lacks is a log move."""
    left = [0] * (len(ids) + 1)
    for i in range(len(ids) - 1, -1, -1):
        left[i] = left[i + 1] + (1 if ids[i] == unknown else 0)

    def weak(m: int, i: int) -> int:
        return MOVE_COST * left[i]

    return weak


def _strong_estimate(bounds: _Bounds, order: _OrderBound | None, ids: list[int]) -> Estimate:
    """The heuristic of the module docstring for one trace, memoised per (marking, position):
    the larger of ``MOVE_COST`` per certain deviation plus the least taus, and the order bound
    (when the net is small enough to have one)."""
    n = len(ids)
    suffixes: list[dict[int, int]] = [{} for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        counts = dict(suffixes[i + 1])
        counts[ids[i]] = counts.get(ids[i], 0) + 1
        suffixes[i] = counts
    items = [tuple(s.items()) for s in suffixes]
    taus, mandatory, upper = bounds.taus, bounds.mandatory, bounds.upper
    from_marking = order.for_trace(ids) if order is not None else None
    memo: dict[tuple[int, int], int] = {}

    def strong(m: int, i: int) -> int:
        key = (m, i)
        value = memo.get(key)
        if value is None:
            if taus[m] >= _UNREACHABLE:
                value = _UNREACHABLE
            else:
                moves = _certain_deviations(items[i], suffixes[i], upper[m], mandatory[m])
                value = MOVE_COST * moves + taus[m]
                if from_marking is not None:
                    value = max(value, from_marking(m)[i])
            memo[key] = value
        return value

    return strong


class _OrderBound:
    """A lower bound of the remaining cost that sees the order of the events: the exact cost
    in a coarser system whose state is only the label of the last visible transition fired
    (or, at the start, the marking). There, syncing an event of label ``l2`` after an ``l1``
    costs ``pair[l1][l2]`` (the fewest taus between such transitions anywhere in the net, or
    ``MOVE_COST`` if visible transitions must come between, since a model move costs that
    much), a log move ``MOVE_COST``, and ending ``ending[l1]``; model moves never help there.
    Every real run maps to a coarse run that costs no more, so the bound is admissible, and no
    real move lowers it by more than the move's cost, so it is consistent.

    The cost from each suffix of a trace depends on the suffix only, so the costs are kept in a
    trie of suffixes shared by all traces of the net."""

    def __init__(self, fitting: _FittingBounds, labels: int) -> None:
        self.fitting = fitting
        self.labels = labels  # the net's labels; id ``labels`` stands for unknown labels
        self.children: dict[tuple[int, int], int] = {}
        # columns[node][l]: the cost after a transition labelled l, with the node's suffix left.
        self.columns: list[list[int]] = [list(fitting.ending)]

    def _node(self, child: int, label: int) -> int:
        key = (child, label)
        node = self.children.get(key)
        if node is None:
            below = self.columns[child]
            if label >= self.labels:  # no transition can sync it: a log move
                column = [MOVE_COST + c for c in below]
            else:
                sync = below[label]
                column = [
                    min(MOVE_COST + c, row[label] + sync)
                    for c, row in zip(below, self.fitting.pair, strict=True)
                ]
            node = self.children[key] = len(self.columns)
            self.columns.append(column)
        return node

    def for_trace(self, ids: list[int]) -> Callable[[int], list[int]]:
        """For one trace: per marking, the bound at every position (computed once)."""
        n = len(ids)
        nodes = [0] * (n + 1)
        for j in range(n - 1, -1, -1):
            nodes[j] = self._node(nodes[j + 1], ids[j])
        after = [self.columns[node] for node in nodes]
        enter, to_final, labels = self.fitting.enter, self.fitting.to_final, self.labels
        known: dict[int, list[int]] = {}

        def from_marking(m: int) -> list[int]:
            found = known.get(m)
            if found is None:
                found = [0] * (n + 1)
                found[n] = to_final[m]
                for i in range(n - 1, -1, -1):
                    label = ids[i]
                    value = MOVE_COST + found[i + 1]
                    if label < labels:
                        value = min(value, enter[m].get(label, MOVE_COST) + after[i + 1][label])
                    found[i] = value
                known[m] = found
            return found

        return from_marking


def _certain_deviations(
    left: tuple[tuple[int, int], ...],
    counts: dict[int, int],
    most: list[int],
    needed: tuple[tuple[int, int], ...],
) -> int:
    """Events beyond what the net can still do, plus transitions it must still fire beyond
    the events left: log moves and model moves no alignment from here avoids."""
    moves = 0
    for label, c in left:
        if c > most[label]:
            moves += c - most[label]
    for label, k in needed:
        c = counts.get(label, 0)
        if k > c:
            moves += k - c
    return moves


def align_variants(
    net: AlignmentNet, variants: Sequence[Sequence[str]]
) -> tuple[int, list[Alignment]]:
    """The cost of the cheapest model run (no events) and an optimal alignment per variant."""
    aligner = Aligner(net)
    return aligner.model_run_cost, [aligner.align(v) for v in variants]
