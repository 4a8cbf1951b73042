"""The worker's hourly housekeeping removes what is worth nothing any more, and only that."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from app.accounts.factors.models import WebAuthnChallenge
from app.core.db import utcnow
from app.mail.worker import MAINTENANCE
from app.security.ratelimit import RateCounter, longest_window


def _run_maintenance(db: Session) -> None:
    for job in MAINTENANCE:
        job(db)
    db.flush()


def test_expired_rate_counters_go_and_current_ones_stay(db: Session) -> None:
    now = utcnow()
    stale = now - 3 * longest_window()
    db.add(RateCounter(bucket="sign", key="stale-key", window_start=stale, count=4))
    db.add(RateCounter(bucket="sign", key="fresh-key", window_start=now, count=1))
    db.flush()

    _run_maintenance(db)

    keys = set(db.exec(select(col(RateCounter.key))).all())
    assert "stale-key" not in keys
    assert "fresh-key" in keys


def test_expired_passkey_challenges_go_and_live_ones_stay(db: Session) -> None:
    now = utcnow()
    for name, expires in (
        ("expired", now - timedelta(minutes=1)),
        ("live", now + timedelta(minutes=4)),
    ):
        db.add(
            WebAuthnChallenge(
                binding_hash=name.ljust(64, "0"),
                purpose="sign-in",
                challenge=f"challenge-{name}",
                expires_at=expires,
            )
        )
    db.flush()

    _run_maintenance(db)

    left = set(db.exec(select(col(WebAuthnChallenge.challenge))).all())
    assert left == {"challenge-live"}
