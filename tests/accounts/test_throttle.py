"""Wrong passwords slow the address that sends them, with growing delays, and never lock
the lead out from their own address. The clock is passed in (`now`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.accounts import service
from app.core.db import utcnow
from app.core.errors import RateLimited
from app.security.throttle import delay_for
from tests.factories import PASSWORD, make_user

STRANGER = "203.0.113.9"
LEAD_IP = "198.51.100.20"
SECOND = timedelta(seconds=1)


def _try(db: Session, *, email: str, password: str, ip: str, at: datetime) -> None:
    service.sign_in(db, email=email, password=password, ip=ip, user_agent="", now=at)


def _fail(
    db: Session, *, at: datetime, ip: str = STRANGER, email: str = "lead@example.org"
) -> None:
    with pytest.raises(service.InvalidCredentials):
        _try(db, email=email, password="wrong password!", ip=ip, at=at)


def test_a_strangers_failures_do_not_keep_the_lead_out(db: Session) -> None:
    make_user(db, email="lead@example.org")
    t0 = utcnow()
    at = t0
    for _ in range(3):
        _fail(db, at=at)
    with pytest.raises(RateLimited) as slowed:
        _try(db, email="lead@example.org", password=PASSWORD, ip=STRANGER, at=at + SECOND)
    assert slowed.value.status_code == 429 and slowed.value.retry_after == 7
    assert "Please wait 7 seconds" in slowed.value.message
    # The real lead, from their own address, at the same moment.
    opened = service.sign_in(
        db, email="lead@example.org", password=PASSWORD, ip=LEAD_IP, user_agent="", now=at
    )
    assert opened.user.email == "lead@example.org"


def test_the_delays_grow_and_are_capped(db: Session) -> None:
    make_user(db, email="lead@example.org")
    at = utcnow()
    waits = []
    for n in range(1, 12):
        _fail(db, at=at)
        if n < 3:
            continue
        with pytest.raises(RateLimited) as slowed:
            _try(db, email="lead@example.org", password=PASSWORD, ip=STRANGER, at=at)
        waits.append(slowed.value.retry_after)
        at += timedelta(seconds=slowed.value.retry_after)  # waits exactly as long as told
    assert waits == [8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert [delay_for(n, free=3, cap=900) for n in (0, 2, 3, 4, 20)] == [0, 0, 8, 16, 900]
    # Once the delay has passed, the right password works from that address too.
    service.sign_in(
        db, email="lead@example.org", password=PASSWORD, ip=STRANGER, user_agent="", now=at
    )


def test_an_address_failing_across_accounts_is_slowed_as_a_whole(db: Session) -> None:
    make_user(db, email="lead@example.org")
    at = utcnow()
    for n in range(10):
        _fail(db, at=at, email=f"guess{n}@example.org")
    with pytest.raises(RateLimited):
        _try(db, email="lead@example.org", password=PASSWORD, ip=STRANGER, at=at + SECOND)
    service.sign_in(
        db, email="lead@example.org", password=PASSWORD, ip=LEAD_IP, user_agent="", now=at
    )


def test_old_failures_are_forgotten(db: Session) -> None:
    make_user(db, email="lead@example.org")
    at = utcnow()
    for _ in range(3):
        _fail(db, at=at)
    later = at + timedelta(hours=25)
    _fail(db, at=later)  # counts from one again
    service.sign_in(
        db, email="lead@example.org", password=PASSWORD, ip=STRANGER, user_agent="", now=later
    )
