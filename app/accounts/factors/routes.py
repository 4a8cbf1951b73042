"""Pages for second factors: a lead's passkeys, authenticator app and recovery codes;
the second step of signing in (and signing in with a passkey alone); step-up; and the
administrators' security page.

Passkey ceremonies take two requests: the browser fetches options (a challenge kept in
the database, bound to a random cookie of this browser), then posts the authenticator's
answer in an ordinary form (frontend/static/js/passkeys.js fills it in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service as accounts
from app.accounts.deps import (
    CurrentAdmin,
    CurrentLogin,
    CurrentUser,
    LoginRequired,
    set_session_cookie,
)
from app.accounts.factors import cookies
from app.accounts.factors import service as factors
from app.accounts.models import User
from app.accounts.routes import safe_next
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.i18n import gettext as _
from app.security import headers, tokens
from app.security.ratelimit import client_ip

router = APIRouter()

CodeField = Annotated[str, Form(max_length=100)]
CredentialField = Annotated[str, Form(max_length=20000)]
NameField = Annotated[str, Form(max_length=300)]
NextField = Annotated[str, Form(max_length=2000)]


def _binding(request: Request, response: Response) -> str:
    """This browser's random value that ties a WebAuthn challenge to it."""
    value = request.cookies.get(cookies.name("webauthn"))
    if not value:
        value = tokens.random_token()
        cookies.put(response, "webauthn", value, max_age=factors.CHALLENGE_MINUTES * 60)
    return value


def _options_response(request: Request, make: Callable[[str], str]) -> Response:
    cookie_carrier = Response()
    binding = _binding(request, cookie_carrier)
    response = Response(make(binding), media_type="application/json")
    for name, value in cookie_carrier.raw_headers:
        if name == b"set-cookie":
            response.raw_headers.append((name, value))
    response.headers.update(headers.SECRET_PAGE)
    return response


def _secret_page(
    request: Request, name: str, context: dict[str, object], status_code: int = 200
) -> Response:
    response = templating.page(request, name, context, status_code)
    response.headers.update(headers.SECRET_PAGE)
    return response


# --- a lead's own factors -----------------------------------------------------------


@router.get("/account/factors")
def factors_page(
    request: Request, session: SessionDep, user: CurrentUser, required: bool = False
) -> Response:
    return _factors_page(request, session, user=user, required=required)


def _factors_page(
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
    return _secret_page(request, "accounts/factors.html", context, status_code)


@router.get("/account/factors/totp")
def totp_form(request: Request, session: SessionDep, user: RecentSecondFactor) -> Response:
    enrolment = factors.start_totp(session, user=user)
    return _secret_page(request, "accounts/totp.html", {"enrolment": enrolment})


@router.post("/account/factors/totp")
def totp_confirm(
    request: Request, session: SessionDep, user: RecentSecondFactor, code: CodeField = ""
) -> Response:
    # Not db.attempt: a wrong code's count towards the pause must stay.
    try:
        codes = factors.confirm_totp(session, user=user, code=code)
    except factors.FactorRefused as exc:
        enrolment = factors.start_totp(session, user=user)
        return _secret_page(
            request, "accounts/totp.html", {"enrolment": enrolment, "error": exc.message}, 400
        )
    return _secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})


@router.post("/account/factors/totp/remove")
def totp_remove(session: SessionDep, user: RecentSecondFactor) -> Response:
    factors.remove_totp(session, user=user)
    return templating.redirect("/account/factors", notice="totp-removed")


@router.post("/account/factors/recovery-codes")
def recovery_codes(request: Request, session: SessionDep, user: RecentSecondFactor) -> Response:
    codes = factors.regenerate_recovery_codes(session, user=user)
    return _secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": False})


@router.post("/account/factors/passkeys/options")
def passkey_registration_options(
    request: Request, session: SessionDep, user: RecentSecondFactor
) -> Response:
    return _options_response(
        request,
        lambda binding: factors.registration_options(session, user=user, binding=binding),
    )


@router.post("/account/factors/passkeys")
def passkey_add(
    request: Request,
    session: SessionDep,
    user: RecentSecondFactor,
    credential: CredentialField = "",
    name: NameField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        factors.add_passkey(
            session,
            user=user,
            binding=request.cookies.get(cookies.name("webauthn"), ""),
            credential=credential,
            name=name,
        )
        codes = (
            factors.regenerate_recovery_codes(session, user=user)
            if not (factors.factors_of(session, user=user).recovery_codes_left)
            else []
        )
    if outcome.error is not None:
        return _factors_page(
            request,
            session,
            user=user,
            error=outcome.error.message,
            status_code=outcome.error.status_code,
        )
    if codes:
        return _secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})
    return templating.redirect("/account/factors", notice="passkey-added")


@router.post("/account/factors/passkeys/{passkey_id}/rename")
def passkey_rename(
    request: Request,
    passkey_id: int,
    session: SessionDep,
    user: RecentSecondFactor,
    name: NameField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        factors.rename_passkey(session, user=user, passkey_id=passkey_id, name=name)
    if outcome.error is not None:
        if outcome.error.status_code == 404:
            raise outcome.error
        return _factors_page(
            request, session, user=user, error=outcome.error.message, status_code=400
        )
    return templating.redirect("/account/factors", notice="passkey-renamed")


@router.post("/account/factors/passkeys/{passkey_id}/remove")
def passkey_remove(
    request: Request, passkey_id: int, session: SessionDep, user: RecentSecondFactor
) -> Response:
    with db.attempt(session, AppError) as outcome:
        factors.remove_passkey(session, user=user, passkey_id=passkey_id)
    if outcome.error is not None:
        if outcome.error.status_code == 404:
            raise outcome.error
        return _factors_page(
            request,
            session,
            user=user,
            error=outcome.error.message,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/account/factors", notice="passkey-removed")


@router.post("/account/factors/passkey-only")
def passkey_only(
    request: Request,
    session: SessionDep,
    user: RecentSecondFactor,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    with db.attempt(session, AppError) as outcome:
        factors.set_passkey_only(session, user=user, enabled=enabled)
    if outcome.error is not None:
        return _factors_page(
            request, session, user=user, error=outcome.error.message, status_code=400
        )
    return templating.redirect(
        "/account/factors", notice="password-off" if enabled else "password-on"
    )


# --- signing in: the second step, or a passkey alone -------------------------------


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


def _signed_in(request: Request, session: SessionDep, *, user: User, next_path: str) -> Response:
    opened = accounts.open_session(
        session, user=user, ip=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = templating.redirect(safe_next(next_path))
    set_session_cookie(response, token=opened.token, max_age=opened.max_age_seconds)
    response.delete_cookie(cookies.name("login-pending"), path="/")
    return response


@router.get("/login/second-factor")
def second_factor_form(request: Request, session: SessionDep, next: str = "/dashboard") -> Response:
    user = _pending_user(request, session)
    context = {"factors": factors.factors_of(session, user=user), "next": safe_next(next)}
    return _secret_page(request, "accounts/second_factor.html", context)


@router.post("/login/second-factor/options")
def second_factor_options(request: Request, session: SessionDep) -> Response:
    user = _pending_user(request, session)
    return _options_response(
        request,
        lambda binding: factors.authentication_options(
            session, binding=binding, purpose="second-factor", user=user
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
        if credential:
            factors.verify_passkey(
                session,
                binding=request.cookies.get(cookies.name("webauthn"), ""),
                purpose="second-factor",
                credential=credential,
                user=user,
            )
            method = "passkey"
        else:
            method = factors.verify_code(session, user=user, code=code)
    except AppError as exc:
        context = {
            "factors": factors.factors_of(session, user=user),
            "next": safe_next(next),
            "error": exc.message,
        }
        return _secret_page(request, "accounts/second_factor.html", context, exc.status_code)
    factors.record_sign_in(session, user=user, method=method)
    return _signed_in(request, session, user=user, next_path=next)


@router.post("/login/passkey/options")
def passkey_sign_in_options(request: Request, session: SessionDep) -> Response:
    return _options_response(
        request,
        lambda binding: factors.authentication_options(
            session, binding=binding, purpose="sign-in", user=None
        ),
    )


@router.post("/login/passkey")
def passkey_sign_in(
    request: Request,
    session: SessionDep,
    credential: CredentialField = "",
    next: NextField = "/dashboard",
) -> Response:
    try:
        owner, _passkey = factors.verify_passkey(
            session,
            binding=request.cookies.get(cookies.name("webauthn"), ""),
            purpose="sign-in",
            credential=credential,
            user=None,
        )
    except AppError as exc:
        context = {"email": "", "next": safe_next(next), "error": exc.message}
        return templating.page(request, "accounts/login.html", context, exc.status_code)
    factors.record_sign_in(session, user=owner, method="passkey alone")
    return _signed_in(request, session, user=owner, next_path=next)


# --- step-up ------------------------------------------------------------------------


def _step_up_page(
    request: Request,
    session: SessionDep,
    *,
    user: User,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "factors": factors.factors_of(session, user=user),
        "next": safe_next(next_path),
        "error": error,
        "minutes": get_settings().step_up_minutes,
    }
    return _secret_page(request, "accounts/step_up.html", context, status_code)


@router.get("/step-up")
def step_up_form(
    request: Request, session: SessionDep, user: CurrentUser, next: str = "/dashboard"
) -> Response:
    return _step_up_page(request, session, user=user, next_path=next)


@router.post("/step-up/options")
def step_up_options(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _options_response(
        request,
        lambda binding: factors.authentication_options(
            session, binding=binding, purpose="step-up", user=user
        ),
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
        if credential:
            factors.verify_passkey(
                session,
                binding=request.cookies.get(cookies.name("webauthn"), ""),
                purpose="step-up",
                credential=credential,
                user=user,
            )
            method = "passkey"
        elif factors.has_second_factor(session, user=user):
            method = factors.verify_code(session, user=user, code=code)
        else:
            factors.verify_password_step_up(session, user=user, password=password)
            method = "password (no second factor enrolled)"
    except AppError as exc:
        return _step_up_page(
            request,
            session,
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
