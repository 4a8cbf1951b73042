"""Interface language plumbing: every user-facing string goes through `gettext`.

Catalogs live in app/locale/<lang>/LC_MESSAGES/messages.po and are read directly with
Babel at start-up (no compile step); `scripts/i18n.py` extracts, updates and checks them.
English is the source language (the msgids), so it has no catalog: NullTranslations
answers it. Every language with a catalog is offered, so adding one is only a new catalog.

The active locale is a context variable set per request by `LocaleMiddleware`, so services
and templates need no request object. Work done for someone else (an email to a signer
who signed in Korean) runs inside `using_locale(their_locale)`.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


class Language(str):
    """A supported interface language: its code (compares as the code), and its name in
    itself, as the language switcher shows it ("English", "한국어", "Español")."""

    __slots__ = ()

    @property
    def native_name(self) -> str:
        name = Locale.parse(self).get_display_name(self) or str(self)
        return name[:1].upper() + name[1:]


def _available() -> tuple[Language, ...]:
    found = sorted(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    codes = dict.fromkeys([DEFAULT_LOCALE, *found])  # in order, once each
    return tuple(Language(code) for code in codes)


SUPPORTED_LOCALES: tuple[Language, ...] = _available()


def language_options() -> list[tuple[str, str]]:
    """(code, name in itself) for a form's language choice."""
    return [(str(code), code.native_name) for code in SUPPORTED_LOCALES]


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


def normalise(locale: str | None) -> str:
    """A supported locale for a stored or requested one ("ko-KR" → "ko"); the default
    when there is none."""
    code = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return code if code in SUPPORTED_LOCALES else DEFAULT_LOCALE


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def using_locale(locale: str | None) -> Iterator[str]:
    """Speak someone else's language for a while (an email to a signer, rendered from a
    lead's request or the worker), then put ours back. Yields the locale in use."""
    token = _current.set(normalise(locale))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for the catalogs where it is defined; `_()` translates it where used."""
    return message


def babel_locale() -> Locale:
    try:
        return Locale.parse(get_locale())
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


@lru_cache(maxsize=256)
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
    for quality, lang in sorted(preferred, key=lambda item: -item[0]):
        if quality > 0 and lang in SUPPORTED_LOCALES:
            return lang
    return DEFAULT_LOCALE


def _merge_vary(headers: MutableHeaders, *names: str) -> None:
    present = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    if "*" in present:
        return
    known = {v.lower() for v in present}
    headers["vary"] = ", ".join(present + [n for n in names if n.lower() not in known])


def choose(scope: Scope) -> tuple[str, bool]:
    """The request's language (?lang=, then the cookie, then Accept-Language), and whether
    the response must remember a ?lang= choice in the cookie."""
    if b"lang" not in scope["query_string"]:
        # Most readers of a shared page: no ?lang=, often no cookie. Read the two headers
        # directly rather than parsing the request (the public page's fast path).
        accept, cookies = "", False
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies = True
                break
            if name == b"accept-language":
                accept = value.decode("latin-1")
        if not cookies:
            return negotiate(accept), False
    conn = HTTPConnection(scope)
    asked = conn.query_params.get("lang")
    cookie = conn.cookies.get(LOCALE_COOKIE)
    chosen = asked if asked in SUPPORTED_LOCALES else cookie
    if chosen not in SUPPORTED_LOCALES:
        chosen = negotiate(conn.headers.get("accept-language", ""))
    assert chosen is not None
    return chosen, asked in SUPPORTED_LOCALES and asked != cookie


class LocaleMiddleware:
    """Chooses the interface language: ?lang=, then the cookie, then Accept-Language.

    A `?lang=` choice is remembered in the `lang` cookie, so the next page (and the form
    posted from it) stays in that language. Pages say which language they are in and that
    it depends on Accept-Language and Cookie, so a shared cache keeps one copy per language
    (`?lang=` links are distinct cache keys anyway). A cached copy of a response carrying
    the cookie is harmless: its value follows from the URL that was asked for.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen, remember = choose(scope)
        static = scope["path"].startswith("/static/")

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start" and not static:
                headers = MutableHeaders(scope=message)
                _merge_vary(headers, "Accept-Language", "Cookie")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("content-language", chosen)
                if remember:
                    headers.append("set-cookie", _cookie(chosen))
            await send(message)

        token = _current.set(chosen)
        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _current.reset(token)


def _cookie(locale: str) -> str:
    parts = [
        f"{LOCALE_COOKIE}={locale}",
        "Path=/",
        f"Max-Age={LOCALE_COOKIE_MAX_AGE}",
        "SameSite=Lax",
        "HttpOnly",
    ]
    if get_settings().cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)
