"""A lead changing their password, and a forgotten password reset by an emailed link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentLogin, clear_session_cookie
from app.accounts.pages import PasswordField, ShortField, account_page
from app.accounts.passwords import service as passwords
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError
from app.security import headers

router = APIRouter()


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
        passwords.change_password(
            session, user=user, current=current_password, new=new_password, keep=login
        )
    if outcome.error is not None:
        return account_page(
            request,
            session,
            user=user,
            login=login,
            password_error=outcome.error.message,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/account", notice="password-changed")


@router.get("/forgot")
def forgot_form(request: Request) -> Response:
    return templating.page(
        request, "accounts/forgot.html", {"email": "", "sent": False, "reset_minutes": 0}
    )


@router.post("/forgot")
def forgot_submit(request: Request, session: SessionDep, email: ShortField = "") -> Response:
    # The same page whether or not the address has an account.
    passwords.request_password_reset(session, email=email)
    context = {"email": email, "sent": True, "reset_minutes": get_settings().password_reset_minutes}
    return templating.page(request, "accounts/forgot.html", context)


def _reset_page(
    request: Request, token: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    response = templating.page(
        request, "accounts/reset.html", {"token": token, "error": error}, status_code
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/reset/{token}")
def reset_form(request: Request, token: str, session: SessionDep) -> Response:
    passwords.reset_from_token(session, token=token)
    return _reset_page(request, token)


@router.post("/reset/{token}")
def reset_submit(
    request: Request, token: str, session: SessionDep, password: PasswordField = ""
) -> Response:
    with db.attempt(session, AppError) as outcome:
        passwords.reset_password(session, token=token, password=password)
    if (error := outcome.error) is not None:
        # An unknown, used or expired link is that page, not the form again.
        if error.status_code in (404, 410):
            raise error
        return _reset_page(request, token, error=error.message, status_code=error.status_code)
    # Not signed in: they sign in now, with every step sign-in asks for.
    done = templating.redirect("/login", notice="password-reset")
    clear_session_cookie(done)
    return done
