"""OpenID Connect sign-in (Entra ID): the authorization-code flow with PKCE, state and nonce.

Configured by environment variables: ``KITFLOW_OIDC_ISSUER`` (for Entra ID
``https://login.microsoftonline.com/<tenant id>/v2.0``), ``KITFLOW_OIDC_CLIENT_ID``,
``KITFLOW_OIDC_CLIENT_SECRET``, ``KITFLOW_OIDC_GROUP_ROLES`` (``<group id>=<role>,...``) and
optionally ``KITFLOW_OIDC_GROUP_CLAIM`` (default ``groups``) and ``KITFLOW_OIDC_REDIRECT_URI``
(default ``<this site>/oidc/callback``). The ID token's signature is checked against the
provider's JWKS, and its issuer, audience, expiry and nonce.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

import jwt

from models.accounts import ROLES, Role, check_role
from models.errors import KitflowError

_TIMEOUT_S: Final = 10
_ALGORITHMS: Final = ["RS256", "RS384", "RS512", "ES256", "PS256"]


class OidcError(KitflowError):
    """The identity provider's answer could not be used to sign in."""


@dataclass(frozen=True)
class OidcSettings:
    """Where the identity provider is and how its groups become roles."""

    issuer: str
    client_id: str
    client_secret: str
    group_roles: tuple[tuple[str, Role], ...]
    group_claim: str = "groups"
    redirect_uri: str | None = None


def oidc_settings_from_env() -> OidcSettings | None:
    """The settings when ``KITFLOW_OIDC_ISSUER`` is set, else None (local accounts only)."""
    issuer = os.environ.get("KITFLOW_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    missing = [
        name
        for name in (
            "KITFLOW_OIDC_CLIENT_ID",
            "KITFLOW_OIDC_CLIENT_SECRET",
            "KITFLOW_OIDC_GROUP_ROLES",
        )
        if not os.environ.get(name, "").strip()
    ]
    if missing:
        raise OidcError(f"KITFLOW_OIDC_ISSUER is set but {', '.join(missing)} not: set them too.")
    _check_https(issuer)
    return OidcSettings(
        issuer=issuer,
        client_id=os.environ["KITFLOW_OIDC_CLIENT_ID"].strip(),
        client_secret=os.environ["KITFLOW_OIDC_CLIENT_SECRET"].strip(),
        group_roles=parse_group_roles(os.environ["KITFLOW_OIDC_GROUP_ROLES"]),
        group_claim=os.environ.get("KITFLOW_OIDC_GROUP_CLAIM", "groups").strip() or "groups",
        redirect_uri=os.environ.get("KITFLOW_OIDC_REDIRECT_URI", "").strip() or None,
    )


def parse_group_roles(text: str) -> tuple[tuple[str, Role], ...]:
    """``<group>=<role>,...`` as pairs; a pair without ``=`` or with an unknown role is refused."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        group, sep, role = item.partition("=")
        if not item:
            continue
        if not sep or not group.strip():
            raise OidcError(
                f"KITFLOW_OIDC_GROUP_ROLES item {item!r} is not <group id>=<role> "
                f"(roles: {', '.join(ROLES)})."
            )
        pairs.append((group.strip(), check_role(role.strip())))
    return tuple(pairs)


def _check_https(url: str) -> None:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "https" and parsed.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise OidcError(f"the OIDC address {url} is not https: use https (http only on loopback).")


def role_from_groups(groups: object, settings: OidcSettings) -> Role | None:
    """The strongest role any of ``groups`` maps to, or None."""
    held = set(groups) if isinstance(groups, list) else set()
    granted = {role for group, role in settings.group_roles if group in held}
    return next((role for role in reversed(ROLES) if role in granted), None)


@dataclass(frozen=True)
class AuthRequest:
    """What to send the browser to, and what to keep in the session until it comes back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class OidcUser:
    """Who the provider signed in, and the role their groups give (None: no role)."""

    username: str
    role: Role | None


class OidcClient:
    """Talks to one provider; its discovery document and keys are fetched once."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    def metadata(self) -> dict[str, Any]:
        """The provider's ``.well-known/openid-configuration``."""
        if self._metadata is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            self._metadata = _get_json(url)
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                _check_https(str(self._metadata.get(key, "")))
        return self._metadata

    def start(self, redirect_uri: str) -> AuthRequest:
        """A new sign-in: the authorization URL with fresh state, nonce and PKCE challenge."""
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        return AuthRequest(f"{endpoint}?{urllib.parse.urlencode(query)}", state, nonce, verifier)

    def finish(self, code: str, redirect_uri: str, pending: AuthRequest) -> OidcUser:
        """Exchange ``code`` for tokens and check the ID token (signature, claims, nonce)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "code_verifier": pending.verifier,
        }
        tokens = _post_form(str(self.metadata()["token_endpoint"]), form)
        claims = self._claims(str(tokens.get("id_token", "")))
        if not secrets.compare_digest(str(claims.get("nonce", "")), pending.nonce):
            raise OidcError("the ID token's nonce does not match this sign-in: sign in again.")
        name = claims.get("preferred_username") or claims.get("email") or claims["sub"]
        return OidcUser(
            str(name), role_from_groups(claims.get(self.settings.group_claim), self.settings)
        )

    def _claims(self, token: str) -> dict[str, Any]:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(str(self.metadata()["jwks_uri"]), timeout=_TIMEOUT_S)
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            return dict(
                jwt.decode(
                    token,
                    key.key,
                    algorithms=_ALGORITHMS,
                    audience=self.settings.client_id,
                    issuer=self.settings.issuer,
                    options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
                )
            )
        except jwt.PyJWTError as error:
            raise OidcError(f"the ID token was refused: {error}.") from error


def _get_json(url: str) -> dict[str, Any]:
    return _read_json(urllib.request.Request(url, headers={"Accept": "application/json"}), url)


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    return _read_json(request, url)


def _read_json(request: urllib.request.Request, url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            value = json.loads(response.read(1_000_000))
    except (OSError, ValueError) as error:
        raise OidcError(
            f"the identity provider at {url} did not answer usable JSON: {error}."
        ) from error
    if not isinstance(value, dict):
        raise OidcError(
            f"the identity provider at {url} answered {type(value).__name__}, not an object."
        )
    return value
