"""The 5-person rule (DESIGN.md, People): no figure may describe fewer than 5 distinct people.

One rule for every figure about an org unit, an activity's hours or a filtered view:

- :func:`check_group_size` counts the distinct people (pseudonymous resources) of a view; a view
  with fewer than :data:`MIN_PEOPLE` of them is withheld by the faces, with a note.
- :func:`merge_small_groups` relabels the rows of every group (org unit, activity, service area)
  with fewer than 5 distinct people as one group, :data:`OTHER_GROUP`; when that group still
  holds fewer than 5 people, its rows are labelled :data:`WITHHELD_GROUP` instead, and the faces
  leave them out (and say how many groups were merged or withheld).

People are counted as distinct non-null values of the people column (``resource``). A log
without that column, or with no value in it, names no people: nothing can be counted, so
nothing is merged or withheld, and the result says so (``people_known`` False) for the faces
to note. A person who works in several groups counts in each of them.

Figures per month (a trend, a split by month) are figures about a period: a month whose
events (:func:`find_small_months`, ``of="event"``) or whose cases started in it
(``of="case"``) show fewer than 5 people is left out, and the faces say how many months.

Figures per activity (a process map's boxes and arcs, an activity's waits) follow the same
rule with :func:`merge_small_activities`: the events of every activity naming fewer than 5
people are relabelled :data:`OTHER_ACTIVITIES` before the figures are computed, so an arc into
or out of it is a figure about the merged group. When the merged activities together still name
fewer than 5 people, their events are labelled :data:`WITHHELD_GROUP` and the faces drop that
node and its arcs (:func:`drop_withheld`) rather than show a figure about 1-4 people; the
events are relabelled, not removed, so no arc is invented between their neighbours. An activity
whose events name no person (all ``resource`` null, such as SLA timers) counts 0 people and is
merged too; a robot or a system account is one pseudonymous resource and counts as one person,
as in the org-unit rule.

Figures between groups are computed on the merged labels, so work passed between two merged
groups falls inside the merged group: in BPIC 2013, 27 of 9454 handovers between org units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from mining.calendar_dk import local_month
from models.errors import KitflowError
from models.schema import ACTIVITY, CASE, ORG_UNIT, RESOURCE, TIMESTAMP

Frame = pl.LazyFrame | pl.DataFrame
MIN_PEOPLE: Final = 5
MonthOf = Literal["event", "case"]
OTHER_GROUP: Final = "Other (fewer than 5 people)"
OTHER_ACTIVITIES: Final = "Other activities (fewer than 5 people)"
WITHHELD_GROUP: Final = "Withheld (fewer than 5 people)"


class PrivacyError(KitflowError):
    """A view would show figures about fewer people than the privacy rule allows."""


@dataclass(frozen=True)
class GroupSize:
    """The distinct people of a view: ``people`` (None when the log names none) and whether
    its figures may be shown (``enough``: at least 5, or no people to count)."""

    people: int | None

    @property
    def people_known(self) -> bool:
        return self.people is not None

    @property
    def enough(self) -> bool:
        return self.people is None or self.people >= MIN_PEOPLE


@dataclass(frozen=True)
class MergedGroups:
    """A frame whose small groups are merged: ``frame`` (same rows and columns, the ``by``
    column relabelled), ``merged`` (groups relabelled :data:`OTHER_GROUP` or
    :data:`WITHHELD_GROUP`), ``other_people`` (distinct people of the merged group),
    ``withheld`` (True when the merged group still has fewer than 5 people) and
    ``people_known`` (False when the frame names no people, so nothing was merged)."""

    frame: pl.LazyFrame
    merged: int
    other_people: int
    withheld: bool
    people_known: bool


def count_people(frame: Frame, *, people_column: str = RESOURCE) -> int | None:
    """Distinct non-null people of ``frame``; None when it has no such column or no value."""
    lazy = frame.lazy()
    if people_column not in lazy.collect_schema():
        return None
    counts = lazy.select(
        pl.col(people_column).drop_nulls().n_unique().alias("people"),
        pl.col(people_column).is_not_null().any().alias("any"),
    ).collect()
    return int(counts["people"][0]) if counts["any"][0] else None


def check_group_size(frame: Frame, *, people_column: str = RESOURCE) -> GroupSize:
    """How many distinct people ``frame`` shows (see :class:`GroupSize`)."""
    return GroupSize(count_people(frame, people_column=people_column))


def count_people_per_group(frame: Frame, *, by: str, people_column: str = RESOURCE) -> pl.DataFrame:
    """One row per non-null value of ``by``: ``by``, ``people`` (distinct non-null people; 0
    throughout when the frame has no people column)."""
    lazy = frame.lazy()
    if people_column not in lazy.collect_schema():
        lazy = lazy.with_columns(pl.lit(None, dtype=pl.String).alias(people_column))
    people = pl.col(people_column).drop_nulls().n_unique().cast(pl.Int64).alias("people")
    grouped = lazy.filter(pl.col(by).is_not_null()).group_by(pl.col(by).cast(pl.String))
    return grouped.agg(people).sort(by).collect()


def find_small_groups(frame: Frame, *, by: str, people_column: str = RESOURCE) -> list[str]:
    """The values of ``by`` with fewer than 5 distinct people, sorted."""
    per_group = count_people_per_group(frame, by=by, people_column=people_column)
    return per_group.filter(pl.col("people") < MIN_PEOPLE)[by].to_list()


def merge_small_groups(
    frame: Frame, *, by: str, people_column: str = RESOURCE, other: str = OTHER_GROUP
) -> MergedGroups:
    """``frame`` with every group of ``by`` with fewer than 5 distinct people relabelled as one
    group, ``other`` (see the module docstring). ``by`` becomes a String column."""
    lazy = frame.lazy()
    if count_people(lazy, people_column=people_column) is None:
        return MergedGroups(lazy, merged=0, other_people=0, withheld=False, people_known=False)
    small = find_small_groups(lazy, by=by, people_column=people_column)
    in_small = pl.col(by).cast(pl.String).is_in(small)
    other_people = count_people(lazy.filter(in_small), people_column=people_column) or 0
    withheld = bool(small) and other_people < MIN_PEOPLE
    label = WITHHELD_GROUP if withheld else other
    relabelled = pl.when(in_small).then(pl.lit(label)).otherwise(pl.col(by).cast(pl.String))
    merged = lazy.with_columns(relabelled.alias(by))
    return MergedGroups(merged, len(small), other_people, withheld, people_known=True)


def merge_small_activities(events: Frame, *, people_column: str = RESOURCE) -> MergedGroups:
    """``events`` with every activity naming fewer than 5 distinct people relabelled
    :data:`OTHER_ACTIVITIES` (or :data:`WITHHELD_GROUP` when they name fewer than 5 together),
    for a map, a DFG or waits per activity (see the module docstring)."""
    return merge_small_groups(
        events, by=ACTIVITY, people_column=people_column, other=OTHER_ACTIVITIES
    )


def drop_withheld(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` without the rows where any of ``columns`` is :data:`WITHHELD_GROUP`."""
    if not columns:
        return frame
    hidden = pl.any_horizontal(pl.col(c).cast(pl.String) == WITHHELD_GROUP for c in columns)
    return frame.filter(~hidden.fill_null(False))


def check_view_size(
    view: Frame, *, org_units: tuple[str, ...] = (), people_column: str = RESOURCE
) -> GroupSize:
    """The people a filtered view shows: the fewer of the whole view's and, when it is filtered
    to ``org_units``, those of the units' own events (whose work the view describes)."""
    whole = count_people(view, people_column=people_column)
    if whole is None or not org_units:
        return GroupSize(whole)
    lazy = view.lazy()
    own = lazy.filter(pl.col(ORG_UNIT).cast(pl.String).is_in(list(org_units)))
    return GroupSize(min(whole, count_people(own, people_column=people_column) or 0))


def check_period_sizes(events: Frame, *, at: dt.datetime) -> None:
    """Raise PrivacyError unless the cases started before ``at`` and those started from it
    each show 5 people or more (or the log names none): a before/after comparison."""
    lazy = events.lazy()
    started_before = started_before_expr(at)
    for side, inside in (("before", started_before), ("from", ~started_before)):
        check_period_side(check_group_size(lazy.filter(inside)), side=side, at=at)


def started_before_expr(at: dt.datetime) -> pl.Expr:
    """True for the events of cases whose first event lies before ``at``."""
    return pl.col(TIMESTAMP).min().over(CASE) < pl.lit(at.astimezone(dt.UTC))


def check_period_side(size: GroupSize, *, side: str, at: dt.datetime) -> None:
    """Raise PrivacyError when the cases started ``side`` (before/from) ``at`` show fewer than
    5 people."""
    if not size.enough:
        raise PrivacyError(
            f"the cases started {side} {at.isoformat()} show fewer than 5 people, so the "
            "comparison is withheld (the 5-person rule): choose another date."
        )


def find_small_months(
    events: Frame, *, of: MonthOf = "event", people_column: str = RESOURCE
) -> list[dt.date]:
    """The Copenhagen months (their first days, sorted) whose figures would describe fewer than
    5 people: the distinct people of the events in the month (``of="event"``: a split by the
    month of an event, such as the waits of :func:`mining.find_bottlenecks`) or of the cases
    that started in it (``of="case"``: a split by the month a case started, such as
    :func:`mining.compute_handover_trend`). Empty when the log names no people."""
    lazy = events.lazy()
    if count_people(lazy, people_column=people_column) is None:
        return []
    moment = pl.col(TIMESTAMP) if of == "event" else pl.col(TIMESTAMP).min().over(CASE)
    by_month = lazy.with_columns(local_month(moment).alias("_month"))
    per_month = count_people_per_group(by_month, by="_month", people_column=people_column)
    small = per_month.filter(pl.col("people") < MIN_PEOPLE)["_month"]
    return sorted(dt.date.fromisoformat(day) for day in small.to_list())


def drop_small_months(frame: pl.DataFrame, months: list[dt.date]) -> pl.DataFrame:
    """``frame`` without the rows of ``months`` (its ``month`` column, a date)."""
    if not months:
        return frame
    return frame.filter(~pl.col("month").is_in(months))
