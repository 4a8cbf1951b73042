"""Signing in with a password and out, and a lead's own sessions (ending one, or all the
others). The second step and signing in with a passkey are in factors/routes.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service
from app.accounts.deps import (
    CurrentLogin,
    CurrentUser,
    OptionalUser,
    clear_session_cookie,
    session_cookie_name,
)
from app.accounts.factors import cookies
from app.accounts.factors import service as factors
from app.accounts.pages import PasswordField, ShortField, safe_next, signed_in
from app.accounts.sessions import service as sessions
from app.core import templating
from app.core.db import SessionDep
from app.core.errors import AppError, RateLimited
from app.core.i18n import gettext as _
from app.security.ratelimit import client_ip

router = APIRouter()


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = "/dashboard") -> Response:
    if user is not None:
        return templating.redirect(safe_next(next))
    return templating.page(request, "accounts/login.html", {"email": "", "next": safe_next(next)})


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    email: ShortField = "",
    password: PasswordField = "",
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    context = {"email": email, "next": safe_next(next)}
    # Not db.attempt: undoing its savepoint would undo the failed attempt's count too.
    try:
        user = service.authenticate(session, email=email, password=password, ip=client_ip(request))
    except service.InvalidCredentials:
        error = _("That email and password do not match an account.")
        return templating.page(request, "accounts/login.html", {**context, "error": error}, 400)
    except AppError as exc:
        page = templating.page(
            request, "accounts/login.html", {**context, "error": exc.message}, exc.status_code
        )
        if isinstance(exc, RateLimited):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if factors.has_second_factor(session, user=user):
        return cookies.begin_second_step(user, next_path=safe_next(next))
    return signed_in(request, session, user, to=safe_next(next))


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(session_cookie_name())
    if token:
        sessions.sign_out(session, token=token)
    response = templating.redirect("/login", notice="signed-out")
    clear_session_cookie(response)
    return response


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(session_id: int, session: SessionDep, user: CurrentUser) -> Response:
    sessions.revoke_session(session, user=user, session_id=session_id)
    return templating.redirect("/account", notice="session-revoked")


@router.post("/account/sessions/revoke-others")
def revoke_other_sessions(session: SessionDep, user: CurrentUser, login: CurrentLogin) -> Response:
    sessions.revoke_other_sessions(session, user=user, keep=login)
    return templating.redirect("/account", notice="sessions-revoked")
