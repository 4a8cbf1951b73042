"""What the accounts pages share: their form fields, the local-only `next`, the lead's
account page and the team page (shown again with an error by several routes), and
opening a session once sign-in is complete."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from app.accounts import service
from app.accounts.deps import set_session_cookie
from app.accounts.invitations import service as invitations
from app.accounts.models import LoginSession, User
from app.accounts.sessions import service as sessions
from app.core import templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.i18n import get_locale
from app.security.ratelimit import client_ip

ShortField = Annotated[str, Form(max_length=300)]
PasswordField = Annotated[str, Form(max_length=1024)]


def safe_next(target: str) -> str:
    """Only local paths: never an open redirect to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def signed_in(
    request: Request, session: SessionDep, user: User, *, to: str, notice: str | None = None
) -> Response:
    """Sign-in is complete (password, then a second factor if the lead has one; or a new
    account): a session opens and the browser goes on to `to`."""
    opened = sessions.open_session(
        session, user=user, ip=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = templating.redirect(to, notice=notice)
    set_session_cookie(response, token=opened.token, max_age=opened.max_age_seconds)
    return response


def account_page(
    request: Request,
    session: SessionDep,
    *,
    user: User,
    login: LoginSession,
    error: str | None = None,
    password_error: str | None = None,
    phrase_error: str | None = None,
    phrase: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "sessions": sessions.list_sessions(session, user=user),
        "this_login": login,
        "error": error,
        "password_error": password_error,
        "phrase_error": phrase_error,
        "phrase": user.anti_phishing_phrase if phrase is None else phrase,
        "idle_minutes": get_settings().session_idle_minutes,
        "max_hours": get_settings().session_max_hours,
    }
    return templating.page(request, "accounts/account.html", context, status_code)


def team_page(
    request: Request,
    session: SessionDep,
    *,
    error: str | None = None,
    email: str = "",
    locale: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "users": service.list_users(session),
        "invites": invitations.list_open_invites(session),
        "error": error,
        "email": email,
        "invite_locale": locale or get_locale(),
    }
    return templating.page(request, "accounts/team.html", context, status_code)
