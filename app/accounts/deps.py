"""Who is asking: the signed-in lead, read from the session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from app.accounts.factors import service as factors
from app.accounts.models import LoginSession, User
from app.accounts.sessions import service as sessions
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError, Forbidden, SeeOther
from app.core.i18n import N_
from app.core.i18n import gettext as _


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    email: str
    is_admin: bool
    locale: str


class LoginRequired(AppError):
    status_code = 401
    title = N_("Please sign in")


def session_cookie_name() -> str:
    return "__Host-session" if get_settings().cookie_secure else "session"


def set_session_cookie(response: Response, *, token: str, max_age: int) -> None:
    response.set_cookie(
        session_cookie_name(),
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=get_settings().cookie_secure,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        session_cookie_name(),
        path="/",
        httponly=True,
        secure=get_settings().cookie_secure,
        samesite="lax",
    )


def optional_user(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(session_cookie_name())
    if not token:
        return None
    found = sessions.user_for_session_token(session, token=token)
    if found is None:
        return None
    user, login = found
    # Templates get a plain snapshot: an error page rendered after the request's
    # transaction was rolled back must not touch expired ORM objects.
    request.state.user = UserView(
        id=user.id or 0,
        name=user.name,
        email=user.email,
        is_admin=user.is_admin,
        locale=user.locale,
    )
    request.state.login_session = login
    return user


# What a lead who must enrol a second factor can still reach.
ENROLMENT_PATHS = ("/account/factors", "/step-up", "/logout")


def current_user(
    request: Request, session: SessionDep, user: Annotated[User | None, Depends(optional_user)]
) -> User:
    if user is None:
        raise LoginRequired(_("Please sign in to continue."))
    if not request.url.path.startswith(ENROLMENT_PATHS) and factors.must_enrol(session, user=user):
        raise SeeOther(
            "/account/factors?required=1",
            _("Your organisation requires a second factor. Add one before you continue."),
        )
    return user


def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden(_("Only administrators can do this."))
    return user


def current_login(request: Request, _user: Annotated[User, Depends(current_user)]) -> LoginSession:
    login: LoginSession = request.state.login_session
    return login


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
CurrentLogin = Annotated[LoginSession, Depends(current_login)]
