"""The Metode page ("Sådan måles gevinsterne", issue #14) and the report's method notes: who
may open the page (server-side, every role and none), the exact sentences of hand-made checks
and disagreements in Danish and English, and the same sentences in the report's HTML and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.dashboard import create_app, ids
from app.dashboard.auth_access import page_allowed
from app.dashboard.auth_settings import AuthSettings
from app.dashboard.pages import method
from app.dashboard.routes import METHOD_PATH
from app.dashboard.shell import build_header
from app.reports import render_followup_report
from models.accounts import ROLES
from models.benefit_checks import CAUSES, Check, Disagreement
from models.realisation import CaseRealisation
from models.store import LogStore
from services.cockpit import CaseOverview
from services.followup import FollowUpReport
from tests.test_dashboard import by_id, text, walk
from tests.test_dashboard_cockpit import AS_OF, SOLUTION, TITLE, make_overview, view_of

SECRET = "test-secret-0123456789abcdef0123456789"

COSTLY = Check("costly_exceptions", ("robot",), True,
               {"exception_minutes": 14.3, "manual_minutes": 9.5})  # fmt: skip
ASSUMED = Check("manual_minutes_assumed", ("robot", "process_mining"), False,
                {"manual_minutes": 1234.5})  # fmt: skip
ROUNDED = Check(
    "registration_rounded", ("time_registration",), False,
    {"registered_minutes": 15.0, "mined_minutes": 11.2, "gap_pct": 33.9}, 33.9,
)  # fmt: skip
GAP = Disagreement("time_registration", "robot", 1403.0, 1048.0, 33.87, ROUNDED)

COSTLY_DA = "En undtagelse koster 14,3 min. mod 9,5 min. for en manuel sag; trukket fra"
COSTLY_EN = "An exception costs 14.3 min against 9.5 min for a manual case; subtracted"
ASSUMED_DA = "De manuelle minutter (1.234,5 min.) er antaget i bindingsfilen, ikke målt"
ASSUMED_EN = "The manual minutes (1,234.5 min) are assumed in the binding file, not measured"
GAP_DA = (
    "Tidsregistrering giver 1.403 t mod kørselsdatas 1.048 t (+34 %). Mest sandsynlig årsag: "
    "tiden er rundet op til kvarte timer: 15,0 min. registreret pr. sag mod 11,2 min. målt i "
    "ServiceNow før idriftsættelse"
)
GAP_EN = (
    "Time registration gives 1,403 h against robot run data's 1,048 h (+34 %). Most likely "
    "cause: time is rounded up to quarter hours: 15.0 min registered per case against 11.2 min "
    "measured in ServiceNow before go-live"
)
NO_CHECKS_DA = "KIT Flow har ikke fundet forhold i data, der kan snyde målingen af denne løsning."


def checked_overview() -> CaseOverview:
    """The hand-made automation case with two solutions: one with two checks (one corrected)
    and a disagreement, one with nothing found."""
    first = replace(SOLUTION, checks=(COSTLY, ASSUMED), disagreements=(GAP,))
    second = replace(SOLUTION, name="Automatisering af indsigtsanmodninger", checks=())
    realisation = CaseRealisation(TITLE, 2023, (first, second), (), 4, 5, 2024)
    overview = make_overview()
    return replace(overview, followup=FollowUpReport(realisation, overview.followup.targets, AS_OF))


def solution_block(page: Any, number: int) -> Any:
    return by_id(page, {"type": method.SOLUTION, "key": f"automation-solutions-{number}"})


def items(tree: Any) -> list[str]:
    return [text(n) for n in walk(tree) if type(n).__name__ == "Li"]


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_each_check_marked_corrected_or_not_in_danish() -> None:
    page = method.build_page(view_of(checked_overview()), "da")
    assert text(by_id(page, method.TITLE)) == "Sådan måles gevinsterne"
    first = solution_block(page, 1)
    assert items(first) == [f"korrigeret   {COSTLY_DA}", f"ikke korrigeret   {ASSUMED_DA}"]
    assert GAP_DA in text(first)
    assert "Idriftsat 1.10.2023 · primær metode: kørselsdata" in text(first)
    assert NO_CHECKS_DA in text(solution_block(page, 2))
    assert text(by_id(page, method.AS_OF)) == "Opgjort pr. 31.12.2025"


def test_the_page_in_english() -> None:
    page = method.build_page(view_of(checked_overview()), "en")
    assert text(by_id(page, method.TITLE)) == "How the savings are measured"
    first = solution_block(page, 1)
    assert items(first) == [f"corrected   {COSTLY_EN}", f"not corrected   {ASSUMED_EN}"]
    assert GAP_EN in text(first)


def test_the_page_explains_every_cause_with_the_methods_it_can_fool() -> None:
    page = method.build_page(view_of(checked_overview()), "da")
    rows = [[text(td) for td in row.children] for row in walk(by_id(page, method.CAUSES_ID))
            if type(row).__name__ == "Tr"][1:]  # fmt: skip
    assert len(rows) == len(CAUSES)
    assert set(CAUSES) <= set(method.CAUSE_METHODS)
    by_cause = {row[0]: row for row in rows}
    assert by_cause["Manuel tid antaget"][2] == "kørselsdata, process mining"
    assert by_cause["Robotten tager kun en del af sagerne"][2] == "ingen af metoderne"
    assert "over 10 %" in by_cause["Registreret tid afviger"][3]
    assert "over 5 % af sagerne" in by_cause["Sager uden tidsregistrering"][3]
    methods = text(page)
    assert "400 gange" in methods and "mere end 20 %" in methods
    assert "»aflæses i kørselsdata«" in methods


def test_the_page_without_cases_still_explains_the_methods() -> None:
    from app.dashboard.cockpit_data import CockpitView  # noqa: PLC0415
    from app.dashboard.components import note  # noqa: PLC0415
    from app.dashboard.data import Cockpit  # noqa: PLC0415

    empty = CockpitView(Cockpit((), AS_OF, ()), note("none", note_id=method.MESSAGE))
    page = method.build_page(empty, "da")
    assert text(by_id(page, method.MESSAGE)) == "none"
    assert "Hvad kan snyde målingen" in text(by_id(page, method.CAUSES_ID))


def test_the_navigation_names_the_page_next_to_gevinstrealisering() -> None:
    nav, _, _ = build_header(METHOD_PATH, "")
    labels = [link.children for link in nav]
    assert labels[labels.index("Gevinstrealisering") + 1] == "Metode"
    assert "is-active" in nav[labels.index("Metode")].className


# --- who may open it ---------------------------------------------------------------------------


def router_body(pathname: str) -> dict[str, Any]:
    """The Dash Pages router's request for the page at ``pathname``."""
    return {
        "output": "..._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": ids.SHELL_URL, "property": "pathname", "value": pathname},
                   {"id": ids.SHELL_URL, "property": "search", "value": ""}],
        "state": [],
        "changedPropIds": [f"{ids.SHELL_URL}.pathname"],
    }  # fmt: skip


def test_the_roles_of_the_page() -> None:
    assert all(page_allowed(METHOD_PATH, role) for role in ROLES)
    assert set(ROLES) == {"director", "analyst", "administrator"}


def test_every_role_may_open_the_page_and_no_one_else(
    tmp_path: Path, sign_in: Callable[..., Any]
) -> None:
    app = create_app(LogStore(tmp_path / "data"), auth=AuthSettings(secret_key=SECRET))
    sign_in(app.server.test_client()).get("/")  # Dash adds its page router on the first request
    router = next(o for o in app.callback_map if "_pages_content" in o)
    body = router_body(METHOD_PATH)
    body["output"] = router
    for role in ROLES:
        client = sign_in(app.server.test_client(), role)
        assert client.get(METHOD_PATH).status_code == 200, role
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, role
        assert "Sådan måles gevinsterne" in json.dumps(answer.json, ensure_ascii=False)
    anonymous = app.server.test_client()
    page = anonymous.get(METHOD_PATH)
    assert page.status_code == 302
    assert page.location.startswith("/login")
    assert anonymous.post("/_dash-update-component", json=body).status_code == 401
    stranger = sign_in(app.server.test_client(), "guest")  # no such role: no session
    assert stranger.get(METHOD_PATH).status_code == 302
    assert stranger.post("/_dash-update-component", json=body).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_the_page_refuses_a_role_its_table_leaves_out(
    tmp_path: Path, sign_in: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """The server checks the page's roles on every request: narrowed to the others, the role is
    refused both the page and the router's request for it."""
    from app.dashboard import auth_access  # noqa: PLC0415

    others = frozenset(r for r in ROLES if r != role)
    monkeypatch.setitem(auth_access.PAGE_ROLES, METHOD_PATH, others)  # type: ignore[arg-type]
    app = create_app(LogStore(tmp_path / "data"), auth=AuthSettings(secret_key=SECRET))
    sign_in(app.server.test_client()).get("/")
    body = router_body(METHOD_PATH)
    body["output"] = next(o for o in app.callback_map if "_pages_content" in o)
    client = sign_in(app.server.test_client(), role)
    assert client.get(METHOD_PATH).status_code == 403
    assert client.post("/_dash-update-component", json=body).status_code == 403


# --- the report's method notes -----------------------------------------------------------------


def test_the_report_html_has_the_method_notes() -> None:
    page = render_followup_report([checked_overview()], report_format="html").decode("utf-8")
    notes = page[page.index("<h2>Metodenoter</h2>") :]
    assert "<p>Kørselsdata: For hver sag, robotten har gennemført" in notes
    assert "<p>Tidsregistrering: De timer, medarbejderne" in notes
    assert "<p>Process mining: For hver sag efter idriftsættelsen" in notes
    solution = "<td>Automatisering af ledelsestilsyn</td>"
    assert f"{solution}<td>{COSTLY_DA}</td><td>korrigeret</td>" in notes
    assert f"{solution}<td>{ASSUMED_DA}</td><td>ikke korrigeret</td>" in notes
    assert f"{solution}<td>{GAP_DA}</td><td>uenighed mellem metoderne</td>" in notes
    assert f"<td>{NO_CHECKS_DA}</td><td>–</td>" in notes


def test_the_report_xlsx_has_the_method_notes() -> None:
    data = render_followup_report([checked_overview()], report_format="xlsx", language="en")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Method"]
    rows = [tuple(c for c in row if c is not None) for row in sheet.iter_rows(values_only=True)]
    solution = "Automatisering af ledelsestilsyn"
    assert ("Method notes",) in rows
    assert (TITLE, solution, COSTLY_EN, "corrected") in rows
    assert (TITLE, solution, ASSUMED_EN, "not corrected") in rows
    assert (TITLE, solution, GAP_EN, "methods disagree") in rows


def test_the_report_pdf_has_the_method_notes() -> None:
    from pypdf import PdfReader  # noqa: PLC0415

    data = render_followup_report([checked_overview()], report_format="pdf")
    pages = PdfReader(io.BytesIO(data)).pages
    words = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Metodenoter" in words
    assert "ikke korrigeret" in words
    assert dt.date(2025, 12, 31) == AS_OF
