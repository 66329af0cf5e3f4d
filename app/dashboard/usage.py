"""Who uses each solution of a case, per service area: the distinct people who ran its robot
(the run data's ``robot_user``), placed in the service area they register their hours in.

A count of people only, never a person: the page withholds every count below the privacy
rule's minimum group (``mining.MIN_GROUP_SIZE``). Only people found in time registration
count: a service account registers no hours, so an unattended robot's runs count no one. The
runs are read up to the end of the as-of day (UTC), as the services cut every measurement.

This reads two stored tables and counts: small enough for the face; it moves to the services
(a field of ``CaseOverview``) once the report needs it too.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import polars as pl

from app.dashboard.data import FileVersion, read_file_versions
from app.figures.cockpit_tables import AreaUsage
from models.datafolder import DataFolder
from models.followup import binding_path_for, read_bindings


def load_usage(data: DataFolder, case: Path, as_of: dt.date) -> tuple[AreaUsage, ...]:
    """The users per solution (in the binding's order) and service area (by name), cached
    per version of the bindings, the runs and the hours."""
    files = (binding_path_for(case), data.robot_runs(), data.hours())
    return _load_usage(data, case, as_of, read_file_versions(files))


@lru_cache(maxsize=8)
def _load_usage(
    data: DataFolder, case: Path, as_of: dt.date, version: tuple[FileVersion, ...]
) -> tuple[AreaUsage, ...]:
    del version  # part of the cache key only
    runs_path, hours_path = data.robot_runs(), data.hours()
    if not runs_path.exists():
        return ()
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    runs = pl.read_parquet(runs_path, columns=["process_name", "robot_user", "start"])
    runs = runs.filter(pl.col("start") < end)
    areas = _home_areas(pl.read_parquet(hours_path) if hours_path.exists() else None)
    found: list[AreaUsage] = []
    for solution in read_bindings(binding_path_for(case)).solutions:
        if solution.robot_process is None:
            continue
        mine = runs.filter(pl.col("process_name") == solution.robot_process)
        found.extend(_count(solution.name, mine, areas))
    return tuple(found)


def _home_areas(hours: pl.DataFrame | None) -> pl.DataFrame:
    """Each person's service area: where they registered the most hours."""
    if hours is None:
        return pl.DataFrame(schema={"robot_user": pl.String, "service_area": pl.String})
    return (
        hours.group_by("employee", "service_area")
        .agg(pl.col("hours").sum())
        .sort("hours", "service_area", descending=[True, False])
        .group_by("employee", maintain_order=True)
        .first()
        .select(pl.col("employee").alias("robot_user"), "service_area")
    )


def _count(solution: str, runs: pl.DataFrame, areas: pl.DataFrame) -> list[AreaUsage]:
    people = runs.select("robot_user").unique().join(areas, on="robot_user", how="inner")
    counts = people.group_by("service_area").agg(pl.len().alias("users")).sort("service_area")
    return [AreaUsage(solution, area, int(n)) for area, n in counts.iter_rows()]


def clear_usage_cache() -> None:
    """Forget every counted usage (to measure a first request)."""
    _load_usage.cache_clear()
