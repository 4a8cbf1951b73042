"""Pages for second factors: a lead's factors page and recovery codes; the second step of
signing in; step-up; and the administrators' security page. Passkeys and the
authenticator app have their own pages (passkeys/routes.py, totp/routes.py), reaching
the app through this router; what they share is in pages.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentAdmin, CurrentLogin, CurrentUser, LoginRequired
from app.accounts.factors import cookies
from app.accounts.factors import service as factors
from app.accounts.factors.pages import (
    CodeField,
    CredentialField,
    NextField,
    binding,
    complete_sign_in,
    factors_page,
    options_response,
    secret_page,
)
from app.accounts.factors.passkeys import routes as passkey_routes
from app.accounts.factors.passkeys import service as passkeys
from app.accounts.factors.recovery import service as recovery
from app.accounts.factors.totp import routes as totp_routes
from app.accounts.models import User
from app.accounts.pages import safe_next
from app.accounts.stepup import RecentSecondFactor
from app.core import templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.i18n import gettext as _
from app.security import tokens

router = APIRouter()


# --- a lead's own factors -----------------------------------------------------------


@router.get("/account/factors")
def factors_overview(
    request: Request, session: SessionDep, user: CurrentUser, required: bool = False
) -> Response:
    return factors_page(request, session, user=user, required=required)


@router.post("/account/factors/recovery-codes")
def recovery_codes(request: Request, session: SessionDep, user: RecentSecondFactor) -> Response:
    codes = recovery.regenerate_recovery_codes(session, user=user)
    return secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": False})


# --- signing in: the second step ----------------------------------------------------


def _pending_user(request: Request, session: SessionDep) -> User:
    raw = request.cookies.get(cookies.name("login-pending"), "")
    try:
        payload = tokens.read_token(
            tokens.Purpose.SECOND_FACTOR, raw, max_age_seconds=cookies.PENDING_SECONDS
        )
    except (tokens.TokenInvalid, tokens.TokenExpired) as exc:
        raise LoginRequired(_("Please sign in again.")) from exc
    user = session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    if user is None or not user.is_active:
        raise LoginRequired(_("Please sign in again."))
    return user


SECOND_STEP = "accounts/second_factor.html"
STEP_UP = "accounts/step_up.html"


def _proof_page(
    request: Request,
    session: SessionDep,
    name: str,
    *,
    user: User,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """A page asking `user` to prove a factor (SECOND_STEP of signing in, or STEP_UP),
    first shown or shown again with why the last try was refused."""
    context = {
        "factors": factors.factors_of(session, user=user),
        "next": safe_next(next_path),
        "error": error,
        "minutes": get_settings().step_up_minutes,
    }
    return secret_page(request, name, context, status_code)


@router.get("/login/second-factor")
def second_factor_form(request: Request, session: SessionDep, next: str = "/dashboard") -> Response:
    user = _pending_user(request, session)
    return _proof_page(request, session, SECOND_STEP, user=user, next_path=next)


@router.post("/login/second-factor/options")
def second_factor_options(request: Request, session: SessionDep) -> Response:
    user = _pending_user(request, session)
    return options_response(
        request,
        lambda b: passkeys.authentication_options(
            session, binding=b, purpose="second-factor", user=user
        ),
    )


@router.post("/login/second-factor")
def second_factor_submit(
    request: Request,
    session: SessionDep,
    code: CodeField = "",
    credential: CredentialField = "",
    next: NextField = "/dashboard",
) -> Response:
    user = _pending_user(request, session)
    # Not db.attempt: a refusal's count towards the pause and its audit entry must stay.
    try:
        method = factors.prove(
            session,
            user=user,
            purpose="second-factor",
            binding=binding(request),
            credential=credential,
            code=code,
        )
    except AppError as exc:
        return _proof_page(
            request,
            session,
            SECOND_STEP,
            user=user,
            next_path=next,
            error=exc.message,
            status_code=exc.status_code,
        )
    return complete_sign_in(request, session, user=user, method=method, next_path=next)


# --- step-up ------------------------------------------------------------------------


@router.get("/step-up")
def step_up_form(
    request: Request, session: SessionDep, user: CurrentUser, next: str = "/dashboard"
) -> Response:
    return _proof_page(request, session, STEP_UP, user=user, next_path=next)


@router.post("/step-up/options")
def step_up_options(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return options_response(
        request,
        lambda b: passkeys.authentication_options(session, binding=b, purpose="step-up", user=user),
    )


@router.post("/step-up")
def step_up_submit(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    login: CurrentLogin,
    code: CodeField = "",
    credential: CredentialField = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: NextField = "/dashboard",
) -> Response:
    # Not db.attempt: a refusal's count towards the pause and its audit entry must stay.
    try:
        if credential or factors.has_second_factor(session, user=user):
            method = factors.prove(
                session,
                user=user,
                purpose="step-up",
                binding=binding(request),
                credential=credential,
                code=code,
            )
        else:
            factors.verify_password_step_up(session, user=user, password=password)
            method = "password (no second factor enrolled)"
    except AppError as exc:
        return _proof_page(
            request,
            session,
            STEP_UP,
            user=user,
            next_path=next,
            error=exc.message,
            status_code=exc.status_code,
        )
    factors.record_step_up(session, user=user, login=login, method=method)
    return templating.redirect(safe_next(next), notice="stepped-up")


# --- administrators -----------------------------------------------------------------


@router.get("/team/security")
def security_page(request: Request, session: SessionDep, admin: CurrentAdmin) -> Response:
    context = {
        "required": factors.second_factor_required(session),
        "leads": factors.leads_with_factors(session),
    }
    return templating.page(request, "accounts/security.html", context)


@router.post("/team/security")
def security_save(
    session: SessionDep,
    admin: CurrentAdmin,
    _stepped: RecentSecondFactor,
    required: Annotated[bool, Form()] = False,
) -> Response:
    factors.set_second_factor_required(session, admin=admin, required=required)
    return templating.redirect("/team/security", notice="security-saved")


@router.post("/team/security/{user_id}/reset")
def reset_lead_factors(
    user_id: int, session: SessionDep, admin: CurrentAdmin, _stepped: RecentSecondFactor
) -> Response:
    factors.reset_factors(session, admin=admin, user_id=user_id)
    return templating.redirect("/team/security", notice="factors-reset")


for _sub in (passkey_routes, totp_routes):
    router.include_router(_sub.router)
