"""A process model's Petri net as plain data, for drawing it (places, transitions, arcs).

The net of a :class:`mining.ProcessModel` (read from BPMN or PNML, or discovered) holds pm4py
objects; the faces draw it from this description, so they never touch pm4py.
"""

from __future__ import annotations

from dataclasses import dataclass

from mining.pm4py_adapter import ProcessModel


@dataclass(frozen=True)
class NetNode:
    """A place or a transition: ``id`` unique in the net, ``label`` the activity of a visible
    transition (None for a place or a silent step), ``marking`` the tokens of a place in the
    initial marking (``start``), the final one (``end``) or neither (``""``)."""

    id: str
    kind: str  # "place" | "transition"
    label: str | None = None
    marking: str = ""


@dataclass(frozen=True)
class NetGraph:
    """The nodes and the arcs (source id, target id) of a Petri net."""

    nodes: tuple[NetNode, ...]
    arcs: tuple[tuple[str, str], ...]

    @property
    def activities(self) -> tuple[str, ...]:
        """The labels of the visible transitions, sorted."""
        return tuple(sorted(n.label for n in self.nodes if n.label is not None))


def describe_net(model: ProcessModel) -> NetGraph:
    """The places, transitions and arcs of ``model``'s net, in a stable order (places by name,
    transitions by label then name)."""
    net = model.net
    start = {id(p) for p in model.initial_marking}
    end = {id(p) for p in model.final_marking}
    places = sorted(net.places, key=lambda p: str(p.name))
    transitions = sorted(
        net.transitions, key=lambda t: (t.label is None, str(t.label), str(t.name))
    )
    ids: dict[int, str] = {}
    nodes: list[NetNode] = []
    for number, place in enumerate(places):
        ids[id(place)] = f"p{number}"
        marking = "start" if id(place) in start else "end" if id(place) in end else ""
        nodes.append(NetNode(f"p{number}", "place", None, marking))
    for number, transition in enumerate(transitions):
        ids[id(transition)] = f"t{number}"
        label = None if transition.label is None else str(transition.label)
        nodes.append(NetNode(f"t{number}", "transition", label))
    arcs = sorted((ids[id(a.source)], ids[id(a.target)]) for a in net.arcs)
    return NetGraph(tuple(nodes), tuple(arcs))
