"""Input no database can store is refused before any query runs.

PostgreSQL refuses a NUL character in text (psycopg raises, the request would end in a
500), and neither database should keep a lone surrogate or bytes that are not UTF-8 (they
would come back as U+FFFD, silently changing what someone typed). Such input is never a
real name, title or address, so it is refused with 400 wherever it appears: the path, the
query string, a form or a JSON body. Multipart bodies (file uploads) are binary by nature:
their files are checked by the code that reads them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from fastapi import Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BadRequest
from app.core.i18n import gettext as _

_MARK = "unstorable_input"
# A JSON string escape for NUL, or for a surrogate that is not part of a valid pair.
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_JSON_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def storable_bytes(data: bytes) -> bool:
    """UTF-8 without NUL."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def storable_text(value: str) -> bool:
    """Text without NUL or lone surrogates (what `str` can hold but UTF-8 cannot)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _urlencoded_storable(data: bytes) -> bool:
    for pair in data.split(b"&"):
        for part in pair.split(b"=", 1):
            if not storable_bytes(unquote_to_bytes(part.replace(b"+", b" "))):
                return False
    return True


def _json_storable(data: bytes) -> bool:
    return (
        storable_bytes(data)
        and not _JSON_NUL.search(data)
        and not _JSON_LONE_SURROGATE.search(data)
    )


class UnstorableBodyMiddleware:
    """Reads a form or JSON body (already capped by BodyLimitMiddleware, which sits
    outside this one) and marks the request when it holds unstorable text, for
    `refuse_unstorable` to refuse before any route dependency queries the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            check = _urlencoded_storable
        elif content_type == "application/json" or content_type.endswith("+json"):
            check = _json_storable
        else:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if not check(body):
            scope.setdefault("state", {})[_MARK] = True

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def refuse_unstorable(request: Request) -> None:
    """An app-wide dependency: runs before every route's own dependencies and handler.
    `async` because it only reads the request: a plain `def` dependency costs every
    request a thread-pool hop (a tenth of a signature's CPU)."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8", "surrogatepass")
    if not storable_bytes(unquote_to_bytes(raw_path)) or not storable_text(request.url.path):
        raise BadRequest(_("The address contains characters that cannot be stored."))
    if not _urlencoded_storable(request.scope.get("query_string", b"")):
        raise BadRequest(_("The address contains characters that cannot be stored."))
    if request.scope.get("state", {}).get(_MARK):
        raise BadRequest(
            _(
                "Some of what was sent contains characters that cannot be stored "
                "(a NUL character, or text that is not valid UTF-8). Remove them and try again."
            )
        )
