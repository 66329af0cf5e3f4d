"""SAFe practice in Azure DevOps per service area, from the staged work items and revisions.

A Feature or User Story breaks the agreed way of working when at least one of these holds:

- it is a Feature without any parent (no Epic above it);
- it was Closed without ever being Active (in any of its revisions);
- its current iteration is the project root (the path has no segment below the project).

Why not ``mining.rules.check_rules`` with ``docs/examples/rules.yaml``: the rules file checks the
*event log* built from the revisions, and its rules answer slightly different questions. Its
``feature-has-epic`` asks for a parent *of type Epic* (a parent that was not extracted has no
type and breaks it; here any parent passes); its ``new-closed-via-active`` breaks on a Closed
before the first Active (an item closed, reopened to Active and closed again breaks it; here it
does not) and cannot see an item whose Created revision lies before the extracted history; its
``no-work-at-project-root`` counts every event at the root (here only the current iteration);
its org unit is the first segment below the root (here the last segment of the area path); and
it gives one row per rule, where the follow-up target counts an item breaking any of them once.
The follow-up target reads the staged tables, so it needs no stored log. On the simulated
landscape the two give the same share per service area (tests/test_devops_rules_landscape.py).

As of a moment (``until``), the items are counted as they stood then: only items created
before it, only their revisions before it, and each item's type, area, iteration and parent
from its last revision before it. An item whose history was not extracted that far back keeps
its stored fields: they are the best knowledge there is of it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

PLANNED_TYPES = ("Feature", "User Story")
PATH_SEPARATOR = "\\"
# The fields of a work item a rule reads, which its revisions record as they changed.
RULE_FIELDS = ("work_item_type", "area_path", "iteration_path", "parent")


def compute_devops_rule_rates(
    workitems: pl.DataFrame, revisions: pl.DataFrame, *, until: dt.datetime | None = None
) -> pl.DataFrame:
    """One row per service area (the last segment of the area path), sorted by it:
    ``service_area``, ``items`` (its Features and User Stories) and ``breaking_pct`` (the share
    of them breaking at least one rule of the module docstring, in percent).

    ``workitems``: one row per work item (``id``, ``work_item_type``, ``area_path``,
    ``iteration_path``, ``parent``); ``revisions``: one row per revision (``id``, ``state``).
    With ``until`` (a UTC moment), as the items stood just before it: then ``workitems`` needs
    ``created_date`` and ``revisions`` needs ``rev``, ``changed_date`` and the RULE_FIELDS.
    """
    if until is not None:
        workitems, revisions = _as_of(workitems, revisions, until)
    planned = workitems.filter(pl.col("work_item_type").is_in(list(PLANNED_TYPES)))
    flagged = planned.join(_closed_without_active(revisions), on="id", how="left").with_columns(
        (
            ((pl.col("work_item_type") == "Feature") & pl.col("parent").is_null())
            | pl.col("closed_without_active").fill_null(False)
            | ~pl.col("iteration_path").str.contains(PATH_SEPARATOR, literal=True)
        ).alias("breaks"),
        pl.col("area_path").str.split(PATH_SEPARATOR).list.last().alias("service_area"),
    )
    return (
        flagged.group_by("service_area")
        .agg(pl.len().alias("items"), (pl.col("breaks").mean() * 100).alias("breaking_pct"))
        .sort("service_area")
    )


def _as_of(
    workitems: pl.DataFrame, revisions: pl.DataFrame, until: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The items created before ``until`` with the fields of their last revision before it,
    and the revisions before it."""
    earlier = revisions.filter(pl.col("changed_date") < until)
    last = (
        earlier.sort("id", "rev")
        .group_by("id")
        .last()
        .select(
            "id",
            pl.lit(True).alias("revised"),
            *(pl.col(f).alias(f"{f}_then") for f in RULE_FIELDS),
        )
    )
    items = (
        workitems.join(last, on="id", how="left")
        .filter((pl.col("created_date") < until) | pl.col("revised").fill_null(False))
        .with_columns(
            pl.when(pl.col("revised")).then(pl.col(f"{f}_then")).otherwise(pl.col(f)).alias(f)
            for f in RULE_FIELDS
        )
    )
    return items, earlier


def _closed_without_active(revisions: pl.DataFrame) -> pl.DataFrame:
    """The ids of the items with a Closed revision and no Active one."""
    return (
        revisions.group_by("id")
        .agg(
            (pl.col("state") == "Closed").any().alias("closed"),
            (pl.col("state") == "Active").any().alias("active"),
        )
        .filter(pl.col("closed") & ~pl.col("active"))
        .select("id", pl.lit(True).alias("closed_without_active"))
    )
