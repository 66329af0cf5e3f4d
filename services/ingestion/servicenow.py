"""ServiceNow's declaration for the ingestion runner: its configuration, its streams, its export
readers and its logs.

- ``--config`` alone fetches every configured table (a stream each) from the Table API into
  ``01_raw/<source>/<table>/``, then builds the log of ``event_log_table`` (``--name``).
- ``--export FILE`` reads a Table API ``.json`` or a list-export ``.csv``/``.zip`` into the log
  ``--name`` (``--timezone`` of its local times, ``--table`` of a ``.json``).
- ``--export FOLDER`` reads saved Table API pages (``<table>/page-NNNNN.json``) as streams, with
  the same keyset and bookmarks as the API, and builds the fixed logs ``servicenow-incidents``
  and ``servicenow-orders``.
- ``--rebuild`` stages the configured tables from their raw pages again and rebuilds the log
  ``--name`` (no network): a mapping fix is applied by rebuilding, not re-fetching.

The configuration (YAML or TOML); credentials are *names* of environment variables::

    base_url: https://kk.service-now.com
    tables: [sys_user_group, sys_choice, incident, sys_audit, task_sla]
    event_log_table: incident
    page_size: 1000
    auth: {username_env: SN_USER, password_env: SN_PASSWORD}   # or token_env: SN_TOKEN
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors import FatalError, RetryPolicy, Stream
from extractors.servicenow import (
    Credentials,
    PageSpill,
    SavedPagesStream,
    TableClient,
    TableStream,
    find_saved_tables,
    saved_page_spec,
    stream_spec,
)
from services.ingestion.runner import Mode, Origin, Plan, Run, SourceInfo
from services.ingestion.servicenow_logs import (
    INCIDENTS_LOG,
    ORDERS_LOG,
    build_configured_log,
    build_export_file,
    build_pages_logs,
    export_kind,
    stage_read_table,
)
from services.ingestion.settings import check_no_credentials, read_secret, read_settings_file

SOURCE = "servicenow"
EXPORT_SOURCE = "servicenow-export"
DEFAULT_TABLES = ("sys_user_group", "sys_choice", "incident", "sys_audit", "task_sla")
DEFAULT_LOG = INCIDENTS_LOG
API_FORMAT = "servicenow-api"
PAGES_FORMAT = "servicenow-pages"


@dataclass(frozen=True)
class ServiceNowConfig:
    """An extraction's configuration. Credentials are *names* of environment variables."""

    base_url: str
    tables: tuple[str, ...] = DEFAULT_TABLES
    page_size: int = 1000
    timeout_s: float = 60.0
    max_tries: int = 5
    source: str = SOURCE
    event_log_table: str = "incident"
    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None

    def credentials(self) -> Credentials:
        """The credentials read from the named environment variables."""
        if self.token_env:
            return Credentials(token=self._secret(self.token_env, "token_env", "token"))
        if self.username_env:
            password = self._secret(self.password_env, "password_env", "password")
            return Credentials(
                username=self._secret(self.username_env, "username_env", "user name"),
                password=password,
            )
        return Credentials()

    @staticmethod
    def _secret(env: str | None, key: str, what: str) -> str | None:
        return read_secret(env=env, file=None, key=f"auth.{key}", what=what)


_CONFIG_KEYS = frozenset(
    {"base_url", "tables", "page_size", "timeout_s", "max_tries", "source", "event_log_table"}
)
_AUTH_KEYS = frozenset({"username_env", "password_env", "token_env"})


def read_config(path: Path) -> ServiceNowConfig:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) configuration file."""
    raw = read_settings_file(path, expected="base_url, tables, page_size, auth")
    auth = raw.get("auth") or {}
    unknown = (set(raw) - _CONFIG_KEYS - {"auth"}) | (set(auth) - _AUTH_KEYS)
    if unknown:
        raise FatalError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_CONFIG_KEYS))}, auth.{{{', '.join(sorted(_AUTH_KEYS))}}}."
        )
    if not raw.get("base_url"):
        raise FatalError(f"{path}: base_url is missing, e.g. base_url: https://kk.service-now.com")
    instead = "name environment variables in auth.username_env and auth.password_env"
    check_no_credentials(str(raw["base_url"]), path=path, key="base_url", instead=instead)
    return _config_from(raw, auth, path)


def _config_from(raw: Mapping[str, Any], auth: Mapping[str, Any], path: Path) -> ServiceNowConfig:
    tables = tuple(raw.get("tables") or DEFAULT_TABLES)
    for table in tables:
        stream_spec(table)
    values = {k: raw[k] for k in _CONFIG_KEYS if k in raw and k != "tables"}
    config = ServiceNowConfig(**values, **auth, tables=tables)
    if config.page_size < 1 or config.max_tries < 1:
        raise FatalError(f"{path}: page_size and max_tries must be at least 1.")
    return config


# Without --config: the default tables and source, and no API to fetch from.
INFO = SourceInfo("servicenow", "ServiceNow", read_config, lambda: ServiceNowConfig(base_url=""))


@dataclass(frozen=True)
class ServiceNowSource:
    """ServiceNow for the ingestion runner; ``timezone`` and ``table`` are the options of an
    export file (the zone of a list export's local times; the table of a ``.json``)."""

    timezone: str = "Europe/Copenhagen"
    table: str = "incident"
    info: SourceInfo[ServiceNowConfig] = field(default=INFO, init=False)

    def plan(self, config: ServiceNowConfig, mode: Mode, exports: tuple[Path, ...]) -> Plan:
        """A folder of saved pages builds fixed logs; a file or the API one named log."""
        if mode == "export" and exports[0].is_dir():
            return Plan(
                config.source,
                builds="a folder of saved ServiceNow pages always builds the logs "
                f"{INCIDENTS_LOG} and {ORDERS_LOG}, rebuilt in place by each import (give one "
                "export file to name its log)",
                fixed_logs=(INCIDENTS_LOG, ORDERS_LOG),
                origin=Origin((PAGES_FORMAT,), str(exports[0]), any_path=True),
            )
        if mode == "export":
            kind = export_kind(exports[0])
            origin = Origin((f"servicenow-{kind}",), str(exports[0].resolve()))
            return Plan(EXPORT_SOURCE, "", named_log=DEFAULT_LOG, origin=origin)
        if config.event_log_table not in config.tables:
            raise FatalError(
                f"event_log_table {config.event_log_table!r} is not among the tables "
                f"{', '.join(config.tables)}: add it to 'tables'."
            )
        # A rebuild without --config knows no base_url: it keeps the stored log's.
        origin = Origin((API_FORMAT,), config.base_url, any_path=not config.base_url)
        return Plan(config.source, "", named_log=DEFAULT_LOG, origin=origin)

    def fetch(self, run: Run, config: ServiceNowConfig) -> Generator[Stream, None, None]:
        """Each configured table, a stream read by keyset from its bookmark."""
        client = TableClient(
            config.base_url,
            credentials=config.credentials(),
            timeout_s=config.timeout_s,
            retry=run.retry or RetryPolicy(max_tries=config.max_tries),
        )
        try:
            for table in config.tables:
                spec = stream_spec(table)
                yield TableStream(spec, client, run.pseudonymiser(), page_size=config.page_size)
        finally:
            client.close()

    def store_export(self, run: Run, config: ServiceNowConfig, exports: tuple[Path, ...]) -> None:
        """Saved pages are read as streams into ``01_raw``; a file is read whole when the log
        is built (it holds people in clear, so it is never copied)."""
        folder = exports[0]
        if not folder.is_dir():
            return
        saved = find_saved_tables(folder)
        for sub, why in saved.not_read:
            run.note(f"not read: {sub}/ ({why}).")
        pseudonym = run.pseudonymiser()
        # Each table's pages are prepared for staging as they are stored and spilled to
        # Parquet; the table is staged from them once read (bounded memory, see PageSpill).
        with run.data.spill_folder() as spilled:
            spills: dict[str, PageSpill] = {}

            def prepare(table: str, records: Sequence[Any]) -> None:
                if table not in spills:
                    spills[table] = PageSpill(saved_page_spec(table), spilled / table)
                spills[table].add(records)

            run.read_streams(
                (
                    SavedPagesStream(folder / table, saved_page_spec(table), pseudonym)
                    for table in saved.tables
                ),
                prepare=prepare,
                then=lambda table: stage_read_table(run, table, spills.pop(table, None)),
            )

    def build(self, run: Run, config: ServiceNowConfig) -> None:
        """The log(s) of the run: saved pages' fixed logs, an export file's, or the configured."""
        if run.mode == "export" and run.exports[0].is_dir():
            build_pages_logs(run, find_saved_tables(run.exports[0]).tables)
        elif run.mode == "export":
            build_export_file(run, run.exports[0], timezone=self.timezone, table=self.table)
        else:
            build_configured_log(run, config.tables, config.event_log_table)
