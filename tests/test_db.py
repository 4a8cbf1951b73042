"""The database layer: UTC timestamps, SQLite tuned for concurrent writers, one
transaction per request."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, col

from app.accounts.models import User
from app.core.db import SessionDep, new_session
from app.core.errors import BadRequest
from app.mail.models import OutboxMessage
from app.main import create_app
from tests.factories import make_user


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 21, 12, 0, 0, 1, tzinfo=UTC),
        # 13:00 Geneva time on the HRC58 deadline, given with its own offset.
        datetime(2025, 3, 21, 13, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(2024, 10, 27, 1, 30, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_timestamps_round_trip_as_the_same_utc_instant(db: Session, moment: datetime) -> None:
    user = make_user(db)
    user.last_login_at = moment
    db.flush()
    db.expire_all()
    stored = db.execute(select(col(User.last_login_at)).where(col(User.id) == user.id)).scalar_one()
    assert stored == moment
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.microsecond == moment.microsecond


def test_naive_timestamps_are_refused(db: Session) -> None:
    user = make_user(db)
    user.last_login_at = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        db.flush()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_concurrent_writers_never_see_database_is_locked(committed: Engine) -> None:
    """Sixteen threads writing at once: every write lands, none fails."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with new_session(committed) as session:
                    session.add(
                        OutboxMessage(
                            kind="test",
                            to_address=f"w{n}-{i}@example.org",
                            subject="s",
                            text_body="b",
                            message_id=f"<{n}-{i}@test>",
                        )
                    )
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with new_session(committed, write=False) as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 160


def test_a_request_commits_on_success_and_rolls_back_on_error(committed: Engine) -> None:
    """One transaction per request, with the real session dependency (no override)."""
    app = create_app()

    @app.get("/test-write/{outcome}")
    def write(outcome: str, session: SessionDep) -> dict[str, str]:
        session.add(User(email=f"{outcome}@example.org", name=outcome, password_hash="x"))
        session.flush()
        if outcome == "fail":
            raise BadRequest("refused after writing")
        return {"ok": outcome}

    with TestClient(app) as client:
        assert client.get("/test-write/ok").status_code == 200
        assert client.get("/test-write/fail").status_code == 400
    with new_session(committed, write=False) as session:
        emails = session.execute(select(User.email)).scalars().all()  # type: ignore[call-overload]
    assert emails == ["ok@example.org"]
