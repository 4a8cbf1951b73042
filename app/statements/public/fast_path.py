"""The public statement page answered from its cache before the rest of the stack.

A shared statement's page is the same bytes for every reader of one language (see
`page_cache`). Sent through the whole application, each copy still paid for routing
among some three hundred routes, FastAPI's parameter handling and five middlewares'
header work: about three quarters of the time of a cached page (py-spy, 2026-11-30).

`PublicPageFastPath` is the outermost middleware. For `GET /s/{slug}` it works out the
cache key as the route does (the address, its query and the reader's language) and, when
the page cache holds that page, sends it with the very headers the full stack sent for it
the last time: they are recorded from the full stack's own response (every middleware's
headers included), never written here a second time. Whatever could differ from one reader
to the next goes the whole way: a `?lang=` choice (its cookie), a conditional request
(`If-None-Match`), a response that set a cookie, and any page not cached yet or gone stale.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import i18n
from app.statements.public import page_cache

_PATH: Final = re.compile(r"/s/([^/]+)")
_SIZE: Final = 512  # (key, etag) pairs; like page_cache's, an unknown query only evicts
STATE_KEY: Final = "public_page"  # request.state: the (key, etag) the route answered with

Headers = list[tuple[bytes, bytes]]


def page_key(scope: Scope, slug: str, locale: str) -> tuple[str, ...]:
    """The page cache's key for a public page, the route's and this middleware's alike:
    the address, its query as sent (the language switcher's links repeat it) and the
    reader's language."""
    return ("/s/", slug, scope["query_string"].decode("latin-1"), locale)


class PublicPageFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The full stack's 200 headers for a cached page, by (key, etag): a new render
        # has a new etag, so its headers are recorded afresh.
        self._headers: OrderedDict[tuple[tuple[str, ...], str], Headers] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _PATH.fullmatch(scope["path"]) if scope["type"] == "http" else None
        if found is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        locale, remember = i18n.choose(scope)
        conditional = any(name == b"if-none-match" for name, _ in scope["headers"])
        if remember or conditional:
            await self.app(scope, receive, send)
            return
        key = page_key(scope, found[1], locale)
        page = page_cache.peek(key)
        headers = self._headers.get((key, page.etag)) if page is not None else None
        if page is not None and headers is not None:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": page.body})
            return
        scope.setdefault("state", {})  # where the route leaves what it answered with
        await self.app(scope, receive, self._recording(scope, send))

    def _recording(self, scope: Scope, send: Send) -> Send:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                answered = scope.get("state", {}).get(STATE_KEY)
                headers = list(message.get("headers", []))
                if answered is not None and not any(n == b"set-cookie" for n, _ in headers):
                    self._headers[answered] = headers
                    self._headers.move_to_end(answered)
                    while len(self._headers) > _SIZE:
                        self._headers.popitem(last=False)
            await send(message)

        return record
