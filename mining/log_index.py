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
  (computed once per log); otherwise the kept rows' sequences, one character per activity,
  joined per case and grouped as strings;
- the bottlenecks (whole log, arc or activity level, calendar time, completion timestamps only):
  the waits between consecutive kept rows of one case.

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
    _variant_of_case: np.ndarray | None = None
    _variant_names: pl.DataFrame | None = None
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

    def case_variants(self) -> tuple[np.ndarray, pl.DataFrame]:
        """Each case's variant number, and per number ``variant`` (activity names) and
        ``events`` (per case): computed once per index."""
        with self._lock:
            if self._variant_of_case is not None and self._variant_names is not None:
                return self._variant_of_case, self._variant_names
        every = np.ones(self.events, dtype=bool)
        variant_of_case, table = _sequence_variants(self, every)
        with self._lock:
            self._variant_of_case, self._variant_names = variant_of_case, table
        return variant_of_case, table


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
    return LogIndex(
        path=path,
        codes=codes,
        names=_activity_names(frame.get_column(ACTIVITY), codes),
        time_us=frame.get_column("_us").to_numpy(),
        case_of=(np.cumsum(changes) - 1).astype(np.int64),
        bounds=bounds,
        has_start=START_TIMESTAMP in schema,
    )


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
    sorted by time within a case)."""
    index = view.index
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


def _consecutive(view: View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kept rows (positions), and for each pair of consecutive kept rows of one case: the
    position in ``kept`` of the first."""
    index = view.index
    kept = np.flatnonzero(view.mask)
    cases = index.case_of[kept]
    same = np.flatnonzero(cases[1:] == cases[:-1])
    return kept, cases, same


def view_dfg(view: View, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``discover_dfg`` of the view (same columns, order and values)."""
    index = view.index
    kept, _, same = _consecutive(view)
    base = np.uint64(2**32)
    codes = index.codes[kept]
    source = codes[same].astype(np.uint64)
    target = codes[same + 1].astype(np.uint64)
    times = index.time_us[kept]
    pairs = pl.DataFrame({"_key": source * base + target, "_us": times[same + 1] - times[same]})
    graph = pairs.group_by("_key").agg(
        pl.len().cast(pl.Int64).alias("frequency"),
        pl.col("_us").mean().alias("mean_duration_s"),
        pl.col("_us").median().alias("median_duration_s"),
    )
    keys = graph.get_column("_key")
    return pl.DataFrame(
        {
            "source": index.names.gather((keys // 2**32).cast(pl.UInt32)),
            "target": index.names.gather((keys % 2**32).cast(pl.UInt32)),
            "frequency": graph.get_column("frequency"),
            "mean_duration_s": graph.get_column("mean_duration_s") / 1e6,
            "median_duration_s": graph.get_column("median_duration_s") / 1e6,
        },
        schema=schema,
    ).sort(["frequency", "source", "target"], descending=[True, False, False])


def _sequence_variants(index: LogIndex, mask: np.ndarray) -> tuple[np.ndarray, pl.DataFrame]:
    """Variant number per case (-1 for a case without kept rows) of the kept rows' sequences,
    and per number the ``variant`` (names) and ``events`` (per case).

    Sequences are grouped by two polynomial hashes of their codes and their length, then every
    case is compared code by code with its group's first case, so a hash collision can never
    merge two variants (it sends the computation to the slower grouping of whole sequences)."""
    kept = np.flatnonzero(mask)
    codes = index.codes[kept].astype(np.uint64)
    cases = index.case_of[kept]
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]]) if kept.size else kept
    lengths = np.diff(np.append(starts, kept.size))
    position = np.arange(kept.size) - np.repeat(starts, lengths)
    # One 64-bit key per sequence: its length and two polynomial hashes of its codes, mixed.
    key = lengths.astype(np.uint64)
    with np.errstate(over="ignore"):
        for multiplier in _HASH_MULTIPLIERS:
            hashed = (
                np.add.reduceat(codes * _powers(multiplier, position), starts)
                if kept.size
                else np.zeros(0, dtype=np.uint64)
            )
            key = key * np.uint64(0x9E3779B97F4A7C15) ^ hashed
    number = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
    # The first case of each number; every case must repeat its codes exactly.
    first_of = np.full(number.max() + 1 if number.size else 0, -1, dtype=np.int64)
    first_of[number[::-1]] = np.arange(number.size)[::-1]
    representative = first_of[number]
    same = codes == codes[np.repeat(starts[representative], lengths) + position]
    if not bool(same.all()):
        return _grouped_sequence_variants(index, kept, cases, starts)
    variant_of_case = np.full(index.cases, -1, dtype=np.int64)
    variant_of_case[cases[starts]] = number
    return variant_of_case, _variant_names(index, kept, starts, lengths, first_of)


_HASH_MULTIPLIERS = (np.uint64(1_000_003), np.uint64(2_147_483_659))


def _powers(multiplier: np.uint64, position: np.ndarray) -> np.ndarray:
    """``multiplier ** position`` modulo 2**64."""
    longest = int(position.max()) + 1 if position.size else 1
    table = np.empty(longest, dtype=np.uint64)
    table[0] = 1
    with np.errstate(over="ignore"):
        for step in range(1, longest):
            table[step] = table[step - 1] * multiplier
    powers: np.ndarray = table[position]
    return powers


def _variant_names(
    index: LogIndex,
    kept: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    first_of: np.ndarray,
) -> pl.DataFrame:
    """Per variant number its ``variant`` (activity names of its first case) and ``events``."""
    sizes = lengths[first_of]
    offsets = np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows = np.repeat(starts[first_of], sizes) + np.arange(int(sizes.sum())) - offsets
    variant = np.repeat(np.arange(first_of.size), lengths[first_of])
    frame = pl.DataFrame(
        {"_v": variant, "_code": index.codes[kept[rows]]},
        schema={"_v": pl.Int64, "_code": pl.UInt32},
    )
    return (
        frame.with_columns(index.names.gather(frame.get_column("_code")).alias("_name"))
        .group_by("_v", maintain_order=True)
        .agg(pl.col("_name").alias("variant"), pl.len().cast(pl.Int64).alias("events"))
    )


def _grouped_sequence_variants(
    index: LogIndex, kept: np.ndarray, cases: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, pl.DataFrame]:
    """``_sequence_variants`` by grouping the sequences themselves (after a hash collision)."""
    rows = pl.DataFrame({"_case": cases, "_code": index.codes[kept]})
    per_case = rows.group_by("_case", maintain_order=True).agg(pl.col("_code").alias("_seq"))
    numbered = per_case.with_columns((pl.col("_seq").rank("dense").cast(pl.Int64) - 1).alias("_v"))
    variant_of_case = np.full(index.cases, -1, dtype=np.int64)
    variant_of_case[numbered.get_column("_case").to_numpy()] = numbered.get_column("_v").to_numpy()
    first = numbered.group_by("_v").agg(pl.col("_case").first()).sort("_v")
    position = np.searchsorted(cases[starts], first.get_column("_case").to_numpy())
    lengths = np.diff(np.append(starts, kept.size))
    return variant_of_case, _variant_names(index, kept, starts, lengths, position)


def view_variants(view: View) -> pl.DataFrame:
    """``compute_variants`` of the view (same columns, order and values)."""
    return rank_view_variants(view)[2].drop("_v")


def rank_view_variants(view: View) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """The view's cases (numbers), each one's variant number, and the ranked variant table
    (``compute_variants``' columns and ``_v``, the number)."""
    index = view.index
    if view.whole_cases:
        variant_of_case, table = index.case_variants()
        cases = np.flatnonzero(np.logical_or.reduceat(view.mask, index.bounds[:-1]))
        first = index.time_us[index.bounds[cases]]
        last = index.time_us[index.bounds[cases + 1] - 1]
    else:
        variant_of_case, table = _sequence_variants(index, view.mask)
        present, first_all, last_all = case_first_last_us(view)
        cases = np.flatnonzero(present)
        first, last = first_all[cases], last_all[cases]
    variant = variant_of_case[cases]
    per_case = pl.DataFrame({"_v": variant, "throughput_s": (last - first) / 1e6})
    grouped = per_case.group_by("_v").agg(
        pl.len().alias("cases"),
        pl.col("throughput_s").mean().alias("mean_throughput_s"),
        pl.col("throughput_s").median().alias("median_throughput_s"),
    )
    named = grouped.join(table, on="_v", how="left").with_columns(
        (pl.col("cases") / pl.col("cases").sum()).alias("share")
    )
    return cases, variant, rank_variant_table(named, "_v")


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


def view_waits(view: View, level: str) -> pl.LazyFrame:
    """The waits of the view's events as ``find_bottlenecks`` groups them, with the arc's (or
    activity's) codes as keys: ``source``, ``target`` (or ``activity``), ``wait_s``."""
    index = view.index
    kept, _, same = _consecutive(view)
    times = index.time_us[kept]
    waits = (times[same + 1] - times[same]) / 1e6
    target = index.codes[kept[same + 1]]
    if level == "arc":
        columns = {"source": index.codes[kept[same]], "target": target, "wait_s": waits}
    else:
        columns = {"activity": target, "wait_s": waits}
    return pl.LazyFrame(columns)


def name_keys(frame: pl.DataFrame, keys: list[str], names: pl.Series) -> pl.DataFrame:
    """Codes in ``keys`` replaced by activity names."""
    return frame.with_columns(
        pl.Series(key, names.gather(frame.get_column(key).cast(pl.UInt32))) for key in keys
    )
