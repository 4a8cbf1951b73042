"""Passwords: what a good one is (zxcvbn), hashing and checking them (Argon2), a lead
changing theirs, and a forgotten password reset by an emailed link.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from app.accounts.models import LoginSession, PasswordReset, User
from app.accounts.sessions import service as sessions
from app.audit import service as audit
from app.core import db
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Gone, NotFound
from app.core.i18n import N_, get_locale, using_locale
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.mail import service as mail
from app.security import ratelimit, tokens

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score, 0 to 4: 3 is "safely unguessable: moderate protection from an offline
# slow-hash scenario" (their wording).
MIN_PASSWORD_SCORE = 3
# zxcvbn's cost grows with length; past this a password is long enough to judge by its start.
PASSWORD_CHECKED_CHARS = 100
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both paths cost the same time.
    Made on first use: hashing at import slowed every process's start by a second."""
    return _hasher.hash("undersigned-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and bool(
            user
        )
    except (VerificationError, InvalidHashError):
        return False


def rehash_if_needed(user: User, password: str) -> None:
    """After a successful check: the hash made again if the hasher's parameters changed."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)


# --- what a good password is -----------------------------------------------------------


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


# --- changing and resetting -------------------------------------------------------


def change_password(
    session: Session, *, user: User, current: str, new: str, keep: LoginSession | None
) -> None:
    """Needs the current password; every other session ends (a thief signed in
    elsewhere is signed out). Audited."""
    if not password_matches(user, current):
        raise BadRequest(_("Your current password is not right."))
    check_password(new, user_inputs=(user.name, user.email))
    user.password_hash = hash_password(new)
    sessions.revoke_other_sessions(session, user=user, keep=keep)
    audit.record(session, statement_id=None, actor=user, action="password.changed")
    session.flush()


RESET_BUCKET_EMAIL = "reset-email"
RESETS_PER_EMAIL_PER_HOUR = 3
RESET_INVALID = N_(
    "This password reset link is not valid. Check that it was copied whole, or ask for a new one."
)
RESET_EXPIRED = N_("This password reset link has expired. Ask for a new one.")
RESET_USED = N_("This password reset link has already been used. Ask for a new one.")


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
    try:
        payload = tokens.read_token(tokens.Purpose.PASSWORD_RESET, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        _refused(session, reason="expired")
        raise Gone(_(RESET_EXPIRED)) from exc
    except tokens.TokenInvalid as exc:
        _refused(session, reason="invalid")
        raise NotFound(_(RESET_INVALID)) from exc
    reset = session.get(PasswordReset, payload.get("r")) if isinstance(payload, dict) else None
    if reset is None or not hmac.compare_digest(reset.nonce, str(payload.get("n"))):
        _refused(session, reason="invalid")
        raise NotFound(_(RESET_INVALID))
    if reset.used_at is not None:
        _refused(session, reason="used", user_id=reset.user_id)
        raise Gone(_(RESET_USED))
    if reset.expires_at <= now:
        _refused(session, reason="expired", user_id=reset.user_id)
        raise Gone(_(RESET_EXPIRED))
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
        raise NotFound(_(RESET_INVALID))
    check_password(password, user_inputs=(user.name, user.email))
    claimed = session.exec(
        update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise Gone(_(RESET_USED))
    user.password_hash = hash_password(password)
    sessions.revoke_other_sessions(session, user=user, keep=None)
    audit.record(session, statement_id=None, actor=user, action="password.reset")
    session.flush()
    return user
