"""A vectorised engine that turns planned case paths into ServiceNow records and sys_audit rows.

A kind of case (an incident, a requested item, a catalog task) is planned as a fixed template of
K steps: step 0 is the insert, each later step sets some audited fields at a time by a user.
Optional steps are switched off per case with ``valid``. From that plan the engine derives, for
all cases at once, what the real instance would hold at extraction time: the current record (the
values after the last step before the cut-off) and one sys_audit row per changed field (inserts are
not audited, as on a default instance).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray

from simulator.ids import IntArray, StrArray, format_servicenow_time, make_sys_ids

BoolArray = NDArray[np.bool_]


@dataclass
class CasePlan:
    """Planned steps of n cases of one table.

    ``times``/``actor``/``valid`` are (n, K); ``fields`` maps an audited field to (n, K) codes
    of its values after each step, ``vocab`` the field to the texts of its codes (distinct, so
    codes compare as their texts do; text only for the values a record or audit row shows).
    Invalid steps are filled forward by :func:`settle`, so builders only fill the steps they use.
    """

    table: str
    sys_id: StrArray
    times: IntArray
    actor: IntArray
    valid: BoolArray
    fields: dict[str, IntArray] = field(default_factory=dict)
    vocab: dict[str, StrArray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of cases."""
        return len(self.sys_id)


@dataclass(frozen=True)
class Settled:
    """A plan cut at the extraction time: what is visible, per case and step."""

    plan: CasePlan
    seen: BoolArray  # (n, K) step happened and lies before the cut-off
    changed: dict[str, BoolArray]  # field -> (n, K) seen and the value differs from the step before
    last: IntArray  # index of the last seen step that changed something (0 = the insert)
    mod_count: IntArray  # updates seen per case


def _fill_forward(values: NDArray[np.generic], valid: BoolArray) -> None:
    """Carry the previous step's value into invalid steps, in place."""
    for k in range(1, values.shape[1]):
        values[:, k] = np.where(valid[:, k], values[:, k], values[:, k - 1])


def settle(plan: CasePlan, end_s: int) -> Settled:
    """Fill invalid steps forward and cut every case at ``end_s`` (exclusive)."""
    for name, texts in plan.vocab.items():
        if len(np.unique(texts)) != len(texts):
            raise ValueError(f"the vocabulary of {name} repeats a text")
    plan.valid[:, 0] = True
    _fill_forward(plan.times, plan.valid)
    _fill_forward(plan.actor, plan.valid)
    for values in plan.fields.values():
        _fill_forward(values, plan.valid)
    seen = plan.valid & (plan.times < end_s)
    changed: dict[str, BoolArray] = {}
    any_change = np.zeros_like(seen)
    for name, values in plan.fields.items():
        diff = np.zeros_like(seen)
        diff[:, 1:] = values[:, 1:] != values[:, :-1]
        changed[name] = diff & seen
        any_change |= changed[name]
    k_index = np.arange(seen.shape[1])[None, :]
    last = np.where(any_change, k_index, 0).max(axis=1).astype(np.int64)
    return Settled(plan, seen, changed, last, any_change.sum(axis=1).astype(np.int64))


def current(settled: Settled, name: str) -> StrArray:
    """The record's current value of an audited field."""
    codes = settled.plan.fields[name]
    return settled.plan.vocab[name][codes[np.arange(settled.plan.n), settled.last]]


def current_column(settled: Settled, name: str) -> pl.Series:
    """``current`` as a polars column, gathered from the field's few texts (a numpy text array
    converts to polars string by string)."""
    codes = settled.plan.fields[name]
    return gather(settled.plan.vocab[name], codes[np.arange(settled.plan.n), settled.last])


def gather(texts: StrArray, index: IntArray) -> pl.Series:
    """``texts[index]`` as a polars column, converting only the texts."""
    return pl.Series(texts).gather(index)


def first_time(settled: Settled, name: str, targets: tuple[str, ...]) -> IntArray:
    """When a field first took one of ``targets`` (seen steps only); -1 if never."""
    codes = np.flatnonzero(np.isin(settled.plan.vocab[name], np.array(targets)))
    hit = settled.seen & np.isin(settled.plan.fields[name], codes)
    hit[:, 0] = False  # the insert value is not a transition
    k = np.argmax(hit, axis=1)
    t = settled.plan.times[np.arange(settled.plan.n), k]
    return np.where(hit.any(axis=1), t, -1).astype(np.int64)


def updated_on(settled: Settled) -> IntArray:
    """sys_updated_on: the time of the last seen change (or the insert)."""
    return settled.plan.times[np.arange(settled.plan.n), settled.last]


def updated_by(settled: Settled) -> IntArray:
    """User index of the last seen change."""
    return settled.plan.actor[np.arange(settled.plan.n), settled.last]


@dataclass
class AuditSequence:
    """Hands out consecutive sys_audit sequence numbers across all builders (deterministic)."""

    seed: int
    next_seq: int = 0

    def take(self, count: int) -> IntArray:
        """The next ``count`` sequence numbers."""
        seq = np.arange(self.next_seq, self.next_seq + count, dtype=np.int64)
        self.next_seq += count
        return seq

    def take_fields(self, changed: dict[str, BoolArray]) -> dict[str, int]:
        """Reserve one number per changed step; the first number of each field's block (the
        fields' blocks follow each other in the dict's order)."""
        first: dict[str, int] = {}
        for name, values in changed.items():
            first[name] = self.next_seq
            self.take(int(values.sum()))
        return first


def audit_rows(
    settled: Settled,
    user_names: StrArray,
    seq: AuditSequence,
    first: dict[str, int] | None = None,
) -> pl.DataFrame:
    """One sys_audit row per changed audited field, in the Table API's value-mode shape.

    Each field's rows are numbered in (case, step) order from ``first[field]`` (default: the
    next numbers of ``seq``, field after field).
    """
    plan = settled.plan
    if first is None:
        first = seq.take_fields(settled.changed)
    update_no = np.cumsum(np.any(np.stack(list(settled.changed.values())), axis=0), axis=1)
    frames: list[pl.DataFrame] = []
    # Text columns are gathered in polars: numpy text arrays convert to polars string by string.
    names = pl.Series(user_names)
    documents = pl.Series(plan.sys_id)
    for name, changed in settled.changed.items():
        rows, steps = np.nonzero(changed)
        if len(rows) == 0:
            continue
        texts = pl.Series(plan.vocab[name])
        codes = plan.fields[name]
        users = names.gather(plan.actor[rows, steps])
        when = format_servicenow_time(plan.times[rows, steps])
        numbers = np.arange(first[name], first[name] + len(rows), dtype=np.int64)
        frame = pl.DataFrame(
            {
                "sys_id": make_sys_ids(seq.seed, "sys_audit", numbers),
                "tablename": pl.repeat(plan.table, len(rows), eager=True),
                "documentkey": documents.gather(rows),
                "fieldname": pl.repeat(name, len(rows), eager=True),
                "oldvalue": texts.gather(codes[rows, steps - 1]),
                "newvalue": texts.gather(codes[rows, steps]),
                "user": users,
                "reason": pl.repeat("", len(rows), eager=True),
                "record_checkpoint": pl.Series(update_no[rows, steps]).cast(pl.String),
                "sys_created_on": when,
                "sys_created_by": users,
            }
        )
        frames.append(frame)
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames)


def settled_chunks(
    settled: Settled, seq: AuditSequence, rows: int
) -> Iterator[tuple[slice, Settled, dict[str, int]]]:
    """A settled plan ``rows`` cases at a time, for building its records and audit rows a chunk
    at a time (their text is what takes memory).

    Yields the cases' slice, their part, and where their audit rows' numbers start per field:
    exactly the numbers ``audit_rows`` gives the whole plan, so the chunks' records and audit rows
    together are the whole plan's.
    """
    plan = settled.plan
    first = seq.take_fields(settled.changed)
    for lo in range(0, plan.n, rows):
        part = slice(lo, min(lo + rows, plan.n))
        codes = {name: values[part] for name, values in plan.fields.items()}
        mine = CasePlan(
            plan.table,
            plan.sys_id[part],
            plan.times[part],
            plan.actor[part],
            plan.valid[part],
            codes,
            plan.vocab,
        )
        changed = {name: values[part] for name, values in settled.changed.items()}
        chunk = Settled(
            mine, settled.seen[part], changed, settled.last[part], settled.mod_count[part]
        )
        yield part, chunk, dict(first)
        for name, values in changed.items():
            first[name] += int(values.sum())
