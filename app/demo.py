"""Demo data for ``make run``: the real public logs in ../shared/data, imported through the
ordinary import path (until the simulated KIT landscape becomes the default)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.pipeline import ImportReport, import_log
from extractors.files import ColumnMapping, ReadOptions
from models.store import LogStore


@dataclass(frozen=True)
class DemoLog:
    """One real log of the demo: where it lies under the shared data folder and how to read it."""

    name: str
    relative_path: str
    options: ReadOptions


DEMO_LOGS = (
    DemoLog("running-example", "pm4py-examples/running-example.xes", ReadOptions()),
    DemoLog("receipt", "pm4py-examples/receipt.xes.gz", ReadOptions()),
    DemoLog(
        "bpic2013-incidents",
        "bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz",
        ReadOptions(),
    ),
    DemoLog(
        "servicenow-incidents",
        "servicenow-uci-incidents/incident_event_log.zip",
        ReadOptions(
            columns=ColumnMapping(
                case="number",
                activity="incident_state",
                timestamp="sys_updated_at",
                group="assignment_group",
            ),
            dayfirst=True,
            null_values=("?",),
        ),
    ),
    DemoLog(
        "ocel-example",
        "pm4py-examples/ocel20_example.jsonocel",
        ReadOptions(file_format="ocel"),
    ),
)


def load_demo_logs(
    store: LogStore,
    source: Path,
    *,
    replace: bool = False,
    announce: Callable[[str, ImportReport | None], None] = lambda _name, _report: None,
) -> list[ImportReport]:
    """Import each demo log under ``source`` not stored yet (every one with ``replace``)."""
    reports = []
    for demo in DEMO_LOGS:
        path = source / demo.relative_path
        if store.catalog.get(demo.name) is not None and not replace:
            announce(demo.name, None)
            continue
        report = import_log(store, path, name=demo.name, options=demo.options, replace=replace)
        announce(demo.name, report)
        reports.append(report)
    return reports
