"""The time registration of a solution's work, prepared for the estimates: the work's cases
with the hours registered on each, the hours that name no case, and a comparison process.

The cases are the work's cases in ServiceNow where the data hold them (every case, registered
or not); without ServiceNow they are the references the robot's transactions and the activity's
registrations name (a case nobody registered and no robot touched cannot be seen then). Hours
count for a case when registered on its reference on the solution's activity, or on one of the
binding's catch-all activities (people book work on "Diverse" with the case number).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from models.followup import Comparison


@dataclass(frozen=True)
class Registration:
    """A solution's registered hours: per case (reference, month opened, hours), loose hours
    (month, hours) on the activity naming no case, every entry's hours on the work, and the
    hours found on catch-all activities."""

    cases: pl.DataFrame
    loose: pl.DataFrame
    entries: pl.Series
    catch_all_hours: float
    cases_from_servicenow: bool
    people_by_year: dict[int, int]

    def fewest_people(self, first_year: int) -> int:
        """The fewest distinct people behind the hours of any year from ``first_year`` on (the
        5-person rule: an estimate resting on fewer describes their work)."""
        counts = [n for year, n in self.people_by_year.items() if year >= first_year]
        return min(counts) if counts else 0

    def hours_of(self, references: pl.Series) -> pl.DataFrame:
        """reference, hours (0 when nothing is registered) for ``references``."""
        frame = references.unique().to_frame("reference")
        return frame.join(
            self.cases.select("reference", "hours"), on="reference", how="left"
        ).with_columns(pl.col("hours").fill_null(0.0))


def prepare_registration(
    hours: pl.DataFrame,
    *,
    activity: str,
    catch_all: tuple[str, ...],
    opened: pl.DataFrame | None,
    transactions: pl.DataFrame | None,
) -> Registration | None:
    """The registration of one activity's work. ``opened`` (reference, opened) are the work's
    cases from ServiceNow, None without them; ``transactions`` the robot's (reference, start)."""
    own = hours.filter(pl.col("activity") == activity)
    if own.is_empty():
        return None
    cases = opened if opened is not None else _seen_cases(own, transactions)
    cases = cases.group_by("reference", maintain_order=True).agg(pl.col("opened").min())
    on_work = hours.filter(
        (pl.col("activity") == activity)
        | (pl.col("activity").is_in(list(catch_all))
           & pl.col("case_reference").is_in(cases["reference"].implode()))
    )  # fmt: skip
    per_case = on_work.group_by(
        pl.col("case_reference").alias("reference"), maintain_order=True
    ).agg(pl.col("hours").sum())
    with_hours = (
        cases.join(per_case, on="reference", how="left")
        .select(
            "reference",
            pl.col("opened").dt.date().dt.truncate("1mo").alias("month"),
            pl.col("hours").fill_null(0.0),
        )
        .sort("reference")
    )
    loose = own.filter(
        pl.col("case_reference").is_null()
        | ~pl.col("case_reference").is_in(cases["reference"].implode())
    ).select(pl.col("date").dt.truncate("1mo").alias("month"), "hours")
    catch_all_hours = float(on_work.filter(pl.col("activity") != activity)["hours"].sum())
    people = _people_by_year(pl.concat([on_work, own.filter(pl.col("case_reference").is_null())]))
    return Registration(
        with_hours, loose, on_work["hours"], catch_all_hours, opened is not None, people
    )


def _people_by_year(rows: pl.DataFrame) -> dict[int, int]:
    """Distinct employees registering per calendar year (none counted without the column)."""
    if "employee" not in rows.columns:
        return {}
    counted = rows.group_by(pl.col("date").dt.year().alias("year")).agg(
        pl.col("employee").drop_nulls().n_unique()
    )
    return {int(y): int(n) for y, n in counted.iter_rows()}


def _seen_cases(own: pl.DataFrame, transactions: pl.DataFrame | None) -> pl.DataFrame:
    """Cases as the registration and the robot's transactions name them: opened at the first
    registration or transaction."""
    registered = own.filter(pl.col("case_reference").is_not_null()).select(
        pl.col("case_reference").alias("reference"),
        pl.col("date").cast(pl.Datetime("us", "UTC")).alias("opened"),
    )
    if transactions is None:
        return registered
    robot = transactions.select("reference", pl.col("start").alias("opened"))
    return pl.concat([registered, robot.cast(registered.schema)])


def has_references(registration: Registration) -> bool:
    """Whether the activity's hours name cases at all (else only monthly totals compare)."""
    return bool((registration.cases["hours"] > 0).any())


def loose_by_month(hours: pl.DataFrame, activity: str) -> pl.DataFrame:
    """An activity's hours per month (month, hours), for work without case references."""
    return (
        hours.filter(pl.col("activity") == activity)
        .group_by(pl.col("date").dt.truncate("1mo").alias("month"), maintain_order=True)
        .agg(pl.col("hours").sum())
    )


def comparison_cases(
    hours: pl.DataFrame,
    comparison: Comparison,
    *,
    catch_all: tuple[str, ...],
    opened: pl.DataFrame | None,
) -> pl.DataFrame | None:
    """The comparison process's cases (reference, month, hours)."""
    found = prepare_registration(
        hours, activity=comparison.time_activity, catch_all=catch_all, opened=opened,
        transactions=None,
    )  # fmt: skip
    return None if found is None else found.cases
