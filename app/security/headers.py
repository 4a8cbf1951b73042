"""Response header sets that routes choose on purpose, defined once.

Everything else comes from SecurityHeadersMiddleware (which leaves a header alone when a
route set its own value).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Pages whose address or body carries a secret (a token in the link, an invitation, a new
# API token): the address must not leak to the next site through Referer, and no cache,
# shared or the browser's own, may keep a copy.
SECRET_PAGE: Mapping[str, str] = MappingProxyType(
    {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
)

# Private data that is downloaded rather than shown (team exports).
NO_STORE = "no-store"

# Anonymous readers get a shared, briefly cached page: one share can bring thousands a minute.
PUBLIC_CACHE = "public, max-age=30, stale-while-revalidate=60"
