"""Filtered views of a stored log as row masks over an in-memory index: interactive at millions
of events.

A filter of a stored log (a bare scan of its events file, or a view made from one by the filters
of :mod:`mining.filters`) does not build a polars plan over the Parquet file's strings: it
computes a boolean mask over the log's rows from an index kept in memory per version of the
events file (``LogIndex``: the activity codes, integer microseconds, each event's case number,
each case's first row and, once asked for, each case's variant number). Case-level decisions are
per-case reductions over the sorted rows (``np.logical_or.reduceat``), never a window over
string case ids. The result is an ordinary ``LazyFrame`` (the stored file filtered by the mask),
so every other function accepts it; ``discover_dfg``, ``compute_variants`` and
``find_bottlenecks`` recognise it (``find_view``) and compute from the codes of the kept rows:

- the graph: pair keys of consecutive kept rows of one case, grouped once;
- the variants: when the view keeps whole cases, a lookup of each kept case's variant number
  (computed once per log); otherwise the kept rows' sequences, grouped by one polynomial hash
  per case (``np.add.reduceat`` over the kept rows) and checked code by code against each
  group's first case (a collision falls back to grouping the sequences themselves); counts,
  means and medians per variant in arrays, the ranking by count and then by the activity names
  from the names' ranks, and names only for the table returned;
- the bottlenecks (whole log, arc or activity level, calendar time, completion timestamps only):
  the waits between consecutive kept rows of one case, grouped by one sort as the graph's
  durations are.

Results equal the computation on the same rows through polars (tests/test_log_index.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from mining.aggregates import find_events_version, find_stored_events_file
from models.schema import ACTIVITY, CASE, START_TIMESTAMP, TIMESTAMP

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(eq=False)
class LogIndex:
    """One version of a stored events file, in arrays (see the module docstring)."""

    path: Path
    codes: np.ndarray
    """Physical activity code per event (uint32)."""
    names: pl.Series
    """Activity name by physical code (String)."""
    time_us: np.ndarray
    case_of: np.ndarray
    """Case number (0, 1, ... in stored order) per event."""
    bounds: np.ndarray
    """First row of each case, then the number of events."""
    has_start: bool
    _columns: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    _variants: Variants | None = None
    _followed: np.ndarray | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def events(self) -> int:
        return int(self.codes.shape[0])

    @property
    def cases(self) -> int:
        return int(self.bounds.shape[0] - 1)

    def column_codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """The column as text, encoded: a code per event (-1 for null) and the distinct values
        in code order (sorted), so values compare as integers."""
        with self._lock:
            found = self._columns.get(column)
        if found is None:
            text = pl.scan_parquet(self.path).select(pl.col(column).cast(pl.String)).collect()
            found = _encode(text.to_series())
            with self._lock:
                self._columns[column] = found
        return found

    def column_values(self, column: str) -> list[str]:
        """The distinct non-null values of ``column`` (as text)."""
        return self.column_codes(column)[1]

    def column_matches(self, column: str, texts: list[str]) -> np.ndarray:
        """Per event: whether ``column`` (as text) is one of ``texts`` (null never is)."""
        codes, values = self.column_codes(column)
        position = {value: i for i, value in enumerate(values)}
        # A lookup per code (the last entry, for -1, is null: never a match).
        wanted = np.zeros(len(values) + 1, dtype=bool)
        wanted[[position[t] for t in texts if t in position]] = True
        hits: np.ndarray = wanted[codes]
        return hits

    def followed(self) -> np.ndarray:
        """Per row: whether the next row belongs to the same case (computed once)."""
        with self._lock:
            if self._followed is not None:
                return self._followed
        followed = np.ones(self.events, dtype=bool)
        followed[self.bounds[1:] - 1] = False
        with self._lock:
            self._followed = followed
        return followed

    def case_variants(self) -> Variants:
        """Each case's variant (all its events): computed once per index."""
        with self._lock:
            if self._variants is not None:
                return self._variants
        variants = _group_runs(self, _runs(self, np.ones(self.events, dtype=bool)))
        with self._lock:
            self._variants = variants
        return variants


def _encode(text: pl.Series) -> tuple[np.ndarray, list[str]]:
    values = text.drop_nulls().unique().sort()
    codes = text.replace_strict(
        values, list(range(values.len())), default=-1, return_dtype=pl.Int64
    ).to_numpy()
    return codes, values.to_list()


def _activity_names(activity: pl.Series, codes: np.ndarray) -> pl.Series:
    """Activity name by physical code (null for codes the log does not use), read from one
    event of each code."""
    present, first_row = np.unique(codes, return_index=True)
    names: list[str | None] = [None] * (int(present.max()) + 1 if present.size else 0)
    for code, name in zip(
        present.tolist(), activity.gather(first_row).cast(pl.String).to_list(), strict=True
    ):
        names[code] = name
    return pl.Series(names, dtype=pl.String)


# ------------------------------------------------------------------------------ the indexes

_KEPT_INDEXES = 4
_indexes: OrderedDict[tuple[str, str], LogIndex] = OrderedDict()
_indexes_lock = threading.Lock()


def find_log_index(path: Path) -> LogIndex | None:
    """The index of the current version of the stored events file ``path`` (built on first
    use, kept in memory for the last few versions asked for); None when it cannot be read."""
    version = find_events_version(path)
    if version is None:
        return None
    key = (str(path), version)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is not None:
            _indexes.move_to_end(key)
            return index
    try:
        index = build_log_index(path)
    except (OSError, pl.exceptions.PolarsError):
        return None
    with _indexes_lock:
        _indexes[key] = index
        while len(_indexes) > _KEPT_INDEXES:
            _indexes.popitem(last=False)
    return index


def clear_log_indexes() -> None:
    """Forget the indexes kept in memory."""
    with _indexes_lock:
        _indexes.clear()


def build_log_index(path: Path) -> LogIndex:
    """Read a stored events file (sorted by case, time, order) into a ``LogIndex``."""
    scan = pl.scan_parquet(path)
    schema = scan.collect_schema()
    frame = scan.select(
        pl.col(CASE).cast(pl.String),
        pl.col(ACTIVITY).cast(pl.Categorical),
        pl.col(TIMESTAMP).dt.cast_time_unit("us").to_physical().alias("_us"),
    ).collect()
    case = frame.get_column(CASE)
    changes = (case != case.shift(1)).fill_null(True).to_numpy()
    bounds = np.append(np.flatnonzero(changes), frame.height).astype(np.int64)
    codes = frame.get_column(ACTIVITY).to_physical().cast(pl.UInt32).to_numpy()
    index = LogIndex(
        path=path,
        codes=codes,
        names=_activity_names(frame.get_column(ACTIVITY), codes),
        time_us=frame.get_column("_us").to_numpy(),
        case_of=(np.cumsum(changes) - 1).astype(np.int64),
        bounds=bounds,
        has_start=START_TIMESTAMP in schema,
    )
    index.followed()  # built with the index: one byte per event
    return index


# ---------------------------------------------------------------------------------- views


@dataclass(frozen=True, eq=False)
class View:
    """Rows of a stored log kept by filters: ``mask`` over its rows; ``whole_cases`` when every
    case is kept with all its events or not at all."""

    index: LogIndex
    mask: np.ndarray
    whole_cases: bool


_views: dict[int, tuple[weakref.ref[pl.LazyFrame], View]] = {}
_views_lock = threading.Lock()


def find_view(events: pl.LazyFrame | pl.DataFrame, *, bare: bool = True) -> View | None:
    """The view ``events`` is: a frame made by ``as_frame``, or (``bare``) a bare scan of a
    stored log, all its rows; None for anything else."""
    if not isinstance(events, pl.LazyFrame):
        return None
    with _views_lock:
        known = _views.get(id(events))
    if known is not None and known[0]() is events:
        return known[1]
    if not bare:
        return None
    path = find_stored_events_file(events)
    if path is None:
        return None
    index = find_log_index(path)
    if index is None:
        return None
    return View(index, np.ones(index.events, dtype=bool), whole_cases=True)


def as_frame(view: View) -> pl.LazyFrame:
    """The view as a lazy frame of the stored file's kept rows (in stored order)."""
    frame = pl.scan_parquet(view.index.path).filter(pl.lit(pl.Series(view.mask)))
    key = id(frame)
    with _views_lock:
        _views[key] = (weakref.ref(frame), view)
    weakref.finalize(frame, _forget, key)
    return frame


def _forget(key: int) -> None:
    with _views_lock:
        _views.pop(key, None)


def keep_rows(view: View, rows: np.ndarray) -> View:
    """``view`` narrowed to ``rows`` (an event-level filter: cases may lose events, so the view
    no longer counts as whole cases: its variants are computed from the kept rows)."""
    return View(view.index, view.mask & rows, whole_cases=False)


def keep_cases(view: View, cases: np.ndarray) -> View:
    """``view`` narrowed to the cases where ``cases`` (one flag per case) is true."""
    return View(view.index, view.mask & cases[view.index.case_of], view.whole_cases)


def case_any(view: View, rows: np.ndarray) -> np.ndarray:
    """Per case: whether any kept row has ``rows`` true."""
    hits = np.logical_or.reduceat(rows & view.mask, view.index.bounds[:-1])
    return hits.astype(bool)


def case_first_last_us(view: View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per case: whether it has kept rows, and the first and last kept time (µs; rows are
    sorted by time within a case; 0 for a case without kept rows)."""
    index = view.index
    if view.whole_cases:
        # Each case kept whole or not at all: per case, not per event.
        present = view.mask[index.bounds[:-1]]
        first = np.where(present, index.time_us[index.bounds[:-1]], 0)
        last = np.where(present, index.time_us[index.bounds[1:] - 1], 0)
        return present, first, last
    kept = np.flatnonzero(view.mask)
    present = np.zeros(index.cases, dtype=bool)
    first = np.zeros(index.cases, dtype=np.int64)
    last = np.zeros(index.cases, dtype=np.int64)
    if kept.size == 0:
        return present, first, last
    cases = index.case_of[kept]
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
    ends = np.r_[starts[1:] - 1, kept.size - 1]
    present[cases[starts]] = True
    first[cases[starts]] = index.time_us[kept[starts]]
    last[cases[starts]] = index.time_us[kept[ends]]
    return present, first, last


def micros(moment: dt.datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


# ---------------------------------------------------------------------------- computations


def _pairs(view: View) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of consecutive kept rows of one case: the first's row and the next's."""
    index = view.index
    if view.whole_cases:
        # Each case kept whole or not at all: a kept row and the next one of its case.
        first = np.flatnonzero(view.mask & index.followed())
        return first, first + 1
    kept = np.flatnonzero(view.mask)
    cases = index.case_of[kept]
    same = np.flatnonzero(cases[1:] == cases[:-1])
    return kept[same], kept[same + 1]


def view_dfg(view: View, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``discover_dfg`` of the view (same columns, order and values): each arc's count, mean
    and median from one sort of the pairs' arcs and durations."""
    index = view.index
    width, arcs, counts, sums, low, high = _pair_groups(view, "arc")
    return pl.DataFrame(
        {
            "source": index.names.gather(pl.Series(arcs // width, dtype=pl.UInt32)),
            "target": index.names.gather(pl.Series(arcs % width, dtype=pl.UInt32)),
            "frequency": counts,
            "mean_duration_s": sums / np.maximum(counts, 1) / 1e6,
            # As polars interpolates the median of an even count.
            "median_duration_s": (low + (high - low) / 2) / 1e6,
        },
        schema=schema,
    ).sort(["frequency", "source", "target"], descending=[True, False, False])


def _pair_groups(
    view: View, level: str
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The view's pairs of consecutive kept rows of one case grouped by arc (``level`` "arc":
    the first's code times ``width`` plus the next's) or by the next's activity: ``width``, and
    ``_group_stats`` of the durations (µs) per key."""
    index = view.index
    first, following = _pairs(view)
    width = max(1, index.names.len())
    key = index.codes[following].astype(np.int64)
    if level == "arc":
        source = index.codes[first].astype(np.int64)
        source *= width
        key += source
    durations = index.time_us[following]
    durations -= index.time_us[first]
    return width, *_group_stats(key, durations)


def _group_stats(
    group: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group (non-negative integers) that occurs, ascending: the group, its count, the sum
    of its ``values`` (non-negative integers; as floats) and its two middle values once sorted
    (equal for an odd count)."""
    every = np.bincount(group) if group.size else np.zeros(0, dtype=np.int64)
    present = np.flatnonzero(every)
    counts = every[present]
    starts = np.cumsum(counts) - counts
    ordered = _sorted_by_group(group, values)
    low = ordered[starts + (counts - 1) // 2]
    high = ordered[starts + counts // 2]
    return present, counts, _group_sums(ordered, starts, counts), low, high


@dataclass(frozen=True, eq=False)
class Variants:
    """Sequences grouped into variants: each case's variant number (``of_case``, -1 for a case
    without kept rows) and each variant's activity codes, those of its first case
    (``codes[offsets[v]:offsets[v + 1]]``)."""

    of_case: np.ndarray
    codes: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True, eq=False)
class _Runs:
    """The kept rows case by case: ``rows`` (positions in the log, stored order) and, per case
    with kept rows, its number (``cases``), its first position in ``rows`` (``starts``) and its
    number of kept rows (``lengths``)."""

    rows: np.ndarray
    cases: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray


def _runs(index: LogIndex, mask: np.ndarray) -> _Runs:
    rows = np.flatnonzero(mask)
    of_row = index.case_of[rows]
    changes = np.ones(rows.size, dtype=bool)
    np.not_equal(of_row[1:], of_row[:-1], out=changes[1:])
    starts = np.flatnonzero(changes)
    lengths = np.diff(np.append(starts, rows.size))
    return _Runs(rows, of_row[starts], starts, lengths)


def _group_runs(index: LogIndex, runs: _Runs) -> Variants:
    """The variants of the kept rows' sequences.

    Each sequence is numbered by one polynomial hash of its codes (the multiplier's powers by
    the row's rank within its case's kept rows, summed per case with ``np.add.reduceat``) mixed
    with its length; then every case is compared, length and code by code, with the first case
    of its number, so a hash collision can never merge two variants: it sends the computation
    to the slower grouping of the sequences themselves."""
    codes = index.codes[runs.rows]
    numbered = _number_by_hash(codes, runs)
    number, first_of = numbered if numbered is not None else _number_exactly(codes, runs)
    of_case = np.full(index.cases, -1, dtype=np.int64)
    of_case[runs.cases] = number
    sizes = runs.lengths[first_of]
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    picked = np.repeat(runs.starts[first_of] - offsets[:-1], sizes) + np.arange(offsets[-1])
    return Variants(of_case, codes[picked], offsets)


_HASH_MULTIPLIER = np.uint64(0x100000001B3)
_LENGTH_MIXER = np.uint64(0x9E3779B97F4A7C15)


def _number_by_hash(codes: np.ndarray, runs: _Runs) -> tuple[np.ndarray, np.ndarray] | None:
    """Each run's variant number and each number's first run, grouped by hash; None when two
    different sequences share a hash."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    position = np.arange(codes.size) - np.repeat(runs.starts, runs.lengths)
    powers = _powers(_HASH_MULTIPLIER, int(runs.lengths.max()))
    with np.errstate(over="ignore"):
        terms = (codes.astype(np.uint64) + np.uint64(1)) * powers[position]
        key = np.add.reduceat(terms, runs.starts) + runs.lengths.astype(np.uint64) * _LENGTH_MIXER
    number = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
    first_of = _first_of(number)
    representative = first_of[number]
    if not bool((runs.lengths[representative] == runs.lengths).all()):
        return None
    theirs = np.repeat(runs.starts[representative], runs.lengths) + position
    if not bool((codes[theirs] == codes).all()):
        return None
    return number, first_of


def _powers(multiplier: np.uint64, longest: int) -> np.ndarray:
    """``multiplier ** k`` modulo 2**64 for k = 0 .. longest - 1."""
    table = np.full(longest, multiplier, dtype=np.uint64)
    table[0] = 1
    np.multiply.accumulate(table, out=table)  # wraps modulo 2**64
    return table


def _first_of(number: np.ndarray) -> np.ndarray:
    """For each number (0 .. max) the first position holding it."""
    first_of = np.zeros(int(number.max()) + 1 if number.size else 0, dtype=np.int64)
    first_of[number[::-1]] = np.arange(number.size - 1, -1, -1)
    return first_of


def _number_exactly(codes: np.ndarray, runs: _Runs) -> tuple[np.ndarray, np.ndarray]:
    """``_number_by_hash`` by grouping the sequences themselves (after a hash collision)."""
    owner = pl.Series("_run", np.repeat(np.arange(runs.starts.size), runs.lengths)).set_sorted()
    sequences = (
        pl.DataFrame({"_run": owner, "_code": codes})
        .group_by("_run", maintain_order=True)
        .agg("_code")
        .get_column("_code")
    )
    number = (sequences.rank("dense").cast(pl.Int64) - 1).to_numpy()
    return number, _first_of(number)


def _picked(variants: Variants, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes of the variants ``which``, one after the other, and each one's length."""
    sizes = np.diff(variants.offsets)[which]
    ends = np.cumsum(sizes)
    rows = np.repeat(variants.offsets[which] - (ends - sizes), sizes) + np.arange(
        int(ends[-1]) if ends.size else 0
    )
    return variants.codes[rows], sizes


def view_variants(view: View) -> pl.DataFrame:
    """``compute_variants`` of the view (same columns, order and values)."""
    return rank_view_variants(view)[2].drop("_v")


def rank_view_variants(view: View) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """The view's cases (numbers), each one's variant number, and the ranked variant table
    (``compute_variants``' columns and ``_v``, the number).

    When the view keeps whole cases, each case's variant is looked up (computed once per log);
    otherwise the kept rows' sequences are grouped (``_group_runs``)."""
    index = view.index
    if view.whole_cases:
        variants = index.case_variants()
        cases = np.flatnonzero(np.logical_or.reduceat(view.mask, index.bounds[:-1]))
        first, last = index.bounds[cases], index.bounds[cases + 1] - 1
    else:
        runs = _runs(index, view.mask)
        variants = _group_runs(index, runs)
        cases = runs.cases
        first, last = runs.rows[runs.starts], runs.rows[runs.starts + runs.lengths - 1]
    variant = variants.of_case[cases]
    throughput_us = index.time_us[last] - index.time_us[first]
    return cases, variant, _rank_variants(index, variants, variant, throughput_us)


_RANKED_SCHEMA: dict[str, pl.DataType] = {
    "variant_rank": pl.Int64(),
    "variant": pl.List(pl.String),
    "cases": pl.Int64(),
    "share": pl.Float64(),
    "events": pl.Int64(),
    "mean_throughput_s": pl.Float64(),
    "median_throughput_s": pl.Float64(),
    "_v": pl.Int64(),
}


def _rank_variants(
    index: LogIndex, variants: Variants, variant: np.ndarray, throughput_us: np.ndarray
) -> pl.DataFrame:
    """The ranked variant table of cases with these variant numbers and throughputs (µs):
    counts, means and medians per variant in arrays, the order by count and then by the
    activity names (``rank_variant_table``'s) from the names' ranks, and names only for the
    variants shown."""
    present, counts, sums, low_us, high_us = _group_stats(variant, throughput_us)
    low, high = low_us / 1e6, high_us / 1e6
    columns = {
        "cases": counts,
        "share": counts / max(1, int(counts.sum())),
        "events": np.diff(variants.offsets)[present],
        "mean_throughput_s": sums / 1e6 / np.maximum(counts, 1),
        # As polars interpolates the median of an even count.
        "median_throughput_s": low + (high - low) / 2,
        "_v": present,
    }
    order = _by_count_then_names(index, variants, present, counts)
    if order is None:
        named = pl.DataFrame(
            {"variant": _variant_names(index, variants, present), **columns},
            schema={k: v for k, v in _RANKED_SCHEMA.items() if k != "variant_rank"},
        )
        return rank_variant_table(named, "_v")
    return pl.DataFrame(
        {
            "variant_rank": np.arange(1, present.size + 1),
            "variant": _variant_names(index, variants, present[order]),
            **{name: values[order] for name, values in columns.items()},
        },
        schema=_RANKED_SCHEMA,
    )


def _sorted_by_group(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (non-negative integers) sorted by ``group``, then by value: one sort of both
    packed in one integer when they fit in 63 bits."""
    if values.size == 0:
        return values
    bits = int(values.max()).bit_length()
    if int(values.min()) >= 0 and bits + int(group.max()).bit_length() <= 63:
        packed: np.ndarray = np.left_shift(group, bits, dtype=np.int64)
        packed |= values
        packed.sort()
        packed &= (1 << bits) - 1
        return packed
    ordered = values[np.lexsort((values, group))]
    return ordered


def _group_sums(ordered: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per group of ``ordered`` (integers) its sum, as floats: exact in integers unless the
    sums could overflow."""
    if starts.size == 0:
        return np.zeros(0)
    if max(int(ordered.max()), -int(ordered.min())) * int(counts.max()) < 2**63:
        sums: np.ndarray = np.add.reduceat(ordered, starts).astype(np.float64)
        return sums
    sums = np.add.reduceat(ordered.astype(np.float64), starts)
    return sums


_RANK_WORDS_LIMIT = 16_000_000
"""At most this many 64-bit words (128 MB) to order the variants by name as arrays; beyond,
the names are sorted as text."""


def _by_count_then_names(
    index: LogIndex, variants: Variants, present: np.ndarray, counts: np.ndarray
) -> np.ndarray | None:
    """The order of the variants ``present`` (with ``counts``): most cases first, ties by the
    activity names (as lists, as ``rank_variant_table`` orders them). Each name is replaced by
    its rank among the log's names, each sequence of ranks packed big-endian into 64-bit words
    (padded with zeros, below any rank, so a prefix comes first), and the words sorted; None
    when that would take too much memory (or more than 65,535 names)."""
    ranks = index.names.rank("dense").fill_null(0).cast(pl.UInt32).to_numpy()
    widest = int(ranks.max()) if ranks.size else 0
    if widest >= 2**16:
        return None
    width = 1 if widest < 2**8 else 2
    codes, sizes = _picked(variants, present)
    longest = int(sizes.max()) if sizes.size else 0
    words = -(-longest * width // 8)
    if present.size * words > _RANK_WORDS_LIMIT:
        return None
    padded = np.zeros((present.size, words * 8 // width), dtype=f">u{width}")
    # Each code's place in the flattened rows: its variant's row, then its rank in the variant.
    ends = np.cumsum(sizes)
    place = np.repeat(np.arange(present.size) * padded.shape[1] - (ends - sizes), sizes)
    padded.reshape(-1)[place + np.arange(codes.size)] = ranks[codes]
    packed = padded.view(">u8").astype(np.uint64)
    keys = [packed[:, word] for word in range(words - 1, -1, -1)]
    order: np.ndarray = np.lexsort([*keys, -counts])
    return order


def _variant_names(index: LogIndex, variants: Variants, which: np.ndarray) -> pl.Series:
    """The activity names of the variants ``which`` (a list per variant, in that order)."""
    codes, sizes = _picked(variants, which)
    owner = pl.Series("_i", np.repeat(np.arange(which.size), sizes)).set_sorted()
    frame = pl.DataFrame({"_i": owner, "variant": index.names.gather(pl.Series(codes))})
    return frame.group_by("_i", maintain_order=True).agg("variant").get_column("variant")


def rank_variant_table(named: Frame, key: str) -> Frame:
    """Variants (``variant``, ``cases``, ``share``, ``events``, ``mean_throughput_s``,
    ``median_throughput_s`` and ``key``) most frequent first, ties by the activity names, with
    ``variant_rank``: ``compute_variants``' columns, then ``key``."""
    # Ties by the names: joined with a character below any other, the texts sort as the lists.
    by_names = pl.col("variant").list.join("\x00")
    ranked = named.sort([pl.col("cases"), by_names], descending=[True, False]).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("variant_rank")
    )
    return ranked.select(
        "variant_rank",
        "variant",
        pl.col("cases").cast(pl.Int64),
        "share",
        pl.col("events").cast(pl.Int64),
        "mean_throughput_s",
        "median_throughput_s",
        key,
    )


def view_wait_groups(view: View, level: str) -> pl.DataFrame:
    """The waits of the view's events grouped as ``find_bottlenecks`` groups them, with the
    arc's (or activity's) codes as keys: ``source``, ``target`` (or ``activity``),
    ``frequency``, ``mean_wait_s``, ``median_wait_s`` and ``total_wait_s``, from one sort of
    the keys and waits."""
    width, keys, counts, sums, low, high = _pair_groups(view, level)
    codes = (
        {"source": keys // width, "target": keys % width} if level == "arc" else {"activity": keys}
    )
    low_s, high_s = low / 1e6, high / 1e6
    return pl.DataFrame(
        {
            **{name: pl.Series(name, values, dtype=pl.UInt32) for name, values in codes.items()},
            "frequency": pl.Series(counts, dtype=pl.Int64),
            "mean_wait_s": sums / 1e6 / np.maximum(counts, 1),
            # As polars interpolates the median of an even count.
            "median_wait_s": low_s + (high_s - low_s) / 2,
            "total_wait_s": sums / 1e6,
        }
    )


def name_keys(frame: pl.DataFrame, keys: list[str], names: pl.Series) -> pl.DataFrame:
    """Codes in ``keys`` replaced by activity names."""
    return frame.with_columns(
        pl.Series(key, names.gather(frame.get_column(key).cast(pl.UInt32))) for key in keys
    )
