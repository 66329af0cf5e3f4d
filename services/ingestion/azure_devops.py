"""Azure DevOps end to end: extract (or read saved batches), stage, map, build and store the log.

``extract_azure_devops`` reads the streams ``workitemrevisions`` and ``workitemlinks`` from their
continuation tokens, then ``workitems`` for every id seen in the revisions (current state and
relations), each batch pseudonymised and stored in ``01_raw/<source>/<stream>/`` before its
bookmark is committed. ``import_azure_devops_export`` pseudonymises saved batches and copies
them into the same raw folders (their tokens become the bookmarks, so the API can carry on from
an export). Both end in ``rebuild_azure_devops``, which never touches the network: it stages the
raw batches into ``02_intermediate/<source>/{revisions,links,workitems,relations}.parquet``
(a ``.quarantine.csv`` beside each table that set records aside), maps the revisions to events
and stores the canonical log, recording the quarantine counts per stream in the extraction
catalog for ``kitflow sources``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl
import yaml

from extractors.azure_devops.client import DevOpsClient, PatCredentials
from extractors.azure_devops.export import export_sha256, read_export_batches
from extractors.azure_devops.mapping import (
    SOURCE,
    StagedTable,
    build_events,
    stage_links,
    stage_revisions,
    stage_workitems,
)
from extractors.azure_devops.streams import (
    LINKS,
    MAX_IDS_PER_BATCH,
    REVISIONS,
    STREAM_NAMES,
    WORKITEMS,
    ReportingStream,
    WorkItemsStream,
    pseudonymise_record,
)
from extractors.base import (
    Bookmark,
    ExtractionResult,
    PageCallback,
    RetryPolicy,
    iter_raw_pages,
    page_path,
    raw_folder,
    run_stream,
    write_page_atomically,
)
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser, load_key
from models.catalog import LogEntry
from models.errors import InputError
from models.eventlog import build_canonical_log, check_log_name
from models.store import LogStore
from services.ingestion.servicenow import extraction_catalog, intermediate_folder
from services.storing import store_canonical_log

DEFAULT_LOG = "azure-devops"
API_FORMAT = "azure-devops-api"
EXPORT_FORMAT = "azure-devops-export"
EXPORT_SOURCE = "azure-devops-export"
Say = Callable[[str], None]


def _say_nothing(_: str) -> None:
    return None


def _no_progress(_stream: str, _pages: int, _records: int) -> None:
    return None


# -- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AzureDevOpsConfig:
    """An extraction's configuration. The PAT is named, never written: ``pat_env`` is an
    environment variable, ``pat_file`` a secrets file holding it."""

    organisation_url: str
    project: str
    pat_env: str | None = None
    pat_file: str | None = None
    batch_size: int = MAX_IDS_PER_BATCH
    timeout_s: float = 60.0
    max_tries: int = 5
    source: str = SOURCE

    @property
    def location(self) -> str:
        """``<organisation_url>/<project>``: where the log came from."""
        return f"{self.organisation_url.rstrip('/')}/{self.project}"

    def credentials(self) -> PatCredentials | None:
        """The PAT from the named environment variable or secrets file (None: anonymous)."""
        if self.pat_env:
            value = os.environ.get(self.pat_env, "").strip()
            if not value:
                raise FatalError(
                    f"the environment variable {self.pat_env} named by pat_env is not set: "
                    f"export {self.pat_env}=<personal access token> before extracting."
                )
            return PatCredentials(value)
        if self.pat_file:
            path = Path(self.pat_file).expanduser()
            if not path.is_file():
                raise FatalError(f"the PAT secrets file {path} named by pat_file does not exist.")
            value = path.read_text("utf-8").strip()
            if not value:
                raise FatalError(f"the PAT secrets file {path} is empty.")
            return PatCredentials(value)
        return None


_CONFIG_KEYS = frozenset(
    {"organisation_url", "organization_url", "project", "pat_env", "pat_file", "batch_size",
     "timeout_s", "max_tries", "source"}
)  # fmt: skip


def read_config(path: Path) -> AzureDevOpsConfig:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) configuration file."""
    if not path.exists():
        raise FatalError(f"there is no configuration file at {path}: check the path.")
    text = path.read_text("utf-8")
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise FatalError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from error
    if not isinstance(raw, dict):
        raise FatalError(f"{path} should hold a mapping with organisation_url, project, pat_env.")
    return _config_from(raw, path)


def _config_from(raw: Mapping[str, Any], path: Path) -> AzureDevOpsConfig:
    unknown = set(raw) - _CONFIG_KEYS
    if unknown:
        raise FatalError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_CONFIG_KEYS - {'organization_url'}))}."
        )
    values = dict(raw)
    url = str(values.pop("organization_url", None) or values.get("organisation_url") or "")
    if not url:
        raise FatalError(
            f"{path}: organisation_url is missing, e.g. organisation_url: https://dev.azure.com/kk"
        )
    if urlsplit(url).password is not None or "@" in url:
        raise FatalError(
            f"{path}: organisation_url must not carry credentials; name the environment "
            "variable holding the PAT in pat_env (or a secrets file in pat_file) instead."
        )
    if not values.get("project"):
        raise FatalError(f"{path}: project is missing, e.g. project: KIT")
    if values.get("pat_env") and values.get("pat_file"):
        raise FatalError(f"{path}: give pat_env or pat_file, not both.")
    values["organisation_url"] = url
    config = AzureDevOpsConfig(**values)
    if not 1 <= config.batch_size <= MAX_IDS_PER_BATCH or config.max_tries < 1:
        raise FatalError(
            f"{path}: batch_size must be 1..{MAX_IDS_PER_BATCH} (the API's maximum per "
            "request) and max_tries at least 1."
        )
    return config


# -- reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedSummary:
    """One staged table: rows kept and records quarantined (staging and, for revisions, the
    event log)."""

    table: str
    rows: int
    quarantined: int


@dataclass(frozen=True)
class AzureDevOpsReport:
    """What an extraction, export import or rebuild did."""

    entry: LogEntry
    results: tuple[ExtractionResult, ...] = ()
    staged: tuple[StagedSummary, ...] = ()
    quarantined: int = 0
    quarantine_path: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- extraction -------------------------------------------------------------------------------


def extract_azure_devops(
    store: LogStore,
    config: AzureDevOpsConfig,
    *,
    name: str = DEFAULT_LOG,
    on_page: PageCallback = _no_progress,
    say: Say = _say_nothing,
    retry: RetryPolicy | None = None,
    replace: bool = False,
) -> AzureDevOpsReport:
    """Fetch every stream from its bookmark, then rebuild the staged tables and the log."""
    check_log_name(name)
    _check_replaceable(store, name, API_FORMAT, config.location, replace=replace)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    client = DevOpsClient(
        config.organisation_url,
        config.project,
        credentials=config.credentials(),
        timeout_s=config.timeout_s,
        retry=retry or RetryPolicy(max_tries=config.max_tries),
    )
    state = extraction_catalog(store)
    omitted: list[int] = []
    try:

        def run(stream: Any) -> ExtractionResult:
            return run_stream(stream, source=config.source, data_dir=store.data_dir,
                              state=state, on_page=on_page)  # fmt: skip

        results = [
            run(ReportingStream(s, client, pseudonym, page_size=config.batch_size))
            for s in (REVISIONS, LINKS)
        ]
        ids = revision_ids(store.data_dir, config.source)
        items = WorkItemsStream(client, pseudonym, ids, batch_size=config.batch_size)
        results.append(run(items))
        omitted = items.omitted
    finally:
        client.close()
        state.dispose()
    report = rebuild_azure_devops(
        store, name=name, source=config.source, source_path=config.location,
        source_format=API_FORMAT, replace=replace,
    )  # fmt: skip
    notes = report.notes
    if omitted:
        notes = (*notes, f"{len(omitted):,} work item id(s) seen in revisions no longer exist "
                 "(deleted or moved to another project); their history is kept.")  # fmt: skip
    return AzureDevOpsReport(report.entry, tuple(results), report.staged, report.quarantined,
                             report.quarantine_path, notes)  # fmt: skip


def revision_ids(data_dir: Path, source: str) -> list[int]:
    """Every work item id in the stored revision batches, ascending."""
    ids: set[int] = set()
    for record in raw_records(data_dir, source, REVISIONS):
        value = record.get("id") if isinstance(record, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return sorted(ids)


def raw_records(data_dir: Path, source: str, stream: str) -> Iterator[Any]:
    """The records of a stream's stored batches, in commit order."""
    for _, page in iter_raw_pages(raw_folder(data_dir, source, stream)):
        yield from page.get("result", [])


# -- rebuilding -------------------------------------------------------------------------------


def rebuild_azure_devops(
    store: LogStore,
    *,
    name: str = DEFAULT_LOG,
    source: str = SOURCE,
    source_path: str | None = None,
    source_format: str = API_FORMAT,
    replace: bool = False,
) -> AzureDevOpsReport:
    """Stage every stream from its raw batches and rebuild the log ``name`` (no network)."""
    check_log_name(name)
    if not raw_folder(store.data_dir, source, REVISIONS).is_dir():
        raise InputError(
            f"there are no stored revision batches of source {source!r} in "
            f"{raw_folder(store.data_dir, source, REVISIONS)}: extract with --config or import "
            "saved batches with --export first."
        )
    existing = store.catalog.get(name)
    where = source_path or (existing.source_path if existing else f"{source} (raw batches)")
    fmt = existing.source_format if existing and source_path is None else source_format
    _check_replaceable(store, name, fmt, where, replace=replace)
    tables = stage_all(store.data_dir, source)
    mapped = build_events(tables["revisions"].frame)
    log = build_canonical_log(mapped.staged)
    entry = store_canonical_log(store, log, name=name, source_path=where, source_format=fmt,
                                replace=True)  # fmt: skip
    summaries = tuple(
        StagedSummary(t.name, t.frame.height,
                      t.quarantine.height + (log.quarantine.height if t.name == "revisions" else 0))
        for t in tables.values()
    )  # fmt: skip
    by_stream = {
        REVISIONS: tables["revisions"].quarantine.height + log.quarantine.height,
        LINKS: tables["links"].quarantine.height,
        WORKITEMS: tables["workitems"].quarantine.height + tables["relations"].quarantine.height,
    }
    _record_quarantine_counts(store, source, by_stream)
    return AzureDevOpsReport(
        entry,
        staged=summaries,
        quarantined=sum(by_stream.values()),
        quarantine_path=store.quarantine_path(name) if log.quarantine.height else None,
        notes=mapped.notes,
    )


def stage_all(data_dir: Path, source: str) -> dict[str, StagedTable]:
    """Stage the four tables from the raw batches and write them (quarantine beside each)."""
    revisions = stage_revisions(raw_records(data_dir, source, REVISIONS))
    links = stage_links(raw_records(data_dir, source, LINKS))
    workitems, relations = stage_workitems(raw_records(data_dir, source, WORKITEMS))
    tables = {t.name: t for t in (revisions, links, workitems, relations)}
    folder = intermediate_folder(data_dir, source)
    for table in tables.values():
        write_staged(folder, table)
    return tables


def write_staged(folder: Path, table: StagedTable) -> None:
    """``<table>.parquet``, and ``<table>.quarantine.csv`` when records were set aside."""
    folder.mkdir(parents=True, exist_ok=True)
    table.frame.write_parquet(folder / f"{table.name}.parquet")
    quarantine = folder / f"{table.name}.quarantine.csv"
    if table.quarantine.height:
        table.quarantine.write_csv(quarantine)
    else:
        quarantine.unlink(missing_ok=True)


def _record_quarantine_counts(store: LogStore, source: str, counts: Mapping[str, int]) -> None:
    state = extraction_catalog(store)
    try:
        for stream, count in counts.items():
            state.set_quarantined(source, stream, count)
    finally:
        state.dispose()


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


# -- saved batches ----------------------------------------------------------------------------


def import_azure_devops_export(
    store: LogStore,
    path: Path,
    *,
    name: str = DEFAULT_LOG,
    source: str = SOURCE,
    replace: bool = False,
    on_page: PageCallback = _no_progress,
    say: Say = _say_nothing,
) -> AzureDevOpsReport:
    """Pseudonymise saved batches into ``01_raw/<source>/<stream>/``, then rebuild.

    Each batch becomes one stored page whose bookmark is the batch's continuation token (the
    last id for work-item batches), committed as in an extraction; the import as a whole is
    recorded as stream ``<name>`` of source ``azure-devops-export``, its bookmark the export's
    SHA-256 and file name.
    """
    check_log_name(name)
    source_path = str(path.resolve())
    _check_replaceable(store, name, EXPORT_FORMAT, source_path, replace=replace)
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    results = tuple(_copy_batches(store, source, path, pseudonym, on_page))
    report = rebuild_azure_devops(store, name=name, source=source, source_path=source_path,
                                  source_format=EXPORT_FORMAT, replace=replace)  # fmt: skip
    _record_export_run(store, name, path, records=sum(r.records for r in results),
                       quarantined=report.quarantined)  # fmt: skip
    return AzureDevOpsReport(report.entry, results, report.staged, report.quarantined,
                             report.quarantine_path, report.notes)  # fmt: skip


def _copy_batches(
    store: LogStore, source: str, path: Path, pseudonym: Pseudonymiser, on_page: PageCallback
) -> Iterable[ExtractionResult]:
    state = extraction_catalog(store)
    try:
        runs: dict[str, tuple[int, int, int, int, Bookmark | None]] = {}
        for batch in read_export_batches(path):
            if batch.stream not in runs:
                run_id, status = state.open_run(source, batch.stream)
                runs[batch.stream] = (run_id, status.pages_stored, 0, 0, None)
            run_id, stored, pages, records, _ = runs[batch.stream]
            if not batch.records:
                continue
            cleaned = [pseudonymise_record(r, pseudonym) for r in batch.records]
            document = {"stream": batch.stream, "request": {"export": batch.file},
                        "result": cleaned}  # fmt: skip
            write_page_atomically(page_path(raw_folder(store.data_dir, source, batch.stream),
                                            stored + 1), document)  # fmt: skip
            mark = Bookmark(batch.token or _last_id(cleaned), f"export {batch.file}")
            state.commit_page(run_id, bookmark=mark, records=len(cleaned))
            runs[batch.stream] = (run_id, stored + 1, pages + 1, records + len(cleaned), mark)
            on_page(batch.stream, pages + 1, records + len(cleaned))
        for _stream, (run_id, _, _, _, _) in runs.items():
            state.close_run(run_id, status="finished")
        return [ExtractionResult(source, s, r[0], r[2], r[3], r[4], False)
                for s, r in runs.items()]  # fmt: skip
    finally:
        state.dispose()


def _last_id(records: list[Any]) -> str:
    for record in reversed(records):
        if isinstance(record, dict) and record.get("id") is not None:
            return str(record["id"])
    return ""


def _record_export_run(
    store: LogStore, name: str, path: Path, *, records: int, quarantined: int
) -> None:
    state = extraction_catalog(store)
    try:
        run_id, _ = state.open_run(EXPORT_SOURCE, name)
        state.commit_page(run_id, bookmark=Bookmark(export_sha256(path), path.name),
                          records=records)  # fmt: skip
        state.set_quarantined(EXPORT_SOURCE, name, quarantined)
        state.close_run(run_id, status="finished")
    finally:
        state.dispose()


def staged_frame(data_dir: Path, table: str, *, source: str = SOURCE) -> pl.DataFrame:
    """A staged table as written by the last rebuild."""
    return pl.read_parquet(intermediate_folder(data_dir, source) / f"{table}.parquet")


__all__ = [
    "SOURCE",
    "STREAM_NAMES",
    "AzureDevOpsConfig",
    "AzureDevOpsReport",
    "PageCallback",
    "extract_azure_devops",
    "import_azure_devops_export",
    "read_config",
    "rebuild_azure_devops",
    "staged_frame",
]
