"""The process map: a directly-follows graph with frequency and performance, and its Disco-style
simplification.

Arc duration: the waiting time of the arc's target event (see :mod:`mining.durations`): from the
source's timestamp to the target's start timestamp when the log has one, else to the target's
timestamp. Without start timestamps this is exactly pm4py's ``discover_performance_dfg``.

Simplification (Disco's two sliders):

- ``activity_coverage`` keeps the most frequent activities while the events of those kept
  before are below that share of all events (at least one activity); the log is projected on
  them first, so A→X→B becomes A→B when X is hidden, as in Disco;
- ``path_coverage`` keeps the most frequent arcs while the arc frequency kept before is below
  that share, then adds back, strongest first, the arcs needed for every activity to be
  reachable from the start and to reach the end, so the map never falls apart.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from mining.calendar_dk import DEFAULT_CALENDAR, WorkingCalendar
from mining.dfg import PAIR_BASE, activity_code, find_activity_names, name_codes
from mining.durations import TimeMode, compute_case_durations, compute_event_durations
from mining.filters import filter_activities, filter_cases_with_activity, filter_follows
from models.errors import InputError
from models.schema import ACTIVITY, CASE, ORG_UNIT, TIMESTAMP

Log = pl.LazyFrame | pl.DataFrame

START: Final = "▶"
"""The source name of a start arc (the case begins with the target)."""
END: Final = "■"
"""The target name of an end arc (the case ends with the source)."""


@dataclass(frozen=True)
class ProcessMap:
    """A process map.

    ``arcs``: one row per arc, directly-follows pairs plus start arcs (source ``START``) and end
    arcs (target ``END``): ``source``, ``target``, ``frequency`` (times it occurs), ``cases``
    (cases in which it occurs), ``mean_duration_s``, ``median_duration_s``, ``p90_duration_s``,
    ``total_duration_s`` (null on start and end arcs). Sorted by frequency, source, target.

    ``activities``: one row per activity: ``activity``, ``frequency`` (events), ``cases``,
    ``mean_wait_s``, ``median_wait_s``, ``p90_wait_s``, ``total_wait_s`` (waiting before it),
    ``mean_service_s`` (null without start timestamps). Sorted by frequency, then name.
    """

    arcs: pl.DataFrame
    activities: pl.DataFrame


def discover_process_map(
    events: Log,
    *,
    activity_coverage: float = 1.0,
    path_coverage: float = 1.0,
    time: TimeMode = "calendar",
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> ProcessMap:
    """The process map of a sorted log, simplified by the two coverage sliders (0-1)."""
    for label, value in (
        ("activity_coverage", activity_coverage),
        ("path_coverage", path_coverage),
    ):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{label} {value} is not a share: give a number from 0 to 1.")
    lazy = events.lazy()
    if activity_coverage < 1.0:
        lazy = filter_activities(lazy, _frequent_activities(lazy, activity_coverage))
    # Materialised once: the arcs, the end arcs and the activities are three scans of it.
    timed = (
        compute_event_durations(lazy, time=time, calendar=calendar)
        .select(
            ACTIVITY,
            "wait_s",
            "service_s",
            activity_code().alias("_code"),
            (pl.col(CASE).shift(1) != pl.col(CASE)).fill_null(True).cum_sum().alias("_case"),
        )
        .collect()
        .lazy()
    )
    names = find_activity_names(lazy)
    arcs = pl.concat([_inner_arcs(timed, names), _end_arcs(timed, names)], how="vertical")
    arcs = arcs.sort(["frequency", "source", "target"], descending=[True, False, False])
    if path_coverage < 1.0:
        arcs = _keep_paths(arcs, path_coverage)
    return ProcessMap(arcs=arcs, activities=_activities(timed))


def _frequent_activities(lazy: pl.LazyFrame, coverage: float) -> list[str]:
    counts = (
        lazy.group_by(pl.col(ACTIVITY).cast(pl.String))
        .agg(pl.len().alias("n"))
        .sort(["n", ACTIVITY], descending=[True, False])
        .collect()
    )
    before = counts["n"].cum_sum() - counts["n"]
    threshold = int(counts["n"].sum()) * coverage
    kept = counts.filter((before < threshold) | (pl.int_range(pl.len()) == 0))
    return kept[ACTIVITY].to_list()


def _inner_arcs(timed: pl.LazyFrame, names: dict[int, str]) -> pl.DataFrame:
    """Directly-follows arcs: the pair key and the target's waiting time, grouped by key."""
    pairs = timed.select(
        (pl.col("_code") * PAIR_BASE + pl.col("_code").shift(-1)).alias("_key"),
        pl.col("wait_s").shift(-1).alias("_wait"),
        "_case",
        (pl.col("_case").shift(-1) == pl.col("_case")).alias("_same"),
    ).filter(pl.col("_same"))
    grouped = pairs.group_by("_key").agg(
        pl.len().cast(pl.Int64).alias("frequency"),
        pl.col("_case").n_unique().cast(pl.Int64).alias("cases"),
        pl.col("_wait").mean().alias("mean_duration_s"),
        pl.col("_wait").median().alias("median_duration_s"),
        pl.col("_wait").quantile(0.9, interpolation="linear").alias("p90_duration_s"),
        pl.col("_wait").sum().alias("total_duration_s"),
    )
    return grouped.collect().select(
        name_codes(pl.col("_key") // PAIR_BASE, names).alias("source"),
        name_codes(pl.col("_key") % PAIR_BASE, names).alias("target"),
        pl.exclude("_key"),
    )


def _end_arcs(timed: pl.LazyFrame, names: dict[int, str]) -> pl.DataFrame:
    """Start and end arcs: the first and last activity of each case, counted."""
    ends = timed.group_by("_case").agg(
        pl.col("_code").first().alias("first"), pl.col("_code").last().alias("last")
    )
    starts = (
        ends.group_by("first")
        .agg(pl.len().alias("frequency"))
        .select(
            pl.lit(START).alias("source"),
            name_codes(pl.col("first"), names).alias("target"),
            "frequency",
        )
    )
    finishes = (
        ends.group_by("last")
        .agg(pl.len().alias("frequency"))
        .select(
            name_codes(pl.col("last"), names).alias("source"),
            pl.lit(END).alias("target"),
            "frequency",
        )
    )
    both = pl.concat([starts, finishes]).collect()
    # One case passes an end arc once, so its case count is its frequency.
    return both.with_columns(
        pl.col("frequency").cast(pl.Int64),
        pl.col("frequency").cast(pl.Int64).alias("cases"),
        *(
            pl.lit(None, dtype=pl.Float64).alias(column)
            for column in (
                "mean_duration_s",
                "median_duration_s",
                "p90_duration_s",
                "total_duration_s",
            )
        ),
    )


def _activities(timed: pl.LazyFrame) -> pl.DataFrame:
    return (
        timed.group_by(pl.col(ACTIVITY).cast(pl.String))
        .agg(
            pl.len().cast(pl.Int64).alias("frequency"),
            pl.col("_case").n_unique().cast(pl.Int64).alias("cases"),
            pl.col("wait_s").mean().alias("mean_wait_s"),
            pl.col("wait_s").median().alias("median_wait_s"),
            pl.col("wait_s").quantile(0.9, interpolation="linear").alias("p90_wait_s"),
            pl.col("wait_s").sum().alias("total_wait_s"),
            pl.col("service_s").mean().alias("mean_service_s"),
        )
        .sort(["frequency", ACTIVITY], descending=[True, False])
        .collect()
    )


def _keep_paths(arcs: pl.DataFrame, coverage: float) -> pl.DataFrame:
    """The most frequent arcs up to ``coverage``, plus the strongest arcs that reconnect."""
    before = arcs["frequency"].cum_sum() - arcs["frequency"]
    threshold = int(arcs["frequency"].sum()) * coverage
    ranked = list(zip(arcs["source"].to_list(), arcs["target"].to_list(), strict=True))
    kept = {arc for arc, b in zip(ranked, before.to_list(), strict=True) if b < threshold}
    kept |= _reconnect(ranked, kept, forward=True)
    kept |= _reconnect(ranked, kept, forward=False)
    return arcs.filter(
        pl.struct("source", "target").is_in([{"source": s, "target": t} for s, t in kept])
    )


def _reconnect(
    ranked: list[tuple[str, str]], kept: set[tuple[str, str]], *, forward: bool
) -> set[tuple[str, str]]:
    """Arcs to add (most frequent first, like Prim's tree) until every activity is reachable
    from the start (``forward``) or can reach the end (not ``forward``)."""
    nodes = {node for arc in ranked for node in arc} - {START, END}
    added: set[tuple[str, str]] = set()
    while True:
        reached = _reached(kept | added, START if forward else END, forward=forward)
        if nodes <= reached:
            return added
        # The strongest arc from a reached node to one not yet reached (reversed for the end).
        arc = next(
            (
                (s, t)
                for s, t in ranked
                if ((s in reached and t not in reached) if forward else (t in reached))
                and (forward or s not in reached)
            ),
            None,
        )
        if arc is None:  # cannot happen on a log's own arcs; guards against an endless loop
            return added
        added.add(arc)


def _reached(arcs: set[tuple[str, str]], root: str, *, forward: bool) -> set[str]:
    step: dict[str, list[str]] = {}
    for source, target in arcs:
        a, b = (source, target) if forward else (target, source)
        step.setdefault(a, []).append(b)
    seen, todo = {root}, [root]
    while todo:
        for nxt in step.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def find_cases_through(
    events: Log,
    *,
    activity: str | None = None,
    arc: tuple[str, str] | None = None,
) -> pl.DataFrame:
    """The cases that pass ``activity`` (at least one of its events) or ``arc`` (the source
    directly followed by the target, a self-loop included): one row per case, earliest start
    first: ``case_id``, ``start``, ``end`` (first and last timestamps, UTC), ``events`` (the
    length of its variant) and ``duration_s`` (throughput). Give exactly one of the two."""
    if (activity is None) == (arc is None):
        raise InputError("give exactly one of activity (a name) or arc (a source and a target).")
    lazy = events.lazy()
    if activity is not None:
        chosen = filter_cases_with_activity(lazy, [activity])
    else:
        assert arc is not None  # for mypy: checked above
        chosen = filter_follows(lazy, arc[0], arc[1], relation="directly")
    return compute_case_durations(chosen).sort(["start", CASE])


def find_case_events(events: Log, case_id: str) -> pl.DataFrame:
    """The events of one case in stored order: one row per event, ``activity``, ``timestamp``
    and, when the log has it, ``org_unit``. The performer is left out: a case's timeline names
    no person."""
    lazy = events.lazy()
    columns = [ACTIVITY, TIMESTAMP]
    if ORG_UNIT in lazy.collect_schema():
        columns.append(ORG_UNIT)
    return (
        lazy.filter(pl.col(CASE) == case_id)
        .select(pl.col(ACTIVITY).cast(pl.String), *columns[1:])
        .collect()
    )


def filter_case_variants(
    events: Log, variants: Collection[Sequence[str]], *, keep: bool = True
) -> pl.LazyFrame:
    """Whole cases whose activity sequence is one of ``variants`` (each a sequence of activity
    names), or, with ``keep=False``, the cases whose sequence is none of them."""
    lazy = events.lazy()
    wanted = [_VARIANT_JOIN.join(variant) for variant in variants]
    sequences = lazy.group_by(CASE).agg(
        pl.col(ACTIVITY).cast(pl.String).str.join(_VARIANT_JOIN).alias("_sequence")
    )
    chosen = sequences.filter(pl.col("_sequence").is_in(wanted) == keep).select(CASE)
    return lazy.join(chosen, on=CASE, how="semi", maintain_order="left")


_VARIANT_JOIN: Final = "\x1f"  # the unit separator: in no activity name
