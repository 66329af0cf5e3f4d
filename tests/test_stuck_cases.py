"""Fastlåste sager: open cases untouched for a number of working days, on a hand-made log.

UTC times; Copenhagen is UTC+2 in summer. The Danish calendar of June 2025: Thursday 5 June is
Grundlovsdag and Monday 9 June 2. pinsedag (Easter 20 April + 50), both days off; office hours
8–16 (8 hours a working day). As of 13 June 2025 00:00 in Copenhagen (12 June 22:00 UTC):

    A: Servicedesk 2.6 06:00, Drift 3.6 08:00, (no unit) 4.6 10:00 = 12:00 local
       waits at Drift since 3.6; untouched since 4.6 12:00: 4 h (0,5) + Fri 6.6 (1)
       + Tue-Thu 10.-12.6 (3) = 4,5 working days
    B: Applikationer 10.6, closed 11.6                                   ended: not listed
    C: Sikkerhed 11.6 06:00 = 08:00 local: Wed + Thu = 2,0 working days
    D: begins 13.6 10:00 UTC, after the moment                         not begun: not listed
    E: Servicedesk 30.5 06:00, Drift 07:00, Servicedesk again 09:00 = 11:00 local; closed 20.6
       waits at Servicedesk since its return (30.5 09:00): Fri 5 h (0,625) + Mon-Wed 2.-4.6 (3)
       + Fri 6.6 (1) + Tue-Thu 10.-12.6 (3) = 7,625 working days
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.dashboard import create_app, ids
from app.dashboard.pages import stuck
from app.i18n import translate
from mining import find_stuck_cases
from models.store import LogStore
from services import find_stuck
from tests.test_dashboard import table_rows, text
from tests.test_dashboard_analysis import import_csv

LOG_CSV = """case_id,activity,timestamp,org_unit
A,Created,2025-06-02T06:00:00Z,Servicedesk
A,Assigned to group,2025-06-03T08:00:00Z,Drift
A,State: Work in Progress,2025-06-04T10:00:00Z,
B,Created,2025-06-10T09:00:00Z,Applikationer
B,State: Closed Complete,2025-06-11T09:00:00Z,Applikationer
C,Created,2025-06-11T06:00:00Z,Sikkerhed
D,Created,2025-06-13T10:00:00Z,Servicedesk
E,Created,2025-05-30T06:00:00Z,Servicedesk
E,Assigned to group,2025-05-30T07:00:00Z,Drift
E,Assigned to group,2025-05-30T09:00:00Z,Servicedesk
E,State: Closed Complete,2025-06-20T09:00:00Z,Servicedesk
"""
AS_OF = dt.datetime(2025, 6, 12, 22, 0, tzinfo=dt.UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    log_store = LogStore(tmp_path / "data")
    import_csv(log_store, tmp_path, "orders", LOG_CSV)
    yield log_store
    log_store.catalog.dispose()


def test_the_waiting_cases_with_where_since_when_and_how_long(store: LogStore) -> None:
    found = find_stuck_cases(
        store.read("orders"),
        as_of=AS_OF,
        min_working_days=0,
        closing=["State: Closed Complete"],
    )
    assert found.select("case_id", "org_unit", "in_unit_since", "last_activity").rows() == [
        ("E", "Servicedesk", utc("2025-05-30T09:00"), "Assigned to group"),
        ("A", "Drift", utc("2025-06-03T08:00"), "State: Work in Progress"),
        ("C", "Sikkerhed", utc("2025-06-11T06:00"), "Created"),
    ]
    assert found["waiting_since"].to_list() == [
        utc("2025-05-30T09:00"),
        utc("2025-06-04T10:00"),
        utc("2025-06-11T06:00"),
    ]
    assert found["waiting_working_days"].to_list() == pytest.approx([7.625, 4.5, 2.0])


def test_the_threshold_keeps_the_longer_waits_oldest_first(store: LogStore) -> None:
    found = find_stuck_cases(
        store.read("orders"), as_of=AS_OF, min_working_days=4.5, closing=["State: Closed Complete"]
    )
    assert found["case_id"].to_list() == ["E", "A"]
    later = find_stuck_cases(
        store.read("orders"),
        as_of=utc("2025-06-21T00:00"),
        min_working_days=0,
        closing=["State: Closed Complete"],
    )
    assert later["case_id"].to_list() == ["A", "C", "D"]  # E closed on 20.6


def test_a_log_without_org_units_waits_at_none() -> None:
    events = pl.DataFrame(
        {
            "case_id": ["x"],
            "activity": ["a"],
            "timestamp": [utc("2025-06-10T06:00")],
        }
    )
    found = find_stuck_cases(events, as_of=AS_OF, min_working_days=0, closing=[])
    assert found.select("case_id", "org_unit").rows() == [("x", "(none)")]
    assert found["waiting_working_days"].to_list() == pytest.approx([3.0])


def test_the_service_finds_the_closing_states_and_counts_the_open(store: LogStore) -> None:
    report = find_stuck(store, "orders", as_of=AS_OF, min_working_days=3)
    assert report.cases["case_id"].to_list() == ["E", "A"]
    assert report.open_cases == 3
    at_end = find_stuck(store, "orders")  # default: just after the last event (20.6 09:00)
    assert at_end.as_of == utc("2025-06-20T09:00") + dt.timedelta(microseconds=1)
    # D waits 4 h + Mon-Thu 16.-19.6 + 3 h on Friday = 4,875 working days: under the default 5.
    assert at_end.cases["case_id"].to_list() == ["A", "C"]


# --- the page -----------------------------------------------------------------------------------


def test_the_page_lists_the_cases_in_danish(store: LogStore) -> None:
    view = stuck.render_stuck(
        store, log="orders", as_of_text="12.06.2025", days_text="3", language="da"
    )
    assert view.summary == "2 af 3 åbne sager har ventet mindst 3 arbejdsdage pr. 12.06.2025."
    assert table_rows(view.table) == [
        ["E", "Servicedesk", "30.05.2025 11:00", "Assigned to group", "30.05.2025 11:00", "7,6"],
        ["A", "Drift", "03.06.2025 10:00", "State: Work in Progress", "04.06.2025 12:00", "4,5"],
    ]
    assert table_rows(view.areas) == [["Drift", "1"], ["Servicedesk", "1"]]


def test_the_page_in_english_and_its_messages(store: LogStore) -> None:
    view = stuck.render_stuck(
        store, log="orders", as_of_text="2025-06-12", days_text="2,5", language="en"
    )
    assert (
        view.summary == "2 of 3 open cases have waited at least 2.5 working days as of 2025-06-12."
    )
    wrong_date = stuck.render_stuck(
        store, log="orders", as_of_text="31.02.2025", days_text="5", language="da"
    )
    assert text(wrong_date.message) == (
        "Datoen 31.02.2025 kan ikke læses: skriv den som dd.mm.åååå, fx 30.06.2025."
    )
    wrong_days = stuck.render_stuck(
        store, log="orders", as_of_text="", days_text="-1", language="da"
    )
    assert text(wrong_days.message) == ("Antal arbejdsdage skal være et tal fra 0 og op (fx 5).")
    none = stuck.render_stuck(store, log="orders", as_of_text="12.06.2025", days_text="30",
                              language="da")  # fmt: skip
    assert text(none.message) == "Ingen sager venter så længe."
    assert text(stuck.render_stuck(store, None, None, "5", "da").message) == (
        "Vælg en log med bestillinger."
    )


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/_dash-update-component", json=body)


def download_body(kind: str) -> dict[str, Any]:
    button = ids.STUCK_XLSX if kind == "xlsx" else ids.STUCK_CSV
    return {
        "output": f"{ids.STUCK_DOWNLOAD}.data",
        "outputs": {"id": ids.STUCK_DOWNLOAD, "property": "data"},
        "inputs": [
            {"id": ids.STUCK_CSV, "property": "n_clicks", "value": 1 if kind == "csv" else 0},
            {"id": ids.STUCK_XLSX, "property": "n_clicks", "value": 1 if kind == "xlsx" else 0},
        ],
        "state": [
            {"id": ids.STUCK_LOG, "property": "value", "value": "orders"},
            {"id": ids.STUCK_AS_OF, "property": "value", "value": "12.06.2025"},
            {"id": ids.STUCK_DAYS, "property": "value", "value": "3"},
            {"id": ids.STUCK_LANGUAGE, "property": "data", "value": "da"},
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def test_the_export_per_role_and_its_content(store: LogStore, sign_in: Callable[..., Any]) -> None:
    import base64  # noqa: PLC0415
    import io  # noqa: PLC0415

    from openpyxl import load_workbook  # noqa: PLC0415

    app = create_app(store)
    assert sign_in(app.server.test_client(), "director").get("/stuck").status_code == 403
    assert (
        post(sign_in(app.server.test_client(), "director"), download_body("csv")).status_code == 403
    )
    assert app.server.test_client().get("/stuck").status_code == 302
    analyst = sign_in(app.server.test_client(), "analyst")
    assert analyst.get("/stuck?lang=en").status_code == 200
    answer = post(analyst, download_body("csv"))
    assert answer.status_code == 200
    data = json.loads(answer.data)["response"][ids.STUCK_DOWNLOAD]["data"]
    assert data["filename"] == "fastlaaste-sager-orders-12.06.2025.csv"
    lines = base64.b64decode(data["content"]).decode("utf-8").splitlines()
    assert lines == [
        "Sag,Venter hos,Hos enheden siden,Seneste hændelse,Venter siden,Arbejdsdage",
        "E,Servicedesk,30.05.2025 11:00,Assigned to group,30.05.2025 11:00,7.6",
        "A,Drift,03.06.2025 10:00,State: Work in Progress,04.06.2025 12:00,4.5",
    ]
    workbook = json.loads(post(analyst, download_body("xlsx")).data)["response"]
    content = base64.b64decode(workbook[ids.STUCK_DOWNLOAD]["data"]["content"])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == [
        "E", "Servicedesk", "30.05.2025 11:00", "Assigned to group", "30.05.2025 11:00", 7.6,
    ]  # fmt: skip


def test_an_exported_case_name_that_looks_like_a_formula_is_text(tmp_path: Path) -> None:
    import base64  # noqa: PLC0415

    log_store = LogStore(tmp_path / "data")
    import_csv(
        log_store,
        tmp_path,
        "evil",
        'case_id,activity,timestamp,org_unit\n"=HYPERLINK(1)",a,2025-06-02T06:00:00Z,"@x"\n',
    )
    data = stuck.export_stuck(
        log_store, log="evil", as_of="12.06.2025", days="0", language="en", kind="csv"
    )
    assert data is not None
    lines = base64.b64decode(data["content"]).decode("utf-8").splitlines()
    assert lines[1] == "'=HYPERLINK(1),'@x,2025-06-02 08:00,a,2025-06-02 08:00,7.0"


def test_the_navigation_names_the_page() -> None:
    assert translate("nav.stuck", "da") == "Fastlåste sager"
    assert translate("nav.stuck", "en") == "Stuck cases"
    assert stuck.PATH == "/stuck"


def test_two_spellings_of_one_unit_are_one_unit() -> None:
    events = pl.DataFrame(
        {
            "case_id": ["x", "x", "y"],
            "activity": ["Created", "Assigned to group", "Created"],
            "timestamp": [
                utc("2025-06-10T06:00"),
                utc("2025-06-11T06:00"),
                utc("2025-06-11T06:00"),
            ],
            "org_unit": [
                "Drift & Infrastruktur",
                "Drift og Infrastruktur",
                "Drift og Infrastruktur",
            ],
        }
    )
    found = find_stuck_cases(events, as_of=AS_OF, min_working_days=0, closing=[])
    assert found.select("case_id", "org_unit", "in_unit_since").rows() == [
        ("x", "Drift og Infrastruktur", utc("2025-06-10T06:00")),
        ("y", "Drift og Infrastruktur", utc("2025-06-11T06:00")),
    ]
