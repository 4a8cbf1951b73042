"""Sessions end when idle and after a fixed time; a lead ends any or all; an administrator
deactivates a lead. The clock is passed in (`now`), never slept."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts import service
from app.accounts.models import LoginSession, User
from app.accounts.sessions import service as sessions
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.db import utcnow
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_from, sign_in, submit

MINUTE = timedelta(minutes=1)


def _open(db: Session, *, at: datetime) -> tuple[User, str]:
    user = make_user(db, email="lead@example.org")
    opened = service.sign_in(
        db,
        email="lead@example.org",
        password=PASSWORD,
        ip="198.51.100.7",
        user_agent="",
        now=at,
    )
    return user, opened.token


def test_a_session_ends_after_the_idle_timeout(db: Session) -> None:
    t0 = utcnow()
    user, token = _open(db, at=t0)
    idle = get_settings().session_idle_minutes
    assert idle == 30
    found = sessions.user_for_session_token(db, token=token, now=t0 + (idle - 1) * MINUTE)
    assert found is not None and found[0].id == user.id
    # Used at minute 29, so it lives until minute 59 and no longer.
    later = t0 + (idle - 1) * MINUTE + (idle - 1) * MINUTE
    assert sessions.user_for_session_token(db, token=token, now=later) is not None
    gone = later + (idle + 1) * MINUTE
    assert sessions.user_for_session_token(db, token=token, now=gone) is None
    assert sessions.list_sessions(db, user=user, now=gone) == []


def test_a_session_ends_after_the_absolute_timeout_however_busy(db: Session) -> None:
    t0 = utcnow()
    _user, token = _open(db, at=t0)
    hours = get_settings().session_max_hours
    assert hours == 12
    at = t0
    while at < t0 + timedelta(hours=hours) - 20 * MINUTE:
        at += 20 * MINUTE
        assert sessions.user_for_session_token(db, token=token, now=at) is not None, at - t0
    assert (
        sessions.user_for_session_token(db, token=token, now=t0 + timedelta(hours=hours) + MINUTE)
        is None
    )


def test_last_seen_is_written_at_most_once_a_minute(db: Session) -> None:
    t0 = utcnow()
    _user, token = _open(db, at=t0)
    login = db.exec(select(LoginSession)).one()
    assert login.last_seen_at == t0
    sessions.user_for_session_token(db, token=token, now=t0 + timedelta(seconds=50))
    db.refresh(login)
    assert login.last_seen_at == t0
    sessions.user_for_session_token(db, token=token, now=t0 + 2 * MINUTE)
    db.refresh(login)
    assert login.last_seen_at == t0 + 2 * MINUTE


def test_the_account_page_lists_sessions_and_ends_all_others(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    with (
        TestClient(app, base_url="http://testserver") as second,
        TestClient(app, base_url="http://testserver") as third,
    ):
        sign_in(second, "lead@example.org", PASSWORD)
        sign_in(third, "lead@example.org", PASSWORD)
        page = client.get("/account")
        assert "Last seen" in page.text and page.text.count('/revoke"') == 2
        response = submit(client, "/account", action="/account/sessions/revoke-others")
        assert response.status_code == 303
        for other in (second, third):
            assert other.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/dashboard").status_code == 200
    live = db.exec(select(LoginSession).where(col(LoginSession.revoked_at).is_(None))).all()
    assert len(live) == 1


def test_a_deactivated_lead_is_refused_at_once_and_can_be_reactivated(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    make_user(db, email="admin@example.org", name="Admin", admin=True)
    lead = make_user(db, email="lead@example.org", name="Lead")
    _token, raw = api_tokens.create_token(db, user=lead, name="script", scopes=ALL_SCOPES)
    db.commit()  # only releases the test's savepoint
    bearer = {"Authorization": f"Bearer {raw}"}
    sign_in(client, "admin@example.org", PASSWORD)
    with TestClient(app, base_url="http://testserver") as lead_browser:
        sign_in(lead_browser, "lead@example.org", PASSWORD)
        assert lead_browser.get("/dashboard").status_code == 200
        assert lead_browser.get("/api/v1/statements", headers=bearer).status_code == 200

        response = submit(client, "/team", action=f"/team/leads/{lead.id}/deactivate")
        assert response.status_code == 303
        assert "deactivated" in client.get("/team").text
        # The very next request is refused: the session and the token alike.
        assert lead_browser.get("/dashboard", follow_redirects=False).status_code == 303
        assert lead_browser.get("/api/v1/statements", headers=bearer).status_code == 401
        refused = submit(lead_browser, "/login", email="lead@example.org", password=PASSWORD)
        assert refused.status_code == 400

        submit(client, "/team", action=f"/team/leads/{lead.id}/reactivate")
        assert lead_browser.get("/api/v1/statements", headers=bearer).status_code == 200
        # Their old session stays ended: they sign in again.
        assert lead_browser.get("/dashboard", follow_redirects=False).status_code == 303
        sign_in(lead_browser, "lead@example.org", PASSWORD)
        assert lead_browser.get("/dashboard").status_code == 200
    actions = db.exec(
        select(AuditEvent.action).where(col(AuditEvent.detail) == "lead@example.org")
    ).all()
    assert list(actions) == ["lead.deactivated", "lead.reactivated"]


def test_an_administrator_cannot_deactivate_themselves_and_a_lead_cannot_at_all(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    admin = make_user(db, email="admin@example.org", admin=True)
    lead = make_user(db, email="lead@example.org")
    sign_in(client, "admin@example.org", PASSWORD)
    response = submit(client, "/team", action=f"/team/leads/{admin.id}/deactivate")
    assert response.status_code == 400
    assert "cannot deactivate your own account" in response.text
    with TestClient(app, base_url="http://testserver") as lead_browser:
        sign_in(lead_browser, "lead@example.org", PASSWORD)
        page = lead_browser.get("/account")
        assert page.status_code == 200
        forbidden = lead_browser.post(
            f"/team/leads/{admin.id}/deactivate", data={"csrf_token": csrf_from(page.text)}
        )
        assert forbidden.status_code == 403
    db.refresh(admin)
    db.refresh(lead)
    assert admin.is_active and lead.is_active
