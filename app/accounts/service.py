"""Lead accounts: first-administrator set-up, sign-in sessions, invitations.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from app.accounts.models import Invite, LoginSession, PasswordReset, SetupCode, User
from app.audit import service as audit
from app.core import db
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, Gone, NotFound, RateLimited
from app.core.i18n import N_, SUPPORTED_LOCALES, get_locale, using_locale
from app.core.i18n import gettext as _
from app.core.text import clean_line, normalise_email
from app.mail import service as mail
from app.security import clients, ratelimit, throttle, tokens

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score, 0 to 4: 3 is "safely unguessable: moderate protection from an offline
# slow-hash scenario" (their wording).
MIN_PASSWORD_SCORE = 3
# zxcvbn's cost grows with length; past this a password is long enough to judge by its start.
PASSWORD_CHECKED_CHARS = 100
# Recording every request would turn each page view into a write; a minute is enough.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
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
    check_password(password, user_inputs=(name, email))
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


def check_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse a short, overlong, weak or commonly breached password, saying why.

    zxcvbn checks offline against its bundled lists of common and breached passwords,
    names, words and patterns; `user_inputs` (their name, email) count as guessable too.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            _("Please choose a password of at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
        )
    if len(password) > 1024:
        raise BadRequest(_("That password is too long."))
    inputs = [part for value in user_inputs for part in value.replace("@", " ").split() if part]
    result = zxcvbn(password[:PASSWORD_CHECKED_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return
    feedback = result["feedback"]
    reasons = [_translated(text) for text in [feedback["warning"], *feedback["suggestions"]]]
    raise BadRequest(
        " ".join(
            [
                _(
                    "This password is too easy to guess: it is common, or made of common "
                    "words, names or patterns. A few uncommon words together work well."
                ),
                *[r for r in reasons if r],
            ]
        )
    )


# zxcvbn's own feedback, marked here so the catalogue can translate it; anything it says
# that is not translated is left out of a page in another language.
ZXCVBN_FEEDBACK = (
    N_("This is a top-10 common password."),
    N_("This is a top-100 common password."),
    N_("This is a very common password."),
    N_("This is similar to a commonly used password."),
    N_("A word by itself is easy to guess."),
    N_("Names and surnames by themselves are easy to guess."),
    N_("Common names and surnames are easy to guess."),
    N_("Add another word or two. Uncommon words are better."),
    N_("Use a few words, avoid common phrases."),
    N_("Dates are often easy to guess."),
    N_("Recent years are easy to guess."),
    N_("Avoid recent years."),
    N_("Avoid dates and years that are associated with you."),
    N_('Repeats like "aaa" are easy to guess.'),
    N_("Avoid repeated words and characters."),
    N_("Sequences like abc or 6543 are easy to guess."),
    N_("Avoid sequences."),
    N_("Straight rows of keys are easy to guess."),
    N_("Short keyboard patterns are easy to guess."),
    N_("Use a longer keyboard pattern with more turns."),
)


def _translated(text: str) -> str:
    if not text:
        return ""
    translated = _(text)
    if translated == text and get_locale() != "en":
        return ""
    return translated


# --- sign-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    user: User
    token: str
    max_age_seconds: int


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
) -> NewSession:
    """Check credentials and open a session. Raises RateLimited or InvalidCredentials."""
    now = now or utcnow()
    user = authenticate(session, email=email, password=password, ip=ip, now=now)
    return open_session(session, user=user, ip=ip, user_agent=user_agent, now=now)


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
        not password_matches(user, password)
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
    session: Session,
    *,
    user: User,
    ip: str,
    user_agent: str,
    stepped_up: bool = True,
    now: datetime | None = None,
) -> NewSession:
    """`stepped_up`: the sign-in itself proved a second factor (or the lead has none to
    prove), so sensitive actions are allowed for the next STEP_UP_MINUTES."""
    assert user.id is not None
    now = now or utcnow()
    user.last_login_at = now
    max_age = get_settings().session_max_hours * 3600
    token = tokens.random_token()
    session.add(
        LoginSession(
            token_hash=tokens.digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=max_age),
            network=clients.coarse_network(ip),
            browser=clients.browser_family(user_agent),
            stepped_up_at=now if stepped_up else None,
        )
    )
    session.flush()
    return NewSession(user=user, token=token, max_age_seconds=max_age)


def _live_session(now: datetime) -> list[ColumnElement[bool]]:
    """What makes a session usable at `now`: not revoked, within the absolute timeout
    (from sign-in, whatever the setting was then) and the idle timeout."""
    settings = get_settings()
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    return [
        col(LoginSession.revoked_at).is_(None),
        col(LoginSession.expires_at) > now,
        col(LoginSession.created_at) > now - timedelta(hours=settings.session_max_hours),
        func.coalesce(col(LoginSession.last_seen_at), col(LoginSession.created_at)) > idle_since,
    ]


def user_for_session_token(
    session: Session, *, token: str, now: datetime | None = None
) -> tuple[User, LoginSession] | None:
    """The active lead a session cookie belongs to, or None once the session was ended,
    timed out (idle or absolute) or its lead deactivated. Moves last_seen_at forward."""
    now = now or utcnow()
    row = session.exec(
        select(User, LoginSession)
        .join(LoginSession, col(LoginSession.user_id) == col(User.id))
        .where(
            col(LoginSession.token_hash) == tokens.digest(token),
            col(User.is_active).is_(True),
            *_live_session(now),
        )
    ).first()
    if row is None:
        return None
    user, login = row
    _touch(session, login, now=now)
    return user, login


def _touch(session: Session, login: LoginSession, *, now: datetime) -> None:
    seen = login.last_seen_at or login.created_at
    if now - seen < LAST_SEEN_RESOLUTION:
        return
    stale = now - LAST_SEEN_RESOLUTION
    # Best effort, in a savepoint: a busy database must not fail the request it serves.
    try:
        with session.begin_nested():
            session.exec(
                update(LoginSession)
                .where(
                    col(LoginSession.id) == login.id,
                    or_(
                        col(LoginSession.last_seen_at).is_(None),
                        col(LoginSession.last_seen_at) < stale,
                    ),
                )
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
        login.last_seen_at = now
    except OperationalError:
        log.warning("could not record the use of session %s", login.id)


def sign_out(session: Session, *, token: str) -> None:
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.token_hash) == tokens.digest(token))
        .values(revoked_at=utcnow())
    )


def list_sessions(
    session: Session, *, user: User, now: datetime | None = None
) -> list[LoginSession]:
    return list(
        session.exec(
            select(LoginSession)
            .where(col(LoginSession.user_id) == user.id, *_live_session(now or utcnow()))
            .order_by(col(LoginSession.created_at).desc(), col(LoginSession.id).desc())
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


def revoke_other_sessions(session: Session, *, user: User, keep: LoginSession | None) -> int:
    """End every session of `user` but `keep` (None: all of them); returns how many."""
    query = update(LoginSession).where(
        col(LoginSession.user_id) == user.id, col(LoginSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(LoginSession.id) != keep.id)
    result = session.exec(query.values(revoked_at=utcnow()))
    return int(result.rowcount)


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
        revoke_other_sessions(session, user=target, keep=None)
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="lead.reactivated" if active else "lead.deactivated",
        detail=target.email,
    )
    session.flush()
    return target


# --- passwords ----------------------------------------------------------------------


def change_password(
    session: Session, *, user: User, current: str, new: str, keep: LoginSession | None
) -> None:
    """Needs the current password; every other session ends (a thief signed in
    elsewhere is signed out). Audited."""
    if not password_matches(user, current):
        raise BadRequest(_("Your current password is not right."))
    check_password(new, user_inputs=(user.name, user.email))
    user.password_hash = _hasher.hash(new)
    revoke_other_sessions(session, user=user, keep=keep)
    audit.record(session, statement_id=None, actor=user, action="password.changed")
    session.flush()


RESET_BUCKET_EMAIL = "reset-email"
RESETS_PER_EMAIL_PER_HOUR = 3


def request_password_reset(session: Session, *, email: str, now: datetime | None = None) -> None:
    """Email a reset link to an active lead at `email`. The caller answers the same
    whether or not the address has an account, and a few requests an hour at most are
    sent to one address, so the form can neither probe for leads nor flood a mailbox."""
    now = now or utcnow()
    try:
        email = normalise_email(email)
    except BadRequest:
        return
    if (
        ratelimit.record(session, bucket=RESET_BUCKET_EMAIL, key=email, window=timedelta(hours=1))
        > RESETS_PER_EMAIL_PER_HOUR
    ):
        return
    user = session.exec(select(User).where(col(User.email) == email)).first()
    if user is None or not user.is_active:
        return
    assert user.id is not None
    minutes = get_settings().password_reset_minutes
    # A newer link replaces any older one still unused.
    session.exec(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    reset = PasswordReset(
        user_id=user.id,
        nonce=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(reset)
    session.flush()
    token = tokens.make_token(tokens.Purpose.PASSWORD_RESET, {"r": reset.id, "n": reset.nonce})
    with using_locale(user.locale):
        mail.queue_email(
            session,
            kind="password_reset",
            to_address=user.email,
            to_name=user.name,
            subject=_("Reset your Undersigned password"),
            template="password_reset",
            context={
                "name": user.name,
                "link": f"{get_settings().base_url}/reset/{token}",
                "minutes": minutes,
            },
            anti_phishing_phrase=user.anti_phishing_phrase,
        )
    audit.record(session, statement_id=None, actor=user, action="password.reset_requested")


def reset_from_token(session: Session, *, token: str, now: datetime | None = None) -> PasswordReset:
    """The open reset a link points to, or a clear error saying why not (audited)."""
    now = now or utcnow()
    max_age = get_settings().password_reset_minutes * 60
    invalid = _(
        "This password reset link is not valid. "
        "Check that it was copied whole, or ask for a new one."
    )
    expired = _("This password reset link has expired. Ask for a new one.")
    try:
        payload = tokens.read_token(tokens.Purpose.PASSWORD_RESET, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        _refused(session, reason="expired")
        raise Gone(expired) from exc
    except tokens.TokenInvalid as exc:
        _refused(session, reason="invalid")
        raise NotFound(invalid) from exc
    reset = session.get(PasswordReset, payload.get("r")) if isinstance(payload, dict) else None
    if reset is None or not hmac.compare_digest(reset.nonce, str(payload.get("n"))):
        _refused(session, reason="invalid")
        raise NotFound(invalid)
    if reset.used_at is not None:
        _refused(session, reason="used", user_id=reset.user_id)
        raise Gone(_("This password reset link has already been used. Ask for a new one."))
    if reset.expires_at <= now:
        _refused(session, reason="expired", user_id=reset.user_id)
        raise Gone(expired)
    return reset


def _refused(session: Session, *, reason: str, user_id: int | None = None) -> None:
    """A refused reset link is audited even though the request fails."""
    detail = f"{reason} (lead {user_id})" if user_id else reason

    def write(s: Session) -> None:
        audit.record(
            s,
            statement_id=None,
            actor=None,
            actor_label="password reset link",
            action="password.reset_refused",
            detail=detail,
        )
        s.flush()

    db.also_after_rollback(session, write)


def reset_password(
    session: Session, *, token: str, password: str, now: datetime | None = None
) -> User:
    """Set a new password from a reset link: once, before it expires. Every session ends.
    It signs nobody in: they sign in next with the new password (and their second factor,
    if they have one), so a reset never skips a step of sign-in."""
    now = now or utcnow()
    reset = reset_from_token(session, token=token, now=now)
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise NotFound(
            _(
                "This password reset link is not valid. "
                "Check that it was copied whole, or ask for a new one."
            )
        )
    check_password(password, user_inputs=(user.name, user.email))
    claimed = session.exec(
        update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise Gone(_("This password reset link has already been used. Ask for a new one."))
    user.password_hash = _hasher.hash(password)
    revoke_other_sessions(session, user=user, keep=None)
    audit.record(session, statement_id=None, actor=user, action="password.reset")
    session.flush()
    return user


# --- the anti-phishing phrase ---------------------------------------------------------

MAX_PHRASE = 100


def set_anti_phishing_phrase(session: Session, *, user: User, phrase: str) -> None:
    """Their phrase, shown at the top of every email the app sends them ("" for none)."""
    user.anti_phishing_phrase = clean_line(phrase, max_length=MAX_PHRASE)
    session.flush()


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
    check_password(password, user_inputs=(name, invite.email))
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
