"""``kitflow users add --generate-password``: the demo's first account (``make demo-account``)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from models.accounts import AccountStore
from models.datafolder import default_database_url

runner = CliRunner()


def test_a_generated_password_is_printed_once_and_signs_in(data_dir: Path) -> None:
    result = runner.invoke(
        cli, ["users", "add", "demo", "--role", "administrator", "--generate-password"]
    )
    assert result.exit_code == 0, result.output
    found = re.search(r"Its password: (\S+)", result.stdout)
    assert found is not None, result.stdout
    password = found.group(1)
    assert len(password) == 16
    accounts = AccountStore(default_database_url(data_dir.resolve()))
    try:
        account = accounts.authenticate("demo", password)
        assert account is not None and account.role == "administrator"
        assert accounts.authenticate("demo", password + "x") is None
    finally:
        accounts.dispose()
    listed = runner.invoke(cli, ["users", "list", "--json"])
    assert password not in listed.stdout


def test_a_generated_and_a_typed_password_cannot_both_be_asked_for(data_dir: Path) -> None:
    result = runner.invoke(
        cli,
        ["users", "add", "x", "--role", "analyst", "--generate-password", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code == 1
    assert "give --password-stdin or --generate-password, not both" in str(result.exception)
