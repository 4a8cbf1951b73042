"""Fixed-window counters kept in the database, so limits hold across app processes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from fastapi import Request
from sqlalchemy import (
    CursorResult,
    Insert,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col

from app.core.config import get_settings
from app.core.db import UTCDateTime, utcnow
from app.security import tokens


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    bucket: str = Field(primary_key=True, max_length=40)
    # The counted value (an address, an email) as a keyed digest, never in clear.
    key: str = Field(primary_key=True, max_length=64)
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    count: int = 0


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def count(session: Session, *, bucket: str, key: str, window: timedelta) -> int:
    """Events in the current and previous window (a sliding approximation)."""
    now = utcnow()
    since = _window_start(now, window) - window
    total = session.execute(
        select(func.coalesce(func.sum(RateCounter.count), 0)).where(
            RateCounter.bucket == bucket,  # type: ignore[arg-type]
            RateCounter.key == _stored_key(key),  # type: ignore[arg-type]
            RateCounter.window_start >= since,  # type: ignore[arg-type]
        )
    ).scalar_one()
    return int(total)


def record(session: Session, *, bucket: str, key: str, window: timedelta) -> int:
    """Count one event; returns the events so far in the current window (one statement)."""
    return record_many(session, [(bucket, key)], window=window)[0]


def record_many(
    session: Session, events: Sequence[tuple[str, str]], *, window: timedelta
) -> list[int]:
    """Count one event in each (bucket, key) at once, in one statement (a signature counts
    against its email and its address); returns each one's events so far in this window."""
    start = _window_start(utcnow(), window)
    params: dict[str, object] = {"window_start": start}
    for index, (bucket, key) in enumerate(events):
        params[f"bucket_{index}"] = bucket
        params[f"key_{index}"] = _stored_key(key)
    upsert = _upsert(session.get_bind().dialect.name, len(events))
    counts = {(b, k): n for b, k, n in session.connection().execute(upsert, params).all()}
    return [counts[(params[f"bucket_{i}"], params[f"key_{i}"])] for i in range(len(events))]


@cache
def _upsert(dialect: str, size: int) -> Insert:
    """The counting statement for `size` events, built once per process: building an
    upsert (its `excluded` columns above all) cost more than running it, on the sign path.
    INSERT … SELECT … UNION ALL rather than a multi-row VALUES, which SQLAlchemy cannot
    keep compiled."""
    table: Table = RateCounter.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    start = bindparam("window_start", type_=table.c.window_start.type)
    one = literal(1, Integer)
    rows = [
        select(bindparam(f"bucket_{i}", type_=String), bindparam(f"key_{i}", type_=String),
               start, one).where(true())  # WHERE: SQLite's upsert after a SELECT needs one
        for i in range(size)
    ]  # fmt: skip
    return (
        insert(table)
        .from_select(["bucket", "key", "window_start", "count"], union_all(*rows))
        .on_conflict_do_update(
            index_elements=["bucket", "key", "window_start"], set_={"count": table.c.count + 1}
        )
        .returning(table.c.bucket, table.c.key, table.c.count)
    )


def _stored_key(key: str) -> str:
    return tokens.keyed_digest(key, purpose=tokens.Keyed.RATE_LIMIT)


def longest_window() -> timedelta:
    """The longest window any limit counts in: signing's hour (sign-in failures are
    counted in app/security/throttle.py)."""
    return timedelta(hours=1)


def prune(session: Session, *, older_than: timedelta | None = None) -> int:
    """Delete counters no limit can read any more; returns how many went.

    `count` reads the current window and the one before it, so by default a counter is
    kept for two of the longest windows.
    """
    cutoff = utcnow() - (older_than if older_than is not None else 2 * longest_window())
    stale = delete(RateCounter).where(col(RateCounter.window_start) < cutoff)
    result = cast(CursorResult[Any], session.execute(stale))
    return result.rowcount


def client_ip(request: Request) -> str:
    """The client address: the socket peer, or a trusted proxy's X-Forwarded-For hop.

    Never a client-supplied header unless TRUSTED_PROXY_HOPS says proxies are in front.
    """
    hops = get_settings().trusted_proxy_hops
    peer = request.client.host if request.client else "unknown"
    if hops <= 0:
        return peer
    forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return peer
