"""The public page is rendered at most once a second per worker and address: a share can
bring thousands of readers a minute to one page that is the same for all of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.core.config import get_settings
from app.statements.public import page_cache
from tests.factories import approve_signers, individual, make_user, open_statement


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    now = [1000.0]
    monkeypatch.setattr(get_settings(), "public_page_cache_seconds", 1.0)
    monkeypatch.setattr(page_cache, "_clock", lambda: now[0])
    page_cache.clear()
    yield now
    page_cache.clear()


def _count_queries(db: Session) -> list[str]:
    seen: list[str] = []
    event.listen(db.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_fresh_page_is_served_without_a_query_and_renewed_after_a_second(
    client: TestClient, db: Session, clock: list[float]
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="cached-one")
    approve_signers(db, statement, [individual(name="Kim Jeong-sam")])
    first = client.get("/s/cached-one")
    assert first.status_code == 200 and "Kim Jeong-sam" in first.text

    approve_signers(db, statement, [individual(name="Lee Young-hee", email="yh@example.org")])
    queries = _count_queries(db)
    clock[0] += 0.5
    again = client.get("/s/cached-one")
    assert again.text == first.text  # the same bytes, within the second
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-language"] == "en"
    assert again.headers["cache-control"].startswith("public")
    assert queries == []  # served from memory: not one query

    clock[0] += 0.6
    renewed = client.get("/s/cached-one")
    assert "Lee Young-hee" in renewed.text
    assert renewed.headers["etag"] != first.headers["etag"]
    unchanged = client.get("/s/cached-one", headers={"If-None-Match": renewed.headers["etag"]})
    assert unchanged.status_code == 304


def test_each_language_and_query_has_its_own_entry(
    client: TestClient, db: Session, clock: list[float]
) -> None:
    open_statement(db, owner=make_user(db), slug="cached-two")
    english = client.get("/s/cached-two")
    korean = client.get("/s/cached-two?lang=ko")
    assert korean.headers["content-language"] == "ko"
    assert english.headers["content-language"] == "en"
    assert 'lang="ko"' in korean.text.split(">", 2)[1]
    # The switcher repeats the query it was given; another query is not served that page.
    tagged = client.get("/s/cached-two?utm_source=share")
    assert "utm_source=share" in tagged.text
    assert "utm_source" not in client.get("/s/cached-two").text


def test_unknown_and_draft_statements_are_not_cached(
    client: TestClient, db: Session, clock: list[float]
) -> None:
    assert client.get("/s/nothing-here").status_code == 404
    owner = make_user(db)
    open_statement(db, owner=owner, slug="nothing-here")
    assert client.get("/s/nothing-here").status_code == 200


def _page(text: str) -> page_cache.CachedPage:
    return page_cache.CachedPage(body=text.encode(), etag=f'"{text}"', content_language="en")


def test_readers_arriving_together_cause_one_render(clock: list[float]) -> None:
    started, release, renders = threading.Event(), threading.Event(), []

    def slow() -> page_cache.CachedPage:
        renders.append(1)
        started.set()
        release.wait(5)
        return _page("first")

    got: list[bytes] = []
    first = threading.Thread(target=lambda: got.append(page_cache.cached(("k",), slow).body))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: got.append(page_cache.cached(("k",), slow).body))
        for _ in range(20)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert renders == [1]
    assert got == [b"first"] * 21


def test_a_stale_page_is_served_while_one_request_renders_it_again(clock: list[float]) -> None:
    page_cache.cached(("k",), lambda: _page("old"))
    clock[0] += 2  # stale
    inside, release = threading.Event(), threading.Event()

    def rerender() -> page_cache.CachedPage:
        inside.set()
        release.wait(5)
        return _page("new")

    renderer = threading.Thread(target=lambda: page_cache.cached(("k",), rerender))
    renderer.start()
    inside.wait(5)
    # Another reader meanwhile: the stale page at once, not a second render.
    assert page_cache.cached(("k",), lambda: _page("unexpected")).body == b"old"
    release.set()
    renderer.join(5)
    assert page_cache.cached(("k",), lambda: _page("unexpected")).body == b"new"


def test_a_failed_render_stores_nothing(clock: list[float]) -> None:
    def missing() -> page_cache.CachedPage:
        raise LookupError("no such statement")

    with pytest.raises(LookupError):
        page_cache.cached(("gone",), missing)
    assert page_cache.cached(("gone",), lambda: _page("later")).body == b"later"


def test_peek_never_renders_or_waits(clock: list[float]) -> None:
    """The event loop asks `peek` first: it answers from memory or says there is nothing."""
    assert page_cache.peek(("k",)) is None
    page_cache.cached(("k",), lambda: _page("one"))
    assert page_cache.peek(("k",)) == _page("one")
    clock[0] += 2
    assert page_cache.peek(("k",)) is None  # stale, and nobody renders it: the caller will
