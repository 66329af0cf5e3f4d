"""The sign-in page: a plain HTML form (no script), Danish with English one click away.

Served by Flask before any Dash route, so it works without a session and shows no data.
"""

from __future__ import annotations

from html import escape
from typing import Final

from app.formatting import Language
from app.i18n import translate

LOGIN_PATH: Final = "/login"
LOGOUT_PATH: Final = "/logout"
OIDC_LOGIN_PATH: Final = "/oidc/login"
OIDC_CALLBACK_PATH: Final = "/oidc/callback"

_PAGE: Final = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>KIT Flow: {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:26rem;margin:4rem auto;color:#1d2733}}
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.4rem;font-size:1rem}}
button,.sso{{margin-top:1.2rem;padding:.5rem 1rem;font-size:1rem}}
.message{{background:#fdecea;border-left:4px solid #b3261e;padding:.6rem}}</style></head>
<body><h1>KIT Flow</h1><h2 id="login-title">{title}</h2>{message}
<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="login-username">{username}</label>
<input id="login-username" name="username" autocomplete="username" required>
<label for="login-password">{password}</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">{submit}</button></form>{sso}
<p><a href="{other_href}">{other_label}</a></p></body></html>"""


def render_login(
    language: Language,
    *,
    csrf: str,
    message: str | None = None,
    next_path: str = "/",
    sso: bool = False,
) -> str:
    """The sign-in page; ``message`` (already translated) above the form, ``csrf`` the token
    the form must send back (kept in the session)."""
    other: Language = "en" if language == "da" else "da"
    sso_link = (
        f'<p><a class="sso" id="login-sso" href="{OIDC_LOGIN_PATH}?next={escape(next_path)}">'
        f"{escape(translate('auth.sso', language))}</a></p>"
        if sso
        else ""
    )
    return _PAGE.format(
        lang=language,
        title=escape(translate("auth.title", language)),
        message=f'<p class="message" id="login-message">{escape(message)}</p>' if message else "",
        action=f"{LOGIN_PATH}?lang={language}",
        next=escape(next_path),
        csrf=escape(csrf),
        username=escape(translate("auth.username", language)),
        password=escape(translate("auth.password", language)),
        submit=escape(translate("auth.submit", language)),
        sso=sso_link,
        other_href=f"{LOGIN_PATH}?lang={other}",
        other_label=escape(translate(f"language.{other}", language)),
    )


def render_refusal(language: Language, key: str) -> str:
    """A short page saying why a page was refused, with a link back to the front page."""
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>KIT Flow</title></head><body><h1>KIT Flow</h1>"
        f'<p id="refusal">{escape(translate(key, language))}</p>'
        f'<p><a href="/">{escape(translate("auth.front_page", language))}</a> · '
        f'<a href="{LOGOUT_PATH}">{escape(translate("auth.logout", language))}</a></p>'
        "</body></html>"
    )
