"""The scan operations on Apache Spark (PySpark), for logs beyond one machine.

Each function takes a Spark DataFrame of a canonical event log (``read_spark_log``: the stored
Parquet, one file or the partitions of ``models.partitions``, local or on ADLS/S3 through
Spark's own connectors) and returns the polars frame its polars namesake returns, with the
same columns, types, order and values (docs/spark.md; tests/test_spark_engine.py):

- the heavy part (one pass over the events: windows over each case in stored order, group-bys)
  runs in Spark; only the result (one row per arc, variant, case or rule result) comes back to
  the driver, where the ranking, shares and sorting are those of the polars engine;
- stored order is (case, time, order): a window per case ordered by (``timestamp``,
  ``event_order``) gives each event its neighbours, as the polars engine's shifts do;
- medians are exact (Spark's ``percentile``, linear interpolation, as polars' median); the
  graph's mean durations are the exact integer sums of microseconds over the counts, as polars
  takes them; the tests compare every value exactly (floats bit for bit) on BPIC 2013;
- rule checks run the polars rule engine itself on groups of whole cases
  (``groupBy().applyInArrow``); what depends on the whole log (the org unit a case is reported
  under, the months withheld under the 5-person rule) is computed in Spark over the whole log;
- calendar time only: working time (Danish holidays) is the polars engine's.

PySpark is an optional dependency (``pip install kitflow[spark]``, Java 17 or later): it is
imported inside the functions, so the rest of KIT Flow never needs it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Literal

import polars as pl
import pyarrow as pa

from mining.bottlenecks import BottleneckLevel, Split, rank_shown_bottlenecks
from mining.dfg import DFG_SCHEMA
from mining.filters import Level, WindowMode, org_unit_key
from mining.log_index import rank_variant_table
from mining.privacy import (
    MIN_PEOPLE,
    OTHER_ACTIVITIES,
    OTHER_GROUP,
    WITHHELD_GROUP,
    MergedGroups,
    drop_withheld,
)
from mining.rules import NO_ORG_UNIT, Rule, check_rules
from models.errors import InputError
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    ORG_UNIT,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql.window import WindowSpec

LOCAL_ZONE = "Europe/Copenhagen"
DEFAULT_MASTER = "local[*]"


# ------------------------------------------------------------------------------ session, log


def start_spark_session(master: str | None = None, *, app_name: str = "kitflow") -> SparkSession:
    """The Spark session: ``master`` (e.g. ``local[2]``, ``spark://host:7077``, ``yarn``) or,
    when None, the one ``spark-submit`` or the platform (Databricks, Synapse) set, else
    ``local[*]``. Times are read and grouped in UTC (``spark.sql.session.timeZone``), as the
    store keeps them; in local mode the workers run this Python (``PYSPARK_PYTHON``) unless
    it is set."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    if _runs_locally(master):
        # One machine: its workers run this Python (with polars), few shuffle partitions and
        # no web UI. A cluster keeps its own settings (spark-submit's or the platform's).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.sql.shuffle.partitions", "8").config(
            "spark.ui.enabled", "false"
        )
    return (
        builder.config("spark.sql.session.timeZone", "UTC")
        # Column names as polars reads them: "Resource" and "resource" are two columns.
        .config("spark.sql.caseSensitive", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _runs_locally(master: str | None) -> bool:
    """True for a ``local`` master, and for none when neither spark-submit (which starts the
    driver with a gateway, ``PYSPARK_GATEWAY_PORT``) nor Databricks set one: PySpark then
    runs ``local[*]``."""
    if master is not None:
        return master.startswith("local")
    launched = ("PYSPARK_GATEWAY_PORT", "DATABRICKS_RUNTIME_VERSION")
    return not any(name in os.environ for name in launched)


def read_spark_log(spark: SparkSession, paths: Sequence[str]) -> SparkFrame:
    """The events of a stored log as a Spark DataFrame: its Parquet file or its partition
    files (local paths, or ``abfss://…``/``s3a://…`` URLs read by Spark's connectors)."""
    if not paths:
        raise InputError("no Parquet files to read: give the log's events file or partitions.")
    return spark.read.parquet(*paths)


def to_polars(frame: SparkFrame) -> pl.DataFrame:
    """A (small) Spark result as a polars frame, through Arrow."""
    table: pa.Table = frame.toArrow()
    result = pl.from_arrow(table)
    if not isinstance(result, pl.DataFrame):  # a one-column table still comes as a frame
        raise TypeError("expected a table from Spark")
    return result


def _case_window() -> WindowSpec:
    from pyspark.sql import Window

    return Window.partitionBy(CASE).orderBy(TIMESTAMP, EVENT_ORDER)


def _micros(column: str) -> Column:
    from pyspark.sql import functions as F

    return F.unix_micros(F.col(column))


def _where(events: SparkFrame, condition: Column) -> SparkFrame:
    """``events`` where ``condition`` holds; a window function is allowed in it (Spark allows
    none in a WHERE clause: it is computed as a column first)."""
    from pyspark.sql import functions as F

    return events.withColumn("_keep", condition).where(F.col("_keep")).drop("_keep")


def _median(column: Column | str) -> Column:
    from pyspark.sql import functions as F

    return F.percentile(column, F.lit(0.5))


# ------------------------------------------------------------------------------------ filters


def spark_filter_time_window(
    events: SparkFrame, *, start: dt.datetime, end: dt.datetime, mode: WindowMode = "intersecting"
) -> SparkFrame:
    """``mining.filter_time_window`` on Spark: cases (or, ``trim``, events) by [start, end)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    for moment, name in ((start, "start"), (end, "end")):
        if moment.tzinfo is None:
            raise InputError(f"the window {name} {moment.isoformat()} has no time zone.")
    start_us = int((start - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
    end_us = int((end - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
    at = _micros(TIMESTAMP)
    if mode == "trim":
        return events.where((at >= start_us) & (at < end_us))
    case = Window.partitionBy(CASE)
    first, last = F.min(at).over(case), F.max(at).over(case)
    inside = {
        "contained": (first >= start_us) & (last < end_us),
        "intersecting": (first < end_us) & (last >= start_us),
        "started": (first >= start_us) & (first < end_us),
        "completed": (last >= start_us) & (last < end_us),
    }[mode]
    return _where(events, inside)


def spark_filter_attribute(
    events: SparkFrame,
    column: str,
    values: Collection[str | int | float | bool],
    *,
    level: Level = "case",
    keep: bool = True,
) -> SparkFrame:
    """``mining.filter_attribute`` on Spark: events whose ``column`` (as text) is one of
    ``values``, or whole cases with one such event; ``keep=False`` drops them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if column not in events.columns:
        known = ", ".join(events.columns)
        raise InputError(f"the log has no column {column!r}; its columns are: {known}.")
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    matches = F.coalesce(F.col(column).cast("string").isin(texts), F.lit(False))
    if level == "case":
        matches = F.max(matches.cast("int")).over(Window.partitionBy(CASE)) == 1
    return _where(events, matches == F.lit(keep))


def spark_filter_case_size(
    events: SparkFrame, *, min_events: int = 1, max_events: int | None = None
) -> SparkFrame:
    """``mining.filter_case_size`` on Spark."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    size = F.count(F.lit(1)).over(Window.partitionBy(CASE))
    kept = size >= min_events
    if max_events is not None:
        kept = kept & (size <= max_events)
    return _where(events, kept)


def spark_filter_activities(
    events: SparkFrame, activities: Collection[str], *, keep: bool = True
) -> SparkFrame:
    """``mining.filter_activities`` on Spark: only the events of ``activities`` (or all but)."""
    from pyspark.sql import functions as F

    return events.where(F.col(ACTIVITY).isin(list(activities)) == F.lit(keep))


def spark_filter_view(
    events: SparkFrame,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    org_units: Collection[str] = (),
) -> SparkFrame:
    """``mining.filter_view`` on Spark: the cases active in [start, end) that touch one of
    ``org_units`` (every spelling of them found in the log)."""
    view = events
    if start is not None or end is not None:
        first = start or dt.datetime(1, 1, 2, tzinfo=dt.UTC)
        after = end or dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
        view = spark_filter_time_window(view, start=first, end=after, mode="intersecting")
    if org_units:
        if ORG_UNIT not in view.columns:
            units = list(org_units)
        else:
            wanted = {org_unit_key(u) for u in org_units}
            present = [r[0] for r in view.select(ORG_UNIT).dropna().distinct().collect()]
            units = sorted({*org_units, *(p for p in present if org_unit_key(p) in wanted)})
        view = spark_filter_attribute(view, ORG_UNIT, units, level="case")
    return view


# ----------------------------------------------------------------------------------- privacy


def spark_count_people(events: SparkFrame, *, people_column: str = RESOURCE) -> int | None:
    """``mining.privacy.count_people`` on Spark: distinct non-null people, None for none."""
    from pyspark.sql import functions as F

    if people_column not in events.columns:
        return None
    people = events.select(F.countDistinct(people_column)).first()
    count = 0 if people is None else int(people[0])
    return count or None


def spark_check_view_size(
    view: SparkFrame, *, org_units: tuple[str, ...] = (), people_column: str = RESOURCE
) -> int | None:
    """``mining.check_view_size`` on Spark: the people the view shows (None: it names none)."""
    whole = spark_count_people(view, people_column=people_column)
    if whole is None or not org_units:
        return whole
    own = spark_filter_attribute(view, ORG_UNIT, org_units, level="event")
    return min(whole, spark_count_people(own, people_column=people_column) or 0)


def _people_per_group(events: SparkFrame, by: Column, people_column: str) -> pl.DataFrame:
    from pyspark.sql import functions as F

    labelled = events.withColumn("_group", by)
    grouped = labelled.where(F.col("_group").isNotNull()).groupBy("_group")
    return to_polars(grouped.agg(F.countDistinct(people_column).alias("people")))


def spark_merge_small_groups(
    events: SparkFrame, *, by: str, people_column: str = RESOURCE, other: str = OTHER_GROUP
) -> tuple[SparkFrame, MergedGroups]:
    """``mining.merge_small_groups`` on Spark: the frame with every group of ``by`` of fewer
    than 5 people relabelled ``other`` (or withheld), and what was merged (its ``frame`` is an
    empty polars placeholder: the relabelled events are the Spark frame returned)."""
    from pyspark.sql import functions as F

    empty = pl.LazyFrame()
    if spark_count_people(events, people_column=people_column) is None:
        return events, MergedGroups(empty, 0, 0, False, people_known=False)
    per_group = _people_per_group(events, F.col(by).cast("string"), people_column)
    small = sorted(per_group.filter(pl.col("people") < MIN_PEOPLE)["_group"].to_list())
    in_small = F.col(by).cast("string").isin(small)
    other_people = spark_count_people(events.where(in_small), people_column=people_column) or 0
    withheld = bool(small) and other_people < MIN_PEOPLE
    label = WITHHELD_GROUP if withheld else other
    relabelled = F.when(in_small, F.lit(label)).otherwise(F.col(by).cast("string"))
    merged = MergedGroups(empty, len(small), other_people, withheld, people_known=True)
    return events.withColumn(by, relabelled), merged


def spark_merge_small_activities(
    events: SparkFrame, *, people_column: str = RESOURCE
) -> tuple[SparkFrame, MergedGroups]:
    """``mining.merge_small_activities`` on Spark."""
    return spark_merge_small_groups(
        events, by=ACTIVITY, people_column=people_column, other=OTHER_ACTIVITIES
    )


def _local_month(moment: Column) -> Column:
    """The first day of the Copenhagen month of a UTC timestamp, as a date."""
    from pyspark.sql import functions as F

    return F.trunc(F.to_date(F.from_utc_timestamp(moment, LOCAL_ZONE)), "month")


def spark_find_small_months(
    events: SparkFrame, *, of: Literal["event", "case"] = "event", people_column: str = RESOURCE
) -> list[dt.date]:
    """``mining.find_small_months`` on Spark: Copenhagen months whose events (or whose cases
    that started in them) show fewer than 5 people."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if spark_count_people(events, people_column=people_column) is None:
        return []
    moment = F.col(TIMESTAMP) if of == "event" else F.min(TIMESTAMP).over(Window.partitionBy(CASE))
    per_month = _people_per_group(events, _local_month(moment), people_column)
    small = per_month.filter(pl.col("people") < MIN_PEOPLE)["_group"].to_list()
    return sorted(small)


# --------------------------------------------------------------------------------- operations


def spark_discover_dfg(events: SparkFrame) -> pl.DataFrame:
    """``mining.discover_dfg`` on Spark: one row per directly-follows pair."""
    from pyspark.sql import functions as F

    case = _case_window()
    us = _micros(TIMESTAMP)
    pairs = events.select(
        F.col(ACTIVITY).cast("string").alias("source"),
        F.lead(F.col(ACTIVITY).cast("string")).over(case).alias("target"),
        (F.lead(us).over(case) - us).alias("_us"),
    ).where(F.col("_us").isNotNull())
    graph = pairs.groupBy("source", "target").agg(
        F.count(F.lit(1)).alias("frequency"),
        F.sum("_us").alias("_sum_us"),
        _median("_us").alias("_median_us"),
    )
    # The mean as polars takes it: the exact integer sum over the count (Spark's avg adds
    # doubles, in its own order); microseconds become seconds in polars' arithmetic.
    mean = pl.col("_sum_us") / pl.col("frequency") / 1e6
    return (
        to_polars(graph)
        .with_columns(mean.alias("mean_duration_s"), pl.col("_median_us") / 1e6)
        .rename({"_median_us": "median_duration_s"})
        .cast(DFG_SCHEMA)  # type: ignore[arg-type]
        .select(list(DFG_SCHEMA))
        .sort(["frequency", "source", "target"], descending=[True, False, False])
    )


def spark_compute_variants(events: SparkFrame) -> pl.DataFrame:
    """``mining.compute_variants`` on Spark: one row per variant, most frequent first."""
    from pyspark.sql import functions as F

    us = _micros(TIMESTAMP)
    ordered = F.array_sort(
        F.collect_list(F.struct(F.col(TIMESTAMP), F.col(EVENT_ORDER), F.col(ACTIVITY)))
    )
    cases = events.groupBy(CASE).agg(
        F.transform(ordered, lambda e: e[ACTIVITY].cast("string")).alias("variant"),
        F.count(F.lit(1)).alias("events"),
        ((F.max(us) - F.min(us)) / 1e6).alias("throughput_s"),
    )
    grouped = cases.groupBy("variant").agg(
        F.count(F.lit(1)).alias("cases"),
        F.first("events").alias("events"),
        F.avg("throughput_s").alias("mean_throughput_s"),
        _median("throughput_s").alias("median_throughput_s"),
    )
    named = to_polars(grouped).with_columns(
        (pl.col("cases") / pl.col("cases").sum()).alias("share"),
        pl.col("variant").cast(pl.List(pl.String)),
        pl.lit(0).alias("_key"),
    )
    return rank_variant_table(named, "_key").drop("_key")


def spark_compute_case_durations(events: SparkFrame) -> pl.DataFrame:
    """``mining.compute_case_durations`` on Spark (calendar time), one row per case sorted by
    case id (the stored order of a one-file log)."""
    from pyspark.sql import functions as F

    per_case = events.groupBy(CASE).agg(
        F.min(TIMESTAMP).alias("start"),
        F.max(TIMESTAMP).alias("end"),
        F.count(F.lit(1)).alias("events"),
        ((F.max(_micros(TIMESTAMP)) - F.min(_micros(TIMESTAMP))) / 1e6).alias("duration_s"),
    )
    utc = pl.Datetime("us", "UTC")
    return (
        to_polars(per_case)
        .with_columns(pl.col("start", "end").cast(utc), pl.col("events").cast(pl.Int64))
        .sort(CASE)
    )


def spark_find_bottlenecks(
    events: SparkFrame,
    *,
    level: BottleneckLevel = "arc",
    by: Split = "none",
    top: int | None = None,
) -> pl.DataFrame:
    """``mining.find_bottlenecks`` on Spark (calendar time): arcs or activities ranked by the
    waiting before their target events, whole or per Copenhagen month or org unit."""
    from pyspark.sql import functions as F

    if by == "org_unit" and ORG_UNIT not in events.columns:
        raise InputError(
            "this log has no org unit column, so bottlenecks cannot be split by org unit: import "
            "it with --group COLUMN (the assignment group or service area)."
        )
    if by == "org_unit":
        events, _ = spark_merge_small_groups(events, by=ORG_UNIT)
    case = _case_window()
    begin = (
        F.coalesce(F.col(START_TIMESTAMP), F.col(TIMESTAMP))
        if START_TIMESTAMP in events.columns
        else F.col(TIMESTAMP)
    )
    previous_us = F.lag(_micros(TIMESTAMP)).over(case)
    keys = ["source", "target"] if level == "arc" else ["activity"]
    split = [] if by == "none" else [by]
    activity = F.col(ACTIVITY).cast("string")
    waits = events.select(
        F.lag(activity).over(case).alias("source"),
        activity.alias("target" if level == "arc" else "activity"),
        _local_month(F.col(TIMESTAMP)).alias("month"),
        *([F.col(ORG_UNIT).cast("string")] if by == "org_unit" else []),
        ((F.unix_micros(begin) - previous_us) / 1e6).alias("wait_s"),
    ).where(F.col("wait_s").isNotNull())
    grouped = waits.groupBy(*split, *keys).agg(
        F.count(F.lit(1)).alias("frequency"),
        F.avg("wait_s").alias("mean_wait_s"),
        _median("wait_s").alias("median_wait_s"),
        F.sum("wait_s").alias("total_wait_s"),
    )
    found = to_polars(grouped).with_columns(
        pl.col("frequency").cast(pl.Int64), rank=pl.lit(0), wait_share=pl.lit(0.0)
    )
    if "month" in found.columns:
        found = found.with_columns(pl.col("month").cast(pl.Date))
    return drop_withheld(rank_shown_bottlenecks(found, top=top), tuple(split))


def _performers(events: SparkFrame) -> SparkFrame:
    from pyspark.sql import functions as F

    if ORG_UNIT not in events.columns:
        raise InputError(
            "this log has no org_unit column, so handovers by org_unit cannot be counted: "
            "import it with --group COLUMN."
        )
    return events.select(
        CASE, TIMESTAMP, EVENT_ORDER, F.col(ORG_UNIT).cast("string").alias("performer")
    ).where(F.col("performer").isNotNull())


def spark_compute_handovers(events: SparkFrame) -> pl.DataFrame:
    """``mining.compute_handovers`` on Spark, between org units: one row per (``source``,
    ``target``) with ``handovers``, ``cases`` and ``share``, most handovers first."""
    from pyspark.sql import functions as F

    case = _case_window()
    pairs = _performers(events).select(
        CASE,
        F.lag("performer").over(case).alias("source"),
        F.col("performer").alias("target"),
    )
    handed = pairs.where(F.col("source").isNotNull() & (F.col("source") != F.col("target")))
    matrix = handed.groupBy("source", "target").agg(
        F.count(F.lit(1)).alias("handovers"), F.countDistinct(CASE).alias("cases")
    )
    found = to_polars(matrix).with_columns(pl.col("handovers", "cases").cast(pl.Int64))
    found = found.with_columns((pl.col("handovers") / pl.col("handovers").sum()).alias("share"))
    return found.sort(["handovers", "source", "target"], descending=[True, False, False])


def spark_find_ping_pong(events: SparkFrame) -> pl.DataFrame:
    """``mining.find_ping_pong`` on Spark, between org units: a→b→a once repeats of the same
    unit are merged; ``source``, ``target``, ``occurrences``, ``cases``."""
    from pyspark.sql import functions as F

    case = _case_window()
    performed = _performers(events)
    steps = _where(
        performed, F.coalesce(F.lag("performer").over(case) != F.col("performer"), F.lit(True))
    )
    bounced = steps.select(
        CASE,
        F.col("performer").alias("source"),
        F.lead("performer").over(case).alias("target"),
        (F.lead("performer", 2).over(case) == F.col("performer")).alias("_back"),
    ).where(F.col("_back"))
    found = bounced.groupBy("source", "target").agg(
        F.count(F.lit(1)).alias("occurrences"), F.countDistinct(CASE).alias("cases")
    )
    return (
        to_polars(found)
        .with_columns(pl.col("occurrences", "cases").cast(pl.Int64))
        .sort(["occurrences", "source", "target"], descending=[True, False, False])
    )


def spark_count_cases(events: SparkFrame) -> int:
    """The number of distinct cases of a Spark view."""
    return int(events.select(CASE).distinct().count())


# -------------------------------------------------------------------------------------- rules

_RESULT_SCHEMA = "rule string, case_id string, applies boolean, violations long, passed boolean"
_RESULT_ARROW = pa.schema(
    [
        ("rule", pa.string()),
        (CASE, pa.string()),
        ("applies", pa.bool_()),
        ("violations", pa.int64()),
        ("passed", pa.bool_()),
    ]
)


def spark_check_rules(
    events: SparkFrame, rules: tuple[Rule, ...], *, buckets: int = 8
) -> pl.DataFrame:
    """``mining.check_rules`` on Spark: one row per (rule, case). The polars rule engine runs
    on groups of whole cases on the workers; the org unit a case is reported under and the
    months withheld (5-person rule) are computed over the whole log in Spark."""
    from pyspark.sql import functions as F

    def check_group(table: pa.Table) -> pa.Table:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.sort(CASE, TIMESTAMP, EVENT_ORDER).drop("_bucket")
        frame = frame.with_columns(pl.col(ACTIVITY).cast(pl.Categorical()))
        found = check_rules(frame, rules).select("rule", CASE, "applies", "violations", "passed")
        return found.to_arrow().cast(_RESULT_ARROW)

    bucket = F.pmod(F.xxhash64(CASE), F.lit(buckets)).alias("_bucket")
    results = to_polars(
        events.select("*", bucket).groupBy("_bucket").applyInArrow(check_group, _RESULT_SCHEMA)
    )
    cases = _spark_case_frame(events)
    joined = results.join(cases, on=CASE, how="left")
    columns = ["rule", CASE, ORG_UNIT, "month", "applies", "violations", "passed"]
    return joined.select(columns).sort("rule", CASE, maintain_order=True)


def _spark_case_frame(events: SparkFrame) -> pl.DataFrame:
    """``case_id``, ``org_unit`` (of the first event, units of fewer than 5 people merged),
    ``month`` (``YYYY-MM`` of the first event in Copenhagen, small months withheld)."""
    from pyspark.sql import functions as F

    labelled = events
    if ORG_UNIT in events.columns:
        labelled, _ = spark_merge_small_groups(events, by=ORG_UNIT)
    first = F.min_by(
        F.col(ORG_UNIT) if ORG_UNIT in labelled.columns else F.lit(None).cast("string"),
        F.struct(F.col(TIMESTAMP), F.col(EVENT_ORDER)),
    )
    local = F.from_utc_timestamp(F.min(TIMESTAMP), LOCAL_ZONE)
    cases = labelled.groupBy(CASE).agg(
        F.coalesce(first, F.lit(NO_ORG_UNIT)).alias(ORG_UNIT),
        F.date_format(local, "yyyy-MM").alias("month"),
    )
    small = [day.strftime("%Y-%m") for day in spark_find_small_months(events, of="case")]
    frame = to_polars(cases)
    if not small:
        return frame
    return frame.with_columns(
        pl.when(pl.col("month").is_in(small))
        .then(pl.lit(WITHHELD_GROUP))
        .otherwise(pl.col("month"))
        .alias("month")
    )
