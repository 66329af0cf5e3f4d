"""Azure DevOps Boards as KIT uses it: SAFe on the Agile process (Epic, Feature, User Story).

Writes what the reporting API and the work-items API return: revision batches
(``workitemrevisions``), parent/child link history (``workitemlinks``) and the current work items
with their relations, including the Hyperlink to the ServiceNow requested item an order came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from simulator.context import Context
from simulator.effects import Misuse, Volumes
from simulator.ids import IntArray, StrArray, format_iso_ms
from simulator.world import (
    DAY_S,
    HOUR_S,
    ORG_URL,
    PROJECT,
    SERVICE_AREAS,
    SN_INSTANCE,
    arrivals,
    next_work_time,
)
from simulator.writer import dump_json, write_ado_batches

EPIC, FEATURE, STORY = 0, 1, 2
TYPE_NAMES = ("Epic", "Feature", "User Story")
REVISED_NEVER = "9999-01-01T00:00:00Z"
REASONS = {
    "New": "New {type}",
    "Active": "Implementation started",
    "Resolved": "Code complete",
    "Closed": "Acceptance tests pass",
    "Removed": "Removed from the backlog",
}


@dataclass(frozen=True)
class OrderPlan:
    """Development orders the integration concerns (one Feature each)."""

    opened: IntArray
    ado_created: IntArray  # opened + the order-to-DevOps lag
    target: IntArray  # service-area index that delivers
    integrated: np.ndarray  # bool: opened after the integration's go-live
    creator: IntArray  # the coordinator, or the integration account
    ritm_sys_id: StrArray
    ritm_number: StrArray
    title: StrArray


@dataclass(frozen=True)
class OrderFeatures:
    """What the ServiceNow side needs back: each order's Feature id and when it closed."""

    feature_id: IntArray
    closed: IntArray  # -1 when not closed (yet)


@dataclass
class Items:
    """All work items as aligned arrays (index = position in creation order after sorting)."""

    kind: IntArray
    area: IntArray
    created: IntArray
    active: IntArray
    resolved: IntArray
    closed: IntArray
    removed: IntArray
    parent: IntArray
    creator: IntArray
    assignee: IntArray
    title: StrArray
    iteration: StrArray
    hyperlink: StrArray
    integrated: np.ndarray

    @property
    def n(self) -> int:
        """Number of work items."""
        return len(self.kind)


def _quarter_edges(start_s: int, end_s: int) -> list[tuple[str, int, int]]:
    """(PI name, start, end) per calendar quarter touching [start, end): one PI a quarter."""
    month = np.datetime64(int(start_s), "s").astype("datetime64[M]")
    quarter = month - int(month.astype(np.int64)) % 3  # months since 1970-01, a quarter start
    last = np.datetime64(int(end_s) - 1, "s").astype("datetime64[M]")
    out: list[tuple[str, int, int]] = []
    while quarter <= last:
        label = str(quarter)
        lo, hi = (int(m.astype("datetime64[s]").astype(np.int64)) for m in (quarter, quarter + 3))
        out.append((f"PI {label[:4]}-{(int(label[5:7]) - 1) // 3 + 1}", lo, hi))
        quarter = quarter + 3
    return out


def _pi_index(quarters: list[tuple[str, int, int]], t: IntArray) -> IntArray:
    """Index of the PI (quarter) each time falls in."""
    starts = np.array([q[1] for q in quarters], dtype=np.int64)
    return np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(quarters) - 1)


def _empty(n: int) -> IntArray:
    """An int64 array of -1 (not set)."""
    return np.full(n, -1, dtype=np.int64)


def _epics(ctx: Context, quarters: list[tuple[str, int, int]]) -> tuple[Items, dict[Any, int]]:
    """One PI epic per area and quarter, one ServiceNow intake epic per area and year."""
    rng = ctx.rng(20)
    people = ctx.world.people
    rows: list[tuple[int, int, int, int, int, str, str]] = []
    index: dict[Any, int] = {}
    for a, service_area in enumerate(SERVICE_AREAS):
        for q, (name, lo, hi) in enumerate(quarters):
            index[("pi", a, q)] = len(rows)
            rows.append(
                (
                    a,
                    max(lo - 14 * DAY_S, ctx.world.start_s),
                    lo + DAY_S,
                    hi - 2 * DAY_S,
                    hi + 7 * DAY_S,
                    f"{service_area.name}: mål for {name}",
                    PROJECT,
                )
            )
        for year in sorted({name[3:7] for name, _, _ in quarters}):
            lo = max(int(np.datetime64(f"{year}-01-02", "s").astype(np.int64)), ctx.world.start_s)
            hi = int(np.datetime64(f"{int(year) + 1}-01-10", "s").astype(np.int64))
            index[("intake", a, year)] = len(rows)
            rows.append(
                (
                    a,
                    lo,
                    lo + HOUR_S,
                    hi - 5 * DAY_S,
                    hi,
                    f"Bestillinger fra ServiceNow {year} - {service_area.name}",
                    PROJECT,
                )
            )
    n = len(rows)
    area = np.array([r[0] for r in rows], dtype=np.int64)
    owner = np.array([rng.choice(people.members(SERVICE_AREAS[a].code)) for a in area])
    items = Items(
        kind=np.full(n, EPIC),
        area=area,
        created=np.array([r[1] for r in rows], dtype=np.int64),
        active=np.array([r[2] for r in rows], dtype=np.int64),
        resolved=np.array([r[3] for r in rows], dtype=np.int64),
        closed=np.array([r[4] for r in rows], dtype=np.int64),
        removed=_empty(n),
        parent=_empty(n),
        creator=owner,
        assignee=owner,
        title=np.array([r[5] for r in rows]),
        iteration=np.array([r[6] for r in rows]),
        hyperlink=np.full(n, ""),
        integrated=np.zeros(n, dtype=bool),
    )
    return items, index


def _order_url(plan: OrderPlan) -> StrArray:
    """The Hyperlink: the integration links by sys_id, coordinators pasted a number query."""
    by_id = np.char.add(f"{SN_INSTANCE}/sc_req_item.do?sys_id=", plan.ritm_sys_id)
    by_number = np.char.add(
        f"{SN_INSTANCE}/nav_to.do?uri=sc_req_item.do?sysparm_query=number=", plan.ritm_number
    )
    return np.where(plan.integrated, by_id, by_number)


def _features(
    ctx: Context,
    plan: OrderPlan,
    quarters: list[tuple[str, int, int]],
    epic_index: dict[Any, int],
) -> Items:
    """Order features (first, aligned with the plan) then each area's own features."""
    rng = ctx.rng(21)
    people = ctx.world.people
    per_area = Volumes().internal_features_per_area_year * ctx.scale
    internal_t: list[IntArray] = [plan.ado_created]
    internal_a: list[IntArray] = [plan.target]
    for a in range(len(SERVICE_AREAS)):
        t = arrivals(
            rng, ctx.world.start_s, ctx.world.end_s, per_area / 12, seasonal=True, exact=False
        )
        internal_t.append(t)
        internal_a.append(np.full(len(t), a, dtype=np.int64))
    created = np.concatenate(internal_t)
    area = np.concatenate(internal_a)
    n, n_orders = len(created), len(plan.opened)
    pi = _pi_index(quarters, created)
    years = np.array([quarters[q][0][3:7] for q in pi]) if n else np.zeros(0, dtype="U4")
    parent = np.array(
        [
            epic_index[("intake", a, y)] if i < n_orders else epic_index[("pi", a, q)]
            for i, (a, y, q) in enumerate(
                zip(area.tolist(), years.tolist(), pi.tolist(), strict=True)
            )
        ],
        dtype=np.int64,
    )
    member = np.array(
        [rng.choice(people.members(SERVICE_AREAS[a].code)) for a in area.tolist()], dtype=np.int64
    )
    creator = np.concatenate([plan.creator, member[n_orders:]])
    pi_names = np.array([q[0] for q in quarters])
    titles = (
        np.concatenate(
            [
                np.char.add(np.char.add(plan.ritm_number, ": "), plan.title),
                np.char.add(
                    "Forbedring af ",
                    np.array([SERVICE_AREAS[a].name for a in area[n_orders:]], dtype=str),
                ),
            ]
        )
        if n
        else np.zeros(0, dtype=str)
    )
    return Items(
        kind=np.full(n, FEATURE),
        area=area,
        created=created,
        active=_empty(n),
        resolved=_empty(n),
        closed=_empty(n),
        removed=_empty(n),
        parent=parent,
        creator=creator,
        assignee=member,
        title=titles,
        iteration=np.char.add(f"{PROJECT}\\", pi_names[pi]) if n else np.zeros(0, dtype=str),
        hyperlink=np.concatenate([_order_url(plan), np.full(n - n_orders, "")]),
        integrated=np.concatenate([plan.integrated, np.zeros(n - n_orders, dtype=bool)]),
    )


def _stories(ctx: Context, features: Items, quarters: list[tuple[str, int, int]]) -> Items:
    """Two to four stories per feature; the feature's state follows its stories."""
    rng = ctx.rng(22)
    people = ctx.world.people
    count = rng.integers(1, 5, features.n)
    owner = np.repeat(np.arange(features.n), count)
    m = len(owner)
    created = next_work_time(features.created[owner] + rng.integers(DAY_S // 2, 10 * DAY_S, m), rng)
    active = next_work_time(created + rng.integers(DAY_S // 2, 10 * DAY_S, m), rng)
    resolved = active + rng.lognormal(np.log(6 * DAY_S), 0.6, m).astype(np.int64)
    closed = resolved + rng.integers(DAY_S // 2, 4 * DAY_S, m)
    is_removed = rng.random(m) < 0.04
    removed = np.where(is_removed, created + rng.integers(DAY_S, 20 * DAY_S, m), -1)
    area = features.area[owner]
    member = np.array(
        [rng.choice(people.members(SERVICE_AREAS[a].code)) for a in area.tolist()], dtype=np.int64
    )
    pi = _pi_index(quarters, active)
    sprint = np.minimum((active - np.array([q[1] for q in quarters])[pi]) // (14 * DAY_S) + 1, 7)
    pi_names = np.array([q[0] for q in quarters])
    iteration = np.char.add(
        np.char.add(np.char.add(f"{PROJECT}\\", pi_names[pi]), "\\Sprint "), sprint.astype(str)
    )
    stories = Items(
        kind=np.full(m, STORY),
        area=area,
        created=created,
        active=np.where(is_removed, -1, active),
        resolved=np.where(is_removed, -1, resolved),
        closed=np.where(is_removed, -1, closed),
        removed=removed,
        parent=owner,
        creator=features.assignee[owner],
        assignee=member,
        title=np.char.add("Leverance ", np.arange(1, m + 1).astype(str)),
        iteration=iteration,
        hyperlink=np.full(m, ""),
        integrated=np.zeros(m, dtype=bool),
    )
    _roll_up(rng, features, stories, count)
    return stories


def _roll_up(rng: np.random.Generator, features: Items, stories: Items, count: IntArray) -> None:
    """Feature active at its first active story, resolved/closed after its last one."""
    starts = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    live = stories.removed < 0
    big = np.iinfo(np.int64).max
    first_active = np.minimum.reduceat(np.where(live, stories.active, big), starts)
    last_resolved = np.maximum.reduceat(np.where(live, stories.resolved, -1), starts)
    last_closed = np.maximum.reduceat(np.where(live, stories.closed, -1), starts)
    none = first_active == big
    features.active[:] = np.where(none, features.created + 2 * DAY_S, first_active)
    features.resolved[:] = np.where(none, features.created + 20 * DAY_S, last_resolved)
    closed = np.where(none, features.created + 25 * DAY_S, last_closed)
    features.closed[:] = closed + rng.integers(DAY_S // 2, 3 * DAY_S, features.n)


def _apply_misuse(ctx: Context, items: Items) -> None:
    """Plant the misuse: much more often in one service area than in the others."""
    rng = ctx.rng(23)
    misuse = Misuse()
    in_area = items.area == SERVICE_AREAS.index(
        next(a for a in SERVICE_AREAS if a.code == misuse.area)
    )

    def draw(rates: tuple[float, float]) -> np.ndarray:
        """Per item: does the misuse happen (rate by area)?"""
        return rng.random(items.n) < np.where(in_area, rates[0], rates[1])

    work = items.kind != EPIC
    # Integrated features too: the integration files them under the intake epic, and the misusing
    # area drags them out of it again.
    orphan = draw(misuse.feature_without_epic) & (items.kind == FEATURE)
    items.parent[orphan] = -1
    skip = draw(misuse.closed_without_active) & work & (items.removed < 0)
    items.active[skip] = -1
    items.resolved[skip] = -1
    root = draw(misuse.iteration_at_root) & work
    items.iteration[root] = PROJECT


def build_devops(ctx: Context, plan: OrderPlan, out: Path) -> OrderFeatures:
    """Generate and write all Azure DevOps outputs; return the order features."""
    quarters = _quarter_edges(ctx.world.start_s, ctx.world.end_s)
    epics, epic_index = _epics(ctx, quarters)
    features = _features(ctx, plan, quarters, epic_index)
    stories = _stories(ctx, features, quarters)
    # Stories point at features (offset by the epics); features already point at epics.
    stories.parent = stories.parent + epics.n
    items = Items(
        **{
            name: np.concatenate([getattr(p, name) for p in (epics, features, stories)])
            for name in Items.__dataclass_fields__
        }
    )
    _apply_misuse(ctx, items)
    ids = _assign_ids(items)
    visible = items.created < ctx.world.end_s
    ctx.facts["ado_misuse"] = misuse_stats(items, visible, ctx.world.end_s)
    _write(ctx, items, ids, visible, out / "azure-devops")
    n_orders = len(plan.opened)
    order_rows = np.arange(epics.n, epics.n + n_orders)
    closed = items.closed[order_rows]
    return OrderFeatures(ids[order_rows], np.where(closed < ctx.world.end_s, closed, -1))


def _assign_ids(items: Items) -> IntArray:
    """System.Id in creation order, starting where a young project would be."""
    order = np.lexsort((np.arange(items.n), items.created))
    ids = np.empty(items.n, dtype=np.int64)
    ids[order] = np.arange(1001, 1001 + items.n)
    return ids


def misuse_stats(items: Items, visible: np.ndarray, end_s: int) -> dict[str, dict[str, Any]]:
    """Per service area: counts and rates of each planted misuse, as visible at extraction."""
    out: dict[str, dict[str, Any]] = {}
    for a, area in enumerate(SERVICE_AREAS):
        mine = visible & (items.area == a)
        feats = mine & (items.kind == FEATURE)
        work = mine & (items.kind != EPIC)
        closed = work & (items.closed >= 0) & (items.closed < end_s)
        skipped = closed & ((items.active < 0) | (items.active >= end_s))
        orphans = feats & (items.parent < 0)
        root = work & (items.iteration == PROJECT)
        out[area.name] = {
            "features": int(feats.sum()),
            "features_without_epic": int(orphans.sum()),
            "feature_without_epic_rate": _rate(orphans, feats),
            "closed_items": int(closed.sum()),
            "closed_without_active": int(skipped.sum()),
            "closed_without_active_rate": _rate(skipped, closed),
            "work_items": int(work.sum()),
            "iteration_at_root": int(root.sum()),
            "iteration_at_root_rate": _rate(root, work),
        }
    return out


def _rate(hit: np.ndarray, base: np.ndarray) -> float:
    """Share of ``base`` that is ``hit``, 0 when the base is empty."""
    total = int(base.sum())
    return round(int(hit.sum()) / total, 6) if total else 0.0


# -- writing -------------------------------------------------------------------------------------


def _identity(ctx: Context, user: int) -> dict[str, Any]:
    """The identity object the API returns with includeIdentityRef=true."""
    people = ctx.world.people
    return {
        "displayName": people.display_name(user),
        "id": str(people.ado_id[user]),
        "uniqueName": str(people.email[user]),
        "descriptor": f"aad.{str(people.ado_id[user]).replace('-', '')[:24]}",
    }


def _transitions(items: Items, i: int, end_s: int) -> list[tuple[int, str, int]]:
    """(time, state, actor) per revision of one item, cut at the extraction time."""
    steps = [(int(items.created[i]), "New", int(items.creator[i]))]
    assignee = int(items.assignee[i])
    for t, state in (
        (items.active[i], "Active"),
        (items.resolved[i], "Resolved"),
        (items.closed[i], "Closed"),
    ):
        if t >= 0:
            steps.append((int(t), state, assignee))
    if items.removed[i] >= 0:
        steps.append((int(items.removed[i]), "Removed", int(items.creator[i])))
    steps.sort(key=lambda s: s[0])
    return [s for s in steps if s[0] < end_s]


def _write(ctx: Context, items: Items, ids: IntArray, visible: np.ndarray, out: Path) -> None:
    """Write revision batches, link batches and the current work items."""
    rng = ctx.rng(24)
    end_s = ctx.world.end_s
    identities = {
        u: _identity(ctx, u)
        for u in np.unique(np.concatenate([items.creator, items.assignee])).tolist()
    }
    rows = np.flatnonzero(visible).tolist()
    all_steps = [_transitions(items, i, end_s) for i in rows]
    flat = np.array([s[0] for steps in all_steps for s in steps], dtype=np.int64)
    # One vectorised formatting pass: ChangedDate with .NET-style trimmed milliseconds.
    times = flat * 1000 + rng.integers(0, 1000, len(flat))
    stamps = format_iso_ms(times, trim=True).to_list()
    revisions = _Revisions(
        items, ids, rows, all_steps, stamps=stamps, times=times, identities=identities
    )
    api = f"{ORG_URL}/{PROJECT}/_apis/wit/reporting"
    written = write_ado_batches(
        out / "workitemrevisions",
        revisions,
        url=f"{api}/workItemRevisions?includeIdentityRef=true&api-version=7.1",
        token=lambda last, wm: f"{wm};{last['id']};{last['rev']}",
    )
    ctx.count("azure_devops", "workitemrevisions", written)
    ctx.count("azure_devops", "workitemlinks", _write_links(items, ids, visible, out, api))
    ctx.count("azure_devops", "workitems", _write_items(items, ids, revisions.latest, out))


class _Revisions(Sequence[dict[str, Any]]):
    """Every visible item's revisions in the reporting API's order (ChangedDate, id, rev), built
    a slice at a time: an item's revisions are built when its first is asked for and kept until
    its last has been, so only the revisions of items still changing are in memory."""

    def __init__(
        self,
        items: Items,
        ids: IntArray,
        rows: list[int],
        all_steps: list[list[tuple[int, str, int]]],
        *,
        stamps: list[str],
        times: IntArray,
        identities: dict[int, dict[str, Any]],
    ) -> None:
        """Sort the revisions; build none yet."""
        self.items, self.ids, self.rows, self.all_steps = items, ids, rows, all_steps
        self.stamps, self.identities = stamps, identities
        counts = np.array([len(steps) for steps in all_steps], dtype=np.int64)
        self.position = np.repeat(np.arange(len(rows)), counts)  # each revision's item (in rows)
        self.first = np.cumsum(counts) - counts  # each item's first revision
        rev = np.arange(len(times)) - self.first[self.position] + 1
        item_id = ids[np.array(rows, dtype=np.int64)][self.position]
        self.order = np.lexsort((rev, item_id, times))
        self.rev = rev
        self.left = counts.copy()  # revisions of each item not yet handed out
        self.open: dict[int, list[dict[str, Any]]] = {}
        self.latest: dict[int, dict[str, Any]] = {}  # each item's last revision

    def __len__(self) -> int:
        """Number of revisions."""
        return len(self.order)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        """Revisions by their place in the order (a slice is handed out once, in order)."""
        if isinstance(index, int):
            return self[index : index + 1][0]
        out: list[dict[str, Any]] = []
        for r in self.order[index].tolist():
            p = int(self.position[r])
            if p not in self.open:
                self.open[p] = self._fields(p)
            fields = self.open[p][int(self.rev[r]) - 1]
            i = self.rows[p]
            out.append({"id": int(self.ids[i]), "rev": int(self.rev[r]), "fields": fields})
            self.left[p] -= 1
            if self.left[p] == 0:
                self.latest[i] = self.open.pop(p)[-1]
        return out

    def _fields(self, p: int) -> list[dict[str, Any]]:
        """The field sets of every revision of the item at ``rows[p]``."""
        steps = self.all_steps[p]
        start = int(self.first[p])
        return _revision_fields(
            self.items,
            self.ids,
            self.rows[p],
            steps=steps,
            stamps=self.stamps[start : start + len(steps)],
            identities=self.identities,
        )


def _revision_fields(
    items: Items,
    ids: IntArray,
    i: int,
    *,
    steps: list[tuple[int, str, int]],
    stamps: list[str],
    identities: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The full field set of each revision, as the reporting API returns them."""
    kind = TYPE_NAMES[int(items.kind[i])]
    base: dict[str, Any] = {
        "System.Id": int(ids[i]),
        "System.WorkItemType": kind,
        "System.AreaPath": f"{PROJECT}\\{SERVICE_AREAS[int(items.area[i])].ado_area}",
        "System.IterationPath": str(items.iteration[i]),
        "System.TeamProject": PROJECT,
        "System.Title": str(items.title[i]),
        "System.CreatedDate": stamps[0],
        "System.CreatedBy": identities[steps[0][2]],
    }
    if items.parent[i] >= 0:
        base["System.Parent"] = int(ids[int(items.parent[i])])
    if items.hyperlink[i]:
        base["System.Tags"] = "ServiceNow"
    out: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    for rev, (_, state, actor) in enumerate(steps, start=1):
        if state == "Active":
            extra["System.AssignedTo"] = identities[int(items.assignee[i])]
            extra["Microsoft.VSTS.Common.ActivatedDate"] = stamps[rev - 1]
        if state == "Closed":
            extra["Microsoft.VSTS.Common.ClosedDate"] = stamps[rev - 1]
        fields = {
            **base,
            "System.Rev": rev,
            "System.State": state,
            "System.Reason": REASONS[state].format(type=kind.lower()),
            "System.ChangedDate": stamps[rev - 1],
            "System.ChangedBy": identities[actor],
            "System.RevisedDate": stamps[rev] if rev < len(steps) else REVISED_NEVER,
            **extra,
        }
        out.append(fields)
    return out


def _write_links(items: Items, ids: IntArray, visible: np.ndarray, out: Path, api: str) -> int:
    """Parent-to-child link history: one active Hierarchy-Forward link per child."""
    child = np.flatnonzero(visible & (items.parent >= 0))
    order = child[np.lexsort((ids[child], items.created[child]))]
    stamps = format_iso_ms(items.created[order] * 1000, trim=True).to_list()
    values = [
        {
            "rel": "System.LinkTypes.Hierarchy-Forward",
            "sourceId": int(ids[items.parent[c]]),
            "targetId": int(ids[c]),
            "changedDate": s,
            "isActive": True,
        }
        for c, s in zip(order.tolist(), stamps, strict=True)
    ]
    return write_ado_batches(
        out / "workitemlinks",
        values,
        url=f"{api}/workItemLinks?api-version=7.1",
        token=lambda last, wm: f"{wm};{last['sourceId']};{last['targetId']}",
    )


def _write_items(items: Items, ids: IntArray, latest: dict[int, dict[str, Any]], out: Path) -> int:
    """Current work items with relations (as ``workitemsbatch`` with ``$expand=relations``),
    built a batch at a time."""
    children: dict[int, list[int]] = {}
    for i in latest:
        if items.parent[i] >= 0:
            children.setdefault(int(items.parent[i]), []).append(i)
    order = sorted(latest, key=lambda j: int(ids[j]))
    size = 200  # the batch endpoint's maximum
    for number, k in enumerate(range(0, max(len(order), 1), size), start=1):
        chunk = [_item(items, ids, i, latest[i], children) for i in order[k : k + size]]
        dump_json(
            out / "workitems" / f"batch-{number:05d}.json", {"count": len(chunk), "value": chunk}
        )
    return len(order)


def _item(
    items: Items, ids: IntArray, i: int, fields: dict[str, Any], children: dict[int, list[int]]
) -> dict[str, Any]:
    """One current work item with its relations: parent, children, the ServiceNow hyperlink."""
    url = f"{ORG_URL}/{PROJECT}/_apis/wit/workItems"
    relations: list[dict[str, Any]] = []
    if items.parent[i] >= 0:
        relations.append(
            {
                "rel": "System.LinkTypes.Hierarchy-Reverse",
                "url": f"{url}/{int(ids[int(items.parent[i])])}",
                "attributes": {"isLocked": False, "name": "Parent"},
            }
        )
    for c in sorted(children.get(i, []), key=lambda j: int(ids[j])):
        relations.append(
            {
                "rel": "System.LinkTypes.Hierarchy-Forward",
                "url": f"{url}/{int(ids[c])}",
                "attributes": {"isLocked": False, "name": "Child"},
            }
        )
    if items.hyperlink[i]:
        relations.append(
            {
                "rel": "Hyperlink",
                "url": str(items.hyperlink[i]),
                "attributes": {"comment": "ServiceNow", "name": "Hyperlink"},
            }
        )
    return {
        "id": int(ids[i]),
        "rev": int(fields["System.Rev"]),
        "fields": fields,
        "relations": relations,
        "url": f"{url}/{int(ids[i])}",
    }
