"""A statement's leads see the failed deliveries of its signers' emails (a badge in
moderation, a count on the overview, a line in the digest) and can send them again;
nobody sees another statement's. Mail goes through the real worker code to the real
SMTP test server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.mail import worker
from app.mail.models import OutboxMessage, OutboxStatus
from app.signatures.digests import service as digests
from app.signatures.models import Signature
from app.statements.models import DigestFrequency, Statement, TeamMember, TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, individual, make_user, open_statement
from tests.helpers import (
    csrf_from,
    mail_to,
    run_signing_worker,
    sign_in,
    signature_with_email,
    submit,
)
from tests.smtp_server import RecordingHandler, _smtp_handler, smtp_server  # noqa: F401

URL = "/statements/hrc58"


@pytest.fixture
def smtp_settings(
    smtp_server: RecordingHandler,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    return settings


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db, email="lead@example.org", name="Lead")


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    return open_statement(db, owner=lead, slug="hrc58")


@pytest.fixture
def other(db: Session) -> tuple[User, Statement]:
    """Another statement with a lead of its own, who is not on hrc58's team."""
    owner = make_user(db, email="other@example.org", name="Other")
    return owner, open_statement(db, owner=owner, slug="other")


def _send(db: Session, settings: Settings) -> list[OutboxMessage]:
    """One round of the worker: write the sign form's notices as email, claim what is due,
    send it over SMTP, record it."""
    run_signing_worker(db)
    rows = worker.claim_batch(db, worker_id="test", settings=settings, now=utcnow())
    outcomes = worker.send_batch(rows, settings=settings)
    worker.record_outcomes(db, rows, outcomes, worker_id="test", settings=settings, now=utcnow())
    db.flush()
    for row in rows:
        db.refresh(row)
    return rows


def _signature(db: Session, email: str) -> Signature:
    return signature_with_email(db, email)


def test_a_bounced_confirmation_is_shown_to_its_statements_leads_only(
    client: TestClient,
    db: Session,
    lead: User,
    statement: Statement,
    other: tuple[User, Statement],
    smtp_settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    submit(client, "/s/hrc58/sign", **individual(email="typo@example.org"))
    submit(client, "/s/hrc58/sign", **individual(email="fine@example.org", name="Fine Lee"))
    submit(client, "/s/other/sign", **individual(email="elsewhere@example.org"))
    smtp_server.refuse_next("RCPT", "550 5.1.1 No such user")

    rows = _send(db, smtp_settings)

    bounced = _signature(db, "typo@example.org")
    by_address = {row.to_address: row for row in rows}
    failed = by_address["typo@example.org"]
    assert (failed.status, failed.signature_id, failed.statement_id) == (
        OutboxStatus.FAILED,
        bounced.id,
        statement.id,
    )
    assert by_address["fine@example.org"].status == OutboxStatus.SENT
    assert by_address["elsewhere@example.org"].statement_id == other[1].id

    sign_in(client, lead.email, PASSWORD)
    overview = client.get(URL).text
    assert "1 signer's email not delivered" in overview
    listing = client.get(f"{URL}/signatures").text
    assert listing.count("Email not delivered</span>") == 1
    only = client.get(f"{URL}/signatures?delivery=1").text
    assert "typo@example.org" in only and "fine@example.org" not in only
    page = client.get(f"{URL}/signatures/{bounced.id}").text
    assert "Not delivered, and no longer tried." in page
    assert "550 5.1.1 No such user" in page
    assert "Send the failed email again" in page

    # The other statement's lead sees nothing of it, and cannot retry it.
    client.cookies.clear()
    sign_in(client, other[0].email, PASSWORD)
    assert "not delivered" not in client.get("/statements/other").text
    assert client.get(f"{URL}/signatures/{bounced.id}").status_code == 404
    token = csrf_from(client.get("/statements/other").text)
    refused = client.post(
        f"{URL}/signatures/{bounced.id}/retry-delivery", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    # Nor through their own statement's address.
    refused = client.post(
        f"/statements/other/signatures/{bounced.id}/retry-delivery", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    db.refresh(failed)
    assert failed.status == OutboxStatus.FAILED


def test_a_lead_sends_a_failed_email_again_and_it_is_audited(
    client: TestClient,
    db: Session,
    lead: User,
    statement: Statement,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    submit(client, "/s/hrc58/sign", **individual(email="full@example.org"))
    smtp_server.refuse_next("RCPT", "552 5.2.2 Mailbox full")
    [failed] = _send(db, smtp_settings)
    assert failed.status == OutboxStatus.FAILED
    signature = _signature(db, "full@example.org")
    page_url = f"{URL}/signatures/{signature.id}"

    viewer = make_user(db, email="viewer@example.org", name="Viewer")
    team.add_member(db, statement=statement, actor=lead, email=viewer.email, role=TeamRole.VIEWER)
    sign_in(client, viewer.email, PASSWORD)
    assert "Send the failed email again" not in client.get(page_url).text
    forbidden = submit(client, page_url, f"{page_url}/retry-delivery")
    assert forbidden.status_code == 403

    client.cookies.clear()
    sign_in(client, lead.email, PASSWORD)
    response = submit(client, page_url, f"{page_url}/retry-delivery")
    assert response.status_code == 303
    assert response.headers["location"] == page_url
    db.refresh(failed)
    assert (failed.status, failed.attempts, failed.last_error) == (OutboxStatus.READY, 0, "")
    event = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "signature delivery retried")
    ).one()
    assert (event.statement_id, event.actor_id) == (statement.id, lead.id)
    assert event.detail == f"#{signature.id}: 1"
    # Nothing failed any more: a second click says so, on the page, and changes nothing.
    again = submit(client, page_url, f"{page_url}/retry-delivery")
    assert again.status_code == 409
    assert "No failed email to this signer" in again.text

    [resent] = _send(db, smtp_settings)
    assert resent.status == OutboxStatus.SENT
    assert smtp_server.message_id_counts() == {resent.message_id: 1}
    assert "not delivered" not in client.get(URL).text


def test_a_delivery_being_retried_is_shown_as_such(
    client: TestClient,
    db: Session,
    lead: User,
    statement: Statement,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    submit(client, "/s/hrc58/sign", **individual(email="grey@example.org"))
    smtp_server.refuse_next("RCPT", "451 4.7.1 Greylisted")
    [waiting] = _send(db, smtp_settings)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.READY, 1)
    signature = _signature(db, "grey@example.org")

    sign_in(client, lead.email, PASSWORD)
    assert "1 signer's email being retried" in client.get(URL).text
    assert "Email delivery being retried</span>" in client.get(f"{URL}/signatures").text
    page = client.get(f"{URL}/signatures/{signature.id}").text
    assert "it will be tried again at" in page and "451 4.7.1 Greylisted" in page
    # Only a message that failed for good can be sent again by hand.
    assert "Send the failed email again" not in page


def test_the_digest_reports_deliveries_that_failed_in_its_period(
    client: TestClient,
    db: Session,
    lead: User,
    statement: Statement,
    other: tuple[User, Statement],
    smtp_settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    member = db.exec(select(TeamMember).where(col(TeamMember.user_id) == lead.id)).one()
    member.digest = DigestFrequency.HOURLY
    member.digest_sent_at = utcnow() - timedelta(hours=2)
    submit(client, "/s/hrc58/sign", **individual(email="gone@example.org"))
    submit(client, "/s/other/sign", **individual(email="gone-too@example.org"))
    smtp_server.refuse_next("RCPT", "550 5.1.1 No such user", times=2)
    _send(db, smtp_settings)
    digest = digests.summarise(
        db, statement=statement, since=utcnow() - timedelta(hours=1), until=utcnow()
    )
    assert digest.undelivered == 1  # the other statement's bounce is not hrc58's
    assert "1 email to a signer not delivered" in digest.summary()

    assert digests.send_due_digests(db, now=utcnow() + timedelta(seconds=1)) >= 1
    (mail,) = [m for m in mail_to(db, lead.email) if m.kind == "digest"]
    assert "1 email to a signer could not be delivered" in mail.text_body
    assert re.search(r"/statements/hrc58/signatures\?delivery=1", mail.text_body)
    assert "gone@example.org" not in mail.text_body  # a digest never carries an address
