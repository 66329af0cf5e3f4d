"""Declarative rule checks over a canonical event log, configured in YAML.

A rule says what every case must satisfy. Each kind is evaluated on the events (and any case or
event attribute columns the log carries, such as ``case:work_item_type`` or ``area_path``) and
gives, per case, whether the rule applies and how many times the case breaks it:

- ``attribute_present``: ``column`` has a value on every event of the case.
- ``attribute_in``: ``column`` takes one of ``values`` on every event (``parent_type`` is the
  same check on ``case:parent_type``, e.g. "every Feature has an Epic parent").
- ``attribute_not_in``: ``column`` takes none of ``values`` (e.g. "no work at the project root").
- ``required_between``: no ``source`` is followed by ``target`` without ``via`` in between
  (e.g. "no item goes from New to Closed without Active").
- ``four_eyes``: no ``resource`` (or ``column``) performs both ``first`` and ``second`` in one
  case; it applies to the cases that have ``second`` (e.g. the approval).
- ``response_within``: every ``source`` is followed by ``target``, within ``within_days`` if
  given.

Any rule may carry ``when: {column: ..., values: [...]}``: it then applies only to the events
(and so the cases) where that column takes one of those values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import polars as pl
import yaml

from mining.privacy import WITHHELD_GROUP, drop_withheld, find_small_months, merge_small_groups
from models.errors import InputError
from models.schema import ACTIVITY, CASE, ORG_UNIT, RESOURCE, TIMESTAMP

RuleKind = Literal[
    "attribute_present",
    "attribute_in",
    "attribute_not_in",
    "parent_type",
    "required_between",
    "four_eyes",
    "response_within",
]
SummaryLevel = Literal["rule", "org_unit", "month"]

DISPLAY_TIME_ZONE = "Europe/Copenhagen"
NO_ORG_UNIT = "(none)"
PARENT_TYPE_COLUMN = "case:parent_type"

# The parameters each kind needs besides ``id`` and ``kind``, and those it may have.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "attribute_present": ("column",),
    "attribute_in": ("column", "values"),
    "attribute_not_in": ("column", "values"),
    "parent_type": ("values",),
    "required_between": ("source", "target", "via"),
    "four_eyes": ("first", "second"),
    "response_within": ("source", "target"),
}
_OPTIONAL = ("description", "when", "within_days", "column")


@dataclass(frozen=True)
class Condition:
    """Restricts a rule to the events whose ``column`` takes one of ``values``."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One declarative rule, as read from YAML. Fields a kind does not use stay empty."""

    id: str
    kind: RuleKind
    description: str = ""
    column: str | None = None
    values: tuple[str, ...] = ()
    source: str | None = None
    target: str | None = None
    via: str | None = None
    first: str | None = None
    second: str | None = None
    within_days: float | None = None
    when: Condition | None = None


# ---------------------------------------------------------------------------------- reading


def read_rules(path: Path) -> tuple[Rule, ...]:
    """The rules of a YAML file: a top-level ``rules:`` list of mappings (see the module doc)."""
    if not path.is_file():
        raise InputError(f"the rules file {path} does not exist: check the path given to --rules.")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise InputError(
            f"{path} must have a top-level 'rules:' list; see docs/examples/rules.yaml."
        )
    rules = tuple(
        build_rule(item, where=f"{path}, rule {n}") for n, item in enumerate(document["rules"], 1)
    )
    duplicates = sorted({r.id for r in rules if [x.id for x in rules].count(r.id) > 1})
    if duplicates:
        raise InputError(f"{path}: rule ids must be unique; repeated: {', '.join(duplicates)}.")
    return rules


def build_rule(item: object, *, where: str = "rule") -> Rule:
    """One rule from its YAML mapping; the error names the rule and what to change."""
    if not isinstance(item, Mapping):
        raise InputError(f"{where}: a rule must be a mapping with 'id' and 'kind'.")
    rule_id = str(item.get("id") or "").strip()
    raw_kind = item.get("kind")
    if not rule_id:
        raise InputError(f"{where}: give the rule an 'id' (a short name used in the results).")
    where = f"{where} ({rule_id!r})"
    if raw_kind not in get_args(RuleKind):
        raise InputError(
            f"{where}: kind {raw_kind!r} is not one of {', '.join(get_args(RuleKind))}."
        )
    kind = cast(RuleKind, raw_kind)
    allowed = {"id", "kind", *_REQUIRED[kind], *_OPTIONAL}
    unknown = sorted(set(map(str, item)) - allowed)
    if unknown:
        raise InputError(
            f"{where}: unknown key(s) {', '.join(unknown)} for kind {kind}; "
            f"it takes {', '.join(sorted(allowed - {'id', 'kind'}))}."
        )
    missing = [key for key in _REQUIRED[kind] if item.get(key) in (None, "", [])]
    if missing:
        raise InputError(f"{where}: kind {kind} needs {', '.join(missing)}.")
    return Rule(
        id=rule_id,
        kind=kind,
        description=str(item.get("description", "")),
        column=_column(item, kind),
        values=_strings(item.get("values", ()), where, "values"),
        source=_opt_str(item.get("source")),
        target=_opt_str(item.get("target")),
        via=_opt_str(item.get("via")),
        first=_opt_str(item.get("first")),
        second=_opt_str(item.get("second")),
        within_days=_days(item.get("within_days"), where),
        when=_condition(item.get("when"), where),
    )


def _column(item: Mapping[str, Any], kind: str) -> str | None:
    if kind == "parent_type":
        return str(item.get("column") or PARENT_TYPE_COLUMN)
    if kind == "four_eyes":
        return str(item.get("column") or RESOURCE)
    return _opt_str(item.get("column"))


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise InputError(f"{where}: {key} must be a list of values, e.g. [Epic].")
    return tuple(str(v) for v in value)


def _days(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"{where}: within_days must be a number of days ≥ 0, not {value!r}.")
    return float(value)


def _condition(value: object, where: str) -> Condition | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or "column" not in value or "values" not in value:
        raise InputError(f"{where}: 'when' must be a mapping like {{column: ..., values: [...]}}.")
    return Condition(str(value["column"]), _strings(value["values"], where, "when.values"))


# --------------------------------------------------------------------------------- checking


def check_rules(events: pl.LazyFrame | pl.DataFrame, rules: tuple[Rule, ...]) -> pl.DataFrame:
    """One row per (rule, case) of a sorted canonical log.

    Columns: ``rule`` (id), ``case_id``, ``org_unit`` (of the case's first event, or
    ``(none)``; units of fewer than 5 people merged or withheld, mining.privacy), ``month``
    (first event's month in Copenhagen time, ``YYYY-MM``), ``applies`` (the rule concerns the
    case), ``violations`` (how many times the case breaks it) and ``passed`` (applies and no
    violations; null where the rule does not apply).
    """
    frame = events.lazy().collect() if isinstance(events, pl.LazyFrame) else events
    cases = _case_frame(_merge_small_units(frame))
    results = [_check_one(frame, cases, rule) for rule in rules]
    if not results:
        return _empty_results()
    return pl.concat(results).sort("rule", CASE, maintain_order=True)


def _merge_small_units(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with org units of fewer than 5 people relabelled (the 5-person rule): only
    the org unit a case is reported under changes, the rules see the events as they are."""
    if ORG_UNIT not in events.columns:
        return events
    return merge_small_groups(events, by=ORG_UNIT).frame.collect()


def _case_frame(events: pl.DataFrame) -> pl.DataFrame:
    org = (
        pl.col(ORG_UNIT).first().fill_null(NO_ORG_UNIT)
        if ORG_UNIT in events.columns
        else pl.lit(NO_ORG_UNIT)
    )
    month = pl.col(TIMESTAMP).min().dt.convert_time_zone(DISPLAY_TIME_ZONE).dt.strftime("%Y-%m")
    cases = events.group_by(CASE, maintain_order=True).agg(
        org.alias(ORG_UNIT), month.alias("month")
    )
    # A month whose cases show fewer than 5 people is a figure about them: withheld.
    small = [day.strftime("%Y-%m") for day in find_small_months(events, of="case")]
    if not small:
        return cases
    return cases.with_columns(
        pl.when(pl.col("month").is_in(small))
        .then(pl.lit(WITHHELD_GROUP))
        .otherwise(pl.col("month"))
        .alias("month")
    )


def _check_one(events: pl.DataFrame, cases: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    for column in _columns_used(rule):
        if column not in events.columns:
            known = ", ".join(c for c in events.columns)
            raise InputError(
                f"rule {rule.id!r} reads column {column!r}, which this log does not have "
                f"(it has: {known}). Import the log with that attribute, or change the rule."
            )
    scoped = events.with_columns(_scope(rule).alias("_applies"))
    per_event = _violations(scoped, rule)
    per_case = per_event.group_by(CASE).agg(
        pl.col("_applies").any().alias("applies"),
        pl.col("_violation").filter(pl.col("_applies")).sum().cast(pl.Int64).alias("violations"),
    )
    return (
        cases.join(per_case, on=CASE, how="left")
        .with_columns(
            pl.lit(rule.id).alias("rule"),
            pl.col("applies").fill_null(False),
            pl.col("violations").fill_null(0),
        )
        .with_columns(
            pl.when(pl.col("applies")).then(pl.col("violations") == 0).alias("passed"),
        )
        .select("rule", CASE, ORG_UNIT, "month", "applies", "violations", "passed")
    )


def _columns_used(rule: Rule) -> list[str]:
    used = [c for c in (rule.column,) if c is not None]
    if rule.when is not None:
        used.append(rule.when.column)
    if rule.kind == "response_within":
        used.append(TIMESTAMP)
    return used


def _scope(rule: Rule) -> pl.Expr:
    """Which events the rule looks at (``when``), before the kind narrows it further."""
    if rule.when is None:
        return pl.lit(True)
    return pl.col(rule.when.column).cast(pl.String).is_in(list(rule.when.values)).fill_null(False)


def _violations(events: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The events with ``_violation`` (one count per breaking event) and ``_applies`` narrowed
    to the events the kind concerns."""
    activity = pl.col(ACTIVITY).cast(pl.String)
    if rule.kind == "attribute_present":
        return events.with_columns(pl.col(str(rule.column)).is_null().alias("_violation"))
    if rule.kind in ("attribute_in", "parent_type", "attribute_not_in"):
        inside = pl.col(str(rule.column)).cast(pl.String).is_in(list(rule.values)).fill_null(False)
        broken = inside if rule.kind == "attribute_not_in" else ~inside
        return events.with_columns(broken.alias("_violation"))
    if rule.kind == "required_between":
        return _required_between(events, rule, activity)
    if rule.kind == "four_eyes":
        return _four_eyes(events, rule, activity)
    return _response_within(events, rule, activity)


def _required_between(events: pl.DataFrame, rule: Rule, activity: pl.Expr) -> pl.DataFrame:
    # A target breaks the rule when a source came before it in the case and no via came after
    # the latest such source: compare the positions of the latest source and the latest via.
    events = events.with_columns(pl.int_range(pl.len()).over(CASE).alias("_position"))
    position = pl.col("_position")
    last_source = pl.when(activity == rule.source).then(position).forward_fill().over(CASE)
    last_via = pl.when(activity == rule.via).then(position).forward_fill().over(CASE)
    is_target = activity == rule.target
    broken = (
        is_target
        & last_source.is_not_null()
        & (last_via.is_null() | (last_via < last_source)).fill_null(True)
    )
    return events.with_columns(
        broken.alias("_violation"),
        (pl.col("_applies") & is_target).alias("_applies"),
    )


def _four_eyes(events: pl.DataFrame, rule: Rule, activity: pl.Expr) -> pl.DataFrame:
    # Breaking: an event of the second activity by a resource who also did the first one in
    # the same case. A missing resource cannot prove the same person, so it does not break.
    column = pl.col(str(rule.column))
    did_first = (activity == rule.first) & column.is_not_null()
    first_by_same = did_first.any().over(CASE, str(rule.column))
    is_second = activity == rule.second
    return events.with_columns(
        (is_second & first_by_same & column.is_not_null()).alias("_violation"),
        (pl.col("_applies") & is_second).alias("_applies"),
    )


def _response_within(events: pl.DataFrame, rule: Rule, activity: pl.Expr) -> pl.DataFrame:
    # For each source, the time of the next target after it in the case (shift, then fill
    # backwards); it breaks the rule if there is none, or it comes too late.
    next_target = (
        pl.when(activity == rule.target)
        .then(pl.col(TIMESTAMP))
        .shift(-1)
        .backward_fill()
        .over(CASE)
    )
    is_source = activity == rule.source
    late = pl.lit(False)
    if rule.within_days is not None:
        window = dt.timedelta(days=rule.within_days)
        late = (next_target - pl.col(TIMESTAMP)) > window
    return events.with_columns(
        (is_source & (next_target.is_null() | late)).fill_null(False).alias("_violation"),
        (pl.col("_applies") & is_source).alias("_applies"),
    )


def _empty_results() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "rule": pl.String,
            CASE: pl.String,
            ORG_UNIT: pl.String,
            "month": pl.String,
            "applies": pl.Boolean,
            "violations": pl.Int64,
            "passed": pl.Boolean,
        }
    )


# -------------------------------------------------------------------------------- summaries


def summarize_rule_results(results: pl.DataFrame, *, level: SummaryLevel = "rule") -> pl.DataFrame:
    """Cases checked and broken per rule, and per org unit or month when ``level`` asks.

    One row per rule (``level="rule"``), per (rule, org unit) or per (rule, month), with
    ``cases`` (the rule applies), ``violating_cases``, ``violations`` (total breaches) and
    ``compliance_pct`` (share of applicable cases that pass; null when none applies). Per org
    unit, the units withheld by the 5-person rule (see :func:`check_rules`) are left out; per
    month, the months whose cases show fewer than 5 people.
    """
    keys = ["rule"] + ([] if level == "rule" else [ORG_UNIT if level == "org_unit" else "month"])
    applicable = results.filter(pl.col("applies"))
    summary = applicable.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("cases"),
        (~pl.col("passed")).sum().cast(pl.Int64).alias("violating_cases"),
        pl.col("violations").sum().cast(pl.Int64).alias("violations"),
    )
    # Rules that apply to no case still get a row, so a report shows every configured rule.
    every = results.select(keys).unique()
    summary = (
        every.join(summary, on=keys, how="left")
        .with_columns(pl.col("cases", "violating_cases", "violations").fill_null(0))
        .with_columns(
            pl.when(pl.col("cases") > 0)
            .then(100.0 * (pl.col("cases") - pl.col("violating_cases")) / pl.col("cases"))
            .alias("compliance_pct")
        )
        .sort(keys)
    )
    hidden = {"rule": (), "org_unit": (ORG_UNIT,), "month": ("month",)}[level]
    return drop_withheld(summary, hidden)
