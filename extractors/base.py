"""What every source extractor shares: streams, bookmarks, durable raw pages, retries, results.

A *stream* is one table of a source read page by page in a fixed order. Its *bookmark* is the
position of the last record durably stored (for ServiceNow the keyset ``(sys_updated_on,
sys_id)``; for a source with continuation tokens, the token). ``run_stream`` drives one stream:

1. fetch a page after the bookmark (the stream retries what is retriable);
2. write it into the stream's raw folder (``01_raw/<source>/<stream>/``, which the caller gets from
   ``models.datafolder.DataFolder.raw``) atomically (temporary file, fsync, rename), as compact
   JSON with sorted keys (``extractors.json_input.encode_json``);
3. only then commit the new bookmark and the counts, in one database transaction.

A process killed between 2 and 3 re-fetches the same page on the next start and overwrites the
same file (its number comes from the committed page count), so the stored data ends the same as
after an uninterrupted run. A killed run is *resumed* (strictly after the bookmark); a new run
re-reads from the bookmark inclusively, because the source may have written more records in the
bookmark's second after we read it. Staging upserts by primary key, so re-reads never duplicate.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from extractors.errors import FatalError, RetriableError
from extractors.json_input import encode_json, parse_own_json
from models.extraction import StreamStatus

Record = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Bookmark:
    """Where a stream stands: the replication value and tie-breaking key of the last stored
    record (``value`` may also be an opaque continuation token, with ``key`` empty)."""

    value: str
    key: str = ""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts.

    ``bookmark`` None: from the beginning. ``resume`` True: strictly after the bookmark (the
    next page of the same run); False: from the bookmark's value inclusive (a new run).
    """

    bookmark: Bookmark | None
    resume: bool = False


@dataclass(frozen=True)
class Page:
    """One page as the source sent it (people already pseudonymised), with the request that
    fetched it and the bookmark of its last record (None for an empty page)."""

    records: tuple[Record, ...]
    request: Mapping[str, str]
    next_bookmark: Bookmark | None


class Stream(Protocol):
    """A declared stream that can fetch the page after a cursor."""

    @property
    def name(self) -> str:
        """The stream's name: its folder under ``01_raw/<source>/``."""
        ...

    def fetch_page(self, cursor: Cursor) -> Page:
        """The page after ``cursor``; an empty page means the stream is read to its end."""
        ...


RunStatus = Literal["running", "finished", "failed"]


class StateStore(Protocol):
    """Where bookmarks and runs are kept (``models.extraction.ExtractionCatalog``)."""

    def open_run(self, source: str, stream: str) -> tuple[int, StreamStatus]:
        """Start a run, or resume the unfinished one; returns its id and the stream state."""
        ...

    def commit_page(
        self, run_id: int, *, bookmark: Bookmark, records: int, pages: int = 1
    ) -> StreamStatus:
        """Advance the bookmark and the counts by ``pages`` stored pages, in one transaction."""
        ...

    def close_run(self, run_id: int, *, status: RunStatus, message: str = "") -> None:
        """Mark a run finished or failed."""
        ...


@dataclass(frozen=True)
class ExtractionResult:
    """What one run of one stream did: pages and records stored in this run, the bookmark."""

    source: str
    stream: str
    run_id: int
    pages: int
    records: int
    bookmark: Bookmark | None
    resumed: bool


PageCallback = Callable[[str, int, int], None]


def _no_progress(_stream: str, _pages: int, _records: int) -> None:
    return None


def bookmark_of(status: StreamStatus) -> Bookmark | None:
    """The committed bookmark of a stream, or None before its first stored page."""
    if status.bookmark_value is None:
        return None
    return Bookmark(status.bookmark_value, status.bookmark_key or "")


def page_path(folder: Path, number: int) -> Path:
    """The file of page ``number`` (1-based, in commit order)."""
    return folder / f"page-{number:07d}.json"


def iter_raw_pages(folder: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The stored pages of a stream in commit order: (page number, page document)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("page-*.json")):
        yield int(path.stem.removeprefix("page-")), parse_own_json(path.read_bytes())


def write_page_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` so that ``path`` holds either nothing, the old or the whole new page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = encode_json(document)
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename itself must reach the disk before the bookmark says the page is stored.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def run_stream(
    stream: Stream,
    *,
    source: str,
    folder: Path,
    state: StateStore,
    on_page: PageCallback = _no_progress,
    keep: Callable[[tuple[Record, ...]], None] | None = None,
) -> ExtractionResult:
    """Read ``stream`` from its bookmark to its end (an empty page), storing page by page in
    ``folder`` (the stream's raw folder, ``DataFolder.raw(source, stream.name)``). ``keep``
    receives each page's records once the page is stored (to stage them without reading the
    page back)."""
    run_id, current = state.open_run(source, stream.name)
    resumed = current.bookmark_run_id == run_id
    cursor = Cursor(bookmark_of(current), resume=resumed)
    pages = records = 0
    try:
        while True:
            page = stream.fetch_page(cursor)
            if not page.records or page.next_bookmark is None:
                break
            _check_advances(stream.name, cursor, page.next_bookmark)
            number = current.pages_stored + 1
            document = {"stream": stream.name, "request": dict(page.request)}
            write_page_atomically(page_path(folder, number), {**document, "result": page.records})
            current = state.commit_page(
                run_id, bookmark=page.next_bookmark, records=len(page.records)
            )
            pages, records = pages + 1, records + len(page.records)
            if keep is not None:
                keep(page.records)
            on_page(stream.name, pages, records)
            cursor = Cursor(page.next_bookmark, resume=True)
    except BaseException as error:
        state.close_run(run_id, status="failed", message=str(error)[:2000])
        raise
    state.close_run(run_id, status="finished")
    return ExtractionResult(source, stream.name, run_id, pages, records, cursor.bookmark, resumed)


def _check_advances(stream: str, cursor: Cursor, new: Bookmark) -> None:
    # A source that ignores the keyset (a misspelt field is silently dropped from a ServiceNow
    # query) would hand back the same page for ever.
    if cursor.resume and cursor.bookmark is not None and new == cursor.bookmark:
        raise FatalError(
            f"stream {stream!r}: the page after bookmark {cursor.bookmark} ended on the same "
            "record, so the source ignored the paging condition. Check that the stream's "
            "replication key and primary key are fields of the table (sys_dictionary)."
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: exponential back-off with full jitter, or exactly the ``Retry-After``
    the source sent (up to ``max_retry_after_s``; a longer wait is reported, not slept)."""

    max_tries: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    max_retry_after_s: float = 600.0

    def wait_s(self, attempt: int, error: RetriableError, rng: random.Random) -> float:
        """How long to wait after failed try number ``attempt`` (1-based)."""
        if error.retry_after_s is not None:
            return max(0.0, error.retry_after_s)
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))


def call_with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``call``, retrying ``RetriableError`` under ``policy``; other errors pass through."""
    chance = rng or random.Random()
    for attempt in range(1, policy.max_tries + 1):
        try:
            return call()
        except RetriableError as error:
            if attempt == policy.max_tries:
                raise RetriableError(
                    f"{what}: gave up after {attempt} tries; the last failure: {error}. "
                    "Nothing stored was lost: run the extraction again later and it resumes "
                    "from the last stored page.",
                    retry_after_s=error.retry_after_s,
                ) from error
            wait = policy.wait_s(attempt, error, chance)
            if wait > policy.max_retry_after_s:
                raise RetriableError(
                    f"{what}: the source asked us to wait {wait:.0f} s (Retry-After), more "
                    f"than the {policy.max_retry_after_s:.0f} s allowed; run again later.",
                    retry_after_s=wait,
                ) from error
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
