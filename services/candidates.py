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
  automated* (go-live = its first transaction) and is reported apart, with the realised share
  and the robot's run mode (``run_mode``: unattended RPA or attended RDA).

**The period.** Each source is measured over its own period: the options' dates, and where one
is not given, the source's own first or last day (a log's first and last case start, the time
registration's first and last booking). So a public log from 2010 stored beside the KIT data
does not stretch the KIT processes' period (and dilute their hours a year); hours and robot
transactions are linked to a log's cases only inside that log's period.

**One row per process.** The sources' rows (a catalog item or incident category of each log, an
activity of the time registration) are merged into one process when

1. their names are the same once normalised (case folded, "&" read as "og", punctuation and
   repeated spaces dropped: :func:`normalise_process_name`), e.g. a catalog item in both
   ``servicenow-orders`` and ``kit-orders``;
2. more than half of an activity's case-linked registered hours were booked on one row's cases,
   or more than half of the hours linked to a row's cases were booked on one activity (the
   hours say which process the work was for: Ledelsestilsyn's hours reference the
   Ledelsestilsyn orders; the incident categories' hours are all Incidenthåndtering); or
3. the same robot process handles their cases (Standard requests: three catalog items and one
   activity).

The merged row takes its volume, shape (variants, branching, rework, exceptions) and monthly
variation from the log with the most cases a year, over the union of that log's merged rows'
cases; its hours from the time-registration activities when one is merged (everything booked on
them; else the hours linked to the cases; else mined); and the robot that handles the most of
its transactions. ``ProcessMeasures.factor_sources`` names the source of each factor. The
label is the activity's name (the name the people doing the work book it under), else the
largest row's.

**Criticality.** A weight per process the analyst sets (``kitflow candidates --criticality
NAME=WEIGHT``, or the page), kept in ``candidates/criticality.json`` of the data folder and
matched by the normalised name of the process or of any row merged into it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from models.business_case_io import parse_business_case, read_business_case
from models.candidates import (
    Automated,
    CandidateParameters,
    CandidateScore,
    DraftCase,
    HoursBasis,
    ProcessMeasures,
    build_draft_bindings_yaml,
    build_draft_case_yaml,
    rank_candidates,
)
from models.datafolder import DataFolder
from models.errors import InputError
from models.followup import binding_path_for, read_bindings
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
    periods: tuple[tuple[str, dt.date, dt.date], ...] = ()
    """Each source measured, with its own period (first and last day)."""


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
    """Measure every process in the stored data, each source over its own period, merge the
    sources' rows of one process, weigh by criticality and rank them.

    The measuring (the slow part: seconds on the demo data) is kept for the same options and
    the same files (their size and modification time: a new import, extraction or time
    registration measures again); the criticality is read and weighed on every call."""
    measured = _measure_cached(store, options)
    weights = read_criticality(store.data)
    scores = rank_candidates([_weigh(m, weights) for m in measured.measures], parameters)
    periods = measured.periods
    start = min(p[1] for p in periods)
    end = max(p[2] for p in periods)
    return CandidateReport(parameters, scores, start, end, measured.inputs, measured.notes, periods)


@dataclass(frozen=True)
class _Measured:
    """The merged processes (not yet weighed) and what they rest on."""

    measures: tuple[ProcessMeasures, ...]
    periods: tuple[tuple[str, dt.date, dt.date], ...]
    inputs: tuple[str, ...]
    notes: tuple[str, ...]


_KEPT = 8
_measured: OrderedDict[tuple[object, ...], _Measured] = OrderedDict()
_measured_lock = threading.Lock()


def _measure_cached(store: LogStore, options: CandidateOptions) -> _Measured:
    key = _fingerprint(store, options)
    with _measured_lock:
        if key in _measured:
            _measured.move_to_end(key)
            return _measured[key]
    found = _measure(store, options)
    with _measured_lock:
        _measured[key] = found
        while len(_measured) > _KEPT:
            _measured.popitem(last=False)
    return found


def _fingerprint(store: LogStore, options: CandidateOptions) -> tuple[object, ...]:
    """The options and every file the measuring reads, with its size and modification time."""
    data = store.data
    logs = _log_names(store, options.logs)
    sources = (
        sorted(p.name for p in data.intermediate().iterdir())
        if data.intermediate().is_dir()
        else []
    )
    paths = [
        *(data.log_table(name) for name in logs),
        data.hours(),
        data.robot_transactions(),
        *(data.staged_table(s, t) for s in sources for t in ("sc_cat_item", "sc_req_item")),
    ]
    stamps: list[tuple[str, int | None, int | None]] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            stamps.append((str(path), None, None))
            continue
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return (str(data.root.resolve()), options, tuple(logs), tuple(stamps))


def _measure(store: LogStore, options: CandidateOptions) -> _Measured:
    logs = _log_names(store, options.logs)
    hours = _read_optional(store.data.hours())
    robots = _read_optional(store.data.robot_transactions())
    if not logs and hours is None:
        raise InputError(
            "there is nothing to rank: no flat event log is stored and there is no "
            f"{HOURS_FILE}. Import a log ('kitflow import' or 'kitflow extract') or build the "
            "landscape ('kitflow demo') first."
        )
    _window(options)  # refuses --until before --since
    events = {name: _events_in(store, name, options) for name in logs}
    hours = _hours_in(hours, options) if hours is not None else None
    robots = _robots_in(robots, options) if robots is not None else None
    catalog = _read_catalog(store.data)
    periods: list[tuple[str, dt.date, dt.date]] = []
    rows: list[_Row] = []
    for name, frame in events.items():
        period = _source_period(options, _case_days(frame))
        if period is None:
            continue
        periods.append((name, *period))
        context = _context(period, hours, robots, catalog)
        rows += _log_measures(context, name, frame)
    notes: tuple[str, ...] = ()
    hours_period = (
        _source_period(options, hours["date"] if hours.height else None)
        if hours is not None
        else None
    )
    if hours is not None and hours_period is not None:
        periods.append(("time registration", *hours_period))
        context = _context(hours_period, hours, robots, catalog)
        all_events = pl.concat(list(events.values()), how="diagonal") if events else None
        shown, notes = _merge_small_activities(
            context.hours if context.hours is not None else hours
        )
        rows += _activity_measures(context, shown, all_events)
    if not periods:
        raise InputError(
            "no case and no registered hour lies in the period: widen --since/--until."
        )
    inputs = (
        *(f"log {name}" for name in logs),
        *((str(HOURS_FILE),) if hours is not None else ()),
        *((str(TRANSACTIONS_FILE),) if robots is not None else ()),
    )
    notes = _notes(hours is not None, robots is not None) + notes
    return _Measured(tuple(merge_processes(rows)), tuple(periods), inputs, notes)


def _context(
    period: tuple[dt.date, dt.date],
    hours: pl.DataFrame | None,
    robots: pl.DataFrame | None,
    catalog: _Catalog,
) -> _Context:
    """A source's context: its period, and the hours and robot transactions inside it."""
    start, end = period
    inside = hours.filter(pl.col("date").is_between(start, end)) if hours is not None else None
    if robots is not None:
        day = pl.col("start").dt.date()
        robots = robots.filter(day.is_between(start, end))
    years = ((end - start).days + 1) / DAYS_PER_YEAR
    return _Context(inside, robots, years, start, end, catalog)


def _case_days(frame: pl.DataFrame) -> pl.Series | None:
    return compute_case_starts(frame)["day"] if frame.height else None


def _source_period(
    options: CandidateOptions, days: pl.Series | None
) -> tuple[dt.date, dt.date] | None:
    """The source's own first to last day inside the options' dates (a date not given: the
    source's own). None when the source has nothing in the period."""
    if days is None or not days.len():
        return None
    first: dt.date = days.min()  # type: ignore[assignment]
    last: dt.date = days.max()  # type: ignore[assignment]
    start = max(options.since, first) if options.since else first
    end = min(options.until, last) if options.until else last
    return start, end


@dataclass(frozen=True)
class _Catalog:
    """The staged catalog items (``sys_id``, ``name``) and orders (``number``, ``cat_item``)
    of every source, which name the processes of logs that do not carry them."""

    items: pl.DataFrame | None
    orders: pl.DataFrame | None


@dataclass(frozen=True)
class _Row:
    """One source's row before merging: its measures and the case ids it holds (a log's)."""

    measures: ProcessMeasures
    log: str | None
    cases: pl.Series
    linked_hours: pl.DataFrame | None = None
    """For an activity: its case-linked hours (``case_reference``, ``date``, ``hours``)."""
    events: pl.DataFrame | None = None
    context: _Context | None = None


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


def _log_measures(context: _Context, name: str, events: pl.DataFrame) -> list[_Row]:
    if not events.height:
        return []
    groups = find_case_groups(
        events, catalog_items=context.catalog.items, ordered_items=context.catalog.orders
    )
    measures = []
    for (group,), members in groups.cases.group_by("group", maintain_order=True):
        ids = members[CASE]
        part = events.filter(pl.col(CASE).is_in(ids.implode()))
        measured = _measure_cases(
            context,
            candidate_id=f"{name}:{group}",
            label=str(group) if groups.found_by != "log" else name,
            source=name,
            level="process",
            events=part,
            references=ids,
        )
        measures.append(_Row(measured, name, ids, events=part, context=context))
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
        period=(context.start.isoformat(), context.end.isoformat()),
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
    modes = (
        sorted(runs["run_mode"].drop_nulls().unique().to_list())
        if "run_mode" in runs.columns
        else []
    )
    run_mode = modes[0] if len(modes) == 1 else "mixed" if modes else None
    successful = runs.filter(pl.col("status").str.to_lowercase().is_in(SUCCESS))
    manual_since = first_days.filter(pl.col("day") >= go_live.date())["reference"]  # type: ignore[union-attr]
    handled = pl.concat([runs["reference"], manual_since]).n_unique()
    share = min(successful["reference"].n_unique() / handled, 1.0) if handled else 0.0
    return Automated(
        robot_process=str(process),
        go_live=go_live.date().isoformat(),  # type: ignore[union-attr]
        realised_share=share,
        robot_transactions=runs.height,
        run_mode=run_mode,
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
) -> list[_Row]:
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
        measured = ProcessMeasures(
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
            period=(context.start.isoformat(), context.end.isoformat()),
        )
        linked = rows.filter(pl.col("case_reference").is_not_null()).select(
            "case_reference", "date", "hours"
        )
        measures.append(_Row(measured, None, pl.Series(CASE, [], pl.String), linked))
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


# -- one row per process -------------------------------------------------------------------------

MAJORITY = 0.5
"""An activity joins a row when more than this share of its case-linked hours lie on its cases."""


def normalise_process_name(name: str) -> str:
    """Case folded, "&" read as "og", punctuation dropped, spaces collapsed: the key two
    sources' names of one process share ("Drift & Infrastruktur" = "drift og infrastruktur")."""
    text = name.casefold().replace("&", " og ")
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def merge_processes(rows: Sequence[_Row]) -> list[ProcessMeasures]:
    """The sources' rows merged into one per process (the module's rules)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    by_name: dict[str, int] = {}
    by_robot: dict[str, int] = {}
    for i, row in enumerate(rows):
        m = row.measures
        if not (row.log is not None and m.label == row.log):  # a whole log has no process name
            key = normalise_process_name(m.label)
            if key in by_name:
                join(i, by_name[key])
            by_name.setdefault(key, i)
        if m.automated is not None:
            robot = m.automated.robot_process
            if robot in by_robot:
                join(i, by_robot[robot])
            by_robot.setdefault(robot, i)
    for i, j in _hour_links(rows):
        join(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(find(i), []).append(i)
    return [_merge([rows[i] for i in members]) for members in groups.values()]


def _hour_links(rows: Sequence[_Row]) -> list[tuple[int, int]]:
    """(activity, log row) pairs where more than half the activity's case-linked hours lie on
    the row's cases, or more than half the hours on the row's cases are the activity's (hours
    booked inside the row's period)."""
    cases = [
        pl.DataFrame(
            {
                "case_reference": row.cases.cast(pl.String),
                "row": i,
                "first": dt.date.fromisoformat(row.measures.period[0]),
                "last": dt.date.fromisoformat(row.measures.period[1]),
            }
        )
        for i, row in enumerate(rows)
        if row.log is not None and row.cases.len() and row.measures.period is not None
    ]
    booked = [
        row.linked_hours.with_columns(pl.lit(i).alias("activity"))
        for i, row in enumerate(rows)
        if row.linked_hours is not None and row.linked_hours.height
    ]
    if not cases or not booked:
        return []
    hours = pl.concat(booked)
    shared = (
        hours.join(pl.concat(cases), on="case_reference")
        .filter(pl.col("date").is_between(pl.col("first"), pl.col("last")))
        .group_by("activity", "row")
        .agg(pl.col("hours").sum())
    )
    of_activity = hours.group_by("activity").agg(pl.col("hours").sum().alias("activity_total"))
    of_row = shared.group_by("row").agg(pl.col("hours").sum().alias("row_total"))
    shares = shared.join(of_activity, on="activity").join(of_row, on="row")
    linked = shares.filter(
        (pl.col("hours") > MAJORITY * pl.col("activity_total"))
        | (pl.col("hours") > MAJORITY * pl.col("row_total"))
    )
    return [(int(a), int(r)) for a, r in linked.select("activity", "row").iter_rows()]


def _merge(members: list[_Row]) -> ProcessMeasures:
    if len(members) == 1:
        return members[0].measures
    logged = [r for r in members if r.log is not None and r.events is not None]
    activities = [r for r in members if r.log is None]
    factors: list[tuple[str, str]] = []
    if logged:
        volumes: dict[str, list[_Row]] = {}
        for row in logged:
            volumes.setdefault(str(row.log), []).append(row)
        log, chosen = max(
            volumes.items(), key=lambda item: (sum(r.measures.cases for r in item[1]), item[0])
        )
        context = chosen[0].context
        assert context is not None
        ids = pl.concat([r.cases for r in chosen]).unique()
        events = pl.concat([r.events for r in chosen if r.events is not None])
        base = _measure_cases(
            context,
            candidate_id=chosen[0].measures.candidate_id,
            label=chosen[0].measures.label,
            source=log,
            level="process",
            events=events,
            references=ids,
        )
        factors += [("volume", log), ("shape", log)]
    else:
        base = activities[0].measures
        factors += [("volume", "time registration"), ("shape", "time registration")]
    if activities:
        first = activities[0].measures
        base = replace(
            base,
            handling_hours=sum(r.measures.handling_hours for r in activities),
            hours_basis="registered",
            case_years=base.years if logged else None,
            years=first.years,
            period=first.period if not logged else base.period,
        )
        factors.append(("hours", "time registration"))
    else:
        factors.append(("hours", base.source if base.hours_basis != "none" else "none"))
    robots = [r.measures for r in members if r.measures.automated is not None]
    if robots:
        best = max(robots, key=lambda m: m.automated.robot_transactions if m.automated else 0)
        base = replace(base, automated=best.automated)
        factors.append(("automated", best.source))
    else:
        base = replace(base, automated=None)
    lead = activities[0].measures if activities else base
    sources = sorted(
        {r.measures.source for r in members}, key=lambda s: (s == "time registration", s)
    )
    return replace(
        base,
        candidate_id=lead.candidate_id,
        label=lead.label,
        level="process",
        source=" + ".join(sources),
        members=tuple(r.measures.candidate_id for r in members),
        factor_sources=tuple(factors),
    )


def _weigh(measures: ProcessMeasures, criticality: Mapping[str, float]) -> ProcessMeasures:
    names = [measures.label, measures.candidate_id, *measures.members]
    names += [m.partition(":")[2] for m in measures.members]
    for name in names:
        weight = criticality.get(normalise_process_name(name))
        if weight is not None:
            return replace(measures, criticality=weight)
    return measures


# -- criticality ---------------------------------------------------------------------------------


def read_criticality(data: DataFolder) -> dict[str, float]:
    """The weights the analysts set: normalised process name -> weight (none set: empty)."""
    path = data.candidate_criticality()
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text("utf-8"))
    except ValueError as error:
        raise InputError(f"{path} is not JSON ({error}): fix or delete it.") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} must hold an object of process name -> weight.")
    return {normalise_process_name(str(k)): float(v) for k, v in raw.items()}


def parse_criticality(text: str) -> tuple[str, float]:
    """``NAME=WEIGHT`` (a weight above 0, at most 10; a decimal comma is read too)."""
    name, sep, value = text.rpartition("=")
    try:
        weight = float(value.strip().replace(",", "."))
    except ValueError:
        weight = -1.0
    if not sep or not name.strip() or not 0 < weight <= MAX_CRITICALITY:
        raise InputError(
            f"{text!r} is not PROCESS=WEIGHT with a weight above 0 and at most "
            f"{MAX_CRITICALITY:g} (e.g. 'Ledelsestilsyn=2')."
        )
    return name.strip(), weight


MAX_CRITICALITY = 10.0


def write_criticality(data: DataFolder, name: str, weight: float) -> dict[str, float]:
    """Set ``name``'s weight (1 removes it) in the data folder's file; the weights after."""
    if not 0 < weight <= MAX_CRITICALITY:
        raise InputError(
            f"the criticality of {name!r} must be above 0 and at most {MAX_CRITICALITY:g}, "
            f"got {weight}."
        )
    path = data.candidate_criticality()
    current: dict[str, float] = {}
    if path.exists():
        loaded = json.loads(path.read_text("utf-8"))
        current = {str(k): float(v) for k, v in loaded.items()}
    key = normalise_process_name(name)
    current = {k: v for k, v in current.items() if normalise_process_name(k) != key}
    if weight != 1:
        current[name.strip()] = weight
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.partial")
    temporary.write_text(json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True), "utf-8")
    temporary.replace(path)
    return current


# -- a business-case draft -----------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateDraft:
    """A candidate's business-case draft and its follow-up bindings, both checked by the
    readers; ``case_file`` is the file name the bindings name."""

    score: CandidateScore
    case_file: str
    case_text: str
    bindings_file: str
    bindings_text: str


def find_score(report: CandidateReport, wanted: str) -> CandidateScore:
    """The candidate with this id, or at this rank; an error lists the ids near the top."""
    for score in report.scores:
        if score.measures.candidate_id == wanted or (
            wanted.isdigit() and score.rank == int(wanted) and score.rank > 0
        ):
            return score
    known = ", ".join(s.measures.candidate_id for s in report.scores[:10])
    raise InputError(
        f"no candidate is called {wanted!r}: give an id from 'kitflow candidates --json' "
        f"or a rank number (the first: {known})."
    )


def draft_file_name(score: CandidateScore) -> str:
    """``automatisering-<process>.yaml``: the draft's file name from the process's name."""
    slug = "-".join(normalise_process_name(score.measures.label).split()) or "kandidat"
    return f"automatisering-{slug}.yaml"


def build_candidate_draft(
    report: CandidateReport,
    wanted: str,
    *,
    case_file: str | None = None,
    first_year: int | None = None,
) -> CandidateDraft:
    """The draft case and bindings of candidate ``wanted`` (id or rank): development in the
    year after the candidate's period (or ``first_year``), read back by the case and bindings
    readers before they are handed out."""
    score = find_score(report, wanted)
    period = score.measures.period
    end_year = int(period[1][:4]) if period else report.period_end.year
    draft = DraftCase(first_year=first_year or end_year + 1)
    name = case_file or draft_file_name(score)
    text = build_draft_case_yaml(score, report.parameters, draft)
    parse_business_case(text, source=name)  # refuse what the reader rejects
    bindings_name = binding_path_for(Path(name)).name
    bindings_text = build_draft_bindings_yaml(score, draft, name)
    return CandidateDraft(score, name, text, bindings_name, bindings_text)


def check_draft_bindings(path: Path) -> None:
    """Read back a written bindings file (raises what the reader finds)."""
    read_bindings(path)
