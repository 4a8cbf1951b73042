"""Pages for set-up, a lead's account (language, anti-phishing phrase) and the team of
leads. The sub-domains' pages are in their packages and reach the app through this
router: sessions/ (sign-in, sign-out, a lead's sessions), passwords/ (changing one, a
forgotten one), invitations/ (inviting leads, accepting)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts import service
from app.accounts.deps import CurrentAdmin, CurrentLogin, CurrentUser, OptionalUser
from app.accounts.invitations import routes as invitation_routes
from app.accounts.models import User
from app.accounts.pages import (
    PasswordField,
    ShortField,
    account_page,
    signed_in,
    team_page,
)
from app.accounts.passwords import routes as password_routes
from app.accounts.sessions import routes as session_routes
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.i18n import get_locale

router = APIRouter()


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
    # A new account has no second factor yet; the dashboard in the language they chose.
    return signed_in(
        request, session, admin, to=f"/dashboard?lang={admin.locale}", notice="setup-done"
    )


@router.get("/account")
def account(
    request: Request, session: SessionDep, user: CurrentUser, login: CurrentLogin
) -> Response:
    return account_page(request, session, user=user, login=login)


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
        return account_page(
            request, session, user=user, login=login, error=outcome.error.message, status_code=400
        )
    # ?lang= makes the interface follow at once (and remembers it in the cookie).
    return templating.redirect(f"/account?lang={user.locale}", notice="language-saved")


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
        return account_page(
            request,
            session,
            user=user,
            login=login,
            phrase_error=outcome.error.message,
            phrase=phrase,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/account", notice="phrase-saved")


@router.get("/team")
def team(request: Request, session: SessionDep, admin: CurrentAdmin) -> Response:
    return team_page(request, session)


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
        return team_page(request, session, error=error.message, status_code=error.status_code)
    return templating.redirect("/team", notice="lead-reactivated" if active else "lead-deactivated")


for _sub in (session_routes, password_routes, invitation_routes):
    router.include_router(_sub.router)
