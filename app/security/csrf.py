"""CSRF protection for every state-changing form: a signed double-submit token.

The browser holds a random value in an HttpOnly cookie; each form carries that value
signed with the server's key (purpose-salted). A forged cross-site form has neither, and
a cookie planted from a sibling domain is useless without the signature. The Origin
header, when sent, must be our own.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.errors import Forbidden, UnsupportedMediaType
from app.core.i18n import gettext as _
from app.security import tokens

FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Requests authenticated by a bearer token carry no ambient credentials: nothing to forge.
EXEMPT_PREFIXES = ("/api/",)


def cookie_name() -> str:
    return "__Host-csrf" if get_settings().cookie_secure else "csrf"


def token_for(request: Request) -> str:
    """The token to put in a form; creates the cookie value on first use."""
    raw = request.cookies.get(cookie_name()) or getattr(request.state, "csrf_new", None)
    if not raw:
        raw = tokens.random_token()
        request.state.csrf_new = raw
    return tokens.make_token(tokens.Purpose.CSRF, raw)


async def verify(request: Request) -> None:
    """App-wide dependency: refuse unsafe requests that lack a valid token."""
    if request.method in SAFE_METHODS or request.url.path.startswith(EXEMPT_PREFIXES):
        return
    _check_origin(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    submitted = request.headers.get(HEADER)
    if not submitted:
        if content_type not in FORM_TYPES:
            raise UnsupportedMediaType(_("Please submit this form from its page."))
        form = await request.form()
        value = form.get(FORM_FIELD)
        submitted = value if isinstance(value, str) else None
    cookie = request.cookies.get(cookie_name())
    if not submitted or not cookie or not _matches(submitted, cookie):
        raise Forbidden(
            _(
                "This form has expired or was not sent from this site. "
                "Go back, reload the page and try again."
            )
        )


def _matches(submitted: str, cookie: str) -> bool:
    try:
        raw = tokens.read_token(tokens.Purpose.CSRF, submitted, max_age_seconds=None)
    except (tokens.TokenInvalid, tokens.TokenExpired):
        return False
    return isinstance(raw, str) and hmac.compare_digest(raw, cookie)


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return
    ours = urlsplit(get_settings().base_url)
    theirs = urlsplit(origin)
    own_host = request.headers.get("host", "")
    if (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc) or theirs.netloc == own_host:
        return
    raise Forbidden(_("This request came from another site and was refused."))


class CSRFCookieMiddleware:
    """Sets the CSRF cookie when a page rendered a token for a browser that had none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = scope.get("state", {}).get("csrf_new")
                if raw:
                    settings = get_settings()
                    parts = [
                        f"{cookie_name()}={raw}",
                        "Path=/",
                        "HttpOnly",
                        "SameSite=Lax",
                    ]
                    if settings.cookie_secure:
                        parts.append("Secure")
                    headers = list(message.get("headers", []))
                    headers.append((b"set-cookie", "; ".join(parts).encode()))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)
