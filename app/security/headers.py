"""Response header sets, defined once: the defaults every response carries, and the sets
that routes choose on purpose.

SecurityHeadersMiddleware adds the defaults (leaving a header alone when a route set its
own value); the handler for unexpected errors adds them itself, since a 500 is answered
outside the middleware stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def defaults(*, hsts: bool) -> dict[str, str]:
    """The headers every response carries unless its route chose otherwise."""
    found = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        # Pages show private data unless a route says otherwise (public pages do).
        "cache-control": "no-store",
    }
    if hsts:
        found["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return found


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
