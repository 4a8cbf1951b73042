"""A lead's passkeys (adding, renaming, removing one; switching the password off) and
signing in with a passkey alone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.factors.pages import (
    CredentialField,
    NameField,
    NextField,
    binding,
    complete_sign_in,
    factors_page,
    options_response,
    secret_page,
)
from app.accounts.factors.passkeys import service as passkeys
from app.accounts.factors.recovery import service as recovery
from app.accounts.pages import safe_next
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError

router = APIRouter()


@router.post("/account/factors/passkeys/options")
def passkey_registration_options(
    request: Request, session: SessionDep, user: RecentSecondFactor
) -> Response:
    return options_response(
        request, lambda b: passkeys.registration_options(session, user=user, binding=b)
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
        passkeys.add_passkey(
            session, user=user, binding=binding(request), credential=credential, name=name
        )
        codes = (
            recovery.regenerate_recovery_codes(session, user=user)
            if not recovery.codes_left(session, user=user)
            else []
        )
    if outcome.error is not None:
        return factors_page(
            request,
            session,
            user=user,
            error=outcome.error.message,
            status_code=outcome.error.status_code,
        )
    if codes:
        return secret_page(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})
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
        passkeys.rename_passkey(session, user=user, passkey_id=passkey_id, name=name)
    if outcome.error is not None:
        if outcome.error.status_code == 404:
            raise outcome.error
        return factors_page(
            request, session, user=user, error=outcome.error.message, status_code=400
        )
    return templating.redirect("/account/factors", notice="passkey-renamed")


@router.post("/account/factors/passkeys/{passkey_id}/remove")
def passkey_remove(
    request: Request, passkey_id: int, session: SessionDep, user: RecentSecondFactor
) -> Response:
    with db.attempt(session, AppError) as outcome:
        passkeys.remove_passkey(session, user=user, passkey_id=passkey_id)
    if outcome.error is not None:
        if outcome.error.status_code == 404:
            raise outcome.error
        return factors_page(
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
        passkeys.set_passkey_only(session, user=user, enabled=enabled)
    if outcome.error is not None:
        return factors_page(
            request, session, user=user, error=outcome.error.message, status_code=400
        )
    return templating.redirect(
        "/account/factors", notice="password-off" if enabled else "password-on"
    )


# --- signing in with a passkey alone ------------------------------------------------


@router.post("/login/passkey/options")
def passkey_sign_in_options(request: Request, session: SessionDep) -> Response:
    return options_response(
        request,
        lambda b: passkeys.authentication_options(session, binding=b, purpose="sign-in", user=None),
    )


@router.post("/login/passkey")
def passkey_sign_in(
    request: Request,
    session: SessionDep,
    credential: CredentialField = "",
    next: NextField = "/dashboard",
) -> Response:
    try:
        owner, _passkey = passkeys.verify_passkey(
            session, binding=binding(request), purpose="sign-in", credential=credential, user=None
        )
    except AppError as exc:
        context = {"email": "", "next": safe_next(next), "error": exc.message}
        return templating.page(request, "accounts/login.html", context, exc.status_code)
    return complete_sign_in(request, session, user=owner, method="passkey alone", next_path=next)
