"""Demo data for ``make run``: the simulated KIT landscape, fetched through the extractors, and
the real public logs in ../shared/data through the ordinary import.

``load_demo_landscape`` simulates KIT into a temporary folder outside the data folder (the
simulated exports hold employee names in clear, as the real ones would), extracts every source
from those export files into the data folder (people pseudonymised on the way in), keeps the
ground-truth manifest as ``<data>/landscape/manifest.json``, and deletes the temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extractors.files import ColumnMapping, ReadOptions
from models.datafolder import DataFolder
from models.errors import InputError
from models.store import LogStore
from services.imports import ImportReport, import_log
from services.ingestion.landscape import SERVICENOW, LandscapeReport, build_landscape
from simulator import Scenario, SimulationSummary, simulate

__all__ = [
    "DemoLog",
    "LandscapeDemoReport",
    "Scenario",
    "SimulationSummary",
    "load_demo_landscape",
    "load_demo_logs",
    "write_simulated_landscape",
]


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
        # Not "servicenow-incidents": that name is the simulated landscape's incident log.
        "uci-servicenow-incidents",
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


@dataclass(frozen=True)
class LandscapeDemoReport:
    """What ``load_demo_landscape`` did: seconds per step, the landscape it stored, where the
    manifest is kept."""

    seconds: dict[str, float]
    landscape: LandscapeReport
    manifest: Path

    @property
    def total_s(self) -> float:
        """Wall-clock seconds of the whole load (steps run beside another are within it)."""
        return self.seconds["simulate"] + self.landscape.wall_s


def _say_nothing(_: str) -> None:
    return None


def load_demo_landscape(
    store: LogStore,
    *,
    seed: int = 42,
    scale: float = 1.0,
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    scenario: Scenario = "clean",
    say: Callable[[str], None] = _say_nothing,
    step: Callable[[str], None] = _say_nothing,
) -> LandscapeDemoReport:
    """Simulate KIT outside the data folder, extract every source into ``store``, keep the
    manifest, delete the simulated exports. ``step`` names each step, ``say`` gives messages."""
    _check_same_landscape(
        store.data, seed=seed, scale=scale, start=start, end=end, scenario=scenario
    )
    seconds: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="kitflow-landscape-"))
    # The simulated exports are deleted while the landscape is linked (which reads the data
    # folder only): deleting half a gigabyte of files costs seconds of system time at scale 1.
    deleting = threading.Thread(
        target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}
    )
    try:
        _check_outside(folder, store.data)
        began = time.perf_counter()
        step(f"Simulating KIT (seed {seed}, scale {scale}, {start} to {end}, {scenario})")
        simulate(folder, seed=seed, scale=scale, start=start, end=end, scenario=scenario)
        seconds["simulate"] = time.perf_counter() - began
        # The manifest holds the planted effects, counts and service areas, no person.
        document = json.loads((folder / "manifest.json").read_text("utf-8"))
        landscape = build_landscape(store, folder, say=say, step=step, sources_read=deleting.start)
        seconds.update(landscape.seconds)
        manifest = store.data.manifest()
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    finally:
        if deleting.ident is not None:  # started
            deleting.join()
        shutil.rmtree(folder, ignore_errors=True)  # not started (an error), or what it left
    return LandscapeDemoReport(seconds, landscape, manifest)


def _check_same_landscape(
    data: DataFolder, *, seed: int, scale: float, start: str, end: str, scenario: Scenario
) -> None:
    """Refuse to extract a different landscape on top of one extracted already.

    The extractors keep each stream's bookmark, so the records of a second landscape that lie
    before the first one's bookmarks would be skipped and the two would mix.
    """
    if not data.raw(SERVICENOW).is_dir():
        return
    stored = data.manifest()
    document = json.loads(stored.read_text("utf-8")) if stored.exists() else None
    generator = None if document is None else document["generator"]
    # Manifests written before the scenarios existed are clean ones.
    held_scenario = "clean" if document is None else document.get("scenario", {}).get("name")
    wanted = {
        "seed": seed,
        "scale": scale,
        "start": f"{start}T00:00:00Z",
        "end_exclusive": f"{dt.date.fromisoformat(end) + dt.timedelta(days=1)}T00:00:00Z",
    }
    same = generator is not None and all(generator.get(k) == v for k, v in wanted.items())
    if same and held_scenario == scenario:
        return
    held = (
        "a landscape whose load did not finish"
        if generator is None
        else f"the landscape of seed {generator['seed']}, scale {generator['scale']}"
        + ("" if held_scenario == "clean" else f" ({held_scenario} scenario)")
    )
    raise InputError(
        f"the data folder {data.root} holds {held}; extracting another one on top would mix "
        "the two (the extractors continue from their bookmarks). Use an empty data folder "
        "(KITFLOW_DATA_DIR=/path/to/new/folder kitflow demo ...) or delete this one first."
    )


def _check_outside(folder: Path, data: DataFolder) -> None:
    # The simulated exports carry names in clear: they must never land under the data folder.
    if data.contains(folder):
        raise InputError(
            f"the temporary folder {folder} lies inside the data folder {data.root}: set TMPDIR "
            "to a folder outside it."
        )


def write_simulated_landscape(
    out: Path,
    *,
    seed: int,
    scale: float,
    start: str,
    end: str,
    scenario: Scenario = "clean",
    progress: Callable[[str, float], None] | None = None,
) -> SimulationSummary:
    """``kitflow simulate``: the simulated KIT's source-system files (and manifest) in ``out``,
    which must lie outside the data folder: the files hold employee names in clear."""
    return simulate(
        out, seed=seed, scale=scale, start=start, end=end, progress=progress, scenario=scenario
    )
