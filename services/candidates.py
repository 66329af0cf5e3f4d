"""Automation candidates from the stored data: measure each process, then score and rank it.

Processes are the groups of cases of each stored event log (catalog item of an order, category
of an incident, else the whole log: ``mining.find_case_groups``) and the activities of the time
registration. Each is measured over the chosen period through the mining facade (the shape of
its cases: ``mining.compute_process_shape``; its monthly variation, its mined hours) and handed
to the pure engine in ``models/candidates.py``. Every file is where the data folder
(models/datafolder.py) says it is.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mining import (
    OTHER_GROUP,
    compute_case_starts,
    compute_monthly_cv,
    compute_pickup_to_close_hours,
    compute_process_shape,
    drop_withheld,
    filter_time_window,
    find_case_groups,
    merge_small_groups,
)
from models.business_case_io import read_business_case
from models.candidates import (
    Automated,
    CandidateParameters,
    CandidateScore,
    HoursBasis,
    ProcessMeasures,
    rank_candidates,
)
from models.datafolder import DataFolder
from models.errors import InputError
from models.schema import CASE
from models.store import LogStore

DEFAULT_CASE = Path(__file__).resolve().parents[1] / "data/business_cases/automation-solutions.yaml"
DAYS_PER_YEAR = 365.25
SUCCESS = ("success", "successful", "succeeded")
# The files' names as the messages and the report's inputs show them: below 03_primary.
_LAYOUT = DataFolder(Path(), database_url="")
HOURS_FILE = _LAYOUT.hours().relative_to(_LAYOUT.primary())
TRANSACTIONS_FILE = _LAYOUT.robot_transactions().relative_to(_LAYOUT.primary())


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
    hours = _read_optional(store.data.hours())
    robots = _read_optional(store.data.robot_transactions())
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
    context = _Context(hours, robots, years, start, end, _read_catalog(store.data))
    measures = [m for name, frame in events.items() for m in _log_measures(context, name, frame)]
    notes: tuple[str, ...] = ()
    if hours is not None:
        all_events = pl.concat(list(events.values()), how="diagonal") if events else None
        shown, notes = _merge_small_activities(hours)
        measures += _activity_measures(context, shown, all_events)
    inputs = (
        *(f"log {name}" for name in logs),
        *((str(HOURS_FILE),) if hours is not None else ()),
        *((str(TRANSACTIONS_FILE),) if robots is not None else ()),
    )
    notes = _notes(hours is not None, robots is not None) + notes
    scores = rank_candidates(measures, parameters)
    return CandidateReport(parameters, scores, start, end, inputs, notes)


@dataclass(frozen=True)
class _Catalog:
    """The staged catalog items (``sys_id``, ``name``) and orders (``number``, ``cat_item``)
    of every source, which name the processes of logs that do not carry them."""

    items: pl.DataFrame | None
    orders: pl.DataFrame | None


@dataclass(frozen=True)
class _Context:
    hours: pl.DataFrame | None
    robots: pl.DataFrame | None
    years: float
    start: dt.date
    end: dt.date
    catalog: _Catalog


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


def _require_columns(frame: pl.DataFrame, needed: set[str], file: Path, how: str) -> None:
    missing = needed - set(frame.columns)
    if missing:
        raise InputError(
            f"{file} lacks the column(s) {', '.join(sorted(missing))}: rebuild it with {how}."
        )


def _hours_in(hours: pl.DataFrame, options: CandidateOptions) -> pl.DataFrame:
    _require_columns(
        hours, {"date", "activity", "case_reference", "hours"}, HOURS_FILE,
        "the time-registration import",
    )  # fmt: skip
    start, end = _window(options)
    return hours.filter(
        (pl.col("date") >= start.date()) & (pl.col("date") < end.date())
    ).with_columns(pl.col("case_reference").cast(pl.String))


def _robots_in(robots: pl.DataFrame, options: CandidateOptions) -> pl.DataFrame:
    _require_columns(
        robots, {"reference", "start", "status", "process_name"}, TRANSACTIONS_FILE,
        "the robot-runs import",
    )  # fmt: skip
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
            starts = compute_case_starts(frame)["day"]
            firsts.append(starts.min())  # type: ignore[arg-type]
            lasts.append(starts.max())  # type: ignore[arg-type]
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


def _read_catalog(data: DataFolder) -> _Catalog:
    items = _read_staged_everywhere(data, "sc_cat_item", key="sys_id", columns=["name"])
    orders = _read_staged_everywhere(data, "sc_req_item", key="number", columns=["cat_item"])
    return _Catalog(items, orders)


def _read_staged_everywhere(
    data: DataFolder, table: str, *, key: str, columns: list[str]
) -> pl.DataFrame | None:
    """``key`` and ``columns`` of the staged ``table`` of every source that has one, one row
    per key (the first source, by name, wins)."""
    sources = (
        sorted(p.name for p in data.intermediate().iterdir())
        if data.intermediate().is_dir()
        else []
    )
    found = [data.staged_table(s, table) for s in sources if data.staged_table(s, table).exists()]
    if not found:
        return None
    frames = [pl.read_parquet(path, columns=[key, *columns]) for path in found]
    return pl.concat(frames).unique(key, keep="first", maintain_order=True)


def _log_measures(context: _Context, name: str, events: pl.DataFrame) -> list[ProcessMeasures]:
    if not events.height:
        return []
    groups = find_case_groups(
        events, catalog_items=context.catalog.items, ordered_items=context.catalog.orders
    )
    measures = []
    for (group,), members in groups.cases.group_by("group", maintain_order=True):
        ids = members[CASE]
        part = events.filter(pl.col(CASE).is_in(ids.implode()))
        measures.append(
            _measure_cases(
                context,
                candidate_id=f"{name}:{group}",
                label=str(group) if groups.found_by != "log" else name,
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
    hours = (
        registered if registered > 0 else compute_pickup_to_close_hours(events) if mined else 0.0
    )
    firsts = compute_case_starts(events)
    shape = compute_process_shape(events)
    return ProcessMeasures(
        candidate_id=candidate_id,
        label=label,
        level="process" if level == "process" else "activity",
        source=source,
        cases=references.n_unique(),
        years=context.years,
        handling_hours=hours,
        hours_basis=basis if hours > 0 else "none",
        monthly_cv=compute_monthly_cv(firsts["day"], start=context.start, end=context.end),
        automated=_automated(context.robots, firsts.rename({CASE: "reference"})),
        standardisation=shape.standardisation,
        variant_entropy=shape.variant_entropy,
        branching=shape.branching,
        exception_rate=shape.exception_rate,
        rework_rate=shape.rework_rate,
    )


def _registered_hours(hours: pl.DataFrame | None, references: pl.Series) -> float:
    if hours is None:
        return 0.0
    linked = hours.filter(pl.col("case_reference").is_in(references.implode()))
    return float(linked["hours"].sum())


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


def _merge_small_activities(hours: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The hours with the activities of fewer than 5 employees merged into one (left out when
    they have fewer than 5 together): the 5-person rule, mining.privacy. And what was done."""
    merged = merge_small_groups(hours, by="activity", people_column="employee")
    shown = drop_withheld(merged.frame.collect(), ("activity",))
    if not merged.people_known:
        return shown, (f"{HOURS_FILE} names no employees: the 5-person rule cannot count.",)
    if merged.merged == 0:
        return shown, ()
    done = "left out" if merged.withheld else f"merged into '{OTHER_GROUP}'"
    return shown, (f"{merged.merged} activities with fewer than 5 employees are {done}.",)


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
        shape = compute_process_shape(linked)
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
                monthly_cv=compute_monthly_cv(
                    rows["date"],
                    start=context.start,
                    end=context.end,
                    weights=rows["hours"].cast(pl.Float64),
                ),
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
