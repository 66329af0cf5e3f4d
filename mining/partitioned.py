"""Scan operations over a log stored in partitions, computed one partition at a time and merged.

A large flat log is stored as partitions split by a stable hash of the case id
(:mod:`models.partitions`): every event of a case lies in its case's partition, and each
partition is sorted by (case, time, order) as the single-file store is. Every per-case figure
(a case's sequence, its directly-follows pairs, its waits) is therefore computed inside one
partition, and a log-wide figure is the merge of the partitions' figures. Only one partition's
columns are in memory at a time, so peak memory follows the largest partition, not the log.

How each figure is merged (results equal the single-file computation of the same log,
``tests/test_partitioned_mining.py``):

- **counts** add (events, cases: a case lies in one partition, pairs, waits, cases of a variant);
- **distinct values** are a set union (activities, variants as activity sequences, the people of
  the 5-person rule: distinct pseudonymous resources, per activity too);
- **first and last time**: the least and the greatest of the partitions';
- **medians are exact**: each partition spills its (key, integer microseconds) pairs, where the
  key is an arc, a variant or an activity, to temporary Parquet files bucketed by a hash of the
  key (as many buckets as partitions), so all the values of one key meet in one bucket; each
  bucket is then read alone and polars takes the median of each key's values, the same multiset
  the single-file computation takes it of, with the same expression (so the same float, also
  the mean of the two middle values of an even count). A bucket holds about a partition's
  values (more when one key dominates: a key's values are never split);
- **means and sums** come from the exact integer sum of the microseconds (a 128-bit sum per
  key), divided once with correct rounding: the DFG's mean is the correctly rounded mean of
  the integer microseconds, divided by 10**6 as the single-file graph divides polars' mean of
  them (the same float wherever polars' mean is exact: every test, and every arc of the
  20M-event standard workload; polars' grouped mean of millions of values per key can be off
  in the last bit). The means and totals of seconds (variant throughput, waits) are the
  correctly rounded exact value; polars sums the float seconds in an order that depends on its
  threads, so the single-file figure can differ from it in the last bits (where the
  timestamps are whole seconds both are exact and equal; the tests compare the others to a
  relative 1e-12, as ``tests/test_log_index.py`` compares the variant means of two paths).
  Bottlenecks are ranked by these exact totals; two arcs whose totals are equal only in exact
  arithmetic could be ordered by polars' rounding in the single-file ranking and by name here.

The temporary files (activity codes, variant numbers and microseconds; no case ids, no people)
lie in the system's temporary folder (``TMPDIR``) and are removed when the computation ends.

The 5-person rule is checked the same way (:func:`check_partitioned_view_size`,
:func:`merge_partitioned_small_activities`): the distinct (activity, person) pairs of the
partitions are united, so the people of an activity are counted once across partitions.

Handovers and rule checks (:func:`compute_partitioned_handovers`,
:func:`check_partitioned_rules`) first decide over all partitions what the 5-person rule
decides over the whole log (:func:`merge_partitioned_small_groups`: the org units of fewer
than 5 people, merged or withheld; the distinct resources that handovers between people need;
the months whose started cases show fewer than 5 people), then apply it in each partition.
Their counts add (a case lies in one partition: its handovers, ping-pongs and rule results
are computed inside it), the shares are taken of the merged totals, and the rows are sorted
as the one-file functions sort them; they take no medians.

A log may be viewed as ``mining.filter_view`` views it (the cases active in a period that touch
chosen org units: ``PartitionedLog.start``, ``end``, ``org_units``). The view keeps or drops
whole cases by each case's own events, so each partition is filtered alone, and the 5-person
check counts the view's people, and the chosen units' own people, over all partitions.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import polars as pl

from mining.bottlenecks import BottleneckLevel, order_bottlenecks
from mining.calendar_dk import local_month
from mining.dfg import DFG_SCHEMA, same_case_as_next, time_us
from mining.filters import filter_view
from mining.handovers import MIN_GROUP_SIZE, Performer
from mining.handovers import _check_group_size as check_group_size_of_performers
from mining.handovers import _collapsed as collapse_repeats
from mining.handovers import _pairs as handover_pairs
from mining.handovers import _performers as handover_performers
from mining.log_index import rank_variant_table
from mining.privacy import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    OTHER_GROUP,
    WITHHELD_GROUP,
    GroupSize,
    MergedGroups,
    find_small_groups,
)
from mining.rules import Rule
from mining.rules import _case_frame as rule_case_frame
from mining.rules import _check_one as check_one_rule
from mining.rules import _empty_results as empty_rule_results
from mining.stats import LogStats
from models.schema import ACTIVITY, CASE, ORG_UNIT, RESOURCE, START_TIMESTAMP, TIMESTAMP

PAIR_BASE: Final = 2**32
"""A pair key is ``source code * PAIR_BASE + target code`` (physical codes of the activity)."""
_KEY = "_key"
_US = "_us"


@dataclass(frozen=True)
class PartitionedLog:
    """A flat log stored in partitions: its partition files in partition order, the view
    (``mining.filter_view``: the cases active from ``start`` to ``end`` that touch one of
    ``org_units``; the whole log by default), and the activities the 5-person rule relabels
    (``relabelled`` to ``label``; none by default).

    The view keeps or drops whole cases by each case's own events, and a case lies in one
    partition, so filtering each partition is filtering the log."""

    paths: tuple[Path, ...]
    relabelled: tuple[str, ...] = ()
    label: str = OTHER_ACTIVITIES
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    org_units: tuple[str, ...] = ()

    def scan(self, index: int) -> pl.LazyFrame:
        """Partition ``index`` in the view, its activities relabelled as the 5-person rule
        merged them."""
        lazy = pl.scan_parquet(self.paths[index])
        if self.start is not None or self.end is not None or self.org_units:
            lazy = filter_view(lazy, start=self.start, end=self.end, org_units=self.org_units)
        if not self.relabelled:
            return lazy
        name = pl.col(ACTIVITY).cast(pl.String)
        merged = pl.when(name.is_in(list(self.relabelled))).then(pl.lit(self.label))
        return lazy.with_columns(merged.otherwise(name).cast(pl.Categorical()).alias(ACTIVITY))

    def partitions(self) -> Iterator[pl.LazyFrame]:
        """The partitions one after the other."""
        for index in range(len(self.paths)):
            yield self.scan(index)

    def activity_names(self) -> list[str]:
        """The distinct activities of all partitions (after the relabelling), sorted."""
        found: set[str] = set()
        for lazy in self.partitions():
            present = lazy.select(pl.col(ACTIVITY).cast(pl.String).unique()).collect()
            found.update(present.to_series().drop_nulls().to_list())
        return sorted(found)

    def coded(self, names: list[str]) -> Iterator[pl.LazyFrame]:
        """The partitions one after the other, the activity an ``Enum`` of ``names`` (all the
        log's activities), so that its physical code means the same activity in every
        partition (a ``Categorical``'s codes are not shared between the partition files)."""
        enum = pl.Enum(names)
        for lazy in self.partitions():
            yield lazy.with_columns(pl.col(ACTIVITY).cast(enum))


def read_partitioned_log(
    paths: list[Path] | tuple[Path, ...],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    org_units: tuple[str, ...] = (),
) -> PartitionedLog:
    """The log stored in the partition files ``paths`` (in partition order), viewed as
    ``mining.filter_view`` views a log (the whole log by default)."""
    return PartitionedLog(tuple(paths), start=start, end=end, org_units=tuple(org_units))


class Spill:
    """(key, microseconds) pairs kept in temporary Parquet files, bucketed by a hash of the key,
    so that every key's values can be read together, one bucket at a time."""

    def __init__(self, folder: Path, buckets: int) -> None:
        self.folder = folder
        self.buckets = max(1, buckets)
        self.written = 0

    def add(self, pairs: pl.DataFrame) -> None:
        """Spill ``pairs`` (columns ``_key`` UInt64 and ``_us`` Int64)."""
        bucket = (pl.col(_KEY).hash(seed=17) % self.buckets).alias("_bucket")
        split = pairs.with_columns(bucket).partition_by("_bucket", as_dict=True, include_key=False)
        for (index, *_), part in split.items():
            target = self.folder / f"bucket-{index:04d}" / f"part-{self.written:04d}.parquet"
            target.parent.mkdir(exist_ok=True)
            part.write_parquet(target, compression="lz4", statistics=False)
        self.written += 1

    def group(self, *measures: pl.Expr, exact: bool = True) -> pl.DataFrame:
        """Per key: ``frequency``, ``_sum_us`` (the exact 128-bit sum of integers; with
        ``exact=False`` polars' sum of the values as they are, floats say) and ``measures``,
        one bucket at a time."""
        folders = sorted(self.folder.glob("bucket-*"))
        scans = [pl.scan_parquet(folder / "*.parquet") for folder in folders] or [
            pl.LazyFrame(schema={_KEY: pl.UInt64, _US: pl.Int64})
        ]
        aggregates = (
            pl.len().cast(pl.Int64).alias("frequency"),
            (pl.col(_US).cast(pl.Int128) if exact else pl.col(_US)).sum().alias("_sum_us"),
            *measures,
        )
        return pl.concat([scan.group_by(_KEY).agg(*aggregates).collect() for scan in scans])


def _exact_ratio(sums: pl.Series, counts: pl.Series, scale: int) -> pl.Series:
    """``sum / (count * scale)`` per row, correctly rounded (Python's int division is)."""
    values = [
        None if n == 0 else total / (n * scale)
        for total, n in zip(sums.to_list(), counts.to_list(), strict=True)
    ]
    return pl.Series(values, dtype=pl.Float64)


def _code() -> pl.Expr:
    return pl.col(ACTIVITY).to_physical().cast(pl.UInt64)


def discover_partitioned_dfg(log: PartitionedLog) -> pl.DataFrame:
    """:func:`mining.discover_dfg` of the whole log, one partition at a time: one row per
    directly-follows pair, ``source``, ``target``, ``frequency``, ``mean_duration_s`` and
    ``median_duration_s`` (exact: see the module docstring), sorted by frequency, then source
    and target."""
    names = log.activity_names()
    with tempfile.TemporaryDirectory(prefix="kitflow-dfg-") as folder:
        spill = Spill(Path(folder), len(log.paths))
        for lazy in log.coded(names):
            pairs = lazy.select(
                (_code() * PAIR_BASE + _code().shift(-1)).alias(_KEY),
                (time_us().shift(-1) - time_us()).alias(_US),
                same_case_as_next().alias("_same_case"),
            ).filter(pl.col("_same_case"))
            spill.add(pairs.select(_KEY, _US).collect())
        grouped = spill.group(pl.col(_US).median().alias("_median_us"))
    keys = grouped.get_column(_KEY)
    frequency = grouped.get_column("frequency")
    return pl.DataFrame(
        {
            "source": _names(keys // PAIR_BASE, names),
            "target": _names(keys % PAIR_BASE, names),
            "frequency": frequency,
            # polars' mean of the integer microseconds, then in seconds: as the one-file graph.
            "mean_duration_s": _exact_ratio(grouped.get_column("_sum_us"), frequency, 1) / 1e6,
            "median_duration_s": grouped.get_column("_median_us") / 1e6,
        },
        schema=DFG_SCHEMA,
    ).sort(["frequency", "source", "target"], descending=[True, False, False])


def _names(codes: pl.Series, names: list[str]) -> pl.Series:
    return pl.Series([names[code] for code in codes.to_list()], dtype=pl.String)


@dataclass
class _Variants:
    """The variants met so far: an id per activity sequence (of physical codes), in the order
    first met, with the events per case of each."""

    ids: dict[tuple[int, ...], int]
    events: list[int]

    def identify(self, sequences: list[list[int]], events: list[int]) -> list[int]:
        found = []
        for sequence, length in zip(sequences, events, strict=True):
            key = tuple(sequence)
            if key not in self.ids:
                self.ids[key] = len(self.ids)
                self.events.append(length)
            found.append(self.ids[key])
        return found


def _case_runs(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """One row per case of a partition (each case one run of rows): ``_sequence`` (activity
    codes in order), ``events`` and ``_us`` (throughput, last minus first time, microseconds)."""
    changes = (pl.col(CASE) != pl.col(CASE).shift()).fill_null(True)
    return (
        lazy.group_by(changes.cum_sum().set_sorted().alias("_case_run"), maintain_order=True)
        .agg(
            pl.col(ACTIVITY).to_physical().cast(pl.UInt32).alias("_sequence"),
            pl.len().alias("events"),
            (time_us().max() - time_us().min()).alias(_US),
        )
        .drop("_case_run")
    )


def _collect_variants(log: PartitionedLog, spill: Spill | None, names: list[str]) -> _Variants:
    """The variants of every partition (sequences of codes of ``names``), their throughputs
    spilled when ``spill`` is given."""
    variants = _Variants({}, [])
    for lazy in log.coded(names):
        grouped = (
            _case_runs(lazy)
            .group_by("_sequence")
            .agg(pl.col("events").first(), pl.col(_US))
            .collect()
        )
        ids = variants.identify(grouped["_sequence"].to_list(), grouped["events"].to_list())
        if spill is not None:
            keyed = grouped.select(pl.Series(_KEY, ids, dtype=pl.UInt64), pl.col(_US))
            spill.add(keyed.explode(_US))
    return variants


def compute_partitioned_variants(log: PartitionedLog) -> pl.DataFrame:
    """:func:`mining.compute_variants` of the whole log, one partition at a time: one row per
    variant, most frequent first (ties by the activity names), with ``variant_rank``,
    ``variant``, ``cases``, ``share``, ``events``, ``mean_throughput_s`` and
    ``median_throughput_s`` (exact: see the module docstring)."""
    names = log.activity_names()
    with tempfile.TemporaryDirectory(prefix="kitflow-variants-") as folder:
        spill = Spill(Path(folder), len(log.paths))
        variants = _collect_variants(log, spill, names)
        grouped = spill.group((pl.col(_US) / 1e6).median().alias("median_throughput_s"))
    sequences = {index: list(sequence) for sequence, index in variants.ids.items()}
    ids = grouped.get_column(_KEY).to_list()
    cases = grouped.get_column("frequency")
    table = pl.DataFrame(
        {
            "variant": [[names[code] for code in sequences[i]] for i in ids],
            "cases": cases,
            "share": cases / cases.sum(),
            "events": [variants.events[i] for i in ids],
            "mean_throughput_s": _exact_ratio(grouped.get_column("_sum_us"), cases, 10**6),
            "median_throughput_s": grouped.get_column("median_throughput_s"),
            _KEY: ids,
        },
        schema_overrides={"variant": pl.List(pl.String)},
    )
    return rank_variant_table(table, _KEY).drop(_KEY)


def compute_partitioned_log_stats(log: PartitionedLog) -> LogStats:
    """:func:`mining.compute_log_stats` of the whole log, one partition at a time: cases and
    events add (a case lies in one partition), activities and variants are the distinct ones
    of all partitions, the first and last time the least and greatest of theirs."""
    cases = events = 0
    starts, ends = [], []
    for lazy in log.partitions():
        row = (
            lazy.select(
                pl.col(CASE).n_unique().alias("cases"),
                pl.len().alias("events"),
                pl.col(TIMESTAMP).min().alias("start"),
                pl.col(TIMESTAMP).max().alias("end"),
            )
            .collect()
            .row(0, named=True)
        )
        cases += int(row["cases"])
        events += int(row["events"])
        starts += [row["start"]] if row["start"] is not None else []
        ends += [row["end"]] if row["end"] is not None else []
    names = log.activity_names()
    variants = _collect_variants(log, None, names)
    return LogStats(
        cases=cases,
        events=events,
        activities=len(names),
        variants=len(variants.ids),
        start=min(starts, default=None),
        end=max(ends, default=None),
    )


def find_partitioned_bottlenecks(
    log: PartitionedLog, *, level: BottleneckLevel = "arc"
) -> pl.DataFrame:
    """:func:`mining.find_bottlenecks` of the whole log (``by="none"``, calendar time), one
    partition at a time: one row per arc (``source``, ``target``) or ``activity``, ranked by
    ``total_wait_s``, with ``rank``, ``frequency``, ``mean_wait_s``, ``median_wait_s``,
    ``total_wait_s`` and ``wait_share`` (exact median, exact sums: see the module docstring)."""
    names = log.activity_names()
    with tempfile.TemporaryDirectory(prefix="kitflow-waits-") as folder:
        spill = Spill(Path(folder), len(log.paths))
        for lazy in log.coded(names):
            spill.add(_waits(lazy, level).collect())
        grouped = spill.group((pl.col(_US) / 1e6).median().alias("median_wait_s"))
    keys = grouped.get_column(_KEY)
    frequency = grouped.get_column("frequency")
    sums = grouped.get_column("_sum_us")
    named = (
        {"source": _names(keys // PAIR_BASE, names), "target": _names(keys % PAIR_BASE, names)}
        if level == "arc"
        else {"activity": _names(keys, names)}
    )
    table = pl.DataFrame(
        {
            **named,
            "frequency": frequency,
            "mean_wait_s": _exact_ratio(sums, frequency, 10**6),
            "median_wait_s": grouped.get_column("median_wait_s"),
            "total_wait_s": _exact_ratio(sums, pl.Series([1] * len(sums)), 10**6),
        }
    )
    return order_bottlenecks(table.lazy(), list(named), []).collect()


def _waits(lazy: pl.LazyFrame, level: BottleneckLevel) -> pl.LazyFrame:
    """The waits of a partition's events (previous event's end to this event's start, as
    :func:`mining.compute_event_durations` measures them in calendar time), in integer
    microseconds, keyed by arc or activity; events without a wait left out."""
    has_start = START_TIMESTAMP in lazy.collect_schema()
    same_case = pl.col(CASE).shift(1) == pl.col(CASE)
    previous_end = pl.when(same_case).then(pl.col(TIMESTAMP).shift(1))
    begin = pl.col(START_TIMESTAMP).fill_null(pl.col(TIMESTAMP)) if has_start else pl.col(TIMESTAMP)
    key = _code().shift(1) * PAIR_BASE + _code() if level == "arc" else _code()
    waits = lazy.select(key.alias(_KEY), (begin - previous_end).dt.total_microseconds().alias(_US))
    return waits.filter(pl.col(_US).is_not_null())


def _people_pairs(log: PartitionedLog, people_column: str) -> pl.DataFrame | None:
    """The distinct (activity, person) pairs of all partitions (the person null where an event
    names none); None when the log has no people column."""
    if people_column not in pl.scan_parquet(log.paths[0]).collect_schema():
        return None
    pairs = [
        lazy.select(pl.col(ACTIVITY).cast(pl.String), pl.col(people_column).cast(pl.String))
        .unique()
        .collect()
        for lazy in log.partitions()
    ]
    return pl.concat(pairs).unique()


def check_partitioned_view_size(log: PartitionedLog, *, people_column: str = RESOURCE) -> GroupSize:
    """:func:`mining.check_view_size` of the whole log: the distinct people of all partitions
    (a set union: a person in several partitions counts once)."""
    pairs = _people_pairs(log, people_column) if log.paths else None
    if pairs is None:
        return GroupSize(None)
    people = pairs.get_column(people_column).drop_nulls()
    whole = people.n_unique() if people.len() else None
    if whole is None or not log.org_units:
        return GroupSize(whole)
    # Filtered to org units: also the people of the units' own events (mining.check_view_size).
    own: set[str] = set()
    for lazy in log.partitions():
        in_units = lazy.filter(pl.col(ORG_UNIT).cast(pl.String).is_in(list(log.org_units)))
        found = in_units.select(pl.col(people_column).cast(pl.String).drop_nulls().unique())
        own.update(found.collect().to_series().to_list())
    return GroupSize(min(whole, len(own)))


def merge_partitioned_small_activities(
    log: PartitionedLog, *, people_column: str = RESOURCE
) -> tuple[PartitionedLog, MergedGroups]:
    """:func:`mining.merge_small_activities` of the whole log: ``log`` with every activity of
    fewer than 5 distinct people (counted over all partitions) relabelled
    :data:`~mining.privacy.OTHER_ACTIVITIES`, or :data:`~mining.privacy.WITHHELD_GROUP` when
    they name fewer than 5 together, and the figures of the merge (its ``frame`` a lazy scan of
    all partitions, relabelled)."""
    pairs = _people_pairs(log, people_column) if log.paths else None
    people = None if pairs is None else pairs.get_column(people_column).drop_nulls()
    if pairs is None or people is None or people.len() == 0:
        return log, MergedGroups(_scan_all(log), 0, 0, withheld=False, people_known=False)
    per_activity = (
        pairs.filter(pl.col(ACTIVITY).is_not_null())
        .group_by(ACTIVITY)
        .agg(pl.col(people_column).drop_nulls().n_unique().alias("people"))
    )
    small = sorted(per_activity.filter(pl.col("people") < MIN_PEOPLE)[ACTIVITY].to_list())
    in_small = pairs.filter(pl.col(ACTIVITY).is_in(small))
    other_people = in_small.get_column(people_column).drop_nulls().n_unique()
    withheld = bool(small) and other_people < MIN_PEOPLE
    merged = replace(
        log, relabelled=tuple(small), label=WITHHELD_GROUP if withheld else OTHER_ACTIVITIES
    )
    frame = _scan_all(merged)
    return merged, MergedGroups(frame, len(small), other_people, withheld, people_known=True)


def _scan_all(log: PartitionedLog) -> pl.LazyFrame:
    return pl.concat(list(log.partitions())) if log.paths else pl.LazyFrame()


# ------------------------------------------------------------------ handovers and rule checks


@dataclass(frozen=True)
class SmallGroups:
    """The groups of ``column`` with fewer than 5 distinct people over the whole log, to be
    relabelled in each partition (:meth:`apply`) as :func:`mining.merge_small_groups`
    relabels them in one file: the column becomes a String column, the small groups ``label``;
    nothing changes when the log names no people or has no such column."""

    column: str
    small: tuple[str, ...]
    label: str
    people_known: bool

    def apply(self, lazy: pl.LazyFrame) -> pl.LazyFrame:
        """``lazy`` (a partition) relabelled."""
        if not self.people_known or self.column not in lazy.collect_schema():
            return lazy
        name = pl.col(self.column).cast(pl.String)
        merged = pl.when(name.is_in(list(self.small))).then(pl.lit(self.label))
        return lazy.with_columns(merged.otherwise(name).alias(self.column))


def distinct_people(
    log: PartitionedLog, by: pl.Expr, people_column: str = RESOURCE
) -> pl.DataFrame | None:
    """The distinct (``_group``, person) pairs of all partitions (``by`` per event; the person
    a String, null where an event names none); None when the log has no people column."""
    if not log.paths or people_column not in pl.scan_parquet(log.paths[0]).collect_schema():
        return None
    person = pl.col(people_column).cast(pl.String).alias(people_column)
    pairs = [
        lazy.select(by.alias("_group"), person).unique().collect() for lazy in log.partitions()
    ]
    return pl.concat(pairs).unique()


def one_moment_per_month(lazy: pl.LazyFrame, moment: pl.Expr, keys: list[pl.Expr]) -> pl.DataFrame:
    """One moment per (Copenhagen month of ``moment``, values of ``keys``) of a partition, as
    the ``keys`` and ``timestamp``: united over the partitions, each month's distinct keys
    (people, say) are the whole log's, for a one-file count per month of the kept rows."""
    timed = lazy.with_columns(moment.alias("_moment"))
    return (
        timed.group_by(local_month(pl.col("_moment")).alias("_month"), *keys)
        .agg(pl.col("_moment").first().alias(TIMESTAMP))
        .drop("_month")
        .collect()
    )


def merge_partitioned_small_groups(
    log: PartitionedLog, *, by: str, people_column: str = RESOURCE, other: str = OTHER_GROUP
) -> tuple[SmallGroups, MergedGroups]:
    """:func:`mining.merge_small_groups` of the whole log: the groups of ``by`` with fewer
    than 5 distinct people counted over all partitions (a set union: a person in several
    partitions counts once), as a relabelling to apply to each partition, and the figures of
    the merge (its ``frame`` a lazy scan of all partitions, relabelled)."""
    present = bool(log.paths) and by in pl.scan_parquet(log.paths[0]).collect_schema()
    pairs = distinct_people(log, pl.col(by).cast(pl.String), people_column) if present else None
    if pairs is None or pairs.get_column(people_column).drop_nulls().len() == 0:
        unknown = SmallGroups(by, (), other, people_known=False)
        return unknown, MergedGroups(_scan_all(log), 0, 0, withheld=False, people_known=False)
    named = pairs.rename({"_group": by})
    small = tuple(find_small_groups(named, by=by, people_column=people_column))
    in_small = named.filter(pl.col(by).is_in(list(small)))
    other_people = in_small.get_column(people_column).drop_nulls().n_unique()
    withheld = bool(small) and other_people < MIN_PEOPLE
    groups = SmallGroups(by, small, WITHHELD_GROUP if withheld else other, people_known=True)
    frame = pl.concat([groups.apply(lazy) for lazy in log.partitions()])
    return groups, MergedGroups(frame, len(small), other_people, withheld, people_known=True)


@dataclass(frozen=True)
class PartitionedHandovers:
    """The handover figures of a whole partitioned log: the ``matrix`` of
    :func:`mining.compute_handovers`, the ``ping_pong`` table of :func:`mining.find_ping_pong`
    and the totals of :func:`mining.compute_handovers_per_case` (``cases``, the sum of its
    ``handovers`` and of its ``ping_pongs``)."""

    matrix: pl.DataFrame
    ping_pong: pl.DataFrame
    cases: int
    handovers: int
    ping_pongs: int


def compute_partitioned_handovers(
    log: PartitionedLog,
    *,
    level: Performer = "org_unit",
    groups: SmallGroups | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
) -> PartitionedHandovers:
    """The handovers of the whole log, one partition at a time (each partition first
    relabelled by ``groups``, from :func:`merge_partitioned_small_groups`): a case lies in
    one partition, so its handovers, ping-pongs and cases add; the shares are taken of the
    merged total and the tables sorted as :mod:`mining.handovers` sorts them. Handovers
    between resources need ``min_group_size`` (at least 5) distinct resources in the whole log
    (a set union over the partitions), as the one-file computation needs them in the log."""
    if level == "resource" and log.paths:
        performers = distinct_people(log, pl.lit(True))
        if performers is not None:
            people = performers.lazy().select(pl.col(RESOURCE).alias("performer")).drop_nulls()
            check_group_size_of_performers(people, min_group_size)
    matrices, bounces, cases = [], [], 0
    for lazy in log.partitions():
        relabelled = lazy if groups is None else groups.apply(lazy)
        performed = _performed(relabelled, level)
        handed = handover_pairs(performed).filter(pl.col("source") != pl.col("target"))
        matrices.append(_count_pairs(handed, "handovers"))
        bounces.append(_count_pairs(_ping_pongs(performed), "occurrences"))
        cases += int(relabelled.select(pl.col(CASE).n_unique()).collect().item())
    matrix = _merge_pair_counts(matrices, "handovers", level)
    ping_pong = _merge_pair_counts(bounces, "occurrences", level)
    return PartitionedHandovers(
        matrix=matrix.with_columns(
            (pl.col("handovers") / pl.col("handovers").sum()).alias("share")
        ),
        ping_pong=ping_pong,
        cases=cases,
        handovers=int(matrix["handovers"].sum()),
        ping_pongs=int(ping_pong["occurrences"].sum()),
    )


def _performed(lazy: pl.LazyFrame, level: Performer) -> pl.LazyFrame:
    """A partition's events that have a performer (``case_id``, ``timestamp``,
    ``performer``), without the resource count (it is checked over the whole log)."""
    if level == "resource" and RESOURCE in lazy.collect_schema():
        lazy = lazy.drop(ORG_UNIT, strict=False).rename({RESOURCE: ORG_UNIT})
        level = "org_unit"
    return handover_performers(lazy, level, MIN_GROUP_SIZE)


def _ping_pongs(performed: pl.LazyFrame) -> pl.LazyFrame:
    """The a→b→a steps of a partition's performers, as :func:`mining.find_ping_pong` finds
    them: ``case_id``, ``source``, ``target``."""
    steps = collapse_repeats(performed)
    back = (pl.col(CASE).shift(-2) == pl.col(CASE)) & (
        pl.col("performer").shift(-2) == pl.col("performer")
    )
    return steps.select(
        CASE,
        pl.col("performer").alias("source"),
        pl.col("performer").shift(-1).alias("target"),
        back.alias("_back"),
    ).filter(pl.col("_back"))


def _count_pairs(pairs: pl.LazyFrame, count: str) -> pl.DataFrame:
    counted = pairs.group_by("source", "target").agg(
        pl.len().cast(pl.Int64).alias(count),
        pl.col(CASE).n_unique().cast(pl.Int64).alias("cases"),
    )
    return counted.collect()


def _merge_pair_counts(parts: list[pl.DataFrame], count: str, level: Performer) -> pl.DataFrame:
    """The pair counts of the partitions added (a case lies in one partition, so the cases of
    a pair add too), sorted as :mod:`mining.handovers` sorts them (resources by name only)."""
    schema = {"source": pl.String, "target": pl.String, count: pl.Int64, "cases": pl.Int64}
    merged = pl.concat([pl.DataFrame(schema=schema), *parts]).group_by("source", "target").sum()
    if level == "resource":
        return merged.sort("source", "target")
    return merged.sort([count, "source", "target"], descending=[True, False, False])


def check_partitioned_rules(log: PartitionedLog, rules: tuple[Rule, ...]) -> pl.DataFrame:
    """:func:`mining.check_rules` of the whole log, one partition at a time: the org units of
    fewer than 5 people and the months whose cases show fewer than 5 people are decided over
    all partitions (a set union of the people), then each partition's cases are checked
    (every rule looks within one case, and a case lies in one partition); the rows of all
    partitions sorted by rule and case, as the one-file check sorts them."""
    if not rules or not log.paths:
        return empty_rule_results()
    groups, _ = merge_partitioned_small_groups(log, by=ORG_UNIT)
    months = _small_case_months(log)
    withheld = pl.when(pl.col("month").is_in(months)).then(pl.lit(WITHHELD_GROUP))
    results = []
    for lazy in log.partitions():
        frame = lazy.collect()
        # Without its people, a partition withholds no month of its own; the log's are applied.
        merged = groups.apply(frame.lazy()).drop(RESOURCE, strict=False).collect()
        cases = rule_case_frame(merged).with_columns(
            withheld.otherwise(pl.col("month")).alias("month")
        )
        results += [check_one_rule(frame, cases, rule) for rule in rules]
    return pl.concat(results).sort("rule", CASE, maintain_order=True)


def _small_case_months(log: PartitionedLog) -> list[str]:
    """:func:`mining.find_small_months` (``of="case"``) of the whole log as ``YYYY-MM``: the
    months whose started cases show fewer than 5 distinct people over all partitions."""
    pairs = distinct_people(log, local_month(pl.col(TIMESTAMP).min().over(CASE)))
    if pairs is None or pairs.get_column(RESOURCE).drop_nulls().len() == 0:
        return []
    small = find_small_groups(pairs.rename({"_group": "_month"}), by="_month")
    return sorted(dt.date.fromisoformat(day).strftime("%Y-%m") for day in small)
