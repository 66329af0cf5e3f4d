"""``kitflow users add|remove|list|role``: the dashboard's local accounts (administrators);
``kitflow users token create|list|revoke``: API tokens for programs (a ServiceNow client script).

Every change is written to the audit trail. A password is asked for twice (hidden) or read from
standard input with ``--password-stdin``; it is stored only as its scrypt hash. A token's secret
is printed once, when it is made, and stored only as its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from app.cli_audit import cli_actor, record_cli
from app.console import out, print_json
from app.formatting import format_datetime
from models.accounts import ROLES, TOKEN_SCOPES, AccountStore, ApiToken, ApiTokenStore
from models.datafolder import DataFolder
from models.errors import KitflowError

users_cli = typer.Typer(
    help="The dashboard's local accounts and their roles.", no_args_is_help=True
)

UserArg = Annotated[str, typer.Argument(help="User name (letters, digits and . _ @ -).")]
RoleArg = Annotated[str, typer.Argument(help=f"Role: {' | '.join(ROLES)}.")]


@contextmanager
def _accounts() -> Iterator[AccountStore]:
    store = AccountStore(DataFolder.from_env().database_url)
    try:
        yield store
    finally:
        store.dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise KitflowError("the two passwords differ: run the command again.")
    return str(first)


@users_cli.command("add")
def add_command(
    username: UserArg,
    role: Annotated[str, typer.Option(help=f"Role: {' | '.join(ROLES)}.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    generate_password: Annotated[
        bool,
        typer.Option(help="Make a random password and print it once (the demo's first account)."),
    ] = False,
) -> None:
    """Add a local account."""
    if password_stdin and generate_password:
        raise KitflowError("give --password-stdin or --generate-password, not both.")
    # 16 URL-safe characters: 96 random bits, above the 12-character minimum.
    password = secrets.token_urlsafe(12) if generate_password else _password(password_stdin)
    with _accounts() as accounts:
        account = accounts.add(username, password, role)
    record_cli("user-add", account.username, detail=f"role {account.role}")
    out.print(f"Added {account.username!r} as {account.role}.")
    if generate_password:
        out.print(
            f"Its password: {password}  (shown only now; change it with "
            f"'kitflow users remove {account.username}' and add it again)",
            highlight=False,
        )


@users_cli.command("remove")
def remove_command(username: UserArg) -> None:
    """Remove a local account (its sessions end at their next request)."""
    with _accounts() as accounts:
        account = accounts.remove(username)
    record_cli("user-remove", account.username, detail=f"role {account.role}")
    out.print(f"Removed {account.username!r}.")


@users_cli.command("role")
def role_command(username: UserArg, role: RoleArg) -> None:
    """Give a local account another role."""
    with _accounts() as accounts:
        before = accounts.get_required(username)
        account = accounts.set_role(username, role)
    record_cli("user-role", username, detail=f"role {before.role} -> {account.role}")
    out.print(f"{account.username!r} is now {account.role}.")


@users_cli.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """The local accounts and their roles."""
    with _accounts() as accounts:
        listed = accounts.list()
    if as_json:
        print_json(
            [
                {"username": a.username, "role": a.role, "created_at": a.created_at.isoformat()}
                for a in listed
            ]
        )
        return
    if not listed:
        out.print("No local accounts. Add one with 'kitflow users add NAME --role administrator'.")
    for a in listed:
        out.print(f"{a.username}  {a.role}  (added {format_datetime(a.created_at)})")


token_cli = typer.Typer(
    help="API tokens: a program (a ServiceNow client script) calling one JSON endpoint.",
    no_args_is_help=True,
)
users_cli.add_typer(token_cli, name="token")
TokenArg = Annotated[str, typer.Argument(help="Token name (letters, digits and . _ @ -).")]


@contextmanager
def _tokens() -> Iterator[ApiTokenStore]:
    store = ApiTokenStore(DataFolder.from_env().database_url)
    try:
        yield store
    finally:
        store.dispose()


@token_cli.command("create")
def token_create_command(
    name: TokenArg,
    scope: Annotated[
        str, typer.Option(help=f"What the token may call: {' | '.join(TOKEN_SCOPES)}.")
    ],
) -> None:
    """Make a token and print its secret once (only its SHA-256 is stored)."""
    with _tokens() as tokens:
        token, secret = tokens.create(name, scope, cli_actor())
    record_cli("token-create", token.name, detail=f"scope {token.scope}")
    out.print(f"Made the token {token.name!r} (scope {token.scope}). Its secret, shown only now:")
    # Plain print: the secret alone on its line, for copying or a pipe.
    print(secret)
    out.print(
        "Send it as 'Authorization: Bearer <secret>'; "
        f"'kitflow users token revoke {token.name}' ends it."
    )


@token_cli.command("list")
def token_list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """The tokens (never their secrets): scope, who made them, last use, revoked."""
    with _tokens() as tokens:
        listed = tokens.list()
    if as_json:
        print_json([_token_json(t) for t in listed])
        return
    if not listed:
        out.print(
            "No API tokens. Make one with 'kitflow users token create NAME --scope assistant'."
        )
    for t in listed:
        used = format_datetime(t.last_used_at) if t.last_used_at else "never"
        state = f"revoked {format_datetime(t.revoked_at)}" if t.revoked_at else "live"
        out.print(
            f"{t.name}  {t.scope}  {state}  (made by {t.creator} {format_datetime(t.created_at)}, "
            f"last used {used})"
        )


def _token_json(token: ApiToken) -> dict[str, str | None]:
    def iso(value: dt.datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "name": token.name,
        "scope": token.scope,
        "creator": token.creator,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


@token_cli.command("revoke")
def token_revoke_command(name: TokenArg) -> None:
    """Revoke a token: its next call is refused."""
    with _tokens() as tokens:
        token = tokens.revoke(name)
    record_cli("token-revoke", token.name, detail=f"scope {token.scope}")
    out.print(f"Revoked the token {token.name!r}.")


def register(cli: typer.Typer) -> None:
    """Add ``kitflow users``."""
    cli.add_typer(users_cli, name="users")
