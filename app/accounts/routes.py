"""Pages for set-up, sign-in and sign-out, a lead's own sessions, and the team of leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service
from app.accounts.deps import (
    CurrentAdmin,
    CurrentLogin,
    CurrentUser,
    OptionalUser,
    clear_session_cookie,
    session_cookie_name,
    set_session_cookie,
)
from app.accounts.factors import cookies
from app.accounts.factors import service as factors
from app.accounts.models import User
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError, RateLimited
from app.core.i18n import get_locale
from app.core.i18n import gettext as _
from app.security import headers
from app.security.ratelimit import client_ip

router = APIRouter()

ShortField = Annotated[str, Form(max_length=300)]
PasswordField = Annotated[str, Form(max_length=1024)]


def safe_next(target: str) -> str:
    """Only local paths: never an open redirect to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


@router.get("/")
def home(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    if not service.has_users(session):
        return templating.redirect("/setup")
    if user is not None:
        return templating.redirect("/dashboard")
    return templating.page(request, "home.html")


@router.get("/setup")
def setup_form(request: Request, session: SessionDep) -> Response:
    if service.has_users(session):
        return templating.redirect("/login")
    return templating.page(request, "accounts/setup.html", {"form": {}})


@router.post("/setup")
def setup_submit(
    request: Request,
    session: SessionDep,
    code: ShortField = "",
    name: ShortField = "",
    email: ShortField = "",
    password: PasswordField = "",
) -> Response:
    if service.has_users(session):
        return templating.redirect("/login")
    with db.attempt(session, AppError) as outcome:
        admin = service.create_first_admin(
            session, code=code, name=name, email=email, password=password, locale=get_locale()
        )
    if outcome.error is not None:
        return templating.page(
            request,
            "accounts/setup.html",
            {"form": {"name": name, "email": email}, "error": outcome.error.message},
            status_code=outcome.error.status_code,
        )
    return _signed_in(request, session, admin, notice="setup-done")


def _signed_in(request: Request, session: SessionDep, user: User, *, notice: str) -> Response:
    """A lead who has just chosen their password is signed in (a new account has no second
    factor yet), on their dashboard in the language they chose."""
    opened = service.open_session(
        session, user=user, ip=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = templating.redirect(f"/dashboard?lang={user.locale}", notice=notice)
    set_session_cookie(response, token=opened.token, max_age=opened.max_age_seconds)
    return response


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
    opened = service.open_session(
        session, user=user, ip=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = templating.redirect(safe_next(next))
    set_session_cookie(response, token=opened.token, max_age=opened.max_age_seconds)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(session_cookie_name())
    if token:
        service.sign_out(session, token=token)
    response = templating.redirect("/login", notice="signed-out")
    clear_session_cookie(response)
    return response


@router.get("/account")
def account(
    request: Request, session: SessionDep, user: CurrentUser, login: CurrentLogin
) -> Response:
    return _account_page(request, session, user=user, login=login)


def _account_page(
    request: Request,
    session: SessionDep,
    *,
    user: CurrentUser,
    login: CurrentLogin,
    error: str | None = None,
    password_error: str | None = None,
    phrase_error: str | None = None,
    phrase: str | None = None,
    status_code: int = 200,
) -> Response:
    sessions = service.list_sessions(session, user=user)
    context = {
        "sessions": sessions,
        "this_login": login,
        "error": error,
        "password_error": password_error,
        "phrase_error": phrase_error,
        "phrase": user.anti_phishing_phrase if phrase is None else phrase,
        "idle_minutes": get_settings().session_idle_minutes,
        "max_hours": get_settings().session_max_hours,
    }
    return templating.page(request, "accounts/account.html", context, status_code)


@router.post("/account/language")
def set_language(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    login: CurrentLogin,
    locale: ShortField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.set_language(session, user=user, locale=locale)
    if outcome.error is not None:
        return _account_page(
            request, session, user=user, login=login, error=outcome.error.message, status_code=400
        )
    # ?lang= makes the interface follow at once (and remembers it in the cookie).
    return templating.redirect(f"/account?lang={user.locale}", notice="language-saved")


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(session_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke_session(session, user=user, session_id=session_id)
    return templating.redirect("/account", notice="session-revoked")


@router.post("/account/sessions/revoke-others")
def revoke_other_sessions(session: SessionDep, user: CurrentUser, login: CurrentLogin) -> Response:
    service.revoke_other_sessions(session, user=user, keep=login)
    return templating.redirect("/account", notice="sessions-revoked")


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    user: RecentSecondFactor,
    login: CurrentLogin,
    current_password: PasswordField = "",
    new_password: PasswordField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.change_password(
            session, user=user, current=current_password, new=new_password, keep=login
        )
    if outcome.error is not None:
        return _account_page(
            request,
            session,
            user=user,
            login=login,
            password_error=outcome.error.message,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/account", notice="password-changed")


@router.post("/account/phrase")
def set_phrase(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    login: CurrentLogin,
    phrase: ShortField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.set_anti_phishing_phrase(session, user=user, phrase=phrase)
    if outcome.error is not None:
        return _account_page(
            request,
            session,
            user=user,
            login=login,
            phrase_error=outcome.error.message,
            phrase=phrase,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/account", notice="phrase-saved")


# --- a forgotten password --------------------------------------------------------------


@router.get("/forgot")
def forgot_form(request: Request) -> Response:
    return templating.page(
        request, "accounts/forgot.html", {"email": "", "sent": False, "reset_minutes": 0}
    )


@router.post("/forgot")
def forgot_submit(request: Request, session: SessionDep, email: ShortField = "") -> Response:
    # The same page whether or not the address has an account.
    service.request_password_reset(session, email=email)
    context = {"email": email, "sent": True, "reset_minutes": get_settings().password_reset_minutes}
    return templating.page(request, "accounts/forgot.html", context)


@router.get("/reset/{token}")
def reset_form(request: Request, token: str, session: SessionDep) -> Response:
    service.reset_from_token(session, token=token)
    response = templating.page(request, "accounts/reset.html", {"token": token})
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.post("/reset/{token}")
def reset_submit(
    request: Request, token: str, session: SessionDep, password: PasswordField = ""
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.reset_password(session, token=token, password=password)
    if (error := outcome.error) is not None:
        # An unknown, used or expired link is that page, not the form again.
        if error.status_code in (404, 410):
            raise error
        response = templating.page(
            request,
            "accounts/reset.html",
            {"token": token, "error": error.message},
            error.status_code,
        )
        response.headers.update(headers.SECRET_PAGE)
        return response
    # Not signed in: they sign in now, with every step sign-in asks for.
    done = templating.redirect("/login", notice="password-reset")
    clear_session_cookie(done)
    return done


@router.get("/team")
def team(request: Request, session: SessionDep, admin: CurrentAdmin) -> Response:
    return _team_page(request, session)


def _team_page(
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
        "invites": service.list_open_invites(session),
        "error": error,
        "email": email,
        "invite_locale": locale or get_locale(),
    }
    return templating.page(request, "accounts/team.html", context, status_code)


@router.post("/team/invites")
def invite(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _stepped: RecentSecondFactor,
    email: ShortField = "",
    locale: ShortField = "",
    make_admin: Annotated[bool, Form()] = False,
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.invite_lead(
            session,
            inviter=admin,
            email=email,
            locale=locale or get_locale(),
            make_admin=make_admin,
        )
    if outcome.error is not None:
        return _team_page(
            request,
            session,
            error=outcome.error.message,
            email=email,
            locale=locale,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/team", notice="invite-sent")


@router.post("/team/leads/{user_id}/deactivate")
def deactivate_lead(
    user_id: int,
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _stepped_up: RecentSecondFactor,
) -> Response:
    return _set_active(request, session, admin=admin, user_id=user_id, active=False)


@router.post("/team/leads/{user_id}/reactivate")
def reactivate_lead(
    user_id: int,
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _stepped_up: RecentSecondFactor,
) -> Response:
    return _set_active(request, session, admin=admin, user_id=user_id, active=True)


def _set_active(
    request: Request, session: SessionDep, *, admin: User, user_id: int, active: bool
) -> Response:
    with db.attempt(session, AppError) as outcome:
        service.set_active(session, admin=admin, user_id=user_id, active=active)
    if (error := outcome.error) is not None:
        if error.status_code == 404:
            raise error
        return _team_page(request, session, error=error.message, status_code=error.status_code)
    return templating.redirect("/team", notice="lead-reactivated" if active else "lead-deactivated")


@router.post("/team/invites/{invite_id}/revoke")
def revoke_invite(
    invite_id: int, session: SessionDep, admin: CurrentAdmin, _stepped: RecentSecondFactor
) -> Response:
    service.revoke_invite(session, invite_id=invite_id)
    return templating.redirect("/team", notice="invite-revoked")


@router.get("/invite/{token}")
def invite_form(request: Request, token: str, session: SessionDep) -> Response:
    invite = service.invite_from_token(session, token=token)
    response = templating.page(
        request, "accounts/accept_invite.html", {"invite": invite, "name": ""}
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.post("/invite/{token}")
def invite_submit(
    request: Request,
    token: str,
    session: SessionDep,
    name: ShortField = "",
    password: PasswordField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        lead = service.accept_invite(
            session, token=token, name=name, password=password, locale=get_locale()
        )
    if (error := outcome.error) is not None:
        # An unknown or used invitation is that page, not the form again.
        if error.status_code in (404, 410):
            raise error
        invite = service.invite_from_token(session, token=token)
        response = templating.page(
            request,
            "accounts/accept_invite.html",
            {"invite": invite, "name": name, "error": error.message},
            error.status_code,
        )
        response.headers.update(headers.SECRET_PAGE)
        return response
    return _signed_in(request, session, lead, notice="invite-accepted")
