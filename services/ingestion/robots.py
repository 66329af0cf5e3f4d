"""Robot run data end to end: extract (or import saved pages / a CSV), then build the tables.

``extract_robots`` reads every configured stream through ``run_stream`` (raw pages under
``01_raw/robots/<stream>/``, the bookmark committed after each durable write, resumable), then
calls ``rebuild_robots``, which reads only the data folder and writes to ``03_primary/robots/``:

- ``runs.parquet`` and ``transactions.parquet`` (columns and status rules:
  ``extractors.robots.mapping``), and
- ``quarantine.csv`` (platform, stream, record_number, reason, record) when records were set aside;
  the counts per stream go to the extraction catalog, so ``kitflow sources`` shows them.

``import_robot_export`` stores saved OData pages (or a generic CSV) as the raw pages of the same
streams, pseudonymised and projected to the declared fields, replacing what the stream held (an
export is a full snapshot), and rebuilds.

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

import os
import shutil
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from extractors.base import (
    Bookmark,
    ExtractionResult,
    PageCallback,
    RetryPolicy,
    Stream,
    iter_raw_pages,
    page_path,
    raw_folder,
    run_stream,
    write_page_atomically,
)
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser, load_key
from extractors.robots import (
    ALL_STREAMS,
    POWER_AUTOMATE_STREAMS,
    QUARANTINE_SCHEMA,
    UIPATH_STREAMS,
    DataverseStream,
    ODataClient,
    RobotTables,
    UiPathStream,
    find_page_folders,
    map_power_automate,
    map_robot_csv,
    map_uipath,
    read_robot_csv,
    read_saved_pages,
)
from models.errors import InputError
from models.extraction import ExtractionCatalog
from models.store import LogStore, default_database_url

SOURCE = "robots"
CSV_PREFIX = "csv-"
LOCAL_ZONE = "Europe/Copenhagen"
Say = Callable[[str], None]


def _say_nothing(_: str) -> None:
    return None


def _no_progress(_stream: str, _pages: int, _records: int) -> None:
    return None


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
        if self.token_env:
            value = os.environ.get(self.token_env, "").strip()
            if not value:
                raise FatalError(
                    f"the environment variable {self.token_env} named in the robots "
                    f"configuration is not set: export {self.token_env}=<access token>."
                )
            return value
        if self.token_file:
            path = Path(self.token_file).expanduser()
            if not path.is_file():
                raise FatalError(f"the token file {path} named in the robots config is missing.")
            return path.read_text("utf-8").strip()
        raise FatalError(f"{self.base_url}: name token_env or token_file in the robots config.")


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
    if not path.exists():
        raise FatalError(f"there is no configuration file at {path}: check the path.")
    text = path.read_text("utf-8")
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise FatalError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from error
    if not isinstance(raw, dict) or set(raw) - _TOP_KEYS:
        unknown = sorted(set(raw) - _TOP_KEYS) if isinstance(raw, dict) else []
        raise FatalError(
            f"{path}: expected a mapping of {', '.join(sorted(_TOP_KEYS))}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
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


@dataclass(frozen=True)
class StreamCount:
    """One stream after a rebuild: records read and records quarantined."""

    stream: str
    records: int
    quarantined: int


@dataclass(frozen=True)
class RobotsReport:
    """What an extraction, import or rebuild did."""

    folder: Path
    runs: int
    transactions: int
    quarantined: int
    streams: tuple[StreamCount, ...]
    results: tuple[ExtractionResult, ...] = ()
    files: int = 0
    quarantine_path: Path | None = None
    notes: tuple[str, ...] = ()


def primary_folder(data_dir: Path) -> Path:
    """``<data>/03_primary/robots``."""
    return data_dir / "03_primary" / SOURCE


def _catalog(data_dir: Path) -> ExtractionCatalog:
    return ExtractionCatalog(default_database_url(data_dir))


def extract_robots(
    store: LogStore,
    config: RobotsConfig,
    *,
    on_page: PageCallback = _no_progress,
    say: Say = _say_nothing,
    retry: RetryPolicy | None = None,
) -> RobotsReport:
    """Fetch every configured stream from its bookmark, then rebuild the tables."""
    if config.uipath is None and config.power_automate is None:
        raise FatalError("the robots configuration names neither uipath nor power_automate.")
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    policy = retry or RetryPolicy(max_tries=config.max_tries)
    state = _catalog(store.data_dir)
    results: list[ExtractionResult] = []
    try:
        for client, streams in _streams(config, pseudonym, policy):
            try:
                for stream in streams:
                    results.append(
                        run_stream(
                            stream, source=SOURCE, data_dir=store.data_dir, state=state,
                            on_page=on_page,
                        )
                    )  # fmt: skip
            finally:
                client.close()
    finally:
        state.dispose()
    report = rebuild_robots(store, queue_processes=config.queue_processes)
    return RobotsReport(**{**report.__dict__, "results": tuple(results)})


def _streams(
    config: RobotsConfig, pseudonym: Pseudonymiser, policy: RetryPolicy
) -> Iterator[tuple[ODataClient, list[Stream]]]:
    if config.uipath is not None:
        ui = config.uipath
        folder = {"X-UIPATH-OrganizationUnitId": str(ui.folder_id)} if ui.folder_id else {}
        client = ODataClient(
            ui.base_url, token=ui.token(), headers=folder, timeout_s=config.timeout_s,
            retry=policy,
        )  # fmt: skip
        yield (
            client,
            [
                UiPathStream(UIPATH_STREAMS[e], client, pseudonym, page_size=ui.page_size)
                for e in ui.entities
            ],
        )
    if config.power_automate is not None:
        pa = config.power_automate
        prefer = {"Prefer": f"odata.maxpagesize={pa.page_size}"}
        client = ODataClient(
            pa.base_url, token=pa.token(), headers=prefer, timeout_s=config.timeout_s,
            retry=policy,
        )  # fmt: skip
        yield (
            client,
            [
                DataverseStream(
                    POWER_AUTOMATE_STREAMS[e], client, pseudonym, page_size=pa.page_size
                )
                for e in pa.entities
            ],
        )


def import_robot_export(
    store: LogStore,
    path: Path,
    *,
    queue_processes: Mapping[str, str] | None = None,
    say: Say = _say_nothing,
) -> RobotsReport:
    """Store saved OData pages (a folder) or a generic CSV (a file) as raw pages; rebuild."""
    pseudonym = Pseudonymiser(load_key(data_dir=store.data_dir, announce=say))
    if path.is_dir():
        files = _store_saved_pages(store.data_dir, path, pseudonym)
    elif path.is_file() and path.suffix.lower() == ".csv":
        files = _store_csv(store.data_dir, path, pseudonym)
    else:
        raise InputError(
            f"{path}: give a folder of saved OData pages (uipath/…, power-automate/…) or a "
            "robot .csv file."
        )
    report = rebuild_robots(store, queue_processes=queue_processes)
    return RobotsReport(**{**report.__dict__, "files": files})


def _replace_pages(data_dir: Path, stream: str, pages: list[tuple[str, list[Any]]]) -> None:
    """Make ``pages`` the stream's raw pages and record them as one run in the catalog."""
    folder = raw_folder(data_dir, SOURCE, stream)
    if folder.exists():
        shutil.rmtree(folder)
    state = _catalog(data_dir)
    try:
        run_id, _ = state.open_run(SOURCE, stream)
        for number, (name, records) in enumerate(pages, start=1):
            document = {"stream": stream, "request": {"file": name}, "result": records}
            write_page_atomically(page_path(folder, number), document)
            state.commit_page(run_id, bookmark=Bookmark(name, "export"), records=len(records))
        state.close_run(run_id, status="finished")
    finally:
        state.dispose()


def _store_saved_pages(data_dir: Path, root: Path, pseudonym: Pseudonymiser) -> int:
    files = 0
    for stream, folder in find_page_folders(root).items():
        pages = list(read_saved_pages(folder, ALL_STREAMS[stream], pseudonym))
        _replace_pages(data_dir, stream, pages)
        files += len(pages)
    return files


def _store_csv(data_dir: Path, path: Path, pseudonym: Pseudonymiser) -> int:
    rows = [{"line": line, **row} for line, row in read_robot_csv(path, pseudonym)]
    _replace_pages(data_dir, CSV_PREFIX + path.stem, [(path.name, rows)])
    return 1


def _numbered(data_dir: Path, stream: str) -> list[tuple[int, Any]]:
    records = (
        r
        for _, page in iter_raw_pages(raw_folder(data_dir, SOURCE, stream))
        for r in page["result"]
    )
    return list(enumerate(records, start=1))


def rebuild_robots(
    store: LogStore, *, queue_processes: Mapping[str, str] | None = None
) -> RobotsReport:
    """Rebuild runs and transactions from the raw pages alone (no network)."""
    data_dir = store.data_dir
    raw = {s: _numbered(data_dir, s) for s in _stored_streams(data_dir)}
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
            queue_processes=queue_processes,
        ),
        map_power_automate(
            flowsessions=raw.get("power-automate-flowsessions", []),
            workflows=raw.get("power-automate-workflows", []),
        ),
    ]
    zone = _zone()
    parts += [
        map_robot_csv(((r.pop("line", n), r) for n, r in rows), file=stream, local_zone=zone)
        for stream, rows in raw.items()
        if stream.startswith(CSV_PREFIX)
    ]
    return _write_tables(data_dir, parts, raw)


def _zone() -> Any:
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - only CSV rows need it

    return ZoneInfo(LOCAL_ZONE)


def _stored_streams(data_dir: Path) -> list[str]:
    folder = data_dir / "01_raw" / SOURCE
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("page-*.json")))


def _quarantine_stream(platform: str, stream: str) -> str:
    return stream if platform == "csv" else f"{platform}-{stream}"


def _write_tables(
    data_dir: Path, parts: list[RobotTables], raw: Mapping[str, list[tuple[int, Any]]]
) -> RobotsReport:
    runs = pl.concat([p.runs for p in parts]).sort(["platform", "start", "run_id"])
    transactions = pl.concat([p.transactions for p in parts]).sort(
        ["platform", "start", "transaction_id"]
    )
    quarantine = (
        pl.concat([p.quarantine for p in parts])
        if parts
        else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    folder = primary_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    runs.write_parquet(folder / "runs.parquet")
    transactions.write_parquet(folder / "transactions.parquet")
    quarantine_path = folder / "quarantine.csv"
    if quarantine.height:
        quarantine.write_csv(quarantine_path)
    else:
        quarantine_path.unlink(missing_ok=True)
    per_stream: dict[str, int] = {}
    for platform, stream in quarantine.select("platform", "stream").iter_rows():
        name = _quarantine_stream(platform, stream)
        per_stream[name] = per_stream.get(name, 0) + 1
    state = _catalog(data_dir)
    try:
        for stream in raw:
            state.set_quarantined(SOURCE, stream, per_stream.get(stream, 0))
    finally:
        state.dispose()
    return RobotsReport(
        folder=folder,
        runs=runs.height,
        transactions=transactions.height,
        quarantined=quarantine.height,
        streams=tuple(
            StreamCount(s, len(records), per_stream.get(s, 0)) for s, records in raw.items()
        ),
        quarantine_path=quarantine_path if quarantine.height else None,
        notes=tuple(n for p in parts for n in p.notes),
    )
