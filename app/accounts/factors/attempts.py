"""Refusals of a second factor: each is audited and counts towards a pause, so six digits
cannot be guessed. Shared by the authenticator app, recovery codes, passkeys and step-up."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.errors import BadRequest, RateLimited
from app.core.i18n import gettext as _
from app.security import ratelimit

FACTOR_FAILURE_BUCKET = "second-factor"
MAX_FACTOR_FAILURES = 10


class FactorRefused(BadRequest):
    """A code or passkey that did not prove anything; the message says why."""


def count_failure(session: Session, *, user: User, method: str, reason: str) -> None:
    """Refusals are audited and count towards a pause, so six digits cannot be guessed."""
    window = timedelta(minutes=get_settings().login_failure_window_minutes)
    ratelimit.record(session, bucket=FACTOR_FAILURE_BUCKET, key=str(user.id), window=window)
    audit.record(
        session,
        statement_id=None,
        actor=user,
        action="second factor refused",
        detail=f"{method}: {reason}",
    )


def check_not_paused(session: Session, *, user: User) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.login_failure_window_minutes)
    failures = ratelimit.count(
        session, bucket=FACTOR_FAILURE_BUCKET, key=str(user.id), window=window
    )
    if failures >= MAX_FACTOR_FAILURES:
        raise RateLimited(
            _("Too many wrong codes. Please wait %(n)d minutes and try again.")
            % {"n": settings.login_failure_window_minutes}
        )
