"""What the second-factor pages share: secret pages (never cached), the lead's factors
page shown again with an error, a passkey ceremony's options bound to this browser, and
completing a sign-in once a factor is proved.

Passkey ceremonies take two requests: the browser fetches options (a challenge kept in
the database, bound to a random cookie of this browser), then posts the authenticator's
answer in an ordinary form (frontend/static/js/passkeys.js fills it in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from app.accounts.factors import cookies
from app.accounts.factors import service as factors
from app.accounts.factors.passkeys import service as passkeys
from app.accounts.models import User
from app.accounts.pages import safe_next, signed_in
from app.core import templating
from app.core.db import SessionDep
from app.security import headers, tokens

CodeField = Annotated[str, Form(max_length=100)]
CredentialField = Annotated[str, Form(max_length=20000)]
NameField = Annotated[str, Form(max_length=300)]
NextField = Annotated[str, Form(max_length=2000)]


def secret_page(
    request: Request, name: str, context: dict[str, object], status_code: int = 200
) -> Response:
    response = templating.page(request, name, context, status_code)
    response.headers.update(headers.SECRET_PAGE)
    return response


def factors_page(
    request: Request,
    session: SessionDep,
    *,
    user: User,
    required: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "factors": factors.factors_of(session, user=user),
        "required": required or factors.must_enrol(session, user=user),
        "passkey_only": user.passkey_only,
        "error": error,
    }
    return secret_page(request, "accounts/factors.html", context, status_code)


def binding(request: Request) -> str:
    """The random value of this browser a WebAuthn challenge was bound to ("" for none)."""
    return request.cookies.get(cookies.name("webauthn"), "")


def options_response(request: Request, make: Callable[[str], str]) -> Response:
    """A ceremony's options as JSON, `make` given this browser's binding (a new random
    cookie if it has none yet)."""
    value = binding(request)
    fresh = not value
    if fresh:
        value = tokens.random_token()
    response = Response(make(value), media_type="application/json")
    if fresh:
        cookies.put(response, "webauthn", value, max_age=passkeys.CHALLENGE_MINUTES * 60)
    response.headers.update(headers.SECRET_PAGE)
    return response


def complete_sign_in(
    request: Request, session: SessionDep, *, user: User, method: str, next_path: str
) -> Response:
    """A second factor (or a passkey alone) proved: audited, the session opens, and the
    cookie that named the account waiting for its second step goes."""
    factors.record_sign_in(session, user=user, method=method)
    response = signed_in(request, session, user, to=safe_next(next_path))
    response.delete_cookie(cookies.name("login-pending"), path="/")
    return response
