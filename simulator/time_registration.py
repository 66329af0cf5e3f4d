"""Time registration: KIT's own export (CSV per year) and ServiceNow ``time_card`` rows.

The CSV is what the time-registration system exports: one row per employee, day, case reference
and activity, semicolon-separated with a decimal comma (Danish Excel), UTF-8, a header row:

    Dato;Medarbejder;Serviceområde;Sagsreference;Aktivitet;Timer
    2024-03-04;anni42;Servicedesk;INC0012345;Incidenthåndtering;0,50

``Dato`` is the local working day, ``Medarbejder`` the user name (a raw identifier to pseudonymise),
``Sagsreference`` a ServiceNow number (INC/RITM). ``time_card`` carries the same hours in
ServiceNow's weekly shape (one row per user, task, week and category): use one of the two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from simulator.context import Context
from simulator.ids import make_sys_ids
from simulator.world import SERVICE_AREAS

CSV_COLUMNS = ("Dato", "Medarbejder", "Serviceområde", "Sagsreference", "Aktivitet", "Timer")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def hours_text(column: str, decimal: str) -> pl.Expr:
    """Hours with exactly two decimals ('1,50' in the CSV, '1.50' in ServiceNow), vectorised."""
    cents = (pl.col(column) * 100).round().cast(pl.Int64)
    return (cents // 100).cast(pl.String) + decimal + (cents % 100).cast(pl.String).str.zfill(2)


def collect_entries(ctx: Context) -> pl.DataFrame:
    """All entries, summed to one row per (day, user, reference, category), sorted."""
    if not ctx.time_entries:
        return pl.DataFrame()
    raw = pl.concat(ctx.time_entries)
    return (
        raw.with_columns(pl.from_epoch("time_s", time_unit="s").dt.date().alias("date"))
        .group_by(["date", "user", "reference", "category"])
        .agg(
            pl.col("hours").sum().round(2),
            pl.col("task_sys_id").first(),
            pl.col("area").first(),
            pl.col("time_s").min().alias("first_s"),
            pl.col("time_s").max().alias("last_s"),
        )
        .sort(["date", "user", "reference", "category"])
    )


def write_csv(ctx: Context, entries: pl.DataFrame, out: Path) -> list[Path]:
    """One CSV per calendar year under ``time-registration/``."""
    folder = out / "time-registration"
    folder.mkdir(parents=True, exist_ok=True)
    if entries.height == 0:
        return []
    names = np.array([a.name for a in SERVICE_AREAS])
    users = ctx.world.people.user_name
    frame = entries.select(
        pl.col("date").dt.strftime("%Y-%m-%d").alias("Dato"),
        pl.Series("Medarbejder", users[entries["user"].to_numpy()]),
        pl.Series("Serviceområde", names[entries["area"].to_numpy()]),
        pl.col("reference").alias("Sagsreference"),
        pl.col("category").alias("Aktivitet"),
        hours_text("hours", ",").alias("Timer"),
        pl.col("date").dt.year().alias("year"),
    )
    paths: list[Path] = []
    for year in sorted(frame["year"].unique().to_list()):
        path = folder / f"tidsregistrering-{year}.csv"
        part = frame.filter(pl.col("year") == year).drop("year")
        part.write_csv(path, separator=";", line_terminator="\n")
        paths.append(path)
    return paths


def time_cards(ctx: Context, entries: pl.DataFrame) -> pl.DataFrame:
    """ServiceNow time_card rows (strings, value mode) from the same entries."""
    if entries.height == 0:
        return pl.DataFrame()
    people = ctx.world.people
    week = entries.with_columns(
        pl.col("date").dt.truncate("1w").alias("week"),
        pl.col("date").dt.weekday().alias("weekday"),
    )
    cards = (
        week.group_by(["user", "task_sys_id", "week", "category"])
        .agg(
            *[
                pl.col("hours").filter(pl.col("weekday") == d + 1).sum().alias(name)
                for d, name in enumerate(WEEKDAYS)
            ],
            pl.col("hours").sum().alias("total"),
            pl.col("first_s").min(),
            pl.col("last_s").max(),
        )
        .sort(["week", "user", "task_sys_id", "category"])
    )
    seq = np.arange(cards.height, dtype=np.int64)

    def stamp(col: str) -> pl.Expr:
        """Epoch seconds as a ServiceNow time string."""
        return pl.from_epoch(col, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")

    return cards.select(
        pl.Series("sys_id", make_sys_ids(ctx.world.seed, "time_card", seq)),
        pl.Series("user", people.sys_id[cards["user"].to_numpy()]),
        pl.col("task_sys_id").alias("task"),
        pl.col("week").dt.strftime("%Y-%m-%d").alias("week_starts_on"),
        pl.lit("task_work").alias("category"),
        pl.col("category").alias("u_aktivitet"),
        *[hours_text(name, ".").alias(name) for name in WEEKDAYS],
        hours_text("total", ".").alias("total"),
        pl.lit("Approved").alias("state"),
        stamp("first_s").alias("sys_created_on"),
        stamp("last_s").alias("sys_updated_on"),
        pl.Series("sys_created_by", people.user_name[cards["user"].to_numpy()]),
    )
