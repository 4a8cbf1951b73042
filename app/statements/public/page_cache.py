"""A short cache of the rendered public statement page, per worker process.

A share on social media brings thousands of readers a minute to one page that is the same
for all of them (nothing per-user; it is already sent as public and cacheable for 30 s).
Rendering it costs several queries and a template; serving it from here costs none. An
entry is fresh for `PUBLIC_PAGE_CACHE_SECONDS` (1 s by default), so a new approval, a
correction or the deadline passing shows within about a second; signing itself checks the
deadline on every request and never relies on this page.

When an entry goes stale, one request renders it again while the others go on getting the
stale page; when there is none yet, the others wait for that one request. Fifty readers
arriving together therefore cause one render, not fifty (measured under wrk: without
this, every expiry made each worker render the page once per waiting request).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Condition

from app.core.config import get_settings

_SIZE = 256  # (address, query, language) keys; an unknown query only evicts, never leaks
_WAIT_SECONDS = 10.0  # a waiter renders the page itself after this (a stuck renderer)


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    etag: str
    content_language: str


@dataclass(frozen=True, slots=True)
class _Entry:
    page: CachedPage
    made_at: float


def _clock() -> float:
    return time.monotonic()


_changed = Condition()  # guards the two below; notified when a render ends
_entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
_rendering: set[tuple[str, ...]] = set()


def peek(key: tuple[str, ...]) -> CachedPage | None:
    """The page to serve now without rendering (fresh, or stale while another request
    renders it), or None. Never waits: safe on the event loop."""
    if get_settings().public_page_cache_seconds <= 0:
        return None
    with _changed:
        entry = _entries.get(key)
        if entry is None:
            return None
        fresh = _clock() - entry.made_at < get_settings().public_page_cache_seconds
        if not (fresh or key in _rendering):
            return None
        _entries.move_to_end(key)
        return entry.page


def cached(key: tuple[str, ...], build: Callable[[], CachedPage]) -> CachedPage:
    """The page stored under `key`, rendered by `build()` when it is missing or stale.
    `build` may raise (an unknown address): nothing is stored and waiters try themselves."""
    ttl = get_settings().public_page_cache_seconds
    if ttl <= 0:
        return build()
    with _changed:
        entry = _entries.get(key)
        if entry is not None and (_clock() - entry.made_at < ttl or key in _rendering):
            _entries.move_to_end(key)
            return entry.page  # fresh, or stale while another request renders it
        if entry is None and key in _rendering:
            _changed.wait_for(lambda: key not in _rendering, timeout=_WAIT_SECONDS)
            if (entry := _entries.get(key)) is not None:
                return entry.page
        _rendering.add(key)
    page: CachedPage | None = None
    try:
        page = build()
        return page
    finally:
        with _changed:
            _rendering.discard(key)
            if page is not None:
                _entries[key] = _Entry(page, _clock())
                _entries.move_to_end(key)
                while len(_entries) > _SIZE:
                    _entries.popitem(last=False)
            _changed.notify_all()


def clear() -> None:
    with _changed:
        _entries.clear()
