"""Server time per page of the dashboard, measured (not a test; results go in
docs/performance.md).

    KITFLOW_DATA_DIR=/tmp/demo01 KITFLOW_PSEUDONYM_KEY_FILE=/tmp/demo-key \\
        .venv/bin/python scripts/measure_pages.py [--repeat 5] [--json]

Each page is opened the way the browser opens it, through Flask's test client (no network, no
browser): the page's HTML, the app layout, and the Dash Pages router callback that builds the
page's content for its address; then each of the page's own callbacks (an Excel download, the
report, a new as-of date). *First* is a request with every cache empty (the first director to
open the page after a restart or new data); *again* is the median of ``--repeat`` requests
after it (the caches warm). The app's own first request, when Dash checks every page's default
layout once, is timed on its own (*start*).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The router request as the load script sends it (scripts/ is on sys.path when run).
from load_dashboard import router_body

from app.dashboard import create_app, ids
from app.dashboard.cockpit_data import clear_cockpit_cache
from app.dashboard.usage import clear_usage_cache
from models.store import LogStore
from services.cockpit import clear_overview_cache

GOAL_MS = 500.0
AS_OF = "2024-12-31"
AUTOMATION = "automation-solutions"


@dataclass(frozen=True)
class Timing:
    """One request (or page opening): its first time and its median time after."""

    page: str
    what: str
    first_ms: float
    again_ms: float


Request = Callable[[Any], Any]


def open_page(path: str, search: str) -> Request:
    """The requests of opening ``path?search``: HTML, layout, and the router's content."""
    router = router_body(path, search)

    def request(client: Any) -> Any:
        _ok(client.get(f"{path}{search}"))
        _ok(client.get("/_dash-layout"))
        return _ok(client.post("/_dash-update-component", json=router))

    return request


def press(
    outputs: list[dict[str, Any]], inputs: list[dict[str, Any]], state: list[dict[str, Any]]
) -> Request:
    """A callback request as the browser sends it (one output, or several)."""
    names = [f"{_key(o['id'])}.{o['property']}" for o in outputs]
    body = {
        "output": names[0] if len(names) == 1 else ".." + "...".join(names) + "..",
        "outputs": outputs[0] if len(outputs) == 1 else outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{_key(inputs[0]['id'])}.{inputs[0]['property']}"],
    }

    def request(client: Any) -> Any:
        return _ok(client.post("/_dash-update-component", json=body))

    return request


def excel(button_type: str, download_type: str, state_id: str, key: str, state: Any) -> Request:
    """An Excel button of a page pressed (the pattern-matching download callback)."""
    button = {"key": key, "type": button_type}
    body = {
        "output": _key({"key": ["MATCH"], "type": download_type}) + ".data",
        "outputs": {"id": {"key": key, "type": download_type}, "property": "data"},
        "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
        "state": [
            {"id": button, "property": "id", "value": button},
            {"id": state_id, "property": "data", "value": state},
        ],
        "changedPropIds": [_key(button) + ".n_clicks"],
    }

    def request(client: Any) -> Any:
        return _ok(client.post("/_dash-update-component", json=body))

    return request


def _key(component_id: str | dict[str, Any]) -> str:
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True)


def _ok(response: Any) -> Any:
    if response.status_code not in (200, 204):
        raise SystemExit(f"{response.status_code}: {response.data[:500]!r}")
    return response


def scenarios() -> list[tuple[str, str, Request]]:
    """(page, what, request) for every page and callback measured."""
    followup_state = {"lang": "da", "case": None, "as_of": AS_OF, "responsible": None}
    realisation_state = {"lang": "da", "as_of": AS_OF, "case": AUTOMATION}
    return [
        ("Overblik", "open (default date)", open_page("/", "")),
        ("Overblik", f"open ?as_of={AS_OF}", open_page("/", f"?as_of={AS_OF}")),
        ("Overblik", "Excel: key figures", excel(
            ids.OVERVIEW_XLSX, ids.OVERVIEW_XLSX_DOWNLOAD, ids.OVERVIEW_STATE,
            f"{AUTOMATION}-noegletal", {"lang": "da", "as_of": AS_OF})),
        ("Gevinstrealisering", "open (default date)", open_page("/realisation", "")),
        ("Gevinstrealisering", f"open ?case=...&as_of={AS_OF}",
         open_page("/realisation", f"?case={AUTOMATION}&as_of={AS_OF}")),
        ("Gevinstrealisering", "Excel: Tabel 1", excel(
            ids.REALISATION_XLSX, ids.REALISATION_XLSX_DOWNLOAD, ids.REALISATION_STATE,
            "tabel-1", realisation_state)),
        ("Opfølgning", "open (default date)", open_page("/followup", "")),
        ("Opfølgning", f"open ?as_of={AS_OF}", open_page("/followup", f"?as_of={AS_OF}")),
        ("Opfølgning", "as-of date picked", press(
            [{"id": ids.FOLLOWUP_RESULT, "property": "children"},
             {"id": ids.FOLLOWUP_STATE, "property": "data"}],
            [{"id": ids.FOLLOWUP_AS_OF, "property": "date", "value": "2025-06-30"},
             {"id": ids.FOLLOWUP_RESPONSIBLE, "property": "value", "value": None}],
            [{"id": ids.FOLLOWUP_STATE, "property": "data", "value": followup_state}])),
        ("Opfølgning", "Excel: targets", excel(
            ids.FOLLOWUP_XLSX, ids.FOLLOWUP_XLSX_DOWNLOAD, ids.FOLLOWUP_STATE, AUTOMATION,
            followup_state)),
        ("Opfølgning", "report PDF", press(
            [{"id": ids.FOLLOWUP_REPORT_DOWNLOAD, "property": "data"}],
            [{"id": ids.FOLLOWUP_REPORT_BUTTON, "property": "n_clicks", "value": 1}],
            [{"id": ids.FOLLOWUP_REPORT_FORMAT, "property": "value", "value": "pdf"},
             {"id": ids.FOLLOWUP_STATE, "property": "data", "value": followup_state}])),
    ]  # fmt: skip


def measure(repeat: int) -> tuple[float, list[Timing]]:
    """The app's start, then each scenario first (caches empty) and again (median)."""
    app = create_app(LogStore())
    client = app.server.test_client()
    with client.session_transaction() as session:  # signed in as the sign-in page would
        now = time.time()
        session.update(user="measure", role="administrator", started=now, seen=now)
    started = time.perf_counter()
    _ok(client.get("/_dash-layout"))
    start_ms = (time.perf_counter() - started) * 1000
    timings = []
    for page, what, request in scenarios():
        clear_cockpit_cache()
        clear_overview_cache()
        clear_usage_cache()
        first = _time(client, request)
        again = statistics.median(_time(client, request) for _ in range(repeat))
        timings.append(Timing(page, what, first, again))
    return start_ms, timings


def _time(client: Any, request: Request) -> float:
    started = time.perf_counter()
    request(client)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    start_ms, timings = measure(args.repeat)
    if args.json:
        print(json.dumps({"start_ms": start_ms, "timings": [asdict(t) for t in timings],
                          "data_dir": os.environ.get("KITFLOW_DATA_DIR"),
                          "load_average_1min": os.getloadavg()[0],
                          "python": platform.python_version()}, indent=2))  # fmt: skip
        return
    print(f"start (the app's first request, every page's default layout): {start_ms:,.0f} ms")
    print("| page | request | first | again | goal ≤ 500 ms |")
    print("|---|---|---|---|---|")
    for t in timings:
        verdict = "yes" if t.again_ms <= GOAL_MS else "no"
        print(f"| {t.page} | {t.what} | {t.first_ms:,.0f} ms | {t.again_ms:,.0f} ms | {verdict} |")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
