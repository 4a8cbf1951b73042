"""Transport-level guards applied to every response: security headers and a body size cap."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.security import headers


class SecurityHeadersMiddleware:
    """Adds security headers unless a route chose its own value for one of them."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.defaults = headers.defaults(hsts=hsts)
        # As ASGI carries them (names in lower case): every response of every route adds
        # these, so the names present are looked at once, not once per default.
        self.raw = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self.defaults.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in self.raw if item[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, whether or not they declare a length.

    The body is read (up to the limit) before the app sees it, so an oversized upload is
    refused cleanly instead of failing half-way through parsing. Limits are read from the
    settings on each request: `max_body_bytes`, or the one `larger` gives for a path.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        larger: Mapping[re.Pattern[str], Callable[[Settings], int]] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.larger = larger or {}

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.larger.items():
            if pattern.match(path):
                return limit(self.settings)
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _plain(send, 400, b"Invalid Content-Length.")
                return
            if too_big:
                await _too_large(scope, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await _too_large(scope, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": buffered, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, send: Send) -> None:
    if scope["path"].startswith("/api/"):
        body = b'{"error": {"status": 413, "message": "The request is too large."}}'
        await _plain(send, 413, body, content_type=b"application/json")
    else:
        await _plain(send, 413, b"The request is too large.")


async def _plain(
    send: Send, status: int, text: bytes, *, content_type: bytes = b"text/plain; charset=utf-8"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})
