"""The audit trail: sign-ins (in test_auth), page views, downloads, CLI exports and changes to
users are recorded; ``kitflow audit`` lists and exports them; nothing edits or deletes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dash import Input, Output
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from app.cli import cli
from app.dashboard import create_app
from app.dashboard.auth_settings import AuthSettings
from models.audit import AuditTrail
from models.store import LogStore

PASSWORD = "a-long-enough-password"


def entries(data_dir: Path) -> list[tuple[str, str, str, str]]:
    trail = AuditTrail(LogStore(data_dir).data.database_url)
    found = [(e.action, e.target, e.outcome, e.detail) for e in trail.list()]
    trail.dispose()
    return found


def run(*args: str, stdin: str | None = None) -> Any:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result


def test_user_changes_are_recorded(data_dir: Path) -> None:
    assert (
        run(
            "users", "add", "anna", "--role", "director", "--password-stdin", stdin=PASSWORD + "\n"
        ).exit_code
        == 0
    )
    assert run("users", "role", "anna", "analyst").exit_code == 0
    listed = run("users", "list", "--json")
    assert [(u["username"], u["role"]) for u in json.loads(listed.output)] == [("anna", "analyst")]
    assert run("users", "remove", "anna").exit_code == 0
    assert [(a, t, d) for a, t, _, d in entries(data_dir)] == [
        ("user-add", "anna", "role director"),
        ("user-role", "anna", "role director -> analyst"),
        ("user-remove", "anna", "role analyst"),
    ]
    assert "no user 'anna'" in str(run("users", "remove", "anna").exception)


def test_cli_exports_are_recorded_when_written(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    failed = run("export", "no-such-log", "--format", "csv", "--out", str(out))
    assert failed.exception is not None
    assert entries(data_dir) == []  # a refused export writes nothing, the database included
    written = tmp_path / "audit.json"
    assert run("audit", "--out", str(written), "--since", "2026-01-01").exit_code == 0
    action, target, outcome, detail = entries(data_dir)[-1]
    assert (action, target, outcome) == ("export", str(written), "ok")
    assert detail == f'kitflow audit {{"since": "2026-01-01", "out_path": "{written}"}}'


def test_audit_lists_and_exports(data_dir: Path, tmp_path: Path) -> None:
    trail = AuditTrail(LogStore(data_dir).data.database_url)
    trail.append(actor="ida", action="login", target="ida", address="10.0.0.1")
    trail.append(actor="ida", action="view", target="/analysis", address="10.0.0.1")
    shown = run("audit")
    assert "ida  login  ida  [ok] from 10.0.0.1" in shown.output
    as_json = json.loads(run("audit", "--json").output)
    assert [e["action"] for e in as_json] == ["login", "view"]
    assert json.loads(run("audit", "--json", "--since", "2999-01-01").output) == []
    assert "YYYY-MM-DD" in str(run("audit", "--since", "yesterday").exception)
    csv = tmp_path / "audit.csv"
    assert run("audit", "--out", str(csv)).exit_code == 0
    assert csv.read_text("utf-8").splitlines()[0] == (
        "id,at,actor,action,target,outcome,address,detail"
    )
    written = tmp_path / "audit.json"
    assert run("audit", "--out", str(written)).exit_code == 0
    assert [e["target"] for e in json.loads(written.read_text("utf-8"))][:2] == ["ida", "/analysis"]
    inside = run("audit", "--out", str(data_dir / "audit.json"))
    assert inside.exception is not None  # never into the data folder
    trail.dispose()


def test_the_trail_is_append_only(data_dir: Path) -> None:
    trail = AuditTrail(LogStore(data_dir).data.database_url)
    trail.append(actor="ida", action="login")
    public = {name for name in dir(trail) if not name.startswith("_")}
    assert public == {"append", "list", "dispose"}
    engine = create_engine(LogStore(data_dir).data.database_url)
    for statement in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()
    assert [e.actor for e in trail.list()] == ["ida"]
    trail.dispose()


def test_page_views_and_downloads_in_the_dashboard_are_recorded(
    data_dir: Path, sign_in: Callable[..., Any]
) -> None:
    app = create_app(LogStore(data_dir), auth=AuthSettings(secret_key="k" * 40))

    @app.callback(Output("followup-probe-download", "data"), Input("followup-probe", "n_clicks"))
    def probe(clicks: int | None) -> dict[str, str]:
        return {"content": "x", "filename": "probe.xlsx"}

    client = sign_in(app.server.test_client(), "analyst")
    router = app.server.test_client()  # first request: Dash adds its page router
    router.get("/login")
    for path in ("/analysis", "/logs"):
        client.post(
            "/_dash-update-component",
            json={
                "output": ".._pages_content.children..._pages_store.data..",
                "outputs": [],
                "inputs": [
                    {"id": "_pages_location", "property": "pathname", "value": path},
                    {"id": "_pages_location", "property": "search", "value": ""},
                ],
                "changedPropIds": [],
            },
        )
    sent = client.post(
        "/_dash-update-component",
        json={
            "output": "followup-probe-download.data",
            "outputs": {"id": "followup-probe-download", "property": "data"},
            "inputs": [{"id": "followup-probe", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["followup-probe.n_clicks"],
        },
    )
    assert sent.status_code == 200
    assert [(a, t) for a, t, _, _ in entries(data_dir)] == [
        ("view", "/analysis"),  # the logs page is no benefits or analysis page
        ("download", "followup-probe-download.data"),
    ]


def test_every_page_in_the_navigation_but_the_log_list_is_audited() -> None:
    from app.dashboard import auth_access, routes, shell  # noqa: PLC0415

    shown = {path for path, _ in shell._NAV}
    assert shown - auth_access.AUDITED_PAGES == {routes.LOGS_PATH}
