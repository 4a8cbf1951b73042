"""Invitations to become a lead: the email in the inviter's chosen language, the link
(single use, expiring), accepting it, the open ones, revoking one.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Invite, User
from app.accounts.passwords import service as passwords
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, Gone, NotFound
from app.core.i18n import gettext as _
from app.core.i18n import using_locale
from app.core.text import clean_line, normalise_email
from app.mail import service as mail
from app.security import tokens


def invite_lead(
    session: Session, *, inviter: User, email: str, locale: str, make_admin: bool = False
) -> Invite:
    """Invite someone to become a lead; the email is queued in this transaction, written
    in `locale` (the inviter's choice), and its link opens the app in that language."""
    locale = accounts.supported_locale(locale)
    email = normalise_email(email)
    if session.exec(select(col(User.id)).where(col(User.email) == email)).first():
        raise Conflict(_("%(email)s already has an account.") % {"email": email})
    settings = get_settings()
    assert inviter.id is not None
    invite = Invite(
        email=email,
        nonce=secrets.token_urlsafe(16),
        invited_by_id=inviter.id,
        make_admin=make_admin,
        expires_at=utcnow() + timedelta(hours=settings.invite_max_age_hours),
    )
    session.add(invite)
    session.flush()
    token = tokens.make_token(tokens.Purpose.INVITE, {"i": invite.id, "n": invite.nonce})
    with using_locale(locale):
        mail.queue_email(
            session,
            kind="invite",
            to_address=email,
            subject=_("%(name)s invites you to Undersigned") % {"name": inviter.name},
            template="invite",
            context={
                "inviter": inviter.name,
                "link": f"{settings.base_url}/invite/{token}?lang={locale}",
                "hours": settings.invite_max_age_hours,
            },
        )
    return invite


def invite_from_token(session: Session, *, token: str) -> Invite:
    """The open invitation a link points to, or a clear error saying why not."""
    max_age = get_settings().invite_max_age_hours * 3600
    try:
        payload = tokens.read_token(tokens.Purpose.INVITE, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        raise Gone(_("This invitation has expired. Ask for a new one.")) from exc
    except tokens.TokenInvalid as exc:
        raise NotFound(
            _("This invitation link is not valid. Check that it was copied whole.")
        ) from exc
    if not isinstance(payload, dict):
        raise NotFound(_("This invitation link is not valid. Check that it was copied whole."))
    invite = session.get(Invite, payload.get("i"))
    if invite is None or invite.nonce != payload.get("n") or invite.revoked_at is not None:
        raise NotFound(_("This invitation is no longer valid. Ask for a new one."))
    if invite.accepted_at is not None:
        raise Gone(_("This invitation has already been used. Sign in instead."))
    if invite.expires_at <= utcnow():
        raise Gone(_("This invitation has expired. Ask for a new one."))
    return invite


def accept_invite(
    session: Session, *, token: str, name: str, password: str, locale: str = "en"
) -> User:
    """`locale` is the language they accepted in: their emails will be written in it."""
    invite = invite_from_token(session, token=token)
    if not clean_line(name, max_length=200):
        raise BadRequest(_("Please enter your name."))
    passwords.check_password(password, user_inputs=(name, invite.email))
    # Single use, enforced by the database: only one request can flip accepted_at.
    claimed = session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.accepted_at).is_(None))
        .values(accepted_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Gone(_("This invitation has already been used. Sign in instead."))
    user = accounts.create_user(
        session,
        name=name,
        email=invite.email,
        password=password,
        is_admin=invite.make_admin,
        locale=locale,
    )
    invite.accepted_user_id = user.id
    return user


def list_open_invites(session: Session) -> list[Invite]:
    return list(
        session.exec(
            select(Invite)
            .where(col(Invite.accepted_at).is_(None), col(Invite.revoked_at).is_(None))
            .where(col(Invite.expires_at) > utcnow())
            .order_by(col(Invite.created_at).desc())
        )
    )


def revoke_invite(session: Session, *, invite_id: int) -> None:
    result = session.exec(
        update(Invite)
        .where(col(Invite.id) == invite_id, col(Invite.accepted_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount != 1:
        raise NotFound()
