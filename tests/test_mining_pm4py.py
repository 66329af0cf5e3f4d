"""The polars core equals pm4py on the real logs and on the standard workload (seed 42).

pm4py's side is computed here, in the test run, on the same file read by pm4py itself (XES) or
by pandas and pm4py's ``format_dataframe`` (CSV). Compared: DFG arc frequencies and mean
durations, start and end activities, variant counts, case durations and handover counts.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import polars as pl
import pytest

from extractors.files import ColumnMapping, ReadOptions
from mining.durations import compute_activity_durations, compute_case_durations
from mining.handovers import compute_handovers
from mining.process_map import END, START, discover_process_map
from mining.variants import compute_variants
from models.store import LogStore
from services.imports import import_log
from tests.pm4py_reference import format_with_pm4py, read_xes_with_pm4py
from tests.shared_data import shared_file

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_o2c_log.py"


@dataclass(frozen=True)
class Pair:
    """One log: our stored events and pm4py's frame of the same file."""

    events: pl.DataFrame
    frame: pd.DataFrame


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogStore]:
    yield LogStore(tmp_path_factory.mktemp("pm4py-parity") / "data")


def _xes(store: LogStore, name: str, relative: str) -> Pair:
    path = shared_file(relative)
    # Compared with pm4py on the file's own resource names: public example logs, in clear.
    import_log(store, path, name=name, options=ReadOptions(pseudonymise=False))
    return Pair(store.read(name), read_xes_with_pm4py(str(path)))


def _stored_as_pm4py(store: LogStore, name: str, relative: str) -> Pair:
    """A large XES log: pm4py's frame is our stored events under the XES names. pm4py's own
    parse of BPIC 2013 takes half a minute, and tests/test_real_logs.py already checks that it
    equals our import, so the figures here are compared on exactly the same events."""
    import_log(store, shared_file(relative), name=name, options=ReadOptions())
    events = store.read(name)
    renames = {"case_id": "case:concept:name", "activity": "concept:name"}
    renames |= {"timestamp": "time:timestamp", "resource": "org:resource", "org_unit": "org:group"}
    frame = (
        events.with_columns(pl.col("activity").cast(pl.String))
        .rename({k: v for k, v in renames.items() if k in events.columns})
        .to_pandas()
    )
    return Pair(events, frame)


def _standard_workload(store: LogStore, folder: Path) -> Pair:
    """About 20,000 events of the standard benchmark generator, seed 42."""
    if not GENERATOR.exists():
        shared_file("../bench/gen_o2c_log.py")  # skips or fails with the missing path
    spec = importlib.util.spec_from_file_location("gen_o2c_log", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generated: pl.DataFrame = generator.generate(20_000, 42)
    csv = folder / "o2c.csv"
    generated.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%d %H:%M:%S%.3f")).write_csv(csv)
    import_log(store, csv, name="o2c", options=ReadOptions(pseudonymise=False))  # generated
    raw = pd.read_csv(csv)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True)
    raw = raw.rename(columns={"resource": "org:resource"})
    frame = format_with_pm4py(raw, case="case_id", activity="activity", timestamp="timestamp")
    return Pair(store.read("o2c"), frame)


LOGS: dict[str, Callable[[LogStore, Path], Pair]] = {
    "running": lambda s, _: _xes(s, "running", "pm4py-examples/running-example.xes"),
    "receipt": lambda s, _: _xes(s, "receipt", "pm4py-examples/receipt.xes.gz"),
    "bpic2013": lambda s, _: _stored_as_pm4py(
        s, "bpic2013", "bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz"
    ),
    "o2c-seed42": _standard_workload,
}
_CACHE: dict[str, Pair] = {}


@pytest.fixture(
    scope="module",
    params=[
        "running",
        "receipt",
        pytest.param("bpic2013", marks=pytest.mark.slow),
        "o2c-seed42",
    ],
)
def pair(
    request: pytest.FixtureRequest, store: LogStore, tmp_path_factory: pytest.TempPathFactory
) -> Pair:
    return _load(request.param, store, tmp_path_factory)


def _load(name: str, store: LogStore, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    if name not in _CACHE:
        _CACHE[name] = LOGS[name](store, tmp_path_factory.mktemp(name))
    return _CACHE[name]


@pytest.fixture(
    scope="module", params=["receipt", pytest.param("bpic2013", marks=pytest.mark.slow)]
)
def pair_with_org_units(
    request: pytest.FixtureRequest, store: LogStore, tmp_path_factory: pytest.TempPathFactory
) -> Pair:
    """The logs that carry org:group: the running example and the workload have none."""
    return _load(request.param, store, tmp_path_factory)


def pm4py_call(function: str, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py  # noqa: PLC0415 - heavy, only these tests compare

        return getattr(pm4py, function)(*args, **kwargs)


def test_process_map_equals_pm4py_dfg(pair: Pair) -> None:
    frequencies, starts, ends = pm4py_call("discover_dfg", pair.frame)
    performance, _, _ = pm4py_call("discover_performance_dfg", pair.frame)
    arcs = discover_process_map(pair.events).arcs
    inner = arcs.filter((pl.col("source") != START) & (pl.col("target") != END))
    ours = {(r["source"], r["target"]): r for r in inner.iter_rows(named=True)}
    assert {k: r["frequency"] for k, r in ours.items()} == {
        k: int(v) for k, v in frequencies.items()
    }
    for key, row in ours.items():
        assert row["mean_duration_s"] == pytest.approx(performance[key]["mean"], rel=1e-9, abs=1e-6)
    start_arcs = arcs.filter(pl.col("source") == START)
    end_arcs = arcs.filter(pl.col("target") == END)
    assert dict(start_arcs.select("target", "frequency").iter_rows()) == {
        k: int(v) for k, v in starts.items()
    }
    assert dict(end_arcs.select("source", "frequency").iter_rows()) == {
        k: int(v) for k, v in ends.items()
    }


def test_variant_counts_equal_pm4py(pair: Pair) -> None:
    reference = pm4py_call("get_variants", pair.frame)
    expected = {
        tuple(variant): (count if isinstance(count, int) else len(count))
        for variant, count in reference.items()
    }
    ours = {
        tuple(r["variant"]): r["cases"] for r in compute_variants(pair.events).iter_rows(named=True)
    }
    assert ours == expected


def test_case_durations_equal_pm4py(pair: Pair) -> None:
    reference = sorted(float(d) for d in pm4py_call("get_all_case_durations", pair.frame))
    ours = sorted(compute_case_durations(pair.events)["duration_s"].to_list())
    assert ours == pytest.approx(reference, rel=1e-12, abs=1e-6)


def _handover_reference(frame: pd.DataFrame, column: str) -> dict[tuple[str, str], int]:
    """pm4py's handover-of-work values times its divisor (all consecutive pairs), without a
    performer's pairs with itself: counts, as ours are."""
    performed = frame[frame[column].notna()].copy()
    performed[column] = performed[column].astype(str)
    network = pm4py_call(
        "discover_handover_of_work_network", performed, beta=0, resource_key=column
    )
    sizes = performed.groupby("case:concept:name", sort=False).size()
    divisor = int((sizes - 1).sum())
    return {
        pair: round(value * divisor)
        for pair, value in network.connections.items()
        if pair[0] != pair[1]
    }


def test_resource_handovers_equal_pm4py(pair: Pair) -> None:
    expected = _handover_reference(pair.frame, "org:resource")
    matrix = compute_handovers(pair.events, level="resource")
    assert {
        (r["source"], r["target"]): r["handovers"] for r in matrix.iter_rows(named=True)
    } == expected


def test_org_unit_handovers_equal_pm4py(pair_with_org_units: Pair) -> None:
    pair = pair_with_org_units
    assert pair.events["org_unit"].null_count() < pair.events.height
    expected = _handover_reference(pair.frame, "org:group")
    matrix = compute_handovers(pair.events, level="org_unit")
    assert {
        (r["source"], r["target"]): r["handovers"] for r in matrix.iter_rows(named=True)
    } == expected


def test_service_time_equals_pm4py(store: LogStore) -> None:
    path = shared_file("pm4py-examples/interval_event_log.csv")
    mapping = ColumnMapping(start_timestamp="start_timestamp")
    import_log(store, path, name="interval", options=ReadOptions(columns=mapping))
    raw = pd.read_csv(path)
    for column in ("time:timestamp", "start_timestamp"):
        raw[column] = pd.to_datetime(raw[column], utc=True)
    frame = format_with_pm4py(
        raw, case="case:concept:name", activity="concept:name", timestamp="time:timestamp"
    )
    ours = compute_activity_durations(store.read("interval"))
    for measure in ("mean", "median"):
        reference = pm4py_call(
            "get_service_time",
            frame,
            aggregation_measure=measure,
            start_timestamp_key="start_timestamp",
        )
        found = dict(ours.select("activity", f"{measure}_service_s").iter_rows())
        assert found == pytest.approx({k: float(v) for k, v in reference.items()}, rel=1e-12)
