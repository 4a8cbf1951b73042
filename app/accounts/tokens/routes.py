"""A lead's personal access tokens for the JSON API: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response
from fastapi.routing import APIRouter

from app.accounts.deps import CurrentUser
from app.accounts.stepup import RecentSecondFactor
from app.accounts.tokens import service as api_tokens
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import FieldErrors
from app.core.i18n import gettext as _
from app.security import headers

router = APIRouter(prefix="/account/tokens")


def _page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    *,
    new_token: str | None = None,
    name: str = "",
    scopes: list[str] | None = None,
    expires: str = "90",
    expires_on: str = "",
    errors: dict[str, str] | None = None,
    revoked: bool = False,
    status_code: int = 200,
) -> Response:
    response = templating.page(
        request,
        "accounts/tokens.html",
        {
            "tokens": api_tokens.list_tokens(session, user=user),
            "new_token": new_token,
            "name": name,
            "scopes": scopes or ["read"],
            "expires": expires,
            "expires_on": expires_on,
            "expiry_choices": api_tokens.EXPIRY_CHOICES,
            "errors": errors or {},
            "revoked": revoked,
        },
        status_code=status_code,
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("")
def tokens_page(
    request: Request, session: SessionDep, user: CurrentUser, revoked: bool = False
) -> Response:
    return _page(request, session, user, revoked=revoked)


@router.post("")
def create_token(
    request: Request,
    session: SessionDep,
    user: RecentSecondFactor,
    name: Annotated[str, Form(max_length=2000)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires: Annotated[str, Form(max_length=20)] = "90",
    expires_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    chosen = scopes or []
    with db.attempt(session, FieldErrors) as outcome:
        days, on = _expiry_choice(expires, expires_on)
        _token, raw = api_tokens.create_token(
            session,
            user=user,
            name=name,
            scopes=set(chosen) | {"read"},
            expires_in_days=days,
            expires_on=on,
        )
    if outcome.error is not None:
        return _page(
            request,
            session,
            user,
            name=name,
            scopes=chosen,
            expires=expires,
            expires_on=expires_on,
            errors=outcome.error.errors,
            status_code=422,
        )
    # Rendered, not redirected: the raw token exists only in this response.
    return _page(request, session, user, new_token=raw, status_code=201)


def _expiry_choice(expires: str, expires_on: str) -> tuple[int | None, date | None]:
    """The form's choice: a number of days offered, or "date" and a date."""
    if expires == "date":
        try:
            return None, date.fromisoformat(expires_on.strip())
        except ValueError as exc:
            raise FieldErrors({"expires_on": _("Enter the date as YYYY-MM-DD.")}) from exc
    if expires.isdigit() and int(expires) in api_tokens.EXPIRY_CHOICES:
        return int(expires), None
    raise FieldErrors({"expires_on": _("Choose when the token expires.")})


@router.post("/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> Response:
    api_tokens.revoke_token(session, user=user, token_id=token_id)
    return templating.redirect("/account/tokens?revoked=1")
