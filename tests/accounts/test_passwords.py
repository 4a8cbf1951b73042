"""Passwords: a weak one refused with the reason, a change needing the current one, and
a reset by email that works once, expires, and signs nobody in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import LoginSession, PasswordReset
from app.accounts.passwords import service
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.core.errors import BadRequest, Gone, NotFound
from app.core.i18n import using_locale
from app.mail.models import OutboxMessage
from tests.factories import PASSWORD, make_user
from tests.helpers import sign_in, submit

NEW_PASSWORD = "quiet harbour lantern seventeen"
SENT = "If an account uses that address, we have sent it a link"


def test_a_weak_or_common_password_is_refused_saying_why(db: Session) -> None:
    with pytest.raises(BadRequest) as common:
        service.check_password("password1234")
    assert "too easy to guess" in common.value.message
    assert "This is a very common password." in common.value.message
    with pytest.raises(BadRequest) as personal:
        service.check_password("kimjeongsam1", user_inputs=("Kim Jeong-sam", "kimjeongsam@x.org"))
    assert "too easy to guess" in personal.value.message
    service.check_password(NEW_PASSWORD)  # a few uncommon words pass
    # In Korean: a generic reason, never English feedback mixed in.
    with using_locale("ko"), pytest.raises(BadRequest) as korean:
        service.check_password("password1234")
    assert "password" not in korean.value.message.lower()
    assert "비밀번호" in korean.value.message


def test_a_weak_password_is_refused_when_accepting_an_invitation(
    client: TestClient, db: Session
) -> None:
    make_user(db, email="admin@example.org", admin=True)
    sign_in(client, "admin@example.org", PASSWORD)
    submit(client, "/team", action="/team/invites", email="new@example.org")
    client.cookies.clear()
    message = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invite")).one()
    match = re.search(r"http://testserver(/invite/\S+?)\?", message.text_body)
    assert match
    response = submit(client, match.group(1), name="New Lead", password="qwertyuiop123")
    assert response.status_code == 400
    assert "too easy to guess" in response.text


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    with TestClient(app, base_url="http://testserver") as elsewhere:
        sign_in(elsewhere, "lead@example.org", PASSWORD)
        wrong = submit(
            client,
            "/account",
            action="/account/password",
            current_password="not my password",
            new_password=NEW_PASSWORD,
        )
        assert wrong.status_code == 400 and "current password is not right" in wrong.text
        weak = submit(
            client,
            "/account",
            action="/account/password",
            current_password=PASSWORD,
            new_password="password1234",
        )
        assert weak.status_code == 400 and "too easy to guess" in weak.text
        done = submit(
            client,
            "/account",
            action="/account/password",
            current_password=PASSWORD,
            new_password=NEW_PASSWORD,
        )
        assert done.status_code == 303
        assert client.get("/dashboard").status_code == 200
        assert elsewhere.get("/dashboard", follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert submit(client, "/login", email="lead@example.org", password=PASSWORD).status_code == 400
    sign_in(client, "lead@example.org", NEW_PASSWORD)


def _reset_link(db: Session) -> str:
    message = db.exec(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "password_reset")
        .order_by(col(OutboxMessage.id).desc())
    ).first()
    assert message is not None
    match = re.search(r"http://testserver(/reset/\S+)", message.text_body)
    assert match, message.text_body
    assert match.group(1) in message.html_body
    return match.group(1)


def test_the_reset_flow_end_to_end(app: FastAPI, client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org", name="Lead")
    login = client.get("/login")
    assert 'href="/forgot"' in login.text and "Forgot your password?" in login.text
    with TestClient(app, base_url="http://testserver") as signed_in:
        sign_in(signed_in, "lead@example.org", PASSWORD)

        known = submit(client, "/forgot", email="lead@example.org")
        unknown = submit(client, "/forgot", email="nobody@example.org")
        # The same answer whether or not the address has an account.
        assert known.status_code == unknown.status_code == 200
        assert SENT in known.text and SENT in unknown.text
        assert known.text.replace("lead@", "x@") == unknown.text.replace("nobody@", "x@")
        messages = db.exec(select(OutboxMessage)).all()
        assert [m.to_address for m in messages] == ["lead@example.org"]
        assert "expires in 30 minutes" in messages[0].text_body

        link = _reset_link(db)
        page = client.get(link)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        weak = submit(client, link, password="password1234")
        assert weak.status_code == 400 and "too easy to guess" in weak.text
        done = submit(client, link, password=NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/login"
        # A reset signs nobody in, and every session has ended.
        assert client.get("/dashboard", follow_redirects=False).status_code == 303
        assert signed_in.get("/dashboard", follow_redirects=False).status_code == 303
    live = db.exec(select(LoginSession).where(col(LoginSession.revoked_at).is_(None))).all()
    assert live == []
    # Single use.
    again = client.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    assert submit(client, "/login", email="lead@example.org", password=PASSWORD).status_code == 400
    sign_in(client, "lead@example.org", NEW_PASSWORD)
    actions = set(db.exec(select(AuditEvent.action)).all())
    assert {"password.reset_requested", "password.reset", "password.reset_refused"} <= actions


def test_an_expired_or_tampered_reset_link_is_refused_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    user = make_user(db, email="lead@example.org")
    t0 = utcnow()
    service.request_password_reset(db, email="lead@example.org", now=t0)
    link = _reset_link(db)
    token = link.removeprefix("/reset/")
    with pytest.raises(Gone) as expired:
        service.reset_password(
            db, token=token, password=NEW_PASSWORD, now=t0 + timedelta(minutes=31)
        )
    assert "expired" in expired.value.message
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(NotFound):
        service.reset_from_token(db, token=tampered)
    response = client.get("/reset/" + tampered)
    assert response.status_code == 404 and "not valid" in response.text
    db.refresh(user)
    assert service.password_matches(user, PASSWORD)
    refused = db.exec(
        select(AuditEvent.detail).where(AuditEvent.action == "password.reset_refused")
    ).all()
    assert any(d.startswith("expired") for d in refused) and "invalid" in refused
    # A newer link replaces an older one.
    service.request_password_reset(db, email="lead@example.org")
    assert _reset_link(db) != link
    assert (
        len(db.exec(select(PasswordReset).where(col(PasswordReset.used_at).is_(None))).all()) == 1
    )


def test_reset_emails_to_one_address_are_limited_silently(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    for _ in range(service.RESETS_PER_EMAIL_PER_HOUR + 2):
        assert SENT in submit(client, "/forgot", email="lead@example.org").text
    sent = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "password_reset")).all()
    assert len(sent) == service.RESETS_PER_EMAIL_PER_HOUR
