"""The authenticator app (TOTP, pyotp): enrolling with a QR code and a first code,
checking a code once (a used time step cannot be replayed), removing it.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import pyotp
import segno
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app.accounts.factors import attempts
from app.accounts.factors.models import TotpFactor
from app.accounts.factors.recovery import service as recovery
from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict
from app.core.i18n import gettext as _

TOTP_STEP_SECONDS = 30


def confirmed_totp(session: Session, *, user: User) -> TotpFactor | None:
    return session.exec(
        select(TotpFactor).where(
            col(TotpFactor.user_id) == user.id, col(TotpFactor.confirmed_at).is_not(None)
        )
    ).first()


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str
    qr_svg: str


def start_totp(session: Session, *, user: User) -> TotpEnrolment:
    """A new secret waiting for its first code (replacing one not yet confirmed)."""
    if confirmed_totp(session, user=user) is not None:
        raise Conflict(_("You already use an authenticator app. Remove it first to replace it."))
    pending = session.exec(select(TotpFactor).where(col(TotpFactor.user_id) == user.id)).first()
    if pending is None:
        assert user.id is not None
        pending = TotpFactor(user_id=user.id, secret=pyotp.random_base32())
        session.add(pending)
        session.flush()
    return _enrolment(pending, user=user)


def _enrolment(factor: TotpFactor, *, user: User) -> TotpEnrolment:
    issuer = urlsplit(get_settings().base_url).hostname or "Undersigned"
    uri = pyotp.TOTP(factor.secret).provisioning_uri(name=user.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return TotpEnrolment(secret=factor.secret, uri=uri, qr_svg=svg)


def confirm_totp(
    session: Session, *, user: User, code: str, now: datetime | None = None
) -> list[str]:
    """Finish enrolment with a first code. Returns fresh recovery codes when the lead
    had none (shown once), else an empty list."""
    pending = session.exec(
        select(TotpFactor).where(
            col(TotpFactor.user_id) == user.id, col(TotpFactor.confirmed_at).is_(None)
        )
    ).first()
    if pending is None:
        raise BadRequest(_("Start again: open the page to add an authenticator app."))
    attempts.check_not_paused(session, user=user)
    step = _matching_step(pending.secret, code, now=now)
    if step is None:
        raise attempts.FactorRefused(
            _("That code is not right. Check your app's clock and type the newest code.")
        )
    pending.confirmed_at = utcnow()
    pending.last_used_step = step
    audit.record(session, statement_id=None, actor=user, action="authenticator app added")
    session.flush()
    return recovery.first_recovery_codes(session, user=user)


def _matching_step(secret: str, code: str, *, now: datetime | None) -> int | None:
    """The time step whose code this is (the current one or either neighbour, for clocks
    a little apart), or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now or utcnow()).timestamp()) // TOTP_STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def verify_totp(session: Session, *, user: User, code: str, now: datetime | None) -> None:
    factor = confirmed_totp(session, user=user)
    if factor is None:
        raise attempts.FactorRefused(
            _("You have no authenticator app. Use a passkey or a recovery code.")
        )
    step = _matching_step(factor.secret, code, now=now)
    if step is None:
        attempts.count_failure(session, user=user, method="authenticator app", reason="wrong code")
        raise attempts.FactorRefused(
            _("That code is not right. Check your app's clock and type the newest code.")
        )
    # One UPDATE decides: of two requests with the same code, only one moves the step on.
    claimed = session.exec(
        update(TotpFactor)
        .where(
            col(TotpFactor.id) == factor.id,
            or_(col(TotpFactor.last_used_step).is_(None), col(TotpFactor.last_used_step) < step),
        )
        .values(last_used_step=step)
    )
    if claimed.rowcount != 1:
        attempts.count_failure(session, user=user, method="authenticator app", reason="code reused")
        raise attempts.FactorRefused(
            _("That code has already been used. Wait for your app to show the next one.")
        )


def remove_totp(session: Session, *, user: User) -> None:
    removed = session.exec(delete(TotpFactor).where(col(TotpFactor.user_id) == user.id))
    if removed.rowcount:
        audit.record(session, statement_id=None, actor=user, action="authenticator app removed")
    session.flush()
