"""The KIT landscape end to end: every source through the ingestion runner, then the
cross-system views.

``build_landscape`` reads a landscape folder (``kitflow simulate`` layout) source by source through
each source's export path: the saved ServiceNow pages (the logs ``servicenow-incidents`` and
``servicenow-orders``), the Azure DevOps batches (``azure-devops``), the time-registration
exports (``hours``) and the robot pages (``runs``, ``transactions``).

``link_landscape`` (``services.ingestion.landscape_link``) then joins the orders to the Azure
DevOps work items created from them and stores the flattened case view ``kit-orders`` and the
object-centric ``kit-landscape`` (OCEL 2.0).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors import PageCallback
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


@dataclass
class LandscapeReport:
    """What ``build_landscape`` stored, source by source (by the source's name), and the
    seconds each step took."""

    sources: dict[str, IngestionReport] = field(default_factory=dict)
    links: LinkReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

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
) -> LandscapeReport:
    """Extract every source of a landscape folder (``kitflow simulate`` layout) into ``store``
    through the sources' export paths, then build the cross-system views.

    ``step`` receives the name of each step (for a progress line); ``say`` the messages meant
    to stay on screen (a new pseudonymisation key, say). The ServiceNow pages are needed; a
    missing folder of another source is noted and skipped."""
    report = LandscapeReport()
    for source in _STEPS:
        path = folder / source.folder
        if source.missed and not path.is_dir():
            report.notes.append(f"no {source.folder} folder in {folder}: {source.missed}.")
            continue
        began = time.perf_counter()
        step(source.label)
        report.sources[source.spec.info.name] = ingest(
            store, source.spec, exports=[path], replace=source.replace, on_page=on_page, say=say
        )
        report.seconds[source.folder] = _lap(began)
    if AzureDevOpsSource().info.name in report.sources:
        began = time.perf_counter()
        step("Linking orders to DevOps work items; OCEL of the landscape")
        report.links = link_landscape(store)
        report.seconds["linking"] = _lap(began)
    return report


def _lap(began: float) -> float:
    return time.perf_counter() - began
