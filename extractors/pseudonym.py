"""Pseudonymising people at extraction: ``HMAC-SHA256(key, normalised user id)``, truncated.

The key comes from ``KITFLOW_PSEUDONYM_KEY`` (any text; at least 16 characters) or from a key
file (``KITFLOW_PSEUDONYM_KEY_FILE``, default ``~/.config/kitflow/pseudonym.key``, readable by
its owner only). Only the commands that extract (``kitflow extract ...``, ``kitflow demo``) create
a key file with a random key when there is none, and say so: a new key gives every person and
every robot account a new pseudonym, so anything that reads extracted data (the dashboard, the
savings) must use the key the data was extracted with, and stops with what to set when it finds
none. The key must never lie inside the data folder: whoever holds the data and the key can
recompute every pseudonym (which is how an access request is answered), so the two are kept
apart. A plain hash without a key would fall to a dictionary of employee ids.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from extractors.errors import FatalError
from extractors.secret_files import read_secret_file

KEY_ENV = "KITFLOW_PSEUDONYM_KEY"
KEY_FILE_ENV = "KITFLOW_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/kitflow/pseudonym.key")
PREFIX = "p-"
_DIGEST_HEX_CHARS = 16
_MIN_KEY_CHARS = 16

# Accounts that are the platform itself, not an employee: kept in clear as "system".
SYSTEM_ACCOUNTS = frozenset({"system", "guest", "admin_system", "mid.server"})
SYSTEM = "system"


def normalise_user_id(user_id: str) -> str:
    """The form hashed: trimmed and case-folded, so ``JDoe`` and ``jdoe `` are one person; of
    ``"Display Name <login>"`` (Azure DevOps identity text, e-mail headers) only the login, and
    a ``mailto:`` prefix dropped, so ``Anne Hansen <AnHa@kk.dk>``, ``mailto:anha@kk.dk`` and
    ``anha@kk.dk`` are one person too. Forms the source does not link (a ServiceNow sys_id and
    the user name it belongs to) stay apart: see the README's privacy section."""
    text = user_id.strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    text = text.casefold()
    return text.removeprefix("mailto:").strip()


@dataclass(frozen=True)
class Pseudonymiser:
    """Turns user ids into stable pseudonyms ``p-<16 hex>``; empty stays empty, system accounts
    stay ``system``. One instance caches what it computed."""

    key: bytes = field(repr=False)
    _cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _aliases: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def link(self, alias: str, user_id: str) -> None:
        """Record that the source gives ``alias`` (an Azure DevOps identity's ``id``) for the
        person ``user_id`` (its login): from now on both have the pseudonym of ``user_id``."""
        if alias.strip() and user_id.strip():
            self._aliases[normalise_user_id(alias)] = normalise_user_id(user_id)
            self._cache.pop(alias, None)

    def __call__(self, user_id: str | None) -> str | None:
        """The pseudonym of ``user_id`` (None and blank values pass through unchanged)."""
        if user_id is None or not user_id.strip():
            return user_id
        known = self._cache.get(user_id)
        if known is not None:
            return known
        normal = normalise_user_id(user_id)
        normal = self._aliases.get(normal, normal)
        if normal in SYSTEM_ACCOUNTS:
            pseudonym = SYSTEM
        else:
            digest = hmac.new(self.key, normal.encode("utf-8"), hashlib.sha256).hexdigest()
            pseudonym = PREFIX + digest[:_DIGEST_HEX_CHARS]
        self._cache[user_id] = pseudonym
        return pseudonym


def key_fingerprint(key: bytes) -> str:
    """The first 12 hex digits of SHA-256 of ``key``: tells which key data was extracted with,
    without revealing it."""
    return hashlib.sha256(key).hexdigest()[:12]


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` has the shape of a pseudonym (or the system account)."""
    return value == SYSTEM or (
        value.startswith(PREFIX) and len(value) == len(PREFIX) + _DIGEST_HEX_CHARS
    )


def _say_nothing(_: str) -> None:
    return None


def load_key(
    *, data_dir: Path, create: bool, announce: Callable[[str], None] = _say_nothing
) -> bytes:
    """The pseudonymisation key: from the environment, else the key file.

    ``create``: whether a missing key file is created with a random key (``announce`` then
    receives a message saying so). Only the extract commands and ``kitflow demo`` create one
    (through the ingestion runner); everything that reads extracted data passes False. Raises
    ``FatalError`` when there is no key (and none is to be created), the key is too short, the
    key file may be read by others, or it lies inside ``data_dir``.
    """
    from_env = os.environ.get(KEY_ENV)
    if from_env is not None:
        return _checked(from_env.strip(), f"the environment variable {KEY_ENV}")
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser().resolve()
    if path.is_relative_to(data_dir.resolve()):
        raise FatalError(
            f"the pseudonymisation key file {path} lies inside the data folder {data_dir}: "
            f"move it elsewhere and point {KEY_FILE_ENV} at it, so data and key are kept apart."
        )
    if not path.exists():
        if not create:
            raise _missing_key(path, data_dir)
        _create_key_file(path)
        announce(
            f"Created a new pseudonymisation key in {path}. Keep it secret and back it up: "
            "without it, pseudonyms cannot be recomputed for an access request, and a new key "
            "gives every person a new pseudonym."
        )
    key = read_secret_file(path, what="pseudonymisation key")
    return _checked(key, f"the key file {path}")


def _missing_key(path: Path, data_dir: Path) -> FatalError:
    return FatalError(
        f"there is no pseudonymisation key: {KEY_ENV} is not set and there is no key file at "
        f"{path}. Set {KEY_ENV} to the key the data in {data_dir} was extracted with, or "
        f"{KEY_FILE_ENV} to the file that holds it. A new key would give every person and every "
        "robot account a new pseudonym, so only kitflow demo and the extract commands create one."
    )


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def _checked(key: str, where: str) -> bytes:
    if len(key) < _MIN_KEY_CHARS:
        raise FatalError(
            f"the pseudonymisation key in {where} has {len(key)} characters; use at least "
            f"{_MIN_KEY_CHARS}, for example the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return key.encode("utf-8")
