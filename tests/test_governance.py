"""Governance: the SAFe rules per service area and month, the breaking items and their export.

On a hand-made result of ``check_rules`` the shares are counted by hand; on the simulated KIT
landscape the page's table shows the planted misuse in Drift og Infrastruktur with the rates the
follow-up computes from the staged work items (an independent reading of the same rules), and
it is the worst area.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook

from app.dashboard import create_app, ids
from app.dashboard.pages import governance
from app.i18n import translate
from mining import compute_devops_rule_rates, find_breaking_cases, summarize_breaking_cases
from models.store import LogStore
from services import compute_governance
from tests.conftest import KitLandscape
from tests.test_dashboard import table_rows, text

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"


def results_frame() -> pl.DataFrame:
    """Two rules on five cases: u1 breaks r1 in unit A (Jan), u2 breaks both in A (Jan), u3
    passes in A (Feb), u4 breaks r2 in B (Jan), u5 in B is not concerned by any rule."""
    rows = [
        ("r1", "u1", "A", "2024-01", True, 1, False),
        ("r2", "u1", "A", "2024-01", True, 0, True),
        ("r1", "u2", "A", "2024-01", True, 2, False),
        ("r2", "u2", "A", "2024-01", True, 1, False),
        ("r1", "u3", "A", "2024-02", True, 0, True),
        ("r2", "u3", "A", "2024-02", False, 0, None),
        ("r1", "u4", "B", "2024-01", False, 0, None),
        ("r2", "u4", "B", "2024-01", True, 1, False),
        ("r1", "u5", "B", "2024-01", False, 0, None),
        ("r2", "u5", "B", "2024-01", False, 0, None),
    ]
    columns = ["rule", "case_id", "org_unit", "month", "applies", "violations", "passed"]
    return pl.DataFrame(rows, schema=columns, orient="row")


def test_the_share_breaking_any_rule_per_unit_and_month() -> None:
    events = pl.DataFrame({"case_id": ["u1"], "activity": ["a"]})  # names no one
    by_month, small = summarize_breaking_cases(results_frame(), events)
    assert by_month.rows() == [
        ("A", "2024-01", 2, 2, 100.0),
        ("A", "2024-02", 1, 0, 0.0),
        ("B", "2024-01", 1, 1, 100.0),
    ]
    assert small == 0
    by_unit, _ = summarize_breaking_cases(results_frame(), events, by_month=False)
    assert by_unit.select("org_unit", "cases", "breaking_cases").rows() == [
        ("A", 3, 2),
        ("B", 1, 1),
    ]
    assert by_unit["breaking_pct"].to_list() == pytest.approx([200 / 3, 100.0])
    assert find_breaking_cases(results_frame()).select("rule", "case_id").rows() == [
        ("r1", "u1"),
        ("r1", "u2"),
        ("r2", "u2"),
        ("r2", "u4"),
    ]


def test_a_month_whose_items_name_fewer_than_5_people_is_left_out() -> None:
    # A's January cases name 5 people, its February case 1, B's January case 4.
    people = [("u1", f"p{i}") for i in range(3)] + [("u2", "p3"), ("u2", "p4")]
    people += [("u3", "p0")] + [("u4", f"q{i}") for i in range(4)]
    events = pl.DataFrame(people, schema=["case_id", "resource"], orient="row")
    by_month, small = summarize_breaking_cases(results_frame(), events)
    assert by_month.select("org_unit", "month").rows() == [("A", "2024-01")]
    assert small == 2


# --- on the simulated landscape ----------------------------------------------------------------


@pytest.fixture(scope="module")
def landscape_store(
    kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory
) -> LogStore:
    """The landscape in a folder of this module's own (signing in writes to its audit trail)."""
    root = tmp_path_factory.mktemp("governance-landscape") / "data"
    shutil.copytree(kit_landscape.data_dir, root)
    return LogStore(root)


def expected_rates(store: LogStore) -> dict[str, tuple[int, float]]:
    """Items and share breaking per service area, as the follow-up reads the staged tables."""
    workitems, revisions = (
        pl.read_parquet(store.data.staged_table("azure-devops", table))
        for table in ("workitems", "revisions")
    )
    rates = compute_devops_rule_rates(workitems, revisions)
    return {area: (items, pct) for area, items, pct in rates.iter_rows()}


def danish_pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def test_the_planted_misuse_is_the_worst_area_with_the_rates_of_the_data(
    landscape_store: LogStore, kit_landscape: KitLandscape
) -> None:
    report = compute_governance(landscape_store, "azure-devops", threshold_pct=10)
    expected = expected_rates(landscape_store)
    found = {
        unit: (cases, pct)
        for unit, cases, pct in report.by_area.select("org_unit", "cases", "breaking_pct").rows()
    }
    assert found.keys() == expected.keys()
    for area, (items, pct) in expected.items():
        assert found[area][0] == items, area
        assert found[area][1] == pytest.approx(pct), area
    misuse = kit_landscape.manifest["effects"]["devops_misuse"]
    planted = misuse["area_path"].split("\\")[1]
    assert planted == "Drift og Infrastruktur"
    assert max(found, key=lambda unit: found[unit][1]) == planted

    # The page's table: the worst area first, its exact figures, over the threshold.
    view = governance.render_governance(
        landscape_store, log="azure-devops", threshold_text="10", area=None, rule=None,
        language="da",
    )  # fmt: skip
    rows = table_rows(view.areas)
    items, pct = expected[planted]
    breaking = round(items * pct / 100)
    counts = misuse["by_service_area"]["Drift & Infrastruktur"]
    assert rows[0] == [
        planted, str(items), str(breaking), danish_pct(pct), "over tærskel",
        str(counts["features_without_epic"]), "0", str(counts["closed_without_active"]),
        str(counts["iteration_at_root"]),
    ]  # fmt: skip
    assert all(row[4] == "under tærskel" for row in rows[1:])
    # The trend draws the area's months, above the threshold line.
    trend = {t["name"]: t for t in view.figure["data"]}
    assert set(trend) == set(expected) | {"Tærskel 10 %"}
    monthly = report.by_month.filter(pl.col("org_unit") == planted)
    shown = [y for y in trend[planted]["y"] if y is not None]
    assert shown == pytest.approx(monthly["breaking_pct"].to_list())
    assert sum(monthly["cases"]) + report.small_rows > 0
    assert view.figure["layout"]["separators"] == ",."


def test_the_drill_down_names_items_not_people(landscape_store: LogStore) -> None:
    report = compute_governance(landscape_store, "azure-devops", threshold_pct=10)
    table = governance.breach_table(report, "Drift og Infrastruktur", "feature-has-epic", "da")
    assert [c.label for c in table.columns] == [
        "Id", "Type", "Regel", "Serviceområde", "Iteration", "Måned",
    ]  # fmt: skip
    assert set(table.texts("type")) == {"Feature"}
    assert set(table.texts("rule")) == {"Feature har en Epic"}
    workitems = pl.read_parquet(landscape_store.data.staged_table("azure-devops", "workitems"))
    orphans = workitems.filter(
        (pl.col("work_item_type") == "Feature")
        & pl.col("parent").is_null()
        & pl.col("area_path").str.ends_with("Drift og Infrastruktur")
    )
    assert sorted(table.texts("id"), key=int) == sorted(str(i) for i in orphans["id"])
    assert "resource" not in report.breaches.columns


def test_invalid_threshold_and_no_log_are_messages(landscape_store: LogStore) -> None:
    bad = governance.render_governance(
        landscape_store, log="azure-devops", threshold_text="ti", area=None, rule=None,
        language="da",
    )  # fmt: skip
    assert text(bad.message) == "Tærsklen skal være et tal mellem 0 og 100 (fx 10)."
    none = governance.render_governance(
        landscape_store, log=None, threshold_text="10", area=None, rule=None, language="en"
    )
    assert text(none.message) == "Choose a log to check the rules on."
    assert governance.parse_percent("7,5 %") == 7.5
    assert governance.parse_percent("101") is None


def test_the_threshold_comes_from_the_task_management_binding(tmp_path: Path) -> None:
    from services import find_rule_threshold  # noqa: PLC0415

    store = LogStore(tmp_path / "data")
    assert find_rule_threshold(store) == 10.0  # none bound: the default
    folder = store.data.business_cases()
    folder.mkdir(parents=True, exist_ok=True)
    for path in CASES.glob("cross-cutting-task-management*.yaml"):
        text_ = path.read_text("utf-8").replace("threshold: 10}", "threshold: 12.5}")
        (folder / path.name).write_text(text_, "utf-8")
    assert find_rule_threshold(store) == 12.5


def download_body(kind: str, area: str | None) -> dict[str, Any]:
    button = ids.GOVERNANCE_XLSX if kind == "xlsx" else ids.GOVERNANCE_CSV
    return {
        "output": f"{ids.GOVERNANCE_DOWNLOAD}.data",
        "outputs": {"id": ids.GOVERNANCE_DOWNLOAD, "property": "data"},
        "inputs": [
            {"id": ids.GOVERNANCE_CSV, "property": "n_clicks", "value": int(kind == "csv")},
            {"id": ids.GOVERNANCE_XLSX, "property": "n_clicks", "value": int(kind == "xlsx")},
        ],
        "state": [
            {"id": ids.GOVERNANCE_LOG, "property": "value", "value": "azure-devops"},
            {"id": ids.GOVERNANCE_THRESHOLD, "property": "value", "value": "10"},
            {"id": ids.GOVERNANCE_AREA, "property": "value", "value": area},
            {"id": ids.GOVERNANCE_RULE, "property": "value", "value": None},
            {"id": ids.GOVERNANCE_LANGUAGE, "property": "data", "value": "en"},
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def test_the_exports_per_role_hold_every_breach(
    landscape_store: LogStore, sign_in: Callable[..., Any]
) -> None:
    app = create_app(landscape_store)
    director = sign_in(app.server.test_client(), "director")
    assert director.get("/governance").status_code == 403
    refused = director.post("/_dash-update-component", json=download_body("csv", None))
    assert refused.status_code == 403
    analyst = sign_in(app.server.test_client(), "analyst")
    assert analyst.get("/governance?lang=en").status_code == 200
    answer = analyst.post("/_dash-update-component", json=download_body("csv", None))
    data = json.loads(answer.data)["response"][ids.GOVERNANCE_DOWNLOAD]["data"]
    assert data["filename"] == "governance-breaches-azure-devops.csv"
    lines = base64.b64decode(data["content"]).decode("utf-8").splitlines()
    report = compute_governance(landscape_store, "azure-devops", threshold_pct=10)
    assert lines[0] == "Id,Type,Rule,Service area,Iteration,Month"
    assert len(lines) == 1 + report.breaches.height
    answer = analyst.post(
        "/_dash-update-component", json=download_body("xlsx", "Drift og Infrastruktur")
    )
    data = json.loads(answer.data)["response"][ids.GOVERNANCE_DOWNLOAD]["data"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    assert sheet is not None
    planted = report.breaches.filter(pl.col("org_unit") == "Drift og Infrastruktur")
    assert sheet.max_row == 1 + planted.height
    assert {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)} == {
        "Drift og Infrastruktur"
    }


def test_the_navigation_names_the_page() -> None:
    assert translate("nav.governance", "da") == "Governance"
    assert governance.PATH == "/governance"


def test_the_check_is_kept_until_the_log_or_the_rules_change(tmp_path: Path) -> None:
    import os  # noqa: PLC0415

    from tests.test_dashboard_analysis import import_csv  # noqa: PLC0415

    store = LogStore(tmp_path / "data")
    csv = "case_id,activity,timestamp,org_unit\n"
    csv += "1,a,2025-01-06T08:00:00Z,A\n2,b,2025-01-06T09:00:00Z,A\n3,b,2025-01-07T08:00:00Z,B\n"
    import_csv(store, tmp_path, "items", csv)
    rules = store.data.root / "rules.yaml"
    rules.write_text(
        "rules:\n  - {id: only-a, kind: attribute_in, column: activity, values: [a]}\n", "utf-8"
    )
    first = compute_governance(store, "items", threshold_pct=10)
    assert first.by_area.select("org_unit", "cases", "breaking_cases").rows() == [
        ("A", 2, 1),
        ("B", 1, 1),
    ]
    again = compute_governance(store, "items", threshold_pct=50)
    assert again.by_area is first.by_area and again.threshold_pct == 50
    rules.write_text(
        "rules:\n  - {id: only-b, kind: attribute_in, column: activity, values: [b]}\n", "utf-8"
    )
    os.utime(rules, ns=(1, rules.stat().st_mtime_ns + 1_000_000_000))
    changed = compute_governance(store, "items", threshold_pct=10)
    assert changed.rules == ("only-b",)
    assert changed.by_area.select("org_unit", "breaking_cases").rows() == [("A", 1), ("B", 0)]
