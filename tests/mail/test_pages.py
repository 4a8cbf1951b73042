"""The development mailbox and the administrators' outbox page."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.mail import service as mail
from app.mail.models import OutboxMessage, OutboxStatus
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_from, sign_in, submit


def add(db: Session, **fields: object) -> OutboxMessage:
    defaults: dict[str, Any] = {
        "kind": "test",
        "to_address": "ann@example.org",
        "subject": "Hello",
        "text_body": "Hello",
        "html_body": "<p>Hello</p>",
        "message_id": f"<{secrets.token_hex(8)}@testserver>",
    }
    row = OutboxMessage(**{**defaults, **fields})
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def local(app: FastAPI) -> Iterator[TestClient]:
    """A browser on the machine the app runs on: the only one the dev mailbox answers."""
    with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 50000)) as client:
        yield client


def sign_in_admin(client: TestClient, db: Session) -> None:
    make_user(db, email="admin@example.org", admin=True)
    sign_in(client, "admin@example.org", PASSWORD)


def test_dev_mailbox_lists_kept_messages(local: TestClient, db: Session) -> None:
    message = mail.queue_email(
        db,
        kind="invite",
        to_address="ann@example.org",
        to_name="Ann Example",
        subject="Bo invites you to Undersigned",
        template="invite",
        context={"inviter": "Bo", "link": "http://testserver/invite/tok-1", "hours": 72},
    )
    message.status = OutboxStatus.SENT
    db.flush()

    page = local.get("/dev/mailbox")

    assert page.status_code == 200
    assert "No SMTP server is configured" in page.text
    assert f'href="/dev/mailbox/{message.id}"' in page.text
    assert "Bo invites you to Undersigned" in page.text
    assert "ann@example.org" in page.text


def test_dev_mailbox_empty(local: TestClient) -> None:
    page = local.get("/dev/mailbox")
    assert page.status_code == 200
    assert "No email yet" in page.text


def test_dev_message_shows_body_with_safe_links(local: TestClient, db: Session) -> None:
    row = add(
        db,
        subject="Check <this>",
        text_body="Set your password: https://example.org/invite/a?b=1&c=2\n<script>alert(1)</script>",
        html_body="<p>Hello <script>alert(1)</script></p>",
        status=OutboxStatus.SENT,
    )

    page = local.get(f"/dev/mailbox/{row.id}")

    assert page.status_code == 200
    assert "Check &lt;this&gt;" in page.text
    assert 'href="https://example.org/invite/a?b=1&amp;c=2"' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert f'href="/dev/mailbox/{row.id}/html"' in page.text
    assert row.message_id.strip("<>") in page.text

    html = local.get(f"/dev/mailbox/{row.id}/html")
    assert html.status_code == 200
    assert "sandbox" in html.headers["content-security-policy"]


def test_dev_message_missing_is_404(local: TestClient) -> None:
    assert local.get("/dev/mailbox/999999").status_code == 404


@pytest.mark.parametrize(
    ("setting", "value"), [("app_env", "production"), ("smtp_host", "smtp.example.org")]
)
def test_dev_mailbox_only_exists_without_a_mail_server_outside_production(
    local: TestClient,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: str,
) -> None:
    row = add(db, status=OutboxStatus.SENT)
    monkeypatch.setattr(settings, setting, value)

    assert local.get("/dev/mailbox").status_code == 404
    assert local.get(f"/dev/mailbox/{row.id}").status_code == 404
    assert local.get(f"/dev/mailbox/{row.id}/html").status_code == 404


def test_outbox_lists_failed_and_waiting_for_an_admin(client: TestClient, db: Session) -> None:
    add(
        db,
        to_address="gone@example.org",
        subject="Bounced invite",
        status=OutboxStatus.FAILED,
        attempts=1,
        last_error="550 5.1.1 No such user",
    )
    add(
        db,
        to_address="slow@example.org",
        subject="Greylisted invite",
        status=OutboxStatus.READY,
        attempts=2,
        next_attempt_at=utcnow() + timedelta(minutes=5),
        last_error="451 4.3.0 Try again later",
    )
    add(db, subject="Delivered fine", status=OutboxStatus.SENT, attempts=1)
    sign_in_admin(client, db)

    page = client.get("/outbox")

    assert page.status_code == 200
    assert "gone@example.org" in page.text and "550 5.1.1 No such user" in page.text
    assert "slow@example.org" in page.text and "451 4.3.0 Try again later" in page.text
    assert "Delivered fine" not in page.text
    assert 'action="/outbox/' in page.text
    csrf_from(page.text)


def test_outbox_is_for_admins_only(client: TestClient, db: Session) -> None:
    anonymous = client.get("/outbox", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")

    make_user(db, email="lead@example.org", admin=False)
    sign_in(client, "lead@example.org", PASSWORD)
    assert client.get("/outbox").status_code == 403


def test_retry_puts_a_failed_message_back_in_the_queue(client: TestClient, db: Session) -> None:
    row = add(db, status=OutboxStatus.FAILED, attempts=1, last_error="550 5.1.1 No such user")
    sign_in_admin(client, db)

    response = submit(client, "/outbox", action=f"/outbox/{row.id}/retry")

    assert response.status_code == 303
    assert response.headers["location"] == "/outbox"
    db.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.READY, 0, "")
    assert row.next_attempt_at <= utcnow()
    assert "The message will be sent again." in client.get("/outbox").text


def test_retry_needs_the_csrf_token(client: TestClient, db: Session) -> None:
    row = add(db, status=OutboxStatus.FAILED, attempts=1)
    sign_in_admin(client, db)

    response = client.post(
        f"/outbox/{row.id}/retry", data={"csrf_token": "forged"}, follow_redirects=False
    )

    assert response.status_code == 403
    db.refresh(row)
    assert row.status == OutboxStatus.FAILED


def test_retry_of_a_message_that_did_not_fail_is_404(client: TestClient, db: Session) -> None:
    row = add(db, status=OutboxStatus.SENT, attempts=1)
    sign_in_admin(client, db)

    response = submit(client, "/outbox", action=f"/outbox/{row.id}/retry")

    assert response.status_code == 404
    db.refresh(row)
    assert row.status == OutboxStatus.SENT


@pytest.mark.parametrize("address", ["testclient", "203.0.113.7", "10.0.0.2", "::ffff:8.8.8.8"])
def test_dev_mailbox_answers_only_the_machine_it_runs_on(
    app: FastAPI, db: Session, address: str
) -> None:
    row = add(db, status=OutboxStatus.SENT)
    with TestClient(app, base_url="http://testserver", client=(address, 50000)) as remote:
        assert remote.get("/dev/mailbox").status_code == 404
        assert remote.get(f"/dev/mailbox/{row.id}").status_code == 404
        assert remote.get(f"/dev/mailbox/{row.id}/html").status_code == 404


def test_dev_mailbox_behind_a_proxy_looks_at_the_forwarded_client(
    app: FastAPI, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reverse proxy on the same machine connects from 127.0.0.1 for everyone."""
    monkeypatch.setattr(settings, "trusted_proxy_hops", 1)
    with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 50000)) as proxy:
        remote = proxy.get("/dev/mailbox", headers={"X-Forwarded-For": "203.0.113.7"})
        assert remote.status_code == 404
        mine = proxy.get("/dev/mailbox", headers={"X-Forwarded-For": "127.0.0.1"})
        assert mine.status_code == 200


def test_the_dev_mailbox_shows_the_signed_in_header(local: TestClient, db: Session) -> None:
    row = add(db, status=OutboxStatus.SENT)
    sign_in_admin(local, db)
    for path in ("/dev/mailbox", f"/dev/mailbox/{row.id}", "/outbox"):
        page = local.get(path)
        assert page.status_code == 200, path
        assert "Sign out" in page.text, path
        assert 'href="/login"' not in page.text, path
