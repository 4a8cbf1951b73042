"""Interface language plumbing: every user-facing string goes through `gettext`.

Catalogs live in app/locale/<lang>/LC_MESSAGES/messages.po and are read directly with
Babel at start-up (no compile step). The active locale is a context variable set per
request by `LocaleMiddleware`, so services and templates need no request object.
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "ko")
LOCALE_COOKIE = "lang"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def babel_locale() -> Locale:
    return Locale.parse(get_locale())


def negotiate(accept_language: str) -> str:
    """Pick the best supported locale from an Accept-Language header."""
    preferred: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        preferred.append((quality, lang.strip().lower().split("-")[0]))
    for _quality, lang in sorted(preferred, key=lambda item: -item[0]):
        if lang in SUPPORTED_LOCALES:
            return lang
    return DEFAULT_LOCALE


class LocaleMiddleware:
    """Chooses the interface language: ?lang=, then the cookie, then Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        chosen = conn.query_params.get("lang") or conn.cookies.get(LOCALE_COOKIE)
        if chosen not in SUPPORTED_LOCALES:
            chosen = negotiate(conn.headers.get("accept-language", ""))
        token = _current.set(chosen)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
