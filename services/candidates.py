"""Automation candidates from the stored data: measure each process, then score and rank it.

Processes are the groups of cases of each stored event log (catalog item of an order, category
of an incident, else the whole log) and the activities of the time registration. Each is
measured over the chosen period through the mining facade (variants, directly-follows
branching, rework) and handed to the pure engine in ``models/candidates.py``.

Inputs, all optional except at least one of the first two:

* the flat logs in the LogStore (``--log``; all of them by default);
* ``03_primary/time-registration/hours.parquet``: registered hours by activity and case
  reference (a RITM or INC number links an hour to a case of a log);
* ``03_primary/robots/transactions.parquet``: robot transactions, whose ``reference`` names the
  case a robot handled. A process with robot transactions in the period is *already
  automated* (go-live = its first transaction) and is reported apart, with the realised share.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mining import (
    compute_rework,
    compute_variants,
    compute_working_duration_s,
    discover_dfg,
    filter_time_window,
)
from models.business_case_io import read_business_case
from models.candidates import (
    Automated,
    CandidateParameters,
    CandidateScore,
    HoursBasis,
    ProcessMeasures,
    compute_variant_entropy,
    rank_candidates,
)
from models.errors import InputError
from models.schema import ACTIVITY, CASE, TIMESTAMP
from models.store import PRIMARY, LogStore

HOURS_FILE = Path("time-registration") / "hours.parquet"
TRANSACTIONS_FILE = Path("robots") / "transactions.parquet"
DEFAULT_CASE = Path(__file__).resolve().parents[1] / "data/business_cases/automation-solutions.yaml"
TOP_VARIANTS = 3
DAYS_PER_YEAR = 365.25
# Columns that name the process of a case, most specific first.
GROUP_COLUMNS = ("case:cat_item_name", "case:cat_item", "case:category")
SUCCESS = ("success", "successful", "succeeded")
_EMPTY_CASES = pl.DataFrame(schema={CASE: pl.String, "group": pl.String})


@dataclass(frozen=True)
class CandidateOptions:
    """Which data to rank: log names (empty: every flat log) and the period (dates inclusive)."""

    logs: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class CandidateReport:
    """The ranking (best first, then the already automated) with what it rests on."""

    parameters: CandidateParameters
    scores: tuple[CandidateScore, ...]
    period_start: dt.date
    period_end: dt.date
    inputs: tuple[str, ...]
    notes: tuple[str, ...]


def read_parameters(case_path: Path = DEFAULT_CASE, **overrides: float) -> CandidateParameters:
    """Kroner and hours per ÅV from a business case's ``aarsvaerk``, other defaults from the
    automation proposal; ``overrides`` (e.g. ``development_cost_tkr``) win."""
    aarsvaerk = read_business_case(case_path).aarsvaerk
    values: dict[str, float] = {
        "kroner_per_aarsvaerk": float(aarsvaerk.kroner_per_aarsvaerk),
        "hours_per_aarsvaerk": float(aarsvaerk.hours_per_aarsvaerk),
    }
    values.update(overrides)
    return CandidateParameters(**values)


def find_candidates(
    store: LogStore, options: CandidateOptions, parameters: CandidateParameters
) -> CandidateReport:
    """Measure every process in the stored data and rank them."""
    logs = _log_names(store, options.logs)
    hours = _read_optional(store.data_dir / PRIMARY / HOURS_FILE)
    robots = _read_optional(store.data_dir / PRIMARY / TRANSACTIONS_FILE)
    if not logs and hours is None:
        raise InputError(
            "there is nothing to rank: no flat event log is stored and there is no "
            f"{HOURS_FILE}. Import a log ('kitflow import' or 'kitflow extract') or build the "
            "landscape ('kitflow demo') first."
        )
    events = {name: _events_in(store, name, options) for name in logs}
    hours = _hours_in(hours, options) if hours is not None else None
    robots = _robots_in(robots, options) if robots is not None else None
    start, end = _period(options, events.values(), hours)
    years = ((end - start).days + 1) / DAYS_PER_YEAR
    context = _Context(store, hours, robots, years, start, end)
    measures = [m for name, frame in events.items() for m in _log_measures(context, name, frame)]
    if hours is not None:
        all_events = pl.concat(list(events.values()), how="diagonal") if events else None
        measures += _activity_measures(context, hours, all_events)
    inputs = (
        *(f"log {name}" for name in logs),
        *((str(HOURS_FILE),) if hours is not None else ()),
        *((str(TRANSACTIONS_FILE),) if robots is not None else ()),
    )
    notes = _notes(hours is not None, robots is not None)
    scores = rank_candidates(measures, parameters)
    return CandidateReport(parameters, scores, start, end, inputs, notes)


@dataclass(frozen=True)
class _Context:
    store: LogStore
    hours: pl.DataFrame | None
    robots: pl.DataFrame | None
    years: float
    start: dt.date
    end: dt.date


def _log_names(store: LogStore, wanted: Sequence[str]) -> list[str]:
    if wanted:
        for name in wanted:
            store.entry(name)
        return list(wanted)
    return [e.name for e in store.list() if e.kind != "object-centric"]


def _read_optional(path: Path) -> pl.DataFrame | None:
    return pl.read_parquet(path) if path.exists() else None


def _window(options: CandidateOptions) -> tuple[dt.datetime, dt.datetime]:
    start = options.since or dt.date(1970, 1, 1)
    end = (options.until or dt.date(2099, 12, 30)) + dt.timedelta(days=1)
    if end <= start:
        raise InputError(
            f"--until {options.until} is before --since {options.since}: give a later --until."
        )
    as_utc = dt.datetime.combine
    return as_utc(start, dt.time(), dt.UTC), as_utc(end, dt.time(), dt.UTC)


def _events_in(store: LogStore, name: str, options: CandidateOptions) -> pl.DataFrame:
    """The log's cases that started in the period (the whole case, so its variant is whole)."""
    start, end = _window(options)
    return filter_time_window(store.scan(name), start=start, end=end, mode="started").collect()


def _hours_in(hours: pl.DataFrame, options: CandidateOptions) -> pl.DataFrame:
    missing = {"date", "activity", "case_reference", "hours"} - set(hours.columns)
    if missing:
        raise InputError(
            f"{HOURS_FILE} lacks the column(s) {', '.join(sorted(missing))}: rebuild it with "
            "the time-registration import."
        )
    start, end = _window(options)
    return hours.filter(
        (pl.col("date") >= start.date()) & (pl.col("date") < end.date())
    ).with_columns(pl.col("case_reference").cast(pl.String))


def _robots_in(robots: pl.DataFrame, options: CandidateOptions) -> pl.DataFrame:
    missing = {"reference", "start", "status", "process_name"} - set(robots.columns)
    if missing:
        raise InputError(
            f"{TRANSACTIONS_FILE} lacks the column(s) {', '.join(sorted(missing))}: rebuild it "
            "with the robot-runs import."
        )
    start, end = _window(options)
    when = pl.col("start").dt.replace_time_zone(None)
    return robots.filter(
        (when >= start.replace(tzinfo=None)) & (when < end.replace(tzinfo=None))
    ).with_columns(pl.col("reference").cast(pl.String))


def _period(
    options: CandidateOptions, events: Iterable[pl.DataFrame], hours: pl.DataFrame | None
) -> tuple[dt.date, dt.date]:
    """The period measured: the options' dates, else the span of the data."""
    firsts: list[dt.date] = []
    lasts: list[dt.date] = []
    for frame in events:
        if frame.height:
            starts = frame.group_by(CASE).agg(pl.col(TIMESTAMP).min())[TIMESTAMP]
            firsts.append(starts.min().date())  # type: ignore[union-attr]
            lasts.append(starts.max().date())  # type: ignore[union-attr]
    if hours is not None and hours.height:
        firsts.append(hours["date"].min())  # type: ignore[arg-type]
        lasts.append(hours["date"].max())  # type: ignore[arg-type]
    if not firsts and (options.since is None or options.until is None):
        raise InputError(
            "no case and no registered hour lies in the period: widen --since/--until."
        )
    start = options.since or min(firsts)
    end = options.until or max(lasts)
    return start, end


# -- processes of the event logs -------------------------------------------------------------------


def find_case_groups(store: LogStore, events: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """One row per case: ``case_id``, ``group`` (the process it belongs to), and how the group
    was found: a case attribute, the staged ServiceNow catalog item, or the whole log."""
    cases = events.group_by(CASE, maintain_order=True).agg(
        *(
            pl.col(c).drop_nulls().first().cast(pl.String)
            for c in GROUP_COLUMNS
            if c in events.columns
        )
    )
    staged = _staged_catalog_items(store.data_dir)
    for column in GROUP_COLUMNS:
        if column not in cases.columns:
            continue
        named = cases.select(CASE, pl.col(column).alias("group"))
        if column == "case:cat_item" and staged is not None:
            named = named.join(staged, left_on="group", right_on="sys_id", how="left").select(
                CASE, pl.coalesce("name", "group").alias("group")
            )
        return named.with_columns(pl.col("group").fill_null("(none)")), column
    if staged is not None:
        items = _staged_items_of_cases(store.data_dir, staged)
        if items is not None:
            joined = cases.select(CASE).join(items, on=CASE, how="left")
            if joined["group"].null_count() < joined.height:
                return joined.with_columns(pl.col("group").fill_null("(none)")), "catalog item"
    return cases.select(CASE, pl.lit("(all cases)").alias("group")), "log"


def _staged_catalog_items(data_dir: Path) -> pl.DataFrame | None:
    """``sys_id`` -> ``name`` of every staged ``sc_cat_item`` table, any source."""
    found = sorted((data_dir / "02_intermediate").glob("*/sc_cat_item.parquet"))
    if not found:
        return None
    frames = [pl.read_parquet(p, columns=["sys_id", "name"]) for p in found]
    return pl.concat(frames).unique("sys_id", keep="first")


def _staged_items_of_cases(data_dir: Path, items: pl.DataFrame) -> pl.DataFrame | None:
    """``case_id`` (the RITM number) -> catalog item name from the staged ``sc_req_item``."""
    found = sorted((data_dir / "02_intermediate").glob("*/sc_req_item.parquet"))
    if not found:
        return None
    frames = [pl.read_parquet(p, columns=["number", "cat_item"]) for p in found]
    ritm = pl.concat(frames).unique("number", keep="first")
    return ritm.join(items, left_on="cat_item", right_on="sys_id", how="left").select(
        pl.col("number").alias(CASE), pl.coalesce("name", "cat_item").alias("group")
    )


def _log_measures(context: _Context, name: str, events: pl.DataFrame) -> list[ProcessMeasures]:
    if not events.height:
        return []
    groups, how = find_case_groups(context.store, events)
    measures = []
    for (group,), members in groups.group_by("group", maintain_order=True):
        ids = members[CASE]
        part = events.filter(pl.col(CASE).is_in(ids.implode()))
        measures.append(
            _measure_cases(
                context,
                candidate_id=f"{name}:{group}",
                label=str(group) if how != "log" else name,
                source=name,
                level="process",
                events=part,
                references=ids,
            )
        )
    return measures


def _measure_cases(
    context: _Context,
    *,
    candidate_id: str,
    label: str,
    source: str,
    level: str,
    events: pl.DataFrame,
    references: pl.Series,
) -> ProcessMeasures:
    registered = _registered_hours(context.hours, references)
    # Mined time is elapsed office time, an upper bound of the effort: used only when there is
    # no time registration at all, so it never outranks hours people actually registered.
    mined = context.hours is None
    basis: HoursBasis = "registered" if registered > 0 else "mined" if mined else "none"
    hours = registered if registered > 0 else _mined_hours(events) if mined else 0.0
    firsts = events.group_by(CASE).agg(pl.col(TIMESTAMP).min().dt.date().alias("day"))
    starts = firsts["day"]
    shape = _shape(events)
    return ProcessMeasures(
        candidate_id=candidate_id,
        label=label,
        level="process" if level == "process" else "activity",
        source=source,
        cases=references.n_unique(),
        years=context.years,
        handling_hours=hours,
        hours_basis=basis if hours > 0 else "none",
        monthly_cv=_monthly_cv(starts, pl.repeat(1.0, starts.len(), eager=True), context),
        automated=_automated(context.robots, firsts.rename({CASE: "reference"})),
        standardisation=shape.standardisation,
        variant_entropy=shape.variant_entropy,
        branching=shape.branching,
        exception_rate=shape.exception_rate,
        rework_rate=shape.rework_rate,
    )


@dataclass(frozen=True)
class _Shape:
    """How cases run: None where no case was linked."""

    standardisation: float | None = None
    variant_entropy: float | None = None
    branching: float | None = None
    exception_rate: float | None = None
    rework_rate: float | None = None


def _shape(events: pl.DataFrame) -> _Shape:
    """Standardisation, branching, variant entropy, exception and rework rates of cases."""
    if not events.height:
        return _Shape()
    variants = compute_variants(events)
    counts = variants["cases"].to_list()
    ends = events.group_by(CASE, maintain_order=True).agg(pl.col(ACTIVITY).last().cast(pl.String))
    usual_end_share = ends[ACTIVITY].value_counts(sort=True)["count"][0] / ends.height
    rework = compute_rework(events, level="case")
    rework_rate = rework["has_rework"].cast(pl.Float64).sum() / rework.height
    return _Shape(
        standardisation=sum(counts[:TOP_VARIANTS]) / sum(counts),
        variant_entropy=compute_variant_entropy(counts),
        branching=_branching(events),
        exception_rate=1.0 - usual_end_share,
        rework_rate=float(rework_rate),
    )


def _branching(events: pl.DataFrame) -> float:
    """Distinct next activities per activity, weighted by how often each activity is left."""
    dfg = discover_dfg(events)
    if not dfg.height:
        return 1.0
    per_source = dfg.group_by("source").agg(
        pl.col("frequency").sum().alias("out"), pl.len().alias("next")
    )
    weighted = float((per_source["out"] * per_source["next"]).sum())
    return max(weighted / float(per_source["out"].sum()), 1.0)


def _registered_hours(hours: pl.DataFrame | None, references: pl.Series) -> float:
    if hours is None:
        return 0.0
    linked = hours.filter(pl.col("case_reference").is_in(references.implode()))
    return float(linked["hours"].sum())


def _mined_hours(events: pl.DataFrame) -> float:
    """Office time from pickup (a case's second event) to close (its last), summed, hours."""
    spans = (
        events.group_by(CASE)
        .agg(pl.col(TIMESTAMP).sort().alias("t"))
        .filter(pl.col("t").list.len() > 1)
        .select(pl.col("t").list.get(1).alias("pickup"), pl.col("t").list.last().alias("close"))
    )
    if not spans.height:
        return 0.0
    seconds = spans.select(compute_working_duration_s(pl.col("pickup"), pl.col("close")))
    return float(seconds.to_series().clip(lower_bound=0).sum()) / 3600.0


def _monthly_cv(days: pl.Series, weights: pl.Series, context: _Context) -> float | None:
    """Coefficient of variation of the monthly totals, over every month of the period."""
    months = _months(context.start, context.end)
    if len(months) < 2:
        return None
    totals = dict.fromkeys(months, 0.0)
    frame = pl.DataFrame({"month": days.dt.strftime("%Y-%m"), "w": weights})
    for month, total in frame.group_by("month").agg(pl.col("w").sum()).iter_rows():
        if month in totals:
            totals[month] += float(total)
    values = list(totals.values())
    mean = sum(values) / len(values)
    if mean == 0:
        return None
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _automated(
    robots: pl.DataFrame | None, first_days: pl.DataFrame, *, all_runs: bool = False
) -> Automated | None:
    """The robot that handles these cases (``first_days``: ``reference``, ``day`` of each
    case's first event or booking), if any transaction in the period names one.

    A process's share counts the robot's transactions on its own cases. With ``all_runs`` (a
    time-registration activity) it counts all the robot process's transactions: after
    go-live, hours are registered on the exceptions alone, so the referenced transactions
    would all be failures."""
    if robots is None:
        return None
    references = first_days["reference"]
    referenced = robots.filter(pl.col("reference").is_in(references.implode()))
    if not referenced.height:
        return None
    process = referenced["process_name"].mode().sort()[0]
    runs = robots.filter(pl.col("process_name") == process)
    if not all_runs:
        runs = runs.filter(pl.col("reference").is_in(references.implode()))
    go_live = runs["start"].min()
    successful = runs.filter(pl.col("status").str.to_lowercase().is_in(SUCCESS))
    manual_since = first_days.filter(pl.col("day") >= go_live.date())["reference"]  # type: ignore[union-attr]
    handled = pl.concat([runs["reference"], manual_since]).n_unique()
    share = min(successful["reference"].n_unique() / handled, 1.0) if handled else 0.0
    return Automated(
        robot_process=str(process),
        go_live=go_live.date().isoformat(),  # type: ignore[union-attr]
        realised_share=share,
        robot_transactions=runs.height,
    )


# -- activities of the time registration ---------------------------------------------------------


def _activity_measures(
    context: _Context, hours: pl.DataFrame, events: pl.DataFrame | None
) -> list[ProcessMeasures]:
    measures = []
    for (activity,), rows in hours.group_by("activity", maintain_order=True):
        references = rows["case_reference"].drop_nulls().unique()
        linked = (
            events.filter(pl.col(CASE).is_in(references.implode()))
            if events is not None
            else pl.DataFrame()
        )
        shape = _shape(linked)
        volume = references.len() if references.len() else rows.height
        measures.append(
            ProcessMeasures(
                candidate_id=f"time-registration:{activity}",
                label=str(activity),
                level="activity",
                source="time registration",
                cases=volume,
                years=context.years,
                handling_hours=float(rows["hours"].sum()),
                hours_basis="registered",
                monthly_cv=_monthly_cv(rows["date"], rows["hours"].cast(pl.Float64), context),
                automated=_automated(context.robots, _first_days(rows), all_runs=True),
                standardisation=shape.standardisation,
                variant_entropy=shape.variant_entropy,
                branching=shape.branching,
                exception_rate=shape.exception_rate,
                rework_rate=shape.rework_rate,
            )
        )
    return measures


def _first_days(rows: pl.DataFrame) -> pl.DataFrame:
    """The first registered day of each case reference (``reference``, ``day``)."""
    return (
        rows.filter(pl.col("case_reference").is_not_null())
        .group_by("case_reference")
        .agg(pl.col("date").min().alias("day"))
        .rename({"case_reference": "reference"})
    )


def _notes(has_hours: bool, has_robots: bool) -> tuple[str, ...]:
    notes = []
    if not has_hours:
        notes.append(
            f"No {HOURS_FILE}: handling hours are mined (office time from pickup to close), "
            "an upper bound of the effort."
        )
    if not has_robots:
        notes.append(f"No {TRANSACTIONS_FILE}: nothing can be recognised as already automated.")
    return tuple(notes)
