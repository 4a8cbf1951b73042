"""A lead's anti-phishing phrase heads every email the app sends them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.passwords import service
from app.core.db import utcnow
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.digests import service as digests
from app.signatures.forms import SignInput
from app.signatures.signing import service as signing
from tests.factories import PASSWORD, individual, make_user, open_statement
from tests.helpers import mail_to, run_signing_worker, sign_in, submit

PHRASE = "blue heron over the Han"


def test_the_phrase_is_chosen_on_the_account_page_and_heads_lead_emails(
    client: TestClient, db: Session
) -> None:
    lead = make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    response = submit(client, "/account", action="/account/phrase", phrase=f"  {PHRASE}\n")
    assert response.status_code == 303
    db.refresh(lead)
    assert lead.anti_phishing_phrase == PHRASE
    assert PHRASE in client.get("/account").text

    # A password reset email.
    service.request_password_reset(db, email="lead@example.org")
    # A digest.
    statement = open_statement(db, owner=lead, slug="hrc58")
    t0 = utcnow()
    signing.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(individual()),
        context=signing.Context(),
        now=t0,
    )
    run_signing_worker(db)
    confirm = db.exec(
        select(OutboxMessage).where(col(OutboxMessage.kind) == "signature_confirm")
    ).one()
    token = confirm.text_body.split("/confirm/")[1].split()[0]
    lifecycle.confirm(db, token=token, now=t0 + timedelta(minutes=1))
    assert digests.send_due_digests(db, now=t0 + timedelta(minutes=10)) == 1

    to_lead = mail_to(db, "lead@example.org")
    assert {m.kind for m in to_lead} == {"password_reset", "digest"}
    for message in to_lead:
        assert message.text_body.startswith(f"Your security phrase: {PHRASE}\n\n")
        assert f"Your security phrase: {PHRASE}" in message.html_body
    # Not in email to a signer.
    assert PHRASE not in confirm.text_body and PHRASE not in confirm.html_body


def test_a_phrase_too_long_is_refused(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    response = submit(client, "/account", action="/account/phrase", phrase="x" * 101)
    assert response.status_code == 400 and "under 100 characters" in response.text
