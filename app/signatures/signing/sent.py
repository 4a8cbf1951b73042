"""What the signer's own browser keeps for a few minutes after sending the sign form: the
address, shown partly masked on "Check your email" so a typo is seen, and what they typed,
for "wrong address? sign again".

It is a signed cookie scoped to the statement's sign pages, set in exactly the same way for
a first signature and a repeat: it holds only what this submission typed, never anything
about an earlier signature, so it reveals nothing the submitter did not just type. The
pending signature at a wrong address never confirms and is purged by retention.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from app.core.config import get_settings
from app.security import tokens
from app.signatures.signing import several

COOKIE = "sign_sent"
MINUTES = 30
_MAX_COOKIE = 3800  # browsers keep about 4 KB per cookie
KEPT = (
    "kind",
    "organisation",
    "acronym",
    "website",
    "name",
    "title",
    "note",
    "country",
    "email",
    "listing",
    "authorised",
    "opt_in_updates",
    several.PERSON_COUNTRY,
    several.COUNT,  # how many organisations: "check your email" says how many emails
    *(
        several.field_name(name, number)
        for number in range(2, several.MAX_ORGANISATIONS + 1)
        for name in several.BLOCK_FIELDS
    ),
)
MASK = "•••"


def mask_email(address: str) -> str:
    """ "j•••@example.org": the first character of the mailbox and the whole domain (where
    typos are most often made), and a fixed mask, so the mailbox's length is not told."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return MASK
    return f"{local[0]}{MASK}@{domain}"


def _path(slug: str) -> str:
    return f"/s/{slug}/sign"


def remember(response: Response, *, slug: str, values: dict[str, str]) -> None:
    kept = {k: values[k] for k in KEPT if values.get(k)}
    token = tokens.make_token(tokens.Purpose.SIGN_SENT, {"slug": slug, "v": kept})
    if len(token) > _MAX_COOKIE:  # very long names and notes: keep the address and count
        brief = {k: kept[k] for k in ("email", "kind", several.COUNT) if k in kept}
        token = tokens.make_token(tokens.Purpose.SIGN_SENT, {"slug": slug, "v": brief})
    response.set_cookie(
        COOKIE,
        token,
        max_age=MINUTES * 60,
        path=_path(slug),
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def recall(request: Request, *, slug: str) -> dict[str, str] | None:
    """What this browser sent to this statement's form in the last minutes, or None."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    try:
        payload: Any = tokens.read_token(
            tokens.Purpose.SIGN_SENT, token, max_age_seconds=MINUTES * 60
        )
    except (tokens.TokenExpired, tokens.TokenInvalid):
        return None
    if not isinstance(payload, dict) or payload.get("slug") != slug:
        return None
    values = payload.get("v")
    if not isinstance(values, dict):
        return None
    return {k: v for k, v in values.items() if k in KEPT and isinstance(v, str)}
