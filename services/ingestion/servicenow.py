"""ServiceNow end to end: extract (or read an export), stage, map, build and store the log.

``extract_servicenow`` fetches every configured stream page by page into ``01_raw``, then calls
``rebuild_servicenow``, which never touches the network: it stages each stream from its raw pages
into ``02_intermediate/<source>/<stream>.parquet`` (quarantine beside it), maps the staged
tables to events and stores the canonical log in ``03_primary`` with its catalog entry. So a
mapping fix is applied by rebuilding, not re-fetching.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import polars as pl
import yaml

from extractors.base import (
    INTERMEDIATE,
    Bookmark,
    ExtractionResult,
    PageCallback,
    RetryPolicy,
    iter_raw_pages,
    raw_folder,
    run_stream,
)
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser, load_key
from extractors.servicenow.client import Credentials, TableClient
from extractors.servicenow.export import (
    CsvExportOptions,
    file_sha256,
    read_csv_export,
    read_table_json_export,
)
from extractors.servicenow.mapping import StagedTable, build_events, stage_records
from extractors.servicenow.streams import TableStream, stream_spec
from models.catalog import LogEntry
from models.errors import InputError
from models.eventlog import CanonicalLog, build_canonical_log, check_log_name
from models.extraction import ExtractionCatalog
from models.store import LogStore
from services.storing import store_canonical_log

DEFAULT_TABLES = ("sys_user_group", "sys_choice", "incident", "sys_audit", "task_sla")
API_FORMAT = "servicenow-api"
Say = Callable[[str], None]


def _say_nothing(_: str) -> None:
    return None


def _no_progress(_stream: str, _pages: int, _records: int) -> None:
    return None


@dataclass(frozen=True)
class ServiceNowConfig:
    """An extraction's configuration. Credentials are *names* of environment variables."""

    base_url: str
    tables: tuple[str, ...] = DEFAULT_TABLES
    page_size: int = 1000
    timeout_s: float = 60.0
    max_tries: int = 5
    source: str = "servicenow"
    event_log_table: str = "incident"
    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None

    def credentials(self) -> Credentials:
        """The credentials read from the named environment variables."""
        if self.token_env:
            return Credentials(token=_env(self.token_env))
        if self.username_env:
            password = _env(self.password_env) if self.password_env else None
            return Credentials(username=_env(self.username_env), password=password)
        return Credentials()


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise FatalError(
            f"the environment variable {name} named in the configuration is not set: "
            f"export {name}=... before running the extraction."
        )
    return value


def read_config(path: Path) -> ServiceNowConfig:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) configuration file."""
    if not path.exists():
        raise FatalError(f"there is no configuration file at {path}: check the path.")
    text = path.read_text("utf-8")
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise FatalError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from error
    if not isinstance(raw, dict):
        raise FatalError(f"{path} should hold a mapping with base_url, tables, page_size, auth.")
    return _config_from(raw, path)


_CONFIG_KEYS = frozenset(
    {"base_url", "tables", "page_size", "timeout_s", "max_tries", "source", "event_log_table"}
)
_AUTH_KEYS = frozenset({"username_env", "password_env", "token_env"})


def _config_from(raw: Mapping[str, Any], path: Path) -> ServiceNowConfig:
    auth = raw.get("auth") or {}
    unknown = (set(raw) - _CONFIG_KEYS - {"auth"}) | (set(auth) - _AUTH_KEYS)
    if unknown:
        raise FatalError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_CONFIG_KEYS))}, auth.{{{', '.join(sorted(_AUTH_KEYS))}}}."
        )
    if not raw.get("base_url"):
        raise FatalError(f"{path}: base_url is missing, e.g. base_url: https://kk.service-now.com")
    if urlsplit(str(raw["base_url"])).password is not None or "@" in str(raw["base_url"]):
        raise FatalError(
            f"{path}: base_url must not carry credentials; name environment variables in "
            "auth.username_env and auth.password_env instead."
        )
    tables = tuple(raw.get("tables") or DEFAULT_TABLES)
    for table in tables:
        stream_spec(table)
    values = {k: raw[k] for k in _CONFIG_KEYS if k in raw and k != "tables"}
    config = ServiceNowConfig(**values, **auth, tables=tables)
    if config.page_size < 1 or config.max_tries < 1:
        raise FatalError(f"{path}: page_size and max_tries must be at least 1.")
    return config


@dataclass(frozen=True)
class StagedSummary:
    """One staged stream: records kept (one per sys_id) and records quarantined."""

    stream: str
    records: int
    quarantined: int


@dataclass(frozen=True)
class ServiceNowReport:
    """What an extraction, rebuild or export import did. ``quarantined`` counts everything set
    aside (staging and mapping); ``quarantine_path`` is the log's quarantine file, if any."""

    entry: LogEntry
    results: tuple[ExtractionResult, ...] = ()
    staged: tuple[StagedSummary, ...] = ()
    quarantined: int = 0
    quarantine_path: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def extraction_catalog(store: LogStore) -> ExtractionCatalog:
    """The runs-and-bookmarks catalog in the store's database."""
    return ExtractionCatalog(store.data.database_url)


def extract_servicenow(
    store: LogStore,
    config: ServiceNowConfig,
    *,
    name: str,
    on_page: PageCallback = _no_progress,
    say: Say = _say_nothing,
    retry: RetryPolicy | None = None,
    replace: bool = False,
) -> ServiceNowReport:
    """Fetch every configured stream from its bookmark, then rebuild the log ``name``.

    ``retry`` overrides the back-off (tests make it fast); ``replace`` lets the log replace a
    stored log of the same name from another source."""
    check_log_name(name)
    _check_replaceable(store, name, API_FORMAT, config.base_url, replace=replace)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    client = TableClient(
        config.base_url,
        credentials=config.credentials(),
        timeout_s=config.timeout_s,
        retry=retry or RetryPolicy(max_tries=config.max_tries),
    )
    state = extraction_catalog(store)
    try:
        results = tuple(
            run_stream(
                TableStream(stream_spec(table), client, pseudonym, page_size=config.page_size),
                source=config.source,
                data_dir=store.data_dir,
                state=state,
                on_page=on_page,
            )
            for table in config.tables
        )
    finally:
        client.close()
        state.dispose()
    report = rebuild_servicenow(store, config, name=name, replace=replace)
    return ServiceNowReport(
        report.entry, results, report.staged, report.quarantined, report.quarantine_path,
        report.notes,
    )  # fmt: skip


def rebuild_servicenow(
    store: LogStore, config: ServiceNowConfig, *, name: str, replace: bool = False
) -> ServiceNowReport:
    """Stage every configured stream from its raw pages and rebuild the log (no network)."""
    _check_replaceable(store, name, API_FORMAT, config.base_url, replace=replace)
    if config.event_log_table not in config.tables:
        raise FatalError(
            f"event_log_table {config.event_log_table!r} is not among the tables "
            f"{', '.join(config.tables)}: add it to 'tables'."
        )
    staged = {t: stage_stream(store.data_dir, config.source, t) for t in config.tables}
    mapped = build_events({t: s.frame for t, s in staged.items()}, table=config.event_log_table)
    log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    entry = _store_log(store, log, name=name, source_path=config.base_url, source_format=API_FORMAT)
    by_stream = _quarantined_by_stream(log.quarantine, config.event_log_table)
    summaries = tuple(
        StagedSummary(t, s.frame.height, s.quarantine.height + by_stream.get(t, 0))
        for t, s in staged.items()
    )
    _record_quarantine_counts(store, config.source, summaries)
    quarantined = sum(s.quarantined for s in summaries)
    return ServiceNowReport(
        entry,
        staged=summaries,
        quarantined=quarantined,
        quarantine_path=store.quarantine_path(name) if log.quarantine.height else None,
        notes=mapped.notes,
    )


def _quarantined_by_stream(quarantine: pl.DataFrame, case_table: str) -> dict[str, int]:
    """Log quarantine rows per stream of origin (``source_record`` is ``<stream>:<sys_id>``,
    or ``record:<sys_id>`` for the case table's own records)."""
    counts: dict[str, int] = {}
    for record in quarantine["record"]:
        origin = str(json.loads(record).get("source_record") or "record:").split(":", 1)[0]
        stream = case_table if origin == "record" else origin
        counts[stream] = counts.get(stream, 0) + 1
    return counts


def _record_quarantine_counts(
    store: LogStore, source: str, summaries: tuple[StagedSummary, ...]
) -> None:
    state = extraction_catalog(store)
    try:
        for summary in summaries:
            state.set_quarantined(source, summary.stream, summary.quarantined)
    finally:
        state.dispose()


def intermediate_folder(data_dir: Path, source: str) -> Path:
    """``<data>/02_intermediate/<source>``: the staged tables of a source."""
    return data_dir / INTERMEDIATE / source


def stage_stream(data_dir: Path, source: str, stream: str) -> StagedTable:
    """Stage one stream from its raw pages and write it (and its quarantine) to 02."""
    spec = stream_spec(stream)
    records = (
        record
        for _, page in iter_raw_pages(raw_folder(data_dir, source, stream))
        for record in page.get("result", [])
    )
    staged = stage_records(spec, records)
    _write_staged(intermediate_folder(data_dir, source), stream, staged)
    return staged


def _write_staged(folder: Path, stream: str, staged: StagedTable) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    staged.frame.write_parquet(folder / f"{stream}.parquet")
    quarantine = folder / f"{stream}.quarantine.csv"
    if staged.quarantine.height:
        staged.quarantine.write_csv(quarantine)
    else:
        quarantine.unlink(missing_ok=True)


def _check_replaceable(
    store: LogStore, name: str, source_format: str, source_path: str, *, replace: bool
) -> None:
    # An extraction rebuilds its own log each time; any other log of that name is protected.
    existing = store.catalog.get(name)
    if existing is None or replace:
        return
    if existing.source_format == source_format and existing.source_path == source_path:
        return
    raise InputError(
        f"a log named {name!r} is stored already, from {existing.source_path} "
        f"({existing.source_format}): choose another --name, or add --replace."
    )


def _store_log(
    store: LogStore, log: CanonicalLog, *, name: str, source_path: str, source_format: str
) -> LogEntry:
    return store_canonical_log(
        store, log, name=name, source_path=source_path, source_format=source_format, replace=True
    )


ExportKind = Literal["csv", "json"]
EXPORT_SOURCE = "servicenow-export"


def export_kind(path: Path) -> ExportKind:
    """``json`` for ``.json`` files, ``csv`` for ``.csv`` and ``.zip``; else an error."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".zip"):
        return "csv"
    raise InputError(
        f"{path.name}: a ServiceNow export must be a Table API .json file, or a list export "
        ".csv (or a .zip holding one)."
    )


def import_servicenow_export(
    store: LogStore,
    path: Path,
    *,
    name: str,
    timezone: str,
    table: str = "incident",
    replace: bool = False,
    say: Say = _say_nothing,
) -> ServiceNowReport:
    """Read an export file, pseudonymise it, stage it and store its log under ``name``.

    The staged (pseudonymised) table goes to ``02_intermediate/servicenow-export/<name>``; the
    export itself is not copied (it holds people in clear). The run is recorded as stream
    ``<name>`` of source ``servicenow-export``, its bookmark the file's SHA-256.
    """
    check_log_name(name)
    source_path, source_format = str(path.resolve()), f"servicenow-{export_kind(path)}"
    _check_replaceable(store, name, source_format, source_path, replace=replace)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    folder = intermediate_folder(store.data_dir, EXPORT_SOURCE)
    if export_kind(path) == "csv":
        built = _build_from_csv(path, folder, name=name, timezone=timezone, pseudonym=pseudonym)
    else:
        built = _build_from_json(path, folder, name=name, table=table, pseudonym=pseudonym)
    log = built.log
    entry = _store_log(store, log, name=name, source_path=source_path, source_format=source_format)
    quarantined = log.quarantine.height + built.set_aside
    _record_export_run(
        store, name, file_sha256(path), path.name, rows=built.rows, quarantined=quarantined
    )
    return ServiceNowReport(
        entry,
        quarantined=quarantined,
        quarantine_path=store.quarantine_path(name) if log.quarantine.height else None,
        notes=built.notes,
    )


@dataclass(frozen=True)
class _BuiltExport:
    """An export's log, its staged row count, the rows staging set aside, notes."""

    log: CanonicalLog
    rows: int
    set_aside: int
    notes: tuple[str, ...]


def _build_from_csv(
    path: Path, folder: Path, *, name: str, timezone: str, pseudonym: Pseudonymiser
) -> _BuiltExport:
    read = read_csv_export(path, options=CsvExportOptions(timezone=timezone), pseudonym=pseudonym)
    _write_staged(folder, name, StagedTable(name, read.staged, read.quarantine))
    log = build_canonical_log(read.staged, quarantine=read.quarantine)
    return _BuiltExport(log, read.staged.height, 0, read.notes)


def _build_from_json(
    path: Path, folder: Path, *, name: str, table: str, pseudonym: Pseudonymiser
) -> _BuiltExport:
    staged = read_table_json_export(path, table=table, pseudonym=pseudonym)
    _write_staged(folder, name, staged)
    mapped = build_events({table: staged.frame}, table=table)
    log = build_canonical_log(mapped.staged, quarantine=mapped.quarantine)
    return _BuiltExport(log, staged.frame.height, staged.quarantine.height, mapped.notes)


def _record_export_run(
    store: LogStore, name: str, digest: str, file_name: str, *, rows: int, quarantined: int
) -> None:
    state = extraction_catalog(store)
    try:
        run_id, _ = state.open_run(EXPORT_SOURCE, name)
        state.commit_page(run_id, bookmark=Bookmark(digest, file_name), records=rows)
        state.set_quarantined(EXPORT_SOURCE, name, quarantined)
        state.close_run(run_id, status="finished")
    finally:
        state.dispose()
