"""Saved Azure DevOps batches from the simulated KIT landscape, imported through the same
mapping: counts equal the manifest's, the planted DevOps misuse per service area is recovered
exactly from the staged tables, no identity reaches the data folder, and the API carries on from
the export's continuation tokens."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from extractors.pseudonym import KEY_ENV
from models.datafolder import DataFolder
from models.errors import InputError
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url
from services.ingestion import AzureDevOpsConfig, AzureDevOpsSource, IngestionReport, ingest
from simulator.generate import simulate
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.test_azure_devops_extract import FAST, identities, leaks

KEY = "ado-export-test-key-0123456789"
MISUSE_COUNTS = ("features", "features_without_epic", "closed_items", "closed_without_active",
                 "work_items", "iteration_at_root")  # fmt: skip


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def import_export(data: Path, export: Path, **options: str) -> IngestionReport:
    return ingest(LogStore(data), AzureDevOpsSource(), exports=[export], **options)


def staged_frame(data: Path, table: str) -> pl.DataFrame:
    """A staged table as written by the last build."""
    return pl.read_parquet(DataFolder.from_env(data).staged_table("azure-devops", table))


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kit")
    simulate(folder, seed=11, scale=0.1, start="2023-07-01", end="2024-06-30")
    return folder


@pytest.fixture(scope="module")
def manifest(landscape: Path) -> dict[str, Any]:
    return dict(json.loads((landscape / "manifest.json").read_text("utf-8")))


@pytest.fixture(scope="module")
def imported(landscape: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:  # module scope: the autouse key comes later
        patch.setenv(KEY_ENV, KEY)
        import_export(data, landscape, name="ado")
    return data


def misuse_by_area(data: Path, areas: dict[str, str]) -> dict[str, dict[str, int]]:
    """The manifest's misuse counts, measured on the staged tables (areas: path -> name)."""
    items = staged_frame(data, "workitems")
    states = (
        staged_frame(data, "revisions")
        .group_by("id")
        .agg(
            (pl.col("state") == "Closed").any().alias("closed"),
            (pl.col("state") == "Active").any().alias("active"),
        )
    )
    work = items.filter(pl.col("work_item_type") != "Epic").join(states, on="id", how="left")
    feature = pl.col("work_item_type") == "Feature"
    counts = work.group_by("area_path").agg(
        feature.sum().alias("features"),
        (feature & pl.col("parent").is_null()).sum().alias("features_without_epic"),
        pl.col("closed").sum().alias("closed_items"),
        (pl.col("closed") & ~pl.col("active")).sum().alias("closed_without_active"),
        pl.len().alias("work_items"),
        (pl.col("iteration_path") == "KIT").sum().alias("iteration_at_root"),
    )
    return {
        areas[row["area_path"]]: {k: int(row[k]) for k in MISUSE_COUNTS}
        for row in counts.iter_rows(named=True)
    }


def test_counts_equal_the_manifest(imported: Path, manifest: dict[str, Any]) -> None:
    expected = manifest["counts"]["azure_devops"]
    assert staged_frame(imported, "revisions").height == expected["workitemrevisions"]
    assert staged_frame(imported, "links").height == expected["workitemlinks"]
    assert staged_frame(imported, "workitems").height == expected["workitems"]
    store = LogStore(imported)
    entry = store.catalog.get("ado")
    assert entry is not None
    assert (entry.cases, entry.events, entry.quarantined) == (
        expected["workitems"], expected["workitemrevisions"], 0,
    )  # fmt: skip
    assert entry.source_format == "azure-devops-export"


def test_the_planted_misuse_is_recovered_exactly(imported: Path, manifest: dict[str, Any]) -> None:
    areas = {a["ado_area_path"]: a["name"] for a in manifest["organisation"]["service_areas"]}
    planted = manifest["effects"]["devops_misuse"]["by_service_area"]
    expected = {area: {k: counts[k] for k in MISUSE_COUNTS} for area, counts in planted.items()}
    assert misuse_by_area(imported, areas) == expected
    worst = expected["Drift & Infrastruktur"]
    assert worst["features_without_epic"] > 0 and worst["iteration_at_root"] > 0


def test_servicenow_hyperlinks_come_in_both_forms(imported: Path, manifest: dict[str, Any]) -> None:
    orders = manifest["effects"]["integration"]["orders"]
    links = staged_frame(imported, "relations").filter(pl.col("rel") == "Hyperlink")
    by_id = links.height - links["servicenow_sys_id"].null_count()
    by_number = links.height - links["servicenow_number"].null_count()
    # Before the integration's go-live coordinators pasted a number query; after it, sys_ids.
    assert (by_number, by_id) == (orders["count_before"], orders["count_after"])
    assert by_id + by_number == links.height
    assert links["servicenow_number"].drop_nulls().str.contains(r"^RITM\d+$").all()


def test_no_identity_reaches_the_data_folder(imported: Path, landscape: Path) -> None:
    secrets = identities(landscape)
    assert len(secrets) > 100
    assert leaks(imported, secrets) == []


def test_the_run_is_recorded_for_kitflow_sources(imported: Path, landscape: Path) -> None:
    catalog = ExtractionCatalog(default_database_url(imported))
    states = {(s.source, s.stream): s for s in catalog.list()}
    catalog.dispose()
    export = states["azure-devops-export", "ado"]
    assert (export.last_run_status, export.bookmark_key) == ("finished", landscape.name)
    assert export.bookmark_value is not None and len(export.bookmark_value) == 64  # SHA-256
    revisions = states["azure-devops", "workitemrevisions"]
    assert (revisions.records_stored, revisions.quarantined) == (
        staged_frame(imported, "revisions").height, 0,
    )  # fmt: skip
    assert revisions.bookmark_value is not None and revisions.bookmark_value.startswith(
        f"{revisions.records_stored};"
    )


def test_a_zip_gives_the_same_tables(landscape: Path, imported: Path, tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "ado"), "zip", landscape, "azure-devops")
    data = tmp_path / "data"
    import_export(data, Path(archive), name="ado")
    for table in ("revisions", "links", "workitems", "relations"):
        assert staged_frame(data, table).equals(staged_frame(imported, table)), table


def test_the_api_carries_on_from_the_export(landscape: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_export(data, landscape, name="ado")
    before = staged_frame(data, "revisions")
    with FakeAzureDevOps.from_export(landscape) as fake:
        config = AzureDevOpsConfig(organisation_url=fake.url, project="KIT")
        report = ingest(LogStore(data), AzureDevOpsSource(), settings=config, name="ado-api",
                        retry=FAST)  # fmt: skip
        reporting = [p for method, p, _, _ in fake.requests if method == "GET"]
    # One request per reporting stream, from the export's tokens: nothing new to store.
    assert len(reporting) == 2
    assert [(r.stream, r.records) for r in report.streams][:2] == [
        ("workitemrevisions", 0), ("workitemlinks", 0),
    ]  # fmt: skip
    assert staged_frame(data, "revisions").equals(before)


def test_rebuild_reproduces_the_staged_tables(imported: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(imported, copy)
    before = {t: staged_frame(copy, t) for t in ("revisions", "links", "workitems")}
    shutil.rmtree(copy / "02_intermediate")
    report = ingest(LogStore(copy), AzureDevOpsSource(), rebuild=True, name="ado")
    assert report.entry.source_format == "azure-devops-export"
    for table, frame in before.items():
        assert staged_frame(copy, table).equals(frame), table


def test_bad_exports_are_refused_with_the_file_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no azure-devops/workitemrevisions/batch-NNNNN"):
        import_export(tmp_path / "data", empty)
    broken = tmp_path / "broken" / "azure-devops" / "workitemrevisions"
    broken.mkdir(parents=True)
    (broken / "batch-00001.json").write_text('{"value": []}')
    with pytest.raises(InputError, match=r"batch-00001.json is not a reporting revision batch"):
        import_export(tmp_path / "data", tmp_path / "broken")
    (broken / "batch-00001.json").write_text("<html>")
    with pytest.raises(InputError, match=r"batch-00001.json is not a JSON file"):
        import_export(tmp_path / "data", tmp_path / "broken")
