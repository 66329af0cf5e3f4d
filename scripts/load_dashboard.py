"""Load on the served dashboard: N signed-in sessions changing filters for a while (not a test;
results go in docs/performance.md).

    KITFLOW_DATA_DIR=/tmp/demo01 KITFLOW_PSEUDONYM_KEY_FILE=/tmp/demo-key \\
        .venv/bin/python scripts/load_dashboard.py [--sessions 20] [--seconds 60] [--json]

Starts ``kitflow serve`` (waitress) on 127.0.0.1 on a free port against ``--data`` (default
``KITFLOW_DATA_DIR``), adds a temporary analyst account (removed at the end) unless ``--user``
and ``--password`` are given, and signs each session in through the real sign-in form (its CSRF
token). Each session opens the analysis page the way the browser does (page, layout,
dependencies, the page router) and then, until ``--seconds`` have passed or ``--max-requests``
were sent, presses the callbacks the browser sends when a filter changes: the analysis page's
period and org units (``POST /_dash-update-component`` with the body the browser sends, its
shapes read from ``/_dash-dependencies``) and the follow-up page's as-of date, with a pause of
about ``--think`` seconds between presses (a person reading). The as-of dates are the month ends
of the span (``--any-day``: any day of it). ``--settle`` seconds pass between the server
answering and the sessions starting: with ``KITFLOW_WARM_OVERVIEWS=1`` in the environment the
server builds the directors' overviews of the data's month ends ahead in the background, and a
settled server is one started a while before its users arrive. Only 127.0.0.1 is contacted. Any
answer other than 200 (or a transport error) is an error. The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"  # the only address ever contacted
CALLBACK = "/_dash-update-component"
ANALYSIS = "/analysis"
FOLLOWUP = "/followup"
GOAL_P95_MS = 1000.0
REQUEST_TIMEOUT_S = 60.0


@dataclass
class Results:
    """Latencies (ms) per request kind, and the errors seen; shared by the session threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(ms)
            if error is not None:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {error}")


class Session:
    """One browser: a keep-alive connection to 127.0.0.1 and its session cookie."""

    def __init__(self, port: int, results: Results) -> None:
        self.port = port
        self.results = results
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)

    def request(
        self, kind: str, method: str, path: str, body: bytes | None = None, ctype: str = ""
    ) -> tuple[int, bytes]:
        headers = {"Host": f"{HOST}:{self.port}", "Accept": "*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if ctype:
            headers["Content-Type"] = ctype
        started = time.perf_counter()
        try:
            status, data = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.results.add(kind, (time.perf_counter() - started) * 1000, repr(error))
            return 0, b""
        ms = (time.perf_counter() - started) * 1000
        ok = status == 200 or (kind == "login" and status == 302)
        self.results.add(kind, ms, None if ok else f"{status} {data[:200]!r}")
        return status, data

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Expires=Thu, 01 Jan 1970" not in header:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.will_close:
            self.connection.close()
        return response.status, data

    def get(self, kind: str, path: str) -> tuple[int, bytes]:
        return self.request(kind, "GET", path)

    def post_json(self, kind: str, path: str, payload: Any) -> tuple[int, bytes]:
        return self.request(kind, "POST", path, json.dumps(payload).encode(), "application/json")

    def sign_in(self, user: str, password: str) -> bool:
        _, page = self.get("login page", "/login")
        found = re.search(rb'name="csrf" value="([^"]+)"', page)
        if found is None:
            return False
        form = urlencode(
            {"username": user, "password": password, "csrf": found.group(1).decode(), "next": "/"}
        ).encode()
        status, _ = self.request(
            "login", "POST", "/login", form, "application/x-www-form-urlencoded"
        )
        return status == 302 and bool(self.cookies)


# ---- the bodies the browser sends ------------------------------------------------------------


def _key(component_id: str | dict[str, Any]) -> str:
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Callback:
    """One callback as ``/_dash-dependencies`` describes it."""

    output: str
    outputs: list[dict[str, str]]
    inputs: list[dict[str, str]]
    state: list[dict[str, str]]

    def body(self, values: dict[str, Any], changed: str) -> dict[str, Any]:
        """The request body the browser sends when ``changed`` (``id.property``) changed;
        ``values`` holds every input's and state's value by ``id.property``."""

        def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
            return [
                {**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items
            ]

        return {
            "output": self.output,
            "outputs": self.outputs[0] if len(self.outputs) == 1 else self.outputs,
            "inputs": filled(self.inputs),
            "state": filled(self.state),
            "changedPropIds": [changed],
        }


def find_callback(dependencies: list[dict[str, Any]], output_part: str) -> Callback:
    """The callback whose output names ``output_part`` (e.g. ``analysis-result.children``)."""
    for item in dependencies:
        output = str(item["output"])
        if output_part in output:
            names = output.strip(".").split("...") if output.startswith("..") else [output]
            outputs = []
            for name in names:
                component, _, prop = name.rpartition(".")
                outputs.append({"id": component, "property": prop})
            inputs = [{"id": i["id"], "property": i["property"]} for i in item["inputs"]]
            state = [{"id": s["id"], "property": s["property"]} for s in item.get("state", [])]
            return Callback(output, outputs, inputs, state)
    raise SystemExit(f"no callback with {output_part} in /_dash-dependencies")


def router_body(path: str, search: str) -> dict[str, Any]:
    """Dash Pages' router callback: the page's content for ``path?search``."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }


def find_props(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The props of the component ``component_id`` in a callback's answer (a layout tree)."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        for value in tree.values():
            found = find_props(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for value in tree:
            found = find_props(value, component_id)
            if found is not None:
                return found
    return None


# ---- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the sessions press: the analysis log, its period and org units, the as-of dates."""

    log: str
    first_day: str
    last_day: str
    org_units: list[str]
    analysis: Callback
    followup: Callback
    as_of_dates: list[str]

    def as_of(self, rng: random.Random, *, any_day: bool) -> str:
        """A month end of the span, or (``any_day``) any day from its first to its last."""
        if not any_day:
            return rng.choice(self.as_of_dates)
        import datetime as dt  # noqa: PLC0415

        first = dt.date.fromisoformat(self.as_of_dates[0]).replace(day=1)
        last = dt.date.fromisoformat(self.as_of_dates[-1])
        return (first + dt.timedelta(days=rng.randrange((last - first).days + 1))).isoformat()


def discover(port: int, user: str, password: str, wanted_log: str | None) -> Plan:
    """Sign in once and read what the pages offer (logs, period, org units, callbacks)."""
    scratch = Results()
    session = Session(port, scratch)
    if not session.sign_in(user, password):
        raise SystemExit(f"could not sign in as {user!r}: {scratch.error_samples}")
    _, raw = session.get("dependencies", "/_dash-dependencies")
    dependencies = json.loads(raw)
    analysis = find_callback(dependencies, "analysis-result.children")
    followup = find_callback(dependencies, "followup-result.children")
    _, raw = session.post_json("router", CALLBACK, router_body(ANALYSIS, ""))
    picker = find_props(json.loads(raw), "analysis-log") or {}
    logs = [str(o["value"]) for o in picker.get("options", [])]
    candidates = [wanted_log] if wanted_log else logs
    for log in candidates:
        _, raw = session.post_json("router", CALLBACK, router_body(ANALYSIS, f"?log={log}"))
        answer = json.loads(raw)
        period = find_props(answer, "analysis-period") or {}
        units = find_props(answer, "analysis-org-units") or {}
        options = [o if isinstance(o, str) else o["value"] for o in units.get("options", [])]
        if period.get("min_date_allowed") and (options or wanted_log):
            _, raw = session.post_json("router", CALLBACK, router_body(FOLLOWUP, ""))
            as_of = find_props(json.loads(raw), "followup-as-of") or {}
            return Plan(
                log=log,
                first_day=str(period["min_date_allowed"])[:10],
                last_day=str(period["max_date_allowed"])[:10],
                org_units=[str(o) for o in options],
                analysis=analysis,
                followup=followup,
                as_of_dates=month_ends(
                    as_of.get("min_date_allowed"), as_of.get("max_date_allowed")
                ),
            )
    raise SystemExit(f"no flat log with a period and org units among {logs}")


def month_ends(first: str | None, last: str | None) -> list[str]:
    """The last day of each month from ``first`` to ``last`` (2023–2025 when not given)."""
    import datetime as dt  # noqa: PLC0415

    start = dt.date.fromisoformat((first or "2023-01-01")[:10])
    end = dt.date.fromisoformat((last or "2025-12-31")[:10])
    days = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        day = min(following - dt.timedelta(days=1), end)
        if day >= start:
            days.append(day.isoformat())
        year, month = following.year, following.month
    return days or [end.isoformat()]


def random_period(rng: random.Random, plan: Plan) -> tuple[str | None, str | None]:
    """A period as the date picker sends it: whole span, cleared, or a random window."""
    import datetime as dt  # noqa: PLC0415

    first = dt.date.fromisoformat(plan.first_day)
    last = dt.date.fromisoformat(plan.last_day)
    choice = rng.random()
    if choice < 0.1:
        return None, None
    if choice < 0.2:
        return plan.first_day, plan.last_day
    span = max((last - first).days, 1)
    start = first + dt.timedelta(days=rng.randrange(span))
    end = min(last, start + dt.timedelta(days=rng.randint(30, max(31, span))))
    return start.isoformat(), end.isoformat()


def run_session(
    index: int, plan: Plan, *, args: argparse.Namespace, results: Results, deadline: float
) -> None:
    """One user: sign in, open the analysis page, then press filters until the deadline."""
    rng = random.Random(args.seed * 1000 + index)
    session = Session(args.port, results)
    if not session.sign_in(args.user, args.password):
        return
    search = f"?log={plan.log}"
    session.get("open page", f"{ANALYSIS}{search}")
    session.get("open page", "/_dash-layout")
    session.get("open page", "/_dash-dependencies")
    session.post_json("router", CALLBACK, router_body(ANALYSIS, search))
    analysis: dict[str, Any] = {
        "analysis-log.value": plan.log,
        "analysis-period.start_date": plan.first_day,
        "analysis-period.end_date": plan.last_day,
        "analysis-org-units.value": [],
        "analysis-language.data": "da",
    }
    state = {"lang": "da", "case": None, "as_of": plan.as_of_dates[-1], "responsible": None}
    followup: dict[str, Any] = {
        "followup-as-of.date": plan.as_of_dates[-1],
        "followup-responsible.value": None,
        "followup-state.data": state,
    }
    session.post_json(
        "analysis: page load", CALLBACK, plan.analysis.body(analysis, "analysis-log.value")
    )
    sent = 0
    while sent < args.max_requests and time.monotonic() < deadline:
        choice = rng.random() * (0.8 if args.no_followup else 1.0)
        if choice < 0.4:
            start, end = random_period(rng, plan)
            analysis["analysis-period.start_date"] = start
            analysis["analysis-period.end_date"] = end
            body = plan.analysis.body(analysis, "analysis-period.end_date")
            session.post_json("analysis: period", CALLBACK, body)
        elif choice < 0.8:
            count = rng.choice([0, 1, 1, 2, 3]) if plan.org_units else 0
            analysis["analysis-org-units.value"] = rng.sample(
                plan.org_units, min(count, len(plan.org_units))
            )
            body = plan.analysis.body(analysis, "analysis-org-units.value")
            session.post_json("analysis: org units", CALLBACK, body)
        else:
            followup["followup-as-of.date"] = plan.as_of(rng, any_day=args.any_day)
            body = plan.followup.body(followup, "followup-as-of.date")
            status, raw = session.post_json("follow-up: as-of date", CALLBACK, body)
            if status == 200:
                stored = json.loads(raw).get("response", {}).get("followup-state", {}).get("data")
                if isinstance(stored, dict):
                    followup["followup-state.data"] = stored
        sent += 1
        if args.think > 0:
            pause = rng.uniform(0.5, 1.5) * args.think
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def summary(results: Results) -> dict[str, dict[str, float]]:
    """Requests, errors and p50/p95/p99/max per kind, and over all filter presses."""
    rows: dict[str, dict[str, float]] = {}
    pressed: list[float] = []
    everything: list[float] = []
    for kind, values in sorted(results.latencies.items()):
        rows[kind] = _row(values, results.errors.get(kind, 0))
        everything += values
        if ":" in kind and kind != "analysis: page load":
            pressed += values
    rows["all filter presses"] = _row(
        pressed,
        sum(n for k, n in results.errors.items() if ":" in k and k != "analysis: page load"),
    )
    rows["all requests"] = _row(everything, sum(results.errors.values()))
    return rows


def _row(values: list[float], errors: int) -> dict[str, float]:
    if not values:
        return {"requests": 0, "errors": errors}
    return {
        "requests": len(values),
        "errors": errors,
        "p50_ms": statistics.median(values),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values),
    }


# ---- the server and the account --------------------------------------------------------------


def kitflow_command() -> list[str]:
    beside = Path(sys.executable).with_name("kitflow")
    found = str(beside) if beside.exists() else shutil.which("kitflow")
    if found is None:
        raise SystemExit("kitflow is not installed in this environment")
    return [found]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until_up(port: int, server: subprocess.Popen[bytes], limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"kitflow serve stopped with exit code {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"kitflow serve did not listen on {HOST}:{port} within {limit_s:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("KITFLOW_DATA_DIR"))
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between presses (s)")
    parser.add_argument("--max-requests", type=int, default=2000, help="per session")
    parser.add_argument("--threads", type=int, default=8, help="kitflow serve --threads")
    parser.add_argument("--log", help="the flat log to analyse (default: the first with org units)")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-followup", action="store_true", help="press only the analysis page's filters"
    )
    parser.add_argument(
        "--any-day", action="store_true", help="as-of dates: any day, not only month ends"
    )
    parser.add_argument(
        "--settle", type=float, default=0.0, help="seconds between the server up and the load"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.data:
        raise SystemExit("give --data or set KITFLOW_DATA_DIR")
    if not 1 <= args.sessions <= 200 or not 0 < args.seconds <= 3600:
        raise SystemExit("--sessions must be 1-200 and --seconds 1-3600")
    env = {**os.environ, "KITFLOW_DATA_DIR": str(Path(args.data).resolve())}
    kitflow = kitflow_command()
    temporary = args.user is None
    if temporary:
        args.user = f"load-{secrets.token_hex(4)}"
        args.password = secrets.token_urlsafe(24)
        subprocess.run(
            [*kitflow, "users", "add", args.user, "--role", "analyst", "--password-stdin"],
            input=f"{args.password}\n".encode(),
            env=env,
            check=True,
            capture_output=True,
        )
    elif args.password is None:
        raise SystemExit("--user needs --password")
    port = free_port()
    args.port = port
    try:
        with tempfile.NamedTemporaryFile(
            prefix="kitflow-serve-", suffix=".log", delete=False
        ) as log:
            elapsed, load, plan, results = serve_and_load(kitflow, env, args, log)
    finally:
        if temporary:
            subprocess.run(
                [*kitflow, "users", "remove", args.user], env=env, check=False, capture_output=True
            )
    report(args, plan, results, elapsed=elapsed, load=load, server_log=log.name)


def serve_and_load(
    kitflow: list[str], env: dict[str, str], args: argparse.Namespace, log_file: Any
) -> tuple[float, tuple[float, float], Plan, Results]:
    """Start the server, run the sessions, stop the server."""
    port = args.port
    server = subprocess.Popen(
        [*kitflow, "serve", "--host", HOST, "--port", str(port), "--threads", str(args.threads)],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    results = Results()
    try:
        wait_until_up(port, server)
        plan = discover(port, args.user, args.password, args.log)
        time.sleep(args.settle)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(
                target=run_session,
                args=(i, plan),
                kwargs={"args": args, "results": results, "deadline": deadline},
                daemon=True,
            )
            for i in range(args.sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + REQUEST_TIMEOUT_S + 30)
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()[0]
    finally:
        stop(server)
    return elapsed, (load_before, load_after), plan, results


def report(
    args: argparse.Namespace,
    plan: Plan,
    results: Results,
    *,
    elapsed: float,
    load: tuple[float, float],
    server_log: str,
) -> None:
    load_before, load_after = load
    rows = summary(results)
    overall = rows["all filter presses"]
    warm = os.environ.get("KITFLOW_WARM_OVERVIEWS") == "1"
    if args.json:
        print(json.dumps({
            "sessions": args.sessions, "seconds": args.seconds, "elapsed_s": elapsed,
            "think_s": args.think, "followup": not args.no_followup,
            "server_threads": args.threads, "log": plan.log,
            "period": [plan.first_day, plan.last_day], "org_units": len(plan.org_units),
            "as_of_dates": len(plan.as_of_dates), "any_day": args.any_day,
            "settle_s": args.settle, "warm_overviews": warm, "kinds": rows,
            "error_samples": results.error_samples,
            "load_average_1min": {"start": load_before, "end": load_after},
            "cpus": os.cpu_count(), "server_log": server_log,
        }, indent=2))  # fmt: skip
        return
    print(
        f"{args.sessions} sessions, {elapsed:.0f} s, think {args.think:g} s, "
        f"{args.threads} server threads, log {plan.log!r} ({plan.first_day}–{plan.last_day}, "
        f"{len(plan.org_units)} org units), "
        + ("any day as of" if args.any_day else f"{len(plan.as_of_dates)} as-of dates")
        + f", overviews built ahead: {'yes' if warm else 'no'}, settle {args.settle:g} s"
    )
    print("| request | requests | errors | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for kind, row in rows.items():
        if not row["requests"]:
            continue
        print(
            f"| {kind} | {row['requests']:,.0f} | {row['errors']:,.0f} | {row['p50_ms']:,.0f} ms"
            f" | {row['p95_ms']:,.0f} ms | {row['p99_ms']:,.0f} ms | {row['max_ms']:,.0f} ms |"
        )
    verdict = (
        "met" if overall.get("p95_ms", 0) <= GOAL_P95_MS and not overall["errors"] else "NOT met"
    )
    print(f"goal (no errors, p95 ≤ 1 s over the filter presses): {verdict}")
    print(f"load average (1 min): {load_before:.1f} at the start, {load_after:.1f} at the end")
    for sample in results.error_samples:
        print(f"error: {sample}")
    print(f"server log: {server_log}")


if __name__ == "__main__":
    main()
