"""The simulated KIT landscape: real source shapes, determinism, and planted effects in raw files.

Every effect is measured here straight from the written files (no extractor, no mining), the way
an analyst would, and compared with the ground-truth manifest.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, median
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from app.cli_demo_landscape import register
from simulator import simulate

SCALE = 0.05
SN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
SYS_ID = re.compile(r"^[0-9a-f]{32}$")
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")
SN_TABLES = (
    "sc_request", "sc_req_item", "sc_task", "incident", "sys_audit", "task_sla", "time_card",
    "sys_user_group", "sys_choice", "sys_user", "sc_cat_item", "contract_sla",
)  # fmt: skip
TIME_FIELDS = {
    "opened_at", "closed_at", "resolved_at", "sys_created_on", "sys_updated_on", "work_start",
    "work_end", "start_time", "end_time", "planned_end_time",
}  # fmt: skip
REFERENCE_FIELDS = {
    "assignment_group", "assigned_to", "opened_by", "caller_id", "requested_for", "request",
    "request_item", "cat_item", "documentkey", "task", "sla", "user", "manager",
}  # fmt: skip


@pytest.fixture(scope="module")
def land(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landscape")
    simulate(out, seed=42, scale=SCALE)
    return out


@pytest.fixture(scope="module")
def manifest(land: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((land / "manifest.json").read_text(encoding="utf-8"))
    return result


def read_pages(folder: Path, key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in sorted(folder.glob("*.json")):
        rows.extend(json.loads(page.read_text(encoding="utf-8"))[key])
    return rows


def sn(land: Path, table: str) -> list[dict[str, str]]:
    return read_pages(land / "servicenow" / table, "result")


def sn_time(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()


def iso_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def iso_date(value: str) -> float:
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def all_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# -- determinism and shapes ----------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(land: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    simulate(again, seed=42, scale=SCALE)
    first, second = all_files(land), all_files(again)
    assert list(first) == list(second)
    assert first == second
    other = tmp_path / "other"
    simulate(other, seed=7, scale=SCALE)
    assert all_files(other)["manifest.json"] != first["manifest.json"]


def test_no_spill_folder_is_left_behind(land: Path) -> None:
    assert not (land / ".spill").exists()
    assert sorted(p.name for p in land.iterdir()) == [
        "azure-devops", "manifest.json", "robots", "servicenow", "time-registration",
    ]  # fmt: skip


@pytest.mark.parametrize("table", SN_TABLES)
def test_servicenow_pages_have_the_table_api_shape(land: Path, table: str) -> None:
    pages = sorted((land / "servicenow" / table).glob("page-*.json"))
    assert pages and pages[0].name == "page-00001.json"
    rows: list[dict[str, Any]] = []
    for page in pages:
        payload = json.loads(page.read_text(encoding="utf-8"))
        assert list(payload) == ["result"]
        assert 0 < len(payload["result"]) <= 1000
        rows.extend(payload["result"])
    key = "sys_created_on" if table == "sys_audit" else "sys_updated_on"
    assert [(r[key], r["sys_id"]) for r in rows] == sorted((r[key], r["sys_id"]) for r in rows)
    assert len({r["sys_id"] for r in rows}) == len(rows)
    for row in rows:
        assert all(isinstance(v, str) for v in row.values()), row
        assert SYS_ID.match(row["sys_id"])
        for name in TIME_FIELDS & row.keys():
            assert row[name] == "" or SN_TIME.match(row[name]), (name, row[name])
        for name in REFERENCE_FIELDS & row.keys():
            if table == "sys_audit" and name == "user":
                continue  # a user *name*, as on a real instance
            assert row[name] == "" or SYS_ID.match(row[name]), (table, name, row[name])


def test_references_resolve(land: Path) -> None:
    users = {r["sys_id"] for r in sn(land, "sys_user")}
    groups = {r["sys_id"] for r in sn(land, "sys_user_group")}
    user_names = {r["user_name"] for r in sn(land, "sys_user")}
    items = {r["sys_id"] for r in sn(land, "sc_req_item")}
    for table in ("incident", "sc_req_item", "sc_task"):
        for row in sn(land, table):
            assert row["assignment_group"] in groups
            assert row["assigned_to"] in users | {""}
            assert row["opened_by"] in users
    assert {r["request_item"] for r in sn(land, "sc_task")} <= items
    audit = sn(land, "sys_audit")
    assert {r["user"] for r in audit} <= user_names
    records = {r["sys_id"] for t in ("incident", "sc_req_item", "sc_task") for r in sn(land, t)}
    assert {r["documentkey"] for r in audit} <= records


def test_service_areas_and_employees(manifest: dict[str, Any], land: Path) -> None:
    org = manifest["organisation"]
    assert [a["name"] for a in org["service_areas"]] == [
        "Forretningsudvikling", "Drift & Infrastruktur", "Servicedesk", "Applikationer",
        "Sikkerhed", "Digital Udvikling",
    ]  # fmt: skip
    assert org["employees"] == 150
    kit = [r for r in sn(land, "sys_user") if r["department"] == "Koncern IT"]
    assert len(kit) == 150
    assert len({r["user_name"] for r in sn(land, "sys_user")}) == len(sn(land, "sys_user"))


def test_devops_batches_have_the_reporting_shape(land: Path) -> None:
    folder = land / "azure-devops" / "workitemrevisions"
    batches = sorted(folder.glob("batch-*.json"))
    values: list[dict[str, Any]] = []
    for number, path in enumerate(batches, start=1):
        payload = json.loads(path.read_text(encoding="utf-8"))
        assert list(payload) == ["values", "nextLink", "continuationToken", "isLastBatch"]
        assert payload["isLastBatch"] == (number == len(batches))
        assert payload["nextLink"].endswith(f"continuationToken={payload['continuationToken']}")
        values.extend(payload["values"])
    changed = [iso_time(v["fields"]["System.ChangedDate"]) for v in values]
    assert changed == sorted(changed)
    revs: dict[int, list[int]] = defaultdict(list)
    for value in values:
        fields = value["fields"]
        assert fields["System.Id"] == value["id"] and fields["System.Rev"] == value["rev"]
        assert fields["System.WorkItemType"] in {"Epic", "Feature", "User Story"}
        assert fields["System.State"] in {"New", "Active", "Resolved", "Closed", "Removed"}
        assert fields["System.AreaPath"].startswith("KIT\\")
        assert fields["System.IterationPath"].startswith("KIT")
        assert ISO_Z.match(fields["System.ChangedDate"])
        assert {"id", "uniqueName", "displayName"} <= fields["System.ChangedBy"].keys()
        revs[value["id"]].append(value["rev"])
    assert all(r == list(range(1, len(r) + 1)) for r in revs.values())
    items = read_pages(land / "azure-devops" / "workitems", "value")
    assert {i["id"] for i in items} == set(revs)
    links = read_pages(land / "azure-devops" / "workitemlinks", "values")
    parents = {i["id"]: i["fields"].get("System.Parent") for i in items}
    assert {(x["targetId"], x["sourceId"]) for x in links} == {
        (child, parent) for child, parent in parents.items() if parent is not None
    }


def test_robot_pages_have_the_odata_shape(land: Path) -> None:
    for stream in ("Jobs", "QueueItems", "QueueItemEvents", "QueueDefinitions"):
        pages = sorted((land / "robots" / "uipath" / stream).glob("page-*.json"))
        rows = 0
        for page in pages:
            payload = json.loads(page.read_text(encoding="utf-8"))
            assert list(payload) == ["@odata.context", "@odata.count", "value"]
            rows += len(payload["value"])
        assert payload["@odata.count"] == rows > 0
    items = read_pages(land / "robots" / "uipath" / "QueueItems", "value")
    assert {i["Status"] for i in items} <= {"Successful", "Failed"}
    for item in items:
        failed = item["Status"] == "Failed"
        assert (item["ProcessingExceptionType"] is not None) == failed
        assert item["ProcessingExceptionType"] in {
            None,
            "BusinessException",
            "ApplicationException",
        }
        assert iso_time(item["EndProcessing"]) >= iso_time(item["StartProcessing"])
    jobs = read_pages(land / "robots" / "uipath" / "Jobs", "value")
    assert all(j["State"] == "Successful" and ISO_Z.match(j["StartTime"]) for j in jobs)
    sessions = read_pages(land / "robots" / "power-automate" / "flowsessions", "value")
    assert {s["statuscode"] for s in sessions} <= {4, 8, 9}
    assert all(s["runduration"] > 0 for s in sessions)


def test_time_registration_csv_shape(land: Path) -> None:
    files = sorted((land / "time-registration").glob("*.csv"))
    assert [f.name for f in files] == [f"tidsregistrering-{y}.csv" for y in (2023, 2024, 2025)]
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";"))
        assert rows[0] == ["Dato", "Medarbejder", "Serviceområde", "Sagsreference", "Aktivitet",
                           "Timer"]  # fmt: skip
        keys = [tuple(r[:5]) for r in rows[1:]]
        assert len(set(keys)) == len(keys)  # one row per employee, day, reference, activity
        assert all(re.match(r"^\d+,\d{2}$", r[5]) for r in rows[1:])
        assert all(r[0].startswith(path.stem[-4:]) for r in rows[1:])


# -- planted effects, measured from the raw files ------------------------------------------------


def _orders(land: Path, manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    name = manifest["effects"]["integration"]["orders"]["selector"]["cat_item_name"]
    cat = {r["sys_id"] for r in sn(land, "sc_cat_item") if r["name"] == name}
    return {r["sys_id"]: r for r in sn(land, "sc_req_item") if r["cat_item"] in cat}


def _feature_lags(land: Path, manifest: dict[str, Any]) -> dict[str, list[float]]:
    """Order -> DevOps lag per period, by following each Feature's Hyperlink to its item."""
    orders = _orders(land, manifest)
    by_number = {r["number"]: r for r in orders.values()}
    go = iso_time(manifest["effects"]["integration"]["go_live"])
    lags: dict[str, list[float]] = {"before": [], "after": []}
    for item in read_pages(land / "azure-devops" / "workitems", "value"):
        for rel in item["relations"]:
            if rel["rel"] != "Hyperlink":
                continue
            url = rel["url"]
            match = re.search(r"sys_id=([0-9a-f]{32})", url)
            order = orders[match[1]] if match else by_number[url.rsplit("number=", 1)[1]]
            opened = sn_time(order["opened_at"])
            lag = iso_time(item["fields"]["System.CreatedDate"]) - opened
            lags["before" if opened < go else "after"].append(lag)
    return lags


def test_order_to_devops_lag_drops_at_the_integration(land: Path, manifest: dict[str, Any]) -> None:
    lags = _feature_lags(land, manifest)
    truth = manifest["effects"]["integration"]["lag_to_devops"]
    for period in ("before", "after"):
        assert len(lags[period]) == truth[f"n_{period}"]
        assert median(lags[period]) == pytest.approx(truth[f"median_{period}_s"], rel=0.05)
    # Days of manual coordination before, minutes after; near the planted medians.
    assert median(lags["before"]) > 86_400 and median(lags["after"]) < 900
    assert median(lags["before"]) == pytest.approx(truth["planted_median_before_s"], rel=0.3)
    assert median(lags["after"]) == pytest.approx(truth["planted_median_after_s"], rel=0.3)


def test_integrated_orders_carry_the_feature_id(land: Path, manifest: dict[str, Any]) -> None:
    go = iso_time(manifest["effects"]["integration"]["go_live"])
    features = {str(i["id"]) for i in read_pages(land / "azure-devops" / "workitems", "value")}
    for order in _orders(land, manifest).values():
        if sn_time(order["opened_at"]) < go:
            assert order["correlation_id"] == ""
        elif order["correlation_id"]:
            assert order["correlation_id"] in features


def test_handovers_fall_to_one(land: Path, manifest: dict[str, Any]) -> None:
    orders = _orders(land, manifest)
    go = iso_time(manifest["effects"]["integration"]["go_live"])
    linked = {
        re.search(r"sys_id=([0-9a-f]{32})", r["url"]) or r["url"].rsplit("number=", 1)[1]
        for i in read_pages(land / "azure-devops" / "workitems", "value")
        for r in i["relations"]
        if r["rel"] == "Hyperlink"
    }
    numbers = {x if isinstance(x, str) else orders[x[1]]["number"] for x in linked}
    handovers = Counter(
        r["documentkey"]
        for r in sn(land, "sys_audit")
        if r["tablename"] == "sc_req_item" and r["fieldname"] == "assignment_group"
    )
    periods: dict[str, list[int]] = {"before": [], "after": []}
    for sys_id, order in orders.items():
        if order["number"] in numbers:
            period = "before" if sn_time(order["opened_at"]) < go else "after"
            periods[period].append(handovers[sys_id])
    truth = manifest["effects"]["integration"]["handovers"]
    assert round(mean(periods["before"]), 4) == truth["mean_before"]
    assert round(mean(periods["after"]), 4) == truth["mean_after"] == 1.0
    assert truth["mean_before"] >= 2.5


def _time_rows(land: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for path in sorted((land / "time-registration").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(list(csv.reader(handle, delimiter=";"))[1:])
    return rows


def test_coordination_hours_fall_after_the_integration(
    land: Path, manifest: dict[str, Any]
) -> None:
    go = iso_time(manifest["effects"]["integration"]["go_live"])
    opened = {r["number"]: sn_time(r["opened_at"]) for r in _orders(land, manifest).values()}
    hours = {"before": 0.0, "after": 0.0}
    for row in _time_rows(land):
        if row[4] == "Koordinering":
            period = "before" if opened[row[3]] < go else "after"
            hours[period] += float(row[5].replace(",", "."))
    truth = manifest["effects"]["integration"]["coordination_time"]
    assert round(hours["before"], 2) == truth["hours_before"]
    assert round(hours["after"], 2) == truth["hours_after"]
    assert truth["hours_per_order_before"] == pytest.approx(2.0, abs=0.05)
    assert truth["hours_per_order_after"] == pytest.approx(0.5, abs=0.05)
    assert truth["reduction_aav_per_year"] == pytest.approx(
        truth["expected_reduction_aav_per_year"], rel=0.35
    )


def test_approval_bottleneck_mean_wait(land: Path, manifest: dict[str, Any]) -> None:
    items = {r["sys_id"]: r for r in sn(land, "sc_req_item")}
    waits = [
        sn_time(r["sys_created_on"]) - sn_time(items[r["documentkey"]]["opened_at"])
        for r in sn(land, "sys_audit")
        if r["tablename"] == "sc_req_item"
        and r["fieldname"] == "approval"
        and (r["oldvalue"], r["newvalue"]) == ("requested", "approved")
    ]
    truth = manifest["effects"]["bottleneck"]
    assert len(waits) == truth["n"]
    assert mean(waits) / 3600 == pytest.approx(truth["mean_wait_h"], rel=0.001)
    assert truth["mean_wait_h"] == pytest.approx(truth["planted_mean_wait_h"], rel=0.1)


def _misuse_from_files(land: Path) -> dict[str, dict[str, int]]:
    revisions = read_pages(land / "azure-devops" / "workitemrevisions", "values")
    states: dict[int, list[str]] = defaultdict(list)
    for value in revisions:
        states[value["id"]].append(value["fields"]["System.State"])
    counts: dict[str, dict[str, int]] = defaultdict(Counter)
    for item in read_pages(land / "azure-devops" / "workitems", "value"):
        fields = item["fields"]
        kind, area = fields["System.WorkItemType"], fields["System.AreaPath"]
        if kind == "Epic":
            continue
        c = counts[area]
        c["work_items"] += 1
        c["iteration_at_root"] += fields["System.IterationPath"] == "KIT"
        if kind == "Feature":
            c["features"] += 1
            c["features_without_epic"] += "System.Parent" not in fields
        if "Closed" in states[item["id"]]:
            c["closed_items"] += 1
            c["closed_without_active"] += "Active" not in states[item["id"]]
    return counts


def test_devops_misuse_is_concentrated_in_one_area(land: Path, manifest: dict[str, Any]) -> None:
    truth = manifest["effects"]["devops_misuse"]
    measured = _misuse_from_files(land)
    paths = {a["name"]: a["ado_area_path"] for a in manifest["organisation"]["service_areas"]}
    for name, stats in truth["by_service_area"].items():
        for key in ("features", "features_without_epic", "closed_items", "closed_without_active",
                    "work_items", "iteration_at_root"):  # fmt: skip
            assert measured[paths[name]][key] == stats[key], (name, key)
    worst = truth["service_area"]
    for rate in ("feature_without_epic_rate", "closed_without_active_rate",
                 "iteration_at_root_rate"):  # fmt: skip
        rates = {name: s[rate] for name, s in truth["by_service_area"].items()}
        others = max(v for k, v in rates.items() if k != worst)
        assert rates[worst] > 0.15 and rates[worst] >= 3 * others, (rate, rates)


def _robot_months(land: Path) -> dict[str, Counter[str]]:
    queues = {
        q["Id"]: q["Description"]
        for q in read_pages(land / "robots" / "uipath" / "QueueDefinitions", "value")
    }
    flows = {
        f["workflowid"]: f["description"]
        for f in read_pages(land / "robots" / "power-automate" / "workflows", "value")
    }
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for item in read_pages(land / "robots" / "uipath" / "QueueItems", "value"):
        months[queues[item["QueueDefinitionId"]]][item["StartProcessing"][:7]] += 1
    for s in read_pages(land / "robots" / "power-automate" / "flowsessions", "value"):
        months[flows[s["_regardingobjectid_value"]]][s["startedon"][:7]] += 1
    return months


def test_robot_volumes_per_month_match_the_manifest(land: Path, manifest: dict[str, Any]) -> None:
    measured = _robot_months(land)
    automations = manifest["effects"]["automations"]
    assert len(automations) == 5
    for auto in automations:
        robot = auto["robot"]
        assert dict(measured[auto["name"]]) == robot["transactions_by_month"]
        assert min(robot["transactions_by_month"]) >= auto["go_live"][:7]
        months = len(robot["transactions_by_month"])
        expected = auto["monthly_volume"] * months
        assert abs(robot["transactions"] - expected) <= 4 * expected**0.5 + 2, auto["key"]


def test_robot_exceptions_match_the_rates(land: Path, manifest: dict[str, Any]) -> None:
    items = read_pages(land / "robots" / "uipath" / "QueueItems", "value")
    kinds = Counter(i["ProcessingExceptionType"] for i in items)
    uipath = [a for a in manifest["effects"]["automations"] if a["platform"] == "uipath"]
    assert kinds["BusinessException"] == sum(a["robot"]["business_exceptions"] for a in uipath)
    assert kinds["ApplicationException"] == sum(
        a["robot"]["application_exceptions"] for a in uipath
    )
    total = sum(a["robot"]["transactions"] for a in manifest["effects"]["automations"])
    failed = sum(
        a["robot"]["business_exceptions"] + a["robot"]["application_exceptions"]
        for a in manifest["effects"]["automations"]
    )
    assert 0.03 < failed / total < 0.15


def test_before_go_live_the_work_is_manual_hours(land: Path, manifest: dict[str, Any]) -> None:
    hours: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _time_rows(land):
        hours[row[4]][row[0][:7]] += round(float(row[5].replace(",", ".")) * 100)
    for auto in manifest["effects"]["automations"]:
        truth = auto["time_registration"]
        mine = {m: c / 100 for m, c in hours[truth["aktivitet"]].items()}
        assert mine == pytest.approx(truth["hours_by_month"]), auto["key"]
        before, after = truth["mean_hours_per_month_before"], truth["mean_hours_per_month_after"]
        assert before == pytest.approx(truth["expected_hours_per_month_before"], rel=0.3)
        assert after < 0.6 * before, auto["key"]


def test_manual_cases_become_robot_cases_in_servicenow(
    land: Path, manifest: dict[str, Any]
) -> None:
    """Process-mining view: who closes the handling task, before and after go-live."""
    users = {r["sys_id"]: r["user_name"] for r in sn(land, "sys_user")}
    auto = next(a for a in manifest["effects"]["automations"] if a["key"] == "standard_requests")
    go = iso_time(auto["go_live"])
    closers: dict[str, Counter[str]] = {"before": Counter(), "after": Counter()}
    for task in sn(land, "sc_task"):
        if task["short_description"] != auto["servicenow"]["handling_task"] or task["state"] != "3":
            continue
        period = "before" if sn_time(task["opened_at"]) < go else "after"
        robot = users[task["assigned_to"]] == "svc_uipath_robot"
        closers[period]["robot" if robot else "person"] += 1
    assert closers["before"]["robot"] == 0 and closers["before"]["person"] > 0
    assert closers["after"]["robot"] == auto["robot"]["successful"]
    assert closers["after"]["person"] / sum(closers["after"].values()) < 0.2


# -- CLI and layering ----------------------------------------------------------------------------


def test_cli_simulate_writes_files_and_a_summary(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command, so 'simulate' is a sub-command
    register(app)
    out = tmp_path / "cli"
    args = ["simulate", "--out", str(out), "--seed", "3", "--scale", "0.02"]
    result = CliRunner().invoke(app, [*args, "--start", "2024-01-01", "--end", "2024-12-31"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Wrote" in result.stdout and "manifest.json" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"]["seed"] == 3
    assert manifest["generator"]["end_exclusive"] == "2025-01-01T00:00:00Z"
    assert (out / "servicenow" / "incident" / "page-00001.json").exists()
    bad = CliRunner().invoke(app, ["simulate", "--out", str(out), "--scale", "0"])
    assert bad.exit_code != 0


def test_simulation_imports_neither_extractors_nor_mining() -> None:
    root = Path(__file__).resolve().parents[1] / "app" / "simulation"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("extractors", "mining")), (path.name, name)
