"""Predictions for open cases: prediction moments, prefix features, the time split and the
measures. Pure functions over polars frames and numpy arrays; the fitting is
``services.open_case_predictions``.

A *prediction moment* ``t`` looks at a case as it stood then: its *prefix* is its events with a
timestamp strictly before ``t``, and every feature is computed from the prefix and ``t`` alone
(prefix length, last activity, elapsed time since the first event, time since the last event,
the last step's duration, activity counts, hour and weekday of ``t`` and of the last event, the
org unit of the current handler, the last lifecycle value, and the ``case:`` attributes). No
person is a feature: the ``resource`` column and every column whose name names a person are
never read. The targets look after ``t``: the remaining time to the case's last event, the next
activity (the first event at or after ``t``), and whether the SLA is breached.

A case is *open* at ``t`` when its prefix is not empty and its last event is not an end
activity (so a reopened case is open again). *Completed* cases are those whose last event is an
end activity.

Training and test rows are moments on a regular grid (every ``step``), one row per grid moment
at which a case is open: the population of cases that are open at any moment, weighted as a
worklist sees them (a long case is open at many moments).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from models.ml_assistant import macro_f1, most_frequent_ranking, reliability_table, top_k_accuracy
from models.schema import ACTIVITY, CASE, EVENT_ORDER, LIFECYCLE, ORG_UNIT, TIMESTAMP

Strings = npt.NDArray[np.str_]
Floats = npt.NDArray[np.float64]
SlaMode = Literal["task_sla", "hours", "none"]

LOCAL_ZONE: Final = "Europe/Copenhagen"
MOMENT: Final = "moment"
START: Final = "case_start"
END: Final = "case_end"
MAX_COUNTED_ACTIVITIES: Final = 30
MAX_STEP_MINUTES: Final = 24 * 60
MAX_CASE_ATTRIBUTE_VALUES: Final = 100
END_SHARE_OF_CASES: Final = 0.05
END_SHARE_OF_OCCURRENCES: Final = 0.25
SLA_STARTED: Final = "SLA started"
SLA_BREACHED: Final = "SLA breached"
SLA_SETTLED: Final = ("SLA completed", "SLA cancelled")
PERSON_WORDS: Final = (
    "resource",
    "person",
    "user",
    "caller",
    "assigned_to",
    "opened_by",
    "created_by",
    "updated_by",
    "resolved_by",
    "closed_by",
    "responsible",
    "employee",
    "owner",
    "requested_for",
    "requester",
    "name",
)
"""A column whose name holds one of these words is never a feature (it may name a person)."""
NUMERIC_FEATURES: Final = (
    "prefix_length",
    "elapsed_h",
    "idle_h",
    "last_gap_h",
    "hour",
    "weekday",
    "last_hour",
    "last_weekday",
)
CATEGORY_FEATURES: Final = ("last_activity", "org_unit", "last_lifecycle")
HOUR_US: Final = 3_600_000_000


@dataclass(frozen=True)
class PrefixSpec:
    """What the features of one log are built from, fixed at training: the end activities,
    the activities counted (the most frequent ones; the rest are counted together), the
    ``case:`` attributes used, and the SLA rule (``task_sla``: the log's ``SLA started``/
    ``SLA breached`` events; ``hours``: a case breaches when its last event lies more than
    ``sla_hours`` after its first; ``none``)."""

    end_activities: tuple[str, ...]
    counted: tuple[str, ...]
    case_attributes: tuple[str, ...]
    sla: SlaMode
    sla_hours: float | None = None

    @property
    def count_features(self) -> tuple[str, ...]:
        return (*(f"count:{a}" for a in self.counted), "count:(other)")

    @property
    def numeric(self) -> tuple[str, ...]:
        return (*NUMERIC_FEATURES, *self.count_features)

    @property
    def categorical(self) -> tuple[str, ...]:
        return (*CATEGORY_FEATURES, *self.case_attributes)


def is_person_column(name: str) -> bool:
    """True when a column's name may name a person (never a feature)."""
    lowered = name.lower()
    return any(word in lowered for word in PERSON_WORDS)


def find_end_activities(events: pl.DataFrame, *, known: Sequence[str] = ()) -> tuple[str, ...]:
    """The activities that end a case: those of ``known`` that occur in the log; when none
    does, those that are the last event of at least 5 % of the cases and of at least 25 % of
    the cases they occur in (sorted by name)."""
    activities = set(events[ACTIVITY].cast(pl.String).unique().to_list())
    present = sorted(a for a in known if a in activities)
    if present:
        return tuple(present)
    per_case = events.group_by(CASE, maintain_order=True).agg(
        pl.col(ACTIVITY).cast(pl.String).last().alias("last"),
        pl.col(ACTIVITY).cast(pl.String).unique().alias("seen"),
    )
    cases = per_case.height
    ending = per_case.group_by("last").len()
    seen = per_case.explode("seen").group_by("seen").len()
    joined = ending.join(seen, left_on="last", right_on="seen", suffix="_seen")
    found = joined.filter(
        (pl.col("len") >= END_SHARE_OF_CASES * cases)
        & (pl.col("len") >= END_SHARE_OF_OCCURRENCES * pl.col("len_seen"))
    )
    return tuple(sorted(found["last"].to_list()))


def find_case_attributes(events: pl.DataFrame) -> tuple[str, ...]:
    """The ``case:`` columns usable as features: text-like, not naming a person, with 2 to 100
    values and fewer values than half the cases (so no identifier)."""
    cases = events[CASE].n_unique()
    chosen = []
    for name in events.columns:
        if not name.startswith("case:") or is_person_column(name):
            continue
        if events[name].dtype not in (pl.String, pl.Categorical, pl.Enum, pl.Boolean):
            continue
        values = events[name].n_unique()
        if 2 <= values <= MAX_CASE_ATTRIBUTE_VALUES and values < cases / 2:
            chosen.append(name)
    return tuple(chosen)


def find_sla_mode(events: pl.DataFrame, sla_hours: float | None) -> SlaMode:
    """``hours`` when a threshold is named, else ``task_sla`` when the log holds SLA events
    (ServiceNow's ``task_sla``), else ``none``."""
    if sla_hours is not None:
        return "hours"
    activities = set(events[ACTIVITY].cast(pl.String).unique().to_list())
    return "task_sla" if SLA_STARTED in activities else "none"


def build_spec(
    events: pl.DataFrame,
    *,
    end_activities: Sequence[str] | None = None,
    known_end_activities: Sequence[str] = (),
    sla_hours: float | None = None,
) -> PrefixSpec:
    """The spec of a log (``end_activities`` as given, else :func:`find_end_activities`)."""
    counts = events[ACTIVITY].cast(pl.String).value_counts(sort=True, name="n")
    counted = tuple(counts.sort(["n", ACTIVITY], descending=[True, False])[ACTIVITY].to_list())
    ends = tuple(end_activities) if end_activities else None
    return PrefixSpec(
        end_activities=ends or find_end_activities(events, known=known_end_activities),
        counted=counted[:MAX_COUNTED_ACTIVITIES],
        case_attributes=find_case_attributes(events),
        sla=find_sla_mode(events, sla_hours),
        sla_hours=sla_hours,
    )


def build_event_states(events: pl.DataFrame, spec: PrefixSpec) -> pl.DataFrame:
    """One row per event: the state of its case just after it, from it and the events before
    it only (cumulative windows over the case), plus its case's start, last event and next
    activity (those look ahead; they are targets, never features)."""
    schema = events.collect_schema()
    activity = pl.col(ACTIVITY).cast(pl.String)
    unit = pl.col(ORG_UNIT).cast(pl.String) if ORG_UNIT in schema else pl.lit(None, pl.String)
    life = pl.col(LIFECYCLE).cast(pl.String) if LIFECYCLE in schema else pl.lit(None, pl.String)
    order = [CASE, TIMESTAMP, EVENT_ORDER] if EVENT_ORDER in schema else [CASE, TIMESTAMP]
    frame = events.sort(order).select(
        pl.col(CASE).cast(pl.String),
        activity.alias(ACTIVITY),
        pl.col(TIMESTAMP),
        unit.alias("_unit"),
        life.alias("_life"),
        *(pl.col(c).cast(pl.String).alias(c) for c in spec.case_attributes),
    )
    others = ~activity.is_in(list(spec.counted))
    local = pl.col(TIMESTAMP).dt.convert_time_zone(LOCAL_ZONE)
    breached = activity == SLA_BREACHED
    return frame.with_columns(
        pl.int_range(1, pl.len() + 1).over(CASE).cast(pl.Int64).alias("prefix_length"),
        pl.col(ACTIVITY).alias("last_activity"),
        pl.col("_unit").forward_fill().over(CASE).alias("org_unit"),
        pl.col("_life").alias("last_lifecycle"),
        (_hours(pl.col(TIMESTAMP) - pl.col(TIMESTAMP).shift(1).over(CASE)).fill_null(0.0)).alias(
            "last_gap_h"
        ),
        local.dt.hour().cast(pl.Float64).alias("last_hour"),
        local.dt.weekday().cast(pl.Float64).alias("last_weekday"),
        *(
            (activity == a).cast(pl.Float64).cum_sum().over(CASE).alias(f"count:{a}")
            for a in spec.counted
        ),
        others.cast(pl.Float64).cum_sum().over(CASE).alias("count:(other)"),
        (activity == SLA_STARTED).cum_max().over(CASE).alias("_sla_started"),
        breached.cum_max().over(CASE).alias("_sla_breached"),
        activity.is_in(list(SLA_SETTLED)).cum_max().over(CASE).alias("_sla_settled"),
        activity.is_in(list(spec.end_activities)).alias("_is_end"),
        pl.col(TIMESTAMP).first().over(CASE).alias(START),
        pl.col(TIMESTAMP).last().over(CASE).alias(END),
        activity.shift(-1).over(CASE).alias("next_activity"),
        breached.any().over(CASE).alias("_case_breaches"),
        activity.last().over(CASE).is_in(list(spec.end_activities)).alias("_completed"),
    ).drop("_unit", "_life")


def _hours(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / HOUR_US


def build_grid_moments(
    states: pl.DataFrame, *, step: dt.timedelta, origin: dt.datetime
) -> pl.DataFrame:
    """One row per (case, grid moment ``origin + j * step``) after the case's first event and
    no later than its last: columns ``case_id`` and ``moment``."""
    step_us = int(step / dt.timedelta(microseconds=1))
    cases = states.group_by(CASE).agg(pl.col(START).first(), pl.col(END).first())
    since = (pl.col(START) - pl.lit(origin)).dt.total_microseconds()
    until = (pl.col(END) - pl.lit(origin)).dt.total_microseconds()
    first = since // step_us + 1  # strictly after the first event: the prefix is never empty
    last = until // step_us
    return (
        cases.select(CASE, pl.int_ranges(first, last + 1).alias("_j"))
        .explode("_j")
        .drop_nulls("_j")
        .select(
            CASE,
            (pl.lit(origin) + pl.duration(microseconds=pl.col("_j") * step_us)).alias(MOMENT),
        )
        .sort(CASE, MOMENT)
    )


def build_prefixes(states: pl.DataFrame, moments: pl.DataFrame) -> pl.DataFrame:
    """One row per (case, moment) at which the case is open: the state after its last event
    strictly before ``moment`` (an as-of join: no later event is read) and the features that
    depend on the moment itself; the targets alongside (``remaining_h``, ``next_activity``,
    ``sla_breach``: null when the SLA's outcome is settled or there is none)."""
    joined = (
        moments.with_columns(pl.col(MOMENT).cast(states.schema[TIMESTAMP]))
        .sort(MOMENT)
        .join_asof(
            states.sort(TIMESTAMP),
            left_on=MOMENT,
            right_on=TIMESTAMP,
            by=CASE,
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,  # sorted above; polars cannot check it with 'by'
        )
        .filter(pl.col(TIMESTAMP).is_not_null() & ~pl.col("_is_end"))
    )
    local = pl.col(MOMENT).dt.convert_time_zone(LOCAL_ZONE)
    return joined.with_columns(
        _hours(pl.col(MOMENT) - pl.col(START)).alias("elapsed_h"),
        _hours(pl.col(MOMENT) - pl.col(TIMESTAMP)).alias("idle_h"),
        local.dt.hour().cast(pl.Float64).alias("hour"),
        local.dt.weekday().cast(pl.Float64).alias("weekday"),
        _hours(pl.col(END) - pl.col(MOMENT)).alias("remaining_h"),
    ).sort(CASE, MOMENT)


def label_sla(prefixes: pl.DataFrame, spec: PrefixSpec) -> pl.DataFrame:
    """``prefixes`` with ``sla_state`` (``open``: to predict; ``breached``/``met``: already
    settled at the moment; ``none``: no SLA) and ``sla_breach`` (the outcome, for completed
    cases: 1.0 breached, 0.0 met; null unless the state is ``open``)."""
    if spec.sla == "task_sla":
        state = (
            pl.when(pl.col("_sla_breached"))
            .then(pl.lit("breached"))
            .when(pl.col("_sla_settled"))
            .then(pl.lit("met"))
            .when(pl.col("_sla_started"))
            .then(pl.lit("open"))
            .otherwise(pl.lit("none"))
        )
        outcome = pl.col("_case_breaches")
    elif spec.sla == "hours":
        limit = float(spec.sla_hours or 0.0)
        state = (
            pl.when(pl.col("elapsed_h") > limit).then(pl.lit("breached")).otherwise(pl.lit("open"))
        )
        outcome = _hours(pl.col(END) - pl.col(START)) > limit
    else:
        state, outcome = pl.lit("none"), pl.lit(None, pl.Boolean)
    labelled = prefixes.with_columns(state.alias("sla_state"))
    return labelled.with_columns(
        pl.when(pl.col("sla_state") == "open")
        .then(outcome.cast(pl.Float64))
        .otherwise(None)
        .alias("sla_breach")
    )


@dataclass(frozen=True)
class TimeSplit:
    """The split by case start: ``split_at`` is the first event of the case at 80 % of the
    cases by start; ``train`` holds the moments of the completed cases that started before it,
    ``test`` those of the completed cases that started at or after it. No case is on both
    sides, and every test case started after every training case; a long training case's
    outcome may lie after ``split_at`` (its label, never a test case's event, is used).
    Cases still open at the log's end have no outcome and are in neither."""

    split_at: dt.datetime
    step: dt.timedelta
    train: pl.DataFrame
    test: pl.DataFrame


def choose_step(states: pl.DataFrame, *, target_rows: int) -> dt.timedelta:
    """The grid step giving about ``target_rows`` open-case moments over all cases (whole
    minutes, at least one, at most a day)."""
    durations = states.group_by(CASE).agg((pl.col(END) - pl.col(START)).first().alias("d"))
    total_us = int(durations["d"].dt.total_microseconds().sum() or 0)
    minutes = min(MAX_STEP_MINUTES, max(1, math.ceil(total_us / max(target_rows, 1) / 60_000_000)))
    return dt.timedelta(minutes=minutes)


def find_split_moment(states: pl.DataFrame, *, test_share: float) -> dt.datetime:
    """The first event of the case at ``1 - test_share`` of the cases ordered by their start
    (then case id)."""
    starts = states.group_by(CASE).agg(pl.col(START).first()).sort(START, CASE)
    index = min(int(np.floor(starts.height * (1 - test_share))), starts.height - 1)
    value = starts[START][index]
    assert isinstance(value, dt.datetime)
    return value


def split_by_time(
    states: pl.DataFrame, *, test_share: float = 0.2, target_rows: int = 40_000, seed: int = 0
) -> TimeSplit:
    """Training and test moments of ``states`` (see :class:`TimeSplit`); each side is a seeded
    random sample of ``target_rows`` moments when it has more."""
    split_at = find_split_moment(states, test_share=test_share)
    step = choose_step(states, target_rows=target_rows)
    origin = dt.datetime.combine(states[START].min().date(), dt.time(0), dt.UTC)  # type: ignore[union-attr]
    completed = states.filter(pl.col("_completed"))
    moments = build_grid_moments(completed, step=step, origin=origin)
    starts = completed.group_by(CASE).agg(pl.col(START).first())
    early = starts.filter(pl.col(START) < split_at)[CASE].implode()
    sides = [moments.filter(pl.col(CASE).is_in(early)), moments.filter(~pl.col(CASE).is_in(early))]
    train, test = (
        side.sample(target_rows, seed=seed).sort(CASE, MOMENT)
        if side.height > target_rows
        else side
        for side in sides
    )
    return TimeSplit(
        split_at=split_at,
        step=step,
        train=build_prefixes(completed, train),
        test=build_prefixes(completed, test),
    )


def find_open_prefixes(states: pl.DataFrame, *, as_of: dt.datetime) -> pl.DataFrame:
    """One row per case open at ``as_of``: its prefix of events strictly before ``as_of``,
    encoded as the training rows are (the look-ahead columns are null)."""
    begun = states.filter(pl.col(TIMESTAMP) < as_of)
    moments = begun.select(pl.col(CASE).unique()).with_columns(
        pl.lit(as_of).cast(states.schema[TIMESTAMP]).alias(MOMENT)
    )
    ahead = (END, "remaining_h", "next_activity", "_case_breaches", "_completed")
    prefixes = build_prefixes(begun, moments)
    return prefixes.with_columns(pl.lit(None, prefixes.schema[c]).alias(c) for c in ahead)


# ------------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class RemainingScores:
    """Mean absolute error of the remaining time, in hours, over ``rows`` prediction moments
    (``cases`` cases): the model's and the two mean-of-prefix baselines' (the mean remaining
    time of the training moments with the same last activity; with the same prefix length;
    the training mean for a value unseen in training)."""

    rows: int
    cases: int
    mae_h: float
    baseline_last_activity_mae_h: float
    baseline_prefix_length_mae_h: float
    median_ae_h: float


@dataclass(frozen=True)
class SlaScores:
    """The SLA risk over ``rows`` moments whose SLA is still open: Brier score of the model and
    of the training breach rate as a constant, the breach rate in test, and the reliability
    table (lower edge of the risk bin, mean predicted risk, observed breach rate, moments)."""

    rows: int
    breach_rate: float
    brier: float
    baseline_brier: float
    reliability: tuple[tuple[float, float, float, int], ...]


@dataclass(frozen=True)
class NextActivityScores:
    """Next activity over ``rows`` moments: top-1, top-3 and macro F1 of the model, of the
    most frequent next activity overall and of the most frequent after the same last
    activity (both from training)."""

    rows: int
    top1: float
    top3: float
    macro_f1: float
    baseline_top1: float
    baseline_top3: float
    baseline_macro_f1: float
    baseline_last_activity_top1: float
    baseline_last_activity_top3: float
    baseline_last_activity_macro_f1: float


def mean_absolute_error(predicted: Floats, truth: Floats) -> float:
    """Mean of ``|predicted - truth|`` (0 for nothing)."""
    return float(np.mean(np.abs(predicted - truth))) if len(truth) else 0.0


def mean_of_prefix_baseline(train: pl.DataFrame, test: pl.DataFrame, *, by: str) -> Floats:
    """Per test row: the mean ``remaining_h`` of the training rows with the same ``by`` value
    (the training mean when the value is unseen in training)."""
    overall = float(train["remaining_h"].mean() or 0.0)  # type: ignore[arg-type]
    means = train.group_by(by).agg(pl.col("remaining_h").mean().alias("_mean"))
    joined = test.select(by).join(means, on=by, how="left", maintain_order="left")
    return joined["_mean"].fill_null(overall).to_numpy().astype(np.float64)


def score_remaining(train: pl.DataFrame, test: pl.DataFrame, predicted: Floats) -> RemainingScores:
    """The remaining-time measures of ``predicted`` (hours, one per test row)."""
    truth = test["remaining_h"].to_numpy().astype(np.float64)
    return RemainingScores(
        rows=test.height,
        cases=test[CASE].n_unique(),
        mae_h=mean_absolute_error(predicted, truth),
        baseline_last_activity_mae_h=mean_absolute_error(
            mean_of_prefix_baseline(train, test, by="last_activity"), truth
        ),
        baseline_prefix_length_mae_h=mean_absolute_error(
            mean_of_prefix_baseline(train, test, by="prefix_length"), truth
        ),
        median_ae_h=float(np.median(np.abs(predicted - truth))) if len(truth) else 0.0,
    )


def brier_score(risk: Floats, outcome: Floats) -> float:
    """Mean squared difference between predicted risk and the 0/1 outcome."""
    return float(np.mean((risk - outcome) ** 2)) if len(outcome) else 0.0


def score_sla(train_rate: float, risk: Floats, outcome: Floats) -> SlaScores:
    """The SLA-risk measures of ``risk`` against ``outcome`` (0/1), beside the constant
    ``train_rate``."""
    return SlaScores(
        rows=len(outcome),
        breach_rate=float(outcome.mean()) if len(outcome) else 0.0,
        brier=brier_score(risk, outcome),
        baseline_brier=brier_score(np.full(len(outcome), train_rate), outcome),
        reliability=reliability_table(risk, outcome.astype(bool)),
    )


def score_next_activity(
    train: pl.DataFrame, test: pl.DataFrame, ranked: Strings
) -> NextActivityScores:
    """The next-activity measures of ``ranked`` (top three per test row, best first)."""
    truth = test["next_activity"].to_numpy().astype(str)
    as_target = [
        f.select("last_activity", pl.col("next_activity").alias("target")) for f in (train, test)
    ]
    overall = most_frequent_ranking(as_target[0], as_target[1], by=None)
    per_last = most_frequent_ranking(as_target[0], as_target[1], by="last_activity")
    return NextActivityScores(
        rows=len(truth),
        top1=top_k_accuracy(ranked, truth, 1),
        top3=top_k_accuracy(ranked, truth, 3),
        macro_f1=macro_f1(ranked[:, 0], truth),
        baseline_top1=top_k_accuracy(overall, truth, 1),
        baseline_top3=top_k_accuracy(overall, truth, 3),
        baseline_macro_f1=macro_f1(overall[:, 0], truth),
        baseline_last_activity_top1=top_k_accuracy(per_last, truth, 1),
        baseline_last_activity_top3=top_k_accuracy(per_last, truth, 3),
        baseline_last_activity_macro_f1=macro_f1(per_last[:, 0], truth),
    )
