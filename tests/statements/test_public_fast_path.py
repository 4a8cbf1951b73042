"""A cached public page is answered before the rest of the stack, with the very headers
the full stack gave it; whatever may differ between readers still goes the whole way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from app.core.config import get_settings
from app.statements.public import fast_path, page_cache
from tests.factories import approve_signers, individual, make_user, open_statement


@pytest.fixture
def cache_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "public_page_cache_seconds", 60.0)
    page_cache.clear()
    yield
    page_cache.clear()


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "date"}


def test_the_fast_path_sends_what_the_whole_stack_sent(
    client: TestClient, db: Session, cache_on: None
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="fast-one")
    approve_signers(db, statement, [individual(name="Kim Jeong-sam")])
    first = client.get("/s/fast-one")  # rendered, then recorded on its way out
    assert first.status_code == 200
    for language in ("en", "ko"):
        whole = client.get("/s/fast-one", headers={"Accept-Language": language})
        fast = client.get("/s/fast-one", headers={"Accept-Language": language})
        assert fast.status_code == 200
        assert fast.content == whole.content
        assert _comparable(dict(fast.headers)) == _comparable(dict(whole.headers))
        assert fast.headers["content-language"] == language
        assert fast.headers["content-security-policy"].startswith("default-src 'self'")
        assert fast.headers["x-frame-options"] == "DENY"
        assert fast.headers["vary"] == "Accept-Language, Cookie"
    korean = client.get("/s/fast-one", headers={"Accept-Language": "ko"})
    assert korean.content != first.content  # one copy per language, never mixed


def test_a_language_choice_and_a_conditional_request_go_the_whole_way(
    client: TestClient, db: Session, cache_on: None
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="fast-two")
    client.get("/s/fast-two")
    chosen = client.get("/s/fast-two?lang=ko")
    assert chosen.headers["content-language"] == "ko"
    assert "lang=ko" in chosen.headers["set-cookie"]  # remembered, as without the cache
    again = client.get("/s/fast-two", headers={"Cookie": "lang=ko"})
    assert again.headers["content-language"] == "ko" and "set-cookie" not in again.headers
    etag = again.headers["etag"]
    unchanged = client.get("/s/fast-two", headers={"Cookie": "lang=ko", "If-None-Match": etag})
    assert unchanged.status_code == 304


# --- the middleware alone, around a stand-in for the rest of the stack ---


class _Stack:
    """Answers like the public route: leaves the (key, etag) it answered with."""

    def __init__(self, *, cookie: bool = False) -> None:
        self.calls = 0
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        key = fast_path.page_key(scope, "demo", "en")
        page = page_cache.cached(key, lambda: _page("body"))
        scope.setdefault("state", {})[fast_path.STATE_KEY] = (key, page.etag)
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"x-stack", b"yes")]
        if self.cookie:
            headers.append((b"set-cookie", b"a=b"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": page.body})


def _page(text: str) -> page_cache.CachedPage:
    return page_cache.CachedPage(body=text.encode(), etag=f'"{text}"', content_language="en")


def test_a_recorded_page_is_sent_without_the_stack(cache_on: None) -> None:
    stack = _Stack()
    client = TestClient(fast_path.PublicPageFastPath(stack))
    first = client.get("/s/demo")
    second = client.get("/s/demo")
    assert stack.calls == 1
    assert second.content == first.content == b"body"
    assert dict(second.headers) == dict(first.headers)
    assert second.headers["x-stack"] == "yes"


def test_what_may_differ_between_readers_is_never_sent_from_memory(cache_on: None) -> None:
    stack = _Stack()
    client = TestClient(fast_path.PublicPageFastPath(stack))
    client.get("/s/demo")
    client.head("/s/demo")
    client.get("/s/demo", headers={"If-None-Match": '"body"'})
    client.get("/s/demo?lang=ko")
    client.get("/s/demo/sign")
    assert stack.calls == 5
    with_cookie = _Stack(cookie=True)
    client = TestClient(fast_path.PublicPageFastPath(with_cookie))
    client.get("/s/demo")
    client.get("/s/demo")
    assert with_cookie.calls == 2  # a response that set a cookie is not recorded


def test_a_stale_page_goes_the_whole_way(cache_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _Stack()
    client = TestClient(fast_path.PublicPageFastPath(stack))
    client.get("/s/demo")
    monkeypatch.setattr(get_settings(), "public_page_cache_seconds", 0.0)
    client.get("/s/demo")
    assert stack.calls == 2
