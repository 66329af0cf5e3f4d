"""Governance: the SAFe rules per service area and month, the breaking work items, and the
orders that lie still between service areas (*Fastlåste sager*).

The rules are those of ``kitflow rules`` (a YAML rules file, :mod:`mining.rules`): the data
folder's own ``rules.yaml`` when there is one, else the shipped example
``docs/examples/rules.yaml``. The threshold is the ``devops_practice`` target's of the business
cases' binding files (10 % in the shipped task-management case), 10 when none names one.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import polars as pl

from mining import (
    FitnessResult,
    NetGraph,
    ProcessModel,
    VariantSource,
    check_group_size,
    check_partitioned_view_size,
    check_rules,
    compute_fitness,
    compute_variant_fitness,
    describe_net,
    discover_process_model,
    find_breaking_cases,
    find_deviations,
    find_partitioned_stuck_cases,
    find_stuck_cases,
    partitioned_log_variants,
    read_partitioned_log,
    read_process_model,
    read_rules,
    summarize_breaking_cases,
    summarize_deviations,
)
from models.errors import InputError, KitflowError
from models.followup import read_bindings
from models.schema import CASE, TIMESTAMP
from models.store import LogStore

SHIPPED_RULES: Final = Path(__file__).resolve().parents[1] / "docs" / "examples" / "rules.yaml"
DEFAULT_THRESHOLD_PCT: Final = 10.0
TYPE_COLUMN: Final = "case:work_item_type"
ITERATION_COLUMN: Final = "iteration_path"
CLOSING_PREFIX: Final = "State: Closed"
"""A ServiceNow order ends with a state ``Closed Complete``/``Incomplete``/``Skipped``."""
CLOSING_ACTIVITIES: Final = ("State: Cancelled", "State: Removed", "Closed", "Canceled")


@dataclass(frozen=True)
class GovernanceReport:
    """The rules of one log per service area.

    ``by_month``: one row per (org unit, month) (see :func:`mining.summarize_breaking_cases`);
    ``by_area``: one row per org unit over the whole log, plus one column per rule with the
    number of its breaking cases; ``breaches``: one row per (rule, case) broken, with
    ``work_item_type`` and ``iteration_path`` (the case's last); ``small_rows``: the
    (org unit, month) rows left out under the 5-person rule.
    """

    log: str
    rules_file: Path
    rules: tuple[str, ...]
    threshold_pct: float
    by_month: pl.DataFrame
    by_area: pl.DataFrame
    breaches: pl.DataFrame
    small_rows: int


def find_rules_file(store: LogStore) -> Path:
    """The data folder's ``rules.yaml``, else the shipped example."""
    own = store.data.root / "rules.yaml"
    return own if own.is_file() else SHIPPED_RULES


def find_rule_threshold(store: LogStore) -> float:
    """The ``devops_practice`` threshold of the first binding file naming one, else 10."""
    folder = store.data.business_cases()
    for path in sorted(folder.glob("*.followup.yaml")) if folder.is_dir() else []:
        try:
            bindings = read_bindings(path)
        except KitflowError:
            continue
        for target in bindings.targets:
            if target.metric == "devops_practice" and target.threshold is not None:
                return float(target.threshold)
    return DEFAULT_THRESHOLD_PCT


def compute_governance(
    store: LogStore, log: str, *, threshold_pct: float | None = None
) -> GovernanceReport:
    """The rules of :func:`find_rules_file` checked on the stored log ``log``; the check is
    kept per (log as stored, rules file as it stands), so a changed threshold, area or rule on
    the page costs nothing, and a new import or edited rules file is checked afresh."""
    rules_file = find_rules_file(store)
    key = (
        str(store.data.root),
        log,
        store.entry(log).imported_at,
        str(rules_file),
        rules_file.stat().st_mtime_ns,
    )
    threshold = threshold_pct if threshold_pct is not None else find_rule_threshold(store)
    with _CACHE_LOCK:
        kept = _CACHE.get(key)
        if kept is not None:
            _CACHE.move_to_end(key)
    if kept is None:
        kept = _check_governance(store, log, rules_file)
        with _CACHE_LOCK:
            _CACHE[key] = kept
            while len(_CACHE) > _CACHE_ENTRIES:
                _CACHE.popitem(last=False)
    return replace(kept, threshold_pct=threshold)


_CACHE_ENTRIES: Final = 16
_CACHE: OrderedDict[tuple[object, ...], GovernanceReport] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _check_governance(store: LogStore, log: str, rules_file: Path) -> GovernanceReport:
    rules = read_rules(rules_file)
    events = store.read(log)
    schema = events.collect_schema() if isinstance(events, pl.LazyFrame) else events.schema
    # Only the rules this log can be checked against (the rules file serves several logs).
    usable = tuple(
        r
        for r in rules
        if all(c in schema for c in (r.column, r.when.column if r.when else None) if c)
    )
    results = check_rules(events, usable)
    by_month, small = summarize_breaking_cases(results, events)
    by_area, _ = summarize_breaking_cases(results, events, by_month=False)
    breaches = find_breaking_cases(results)
    per_rule = (
        breaches.group_by("org_unit").agg(
            pl.col("rule").filter(pl.col("rule") == r.id).len().alias(r.id) for r in usable
        )
        if usable
        else breaches.select("org_unit").unique()
    )
    by_area = (
        by_area.drop("month")
        .join(per_rule, on="org_unit", how="left")
        .with_columns(pl.col(r.id).fill_null(0).cast(pl.Int64) for r in usable)
    )
    applied = {r for r in results.filter(pl.col("applies"))["rule"].unique().to_list()}
    return GovernanceReport(
        log=log,
        rules_file=rules_file,
        rules=tuple(r.id for r in usable if r.id in applied),
        threshold_pct=DEFAULT_THRESHOLD_PCT,
        by_month=by_month,
        by_area=by_area.select(
            "org_unit",
            "cases",
            "breaking_cases",
            "breaking_pct",
            *(r.id for r in usable if r.id in applied),
        ),
        breaches=_with_item_fields(breaches, events),
        small_rows=small,
    )


def _with_item_fields(breaches: pl.DataFrame, events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """``breaches`` with each case's work-item type and last iteration path (null if the log
    has no such column)."""
    lazy = events.lazy()
    schema = lazy.collect_schema()
    fields = [
        (
            pl.col(c).cast(pl.String).drop_nulls().last()
            if c in schema
            else pl.lit(None, pl.String)
        ).alias(name)
        for c, name in ((TYPE_COLUMN, "work_item_type"), (ITERATION_COLUMN, "iteration_path"))
    ]
    wanted = breaches[CASE].unique().to_list()
    items = (
        lazy.filter(pl.col(CASE).cast(pl.String).is_in(wanted))
        .group_by(pl.col(CASE).cast(pl.String))
        .agg(fields)
        .collect()
    )
    return breaches.join(items, on=CASE, how="left").select(
        CASE, "work_item_type", "rule", "org_unit", "iteration_path", "month"
    )


# ------------------------------------------------------------------------------ stuck cases

DEFAULT_STUCK_DAYS: Final = 5.0


@dataclass(frozen=True)
class StuckReport:
    """The cases of one log waiting at ``as_of`` (see :func:`mining.find_stuck_cases`);
    ``open_cases`` counts every case open then, stuck or not."""

    log: str
    as_of: dt.datetime
    min_working_days: float
    cases: pl.DataFrame
    open_cases: int


def find_log_end(store: LogStore, log: str) -> dt.datetime | None:
    """The moment just after the last event of ``log`` (None for an empty log)."""
    last = store.scan(log).select(pl.col(TIMESTAMP).max()).collect().item()
    return None if last is None else last + dt.timedelta(microseconds=1)


def find_stuck(
    store: LogStore,
    log: str,
    *,
    as_of: dt.datetime | None = None,
    min_working_days: float = DEFAULT_STUCK_DAYS,
) -> StuckReport:
    """The cases of ``log`` open at ``as_of`` (default: the end of the log) and untouched for
    ``min_working_days`` working days or more, oldest first. A case has ended with an activity
    starting ``State: Closed`` or one of :data:`CLOSING_ACTIVITIES`. A log stored in
    partitions is read one partition at a time (``mining.find_partitioned_stuck_cases``: the
    same list)."""
    events = store.scan(log)
    moment = as_of or find_log_end(store, log) or dt.datetime.now(dt.UTC)
    activities = (
        events.select(pl.col("activity").cast(pl.String).unique()).collect().to_series().to_list()
    )
    closing = [a for a in activities if a.startswith(CLOSING_PREFIX) or a in CLOSING_ACTIVITIES]
    paths = store.partition_paths(log)
    if paths is None:
        everyone = find_stuck_cases(events, as_of=moment, min_working_days=0.0, closing=closing)
    else:
        everyone = find_partitioned_stuck_cases(
            read_partitioned_log(paths), as_of=moment, min_working_days=0.0, closing=closing
        )
    stuck = everyone.filter(pl.col("waiting_working_days") >= min_working_days)
    return StuckReport(log, moment, min_working_days, stuck, everyone.height)


# ------------------------------------------------------------------------------- conformance

DEFAULT_NOISE: Final = 0.2
"""The inductive miner's noise threshold for a model discovered from the log itself."""
MAX_MODEL_BYTES: Final = 5_000_000


@dataclass(frozen=True)
class ConformanceReport:
    """A stored log against a process model (token replay, as ``kitflow conformance``).

    ``variants``: one row per variant, the most frequent first (``variant_id``, ``activities``,
    ``case_count``, ``fitness``, ``fits``); ``deviations``: the skipped and inserted activities
    from the alignments (:func:`mining.summarize_deviations`); ``net``: the model to draw;
    ``model_name``: the file's name, or empty for a model discovered from the log. ``withheld``:
    the log shows fewer than 5 people, so nothing of it is shown (the frames are empty).
    """

    log: str
    model_name: str
    fitness: FitnessResult | None
    variants: pl.DataFrame
    deviations: pl.DataFrame
    net: NetGraph
    withheld: bool = False


def read_model_upload(content: bytes, filename: str) -> ProcessModel:
    """A model sent as a file (``.bpmn`` or ``.pnml``, at most 5 MB)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".bpmn", ".pnml"):
        raise InputError(f"the model file {filename} must end in .bpmn or .pnml.")
    if len(content) > MAX_MODEL_BYTES:
        raise InputError(f"the model file {filename} is larger than 5 MB.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model{suffix}"
        path.write_bytes(content)
        return read_process_model(path)


def variant_source(store: LogStore, log: str) -> VariantSource:
    """Stored log ``log`` as ``kitflow discover`` and ``conformance`` read it: a lazy scan of
    its one file, or, for a log stored in partitions, its variants merged one partition at a
    time (``mining.partitioned_log_variants``: the same variant table, so the same figures)."""
    paths = store.partition_paths(log)
    if paths is None:
        return store.scan(log)
    return partitioned_log_variants(read_partitioned_log(paths))


def conformance_log(store: LogStore, log: str) -> tuple[VariantSource, bool]:
    """Stored log ``log`` as discovery and conformance checking read it, and whether it shows 5
    people or more (the 5-person rule): its events, or, for a log stored in partitions, its
    variants merged one partition at a time (``mining.partitioned_log_variants``: the same
    variant table, so the same figures, with memory for one partition)."""
    paths = store.partition_paths(log)
    if paths is None:
        events = store.read(log)
        return events, check_group_size(events).enough
    partitioned = read_partitioned_log(paths)
    return partitioned_log_variants(partitioned), check_partitioned_view_size(partitioned).enough


def check_log_conformance(
    store: LogStore,
    log: str,
    *,
    model: ProcessModel | None = None,
    model_name: str = "",
    noise_threshold: float = DEFAULT_NOISE,
) -> ConformanceReport:
    """``log`` against ``model`` (None: a model discovered from the log with the inductive
    miner at ``noise_threshold``)."""
    events, enough = conformance_log(store, log)
    chosen = model or discover_process_model(events, noise_threshold=noise_threshold)
    net = describe_net(chosen)
    if not enough:
        empty = pl.DataFrame()
        return ConformanceReport(log, model_name, None, empty, empty, net, withheld=True)
    cache = store.data.conformance_cache()
    variants = compute_variant_fitness(events, chosen, cache_dir=cache).sort(
        "case_count", "variant_id", descending=[True, False]
    )
    return ConformanceReport(
        log=log,
        model_name=model_name,
        fitness=compute_fitness(events, chosen, cache_dir=cache),
        variants=variants,
        deviations=summarize_deviations(find_deviations(events, chosen, cache_dir=cache)),
        net=net,
    )
