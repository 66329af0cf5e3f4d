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

# The product's colours (app/dashboard/assets/kitflow.css) inline: these pages are served
# before any asset route a signed-out visitor may reach.
_STYLE: Final = """<style>
body{margin:0;background:#f4f6f9;color:#1b2a3a;
font-family:Inter,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{background:#14324f;color:#fff;padding:.9rem 1.5rem;font-weight:600;font-size:1.15rem}
header span{font-weight:400;opacity:.75;font-size:.85rem;margin-left:.6rem}
main{max-width:24rem;margin:3.5rem auto;background:#fff;border:1px solid #dde3ea;
border-radius:8px;padding:1.6rem 1.8rem;box-shadow:0 1px 3px rgba(20,50,79,.08)}
h1{font-size:1.35rem;margin:0 0 .4rem}label{display:block;margin-top:1rem;font-size:.9rem}
input{box-sizing:border-box;width:100%;padding:.5rem;font-size:1rem;border:1px solid #b8c3cf;
border-radius:4px;margin-top:.25rem}
button,.sso{display:inline-block;margin-top:1.3rem;padding:.55rem 1.2rem;font-size:1rem;
border:0;border-radius:4px;background:#1d4f8a;color:#fff;cursor:pointer;text-decoration:none}
.message{background:#fdecea;border-left:4px solid #b3261e;padding:.6rem}
a{color:#1d4f8a}.other{margin-top:1.2rem;font-size:.9rem}
</style>"""
_HEADER: Final = "<header>KIT Flow<span>{tagline}</span></header>"

_PAGE: Final = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>KIT Flow: {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{style}</head>
<body>{header}<main><h1 id="login-title">{title}</h1>{message}
<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="login-username">{username}</label>
<input id="login-username" name="username" autocomplete="username" required>
<label for="login-password">{password}</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">{submit}</button></form>{sso}
<p class="other"><a href="{other_href}">{other_label}</a></p></main></body></html>"""


def _header(language: Language) -> str:
    return _HEADER.format(tagline=escape(translate("app.tagline", language)))


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
        style=_STYLE,
        header=_header(language),
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
        f"<title>KIT Flow</title>{_STYLE}</head><body>{_header(language)}<main>"
        f'<p id="refusal">{escape(translate(key, language))}</p>'
        f'<p><a href="/">{escape(translate("auth.front_page", language))}</a> · '
        f'<a href="{LOGOUT_PATH}">{escape(translate("auth.logout", language))}</a></p>'
        "</main></body></html>"
    )
