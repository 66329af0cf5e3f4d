"""The 'confounded' scenario's planted confounders: adoption ramp and time-registration noise.

Every draw comes from its own random stream (``ctx.rng`` 50 to 54 and 60 to 62), so the clean
scenario's draws are never shifted by these.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from simulator.context import Context
from simulator.effects import AUTOMATIONS, Confounders
from simulator.ids import IntArray

ADOPTION_STREAM = 50  # + the automation's index
NOISE_STREAMS = {"unregistered": 60, "catch_all": 61, "missing_days": 62}
ENTRY_KEYS = ["date", "user", "reference", "category"]


def _month_number(t: IntArray) -> IntArray:
    """Months since 1970-01 of epoch seconds."""
    return (
        np.asarray(t, dtype=np.int64)
        .astype("datetime64[s]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )


def adoption_share(conf: Confounders, key: str, go_live: str, t: IntArray) -> np.ndarray:
    """The share of cases the robot takes at times ``t`` (0 before the go-live month)."""
    live = np.datetime64(go_live, "M").astype(np.int64)
    months = _month_number(t) - live
    ramp = np.clip(months / conf.ramp_months, 0.0, 1.0)
    share = conf.ramp_start_share + (conf.final(key) - conf.ramp_start_share) * ramp
    return np.where(months >= 0, share, 0.0)


def robot_takes(ctx: Context, key: str, go_live: str, t: IntArray, after: np.ndarray) -> np.ndarray:
    """Which cases after go-live the robot takes; all of them in the clean scenario."""
    conf = ctx.confounders
    if conf is None or not after.any():
        return after
    stream = [a.key for a in AUTOMATIONS].index(key)
    draw = ctx.rng(ADOPTION_STREAM + stream).random(len(t))
    return after & (draw < adoption_share(conf, key, go_live, t))


def human_minutes(ctx: Context, manual: int) -> float:
    """What a robot exception costs a person: the manual time, more when confounded."""
    factor = 1.0 if ctx.confounders is None else ctx.confounders.exception_cost_factor
    return manual * factor


def _summed(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per key: hours summed, the first task and area, the first and last moment."""
    return frame.group_by(keys, maintain_order=True).agg(
        pl.col("hours").sum().round(2),
        pl.col("task_sys_id").first(),
        pl.col("area").first(),
        pl.col("first_s").min(),
        pl.col("last_s").max(),
    )


def _moved_entries(ctx: Context) -> pl.DataFrame:
    """Freed hours moved to other work, one row per (automation, day, person)."""
    raw = pl.concat(ctx.moved_time).with_columns(
        pl.from_epoch("time_s", time_unit="s").dt.date().alias("date"),
        pl.col("time_s").alias("first_s"),
        pl.col("time_s").alias("last_s"),
    )
    return _summed(raw, [*ENTRY_KEYS, "source"])


def _draw_per(frame: pl.DataFrame, columns: list[str], rng: np.random.Generator) -> pl.DataFrame:
    """One uniform draw per distinct value of ``columns``, in sorted order (deterministic)."""
    keys = frame.select(columns).unique().sort(columns)
    return keys.with_columns(pl.Series("draw", rng.random(keys.height)))


def _unregistered(ctx: Context, conf: Confounders, entries: pl.DataFrame) -> pl.DataFrame:
    """Some cases are never registered: drop every entry of a drawn share of references."""
    cased = entries.filter(pl.col("reference") != "")
    draws = _draw_per(cased, ["reference"], ctx.rng(NOISE_STREAMS["unregistered"]))
    dropped = draws.filter(pl.col("draw") < conf.unregistered_case_share).select("reference")
    return entries.join(dropped, on="reference", how="anti")


def _catch_all(ctx: Context, conf: Confounders, entries: pl.DataFrame) -> pl.DataFrame:
    """Some entries land on the catch-all activity (the case reference is kept)."""
    entries = entries.sort([*ENTRY_KEYS, "source"])
    draw = ctx.rng(NOISE_STREAMS["catch_all"]).random(entries.height)
    hit = (draw < conf.catch_all_share) & (entries["reference"] != "").to_numpy()
    return entries.with_columns(
        pl.when(pl.Series(hit))
        .then(pl.lit(conf.catch_all_activity))
        .otherwise("category")
        .alias("category")
    )


def _missing_days(ctx: Context, conf: Confounders, entries: pl.DataFrame) -> pl.DataFrame:
    """From a date on, people skip registering whole days (one draw per person and day)."""
    cutoff = dt.date.fromisoformat(conf.missing_days_from)
    late = entries.filter(pl.col("date") >= cutoff)
    draws = _draw_per(late, ["user", "date"], ctx.rng(NOISE_STREAMS["missing_days"]))
    skipped = draws.filter(pl.col("draw") < conf.missing_day_share).select("user", "date")
    return entries.join(skipped, on=["user", "date"], how="anti")


def _round_up(conf: Confounders, entries: pl.DataFrame) -> pl.DataFrame:
    """People register at least a quarter: each entry's total is rounded up.

    The parts of one entry (several automations' moved hours on a person's day) are scaled
    alike, so they still add up to the entry and each automation's share can be told.
    """
    steps = 1 / conf.rounding_hours
    total = pl.col("hours").sum().over(ENTRY_KEYS)
    rounded = (total * steps).round(6).ceil() / steps  # the round guards against float noise
    return entries.with_columns((pl.col("hours") * rounded / total).alias("hours"))


def registration_noise(ctx: Context, entries: pl.DataFrame) -> pl.DataFrame:
    """The confounded time registration: noise applied, summed per entry key again, sorted.

    Notes each automation's moved hours as registered in ``ctx.facts['moved_registered']``.
    """
    conf = ctx.confounders
    if conf is None or entries.height == 0:
        return entries
    parts = [entries.with_columns(pl.lit("").alias("source"))]
    if ctx.moved_time:
        parts.append(_moved_entries(ctx).select(parts[0].columns))
    noisy = _unregistered(ctx, conf, pl.concat(parts))
    noisy = _missing_days(ctx, conf, _catch_all(ctx, conf, noisy))
    noisy = _round_up(conf, noisy)
    moved = noisy.filter(pl.col("source") != "").group_by("source").agg(pl.col("hours").sum())
    ctx.facts["moved_registered"] = {str(k): float(v) for k, v in moved.iter_rows()}
    return _summed(noisy, ENTRY_KEYS).sort(ENTRY_KEYS).select(entries.columns)
