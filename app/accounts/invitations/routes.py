"""Inviting a lead (administrators, on the team page), revoking an invitation, and the
invitee's page that accepts it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentAdmin
from app.accounts.invitations import service as invitations
from app.accounts.models import Invite
from app.accounts.pages import PasswordField, ShortField, signed_in, team_page
from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.i18n import get_locale
from app.security import headers

router = APIRouter()


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
        invitations.invite_lead(
            session,
            inviter=admin,
            email=email,
            locale=locale or get_locale(),
            make_admin=make_admin,
        )
    if outcome.error is not None:
        return team_page(
            request,
            session,
            error=outcome.error.message,
            email=email,
            locale=locale,
            status_code=outcome.error.status_code,
        )
    return templating.redirect("/team", notice="invite-sent")


@router.post("/team/invites/{invite_id}/revoke")
def revoke_invite(
    invite_id: int, session: SessionDep, admin: CurrentAdmin, _stepped: RecentSecondFactor
) -> Response:
    invitations.revoke_invite(session, invite_id=invite_id)
    return templating.redirect("/team", notice="invite-revoked")


def _accept_page(
    request: Request,
    invite: Invite,
    *,
    name: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    response = templating.page(
        request,
        "accounts/accept_invite.html",
        {"invite": invite, "name": name, "error": error},
        status_code,
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/invite/{token}")
def invite_form(request: Request, token: str, session: SessionDep) -> Response:
    return _accept_page(request, invitations.invite_from_token(session, token=token))


@router.post("/invite/{token}")
def invite_submit(
    request: Request,
    token: str,
    session: SessionDep,
    name: ShortField = "",
    password: PasswordField = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        lead = invitations.accept_invite(
            session, token=token, name=name, password=password, locale=get_locale()
        )
    if (error := outcome.error) is not None:
        # An unknown or used invitation is that page, not the form again.
        if error.status_code in (404, 410):
            raise error
        invite = invitations.invite_from_token(session, token=token)
        return _accept_page(
            request, invite, name=name, error=error.message, status_code=error.status_code
        )
    # A new account has no second factor yet; the dashboard in the language they chose.
    return signed_in(
        request, session, lead, to=f"/dashboard?lang={lead.locale}", notice="invite-accepted"
    )
