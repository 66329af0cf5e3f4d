"""The simulated KIT landscape through ``kitflow demo``: every source extracted, the planted
effects recoverable from the stored logs, orders linked across systems, the OCEL export, and no
employee identifier anywhere under the data folder.

One small landscape (ten months around the integration's go-live, 5 % of KIT's volume) is
simulated and loaded once for the module; the expected figures come from its manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.cli import cli
from extractors.files.ocel import read_ocel
from mining import compare_periods, compute_time_between
from models.store import LogStore
from simulator import simulate
from tests.cli_support import run, runner
from tests.file_text import parquet_text

SEED, SCALE, START, END = 42, 0.05, "2023-06-01", "2024-03-31"
KEY = "landscape-module-test-key-0123456789"
GO_LIVE = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Demo:
    """The data folder ``kitflow demo`` filled, the same landscape's export files, the
    manifest, and what the demo printed."""

    data_dir: Path
    sim_dir: Path
    manifest: dict[str, Any]
    output: str

    @property
    def store(self) -> LogStore:
        return LogStore(self.data_dir)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("landscape")
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_DATA_DIR", str(root / "data"))
    patch.setenv("KITFLOW_PSEUDONYM_KEY", KEY)
    patch.delenv("KITFLOW_DATABASE_URL", raising=False)
    try:
        output = run("demo", "--scale", str(SCALE), "--start", START, "--end", END, "--no-public")
        # The same seed writes the same bytes: these are the exports the demo read and deleted.
        simulate(root / "sim", seed=SEED, scale=SCALE, start=START, end=END)
        manifest = json.loads((root / "sim" / "manifest.json").read_text("utf-8"))
        yield Demo(root / "data", root / "sim", manifest, output)
    finally:
        patch.undo()


def _integration(demo: Demo) -> dict[str, Any]:
    effect: dict[str, Any] = demo.manifest["effects"]["integration"]
    return effect


def test_demo_stores_every_source_and_keeps_the_manifest(demo: Demo) -> None:
    counts = demo.manifest["counts"]
    store = demo.store
    assert store.entry("servicenow-incidents").cases == counts["servicenow"]["incident"] == 829
    assert store.entry("servicenow-orders").cases == counts["servicenow"]["sc_req_item"] == 805
    assert store.entry("azure-devops").cases == counts["azure_devops"]["workitems"] == 237
    assert store.entry("azure-devops").events == counts["azure_devops"]["workitemrevisions"]
    for name in ("servicenow-incidents", "servicenow-orders", "azure-devops", "kit-orders"):
        assert store.entry(name).quarantined == 0
    hours = pl.read_parquet(demo.data_dir / "03_primary/time-registration/hours.parquet")
    assert hours.height == counts["time_registration"]["rows"] == 1641
    kept = json.loads((demo.data_dir / "landscape" / "manifest.json").read_text("utf-8"))
    assert kept == demo.manifest
    assert "Landscape loaded in" in demo.output
    assert "Linked 53 orders to 53 DevOps work items" in demo.output


def test_order_log_has_approvals_tasks_and_catalog_items(demo: Demo) -> None:
    orders = demo.store.read("servicenow-orders")
    activities = dict(orders.group_by("activity").len().rows())
    counts = demo.manifest["counts"]["servicenow"]
    assert activities["Created"] == counts["sc_req_item"]
    assert activities["Approved"] == demo.manifest["effects"]["bottleneck"]["n"] == 240
    # Every catalog task's events sit in its item's case.
    assert (
        orders.filter(pl.col("task_number").is_not_null())["task_number"].n_unique()
        == (counts["sc_task"])
    )
    per_item = orders.group_by("case:cat_item").agg(pl.col("case_id").n_unique())
    development = dict(per_item.rows())["Bestilling af udvikling eller ændring"]
    orders_effect = _integration(demo)["orders"]
    assert development == orders_effect["count_before"] + orders_effect["count_after"] == 53


def test_every_order_with_a_feature_is_linked(demo: Demo) -> None:
    folder = demo.data_dir / "03_primary" / "landscape-links"
    links = pl.read_parquet(folder / "order_links.parquet")
    lag = _integration(demo)["lag_to_devops"]
    assert links["item_number"].n_unique() == lag["n_before"] + lag["n_after"] == 53
    assert set(links["work_item_type"]) == {"Feature"}
    by_mark = dict(links.group_by("linked_by").len().rows())
    # Before the go-live coordinators pasted the number; after it the integration links by
    # sys_id and writes the Feature id into correlation_id.
    assert by_mark == {"hyperlink_number": 26, "correlation_id+hyperlink_sys_id": 27}
    assert pl.read_csv(folder / "dangling_links.csv").height == 0
    unlinked = pl.read_parquet(folder / "unlinked_items.parquet")
    assert unlinked.height == demo.manifest["counts"]["servicenow"]["sc_req_item"] - 53


def test_lag_to_devops_matches_the_manifest_exactly(demo: Demo) -> None:
    lag = _integration(demo)["lag_to_devops"]
    links = pl.read_parquet(demo.data_dir / "03_primary/landscape-links/order_links.parquet")
    before = links.filter(pl.col("opened_at") < GO_LIVE)["lag_s"]
    after = links.filter(pl.col("opened_at") >= GO_LIVE)["lag_s"]
    assert (before.len(), after.len()) == (lag["n_before"], lag["n_after"]) == (26, 27)
    assert before.median() == lag["median_before_s"] == 332349.0
    assert after.median() == lag["median_after_s"] == 278.0
    assert round(float(before.mean()), 1) == lag["mean_before_s"]  # type: ignore[arg-type]
    assert round(float(after.mean()), 1) == lag["mean_after_s"]  # type: ignore[arg-type]


def test_lag_through_the_facade_on_kit_orders_is_within_five_percent(demo: Demo) -> None:
    lag = _integration(demo)["lag_to_devops"]
    comparison = compare_periods(
        demo.store.read("kit-orders"),
        at=GO_LIVE,
        measure="time_between_s",
        source="Created",
        target="Feature: Created",
        statistic="median",
        resamples=200,
    )
    assert (comparison.cases_before, comparison.cases_after) == (26, 27)
    # DevOps stamps milliseconds, ServiceNow whole seconds: the medians differ by under 1 s.
    assert comparison.before == pytest.approx(lag["median_before_s"], rel=0.05)
    assert comparison.after == pytest.approx(lag["median_after_s"], rel=0.05)
    assert abs(comparison.before - lag["median_before_s"]) < 1
    assert abs(comparison.after - lag["median_after_s"]) < 1


def test_handovers_per_order_match_the_manifest(demo: Demo) -> None:
    handovers = _integration(demo)["handovers"]
    kit_orders = demo.store.read("kit-orders")
    orders = demo.store.read("servicenow-orders").filter(
        pl.col("case_id").is_in(kit_orders["case_id"].unique().implode())
    )
    comparison = compare_periods(
        orders, at=GO_LIVE, measure="handovers", statistic="mean", resamples=200
    )
    assert round(comparison.before, 4) == handovers["mean_before"] == 3.1538
    assert comparison.after == handovers["mean_after"] == 1.0
    assert comparison.p_value < 0.05


def test_approval_bottleneck_mean_wait_matches_the_manifest(demo: Demo) -> None:
    bottleneck = demo.manifest["effects"]["bottleneck"]
    orders = demo.store.read("servicenow-orders").filter(
        pl.col("case:cat_item").is_in(bottleneck["selector"]["cat_item_names"])
    )
    waits = compute_time_between(orders, source="Created", target="Approved")
    assert waits.height == bottleneck["n"] == 240
    assert round(float(waits["duration_s"].mean()) / 3600, 4) == bottleneck["mean_wait_h"]  # type: ignore[arg-type]


def test_coordination_hours_per_order_match_the_manifest(demo: Demo) -> None:
    coordination = _integration(demo)["coordination_time"]
    hours = pl.read_parquet(demo.data_dir / "03_primary/time-registration/hours.parquet")
    links = pl.read_parquet(demo.data_dir / "03_primary/landscape-links/order_links.parquet")
    per_period = (
        hours.filter(pl.col("activity") == "Koordinering")
        .join(links, left_on="case_reference", right_on="item_number")
        .group_by(pl.col("opened_at") >= GO_LIVE)
        .agg(pl.col("hours").sum())
    )
    totals = dict(per_period.rows())
    assert (
        (totals[False], totals[True])
        == (
            coordination["hours_before"],
            coordination["hours_after"],
        )
        == (52.0, 13.5)
    )


def test_ocel_export_round_trips(demo: Demo, tmp_path: Path) -> None:
    counts = demo.manifest["counts"]
    entry = demo.store.entry("kit-landscape")
    sn, ado = counts["servicenow"], counts["azure_devops"]
    objects = (
        sn["sc_request"] + sn["sc_req_item"] + sn["sc_task"] + sn["incident"]
        + ado["workitems"] + len(demo.manifest["organisation"]["service_areas"])
    )  # fmt: skip
    events = sum(demo.store.entry(n).events for n in (
        "servicenow-incidents", "servicenow-orders", "azure-devops"))  # fmt: skip
    assert (entry.objects, entry.events) == (objects, events) == (3434, 13920)
    path = tmp_path / "landscape.jsonocel"
    assert "Wrote" in run("landscape", "ocel", "--out", str(path))
    read = read_ocel(path)
    assert read.quarantine.height == 0
    log = read.log
    assert (log.events.height, log.objects.height) == (events, objects)
    by_type = dict(log.objects.group_by("object_type").len().rows())
    assert by_type == {
        "request": 805, "requested item": 805, "task": 752, "incident": 829,
        "epic": 36, "feature": 64, "story": 137, "service area": 6,
    }  # fmt: skip
    qualifiers = dict(log.o2o.group_by("qualifier").len().rows())
    assert qualifiers["contains"] == 805
    assert qualifiers["fulfilled by"] == 752
    assert qualifiers["implemented by"] == 53
    assert qualifiers["assigned to"] == 805 + 752 + 829 + 237
    stored = demo.store.read("kit-landscape", "o2o")
    assert log.o2o.height == stored.height
    assert log.e2o.height == demo.store.read("kit-landscape", "e2o").height


def _employee_identifiers(sim: Path, manifest: dict[str, Any]) -> set[str]:
    """Every identifier of a person in the simulated exports (not the service accounts)."""
    service = set(manifest["organisation"]["service_accounts"])
    found: set[str] = set()
    for page in sorted((sim / "servicenow" / "sys_user").glob("page-*.json")):
        for user in json.loads(page.read_text("utf-8"))["result"]:
            if user.get("user_name") in service:
                continue
            found |= {user.get(k) or "" for k in ("sys_id", "user_name", "email", "name")}
    for batch in sorted((sim / "azure-devops" / "workitemrevisions").glob("batch-*.json")):
        for revision in json.loads(batch.read_text("utf-8"))["values"]:
            for value in revision["fields"].values():
                if isinstance(value, dict) and "uniqueName" in value:
                    found |= {value["uniqueName"], value["displayName"], value["id"]}
    for export in sorted((sim / "time-registration").glob("*.csv")):
        with export.open(encoding="utf-8") as handle:
            found |= {row["Medarbejder"] for row in csv.DictReader(handle, delimiter=";")}
    return {f for f in found if len(f) >= 5} - service


def _texts_under(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every file's text: Parquet decoded (it is compressed), SQLite dumped, the rest as is."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            yield path, parquet_text(path)
        elif path.suffix in (".db", ".sqlite"):
            with sqlite3.connect(path) as db:
                yield path, "\n".join(db.iterdump())
        else:
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def test_no_employee_identifier_under_the_data_folder(demo: Demo) -> None:
    identifiers = _employee_identifiers(demo.sim_dir, demo.manifest)
    assert len(identifiers) > 600  # names, user names, e-mails, sys_ids and DevOps ids
    seen = []
    for path, text in _texts_under(demo.data_dir):
        seen.append(path.suffix)
        leaked = sorted(i for i in identifiers if i in text)
        assert not leaked, f"{path} holds {leaked[:5]}"
    assert {".json", ".parquet"} <= set(seen)


def test_demo_refuses_a_missing_public_folder(demo: Demo) -> None:
    result = runner.invoke(cli, ["demo", "--no-landscape", "--source", "/no/such/folder"])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception) + result.output


def test_demo_again_keeps_the_stored_landscape(demo: Demo) -> None:
    before = demo.store.entry("kit-orders").imported_at
    output = run("demo", "--no-public", "--scale", str(SCALE))
    assert "Simulated landscape: stored already" in output
    assert demo.store.entry("kit-orders").imported_at == before


def test_demo_refuses_to_mix_another_landscape_into_the_data_folder(demo: Demo) -> None:
    result = runner.invoke(cli, ["demo", "--no-public", "--scale", "0.1", "--replace"])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "holds the landscape of seed 42, scale 0.05" in message
    assert "Use an empty data folder" in message
    assert demo.store.entry("kit-orders").cases == 53
