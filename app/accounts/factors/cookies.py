"""The short-lived cookies of second factors: the account whose password was right and
now waits for its second factor, and the random value a WebAuthn challenge is bound to."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from app.accounts.models import User
from app.core import templating
from app.core.config import get_settings
from app.security import tokens

PENDING_SECONDS = 300


def name(base: str) -> str:
    return f"__Host-{base}" if get_settings().cookie_secure else base


def put(response: Response, base: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name(base),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=get_settings().cookie_secure,
        samesite="lax",
    )


def begin_second_step(user: User, *, next_path: str) -> Response:
    """After a correct password: a signed cookie names the account for five minutes, and
    the session opens only when a second factor is proved."""
    response = templating.redirect(f"/login/second-factor?next={quote(next_path, safe='')}")
    token = tokens.make_token(tokens.Purpose.SECOND_FACTOR, {"u": user.id})
    put(response, "login-pending", token, max_age=PENDING_SECONDS)
    return response
