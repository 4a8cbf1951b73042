"""A short cache of the rendered public statement page, per worker process.

A share on social media brings thousands of readers a minute to one page that is the same
for all of them (nothing per-user; it is already sent as public and cacheable for 30 s).
Rendering it costs several queries and a template; serving it from here costs none. An
entry lives `PUBLIC_PAGE_CACHE_SECONDS` (1 s by default), so a new approval, a correction
or the deadline passing shows within a second; signing itself checks the deadline on
every request and never relies on this page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

from cachetools import TTLCache

from app.config import get_settings

_SIZE = 256  # (address, query, language) triples; an unknown query only evicts, never leaks


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    etag: str
    content_language: str


def _clock() -> float:
    return time.monotonic()


_lock = Lock()
_cache: TTLCache[tuple[str, ...], CachedPage] | None = None


def _store(ttl: float) -> TTLCache[tuple[str, ...], CachedPage]:
    global _cache
    if _cache is None or _cache.ttl != ttl:
        _cache = TTLCache(maxsize=_SIZE, ttl=ttl, timer=lambda: _clock())
    return _cache


def cached(key: tuple[str, ...], build: Callable[[], CachedPage]) -> CachedPage:
    """The page stored under `key` if it is fresh, otherwise `build()` (stored for next time).
    Two requests missing at once both build: cheaper than making one wait on the other."""
    ttl = get_settings().public_page_cache_seconds
    if ttl <= 0:
        return build()
    with _lock:
        found = _store(ttl).get(key)
    if found is not None:
        return found
    page = build()
    with _lock:
        _store(ttl)[key] = page
    return page


def clear() -> None:
    with _lock:
        if _cache is not None:
            _cache.clear()
