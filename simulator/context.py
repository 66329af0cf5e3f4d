"""What the builders share while the landscape is generated."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from simulator.cases import AuditSequence
from simulator.effects import Automation, Confounders
from simulator.ids import IntArray, StrArray
from simulator.world import World
from simulator.writer import Spill


@dataclass(frozen=True)
class Transactions:
    """The transactions of one automation after its go-live: what the robot saw.

    ``outcome``: 0 successful, 1 business exception, 2 application exception. ``user`` is the
    person at the keyboard for attended runs (the sys_user index), else the robot account.
    """

    automation: Automation
    reference: StrArray  # RITM/INC number, the queue item Reference
    record_sys_id: StrArray
    created_s: IntArray
    start_s: IntArray
    end_s: IntArray
    outcome: IntArray
    user: IntArray


@dataclass
class Context:
    """Shared state: the world, the scale, the spill store and the collected side outputs."""

    world: World
    scale: float
    spill: Spill
    audit_seq: AuditSequence
    time_entries: list[pl.DataFrame] = field(default_factory=list)
    transactions: list[Transactions] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)  # realised values for the manifest
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # records written per stream
    sla_seq: int = 0  # task_sla rows handed out so far (their sys_id sequence)
    confounders: Confounders | None = None  # None: the clean scenario
    moved_time: list[pl.DataFrame] = field(default_factory=list)  # freed hours, per automation

    def count(self, source: str, stream: str, records: int) -> None:
        """Note how many records a stream got (for the summary and the manifest)."""
        self.counts.setdefault(source, {})[stream] = records

    def rng(self, stream: int) -> np.random.Generator:
        """An independent random stream per builder, so builders do not shift each other."""
        return np.random.default_rng([self.world.seed, 100 + stream])

    def add_time(
        self,
        *,
        when_s: IntArray,
        user: IntArray,
        reference: StrArray,
        category: str,
        hours: np.ndarray,
        task_sys_id: StrArray,
        moved_from: str = "",
    ) -> None:
        """Collect time-registration entries (dropped when after the extraction time).

        ``moved_from`` names the automation whose freed hours these are: they are kept apart so
        the manifest can tell each automation's moved hours after the registration noise.
        """
        keep = when_s < self.world.end_s
        people = self.world.people
        frame = pl.DataFrame(
            {
                "time_s": when_s[keep],
                "user": user[keep],
                "reference": reference[keep],
                "category": np.full(int(keep.sum()), category),
                "hours": np.round(np.asarray(hours, dtype=np.float64)[keep], 2),
                "task_sys_id": task_sys_id[keep],
                "area": people.area[user[keep]],
            }
        )
        if moved_from:
            self.moved_time.append(frame.with_columns(pl.lit(moved_from).alias("source")))
        else:
            self.time_entries.append(frame)
