"""One ingestion runner for every source.

A source declares what is its own (``SourceSpec``): its configuration, its streams and how to
fetch them from the API, how it stores an export as raw pages or tables, its staging and its
building of logs or tables. ``ingest`` does the steps every source shares, once:

1. the flags: exactly one of fetch (``--config`` alone), ``--export`` or ``--rebuild``; a
   ``--config`` beside ``--export``/``--rebuild`` only gives settings (``choose_mode``);
2. the configuration, and what the run builds (``Plan``): one log the user names, fixed logs,
   or tables; ``--name``/``--replace`` where no log can be named stop with the reason;
3. the log name (``check_new_log_name``) and whether a stored log of that name may be rebuilt
   in place (the same origin) or needs ``--replace``;
4. the one writer's lock of the source, held for the whole run;
5. the pseudonymisation key (loaded when a step first needs it), the extraction catalog of the
   store's own database (runs, bookmarks, quarantine counts per stream);
6. the writes, all through ``DataFolder`` paths: raw pages, staged tables and their quarantine,
   logs, primary tables and their quarantine;
7. one report (``IngestionReport``) with one JSON shape (``ingestion_json``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import polars as pl

from extractors import (
    Bookmark,
    ExtractionResult,
    Page,
    PageCallback,
    Pseudonymiser,
    RetryPolicy,
    Stream,
    iter_raw_pages,
    load_key,
    page_path,
    run_stream,
    write_page_atomically,
)
from models.catalog import LogEntry
from models.datafolder import DataFolder, check_new_log_name
from models.errors import InputError
from models.eventlog import CanonicalLog, nothing_left_message, sort_events, validate_rows
from models.extraction import ExtractionCatalog
from models.schema import empty_quarantine
from models.spill import CaseSpill
from models.spreadsheet import write_spreadsheet_csv
from models.store import LogStore
from services.storing import flat_log_entry, save_flat_log, store_canonical_log
from services.streamed_import import write_spilled_log

Mode = Literal["api", "export", "rebuild"]
LOG_PIECE_ROWS = 500_000
"""Events sorted at a time when a log built in chunks is written (``Run.store_log_chunks``)."""
Say = Callable[[str], None]
C = TypeVar("C")


def say_nothing(_: str) -> None:
    """A ``say`` that shows nothing."""
    return None


def no_progress(_stream: str, _pages: int, _records: int) -> None:
    """An ``on_page`` that shows nothing."""
    return None


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamReport:
    """One stream read in this run: pages and records stored, whether an unfinished run was
    resumed, the bookmark it ended on, and its records set aside (staging and building)."""

    stream: str
    pages: int
    records: int
    resumed: bool
    bookmark: Bookmark | None
    quarantined: int


@dataclass(frozen=True)
class StagedReport:
    """One staged table in ``02_intermediate/<source>``: rows kept and records set aside (by
    staging, and by building the logs from it)."""

    table: str
    rows: int
    quarantined: int


@dataclass(frozen=True)
class LogReport:
    """One event log stored: its catalog entry, rows set aside and their file (if any)."""

    entry: LogEntry
    quarantined: int
    quarantine_file: Path | None = None


@dataclass(frozen=True)
class TableReport:
    """One table written to ``03_primary`` (not an event log): its rows and its file."""

    name: str
    path: Path
    rows: int


@dataclass(frozen=True)
class IngestionReport:
    """What one run of one source did (``source``: its data's name, as ``kitflow sources``
    lists it): the streams read (none for a rebuild), the staged tables,
    the logs and tables stored, the records set aside (``quarantined``, counted once each) and
    the files that hold them, and notes for the user."""

    source: str
    mode: Mode
    streams: tuple[StreamReport, ...] = ()
    staged: tuple[StagedReport, ...] = ()
    logs: tuple[LogReport, ...] = ()
    tables: tuple[TableReport, ...] = ()
    quarantined: int = 0
    quarantine_files: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def entry(self) -> LogEntry:
        """The catalog entry of the one log this run stored."""
        if len(self.logs) != 1:
            names = ", ".join(log.entry.name for log in self.logs) or "none"
            raise InputError(f"this {self.source} run stored {len(self.logs)} logs ({names}).")
        return self.logs[0].entry


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def ingestion_json(report: IngestionReport) -> dict[str, Any]:
    """The report as JSON: the one shape of ``kitflow extract <source> --json``."""
    return {
        "source": report.source,
        "mode": report.mode,
        "streams": [
            {
                "stream": s.stream,
                "pages": s.pages,
                "records": s.records,
                "resumed": s.resumed,
                "bookmark": None if s.bookmark is None else [s.bookmark.value, s.bookmark.key],
                "quarantined": s.quarantined,
            }
            for s in report.streams
        ],
        "staged": [
            {"table": s.table, "rows": s.rows, "quarantined": s.quarantined} for s in report.staged
        ],
        "logs": [
            {
                "name": log.entry.name,
                "cases": log.entry.cases,
                "events": log.entry.events,
                "activities": log.entry.activities,
                "quarantined": log.quarantined,
                "quarantine_file": _text(log.quarantine_file),
            }
            for log in report.logs
        ],
        "tables": [{"name": t.name, "path": str(t.path), "rows": t.rows} for t in report.tables],
        "quarantined": report.quarantined,
        "quarantine_files": [str(path) for path in report.quarantine_files],
        "notes": list(report.notes),
    }


# -- what a source declares ---------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a log comes from, as its catalog entry records it: the format (the first of
    ``formats``) and the path. A stored log of the same name is rebuilt in place when it has one
    of ``formats`` and the same path (any path with ``any_path``); else ``--replace`` is needed.
    An empty ``path`` (a rebuild from the raw data) keeps the stored log's path."""

    formats: tuple[str, ...]
    path: str = ""
    any_path: bool = False

    def accepts(self, entry: LogEntry) -> bool:
        """Whether ``entry`` came from here, so the run may rebuild it in place."""
        same_path = self.any_path or entry.source_path == self.path
        return entry.source_format in self.formats and same_path

    def recorded(self, entry: LogEntry | None, *, raw: str) -> tuple[str, str]:
        """(format, path) for the new entry; ``raw`` names the raw data when nothing else does."""
        if entry is not None and self.accepts(entry):
            return entry.source_format, self.path or entry.source_path
        return self.formats[0], self.path or raw


@dataclass(frozen=True)
class Plan:
    """What a run builds and where its data lies.

    ``source`` is the folder of its raw and staged data and its name in the extraction catalog.
    ``named_log`` is the default name of the one log it builds when the user may name it
    (``--name``); ``fixed_logs`` the logs it builds under fixed names; neither: it builds
    tables. ``builds`` says what it builds, in words, for the message that refuses ``--name``.
    """

    source: str
    builds: str
    named_log: str | None = None
    fixed_logs: tuple[str, ...] = ()
    origin: Origin | None = None


@dataclass(frozen=True)
class SourceInfo(Generic[C]):
    """What the command and the runner know of a source besides its steps: its name in
    ``kitflow extract <name>`` (its data's name is the plan's ``source``), its name in a
    sentence, how its settings are read, and which flags it takes."""

    name: str
    title: str
    read_config: Callable[[Path], C]
    default_config: Callable[[], C]
    has_api: bool = True
    many_exports: bool = False


class SourceSpec(Protocol[C]):
    """A source's declaration: what is its own; ``ingest`` does the shared steps."""

    @property
    def info(self) -> SourceInfo[C]:
        """The source's name, title, settings readers and flags."""
        ...

    def plan(self, config: C, mode: Mode, exports: tuple[Path, ...]) -> Plan:
        """What a run in ``mode`` builds, and where its data lies."""
        ...

    def fetch(self, run: Run, config: C) -> Generator[Stream, None, None]:
        """The API streams, one at a time: a stream may depend on what the one before stored."""
        ...

    def store_export(self, run: Run, config: C, exports: tuple[Path, ...]) -> None:
        """Store an export as raw pages or tables (people pseudonymised), through ``run``."""
        ...

    def build(self, run: Run, config: C) -> None:
        """Stage the raw data and build the logs or tables, through ``run`` (no network)."""
        ...


# -- the flags ----------------------------------------------------------------------------------


def allowed_combinations(info: SourceInfo[Any]) -> str:
    """The flag combinations ``kitflow extract <source>`` accepts, for error messages."""
    export = "--export PATH (repeatable)" if info.many_exports else "--export PATH"
    if not info.has_api:
        return f"{export} (read exports), or --rebuild (rebuild from the data folder)"
    return (
        f"--config FILE alone (fetch from the API), {export} (read an export) or --rebuild "
        "(rebuild from the data folder, fetching nothing); --config FILE may accompany "
        "--export or --rebuild, as settings only"
    )


def choose_mode(
    info: SourceInfo[Any], *, config: bool, exports: Sequence[Path], rebuild: bool
) -> Mode:
    """The one rule for every source: exactly one of fetch (``--config`` alone), ``--export``
    or ``--rebuild``. Raises with the combinations allowed."""
    command = f"kitflow extract {info.name}"
    allowed = f"give exactly one of {allowed_combinations(info)}."
    if exports and rebuild:
        raise InputError(f"{command}: --export and --rebuild cannot be combined; {allowed}")
    if config and not info.has_api:
        raise InputError(
            f"{command} takes no --config: {info.title} has no API and no settings; {allowed}"
        )
    if len(exports) > 1 and not info.many_exports:
        raise InputError(
            f"{command} reads one --export PATH at a time (got {len(exports)}); run it once "
            f"per export; {allowed}"
        )
    if exports:
        return "export"
    if rebuild:
        return "rebuild"
    if config:
        return "api"
    raise InputError(f"{command}: nothing to do; {allowed}")


def _log_name(info: SourceInfo[Any], plan: Plan, name: str | None, *, replace: bool) -> str | None:
    """The checked name of the log the user may name; ``--name``/``--replace`` where no log
    can be named stop with the reason, never silently ignored."""
    if plan.named_log is None:
        given = [flag for flag, value in (("--name", name), ("--replace", replace)) if value]
        if given:
            verb = "do not apply" if len(given) > 1 else "does not apply"
            raise InputError(
                f"kitflow extract {info.name}: {' and '.join(given)} {verb}, since "
                f"{plan.builds}. Leave {' and '.join(given)} out."
            )
        return None
    return check_new_log_name(name or plan.named_log)


def _check_replaceable(store: LogStore, plan: Plan, names: Sequence[str], *, replace: bool) -> None:
    # A run rebuilds its own logs each time; a stored log of that name from elsewhere is kept.
    for name in names:
        existing = store.catalog.get(name)
        if existing is None or replace or (plan.origin and plan.origin.accepts(existing)):
            continue
        fix = (
            "choose another --name, or add --replace"
            if plan.named_log
            else f"delete it first ('kitflow delete {name}'), then run this again"
        )
        raise InputError(
            f"a log named {name!r} is stored already, from {existing.source_path} "
            f"({existing.source_format}): {fix}."
        )


# -- one run ------------------------------------------------------------------------------------


def raw_records(data: DataFolder, source: str, stream: str) -> Iterator[Any]:
    """The records of a stream's stored pages, in commit order."""
    for records in raw_pages(data, source, stream):
        yield from records


def raw_pages(data: DataFolder, source: str, stream: str) -> Iterator[list[Any]]:
    """The records of a stream's stored pages, a page at a time, in commit order."""
    for _, page in iter_raw_pages(data.raw(source, stream)):
        yield page.get("result", [])


@dataclass
class Run:
    """One run of one source: the store, the catalog, the key, and everything the source's
    steps write, which is also what the report is built from."""

    store: LogStore
    state: ExtractionCatalog
    plan: Plan
    mode: Mode
    exports: tuple[Path, ...]
    log_name: str | None
    say: Say = say_nothing
    on_page: PageCallback = no_progress
    retry: RetryPolicy | None = None
    # What the steps wrote, for the report (not arguments).
    _pseudonym: Pseudonymiser | None = field(default=None, init=False)
    _streams: list[ExtractionResult] = field(default_factory=list, init=False)
    _staged: list[tuple[str, int]] = field(default_factory=list, init=False)
    _by_table: dict[str, int] = field(default_factory=dict, init=False)
    _by_stream: dict[str, int] = field(default_factory=dict, init=False)
    _logs: list[LogReport] = field(default_factory=list, init=False)
    _tables: list[TableReport] = field(default_factory=list, init=False)
    _files: list[Path] = field(default_factory=list, init=False)
    _notes: list[str] = field(default_factory=list, init=False)
    _exports: list[tuple[str, str, Bookmark, int]] = field(default_factory=list, init=False)
    _prepared: dict[str, list[Any]] = field(default_factory=dict, init=False)
    _staged_paths: dict[str, Path] = field(default_factory=dict, init=False)

    @property
    def data(self) -> DataFolder:
        """The data folder: every path the run writes comes from it."""
        return self.store.data

    @property
    def source(self) -> str:
        """The source's folder and catalog name."""
        return self.plan.source

    @property
    def named_log(self) -> str:
        """The (checked) name of the log the user named, or its default."""
        if self.log_name is None:
            raise InputError(f"this run of {self.source} builds no named log.")
        return self.log_name

    @property
    def records_read(self) -> int:
        """Records stored by this run's streams so far."""
        return sum(r.records for r in self._streams)

    def pseudonymiser(self) -> Pseudonymiser:
        """The keyed pseudonymiser (the key is loaded, or created, on first use)."""
        if self._pseudonym is None:
            self._pseudonym = Pseudonymiser(
                load_key(data_dir=self.data.root, create=True, announce=self.say)
            )
        return self._pseudonym

    def raw_records(self, stream: str, *, source: str | None = None) -> Iterator[Any]:
        """The records of a stream's stored pages (of this source, or of ``source``)."""
        return raw_records(self.data, source or self.source, stream)

    def raw_pages(self, stream: str, *, source: str | None = None) -> Iterator[list[Any]]:
        """The records of a stream's stored pages, a page at a time (see ``raw_records``)."""
        return raw_pages(self.data, source or self.source, stream)

    # -- reading --------------------------------------------------------------------------------

    def read_streams(
        self,
        streams: Iterable[Stream],
        *,
        prepare: Callable[[str, Sequence[Any]], Any] | None = None,
        then: Callable[[str], None] | None = None,
    ) -> None:
        """Read each stream from its bookmark to its end, page by page into ``01_raw``.

        ``prepare(stream, records)`` makes each stored page ready for staging; when this run
        stores all of a stream's pages (none were stored before), ``prepared`` gives them, so
        the staging need not read the pages back. ``then(stream)`` is called once a stream is
        read (to stage it before the next is read: one stream's prepared pages at a time)."""
        for stream in streams:
            folder = self.data.raw(self.source, stream.name)
            keep = self._keeper(stream.name, folder, prepare)
            try:
                self._streams.append(
                    run_stream(stream, source=self.source, folder=folder, state=self.state,
                               on_page=self.on_page, keep=keep)
                )  # fmt: skip
            except BaseException:
                self._prepared.pop(stream.name, None)
                raise
            if then is not None:
                then(stream.name)

    def _keeper(
        self, name: str, folder: Path, prepare: Callable[[str, Sequence[Any]], Any] | None
    ) -> Callable[[tuple[Any, ...]], None] | None:
        """What keeps the prepared pages of stream ``name``, when this run stores all of them."""
        if prepare is None or self.state.status(self.source, name).pages_stored:
            return None
        if folder.is_dir() and any(folder.glob("page-*.json")):
            return None
        kept: list[Any] = []
        self._prepared[name] = kept
        return lambda records: kept.append(prepare(name, records))

    def prepared(self, stream: str) -> list[Any] | None:
        """The prepared pages of ``stream`` (see ``read_streams``) once, or None: the staging
        then reads the stored pages."""
        return self._prepared.pop(stream, None)

    def store_pages(self, stream: str, pages: Iterable[Page], *, fresh: bool) -> None:
        """Store an export's pages of ``stream`` as one run: every page is written durably, then
        their bookmark (the last page's) and counts are committed in one transaction (an export
        is read again whole, so per-page commits would only cost time). Pages left by a run
        killed before its commit are removed first. ``fresh``: the pages replace what the stream
        held (a full snapshot); else they follow the stored pages."""
        folder = self.data.raw(self.source, stream)
        if fresh and folder.exists():
            shutil.rmtree(folder)
        run_id, status = self.state.open_run(self.source, stream)
        number = 0 if fresh else status.pages_stored
        _remove_uncommitted(folder, number)
        stored = records = 0
        mark: Bookmark | None = None
        try:
            for page in pages:
                document = {"stream": stream, "request": dict(page.request),
                            "result": list(page.records)}  # fmt: skip
                write_page_atomically(page_path(folder, number + 1), document)
                number, stored, records = number + 1, stored + 1, records + len(page.records)
                mark = page.next_bookmark or Bookmark("")
                self.on_page(stream, stored, records)
        except BaseException as error:
            if mark is not None:
                self.state.commit_page(run_id, bookmark=mark, records=records, pages=stored)
            self.state.close_run(run_id, status="failed", message=str(error)[:2000])
            raise
        if mark is not None:
            self.state.commit_page(run_id, bookmark=mark, records=records, pages=stored)
        self.state.close_run(run_id, status="finished")
        self._streams.append(
            ExtractionResult(self.source, stream, run_id, stored, records, mark, False)
        )

    def record_file(self, stream: str, *, bookmark: Bookmark, records: int) -> None:
        """Record a file read whole (no pages) as one finished run of ``stream``."""
        run_id, _ = self.state.open_run(self.source, stream)
        self.state.commit_page(run_id, bookmark=bookmark, records=records)
        self.state.close_run(run_id, status="finished")
        self._streams.append(
            ExtractionResult(self.source, stream, run_id, 1, records, bookmark, False)
        )

    def record_export(self, source: str, stream: str, *, bookmark: Bookmark, records: int) -> None:
        """Record the export as a whole (stream ``stream`` of ``source``, bookmark its digest);
        its quarantine count is the run's total, set when the run ends."""
        self._exports.append((source, stream, bookmark, records))

    # -- writing --------------------------------------------------------------------------------

    def stage(
        self,
        table: str,
        frame: pl.DataFrame | pl.LazyFrame,
        quarantine: pl.DataFrame,
        *,
        stream: str = "",
    ) -> None:
        """Write a staged table to ``02_intermediate/<source>/<table>.parquet``, its quarantine
        beside it; its set-aside records count for ``stream`` (default: the table). A lazy
        ``frame`` is streamed into the file, never held whole."""
        path = self.data.staged_table(self.source, table)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(frame, pl.LazyFrame):
            # Written beside, then put in place: a failed read leaves the old table whole.
            partial = path.with_name(f"{path.name}.partial")
            frame.sink_parquet(partial)
            partial.replace(path)
            rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        else:
            frame.write_parquet(path)
            rows = frame.height
        self._staged_paths[table] = path
        self.write_quarantine(quarantine, self.data.staged_quarantine(self.source, table))
        self._staged.append((table, rows))
        self._by_table.setdefault(table, 0)
        self.set_aside(quarantine.height, stream=stream or table, table=table)

    def set_aside(self, count: int, *, stream: str, table: str = "") -> None:
        """Count ``count`` records of ``stream`` (and staged ``table``) set aside."""
        self._by_stream[stream] = self._by_stream.get(stream, 0) + count
        if table:
            self._by_table[table] = self._by_table.get(table, 0) + count

    def staged_path(self, table: str) -> Path | None:
        """The file of ``table`` if this run staged it (see ``stage``), else None."""
        return self._staged_paths.get(table)

    def _origin(self, name: str) -> tuple[str, str]:
        """(format, path) of log ``name``'s new entry."""
        if self.plan.origin is None:
            raise InputError(f"{self.source} builds tables, not the log {name!r}.")
        existing = self.store.catalog.get(name)
        return self.plan.origin.recorded(existing, raw=f"{self.source} (raw pages)")

    def store_log(self, log: CanonicalLog, *, name: str) -> LogEntry:
        """Measure and store ``log`` as ``name`` (rebuilt in place), with its origin."""
        source_format, source_path = self._origin(name)
        entry = store_canonical_log(
            self.store, log, name=name, source_path=source_path, source_format=source_format,
            replace=True,
        )  # fmt: skip
        return self._stored(entry, log.quarantine.height)

    def _stored(self, entry: LogEntry, quarantined: int) -> LogEntry:
        quarantine_file = self.store.quarantine_path(entry.name) if quarantined else None
        if quarantine_file is not None:
            self._files.append(quarantine_file)
        self._logs.append(LogReport(entry, quarantined, quarantine_file))
        return entry

    def store_log_chunks(
        self, chunks: Iterable[tuple[pl.DataFrame, pl.DataFrame]], *, name: str
    ) -> pl.DataFrame:
        """Store the log of ``chunks`` as ``name``, as ``store_log(build_canonical_log(staged,
        quarantine=set_aside))`` would of the chunks' rows concatenated, with memory bounded by
        a chunk or a piece: each chunk (staged rows of whole cases, numbered on by
        ``event_order``, and the rows set aside already, as quarantine rows) is validated and
        spilled (``models.spill``), then the log is written sorted and measured piece by piece
        and stored from its file. Returns the log's quarantine."""
        source_format, source_path = self._origin(name)
        with self.data.spill_folder() as folder:
            spill = CaseSpill(folder / "spill", partitions=None)
            given: list[pl.DataFrame] = [empty_quarantine()]
            found: list[pl.DataFrame] = [empty_quarantine()]
            empty: pl.DataFrame | None = None
            for staged, set_aside in chunks:
                validated = validate_rows(staged)
                spill.add(validated.events)
                empty = validated.events.clear() if empty is None else empty
                given.append(set_aside)
                found.append(validated.quarantine)
            quarantine = pl.concat(found)
            if any(q.height for q in given):
                quarantine = pl.concat([*given, quarantine]).sort("row_number")
            if spill.events == 0:
                if quarantine.height or empty is None:
                    raise InputError(nothing_left_message(quarantine))
                self.store_log(CanonicalLog(sort_events(empty), quarantine), name=name)
                return quarantine
            written = write_spilled_log(spill, folder, partitions=None, piece_rows=LOG_PIECE_ROWS)
            entry = flat_log_entry(
                name,
                written.stats,
                source=(source_path, source_format),
                quarantined=quarantine.height,
            )
            saved = save_flat_log(
                self.store, entry, written.path, quarantine, replace=True, partitions=None
            )
        self._stored(saved, quarantine.height)
        return quarantine

    def write_table(self, name: str, frame: pl.DataFrame, path: Path) -> None:
        """Write a primary table (not an event log) to ``path`` (a ``DataFolder`` path)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        self._tables.append(TableReport(name, path, frame.height))

    def write_quarantine(self, quarantine: pl.DataFrame, path: Path) -> None:
        """Write the rows set aside to ``path``, or remove an old file when there are none."""
        if quarantine.height:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_spreadsheet_csv(quarantine, path)
            self._files.append(path)
        else:
            path.unlink(missing_ok=True)

    def note(self, text: str) -> None:
        """A note for the user in the report."""
        self._notes.append(text)

    # -- the end --------------------------------------------------------------------------------

    def _stream_report(self, read: ExtractionResult) -> StreamReport:
        set_aside = self._by_stream.get(read.stream, 0)
        return StreamReport(
            read.stream, read.pages, read.records, read.resumed, read.bookmark, set_aside
        )

    def finish(self) -> IngestionReport:
        """Record the quarantine counts per stream and the export runs; the report."""
        total = sum(self._by_stream.values())
        for stream, count in self._by_stream.items():
            self.state.set_quarantined(self.source, stream, count)
        for source, stream, bookmark, records in self._exports:
            run_id, _ = self.state.open_run(source, stream)
            self.state.commit_page(run_id, bookmark=bookmark, records=records)
            self.state.set_quarantined(source, stream, total)
            self.state.close_run(run_id, status="finished")
        return IngestionReport(
            source=self.source,
            mode=self.mode,
            streams=tuple(self._stream_report(r) for r in self._streams),
            staged=tuple(StagedReport(t, rows, self._by_table[t]) for t, rows in self._staged),
            logs=tuple(self._logs),
            tables=tuple(self._tables),
            quarantined=total,
            quarantine_files=tuple(self._files),
            notes=tuple(self._notes),
        )


def _remove_uncommitted(folder: Path, committed: int) -> None:
    """Remove the page files after the ``committed`` ones (written by a run killed before it
    committed them): the stream's records are its committed pages only."""
    if not folder.is_dir():
        return
    for path in folder.glob("page-*.json"):
        if int(path.stem.removeprefix("page-")) > committed:
            path.unlink()


# -- the runner ---------------------------------------------------------------------------------


def ingest(
    store: LogStore,
    spec: SourceSpec[C],
    *,
    config: Path | None = None,
    settings: C | None = None,
    exports: Sequence[Path] = (),
    rebuild: bool = False,
    name: str | None = None,
    replace: bool = False,
    on_page: PageCallback = no_progress,
    say: Say = say_nothing,
    retry: RetryPolicy | None = None,
) -> IngestionReport:
    """Fetch (``config`` or ``settings`` alone), read ``exports``, or ``rebuild``; then stage and
    build, holding the source's writer's lock. ``settings`` are settings read already (instead of
    the file ``config``); ``retry`` overrides the back-off (tests make it fast)."""
    paths = tuple(exports)
    given = config is not None or settings is not None
    info = spec.info
    mode = choose_mode(info, config=given, exports=paths, rebuild=rebuild)
    if settings is None:
        settings = info.read_config(config) if config is not None else info.default_config()
    plan = spec.plan(settings, mode, paths)
    log_name = _log_name(info, plan, name, replace=replace)
    with store.data.writer_lock("source", plan.source):
        names = (log_name,) if log_name else plan.fixed_logs
        _check_replaceable(store, plan, names, replace=replace)
        with store.data.extraction_catalog() as state:
            run = Run(store, state, plan, mode, paths, log_name, say=say, on_page=on_page,
                      retry=retry)  # fmt: skip
            if mode == "api":
                with contextlib.closing(spec.fetch(run, settings)) as streams:
                    run.read_streams(streams)
            elif mode == "export":
                spec.store_export(run, settings, paths)
            spec.build(run, settings)
            return run.finish()
