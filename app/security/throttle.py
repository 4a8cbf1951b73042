"""Growing delays after failed sign-ins, per address and per account+address.

A lockout per account lets anyone who knows a lead's email keep them out. Here a failure
slows only the address that made it: after a few free failures for one account from one
address, that address waits 8, 16, 32… seconds (capped) before its next try for that
account; an address failing across many accounts is slowed as a whole. The lead at
another address is not affected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from app.core.db import UTCDateTime, utcnow
from app.security import tokens


class SignInFailures(SQLModel, table=True):
    __tablename__ = "sign_in_failures"

    bucket: str = Field(primary_key=True, max_length=40)
    # The counted value (an address, an email and address) as a keyed digest.
    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failed_at: datetime = Field(sa_type=UTCDateTime)


def _stored_key(key: str) -> str:
    return tokens.keyed_digest(key, purpose=tokens.Keyed.RATE_LIMIT)


def delay_for(failures: int, *, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures: none before `free` of them, then
    2^failures (8, 16, 32… after the default 3), never more than `cap`."""
    if failures < free:
        return 0
    return min(cap, 1 << min(failures, 30))


def wait_seconds(
    session: Session,
    *,
    limits: Sequence[tuple[str, str, int]],
    cap: int,
    memory: timedelta,
    now: datetime | None = None,
) -> int:
    """How long the caller must still wait, the longest over `limits` of
    (bucket, key, free failures); 0 if it may try now."""
    now = now or utcnow()
    longest = 0
    for bucket, key, free in limits:
        row = session.exec(
            select(SignInFailures).where(
                col(SignInFailures.bucket) == bucket,
                col(SignInFailures.key) == _stored_key(key),
            )
        ).first()
        if row is None or row.last_failed_at <= now - memory:
            continue
        until = row.last_failed_at + timedelta(seconds=delay_for(row.failures, free=free, cap=cap))
        remaining = int((until - now).total_seconds() + 0.999)
        longest = max(longest, remaining)
    return longest


def record_failure(
    session: Session,
    *,
    events: Sequence[tuple[str, str]],
    memory: timedelta,
    now: datetime | None = None,
) -> None:
    """Count one failure in each (bucket, key), in one statement; a count older than
    `memory` starts again from one."""
    now = now or utcnow()
    rows = [
        {"bucket": b, "key": _stored_key(k), "failures": 1, "last_failed_at": now}
        for b, k in events
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(SignInFailures).values(rows)
    stale = col(SignInFailures.last_failed_at) <= now - memory
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["bucket", "key"],
            set_={
                "failures": case((stale, 1), else_=col(SignInFailures.failures) + 1),
                "last_failed_at": stmt.excluded.last_failed_at,
            },
        )
    )


def forget(session: Session, *, bucket: str, key: str) -> None:
    session.execute(
        delete(SignInFailures).where(
            col(SignInFailures.bucket) == bucket, col(SignInFailures.key) == _stored_key(key)
        )
    )


def prune(session: Session, *, memory: timedelta, now: datetime | None = None) -> int:
    stale = delete(SignInFailures).where(
        col(SignInFailures.last_failed_at) < (now or utcnow()) - memory
    )
    return int(session.execute(stale).rowcount)  # type: ignore[attr-defined]
