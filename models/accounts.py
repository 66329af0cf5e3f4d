"""Local user accounts of the dashboard (table ``kitflow_user``, in the catalog database).

Passwords are hashed with scrypt (``hashlib.scrypt``, memory-hard): N=2**15, r=8, p=1, a 16-byte
random salt and a 32-byte key, so one hash takes 32 MiB of memory. The parameters are stored with
each hash, so they can be raised later without invalidating the old ones.

API tokens (table ``api_token``) let a program, such as a ServiceNow client script, call one
JSON endpoint of one scope: the secret is shown once when made and stored only as its SHA-256,
with who made it, when, when it was last used and when it was revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import DateTime, String, create_engine, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.catalog import Base, as_utc
from models.errors import KitflowError

Role = Literal["director", "analyst", "administrator"]
ROLES: Final[tuple[Role, ...]] = ("director", "analyst", "administrator")
SCRYPT_N: Final = 2**15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
_SCRYPT_MAXMEM: Final = 64 * 1024 * 1024
MIN_PASSWORD_LENGTH: Final = 12
_USERNAME: Final = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,99}$")


class AccountError(KitflowError):
    """A user name, role or password that cannot be used."""


class UserRow(Base):
    """One local account (table ``kitflow_user``)."""

    __tablename__ = "kitflow_user"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Account:
    """A local account as the dashboard and the CLI see it (never the hash)."""

    username: str
    role: Role
    created_at: dt.datetime


def check_role(role: str) -> Role:
    """``role`` if it is one of :data:`ROLES`."""
    if role not in ROLES:
        raise AccountError(f"the role {role!r} is not one of {', '.join(ROLES)}.")
    return role


def check_username(username: str) -> str:
    """``username`` if it is 1-100 letters, digits and ``._@-``, starting with a letter or digit."""
    if not _USERNAME.match(username):
        raise AccountError(
            f"the user name {username!r} is not allowed: use 1-100 letters, digits and . _ @ -, "
            "starting with a letter or digit."
        )
    return username


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$key`` (hex) of ``password`` with a fresh salt."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password has {len(password)} characters: use at least {MIN_PASSWORD_LENGTH}."
        )
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, bytes.fromhex(key))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32
    )


# A hash to check against when the user does not exist, so both cases take the same time.
_DUMMY_HASH: Final = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


class AccountStore:
    """The local accounts in the database at ``database_url``."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine, tables=[UserRow.__table__])  # type: ignore[list-item]

    def add(self, username: str, password: str, role: str) -> Account:
        """A new account; an existing user name is refused."""
        check_username(username)
        row = UserRow(
            username=username,
            role=check_role(role),
            password_hash=hash_password(password),
            created_at=dt.datetime.now(dt.UTC),
        )
        with Session(self._engine) as session, session.begin():
            if session.get(UserRow, username) is not None:
                raise AccountError(
                    f"the user {username!r} exists already: change the role with "
                    f"'kitflow users role {username} ROLE' or remove it first."
                )
            session.add(row)
            return _account(row)

    def remove(self, username: str) -> Account:
        """Remove an account; an unknown user name is reported."""
        account = self.get_required(username)
        with Session(self._engine) as session, session.begin():
            session.execute(delete(UserRow).where(UserRow.username == username))
        return account

    def set_role(self, username: str, role: str) -> Account:
        """Give ``username`` another role."""
        checked = check_role(role)
        with Session(self._engine) as session, session.begin():
            row = session.get(UserRow, username)
            if row is None:
                raise self._unknown(username)
            row.role = checked
            return _account(row)

    def get(self, username: str) -> Account | None:
        """The account ``username``, or None."""
        with Session(self._engine) as session:
            row = session.get(UserRow, username)
            return None if row is None else _account(row)

    def get_required(self, username: str) -> Account:
        """The account ``username``; an unknown one is reported with what to do."""
        with Session(self._engine) as session:
            row = session.get(UserRow, username)
            if row is None:
                raise self._unknown(username)
            return _account(row)

    def list(self) -> list[Account]:
        """Every account, by user name."""
        with Session(self._engine) as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.username))
            return [_account(row) for row in rows]

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when ``password`` is its password, else None (same work either way)."""
        with Session(self._engine) as session:
            row = session.get(UserRow, username)
            stored = row.password_hash if row is not None else _DUMMY_HASH
            matches = verify_password(password, stored)
            return _account(row) if row is not None and matches else None

    def dispose(self) -> None:
        """Close the database connections."""
        self._engine.dispose()

    @staticmethod
    def _unknown(username: str) -> AccountError:
        return AccountError(
            f"there is no user {username!r}: 'kitflow users list' shows them, "
            "'kitflow users add' adds one."
        )


def _account(row: UserRow) -> Account:
    created = as_utc(row.created_at)
    assert created is not None
    return Account(row.username, check_role(row.role), created)


# API tokens: for a program (a ServiceNow client script) calling one JSON endpoint.
TokenScope = Literal["assistant"]
TOKEN_SCOPES: Final[tuple[TokenScope, ...]] = ("assistant",)
TOKEN_PREFIX: Final = "kft_"


class ApiTokenRow(Base):
    """One API token (table ``api_token``): only the SHA-256 of its secret is stored."""

    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    scope: Mapped[str] = mapped_column(String(50))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    creator: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class ApiToken:
    """An API token as the dashboard and the CLI see it (never the secret nor its hash)."""

    name: str
    scope: TokenScope
    creator: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def actor(self) -> str:
        """Who the audit trail names for a call with this token: ``token:<name>``."""
        return f"token:{self.name}"


def check_scope(scope: str) -> TokenScope:
    """``scope`` if it is one of :data:`TOKEN_SCOPES`."""
    if scope not in TOKEN_SCOPES:
        raise AccountError(f"the scope {scope!r} is not one of {', '.join(TOKEN_SCOPES)}.")
    return scope


def hash_token(secret: str) -> str:
    """The SHA-256 (hex) a token's secret is stored and looked up as (the secret is 32 random
    bytes, so a fast hash is enough: there is nothing to guess)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiTokenStore:
    """The API tokens in the database at ``database_url``."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url)
        Base.metadata.create_all(self._engine, tables=[ApiTokenRow.__table__])  # type: ignore[list-item]

    def create(self, name: str, scope: str, creator: str) -> tuple[ApiToken, str]:
        """A new token and its secret (``kft_`` and 32 random bytes, URL-safe): the secret is
        returned only here. A name in use (also by a revoked token) is refused."""
        check_username(name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(
            name=name,
            scope=check_scope(scope),
            token_sha256=hash_token(secret),
            creator=creator,
            created_at=dt.datetime.now(dt.UTC),
            last_used_at=None,
            revoked_at=None,
        )
        with Session(self._engine) as session, session.begin():
            if session.get(ApiTokenRow, name) is not None:
                raise AccountError(
                    f"a token named {name!r} exists already (perhaps revoked): choose another "
                    "name; 'kitflow users token list' shows them."
                )
            session.add(row)
            return _token(row), secret

    def list(self) -> list[ApiToken]:
        """Every token, revoked ones too, by name."""
        with Session(self._engine) as session:
            return [
                _token(r) for r in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
            ]

    def revoke(self, name: str) -> ApiToken:
        """Revoke the token ``name`` (from its next call on); an unknown name is reported."""
        with Session(self._engine) as session, session.begin():
            row = session.get(ApiTokenRow, name)
            if row is None:
                raise AccountError(
                    f"there is no token {name!r}: 'kitflow users token list' shows them."
                )
            if row.revoked_at is None:
                row.revoked_at = dt.datetime.now(dt.UTC)
            return _token(row)

    def authenticate(self, secret: str, scope: str) -> ApiToken | None:
        """The live token of ``scope`` whose secret is ``secret`` (its last use set to now),
        else None. Every live token's hash is compared, in constant time, without stopping at
        a match."""
        sent = hash_token(secret).encode("ascii")
        with Session(self._engine) as session, session.begin():
            live = session.scalars(select(ApiTokenRow).where(ApiTokenRow.revoked_at.is_(None)))
            found = None
            for row in live:
                if hmac.compare_digest(sent, row.token_sha256.encode("ascii")):
                    found = row
            if found is None or found.scope != scope:
                return None
            found.last_used_at = dt.datetime.now(dt.UTC)
            return _token(found)

    def dispose(self) -> None:
        """Close the database connections."""
        self._engine.dispose()


def _token(row: ApiTokenRow) -> ApiToken:
    created = as_utc(row.created_at)
    assert created is not None
    return ApiToken(
        name=row.name,
        scope=check_scope(row.scope),
        creator=row.creator,
        created_at=created,
        last_used_at=as_utc(row.last_used_at),
        revoked_at=as_utc(row.revoked_at),
    )
