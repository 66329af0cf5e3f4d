"""The dashboard served as a product: waitress, allowed hosts, security headers, the session
secret, and --debug only on loopback."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.dashboard import create_app
from app.dashboard.auth_headers import host_name
from app.dashboard.auth_settings import AuthSettings, settings_from_env
from models.errors import KitflowError
from models.store import LogStore

SECRET = "serving-secret-0123456789abcdef012345"


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KITFLOW_SECRET_KEY",
        "KITFLOW_SECRET_KEY_FILE",
        "KITFLOW_ALLOWED_HOSTS",
        "KITFLOW_TRUSTED_PROXY",
        "KITFLOW_OIDC_ISSUER",
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_foreign_host_gets_400(store: LogStore) -> None:
    settings = AuthSettings(secret_key=SECRET, allowed_hosts=("kitflow.kk.dk",))
    client = create_app(store, auth=settings).server.test_client()
    assert client.get("/login", headers={"Host": "kitflow.kk.dk"}).status_code == 200
    assert client.get("/login", headers={"Host": "KITFLOW.kk.dk:443"}).status_code == 200
    rebinding = client.get("/login", headers={"Host": "attacker.example"})
    assert rebinding.status_code == 400
    assert "KITFLOW_ALLOWED_HOSTS" in rebinding.text


def test_allowed_hosts_default_to_the_bind_address_and_localhost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KITFLOW_SECRET_KEY", SECRET)
    assert settings_from_env(host="10.1.2.3").allowed_hosts == (
        "10.1.2.3",
        "localhost",
        "127.0.0.1",
    )
    monkeypatch.setenv("KITFLOW_ALLOWED_HOSTS", "kitflow.kk.dk, Kitflow.intern")
    assert settings_from_env(host="10.1.2.3").allowed_hosts == ("kitflow.kk.dk", "kitflow.intern")
    assert host_name("[::1]:8050") == "::1"
    assert host_name("example.org:80") == "example.org"


def test_every_response_has_the_security_headers(store: LogStore) -> None:
    client = create_app(store, auth=AuthSettings(secret_key=SECRET)).server.test_client()
    for response in (client.get("/login"), client.get("/"), client.get("/_dash-layout")):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers
    cookie = client.post("/login", data={"username": "x", "password": "y"}).headers
    assert "Strict-Transport-Security" not in cookie


def test_hsts_only_behind_a_trusted_tls_proxy(store: LogStore) -> None:
    https = {"X-Forwarded-Proto": "https"}
    untrusted = create_app(store, auth=AuthSettings(secret_key=SECRET)).server.test_client()
    assert "Strict-Transport-Security" not in untrusted.get("/login", headers=https).headers
    proxied = AuthSettings(secret_key=SECRET, trusted_proxy=True)
    client = create_app(store, auth=proxied).server.test_client()
    assert (
        "max-age=31536000"
        in client.get("/login", headers=https).headers["Strict-Transport-Security"]
    )
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_no_secret_is_refused_off_loopback_and_made_for_the_run_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(KitflowError, match="KITFLOW_SECRET_KEY or KITFLOW_SECRET_KEY_FILE"):
        settings_from_env(host="0.0.0.0")
    local = settings_from_env(host="127.0.0.1")
    assert local.ephemeral_secret
    assert len(local.secret_key) == 64
    monkeypatch.setenv("KITFLOW_SECRET_KEY", "short")
    with pytest.raises(KitflowError, match="at least 32"):
        settings_from_env(host="127.0.0.1")


def test_a_secret_file_must_be_private_and_outside_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o644)
    monkeypatch.setenv("KITFLOW_SECRET_KEY_FILE", str(secret))
    with pytest.raises(KitflowError, match="readable by others: chmod 600"):
        settings_from_env(host="0.0.0.0", data_dir=tmp_path / "data")
    secret.chmod(0o600)
    assert settings_from_env(host="0.0.0.0", data_dir=tmp_path / "data").secret_key == SECRET
    with pytest.raises(KitflowError, match="inside the data folder"):
        settings_from_env(host="0.0.0.0", data_dir=tmp_path)


def test_serve_refuses_debug_and_a_missing_secret_off_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    debug = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--debug"])
    assert isinstance(debug.exception, KitflowError)
    assert "--debug is refused on 0.0.0.0" in str(debug.exception)
    secretless = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert "no session secret to serve on 0.0.0.0" in str(secretless.exception)


def test_waitress_serves_the_sign_in_page_with_its_headers(store: LogStore) -> None:
    import waitress  # noqa: PLC0415

    app = create_app(store, auth=AuthSettings(secret_key=SECRET, allowed_hosts=("127.0.0.1",)))
    server: Any = waitress.create_server(app.server, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.effective_port}/login"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Log ind" in response.read().decode()
    finally:
        server.close()
        thread.join(timeout=5)
