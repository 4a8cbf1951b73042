"""Sign-in sessions: opening one, finding whose a session cookie is (idle and absolute
timeouts), a lead's own list of them, ending them.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.accounts.models import LoginSession, User
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import NotFound
from app.security import clients, tokens

log = logging.getLogger(__name__)

# Recording every request would turn each page view into a write; a minute is enough.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewSession:
    user: User
    token: str
    max_age_seconds: int


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
