"""Server time of the analysts' workbench: the typical interactions of every analyst page
(Procesoverblik, Procesanalyse, Automatiseringskandidater, Ressourcestyring, Governance,
Fastlåste sager) on the demo data, measured (not a test; results go in docs/performance.md).

    KITFLOW_DATA_DIR=/tmp/demo01 KITFLOW_PSEUDONYM_KEY_FILE=/tmp/demo-key \\
        .venv/bin/python scripts/measure_workbench.py [--repeat 5]

Each interaction is the callback request the browser sends, through Flask's test client signed
in as an analyst (no network, no browser); every answer must be HTTP 200 with the expected
output and no error note, or the script stops. *First* is the first request (caches empty; the
conformance section's first request may also load pm4py); *again* is the median of
``--repeat`` requests after it. The table ends with a summary against the 300 ms budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.dashboard import create_app, ids
from app.dashboard.pages import candidates
from models.store import LogStore

Id = str | dict[str, Any]  # a pattern-matching id is a dict
Values = list[tuple[Id, str, Any]]


def _name(control: Id) -> str:
    """An id as Dash names it in a request (a dict id as compact JSON, keys sorted)."""
    if isinstance(control, str):
        return control
    return json.dumps(control, sort_keys=True, separators=(",", ":"))


def _body(
    outputs: Sequence[tuple[Id, str]],
    inputs: Sequence[tuple[Id, str, Any]],
    states: Sequence[tuple[Id, str, Any]],
    changed: int = 0,
) -> dict[str, Any]:
    """A callback request as the browser sends it: the inputs in the callback's order, the
    one the user moved (``inputs[changed]``) named in ``changedPropIds``."""
    named = [{"id": i, "property": p} for i, p in outputs]
    single = len(outputs) == 1  # a one-output callback is named and sent without the list
    return {
        "output": f"{_name(outputs[0][0])}.{outputs[0][1]}"
        if single
        else ".." + "...".join(f"{_name(i)}.{p}" for i, p in outputs) + "..",
        "outputs": named[0] if single else named,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in states],
        "changedPropIds": [f"{_name(inputs[changed][0])}.{inputs[changed][1]}"],
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


BUDGET_MS = 300
LOG = "servicenow-orders"
PERIOD = ("2025-01-01", "2025-06-30")
UNITS = ["Servicedesk"]
M = ids  # short alias for the tables below
MAP_OUTPUTS = [
    (M.MAP_RESULT, "children"),
    (M.MAP_SUMMARY, "children"),
    (M.MAP_MESSAGE, "children"),
    (M.MAP_SEARCH, "data"),
]
MAP_START_OUTPUTS = [
    (M.MAP_TOP_PERCENT, "value"),
    (M.MAP_ATTRIBUTE, "options"),
    (M.MAP_UNITS, "options"),
    (M.MAP_WITH, "options"),
    (M.MAP_WITHOUT, "options"),
    (M.MAP_EXCLUDE_ACTIVITIES, "options"),
    (M.MAP_EXCLUDE_ARCS, "options"),
    (M.MAP_CHOSEN_VARIANTS, "options"),
]
ANALYSIS_OUTPUTS = [
    (M.ANALYSIS_RESULT, "children"),
    (M.ANALYSIS_SUMMARY, "children"),
    (M.ANALYSIS_MESSAGE, "children"),
    (M.ANALYSIS_SEARCH, "data"),
]
CANDIDATES_OUTPUTS = [
    (candidates.RESULT, "children"),
    (candidates.PERIODS, "children"),
    (candidates.MESSAGE, "children"),
    (candidates.CRIT_PROCESS, "options"),
    (candidates.CASE_CHOICE, "options"),
    (candidates.CRIT_MESSAGE, "children"),
]
RESOURCES_OUTPUTS = [
    (M.RESOURCES_RESULT, "children"),
    (M.RESOURCES_ITEM, "options"),
    (M.RESOURCES_MONTH, "options"),
    (M.RESOURCES_MONTH, "value"),
    (M.RESOURCES_MESSAGE, "children"),
]


def _map_inputs(**changed: Any) -> Values:
    """The map callback's inputs as the controls hold them (``changed`` by property key)."""
    values: dict[str, Any] = {
        "log": LOG, "percent": None, "mode": "frequency", "statistic": "median",
        "activities": 100, "start": None, "end": None, "attribute": None, "values": [],
        "variants": None, "units": [], "min_days": None, "max_days": None,
        "with_activity": None, "without_activity": None, "excluded_activities": [],
        "excluded_arcs": [], "chosen_variants": [],
    } | changed  # fmt: skip
    controls = [
        ("log", M.MAP_LOG, "value"), ("percent", M.MAP_TOP_PERCENT, "value"),
        ("mode", M.MAP_MODE, "value"), ("statistic", M.MAP_STATISTIC, "value"),
        ("activities", M.MAP_ACTIVITY_PERCENT, "value"),
        ("start", M.MAP_PERIOD, "start_date"), ("end", M.MAP_PERIOD, "end_date"),
        ("attribute", M.MAP_ATTRIBUTE, "value"), ("values", M.MAP_VALUES, "value"),
        ("variants", M.MAP_VARIANTS, "value"), ("units", M.MAP_UNITS, "value"),
        ("min_days", M.MAP_MIN_DAYS, "value"), ("max_days", M.MAP_MAX_DAYS, "value"),
        ("with_activity", M.MAP_WITH, "value"), ("without_activity", M.MAP_WITHOUT, "value"),
        ("excluded_activities", M.MAP_EXCLUDE_ACTIVITIES, "value"),
        ("excluded_arcs", M.MAP_EXCLUDE_ARCS, "value"),
        ("chosen_variants", M.MAP_CHOSEN_VARIANTS, "value"),
    ]  # fmt: skip
    return [(i, p, values[key]) for key, i, p in controls]


def _find(tree: Any, key: str) -> Any:
    """The first value of ``key`` anywhere in a response's component tree."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        tree = list(tree.values())
    if isinstance(tree, list):
        for child in tree:
            found = _find(child, key)
            if found is not None:
                return found
    return None


@dataclass
class Interaction:
    """One user action: the callback request it sends and a text its answer must contain."""

    name: str
    body: dict[str, Any]
    expect: str


def _measure(client: Any, step: Interaction, repeat: int) -> tuple[list[float], dict[str, Any]]:
    """Time the request ``repeat + 1`` times; stop unless every answer is HTTP 200 with the
    expected output and no error note (a broken call must not pass as fast)."""
    times = []
    answer: dict[str, Any] = {}
    for _ in range(repeat + 1):
        start = time.perf_counter()
        reply = client.post("/_dash-update-component", json=step.body)
        times.append((time.perf_counter() - start) * 1000)
        text = reply.get_data(as_text=True)
        if reply.status_code != 200 or "kf-note--error" in text or step.expect not in text:
            sys.exit(f"{step.name}: HTTP {reply.status_code}, not as expected: {text[:500]}")
        answer = reply.get_json()["response"]
    return times, answer


def _map(name: str, moved: int, expect: str = '"source"', **changed: Any) -> Interaction:
    """The map callback; ``moved`` is the index of the control the user moved."""
    states: Values = [(M.MAP_LANGUAGE, "data", "da")]
    return Interaction(name, _body(MAP_OUTPUTS, _map_inputs(**changed), states, moved), expect)


def _analysis(
    name: str, start: str | None, end: str | None, units: list[str], moved: int
) -> Interaction:
    """The analysis callback (inputs: log, start, end, org units; ``moved`` leads)."""
    inputs: Values = [
        (M.ANALYSIS_LOG, "value", LOG),
        (M.ANALYSIS_PERIOD, "start_date", start),
        (M.ANALYSIS_PERIOD, "end_date", end),
        (M.ANALYSIS_ORG_UNITS, "value", units),
    ]
    states: Values = [(M.ANALYSIS_LANGUAGE, "data", "da")]
    body = _body(ANALYSIS_OUTPUTS, inputs, states, moved)
    return Interaction(name, body, M.ANALYSIS_VARIANT_TABLE)


def _candidates(name: str, start: str | None, end: str | None, moved: int) -> Interaction:
    """The ranking callback (inputs: logs, start, end, save; ``moved`` leads)."""
    inputs: Values = [
        (candidates.LOGS, "value", [LOG]),
        (candidates.PERIOD, "start_date", start),
        (candidates.PERIOD, "end_date", end),
        (candidates.CRIT_SAVE, "n_clicks", None),
    ]
    states: Values = [
        (candidates.CRIT_PROCESS, "value", None),
        (candidates.CRIT_WEIGHT, "value", "2"),
        (candidates.LANGUAGE, "data", "da"),
    ]
    body = _body(CANDIDATES_OUTPUTS, inputs, states, moved)
    return Interaction(name, body, candidates.TABLE)


def _resources(name: str, item: str | None, month: str | None, moved: int) -> Interaction:
    """The resources callback (inputs: log, item, month; ``moved`` leads)."""
    inputs: Values = [
        (M.RESOURCES_LOG, "value", LOG),
        (M.RESOURCES_ITEM, "value", item),
        (M.RESOURCES_MONTH, "value", month),
    ]
    states: Values = [(M.RESOURCES_LANGUAGE, "data", "da")]
    body = _body(RESOURCES_OUTPUTS, inputs, states, moved)
    return Interaction(name, body, M.RESOURCES_LOAD_TABLE)


def _edge(answer: dict[str, Any]) -> dict[str, Any]:
    """The first arc's data in the map's answer (what the graph sends when it is tapped)."""
    elements = _find(answer[M.MAP_RESULT]["children"], "elements") or []
    edges = [e["data"] for e in elements if "source" in e.get("data", {})]
    if not edges:
        sys.exit("Procesoverblik: the map's answer has no arcs to click")
    edge: dict[str, Any] = edges[0]
    return edge


def _row(name: str, times: list[float]) -> tuple[str, float, float]:
    again = statistics.median(times[1:]) if len(times) > 1 else times[0]
    return name, times[0], again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(LogStore())
    client = app.server.test_client()
    with client.session_transaction() as session:
        now = time.time()
        session.update({"user": "measure", "role": "analyst", "started": now, "seen": now})
    rows: list[tuple[str, float, float]] = []

    def run(step: Interaction) -> dict[str, Any]:
        times, answer = _measure(client, step, args.repeat)
        rows.append(_row(step.name, times))
        return answer

    start, end = PERIOD
    # Each page is opened first, as in the browser (not timed; the app's first request also
    # builds every page's layout for Dash Pages' validation, a one-off start cost).
    client.get("/process-map")
    # Procesoverblik: choosing a log fires both the filter panel's and the map's callbacks.
    run(
        Interaction(
            "Procesoverblik: open a log (filter panel)",
            _body(MAP_START_OUTPUTS, [(M.MAP_LOG, "value", LOG)], [(M.MAP_LANGUAGE, "data", "da")]),
            UNITS[0],
        )
    )
    run(_map("Procesoverblik: open a log (map)", 0))
    run(_map("Procesoverblik: performance view", 2, mode="performance"))
    run(_map("Procesoverblik: activity slider to 50 %", 4, activities=50))
    run(_map("Procesoverblik: period filter", 5, start=start, end=end))
    shown = run(_map("Procesoverblik: org-unit filter", 10, units=UNITS, start=start, end=end))
    search = shown[M.MAP_SEARCH]["data"]
    cases = Interaction(
        "Procesoverblik: click an arc (its cases)",
        _body(
            [(M.MAP_CASES, "children"), (M.MAP_CASE, "options"), (M.MAP_CASE, "value")],
            [(M.MAP_GRAPH, "tapNodeData", None), (M.MAP_GRAPH, "tapEdgeData", _edge(shown))],
            [(M.MAP_SEARCH, "data", search), (M.MAP_LANGUAGE, "data", "da")],
            1,
        ),
        M.MAP_CASES_TABLE,
    )
    case = run(cases)[M.MAP_CASE]["options"][0]["value"]
    run(
        Interaction(
            "Procesoverblik: a case's timeline",
            _body(
                [(M.MAP_TIMELINE, "children")],
                [(M.MAP_CASE, "value", case)],
                [(M.MAP_SEARCH, "data", search), (M.MAP_LANGUAGE, "data", "da")],
            ),
            M.MAP_TIMELINE_TABLE,
        )
    )
    # Procesanalyse: the log's whole period first (as the page opens), then the changes.
    client.get("/analysis")
    run(_analysis("Procesanalyse: open a log", None, None, [], 0))
    run(_analysis("Procesanalyse: change period", start, end, [], 1))
    run(_analysis("Procesanalyse: change org units", start, end, UNITS, 3))
    # Automatiseringskandidater.
    client.get("/candidates")
    ranked = run(_candidates("Automatiseringskandidater: open (log chosen)", None, None, 0))
    wanted = ranked[candidates.CASE_CHOICE]["options"][0]["value"]
    run(_candidates("Automatiseringskandidater: change period", start, end, 1))
    run(
        Interaction(
            "Automatiseringskandidater: build a draft case",
            _body(
                [(candidates.CASE_RESULT, "children"), (candidates.DOWNLOADS, "hidden")],
                [(candidates.CASE_MAKE, "n_clicks", 1)],
                [
                    (candidates.CASE_CHOICE, "value", wanted),
                    (candidates.LOGS, "value", [LOG]),
                    (candidates.PERIOD, "start_date", start),
                    (candidates.PERIOD, "end_date", end),
                    (candidates.LANGUAGE, "data", "da"),
                ],
            ),
            candidates.CASE_TABLE,
        )
    )
    # Ressourcestyring.
    client.get("/resources")
    opened = run(_resources("Ressourcestyring: open a log", None, None, 0))
    months = [o["value"] for o in opened[M.RESOURCES_MONTH]["options"]]
    items = [o["value"] for o in opened[M.RESOURCES_ITEM]["options"][1:]]
    month = months[1] if len(months) > 1 else months[0]
    run(_resources("Ressourcestyring: change month", None, month, 2))
    run(_resources("Ressourcestyring: choose a catalogue item", items[0], month, 1))
    # Governance and Fastlåste sager (as before).
    client.get("/governance")
    for name, (outputs, inputs, states), expect in (
        ("Governance: rules per area (filter by area)", GOVERNANCE, "Drift og Infrastruktur"),
        ("Governance: conformance (discovered model)", CONFORMANCE, M.GOVERNANCE_CONF_NET),
        ("Fastlåste sager: list as of 30.06.2025", STUCK, "30.06.2025"),
    ):
        run(Interaction(name, _body(outputs, inputs, states), expect))

    width = max(len(r[0]) for r in rows)
    print(f"{'interaction':<{width}}  first ms  again ms  ≤ {BUDGET_MS} ms")
    for name, first, again in rows:
        ok = "yes" if again <= BUDGET_MS else "NO"
        print(f"{name:<{width}}  {first:8.0f}  {again:8.0f}  {ok}")
    over = [r[0] for r in rows if r[2] > BUDGET_MS]
    first_over = [r[0] for r in rows if r[1] > BUDGET_MS]
    print(
        f"{len(rows) - len(over)} of {len(rows)} interactions ≤ {BUDGET_MS} ms again "
        f"(median of {args.repeat}); {len(rows) - len(first_over)} of {len(rows)} on the first "
        f"call; over: {', '.join(over) or 'none'}"
    )


if __name__ == "__main__":
    main()
