"""Token-based replay of our own, giving exactly pm4py's token counts, on variants.

pm4py's replayer (``pm4py.algo.conformance.tokenreplay.variants.token_replay.apply_trace``)
spends most of its time in Python object churn: it copies markings, activation lists and
visited-marking lists at every event and walks hidden transitions afresh for every variant. Its
*semantics*, however, are a deterministic function of the current marking and the next event:
the walk through hidden transitions starts from an empty "visited" set at every event and the
replay caches it fills are never read with the default parameters. So this module ports that
function step by step (same loops, same tie-breaking: places sorted by name, shortest paths
found in the net's own arc order, markings kept in insertion order as pm4py's ``Counter``
markings are) and memoises it per (marking, transition). A log of thousands of variants then
costs a few thousand small steps; shared prefixes of the variants cost nothing.

The port covers pm4py's defaults as ``fitness_token_based_replay`` uses them: walk through
hidden transitions, try to reach the final marking through hidden transitions, remaining tokens
count in the fit flag, no token-flood cleaning, no exhaustive invisible exploration. It needs
every visible label on one transition only: with duplicate labels pm4py picks among the enabled
ones in set order (object addresses), which cannot be reproduced, so ``Net.from_parts`` reports
such a net as unsupported and the caller falls back to pm4py for it.

This module does not import pm4py: the adapter hands over the net as plain indices, in the
iteration order of pm4py's own sets, which is what makes the tie-breaking identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# pm4py's TechnicalParameters: the depth of its shortest-path search, of its recursive hidden
# walk, and the rounds of its two attempts at reaching the final marking.
MAX_REC_DEPTH = 50
MAX_REC_DEPTH_HIDTRANSENABL = 2
MAX_IT_FINAL1 = 5
MAX_IT_FINAL2 = 5
_MAX_ROUNDS = 10_000_000

Arcs = tuple[tuple[int, int], ...]
"""(place index, weight) per arc, in pm4py's iteration order of the arc set."""
MarkingKey = tuple[tuple[int, int], ...]
"""A marking as (place, tokens) pairs in insertion order: pm4py's markings are ``Counter``s,
and one of its loops visits the marked places in that order."""


@dataclass(frozen=True)
class ReplayCounts:
    """pm4py's per-trace replay result: fit flag, trace fitness and the four token counts."""

    is_fit: bool
    trace_fitness: float
    missing: int
    consumed: int
    remaining: int
    produced: int

    def as_row(self) -> list[object]:
        """The row the adapter caches: [fit, fitness, missing, consumed, remaining, produced]."""
        return [
            self.is_fit,
            self.trace_fitness,
            self.missing,
            self.consumed,
            self.remaining,
            self.produced,
        ]


class UnsupportedNetError(ValueError):
    """The net has a feature whose pm4py replay cannot be reproduced exactly (say which)."""


@dataclass
class Net:
    """A Petri net as indices: what the replay needs and nothing else.

    ``place_names``/``transition_names`` break ties the way pm4py does (it sorts by name);
    ``labels`` is None for hidden transitions; ``inputs``/``outputs`` are each transition's arcs;
    ``place_outputs`` the transitions after each place; the markings map place to tokens. Every
    sequence is in the iteration order of the corresponding pm4py set.
    """

    place_names: tuple[str, ...]
    transition_names: tuple[str, ...]
    labels: tuple[str | None, ...]
    inputs: tuple[Arcs, ...]
    outputs: tuple[Arcs, ...]
    place_outputs: tuple[tuple[int, ...], ...]
    initial_marking: MarkingKey
    final_marking: MarkingKey
    by_label: dict[str, int] = field(init=False)
    paths: list[dict[int, tuple[int, ...]]] = field(init=False)
    name_rank: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        visible = [label for label in self.labels if label is not None]
        duplicates = sorted({label for label in visible if visible.count(label) > 1})
        if duplicates:
            raise UnsupportedNetError(
                f"the labels {duplicates} sit on more than one transition: pm4py chooses among "
                "them in memory-address order, which cannot be reproduced"
            )
        self.by_label = {label: t for t, label in enumerate(self.labels) if label is not None}
        self.paths = _shortest_paths_by_hidden(self)
        # Sorting by a place's rank among the names equals sorting by its name (equal names,
        # equal ranks: the sort stays stable), at the cost of an integer comparison.
        ordered = sorted(set(self.place_names))
        self.name_rank = tuple(ordered.index(name) for name in self.place_names)


def _shortest_paths_by_hidden(net: Net) -> list[dict[int, tuple[int, ...]]]:
    """pm4py's ``get_places_shortest_path_by_hidden``: for each place, the hidden transitions
    leading to each place reachable through hidden transitions only.

    A depth-first search (depth at most 50) that replaces a path only by a strictly shorter one,
    so among equally short paths the first found in arc order wins, as in pm4py.
    """
    paths: list[dict[int, tuple[int, ...]]] = []
    for start in range(len(net.place_names)):
        found: dict[int, tuple[int, ...]] = {}
        _search_paths(net, start, found, (), 0)
        paths.append(found)
    return paths


def _search_paths(
    net: Net, current: int, found: dict[int, tuple[int, ...]], path: tuple[int, ...], depth: int
) -> None:
    if depth > MAX_REC_DEPTH:
        return
    for t in net.place_outputs[current]:
        if net.labels[t] is not None:
            continue
        for target, _ in net.outputs[t]:
            if target not in found or len(path) + 1 < len(found[target]):
                longer = (*path, t)
                found[target] = longer
                _search_paths(net, target, found, longer, depth + 1)


# ----------------------------------------------------------------------- marking primitives
# Markings are dicts place -> tokens whose insertion order follows pm4py's Counter exactly:
# firing copies the marking, removes the input tokens (deleting emptied places), then adds the
# output tokens (a newly marked place goes last).


def _is_enabled(net: Net, t: int, marking: dict[int, int]) -> bool:
    return all(marking.get(p, 0) >= w for p, w in net.inputs[t])


def _fire(net: Net, t: int, marking: dict[int, int]) -> dict[int, int]:
    fired = dict(marking)
    for p, w in net.inputs[t]:
        left = fired.get(p, 0) - w
        if left == 0:
            del fired[p]
        else:
            fired[p] = left
    for p, w in net.outputs[t]:
        fired[p] = fired.get(p, 0) + w
    return fired


def _tokens_in(net: Net, t: int) -> int:
    return sum(w for _, w in net.inputs[t])


def _tokens_out(net: Net, t: int) -> int:
    return sum(w for _, w in net.outputs[t])


def _by_name(net: Net, places: Sequence[int]) -> list[int]:
    return sorted(places, key=net.name_rank.__getitem__)


def _paths_between(
    net: Net, sources: Sequence[int], targets: Sequence[int]
) -> list[tuple[int, ...]]:
    """pm4py's ``get_hidden_transitions_to_enable``: the known hidden paths from each source to
    each target (both by place name), shortest first (a stable sort, as Python's)."""
    found = [
        net.paths[p1][p2]
        for p1 in _by_name(net, sources)
        for p2 in _by_name(net, targets)
        if p2 in net.paths[p1]
    ]
    return sorted(found, key=len)


# ------------------------------------------------------------------ walking hidden transitions


@dataclass
class _Walk:
    """The state pm4py threads through its hidden walk for one event."""

    marking: dict[int, int]
    fired: list[int]
    visited: set[int]


def _enable_hidden_transitions(
    net: Net, walk: _Walk, groups: list[tuple[int, ...]], t: int
) -> None:
    """pm4py's ``enable_hidden_transitions`` (non-exhaustive): round-robin over the paths,
    each with its own cursor, until ``t`` is enabled or a round changes nothing."""
    cursors = [0] * len(groups)
    for z in range(_MAX_ROUNDS):
        g = z % len(groups)
        changed = False
        for _ in range(cursors[g], len(groups[g])):
            t3 = groups[g][cursors[g]]
            if t3 != t and _is_enabled(net, t3, walk.marking) and t3 not in walk.visited:
                walk.marking = _fire(net, t3, walk.marking)
                walk.fired.append(t3)
                walk.visited.add(t3)
                changed = True
            cursors[g] += 1
            if _is_enabled(net, t, walk.marking):
                break
        if _is_enabled(net, t, walk.marking) or not changed:
            break


def _apply_hidden_trans(net: Net, t: int, walk: _Walk, depth: int) -> None:
    """pm4py's ``apply_hidden_trans``: fire hidden transitions along the shortest paths from the
    marked places to the places ``t`` lacks tokens in, recursing (depth < 2) into hidden
    transitions that are themselves not enabled."""
    if depth >= MAX_REC_DEPTH_HIDTRANSENABL or t in walk.visited:
        return
    walk.visited.add(t)
    at_start = dict(walk.marking)
    lacking = [p for p, w in net.inputs[t] if walk.marking.get(p, 0) < w]
    groups = _paths_between(net, list(walk.marking), lacking)
    if not groups:
        return
    _enable_hidden_transitions(net, walk, groups, t)
    if not _is_enabled(net, t, walk.marking):
        for group in _paths_between(net, list(walk.marking), lacking):
            for t4 in group:
                if t4 == t or t4 in walk.visited:
                    continue
                if not _is_enabled(net, t4, walk.marking):
                    _apply_hidden_trans(net, t4, walk, depth + 1)
                if _is_enabled(net, t4, walk.marking):
                    walk.marking = _fire(net, t4, walk.marking)
                    walk.fired.append(t4)
                    walk.visited.add(t4)
    if not _is_enabled(net, t, walk.marking) and at_start != walk.marking:
        # pm4py recurses here with t already visited, which returns at once; kept for fidelity.
        _apply_hidden_trans(net, t, walk, depth + 1)


# ------------------------------------------------------------------------------ the replayer


Step = tuple[MarkingKey, int, int, int]
"""After one event: the new marking, and the missing, consumed and produced tokens it added."""
Ending = tuple[int, int, int, int]
"""After the last event: consumed and produced tokens of the final walk, remaining tokens, and
the tokens the final marking still lacked."""


class TokenReplayer:
    """Replays traces on one net exactly as pm4py's token-based replay does, memoising each
    (marking, event) step and each ending, so variants sharing prefixes share the work."""

    def __init__(self, net: Net) -> None:
        self.net = net
        # Markings are numbered once, so a step is looked up by (number, activity) instead of
        # hashing the whole marking at every event.
        self._numbers: dict[MarkingKey, int] = {}
        self._markings: list[MarkingKey] = []
        self._steps: dict[tuple[int, str], tuple[int, int, int, int]] = {}
        self._endings: dict[int, Ending] = {}

    def _number(self, marking: MarkingKey) -> int:
        number = self._numbers.get(marking)
        if number is None:
            number = self._numbers[marking] = len(self._markings)
            self._markings.append(marking)
        return number

    def replay(self, activities: Sequence[str]) -> ReplayCounts:
        """The replay of one trace: pm4py's ``apply_trace`` with its default parameters."""
        state = self._number(self.net.initial_marking)
        missing = consumed = 0
        produced = sum(n for _, n in self.net.initial_marking)
        steps = self._steps
        for activity in activities:
            step = steps.get((state, activity))
            if step is None:
                after, m, c, p = self._step(self._markings[state], activity)
                step = steps[(state, activity)] = (self._number(after), m, c, p)
            state, m, c, p = step
            missing, consumed, produced = missing + m, consumed + c, produced + p
        ending = self._endings.get(state)
        if ending is None:
            ending = self._endings[state] = self._ending(self._markings[state])
        end_consumed, end_produced, remaining, lacking = ending
        consumed += end_consumed + sum(n for _, n in self.net.final_marking)
        produced += end_produced
        # pm4py decides the fit flag before it adds what the final marking lacked.
        is_fit = missing == 0 and remaining == 0
        missing += lacking
        fitness = 1.0
        if consumed > 0 and produced > 0:
            fitness = 0.5 * (1.0 - float(missing) / float(consumed)) + 0.5 * (
                1.0 - float(remaining) / float(produced)
            )
        return ReplayCounts(is_fit, fitness, missing, consumed, remaining, produced)

    def _step(self, key: MarkingKey, activity: str) -> Step:
        net = self.net
        t = net.by_label.get(activity)
        if t is None:  # an activity the model does not know: pm4py skips the event
            return key, 0, 0, 0
        marking = dict(key)
        missing = consumed = produced = 0
        if not _is_enabled(net, t, marking):
            walk = _Walk(dict(marking), [], set())
            _apply_hidden_trans(net, t, walk, 0)
            for hidden in walk.fired:
                consumed += _tokens_in(net, hidden)
                produced += _tokens_out(net, hidden)
            marking = walk.marking
        if not _is_enabled(net, t, marking):
            # pm4py adds the arc weight (not the shortfall) to each short place.
            for p, w in net.inputs[t]:
                have = marking.get(p, 0)
                if have < w:
                    missing += w - have
                    marking[p] = have + w
        consumed += _tokens_in(net, t)
        produced += _tokens_out(net, t)
        marking = _fire(net, t, marking)
        return tuple(marking.items()), missing, consumed, produced

    def _ending(self, key: MarkingKey) -> Ending:
        """pm4py's attempts to reach the final marking through hidden transitions, then the
        remaining tokens and the tokens the final marking lacks."""
        net = self.net
        final = dict(net.final_marking)
        walk = _Walk(dict(key), [], set())
        _walk_to_final_marking(net, walk, final)
        if not _reached(walk.marking, final) and len(final) == 1:
            _walk_to_sink(net, walk, next(iter(final)))
        marking = walk.marking
        consumed = sum(_tokens_in(net, t) for t in walk.fired)
        produced = sum(_tokens_out(net, t) for t in walk.fired)
        lacking = sum(max(0, n - marking.get(p, 0)) for p, n in final.items())
        remaining = sum(max(0, n - final[p]) if p in final else n for p, n in marking.items())
        return consumed, produced, remaining, lacking


def _reached(marking: dict[int, int], final: dict[int, int]) -> bool:
    # pm4py's break condition: every place of the final marking holds a token.
    return set(final) <= set(marking)


def _fire_into(net: Net, walk: _Walk, t: int) -> None:
    walk.marking = _fire(net, t, walk.marking)
    walk.fired.append(t)


def _walk_to_final_marking(net: Net, walk: _Walk, final: dict[int, int]) -> None:
    """pm4py's first attempt: up to 5 rounds over the hidden paths from the marked places to
    the final places, firing whatever is enabled."""
    for _ in range(MAX_IT_FINAL1):
        if _reached(walk.marking, final):
            return
        for group in _paths_between(net, list(walk.marking), list(final)):
            for t in group:
                if _is_enabled(net, t, walk.marking):
                    _fire_into(net, walk, t)
            if _reached(walk.marking, final):
                break


def _walk_to_sink(net: Net, walk: _Walk, sink: int) -> None:
    """pm4py's second attempt (one final place): up to 5 rounds along the shortest hidden path
    from each marked place (in marking order, shortest first) to the sink, each as far as
    its transitions are enabled."""
    connections = sorted(
        (net.paths[p][sink] for p in walk.marking if sink in net.paths[p]), key=len
    )
    for _ in range(MAX_IT_FINAL2):
        for path in connections:
            for t in path:
                if not _is_enabled(net, t, walk.marking):
                    break
                _fire_into(net, walk, t)


def replay_variants(net: Net, variants: Sequence[Sequence[str]]) -> list[ReplayCounts]:
    """The replay of each variant (activity sequence) on ``net``, in the order given."""
    replayer = TokenReplayer(net)
    return [replayer.replay(activities) for activities in variants]
