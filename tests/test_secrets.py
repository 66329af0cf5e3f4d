"""Secrets go only where they should: tokens to the configured host over https (plain http only
on this machine), secret files readable by their owner only, and no pseudonymisation key made
behind the user's back."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from extractors.azure_devops import DevOpsClient, PatCredentials
from extractors.base import Cursor
from extractors.errors import FatalError
from extractors.pseudonym import KEY_ENV, KEY_FILE_ENV, Pseudonymiser, load_key
from extractors.robots import ALL_STREAMS, DataverseStream, ODataClient
from extractors.servicenow import Credentials, TableClient
from models.datafolder import DataFolder
from models.store import default_database_url
from services.benefits import StoredData
from services.ingestion import AzureDevOpsConfig, PlatformConfig
from tests.fakes.power_automate import API, FakePowerAutomate

P = Pseudonymiser(b"secrets-test-key-0123456789")
TOKEN = "fake-token"
SESSIONS = [
    {"flowsessionid": f"s{n}", "createdon": f"2024-05-0{n}T08:00:00Z", "statuscode": 4}
    for n in range(1, 5)
]


# -- tokens only to the configured host -----------------------------------------------------------


def test_a_next_link_to_another_host_is_refused_and_the_token_never_goes_there() -> None:
    with (
        FakePowerAutomate({"flowsessions": SESSIONS}, token=TOKEN) as dataverse,
        FakePowerAutomate({"flowsessions": SESSIONS}, token=None) as elsewhere,
    ):
        dataverse.foreign_url = elsewhere.url
        dataverse.fail_next("foreign-next-link")
        page_size = {"Prefer": "odata.maxpagesize=2"}
        client = ODataClient(dataverse.url + API, token=TOKEN, headers=page_size)
        stream = DataverseStream(ALL_STREAMS["power-automate-flowsessions"], client, P, page_size=2)
        first = stream.fetch_page(Cursor(None))
        assert [r["flowsessionid"] for r in first.records] == ["s1", "s2"]
        with pytest.raises(FatalError) as refused:
            stream.fetch_page(Cursor(first.next_bookmark, resume=True))
        assert elsewhere.requests == []
        assert len(dataverse.requests) == 1
        assert str(refused.value) == (
            f"GET {elsewhere.url}{API}flowsessions: the request would go to {elsewhere.url}, not "
            f"to the configured {dataverse.url}, so it is refused: the credentials are sent to the "
            "configured host only. If the service has moved, correct the base URL in the "
            "configuration; otherwise the server sent a link it should not have."
        )


def recording() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"result": [], "value": []})

    return httpx.MockTransport(answer), sent


def test_every_client_sends_only_to_its_configured_origin() -> None:
    transport, sent = recording()
    servicenow = TableClient("https://kk.service-now.com", transport=transport,
                             credentials=Credentials(username="u", password="p"))  # fmt: skip
    devops = DevOpsClient("https://dev.azure.com/kk", "KIT", transport=transport,
                          credentials=PatCredentials("pat"))  # fmt: skip
    robots = ODataClient("https://kk.crm4.dynamics.com/api/data/v9.2", token=TOKEN,
                         transport=transport)  # fmt: skip
    foreign: list[tuple[Callable[[], object], str]] = [
        (lambda: servicenow.get_records("https://evil.example/api/now/table/x", {}),
         "https://evil.example:443"),
        (lambda: devops.get_json("https://evil.example/KIT/_apis/x", {}),
         "https://evil.example:443"),
        (lambda: robots.get_json("http://kk.crm4.dynamics.com/api/data/v9.2/x"),
         "http://kk.crm4.dynamics.com:80"),
        (lambda: robots.get_json("https://kk.crm4.dynamics.com:8443/api/data/v9.2/x"),
         "https://kk.crm4.dynamics.com:8443"),
    ]  # fmt: skip
    for call, where in foreign:
        with pytest.raises(FatalError, match=f"the request would go to {where}, not to the"):
            call()
    assert sent == []
    servicenow.get_records("/api/now/table/incident", {})
    robots.get_json("https://kk.crm4.dynamics.com/api/data/v9.2/flowsessions?$skiptoken=2")
    assert [str(r.url) for r in sent] == [
        "https://kk.service-now.com/api/now/table/incident",
        "https://kk.crm4.dynamics.com/api/data/v9.2/flowsessions?$skiptoken=2",
    ]


CLIENTS: list[tuple[Callable[[str], object], str]] = [
    (TableClient, "base_url"),
    (lambda url: DevOpsClient(url, "KIT"), "organisation_url"),
    (ODataClient, "base_url"),
]


@pytest.mark.parametrize(("make", "key"), CLIENTS)
def test_plain_http_is_refused_except_on_this_machine(
    make: Callable[[str], object], key: str
) -> None:
    with pytest.raises(FatalError) as refused:
        make("http://kk.service-now.com/api")
    assert str(refused.value) == (
        f"{key} 'http://kk.service-now.com/api' uses plain http, so the token or password would "
        "cross the network readable by anyone on the way: write https://kk.service-now.com/api "
        "instead (plain http is allowed only to this machine: 127.0.0.1, ::1, localhost)."
    )
    with pytest.raises(FatalError, match=rf"^{key} 'ftp://kk.example' is not an https:// addr"):
        make("ftp://kk.example")
    for local in ("http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:1",
                  "http://[::1]:8080", "https://kk.service-now.com"):  # fmt: skip
        make(local)


# -- secret files ---------------------------------------------------------------------------------


def secret_file(folder: Path, mode: int, text: str = "s3cret-token-value\n") -> Path:
    path = folder / "secret"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660], ids=lambda mode: f"{mode:03o}")
def test_secret_files_others_may_read_are_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = secret_file(tmp_path, mode)
    robots = PlatformConfig(base_url="https://kk.crm4.dynamics.com", token_file=str(path))
    devops = AzureDevOpsConfig("https://dev.azure.com/kk", "KIT", pat_file=str(path))
    for read, what in ((robots.token, "access token (token_file)"),
                       (devops.credentials, "personal access token (pat_file)")):  # fmt: skip
        with pytest.raises(FatalError) as refused:
            read()
        assert str(refused.value) == (
            f"the {what} file {path} may be read or changed by users other than its owner (mode "
            f"{mode:03o}); a secret must be readable by its owner only, so it is not used. Fix: "
            f"chmod 600 {path}"
        )
    path.chmod(0o600)
    assert robots.token() == "s3cret-token-value"
    assert devops.credentials() == PatCredentials("s3cret-token-value")


def test_a_key_file_others_may_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    key_file = secret_file(tmp_path, 0o644, "k" * 64 + "\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    with pytest.raises(FatalError) as refused:
        load_key(data_dir=tmp_path / "data", create=False)
    assert str(refused.value) == (
        f"the pseudonymisation key file {key_file} may be read or changed by users other than "
        f"its owner (mode 644); a secret must be readable by its owner only, so it is not used. "
        f"Fix: chmod 600 {key_file}"
    )
    key_file.chmod(0o400)
    assert load_key(data_dir=tmp_path / "data", create=False) == b"k" * 64


# -- no key behind the user's back ----------------------------------------------------------------


def missing_key_message(key_file: Path, data_dir: Path) -> str:
    return (
        f"there is no pseudonymisation key: KITFLOW_PSEUDONYM_KEY is not set and there is no key "
        f"file at {key_file}. Set KITFLOW_PSEUDONYM_KEY to the key the data in {data_dir} was "
        "extracted with, or KITFLOW_PSEUDONYM_KEY_FILE to the file that holds it. A new key "
        "would give every person and every robot account a new pseudonym, so only kitflow demo "
        "and the extract commands create one."
    )


def test_a_reader_never_creates_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    key_file = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    data_dir = tmp_path / "data"
    with pytest.raises(FatalError) as refused:
        load_key(data_dir=data_dir, create=False)
    assert str(refused.value) == missing_key_message(key_file, data_dir)
    assert not key_file.exists()
    said: list[str] = []
    created = load_key(data_dir=data_dir, create=True, announce=said.append)
    assert key_file.exists() and len(said) == 1 and len(created) == 64
    assert load_key(data_dir=data_dir, create=False) == created


def test_the_savings_and_dashboard_reader_does_not_create_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # services/benefits.py's StoredData is what the dashboard's follow-up pages measure with.
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    root = tmp_path / "data"
    stored = StoredData(DataFolder(root, default_database_url(root)), ("svc-robot",))
    with pytest.raises(FatalError) as refused:
        _ = stored.robot_pseudonyms
    key_file = tmp_path / "home" / ".config" / "kitflow" / "pseudonym.key"
    assert str(refused.value) == missing_key_message(key_file, root.resolve())
    assert not os.path.exists(key_file)
