"""Inviting a lead: a single-use, expiring, purpose-salted link sent by email."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session, select

from app.accounts.models import Invite, User
from app.core.config import get_settings
from app.mail.models import OutboxMessage
from app.security.tokens import Purpose, make_token
from tests.factories import PASSWORD, make_user
from tests.helpers import sign_in, submit

NEW_PASSWORD = "another long password"


def _invite(client: TestClient, db: Session, email: str = "second@example.org") -> str:
    make_user(db, email="admin@example.org", name="Admin Person", admin=True)
    sign_in(client, "admin@example.org", PASSWORD)
    response = submit(client, "/team", action="/team/invites", email=email)
    assert response.status_code == 303
    client.cookies.clear()
    message = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invite")).one()
    assert message.to_address == email
    assert "Admin Person" in message.subject
    match = re.search(r"http://testserver(/invite/[^\s\"<?]+)", message.text_body)
    assert match, message.text_body
    assert match.group(1) in message.html_body
    return match.group(1)


def test_invited_lead_sets_a_password_and_signs_in(client: TestClient, db: Session) -> None:
    link = _invite(client, db)
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "second@example.org" in page.text
    response = submit(client, link, name="Second Lead", password=NEW_PASSWORD)
    assert response.status_code == 303
    user = db.exec(select(User).where(User.email == "second@example.org")).one()
    assert (user.name, user.is_admin) == ("Second Lead", False)
    sign_in(client, "second@example.org", NEW_PASSWORD)
    assert "Welcome, Second Lead" in client.get("/dashboard").text


def test_reused_invite_is_refused(client: TestClient, db: Session) -> None:
    link = _invite(client, db)
    submit(client, link, name="Second Lead", password=NEW_PASSWORD)
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.text


def test_tampered_invite_is_refused(client: TestClient, db: Session) -> None:
    link = _invite(client, db)
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = client.get(tampered)
    assert response.status_code == 404
    assert "not valid" in response.text
    # A token signed for another purpose does not open an invite either.
    invite = db.exec(select(Invite)).one()
    other_purpose = make_token(Purpose.CSRF, {"i": invite.id, "n": invite.nonce})
    assert client.get(f"/invite/{other_purpose}").status_code == 404


def test_expired_invite_is_refused(client: TestClient, db: Session) -> None:
    _invite(client, db)
    invite = db.exec(select(Invite)).one()

    class SignedLastWeek(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 7 * 24 * 3600

    key = get_settings().secret_key.get_secret_value()
    serializer = URLSafeTimedSerializer(key, salt=Purpose.INVITE.value, signer=SignedLastWeek)
    old = serializer.dumps({"i": invite.id, "n": invite.nonce})
    response = client.get(f"/invite/{old}")
    assert response.status_code == 410
    assert "expired" in response.text
    assert db.exec(select(User).where(User.email == "second@example.org")).first() is None


def test_revoked_invite_is_refused(client: TestClient, db: Session) -> None:
    link = _invite(client, db)
    invite = db.exec(select(Invite)).one()
    sign_in(client, "admin@example.org", PASSWORD)
    submit(client, "/team", action=f"/team/invites/{invite.id}/revoke")
    client.cookies.clear()
    assert client.get(link).status_code == 404


def test_a_bad_password_keeps_the_invite_usable(client: TestClient, db: Session) -> None:
    link = _invite(client, db)
    response = submit(client, link, name="Second Lead", password="short")
    assert response.status_code == 400
    assert "at least 12 characters" in response.text
    assert db.exec(select(Invite)).one().accepted_at is None
    assert submit(client, link, name="Second Lead", password=NEW_PASSWORD).status_code == 303


def test_inviting_an_existing_lead_says_so(client: TestClient, db: Session) -> None:
    make_user(db, email="admin@example.org", admin=True)
    make_user(db, email="taken@example.org")
    sign_in(client, "admin@example.org", PASSWORD)
    response = submit(client, "/team", action="/team/invites", email="taken@example.org")
    assert response.status_code == 409
    assert "already has an account" in response.text
    assert db.exec(select(OutboxMessage)).first() is None
