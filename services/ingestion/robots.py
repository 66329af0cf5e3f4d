"""Robot run data's declaration for the ingestion runner: UiPath and Power Automate runs
(kørselsdata) to tables, not to an event log.

- ``--config`` alone reads every configured stream (raw pages under ``01_raw/robots/<stream>/``,
  the bookmark committed after each durable write, resumable).
- ``--export PATH`` stores saved OData pages (a folder) or a generic CSV (a file) as the raw pages
  of the same streams, pseudonymised and projected to the declared fields, replacing what the
  stream held (an export is a full snapshot).
- Every mode ends in the build, which reads only the data folder and writes
  ``03_primary/robots/runs.parquet`` and ``transactions.parquet`` (columns and status rules:
  ``extractors.robots.mapping``) and ``quarantine.csv`` (platform, stream, record_number, reason,
  record) when records were set aside. A ``--config`` beside ``--export``/``--rebuild`` gives its
  ``queue_processes``.

The configuration (YAML or TOML); tokens are *named*, never written in it::

    uipath:
      base_url: https://cloud.uipath.com/kk/kit/orchestrator_
      folder_id: 4711                   # X-UIPATH-OrganizationUnitId
      token_env: UIPATH_TOKEN           # or token_file: /run/secrets/uipath-token
      entities: [QueueDefinitions, Jobs, QueueItems, QueueItemEvents]
      page_size: 1000
    power_automate:
      base_url: https://kk-kit.crm4.dynamics.com/api/data/v9.2
      token_env: DATAVERSE_TOKEN
      page_size: 5000
    queue_processes:                    # optional: queue name -> process (release) name
      KIT_Queue_Ledelsestilsyn_Dataudtraek: KIT_Ledelsestilsyn_Dataudtraek
    timeout_s: 60
    max_tries: 5
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from extractors import Bookmark, FatalError, Page, RetryPolicy, Stream
from extractors.robots import (
    ALL_STREAMS,
    POWER_AUTOMATE_STREAMS,
    UIPATH_STREAMS,
    DataverseStream,
    ODataClient,
    RobotStreamSpec,
    RobotTables,
    UiPathStream,
    find_page_folders,
    map_power_automate,
    map_robot_csv,
    map_uipath,
    read_robot_csv,
    read_saved_pages,
)
from models.datafolder import ROBOTS
from models.errors import InputError
from services.ingestion.runner import Mode, Plan, Run, SourceInfo
from services.ingestion.settings import read_secret, read_settings_file

SOURCE = ROBOTS
CSV_PREFIX = "csv-"
LOCAL_ZONE = "Europe/Copenhagen"


@dataclass(frozen=True)
class PlatformConfig:
    """One platform's API: base URL, the token's env variable or file, folder, page size."""

    base_url: str
    token_env: str | None = None
    token_file: str | None = None
    folder_id: int | None = None
    entities: tuple[str, ...] = ()
    page_size: int = 1000

    def token(self) -> str:
        """The bearer token, read from the named variable or file."""
        key = "token_env" if self.token_env else "token_file"
        token = read_secret(env=self.token_env, file=self.token_file, key=key,
                            what="access token")  # fmt: skip
        if token is None:
            raise FatalError(f"{self.base_url}: name token_env or token_file in the robots config.")
        return token


@dataclass(frozen=True)
class RobotsConfig:
    """What to extract and how to name queue processes."""

    uipath: PlatformConfig | None = None
    power_automate: PlatformConfig | None = None
    queue_processes: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    max_tries: int = 5


_TOP_KEYS = frozenset({"uipath", "power_automate", "queue_processes", "timeout_s", "max_tries"})
_PLATFORM_KEYS = frozenset(
    {"base_url", "token_env", "token_file", "folder_id", "entities", "page_size"}
)


def read_robots_config(path: Path) -> RobotsConfig:
    """Read a YAML or TOML robots configuration (see the module docstring)."""
    raw = read_settings_file(path, expected=", ".join(sorted(_TOP_KEYS)))
    if set(raw) - _TOP_KEYS:
        raise FatalError(
            f"{path}: expected a mapping of {', '.join(sorted(_TOP_KEYS))}; unknown: "
            f"{', '.join(sorted(set(raw) - _TOP_KEYS))}"
        )
    return RobotsConfig(
        uipath=_platform(raw.get("uipath"), path, "uipath", UIPATH_STREAMS, 1000),
        power_automate=_platform(
            raw.get("power_automate"), path, "power_automate", POWER_AUTOMATE_STREAMS, 5000
        ),
        queue_processes={str(k): str(v) for k, v in (raw.get("queue_processes") or {}).items()},
        timeout_s=float(raw.get("timeout_s", 60.0)),
        max_tries=int(raw.get("max_tries", 5)),
    )


def _platform(
    raw: Any, path: Path, key: str, known: Mapping[str, Any], page_size: int
) -> PlatformConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - _PLATFORM_KEYS or not raw.get("base_url"):
        raise FatalError(
            f"{path}: {key} needs base_url and token_env (or token_file); allowed keys: "
            f"{', '.join(sorted(_PLATFORM_KEYS))}."
        )
    entities = tuple(raw.get("entities") or known)
    unknown = [e for e in entities if e not in known]
    if unknown:
        raise FatalError(
            f"{path}: {key}.entities has {', '.join(unknown)}; known: {', '.join(known)}."
        )
    folder = raw.get("folder_id")
    return PlatformConfig(
        base_url=str(raw["base_url"]),
        token_env=raw.get("token_env"),
        token_file=raw.get("token_file"),
        folder_id=int(folder) if folder is not None else None,
        entities=entities,
        page_size=int(raw.get("page_size", page_size)),
    )


MakeStream = Callable[..., Stream]


def _platform_streams(
    run: Run,
    platform: PlatformConfig,
    *,
    declared: Mapping[str, RobotStreamSpec],
    make: MakeStream,
    headers: Mapping[str, str],
    timeout_s: float,
    policy: RetryPolicy,
) -> Generator[Stream, None, None]:
    client = ODataClient(platform.base_url, token=platform.token(), headers=headers,
                         timeout_s=timeout_s, retry=policy)  # fmt: skip
    try:
        for entity in platform.entities:
            yield make(declared[entity], client, run.pseudonymiser(), page_size=platform.page_size)
    finally:
        client.close()


def _snapshot(stream: str, pages: list[tuple[str, list[Any]]]) -> tuple[str, list[Page]]:
    """An export's pages of one stream; each bookmark the file it came from."""
    return stream, [Page(tuple(rows), {"file": name}, Bookmark(name, "export"))
                    for name, rows in pages]  # fmt: skip


# Without --config: no platform and no queue names, enough for an export or a rebuild.
INFO = SourceInfo("robots", "robot run data", read_robots_config, RobotsConfig)
PLAN = Plan(SOURCE, "robot run data become the tables runs and transactions in 03_primary/robots")


@dataclass(frozen=True)
class RobotsSource:
    """Robot run data for the ingestion runner."""

    info: SourceInfo[RobotsConfig] = field(default=INFO, init=False)

    def plan(self, config: RobotsConfig, mode: Mode, exports: tuple[Path, ...]) -> Plan:
        """Tables, not a log."""
        return PLAN

    def fetch(self, run: Run, config: RobotsConfig) -> Generator[Stream, None, None]:
        """The UiPath entities by ``Id`` keyset, then the Dataverse tables by next link."""
        if config.uipath is None and config.power_automate is None:
            raise FatalError("the robots configuration names neither uipath nor power_automate.")
        policy = run.retry or RetryPolicy(max_tries=config.max_tries)
        if config.uipath is not None:
            ui = config.uipath
            folder = {"X-UIPATH-OrganizationUnitId": str(ui.folder_id)} if ui.folder_id else {}
            yield from _platform_streams(run, ui, declared=UIPATH_STREAMS, make=UiPathStream,
                                         headers=folder, timeout_s=config.timeout_s,
                                         policy=policy)  # fmt: skip
        if config.power_automate is not None:
            pa = config.power_automate
            prefer = {"Prefer": f"odata.maxpagesize={pa.page_size}"}
            yield from _platform_streams(run, pa, declared=POWER_AUTOMATE_STREAMS,
                                         make=DataverseStream, headers=prefer,
                                         timeout_s=config.timeout_s, policy=policy)  # fmt: skip

    def store_export(self, run: Run, config: RobotsConfig, exports: tuple[Path, ...]) -> None:
        """Saved OData pages (a folder) or a generic CSV (a file), each stream's pages
        replacing what it held; every page is read before any is replaced."""
        path, pseudonym = exports[0], run.pseudonymiser()
        if path.is_dir():
            snapshots = [
                _snapshot(stream, list(read_saved_pages(folder, ALL_STREAMS[stream], pseudonym)))
                for stream, folder in find_page_folders(path).items()
            ]
        elif path.is_file() and path.suffix.lower() == ".csv":
            rows = [{"line": line, **row} for line, row in read_robot_csv(path, pseudonym)]
            snapshots = [_snapshot(CSV_PREFIX + path.stem, [(path.name, rows)])]
        else:
            raise InputError(
                f"{path}: give a folder of saved OData pages (uipath/…, power-automate/…) or a "
                "robot .csv file."
            )
        for stream, pages in snapshots:
            run.store_pages(stream, pages, fresh=True)

    def build(self, run: Run, config: RobotsConfig) -> None:
        """Runs and transactions from the raw pages alone (no network)."""
        raw = {stream: _numbered(run, stream) for stream in _stored_streams(run)}
        if not raw:
            raise InputError(
                "there are no robot run data to build from: run 'kitflow extract robots --config "
                "FILE' or '--export PATH' first."
            )
        parts = [
            map_uipath(
                jobs=raw.get("uipath-Jobs", []),
                queue_items=raw.get("uipath-QueueItems", []),
                queue_definitions=raw.get("uipath-QueueDefinitions", []),
                queue_processes=config.queue_processes,
            ),
            map_power_automate(
                flowsessions=raw.get("power-automate-flowsessions", []),
                workflows=raw.get("power-automate-workflows", []),
            ),
        ]
        zone = ZoneInfo(LOCAL_ZONE)
        parts += [
            map_robot_csv(((r.pop("line", n), r) for n, r in rows), file=stream, local_zone=zone)
            for stream, rows in raw.items()
            if stream.startswith(CSV_PREFIX)
        ]
        _write_tables(run, parts, streams=list(raw))


def _stored_streams(run: Run) -> list[str]:
    folder = run.data.raw(SOURCE)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("page-*.json")))


def _numbered(run: Run, stream: str) -> list[tuple[int, Any]]:
    return list(enumerate(run.raw_records(stream), start=1))


def _write_tables(run: Run, parts: list[RobotTables], *, streams: list[str]) -> None:
    runs = pl.concat([p.runs for p in parts]).sort(["platform", "start", "run_id"])
    transactions = pl.concat([p.transactions for p in parts]).sort(
        ["platform", "start", "transaction_id"]
    )
    quarantine = pl.concat([p.quarantine for p in parts])
    run.write_table("runs", runs, run.data.robot_runs())
    run.write_table("transactions", transactions, run.data.robot_transactions())
    run.write_quarantine(quarantine, run.data.robot_quarantine())
    per_stream = dict.fromkeys(streams, 0)
    for platform, stream in quarantine.select("platform", "stream").iter_rows():
        name = stream if platform == "csv" else f"{platform}-{stream}"
        per_stream[name] = per_stream.get(name, 0) + 1
    for stream, count in per_stream.items():
        run.set_aside(count, stream=stream)
    for note in (n for p in parts for n in p.notes):
        run.note(note)
