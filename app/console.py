"""The terminal of every ``kitflow`` command: one stdout and one stderr console, JSON output and
progress spinners, shared so that all commands behave alike."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from models.errors import KitflowError

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# Soft wrap: paths and messages are never broken mid-word by rich; the terminal wraps them.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def print_json(value: object) -> None:
    """Exactly one JSON value on stdout (dates and times in ISO 8601)."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@contextmanager
def progress_task(title: str) -> Iterator[tuple[Progress, TaskID]]:
    """A spinner with elapsed time on stderr, so that --json output stays clean."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        yield progress, progress.add_task(title)


@contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner whose callback names the current step: ``step("reading")``."""
    with progress_task(title) as (bar, task):
        yield lambda label: bar.update(task, description=f"{title}: {label}")


def read_day_start(day: str | None, flag: str, *, after: bool = False) -> dt.datetime | None:
    """The UTC moment of Copenhagen midnight at the start of ``day`` (YYYY-MM-DD), or of the day
    after it when ``after`` (an inclusive --until); None when no day was given."""
    if day is None:
        return None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise KitflowError(f"{flag} {day!r} is not a date: give it as YYYY-MM-DD.") from None
    date += dt.timedelta(days=1 if after else 0)
    return dt.datetime.combine(date, dt.time(), COPENHAGEN).astimezone(dt.UTC)
