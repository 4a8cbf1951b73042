"""Second factors as a whole: the site-wide "every lead must use a second factor", what a
lead has, proving one (at sign-in and for step-up), step-up on a sign-in session, the
administrators' overview and reset.

Each kind has its own package: `passkeys/` (WebAuthn, py_webauthn), `totp/` (an
authenticator app, pyotp), `recovery/` (recovery codes); refusals are counted in
`attempts.py`.

Plain typed functions with keyword-only arguments. They flush, never commit. Every
change to a factor, every step-up and every refusal worth knowing about is written to
the audit log as an account-level event (no statement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.factors import attempts
from app.accounts.factors.models import Passkey, RecoveryCode, SiteSetting, TotpFactor
from app.accounts.factors.passkeys import service as passkeys
from app.accounts.factors.recovery import service as recovery
from app.accounts.factors.totp import service as totp
from app.accounts.models import LoginSession, User
from app.accounts.passwords import service as passwords
from app.accounts.sessions import service as sessions
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.i18n import gettext as _

# Kept here for app/mail/worker.py, which imports it from this module.
prune_challenges = passkeys.prune_challenges
FactorRefused = attempts.FactorRefused
REQUIRE_SECOND_FACTOR = "require_second_factor"


# --- site setting -------------------------------------------------------------------


def second_factor_required(session: Session) -> bool:
    setting = session.get(SiteSetting, REQUIRE_SECOND_FACTOR)
    return setting is not None and setting.value == "1"


def set_second_factor_required(session: Session, *, admin: User, required: bool) -> None:
    setting = session.get(SiteSetting, REQUIRE_SECOND_FACTOR)
    if setting is None:
        setting = SiteSetting(key=REQUIRE_SECOND_FACTOR, value="0")
        session.add(setting)
    setting.value = "1" if required else "0"
    setting.updated_at = utcnow()
    setting.updated_by_id = admin.id
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="second factor required" if required else "second factor optional",
    )
    session.flush()


# --- what a lead has ----------------------------------------------------------------


@dataclass(frozen=True)
class Factors:
    passkeys: list[Passkey]
    totp: bool
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return bool(self.passkeys) or self.totp


def factors_of(session: Session, *, user: User) -> Factors:
    return Factors(
        passkeys=passkeys.passkeys_of(session, user=user),
        totp=totp.confirmed_totp(session, user=user) is not None,
        recovery_codes_left=recovery.codes_left(session, user=user),
    )


def has_second_factor(session: Session, *, user: User) -> bool:
    return (
        passkeys.has_passkey(session, user=user)
        or totp.confirmed_totp(session, user=user) is not None
    )


def must_enrol(session: Session, *, user: User) -> bool:
    """The site requires a second factor and this lead has none yet."""
    return second_factor_required(session) and not has_second_factor(session, user=user)


# --- step-up ------------------------------------------------------------------------


def stepped_up_recently(login: LoginSession, *, now: datetime | None = None) -> bool:
    """A second factor proved on this very session within STEP_UP_MINUTES."""
    if login.stepped_up_at is None:
        return False
    window = timedelta(minutes=get_settings().step_up_minutes)
    return (now or utcnow()) - login.stepped_up_at < window


def record_step_up(
    session: Session, *, user: User, login: LoginSession, method: str, now: datetime | None = None
) -> None:
    login.stepped_up_at = now or utcnow()
    audit.record(session, statement_id=None, actor=user, action="stepped up", detail=method)
    session.flush()


def record_sign_in(session: Session, *, user: User, method: str) -> None:
    audit.record(session, statement_id=None, actor=user, action="signed in", detail=method)


def verify_password_step_up(session: Session, *, user: User, password: str) -> None:
    """Step-up for a lead with no second factor to prove (only while the site does not
    require one): the password again, counted like a wrong code when wrong."""
    attempts.check_not_paused(session, user=user)
    if not passwords.password_matches(user, password) or user.passkey_only:
        attempts.count_failure(session, user=user, method="password", reason="wrong password")
        raise FactorRefused(_("That password is not right."))


def record_sensitive_action(session: Session, *, user: User, what: str) -> None:
    audit.record(session, statement_id=None, actor=user, action="sensitive action", detail=what)


def verify_code(session: Session, *, user: User, code: str, now: datetime | None = None) -> str:
    """A six-digit app code or a recovery code. Returns which it was (for the audit)."""
    attempts.check_not_paused(session, user=user)
    compact = "".join(code.split())
    if compact.isdigit() and len(compact) == 6:
        totp.verify_totp(session, user=user, code=compact, now=now)
        return "authenticator app"
    if not compact:
        raise FactorRefused(_("Please type the code from your app or a recovery code."))
    recovery.use_recovery_code(session, user=user, code=compact)
    return "recovery code"


def prove(
    session: Session, *, user: User, purpose: str, binding: str, credential: str, code: str
) -> str:
    """A second factor of `user`'s: the passkey's answer when the browser sent one, else
    an app or recovery code. Returns which it was (for the audit)."""
    if credential:
        passkeys.verify_passkey(
            session, binding=binding, purpose=purpose, credential=credential, user=user
        )
        return "passkey"
    return verify_code(session, user=user, code=code)


@dataclass(frozen=True)
class LeadFactors:
    user: User
    passkeys: int
    totp: bool


def leads_with_factors(session: Session) -> list[LeadFactors]:
    """For the administrators' security page: who has which factor."""
    passkey_counts = dict(
        session.exec(
            select(col(Passkey.user_id), func.count()).group_by(col(Passkey.user_id))
        ).all()
    )
    with_totp = set(
        session.exec(
            select(col(TotpFactor.user_id)).where(col(TotpFactor.confirmed_at).is_not(None))
        ).all()
    )
    return [
        LeadFactors(
            user=user, passkeys=passkey_counts.get(user.id or 0, 0), totp=user.id in with_totp
        )
        for user in accounts.list_users(session)
    ]


# --- an administrator's reset -------------------------------------------------------


def reset_factors(session: Session, *, admin: User, user_id: int) -> User:
    """For a lead who lost every factor and their recovery codes: everything removed,
    the password back on, every session signed out."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    session.exec(delete(Passkey).where(col(Passkey.user_id) == user.id))
    session.exec(delete(TotpFactor).where(col(TotpFactor.user_id) == user.id))
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    sessions.revoke_other_sessions(session, user=user, keep=None)
    user.passkey_only = False
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="second factors reset",
        detail=f"{user.name} <{user.email}>",
    )
    session.flush()
    return user
