"""Server time of the Governance and Fastlåste sager pages' callbacks, measured (not a test;
results go in docs/performance.md).

    KITFLOW_DATA_DIR=/tmp/demo01 KITFLOW_PSEUDONYM_KEY_FILE=/tmp/demo-key \\
        .venv/bin/python scripts/measure_workbench.py [--repeat 5]

Each callback is sent as the browser sends it, through Flask's test client signed in as an
analyst (no network, no browser). *First* is the first request after the app starts (caches
empty; the conformance section's first request also loads pm4py); *again* is the median of
``--repeat`` requests after it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.dashboard import create_app, ids
from models.store import LogStore

Values = list[tuple[str, str, Any]]


def _body(outputs: list[tuple[str, str]], inputs: Values, states: Values) -> dict[str, Any]:
    """A callback request as the browser sends it."""
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in states],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }


GOVERNANCE = (
    [
        (ids.GOVERNANCE_TREND, "figure"),
        (ids.GOVERNANCE_AREAS, "children"),
        (ids.GOVERNANCE_ITEMS, "children"),
        (ids.GOVERNANCE_ITEMS_NOTE, "children"),
        (ids.GOVERNANCE_SUMMARY, "children"),
        (ids.GOVERNANCE_MESSAGE, "children"),
        (ids.GOVERNANCE_AREA, "options"),
        (ids.GOVERNANCE_RULE, "options"),
    ],
    [
        (ids.GOVERNANCE_LOG, "value", "azure-devops"),
        (ids.GOVERNANCE_THRESHOLD, "value", "10"),
        (ids.GOVERNANCE_AREA, "value", "Drift og Infrastruktur"),
        (ids.GOVERNANCE_RULE, "value", None),
    ],
    [(ids.GOVERNANCE_LANGUAGE, "data", "da")],
)
CONFORMANCE = (
    [
        (ids.GOVERNANCE_CONF_MODEL, "children"),
        (ids.GOVERNANCE_CONF_SUMMARY, "children"),
        (ids.GOVERNANCE_CONF_MESSAGE, "children"),
        (ids.GOVERNANCE_CONF_RESULT, "children"),
    ],
    [(ids.GOVERNANCE_CONF_RUN, "n_clicks", 1), (ids.GOVERNANCE_CONF_UPLOAD, "contents", None)],
    [
        (ids.GOVERNANCE_CONF_LOG, "value", "servicenow-orders"),
        (ids.GOVERNANCE_CONF_UPLOAD, "filename", None),
        (ids.GOVERNANCE_LANGUAGE, "data", "da"),
    ],
)
STUCK = (
    [
        (ids.STUCK_AREAS, "children"),
        (ids.STUCK_TABLE, "children"),
        (ids.STUCK_SUMMARY, "children"),
        (ids.STUCK_MESSAGE, "children"),
    ],
    [
        (ids.STUCK_LOG, "value", "servicenow-orders"),
        (ids.STUCK_AS_OF, "value", "30.06.2025"),
        (ids.STUCK_DAYS, "value", "5"),
    ],
    [(ids.STUCK_LANGUAGE, "data", "da")],
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(LogStore())
    client = app.server.test_client()
    with client.session_transaction() as session:
        now = time.time()
        session.update({"user": "measure", "role": "analyst", "started": now, "seen": now})
    client.get("/governance")
    for name, (outputs, inputs, states) in (
        ("Governance: rules per area (filter by area)", GOVERNANCE),
        ("Governance: conformance (discovered model)", CONFORMANCE),
        ("Fastlåste sager: list as of 30.06.2025", STUCK),
    ):
        body = _body(outputs, inputs, states)
        times = []
        for _ in range(args.repeat + 1):
            start = time.perf_counter()
            answer = client.post("/_dash-update-component", json=body)
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, (name, answer.status_code, answer.data[:300])
        print(f"{name}: first {times[0]:.0f} ms, again {statistics.median(times[1:]):.0f} ms")


if __name__ == "__main__":
    main()
