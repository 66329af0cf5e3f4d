"""The analysis commands of ``kitflow``: variants, bottlenecks, handovers, compare (and the
view ``kitflow stats`` measures).

``register(cli)`` adds them to the main Typer app. Each prints a table with Danish number
formats, or with ``--json`` exactly one JSON value on stdout. Wrong arguments raise
``InputError`` with a message that says what to give instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.table import Table

from app.console import out, print_json, read_day_start
from app.formatting import format_date, format_duration, format_int, format_number
from app.i18n import translate
from mining import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    OTHER_GROUP,
    Comparison,
    GroupSize,
    LogStats,
    MergedGroups,
    PartitionedLog,
    Performer,
    PrivacyError,
    TimeMode,
    check_group_size,
    check_partitioned_view_size,
    check_view_size,
    compare_periods,
    compute_handovers,
    compute_handovers_per_case,
    compute_log_stats,
    compute_partitioned_handovers,
    compute_partitioned_log_stats,
    compute_partitioned_variants,
    compute_variants,
    discover_dfg,
    discover_partitioned_dfg,
    drop_small_months,
    drop_withheld,
    filter_view,
    find_bottlenecks,
    find_partitioned_bottlenecks,
    find_partitioned_small_months,
    find_partitioned_split_bottlenecks,
    find_ping_pong,
    find_small_months,
    merge_partitioned_small_activities,
    merge_partitioned_small_groups,
    merge_small_activities,
    merge_small_groups,
    rank_shown_bottlenecks,
    read_partitioned_log,
    spark_engine,
)
from models.errors import InputError
from models.schema import ORG_UNIT
from models.store import EVENTS_TABLE, LogStore
from services import compute_ocel_log_stats

T = TypeVar("T", bound=str)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NameArg = Annotated[str, typer.Argument(help="Name of the stored log.")]
WorkingFlag = Annotated[
    bool,
    typer.Option(
        "--working-time",
        help="Measure in Danish working time (weekdays 08-16, without helligdage).",
    ),
]
OrgUnitOption = Annotated[
    list[str] | None,
    typer.Option("--org-unit", help="Only cases that touch this org unit (repeat for more units)."),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First day (Copenhagen date): cases active from it.")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Last day (Copenhagen date), inclusive.")
]
Engine = Literal["polars", "spark"]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="polars|spark: where the scan runs. spark: Apache Spark at KITFLOW_SPARK_MASTER "
        "(unset: spark-submit's master, else local[*]); see docs/spark.md.",
    ),
]
SPARK_MASTER_ENV = "KITFLOW_SPARK_MASTER"
LOCAL_ZONE = ZoneInfo("Europe/Copenhagen")
ACTIVITY_COLUMNS = ("source", "target", "activity")
"""The columns of a ranking that name activities (merged or withheld by the 5-person rule)."""


def register(cli: typer.Typer) -> None:
    """Add the commands ``variants``, ``bottlenecks``, ``handovers`` and ``compare`` to ``cli``."""
    cli.command("variants")(variants_command)
    cli.command("bottlenecks")(bottlenecks_command)
    cli.command("handovers")(handovers_command)
    cli.command("compare")(compare_command)


def _choice(value: str, allowed: tuple[T, ...], flag: str) -> T:
    for option in allowed:
        if value == option:
            return option
    raise InputError(f"{flag} {value!r} is not one of {'|'.join(allowed)}: choose one of them.")


def _time_mode(working: bool) -> TimeMode:
    return "working" if working else "calendar"


def _percent(share: float | None) -> str:
    """A share as "12,5 %"; "–" where there is none (nothing to share, e.g. a month without
    waiting), never "nan %"."""
    if share is None or math.isnan(share):
        return "–"
    return f"{format_number(share * 100, 1)} %"


def variants_command(
    name: NameArg,
    top: Annotated[int, typer.Option(help="Show the N most frequent variants.")] = 10,
    org_unit: OrgUnitOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    engine: EngineOption = "polars",
    as_json: JsonFlag = False,
) -> None:
    """Variants of a stored log: cases, share and throughput per activity sequence."""
    _check_positive(top, "--top")
    if choose_engine(engine) == "spark":
        table = spark_engine.spark_compute_variants(spark_view(name, org_unit, since, until))
    elif (whole := partitioned_view(name, org_unit, since, until)) is not None:
        table = compute_partitioned_variants(whole[0])
    else:
        table = compute_variants(scan_view(name, org_unit, since, until))
    shown = table.head(top)
    if as_json:
        print_json({"variants": table.height, "shown": shown.to_dicts()})
        return
    view = Table("#", "Sager", "Andel", "Gns. gennemløb", "Median", "Forløb")
    for row in shown.iter_rows(named=True):
        view.add_row(
            format_int(row["variant_rank"]),
            format_int(row["cases"]),
            _percent(row["share"]),
            format_duration(row["mean_throughput_s"]),
            format_duration(row["median_throughput_s"]),
            " → ".join(row["variant"]),
        )
    out.print(view)
    out.print(f"{format_int(table.height)} varianter i alt.")


def scan_view(
    name: str, org_units: list[str] | None, since: str | None, until: str | None
) -> pl.LazyFrame:
    """The stored log ``name``: the cases active from ``since`` to ``until`` that touch one of
    ``org_units``, as the process-analysis page shows them; withheld (PrivacyError) when the
    view, or the whole log when nothing is filtered, shows fewer than 5 people (the 5-person
    rule, mining.privacy; a log without people is shown)."""
    units = tuple(org_units or ())
    start = read_day_start(since, "--since")
    end = read_day_start(until, "--until", after=True)
    view = filter_view(LogStore().scan(name), start=start, end=end, org_units=units)
    if check_view_size(view, org_units=units).enough:
        return view
    raise _withheld(name, filtered=bool(units) or start is not None or end is not None)


def partitioned_view(
    name: str, org_units: list[str] | None, since: str | None, until: str | None
) -> tuple[PartitionedLog, GroupSize] | None:
    """The stored log ``name`` read one partition at a time, with its people, when it is stored
    in partitions: the cases active from ``since`` to ``until`` that touch one of
    ``org_units`` (the view of :func:`scan_view`; a case lies in one partition, so each
    partition is filtered alone), whose figures are then computed per partition and merged
    (``mining.partitioned``: memory follows a partition, not the log); None for a log in one
    file (computed over one scan, :func:`scan_view`). Withheld alike when the view shows fewer
    than 5 people."""
    store = LogStore()
    if store.entry(name).kind == "object-centric":
        return None
    paths = store.partition_paths(name)
    if paths is None:
        return None
    units = tuple(org_units or ())
    start = read_day_start(since, "--since")
    end = read_day_start(until, "--until", after=True)
    log = read_partitioned_log(paths, start=start, end=end, org_units=units)
    size = check_partitioned_view_size(log)
    if not size.enough:
        raise _withheld(name, filtered=bool(units) or start is not None or end is not None)
    return log, size


def choose_engine(value: str) -> Engine:
    """``--engine``: polars (this machine) or spark."""
    return _choice(value, ("polars", "spark"), "--engine")


def spark_view(name: str, org_units: list[str] | None, since: str | None, until: str | None) -> Any:
    """:func:`scan_view` on Spark: the stored log's Parquet (its one file or its partitions)
    read by a Spark session at ``KITFLOW_SPARK_MASTER``, filtered and checked alike (a Spark
    DataFrame)."""
    units = tuple(org_units or ())
    start = read_day_start(since, "--since")
    end = read_day_start(until, "--until", after=True)
    view = spark_engine.spark_filter_view(spark_log(name), start=start, end=end, org_units=units)
    people = spark_engine.spark_check_view_size(view, org_units=units)
    if people is None or people >= MIN_PEOPLE:
        return view
    raise _withheld(name, filtered=bool(units) or start is not None or end is not None)


def spark_log(name: str) -> Any:
    """The stored log ``name`` (its one Parquet file or its partitions) as a Spark DataFrame,
    read by a Spark session at ``KITFLOW_SPARK_MASTER``."""
    session = spark_engine.start_spark_session(os.environ.get(SPARK_MASTER_ENV) or None)
    paths = [str(path) for path in LogStore().table_paths(name)]
    return spark_engine.read_spark_log(session, paths)


def _withheld(name: str, *, filtered: bool) -> PrivacyError:
    if filtered:
        return PrivacyError(
            f"this view of {name} (period and org units) shows fewer than 5 people, so it is "
            "withheld (the 5-person rule): widen the period or choose more or larger org units."
        )
    return PrivacyError(
        f"the log {name} shows fewer than 5 people, so its figures are withheld (the 5-person "
        "rule): import a log of more people."
    )


def measure_log(
    name: str, org_units: list[str] | None, since: str | None, until: str | None
) -> tuple[LogStats, bool]:
    """``kitflow stats``: the headline figures of stored log ``name``, or of its cases active
    from ``since`` to ``until`` that touch one of ``org_units`` (the view of
    :func:`scan_view`, withheld alike when it shows fewer than 5 people), and whether the log
    names people to count (False: the rule could count no one). An object-centric log has no
    cases to filter: measured whole, by event type."""
    store = LogStore()
    if store.entry(name).kind == "object-centric":
        if org_units or since is not None or until is not None:
            raise InputError(
                f"{name} is object-centric: --org-unit, --since and --until filter the cases of "
                "a flat log. Leave them out, or flatten the log first."
            )
        events = store.scan(name, EVENTS_TABLE)
        size = check_group_size(events)
        if not size.enough:
            raise PrivacyError(
                f"the log {name} shows fewer than 5 people, so its figures are withheld (the "
                "5-person rule): import a log of more people."
            )
        return compute_ocel_log_stats(events), size.people_known
    whole = partitioned_view(name, org_units, since, until)
    if whole is not None:
        return compute_partitioned_log_stats(whole[0]), whole[1].people_known
    view = scan_view(name, org_units, since, until)
    return compute_log_stats(view), check_group_size(view).people_known


def _merged_note(merged: MergedGroups) -> str | None:
    """What the 5-person rule did to the org units, in Danish, or None."""
    if not merged.people_known:
        return "Loggen har ingen kolonne med personer, så 5-personers-reglen kan ikke tælles her."
    if merged.merged == 0:
        return None
    if merged.withheld:
        return f"{merged.merged} enheder med under 5 personer (også samlet) er udeladt."
    return f"{merged.merged} enheder med under 5 personer er slået sammen til «{OTHER_GROUP}»."


def activity_note(merged: MergedGroups) -> str | None:
    """What the 5-person rule did to the activities, in Danish, or None."""
    if not merged.people_known:
        return translate("analysis.no_people", "da")
    if merged.merged == 0:
        return None
    key = "privacy.withheld_activities" if merged.withheld else "privacy.merged_activities"
    other = translate("privacy.other_activities", "da")
    return translate(key, "da", count=format_int(merged.merged), other=other)


def merged_dfg(view: pl.LazyFrame) -> tuple[pl.DataFrame, MergedGroups]:
    """The DFG of ``view`` with its activities of fewer than 5 people merged and the withheld
    node's arcs left out (a view without a small activity keeps its stored DFG)."""
    merged = merge_small_activities(view)
    if merged.merged == 0:
        return discover_dfg(view), merged
    return drop_withheld(discover_dfg(merged.frame.collect()), ("source", "target")), merged


def whole_log_dfg(name: str) -> tuple[pl.DataFrame, MergedGroups]:
    """:func:`merged_dfg` of the whole stored log ``name``; a log stored in partitions is
    computed one partition at a time (``mining.partitioned``)."""
    whole = partitioned_view(name, None, None, None)
    if whole is None:
        return merged_dfg(scan_view(name, None, None, None))
    log, merged = merge_partitioned_small_activities(whole[0])
    graph = discover_partitioned_dfg(log)
    return (graph if merged.merged == 0 else drop_withheld(graph, ("source", "target"))), merged


def spark_merged_dfg(view: Any) -> tuple[pl.DataFrame, MergedGroups]:
    """:func:`merged_dfg` on Spark, of a :func:`spark_view`."""
    frame, merged = spark_engine.spark_merge_small_activities(view)
    graph = spark_engine.spark_discover_dfg(frame)
    return (graph if merged.merged == 0 else drop_withheld(graph, ("source", "target"))), merged


def danish_activities(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the merged activities named in Danish, for the tables."""
    other = translate("privacy.other_activities", "da")
    named = [c for c in ACTIVITY_COLUMNS if c in frame.columns]
    return frame.with_columns(
        pl.col(c).cast(pl.String).replace(OTHER_ACTIVITIES, other) for c in named
    )


def _merge_units(view: pl.LazyFrame, level: Performer) -> MergedGroups:
    """Org units of fewer than 5 people merged; resources are checked by mining itself."""
    if level == "org_unit":
        return merge_small_groups(view, by=ORG_UNIT)
    return MergedGroups(view, merged=0, other_people=0, withheld=False, people_known=True)


def _mark_merged(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with ``merged``: True where the source or the target is the merged group."""
    merged = (pl.col("source") == OTHER_GROUP) | (pl.col("target") == OTHER_GROUP)
    return pairs.with_columns(merged.fill_null(False).alias("merged"))


def _danish_other(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` with the merged group named in Danish, for the tables."""
    danish = translate("privacy.other", "da")
    return frame.with_columns(pl.col(c).replace(OTHER_GROUP, danish) for c in columns)


def _check_positive(value: int, flag: str) -> None:
    if value < 1:
        raise InputError(f"{flag} {value} must be 1 or more.")


def bottlenecks_command(
    name: NameArg,
    level: Annotated[str, typer.Option(help="arc|activity")] = "arc",
    by: Annotated[str, typer.Option(help="none|month|org_unit")] = "none",
    top: Annotated[int, typer.Option(help="Show the N worst per group.")] = 10,
    working_time: WorkingFlag = False,
    org_unit: OrgUnitOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    engine: EngineOption = "polars",
    as_json: JsonFlag = False,
) -> None:
    """Arcs or activities ranked by the total waiting time they cause (org units and
    activities of fewer than 5 people merged, months whose events show fewer than 5 people left
    out: the 5-person rule)."""
    _check_positive(top, "--top")
    chosen: Literal["arc", "activity"] = _choice(level, ("arc", "activity"), "--level")
    split: Literal["none", "month", "org_unit"] = _choice(by, ("none", "month", "org_unit"), "--by")
    # Arcs and activities alike: an arc into or out of an activity of fewer than 5 people is
    # a figure about them too. Ranked again once the withheld rows are out, so that neither a
    # rank nor a share tells their waiting.
    if choose_engine(engine) == "spark":
        if working_time:
            raise InputError("--working-time is measured by the polars engine: leave out --engine.")
        spark = spark_view(name, org_unit, since, until)
        frame, activities = spark_engine.spark_merge_small_activities(spark)
        ranked = spark_engine.spark_find_bottlenecks(frame, level=chosen, by=split)
        small_months = (
            spark_engine.spark_find_small_months(spark, of="event") if by == "month" else []
        )
    elif (whole := partitioned_view(name, org_unit, since, until)) is not None:
        log, activities = merge_partitioned_small_activities(whole[0])
        ranked = (
            find_partitioned_bottlenecks(log, level=chosen)
            if split == "none" and not working_time
            else find_partitioned_split_bottlenecks(
                log, level=chosen, by=split, time=_time_mode(working_time)
            )
        )
        small_months = find_partitioned_small_months(whole[0]) if by == "month" else []
    else:
        view = scan_view(name, org_unit, since, until)
        activities = merge_small_activities(view)
        ranked = find_bottlenecks(
            activities.frame, level=chosen, by=split, time=_time_mode(working_time)
        )
        small_months = find_small_months(view, of="event") if by == "month" else []
    ranked = drop_small_months(ranked, small_months)
    ranked = drop_withheld(ranked, tuple(c for c in ACTIVITY_COLUMNS if c in ranked.columns))
    ranked = rank_shown_bottlenecks(ranked, top=top)
    if "org_unit" in ranked.columns:
        ranked = ranked.with_columns((pl.col("org_unit") == OTHER_GROUP).alias("merged"))
    if as_json:
        print_json(ranked.to_dicts())
        return
    if small_months:
        out.print(
            f"{len(small_months)} måneder med under 5 personer er udeladt (5-personers-reglen)."
        )
    note = activity_note(activities)
    if note is not None:
        out.print(note)
    ranked = _danish_other(ranked, tuple(c for c in ("org_unit",) if c in ranked.columns))
    ranked = danish_activities(ranked)
    columns = [c for c in ("month", "org_unit") if c in ranked.columns]
    keys = ["source", "target"] if level == "arc" else ["activity"]
    table = Table(*columns, *keys, "Rang", "Antal", "Gns. ventetid", "Samlet ventetid", "Andel")
    for row in ranked.iter_rows(named=True):
        table.add_row(
            *(format_date_cell(row[c]) for c in columns),
            *(row[k] or "" for k in keys),
            format_int(row["rank"]),
            format_int(row["frequency"]),
            format_duration(row["mean_wait_s"]),
            format_duration(row["total_wait_s"]),
            _percent(row["wait_share"]),
        )
    out.print(table)


def format_date_cell(value: Any) -> str:
    """A month (a date) as 01.05.2024, anything else as text."""
    if isinstance(value, dt.date):
        return format_date(dt.datetime.combine(value, dt.time(12), tzinfo=LOCAL_ZONE))
    return "–" if value is None else str(value)


def handovers_command(
    name: NameArg,
    level: Annotated[str, typer.Option(help="org_unit|resource")] = "org_unit",
    top: Annotated[int, typer.Option(help="Show the N largest handovers.")] = 20,
    org_unit: OrgUnitOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    engine: EngineOption = "polars",
    as_json: JsonFlag = False,
) -> None:
    """Handovers of work between org units (those of fewer than 5 people merged) or, in
    groups of 5 or more, resources."""
    _check_positive(top, "--top")
    chosen: Performer = _choice(level, ("org_unit", "resource"), "--level")
    pairs = ("source", "target")
    if choose_engine(engine) == "spark":
        matrix, ping_pong, merged, (cases, total, bounces) = _spark_handovers(
            name, org_unit, since, until, chosen
        )
    elif (whole := partitioned_view(name, org_unit, since, until)) is not None:
        matrix, ping_pong, merged, (cases, total, bounces) = _partitioned_handovers(
            whole[0], chosen
        )
    else:
        merged = _merge_units(scan_view(name, org_unit, since, until), chosen)
        events = merged.frame
        matrix = compute_handovers(events, level=chosen)
        ping_pong = find_ping_pong(events, level=chosen)
        per_case = compute_handovers_per_case(events, level=chosen)
        cases = per_case.height
        total, bounces = int(per_case["handovers"].sum()), int(per_case["ping_pongs"].sum())
    matrix = _mark_merged(drop_withheld(matrix, pairs))
    ping_pong = _mark_merged(drop_withheld(ping_pong, pairs))
    per_case_mean = total / cases if cases else None
    if as_json:
        print_json(
            {
                "level": chosen,
                "cases": cases,
                "handovers": total,
                "mean_handovers_per_case": per_case_mean,
                "ping_pongs": bounces,
                "matrix": matrix.to_dicts(),
                "ping_pong": ping_pong.to_dicts(),
                "merged_units": 0 if merged.withheld else merged.merged,
                "withheld_units": merged.merged if merged.withheld else 0,
                "people_counted": merged.people_known,
            }
        )
        return
    out.print(
        f"{format_int(total)} overdragelser i {format_int(cases)} sager "
        f"({format_number(per_case_mean, 2)} pr. sag), {format_int(bounces)} ping-pong."
    )
    note = _merged_note(merged) if chosen == "org_unit" else None
    if note is not None:
        out.print(note)
    matrix = _danish_other(matrix, pairs)
    view = Table("Fra", "Til", "Overdragelser", "Sager", "Andel")
    for row in matrix.head(top).iter_rows(named=True):
        view.add_row(
            row["source"],
            row["target"],
            format_int(row["handovers"]),
            format_int(row["cases"]),
            _percent(row["share"]),
        )
    out.print(view)


def _partitioned_handovers(
    log: PartitionedLog, level: Performer
) -> tuple[pl.DataFrame, pl.DataFrame, MergedGroups, tuple[int, int, int]]:
    """The handover figures of a whole partitioned log, one partition at a time (the org units
    of fewer than 5 people decided over all partitions first, ``mining.partitioned``)."""
    if level == "org_unit":
        groups, merged = merge_partitioned_small_groups(log, by=ORG_UNIT)
    else:
        groups, merged = None, _merge_units(pl.LazyFrame(), level)
    found = compute_partitioned_handovers(log, level=level, groups=groups)
    totals = (found.cases, found.handovers, found.ping_pongs)
    return found.matrix, found.ping_pong, merged, totals


def _spark_handovers(
    name: str, org_unit: list[str] | None, since: str | None, until: str | None, level: Performer
) -> tuple[pl.DataFrame, pl.DataFrame, MergedGroups, tuple[int, int, int]]:
    """The handover matrix, the ping-pong table, the merged units and (cases, handovers,
    ping-pongs) of a view, on Spark (between org units: no figures per person there)."""
    if level != "org_unit":
        raise InputError(
            "--engine spark counts handovers between org units: use --level org_unit, or leave "
            "out --engine for handovers between people."
        )
    frame, merged = spark_engine.spark_merge_small_groups(
        spark_view(name, org_unit, since, until), by=ORG_UNIT
    )
    matrix = spark_engine.spark_compute_handovers(frame)
    ping_pong = spark_engine.spark_find_ping_pong(frame)
    totals = (
        spark_engine.spark_count_cases(frame),
        int(matrix["handovers"].sum()),
        int(ping_pong["occurrences"].sum()),
    )
    return matrix, ping_pong, merged, totals


def compare_command(
    name: NameArg,
    at: Annotated[str, typer.Option(help="Date (Copenhagen time) or ISO time with offset.")],
    measure: Annotated[
        str, typer.Option(help="throughput_s|time_between_s|wait_s|events|handovers|rework")
    ] = "throughput_s",
    statistic: Annotated[str, typer.Option(help="mean|median")] = "mean",
    source: Annotated[str | None, typer.Option(help="From activity (time_between_s).")] = None,
    target: Annotated[
        str | None, typer.Option(help="To activity (time_between_s), or waited-for (wait_s).")
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap and permutation rounds.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the random generator.")] = 0,
    working_time: WorkingFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """A measure before and after a date, with a bootstrap interval and a permutation p-value."""
    _check_positive(resamples, "--resamples")
    store = LogStore()
    # A log in partitions is measured one partition at a time (each measure is per case).
    paths = store.partition_paths(name)
    result = compare_periods(
        store.scan(name) if paths is None else read_partitioned_log(paths),
        at=parse_moment(at),
        measure=_choice(
            measure,
            ("throughput_s", "time_between_s", "wait_s", "events", "handovers", "rework"),
            "--measure",
        ),
        statistic=_choice(statistic, ("mean", "median"), "--statistic"),
        time=_time_mode(working_time),
        source=source,
        target=target,
        resamples=resamples,
        seed=seed,
    )
    if as_json:
        print_json(dataclasses.asdict(result))
        return
    _print_comparison(result, working_time=working_time)


def parse_moment(text: str) -> dt.datetime:
    """``2024-05-01`` (midnight, Copenhagen time) or an ISO time; without offset: Copenhagen."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--at {text!r} is not a date: give it as 2024-05-01 or 2024-05-01T08:00+02:00."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_ZONE)


def _print_comparison(result: Comparison, *, working_time: bool) -> None:
    is_time = result.measure.endswith("_s")

    def show(value: float) -> str:
        if not is_time:
            return format_number(value, 2)
        # Working time in days of 24 hours would mislead: show working hours.
        return f"{format_number(value / 3600, 1)} arb.t" if working_time else format_duration(value)

    out.print(f"{result.measure} ({result.statistic}) omkring {result.at.isoformat()}:")
    out.print(f"  før:   {show(result.before)} ({format_int(result.cases_before)} sager)")
    out.print(f"  efter: {show(result.after)} ({format_int(result.cases_after)} sager)")
    out.print(
        f"  forskel: {show(result.difference)}, "
        f"{format_number(result.confidence * 100, 0)} %-interval "
        f"[{show(result.ci_low)}; {show(result.ci_high)}], "
        f"p = {format_number(result.p_value, 4)}"
    )
