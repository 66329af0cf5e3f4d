"""The dashboard's login settings, read from the environment.

``KITFLOW_SECRET_KEY`` (or ``KITFLOW_SECRET_KEY_FILE``, a file outside the data folder readable by
its owner only) signs the session cookie. Without one the dashboard refuses to serve, except on a
loopback address, where a random one is made for the run (sessions end when it stops).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.dashboard.auth_oidc import OidcSettings, oidc_settings_from_env
from models.errors import KitflowError

IDLE_TIMEOUT_ENV: Final = "KITFLOW_SESSION_IDLE_MINUTES"
ABSOLUTE_TIMEOUT_ENV: Final = "KITFLOW_SESSION_MAX_HOURS"
SECRET_ENV: Final = "KITFLOW_SECRET_KEY"
SECRET_FILE_ENV: Final = "KITFLOW_SECRET_KEY_FILE"
ALLOWED_HOSTS_ENV: Final = "KITFLOW_ALLOWED_HOSTS"
TRUSTED_PROXY_ENV: Final = "KITFLOW_TRUSTED_PROXY"
MIN_SECRET_LENGTH: Final = 32


class ServeError(KitflowError):
    """A setting that keeps the dashboard from being served safely."""


@dataclass(frozen=True)
class AuthSettings:
    """How the dashboard signs people in. ``secret_key`` signs the session cookie."""

    secret_key: str
    idle_timeout_s: int = 30 * 60
    absolute_timeout_s: int = 10 * 3600
    oidc: OidcSettings | None = None
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxy: bool = False
    max_failures: int = 5
    failure_window_s: int = 15 * 60
    ephemeral_secret: bool = field(default=False, compare=False)


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def settings_from_env(*, host: str = "127.0.0.1", data_dir: Path | None = None) -> AuthSettings:
    """The settings for serving on ``host``; see the module's text for the secret."""
    secret, ephemeral = _secret(host, data_dir)
    return AuthSettings(
        secret_key=secret,
        idle_timeout_s=_minutes(IDLE_TIMEOUT_ENV, 30) * 60,
        absolute_timeout_s=_minutes(ABSOLUTE_TIMEOUT_ENV, 10) * 3600,
        oidc=oidc_settings_from_env(),
        allowed_hosts=allowed_hosts_from_env(host),
        trusted_proxy=os.environ.get(TRUSTED_PROXY_ENV, "") in {"1", "true", "yes"},
        ephemeral_secret=ephemeral,
    )


def allowed_hosts_from_env(host: str) -> tuple[str, ...]:
    """``KITFLOW_ALLOWED_HOSTS`` (comma-separated host names), default the bind address and
    localhost."""
    named = [h.strip().lower() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",")]
    chosen = [h for h in named if h] or [host.lower(), "localhost", "127.0.0.1"]
    return tuple(dict.fromkeys(chosen))


def _minutes(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        raise ServeError(f"{name}={value!r} is not a whole number above 0: set it, e.g. {default}.")
    return int(value)


def _secret(host: str, data_dir: Path | None) -> tuple[str, bool]:
    value = os.environ.get(SECRET_ENV, "")
    path = os.environ.get(SECRET_FILE_ENV, "")
    if path:
        value = _read_secret_file(Path(path), data_dir)
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            raise ServeError(
                f"the session secret has {len(value)} characters: use at least "
                f"{MIN_SECRET_LENGTH}, e.g. from "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        return value, False
    if not is_loopback(host):
        raise ServeError(
            f"no session secret to serve on {host}: set {SECRET_ENV} or {SECRET_FILE_ENV} (a file "
            "outside the data folder, mode 0600), e.g. from "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return secrets.token_hex(32), True


def _read_secret_file(path: Path, data_dir: Path | None) -> str:
    if not path.is_file():
        raise ServeError(
            f"{SECRET_FILE_ENV}={path} is not a file: create it or unset the variable."
        )
    if data_dir is not None and path.resolve().is_relative_to(data_dir.resolve()):
        raise ServeError(f"the secret file {path} lies inside the data folder: move it out.")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServeError(f"the secret file {path} is readable by others: chmod 600 {path}.")
    return path.read_text("utf-8").strip()
