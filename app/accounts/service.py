"""Lead accounts: first-administrator set-up, sign-in sessions, invitations.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import Invite, LoginSession, SetupCode, User
from app.core import db
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, Gone, NotFound, RateLimited
from app.core.i18n import SUPPORTED_LOCALES, using_locale
from app.core.i18n import gettext as _
from app.core.text import clean_line, normalise_email
from app.mail import service as mail
from app.security import clients, ratelimit, tokens

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both paths cost the same time.
    Made on first use: hashing at import slowed every process's start by a second."""
    return _hasher.hash("undersigned-timing-equaliser")


class InvalidCredentials(Exception):
    """Wrong email or wrong password: deliberately not saying which."""


# --- set-up -------------------------------------------------------------------------


def has_users(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() > 0


def issue_setup_code(session: Session) -> str | None:
    """A fresh one-time set-up code while no account exists (None once one does).

    Any earlier code stops working, so only the latest printed code is valid.
    """
    if has_users(session):
        return None
    session.exec(update(SetupCode).where(col(SetupCode.used_at).is_(None)).values(used_at=utcnow()))
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
    session.add(SetupCode(code_hash=tokens.digest(code)))
    session.flush()
    return code


def create_first_admin(
    session: Session, *, code: str, name: str, email: str, password: str, locale: str = "en"
) -> User:
    if has_users(session):
        raise Conflict(_("This site is already set up. Sign in instead."))
    supplied = tokens.digest(code.strip().upper())
    current = session.exec(select(SetupCode).where(col(SetupCode.used_at).is_(None))).first()
    if current is None or not hmac.compare_digest(current.code_hash, supplied):
        raise BadRequest(
            _("That set-up code is not right. Use the code printed in the server's console.")
        )
    claimed = session.exec(
        update(SetupCode)
        .where(col(SetupCode.id) == current.id, col(SetupCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Conflict(_("This site is already set up. Sign in instead."))
    return _create_user(
        session, name=name, email=email, password=password, is_admin=True, locale=locale
    )


def create_admin(session: Session, *, name: str, email: str, password: str) -> User:
    """For the command line (`undersigned create-admin`)."""
    return _create_user(session, name=name, email=email, password=password, is_admin=True)


def _create_user(
    session: Session, *, name: str, email: str, password: str, is_admin: bool, locale: str = "en"
) -> User:
    email = normalise_email(email)
    name = clean_line(name, max_length=200)
    if not name:
        raise BadRequest(_("Please enter your name."))
    check_password(password)
    if session.exec(select(col(User.id)).where(col(User.email) == email)).first():
        raise Conflict(_("An account with this email address already exists."))
    user = User(
        email=email,
        name=name,
        password_hash=_hasher.hash(password),
        is_admin=is_admin,
        locale=_supported(locale),
    )
    session.add(user)
    session.flush()
    return user


def _supported(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise BadRequest(_("Choose one of the languages offered."))
    return locale


def set_language(session: Session, *, user: User, locale: str) -> None:
    """The language of the interface they chose, and of every email the app sends them."""
    user.locale = _supported(locale)
    session.flush()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            _("Please choose a password of at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
        )
    if len(password) > 1024:
        raise BadRequest(_("That password is too long."))


# --- sign-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    user: User
    token: str
    max_age_seconds: int


LOGIN_BUCKET_EMAIL = "login-email"
LOGIN_BUCKET_IP = "login-ip"


def sign_in(session: Session, *, email: str, password: str, ip: str, user_agent: str) -> NewSession:
    """Check credentials and open a session. Raises RateLimited or InvalidCredentials."""
    user = authenticate(session, email=email, password=password, ip=ip)
    return open_session(session, user=user, ip=ip, user_agent=user_agent)


def authenticate(session: Session, *, email: str, password: str, ip: str) -> User:
    """The account this email and password open. Raises RateLimited or InvalidCredentials.

    A failed attempt is counted now and again if the request's transaction is rolled
    back, so the lockout holds whatever the caller does after InvalidCredentials. A
    lead who switched their password off ("passkey only") fails here like a wrong one.
    """
    settings = get_settings()
    window = timedelta(minutes=settings.login_failure_window_minutes)
    email = email.strip().lower()
    if (
        ratelimit.count(session, bucket=LOGIN_BUCKET_EMAIL, key=email, window=window)
        >= settings.login_max_failures_per_email
        or ratelimit.count(session, bucket=LOGIN_BUCKET_IP, key=ip, window=window)
        >= settings.login_max_failures_per_ip
    ):
        raise RateLimited(
            _("Too many failed sign-in attempts. Please wait %(n)d minutes and try again.")
            % {"n": settings.login_failure_window_minutes}
        )
    user = session.exec(select(User).where(col(User.email) == email)).first()
    if (
        not password_matches(user, password)
        or user is None
        or not user.is_active
        or user.passkey_only
    ):
        failures = [(LOGIN_BUCKET_EMAIL, email), (LOGIN_BUCKET_IP, ip)]
        db.also_after_rollback(session, lambda s: ratelimit.record_many(s, failures, window=window))
        raise InvalidCredentials
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def password_matches(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and bool(
            user
        )
    except (VerificationError, InvalidHashError):
        return False


def open_session(
    session: Session, *, user: User, ip: str, user_agent: str, stepped_up: bool = True
) -> NewSession:
    """`stepped_up`: the sign-in itself proved a second factor (or the lead has none to
    prove), so sensitive actions are allowed for the next STEP_UP_MINUTES."""
    assert user.id is not None
    user.last_login_at = utcnow()
    max_age = get_settings().session_max_age_hours * 3600
    token = tokens.random_token()
    session.add(
        LoginSession(
            token_hash=tokens.digest(token),
            user_id=user.id,
            expires_at=utcnow() + timedelta(seconds=max_age),
            network=clients.coarse_network(ip),
            browser=clients.browser_family(user_agent),
            stepped_up_at=utcnow() if stepped_up else None,
        )
    )
    session.flush()
    return NewSession(user=user, token=token, max_age_seconds=max_age)


def user_for_session_token(session: Session, *, token: str) -> tuple[User, LoginSession] | None:
    row = session.exec(
        select(User, LoginSession)
        .join(LoginSession, col(LoginSession.user_id) == col(User.id))
        .where(
            col(LoginSession.token_hash) == tokens.digest(token),
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > utcnow(),
            col(User.is_active).is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def sign_out(session: Session, *, token: str) -> None:
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.token_hash) == tokens.digest(token))
        .values(revoked_at=utcnow())
    )


def list_sessions(session: Session, *, user: User) -> list[LoginSession]:
    return list(
        session.exec(
            select(LoginSession)
            .where(
                col(LoginSession.user_id) == user.id,
                col(LoginSession.revoked_at).is_(None),
                col(LoginSession.expires_at) > utcnow(),
            )
            .order_by(col(LoginSession.created_at).desc())
        )
    )


def revoke_session(session: Session, *, user: User, session_id: int) -> None:
    result = session.exec(
        update(LoginSession)
        .where(
            col(LoginSession.id) == session_id,
            col(LoginSession.user_id) == user.id,
            col(LoginSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if result.rowcount != 1:
        raise NotFound()


# --- invitations --------------------------------------------------------------------


def invite_lead(
    session: Session, *, inviter: User, email: str, locale: str, make_admin: bool = False
) -> Invite:
    """Invite someone to become a lead; the email is queued in this transaction, written
    in `locale` (the inviter's choice), and its link opens the app in that language."""
    locale = _supported(locale)
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
    check_password(password)
    # Single use, enforced by the database: only one request can flip accepted_at.
    claimed = session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.accepted_at).is_(None))
        .values(accepted_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Gone(_("This invitation has already been used. Sign in instead."))
    user = _create_user(
        session,
        name=name,
        email=invite.email,
        password=password,
        is_admin=invite.make_admin,
        locale=locale,
    )
    invite.accepted_user_id = user.id
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


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
