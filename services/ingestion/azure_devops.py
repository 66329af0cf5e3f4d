"""Azure DevOps' declaration for the ingestion runner: work item history to the log.

- ``--config`` alone reads the streams ``workitemrevisions`` and ``workitemlinks`` from their
  continuation tokens, then ``workitems`` for every id seen in the revisions (current state and
  relations), each batch pseudonymised and stored in ``01_raw/<source>/<stream>/``.
- ``--export PATH`` (a folder or ``.zip`` holding ``azure-devops/<stream>/batch-N.json``)
  pseudonymises saved batches into the same raw folders; their tokens become the bookmarks, so
  the API can carry on from an export. The export as a whole is recorded as stream ``<log>`` of
  source ``azure-devops-export``, its bookmark the export's SHA-256.
- Every mode ends in the build, which never touches the network: it stages the raw batches into
  ``02_intermediate/<source>/{revisions,links,workitems,relations}.parquet`` and maps the
  revisions to the log (``--name``, default ``azure-devops``).

The configuration (YAML or TOML); the PAT is *named*, never written in it::

    organisation_url: https://dev.azure.com/kk-kit
    project: KIT
    pat_env: ADO_PAT            # or pat_file: /run/secrets/ado.pat
    batch_size: 200
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors import Bookmark, FatalError, Page, Pseudonymiser, RetryPolicy, Stream
from extractors.azure_devops import (
    LINKS,
    MAX_IDS_PER_BATCH,
    REVISIONS,
    SOURCE,
    WORKITEMS,
    DevOpsClient,
    ExportBatch,
    PatCredentials,
    ReportingStream,
    WorkItemsStream,
    build_events,
    export_sha256,
    pseudonymise_record,
    read_export_batches,
    stage_links,
    stage_revisions,
    stage_workitems,
)
from models.errors import InputError
from models.eventlog import build_canonical_log
from services.ingestion.runner import Mode, Origin, Plan, Run, SourceInfo
from services.ingestion.settings import check_no_credentials, read_secret, read_settings_file

DEVOPS_SOURCE = SOURCE
DEFAULT_LOG = "azure-devops"
API_FORMAT = "azure-devops-api"
EXPORT_FORMAT = "azure-devops-export"
EXPORT_SOURCE = "azure-devops-export"


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
    source: str = DEVOPS_SOURCE

    @property
    def location(self) -> str:
        """``<organisation_url>/<project>``: where the log came from."""
        return f"{self.organisation_url.rstrip('/')}/{self.project}"

    def credentials(self) -> PatCredentials | None:
        """The PAT from the named environment variable or secrets file (None: anonymous)."""
        key = "pat_env" if self.pat_env else "pat_file"
        pat = read_secret(env=self.pat_env, file=self.pat_file, key=key,
                          what="personal access token")  # fmt: skip
        return None if pat is None else PatCredentials(pat)


_CONFIG_KEYS = frozenset(
    {"organisation_url", "organization_url", "project", "pat_env", "pat_file", "batch_size",
     "timeout_s", "max_tries", "source"}
)  # fmt: skip


def read_config(path: Path) -> AzureDevOpsConfig:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) configuration file."""
    values = read_settings_file(path, expected="organisation_url, project, pat_env")
    unknown = set(values) - _CONFIG_KEYS
    if unknown:
        raise FatalError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_CONFIG_KEYS - {'organization_url'}))}."
        )
    url = str(values.pop("organization_url", None) or values.get("organisation_url") or "")
    if not url:
        raise FatalError(
            f"{path}: organisation_url is missing, e.g. organisation_url: https://dev.azure.com/kk"
        )
    instead = "name the environment variable holding the PAT in pat_env (or a secrets file in "
    check_no_credentials(url, path=path, key="organisation_url", instead=instead + "pat_file)")
    if not values.get("project"):
        raise FatalError(f"{path}: project is missing, e.g. project: KIT")
    if values.get("pat_env") and values.get("pat_file"):
        raise FatalError(f"{path}: give pat_env or pat_file, not both.")
    config = AzureDevOpsConfig(**{**values, "organisation_url": url})
    if not 1 <= config.batch_size <= MAX_IDS_PER_BATCH or config.max_tries < 1:
        raise FatalError(
            f"{path}: batch_size must be 1..{MAX_IDS_PER_BATCH} (the API's maximum per "
            "request) and max_tries at least 1."
        )
    return config


def revision_ids(run: Run) -> list[int]:
    """Every work item id in the stored revision batches, ascending."""
    ids: set[int] = set()
    for record in run.raw_records(REVISIONS):
        value = record.get("id") if isinstance(record, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return sorted(ids)


def _export_pages(batches: Iterable[ExportBatch], pseudonym: Pseudonymiser) -> Iterable[Page]:
    """Each non-empty batch as a page; its bookmark the batch's token (a work-item batch has
    none: its last id)."""
    for batch in batches:
        if not batch.records:
            continue
        cleaned = tuple(pseudonymise_record(r, pseudonym) for r in batch.records)
        mark = Bookmark(batch.token or _last_id(cleaned), f"export {batch.file}")
        yield Page(cleaned, {"export": batch.file}, mark)


def _last_id(records: tuple[Any, ...]) -> str:
    for record in reversed(records):
        if isinstance(record, dict) and record.get("id") is not None:
            return str(record["id"])
    return ""


# Without --config: the default source, and no API to fetch from.
INFO = SourceInfo("azure-devops", "Azure DevOps", read_config, lambda: AzureDevOpsConfig("", ""))


@dataclass(frozen=True)
class AzureDevOpsSource:
    """Azure DevOps Boards for the ingestion runner."""

    info: SourceInfo[AzureDevOpsConfig] = field(default=INFO, init=False)

    def plan(self, config: AzureDevOpsConfig, mode: Mode, exports: tuple[Path, ...]) -> Plan:
        """One log, named by the user; a rebuild keeps a stored DevOps log's origin."""
        if mode == "api":
            origin = Origin((API_FORMAT,), config.location)
        elif mode == "export":
            origin = Origin((EXPORT_FORMAT,), str(exports[0].resolve()))
        else:
            origin = Origin((API_FORMAT, EXPORT_FORMAT), any_path=True)
        return Plan(config.source, "", named_log=DEFAULT_LOG, origin=origin)

    def fetch(self, run: Run, config: AzureDevOpsConfig) -> Generator[Stream, None, None]:
        """Revisions and links by continuation token; then every work item they name."""
        client = DevOpsClient(
            config.organisation_url,
            config.project,
            credentials=config.credentials(),
            timeout_s=config.timeout_s,
            retry=run.retry or RetryPolicy(max_tries=config.max_tries),
        )
        pseudonym = run.pseudonymiser()
        try:
            for stream in (REVISIONS, LINKS):
                yield ReportingStream(stream, client, pseudonym, page_size=config.batch_size)
            items = WorkItemsStream(client, pseudonym, revision_ids(run),
                                    batch_size=config.batch_size)  # fmt: skip
            yield items
        finally:
            client.close()
        if items.omitted:
            run.note(
                f"{len(items.omitted):,} work item id(s) seen in revisions no longer exist "
                "(deleted or moved to another project); their history is kept."
            )

    def store_export(self, run: Run, config: AzureDevOpsConfig, exports: tuple[Path, ...]) -> None:
        """Each stream's saved batches as one run of stored pages; the export as a whole."""
        path = exports[0]
        pseudonym = run.pseudonymiser()
        for stream, batches in itertools.groupby(read_export_batches(path), lambda b: b.stream):
            run.store_pages(stream, _export_pages(batches, pseudonym), fresh=False)
        bookmark = Bookmark(export_sha256(path), path.name)
        run.record_export(EXPORT_SOURCE, run.named_log, bookmark=bookmark,
                          records=run.records_read)  # fmt: skip

    def build(self, run: Run, config: AzureDevOpsConfig) -> None:
        """Stage the four tables from the raw batches and store the log of the revisions."""
        if not run.data.raw(run.source, REVISIONS).is_dir():
            raise InputError(
                f"there are no stored revision batches of source {run.source!r} in "
                f"{run.data.raw(run.source, REVISIONS)}: extract with --config or import saved "
                "batches with --export first."
            )
        revisions = stage_revisions(run.raw_records(REVISIONS))
        links = stage_links(run.raw_records(LINKS))
        workitems, relations = stage_workitems(run.raw_records(WORKITEMS))
        tables = ((revisions, REVISIONS), (links, LINKS), (workitems, WORKITEMS),
                  (relations, WORKITEMS))  # fmt: skip
        for table, stream in tables:
            run.stage(table.name, table.frame, table.quarantine, stream=stream)
        mapped = build_events(revisions.frame)
        log = build_canonical_log(mapped.staged)
        run.set_aside(log.quarantine.height, stream=REVISIONS, table=revisions.name)
        run.store_log(log, name=run.named_log)
        for note in mapped.notes:
            run.note(note)
