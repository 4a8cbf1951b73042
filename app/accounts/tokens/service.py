"""Personal access tokens for the JSON API: created in the UI, shown once, stored hashed,
revocable.

A token is `us_` followed by 256 random bits; the prefix makes a leaked token easy to
recognise (secret scanners, logs). Only its SHA-256 is kept, plus a few leading characters
so a lead can tell tokens apart in the list.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.accounts.models import ApiToken, User
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, FieldErrors, NotFound, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.security import tokens

log = logging.getLogger(__name__)

TOKEN_PREFIX = "us_"  # noqa: S105 - a public marker that makes leaked tokens recognisable
DISPLAY_CHARS = 9  # "us_" and six random characters: enough to tell tokens apart
MAX_NAME = 100
# Recording every use would turn each API read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
EXPIRY_CHOICES = (30, 90, 365)  # days, or a date the lead picks
MAX_DAYS = 3 * 365


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    # Signers' contact details: emails, in the team's signature endpoints.
    CONTACT = "contact"


ALL_SCOPES = frozenset(Scope)


def scopes_of(token: ApiToken) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in token.scopes.split() if s in Scope.__members__.values())


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    scopes: set[str] | frozenset[str] = frozenset({Scope.READ}),
    expires_in_days: int | None = None,
    expires_on: date | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the raw token, which is never stored.

    It expires after `expires_in_days` (90 by default) or at the end of `expires_on`
    (UTC), at most three years ahead; it can do what its scopes say and its lead's
    role on each statement allows."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    cleaned = ""
    try:
        cleaned = clean_line(name, max_length=MAX_NAME)
    except BadRequest as exc:
        errors["name"] = about(_("Name"), exc.message)
    else:
        if not cleaned:
            errors["name"] = _("Give the token a name, such as the script that uses it.")
    chosen = set(scopes)
    if not chosen or not chosen <= {s.value for s in Scope}:
        errors["scopes"] = _("Choose what the token may do: read, write or contact data.")
    # Writing or reading contact data implies reading: a token that cannot read is useless.
    chosen.add(Scope.READ)
    expires_at = _expiry(now, days=expires_in_days, on=expires_on, errors=errors)
    if errors:
        raise FieldErrors(errors)
    assert user.id is not None
    raw = TOKEN_PREFIX + tokens.random_token()
    token = ApiToken(
        user_id=user.id,
        name=cleaned,
        prefix=raw[:DISPLAY_CHARS],
        token_hash=tokens.digest(raw),
        created_at=now,
        expires_at=expires_at,
        scopes=" ".join(s for s in Scope if s in chosen),
    )
    session.add(token)
    session.flush()
    return token, raw


def _expiry(
    now: datetime, *, days: int | None, on: date | None, errors: dict[str, str]
) -> datetime:
    if on is not None:
        end = datetime.combine(on, time.max, tzinfo=now.tzinfo)
        if end <= now or end > now + timedelta(days=MAX_DAYS):
            errors["expires_on"] = _("Choose a date between tomorrow and three years from now.")
        return end
    if days is None:
        days = get_settings().api_token_default_days
    if not 1 <= days <= MAX_DAYS:
        errors["expires_on"] = _("Choose a date between tomorrow and three years from now.")
    return now + timedelta(days=days)


def list_tokens(session: Session, *, user: User, now: datetime | None = None) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return list(
        session.exec(
            select(ApiToken)
            .where(
                col(ApiToken.user_id) == user.id,
                col(ApiToken.revoked_at).is_(None),
                col(ApiToken.expires_at) > (now or utcnow()),
            )
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        )
    )


def revoke_token(session: Session, *, user: User, token_id: int) -> None:
    result = session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            col(ApiToken.user_id) == user.id,
            col(ApiToken.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if result.rowcount != 1:
        raise NotFound()


def user_for_token(
    session: Session, *, raw: str, now: datetime | None = None
) -> tuple[User, ApiToken] | None:
    """The active lead a raw bearer token belongs to, and the token, or None once it
    was revoked, expired or its lead deactivated."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = session.exec(
        select(User, ApiToken)
        .join(ApiToken, col(ApiToken.user_id) == col(User.id))
        .where(
            col(ApiToken.token_hash) == tokens.digest(raw),
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > (now or utcnow()),
            col(User.is_active).is_(True),
        )
    ).first()
    if row is None:
        return None
    user, token = row
    _touch(session, token)
    return user, token


def _touch(session: Session, token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = now - LAST_USED_RESOLUTION
    # Best effort, in a savepoint: a busy database must not fail the request it serves.
    try:
        with session.begin_nested():
            session.exec(
                update(ApiToken)
                .where(
                    col(ApiToken.id) == token.id,
                    or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) < stale),
                )
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
    except OperationalError:
        log.warning("could not record the use of API token %s", token.id)
