"""What every source's configuration shares: the file (YAML or TOML) and the secrets it names.

A configuration never holds a secret: it names an environment variable (``*_env``) or a secrets
file outside the data folder (``*_file``) that holds it, readable by its owner only (a file its
group or others may read is refused with the ``chmod 600`` that fixes it).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from extractors import FatalError, read_secret_file


def read_settings_file(path: Path, *, expected: str) -> dict[str, Any]:
    """The mapping in a YAML (``.yaml``/``.yml``) or TOML (``.toml``) file; ``expected`` names
    its keys for the message when the file holds something else."""
    if not path.exists():
        raise FatalError(f"there is no configuration file at {path}: check the path.")
    text = path.read_text("utf-8")
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise FatalError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from error
    if not isinstance(raw, dict):
        raise FatalError(f"{path} should hold a mapping with {expected}.")
    return raw


def check_no_credentials(url: str, *, path: Path, key: str, instead: str) -> None:
    """Refuse a URL with a user or password in it: secrets are named, never written."""
    if urlsplit(url).password is not None or "@" in url:
        raise FatalError(f"{path}: {key} must not carry credentials; {instead} instead.")


def read_secret(*, env: str | None, file: str | None, key: str, what: str) -> str | None:
    """The secret in the environment variable ``env`` or the secrets file ``file`` (None when
    neither is named). ``key`` is the configuration key that named it, ``what`` the secret."""
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise FatalError(
                f"the environment variable {env} named in the configuration is not set "
                f"({key}): export {env}=<{what}> before extracting."
            )
        return value
    if file:
        path = Path(file).expanduser()
        if not path.is_file():
            raise FatalError(f"the secrets file {path} named in the configuration does not exist.")
        value = read_secret_file(path, what=f"{what} ({key})")
        if not value:
            raise FatalError(f"the secrets file {path} named in the configuration is empty.")
        return value
    return None
