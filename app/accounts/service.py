"""Lead accounts: first-administrator set-up, the accounts themselves (language,
anti-phishing phrase, deactivation) and signing in with a password.

The sub-domains have their own packages: `sessions/` (sign-in sessions), `passwords/`
(good passwords, changing and resetting them), `invitations/` (inviting leads),
`factors/` (second factors), `tokens/` (API tokens).

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import SetupCode, User
from app.accounts.passwords import service as passwords
from app.accounts.sessions import service as sessions
from app.audit import service as audit
from app.core import db
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, NotFound, RateLimited
from app.core.i18n import SUPPORTED_LOCALES
from app.core.i18n import gettext as _
from app.core.text import clean_line, normalise_email
from app.security import throttle, tokens


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
    return create_user(
        session, name=name, email=email, password=password, is_admin=True, locale=locale
    )


def create_admin(session: Session, *, name: str, email: str, password: str) -> User:
    """For the command line (`undersigned create-admin`)."""
    return create_user(session, name=name, email=email, password=password, is_admin=True)


def create_user(
    session: Session, *, name: str, email: str, password: str, is_admin: bool, locale: str = "en"
) -> User:
    email = normalise_email(email)
    name = clean_line(name, max_length=200)
    if not name:
        raise BadRequest(_("Please enter your name."))
    passwords.check_password(password, user_inputs=(name, email))
    if session.exec(select(col(User.id)).where(col(User.email) == email)).first():
        raise Conflict(_("An account with this email address already exists."))
    user = User(
        email=email,
        name=name,
        password_hash=passwords.hash_password(password),
        is_admin=is_admin,
        locale=supported_locale(locale),
    )
    session.add(user)
    session.flush()
    return user


def supported_locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise BadRequest(_("Choose one of the languages offered."))
    return locale


def set_language(session: Session, *, user: User, locale: str) -> None:
    """The language of the interface they chose, and of every email the app sends them."""
    user.locale = supported_locale(locale)
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


# --- sign-in ------------------------------------------------------------------------


LOGIN_BUCKET_ACCOUNT_IP = "login-account-ip"
LOGIN_BUCKET_IP = "login-ip"


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> sessions.NewSession:
    """Check credentials and open a session. Raises RateLimited or InvalidCredentials."""
    now = now or utcnow()
    user = authenticate(session, email=email, password=password, ip=ip, now=now)
    return sessions.open_session(session, user=user, ip=ip, user_agent=user_agent, now=now)


def authenticate(
    session: Session, *, email: str, password: str, ip: str, now: datetime | None = None
) -> User:
    """The account this email and password open. Raises RateLimited or InvalidCredentials.

    Failures slow down the address that makes them (app/security/throttle.py), for this
    account and across accounts, never the account itself: a stranger hammering a lead's
    email does not keep the lead, at their own address, out. A failure is counted now and
    again if the request's transaction is rolled back. A lead who switched their password
    off ("passkey only") fails here like a wrong one.
    """
    settings = get_settings()
    now = now or utcnow()
    memory = timedelta(hours=settings.login_failure_memory_hours)
    email = email.strip().lower()
    account_ip = f"{email} {ip}"
    wait = throttle.wait_seconds(
        session,
        limits=[
            (LOGIN_BUCKET_ACCOUNT_IP, account_ip, settings.login_free_failures_per_account),
            (LOGIN_BUCKET_IP, ip, settings.login_free_failures_per_ip),
        ],
        cap=settings.login_max_delay_seconds,
        memory=memory,
        now=now,
    )
    if wait > 0:
        raise RateLimited(
            _(
                "Too many failed sign-in attempts from your connection. "
                "Please wait %(n)d seconds and try again."
            )
            % {"n": wait},
            retry_after=wait,
        )
    user = session.exec(select(User).where(col(User.email) == email)).first()
    if (
        not passwords.password_matches(user, password)
        or user is None
        or not user.is_active
        or user.passkey_only
    ):
        failures = [(LOGIN_BUCKET_ACCOUNT_IP, account_ip), (LOGIN_BUCKET_IP, ip)]
        db.also_after_rollback(
            session, lambda s: throttle.record_failure(s, events=failures, memory=memory, now=now)
        )
        raise InvalidCredentials
    throttle.forget(session, bucket=LOGIN_BUCKET_ACCOUNT_IP, key=account_ip)
    passwords.rehash_if_needed(user, password)
    return user


# --- administrators: deactivating a lead ----------------------------------------------


def set_active(session: Session, *, admin: User, user_id: int, active: bool) -> User:
    """Deactivate a lead (their sessions end, their API tokens stop working until they
    are reactivated) or reactivate them (they sign in again). Audited."""
    target = session.get(User, user_id)
    if target is None:
        raise NotFound()
    if target.id == admin.id:
        raise BadRequest(_("You cannot deactivate your own account."))
    if target.is_active == active:
        return target
    target.is_active = active
    if not active:
        sessions.revoke_other_sessions(session, user=target, keep=None)
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="lead.reactivated" if active else "lead.deactivated",
        detail=target.email,
    )
    session.flush()
    return target


# --- the anti-phishing phrase ---------------------------------------------------------

MAX_PHRASE = 100


def set_anti_phishing_phrase(session: Session, *, user: User, phrase: str) -> None:
    """Their phrase, shown at the top of every email the app sends them ("" for none)."""
    user.anti_phishing_phrase = clean_line(phrase, max_length=MAX_PHRASE)
    session.flush()
