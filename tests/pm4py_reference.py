"""pm4py's figures for a pandas frame, computed in the test run itself (never pasted)."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd


def pm4py_figures(df: pd.DataFrame) -> dict[str, Any]:
    """Cases, events, variants, DFG frequencies and mean/median durations as pm4py computes them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - heavy, imported only by the tests that compare

        frequencies, _, _ = pm4py.discover_dfg(df)
        performance, _, _ = pm4py.discover_performance_dfg(df)
        variants = pm4py.get_variants(df)
    return {
        "cases": int(df["case:concept:name"].nunique()),
        "events": len(df),
        "variants": len(variants),
        "frequency": {pair: int(n) for pair, n in frequencies.items()},
        "mean": {pair: float(v["mean"]) for pair, v in performance.items()},
        "median": {pair: float(v["median"]) for pair, v in performance.items()},
    }


def read_xes_with_pm4py(path: str) -> pd.DataFrame:
    """pm4py's own XES reading of ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415

        return pm4py.read_xes(path)


def format_with_pm4py(
    df: pd.DataFrame, *, case: str, activity: str, timestamp: str
) -> pd.DataFrame:
    """pm4py's ``format_dataframe`` (it sorts by case and time, keeping ties in file order)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415

        return pm4py.format_dataframe(
            df, case_id=case, activity_key=activity, timestamp_key=timestamp
        )
