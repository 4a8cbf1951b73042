"""A lead's authenticator app: enrolling with a first code, removing it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.factors.attempts import FactorRefused
from app.accounts.factors.pages import CodeField, secret_page
from app.accounts.factors.totp import service as totp
from app.accounts.stepup import RecentSecondFactor
from app.core import templating
from app.core.db import SessionDep

router = APIRouter()


@router.get("/account/factors/totp")
def totp_form(request: Request, session: SessionDep, user: RecentSecondFactor) -> Response:
    enrolment = totp.start_totp(session, user=user)
    return secret_page(request, "accounts/totp.html", {"enrolment": enrolment})


@router.post("/account/factors/totp")
def totp_confirm(
    request: Request, session: SessionDep, user: RecentSecondFactor, code: CodeField = ""
) -> Response:
    # Not db.attempt: a wrong code's count towards the pause must stay.
    try:
        codes = totp.confirm_totp(session, user=user, code=code)
    except FactorRefused as exc:
        enrolment = totp.start_totp(session, user=user)
        return secret_page(
            request, "accounts/totp.html", {"enrolment": enrolment, "error": exc.message}, 400
        )
    return secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})


@router.post("/account/factors/totp/remove")
def totp_remove(session: SessionDep, user: RecentSecondFactor) -> Response:
    totp.remove_totp(session, user=user)
    return templating.redirect("/account/factors", notice="totp-removed")
