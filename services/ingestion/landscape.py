"""The KIT landscape end to end: every source through the ingestion runner, then the
cross-system views.

``build_landscape`` reads a landscape folder (``kitflow simulate`` layout) source by source through
each source's export path: the saved ServiceNow pages (the logs ``servicenow-incidents`` and
``servicenow-orders``), the Azure DevOps batches (``azure-devops``), the time-registration
exports (``hours``) and the robot pages (``runs``, ``transactions``).

``link_landscape`` (``services.ingestion.landscape_link``) then joins the orders to the Azure
DevOps work items created from them and stores the flattened case view ``kit-orders`` and the
object-centric ``kit-landscape`` (OCEL 2.0).

ServiceNow is the longest step, and the other sources read nothing of it: while its saved pages
lie between ``BESIDE_MIN_BYTES`` and ``BESIDE_LIMIT_BYTES`` (a scale-1 landscape holds 0,45 GB of
them), Azure DevOps, time registration and robots run in a second process beside it, so on two
cores the sources take about the time of ServiceNow alone. A smaller landscape runs them one
after another, since starting the second process (a new interpreter and its imports, about 3 s
of CPU) costs more than they take; so does a larger one, so that peak memory stays that of the
largest step (at scale 10 ServiceNow and the others together would not fit in 3 GB). Both ways
store the same data: each source writes its own folders, logs and catalog rows (the catalog's
database and the data folder's locks are made for several processes); only the order of the
extraction runs' ids in the catalog differs.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors import PageCallback, load_key
from models.store import LogStore
from services.ingestion.azure_devops import AzureDevOpsSource
from services.ingestion.landscape_link import LinkReport, link_landscape
from services.ingestion.robots import RobotsSource
from services.ingestion.runner import (
    IngestionReport,
    LogReport,
    SourceSpec,
    ingest,
    no_progress,
    say_nothing,
)
from services.ingestion.servicenow import SOURCE as SN_SOURCE
from services.ingestion.servicenow import ServiceNowSource
from services.ingestion.time_registration import TimeSource

SERVICENOW = SN_SOURCE
Say = Callable[[str], None]
BESIDE_MIN_BYTES, BESIDE_LIMIT_BYTES = 150_000_000, 1_000_000_000
"""Saved ServiceNow pages (bytes) from and below which the other sources run in a second process
beside ServiceNow (see the module docstring): about scale 0,3 to 2 of the simulated landscape."""
BESIDE = " (beside)"
"""Ends the name of a step's seconds in ``LandscapeReport.seconds`` when it ran beside
ServiceNow: its time lies within ServiceNow's and ``WAITED``."""
WAITED = "waiting for the second process"


@dataclass
class LandscapeReport:
    """What ``build_landscape`` stored, source by source (by the source's name), and the
    seconds each step took (a step run beside ServiceNow named with ``BESIDE``, and the wait for
    it once ServiceNow ended as ``WAITED``: ``wall_s`` adds the others)."""

    sources: dict[str, IngestionReport] = field(default_factory=dict)
    links: LinkReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        """Wall-clock seconds of the steps (those run beside ServiceNow not added)."""
        return sum(s for name, s in self.seconds.items() if not name.endswith(BESIDE))

    def logs(self) -> list[LogReport]:
        """Every event log stored, in the order built."""
        logs = [log for report in self.sources.values() for log in report.logs]
        if self.links is not None:
            logs.extend((self.links.kit_orders, LogReport(self.links.landscape, 0)))
        return logs


@dataclass(frozen=True)
class _Step:
    """One source of a landscape folder: its sub-folder, what the progress line says, what
    is missed without it, and whether its log replaces one of the same name."""

    folder: str
    label: str
    missed: str
    spec: SourceSpec[Any]
    replace: bool = False


_STEPS = (
    _Step("servicenow", "ServiceNow: saved Table API pages", "", ServiceNowSource()),
    _Step("azure-devops", "Azure DevOps: saved revision, link and work-item batches",
          "orders are not linked", AzureDevOpsSource(), replace=True),
    _Step("time-registration", "Time registration: CSV exports", "hours not imported",
          TimeSource()),
    _Step("robots", "Robot runs: saved UiPath and Power Automate pages",
          "robot runs not imported", RobotsSource()),
)  # fmt: skip


def build_landscape(
    store: LogStore,
    folder: Path,
    *,
    say: Say = say_nothing,
    on_page: PageCallback = no_progress,
    step: Say = say_nothing,
    beside: bool | None = None,
    sources_read: Callable[[], None] = lambda: None,
) -> LandscapeReport:
    """Extract every source of a landscape folder (``kitflow simulate`` layout) into ``store``
    through the sources' export paths, then build the cross-system views.

    ``step`` receives the name of each step (for a progress line); ``say`` the messages meant
    to stay on screen (a new pseudonymisation key, say). The ServiceNow pages are needed; a
    missing folder of another source is noted and skipped. ``beside``: whether the other
    sources run in a second process beside ServiceNow (None: when its saved pages lie between
    ``BESIDE_MIN_BYTES`` and ``BESIDE_LIMIT_BYTES``; see the module docstring).
    ``sources_read`` is called once no step reads ``folder`` any more (before the linking,
    which reads the data folder only)."""
    report = LandscapeReport()
    steps = []
    for source in _STEPS:
        if source.missed and not (folder / source.folder).is_dir():
            report.notes.append(f"no {source.folder} folder in {folder}: {source.missed}.")
        else:
            steps.append(source)
    first, others = steps[0], steps[1:]
    if beside is None:
        saved = folder / first.folder
        beside = saved.is_dir() and BESIDE_MIN_BYTES <= _bytes_under(saved) < BESIDE_LIMIT_BYTES
    if beside and others:
        _extract_beside(store, folder, first, others, report, say=say, on_page=on_page, step=step)
    else:
        for source in steps:
            step(source.label)
            report.sources[source.spec.info.name], report.seconds[source.folder] = _extract(
                store, folder, source, say=say, on_page=on_page
            )
    sources_read()
    if AzureDevOpsSource().info.name in report.sources:
        began = time.perf_counter()
        step("Linking orders to DevOps work items; OCEL of the landscape")
        report.links = link_landscape(store)
        report.seconds["linking"] = _lap(began)
    return report


def _extract(
    store: LogStore, folder: Path, source: _Step, *, say: Say, on_page: PageCallback
) -> tuple[IngestionReport, float]:
    began = time.perf_counter()
    report = ingest(store, source.spec, exports=[folder / source.folder], replace=source.replace,
                    on_page=on_page, say=say)  # fmt: skip
    return report, _lap(began)


def _extract_beside(
    store: LogStore,
    folder: Path,
    first: _Step,
    others: Sequence[_Step],
    report: LandscapeReport,
    *,
    say: Say,
    on_page: PageCallback,
    step: Say,
) -> None:
    """``first`` here, ``others`` one after another in a second process at the same time; the
    reports in the order of the steps. An error of either side is raised once both ended."""
    # The key is made here, once: two processes must not each create one.
    load_key(data_dir=store.data.root, create=True, announce=say)
    labels = "; ".join(source.label for source in others)
    step(f"{first.label} (beside it, in a second process: {labels})")
    # A fresh interpreter, not a fork: polars' threads do not survive a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        names = tuple(source.folder for source in others)
        done = pool.submit(_extract_others, store.data.root, store.data.database_url, folder, names)
        mine = _extract(store, folder, first, say=say, on_page=on_page)
        began = time.perf_counter()
        theirs, said = done.result()
        waited = _lap(began)
    for message in said:
        say(message)
    report.sources[first.spec.info.name], report.seconds[first.folder] = mine
    for source in others:
        name = f"{source.folder}{BESIDE}"
        report.sources[source.spec.info.name], report.seconds[name] = theirs[source.folder]
    report.seconds[WAITED] = waited


def _extract_others(
    data_root: Path, database_url: str, folder: Path, names: tuple[str, ...]
) -> tuple[dict[str, tuple[IngestionReport, float]], list[str]]:
    """In the second process: the steps ``names`` into the same data folder and database, one
    after another; their reports and seconds, and what they said."""
    store = LogStore(data_root, database_url)
    said: list[str] = []
    by_folder = {source.folder: source for source in _STEPS}
    return {
        name: _extract(store, folder, by_folder[name], say=said.append, on_page=no_progress)
        for name in names
    }, said


def _bytes_under(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _lap(began: float) -> float:
    return time.perf_counter() - began
