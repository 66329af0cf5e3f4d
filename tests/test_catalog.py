"""The catalog of stored logs on SQLite (default) and on PostgreSQL (by URL)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from extractors.files import ReadOptions
from models.catalog import Catalog, LogEntry
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import shared_file

ENTRY = LogEntry(
    name="incidents-2024",
    kind="flat",
    source_path="/exports/incidents.csv",
    source_format="csv",
    cases=3,
    events=10,
    activities=4,
    variants=2,
    quarantined=1,
    first_event=dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC),
    last_event=dt.datetime(2024, 2, 1, 17, 30, tzinfo=dt.UTC),
    schema_version=1,
    imported_at=dt.datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC),
)


def exercise(catalog: Catalog) -> None:
    catalog.put(ENTRY)
    assert catalog.get("incidents-2024") == ENTRY
    replaced = LogEntry(**{**ENTRY.__dict__, "events": 11})
    catalog.put(replaced)
    assert catalog.list() == [replaced]
    catalog.remove("incidents-2024")
    assert catalog.get("incidents-2024") is None
    assert catalog.list() == []


def test_sqlite_catalog_round_trips_entries(tmp_path: Path) -> None:
    exercise(Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"))


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "data")
    import_log(
        store, shared_file("pm4py-examples/running-example.xes"), name="r", options=ReadOptions()
    )
    assert (tmp_path / "data" / "kitflow.db").exists()
    assert (tmp_path / "data" / "03_primary" / "r" / "events.parquet").exists()


def postgres_url() -> str:
    url = os.environ.get("KITFLOW_TEST_POSTGRES_URL")
    if not url:
        message = "KITFLOW_TEST_POSTGRES_URL is not set (.ci/run starts a local PostgreSQL)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    admin_url = postgres_url()
    name = f"kitflow_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_catalog_round_trips_entries(postgres_database: str) -> None:
    catalog = Catalog(postgres_database)
    exercise(catalog)
    catalog.dispose()


def test_store_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    store = LogStore(tmp_path / "data", database_url=postgres_database)
    import_log(
        store, shared_file("pm4py-examples/running-example.xes"), name="r", options=ReadOptions()
    )
    assert [(e.name, e.cases, e.events) for e in store.list()] == [("r", 6, 42)]
    assert not (tmp_path / "data" / "kitflow.db").exists()
    store.catalog.dispose()
