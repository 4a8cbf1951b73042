"""Retention: contact details go the chosen number of days after finalisation (counts, the
public list and the signed PDF stay), unconfirmed and rejected signatures after 30 days,
each audited; a signer asks what is held and deletes it through an emailed link.

The clock is passed in (`now=`): nothing sleeps."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.lists.final import service as finalise
from app.mail.models import OutboxMessage, OutboxStatus
from app.signatures import lifecycle
from app.signatures.forms import SignInput
from app.signatures.models import Signature, SignatureNote, SignatureStatus
from app.signatures.retention import service as retention
from app.signatures.retention.models import PrivacyRequest
from app.signatures.retention.privacy import service as privacy
from app.signatures.signing import service as signing
from app.statements.models import Statement, StatementStatus
from tests.factories import PASSWORD, individual, make_user, open_statement, organisation
from tests.helpers import csrf_from, mail_to, run_signing_worker, sign_in, submit

DAY = timedelta(days=1)
SECRET_NAME = "Ri Secret-Name"
COUNTED_NAME = "Pak Counted-Only"


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker turns the sign form's notices into email
    query = select(OutboxMessage).where(col(OutboxMessage.kind) == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def _sign(db: Session, statement: Statement, values: dict[str, str], at: datetime) -> Signature:
    """Through the sign form's service, confirmed by its emailed link."""
    signing.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(values),
        context=signing.Context(),
        now=at,
    )
    match = re.search(r"/confirm/(\S+)", _mail(db, "signature_confirm")[-1].text_body)
    assert match
    return lifecycle.confirm(db, token=match.group(1), now=at).signature


def _approved(db: Session, statement: Statement, lead: User, values: dict[str, str]) -> Signature:
    signature = _sign(db, statement, values, utcnow())
    lifecycle.approve(db, statement=statement, signature=signature, actor=lead)
    return signature


def _final_statement(db: Session) -> tuple[Statement, User, dict[str, Signature]]:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="retained")
    signers = {
        "named": _approved(db, statement, lead, individual(email="named@example.org")),
        "org": _approved(db, statement, lead, organisation(email="director@tjwg.org")),
        "anonymous": _approved(
            db,
            statement,
            lead,
            individual(name=SECRET_NAME, listing="anonymous", email="anon@example.org"),
        ),
        "counted": _approved(
            db,
            statement,
            lead,
            individual(name=COUNTED_NAME, listing="counted", email="counted@example.org"),
        ),
        "waiting": _sign(db, statement, individual(email="waiting@example.org"), utcnow()),
    }
    db.add(SignatureNote(signature_id=signers["anonymous"].id or 0, body="Met her in Seoul"))
    statement.deadline_at = utcnow() - timedelta(minutes=1)
    statement.status = StatementStatus.CLOSED
    db.flush()
    finalise.finalise(db, statement=statement, actor=lead)
    for message in _mail(db, "signature_confirm") + _mail(db, "signature_confirmed"):
        message.status = OutboxStatus.SENT
    db.flush()
    return statement, lead, signers


def _public(client: TestClient) -> dict[str, bytes]:
    return {
        fmt: client.get(f"/s/retained/signatories.{fmt}").content
        for fmt in ("csv", "json", "txt", "pdf")
    } | {"page": client.get("/s/retained").content}


def test_contact_details_go_on_the_date_and_the_public_record_stays(
    client: TestClient, db: Session
) -> None:
    statement, _lead, signers = _final_statement(db)
    assert statement.finalised_at is not None
    due = statement.finalised_at + 90 * DAY
    assert retention.contact_deletion_at(statement) == due
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None
    sha = snapshot.pdf_sha256
    before = _public(client)
    assert hashlib.sha256(before["pdf"]).hexdigest() == sha
    mail_before = db.exec(
        select(OutboxMessage).where(col(OutboxMessage.statement_id) == statement.id)
    ).all()
    assert mail_before  # confirmations and the final notice recorded their statement

    # A day before: nothing changes.
    assert retention.purge_due(db, now=due - DAY) == 0
    db.refresh(signers["named"])
    assert signers["named"].email == "named@example.org"

    # On the date, in batches of two: idempotent, audited per run.
    done = retention.purge_due(db, now=due, limit=2)
    assert done == 2
    assert statement.contact_purged_at is None  # more to do
    while statement.contact_purged_at is None:
        retention.purge_due(db, now=due, limit=2)
    assert retention.purge_due(db, now=due + DAY) == 0

    for signature in signers.values():
        db.refresh(signature)
        assert signature.email == "" and signature.ip_hash == "" and signature.nonce == ""
    assert signers["named"].name == "Kim Jeong-sam"  # published: the name stays
    assert signers["org"].organisation == "Transitional Justice Working Group"
    assert signers["org"].name == "" and signers["org"].title == ""
    assert signers["anonymous"].name == "" and signers["anonymous"].note == ""
    assert signers["counted"].name == "" and signers["counted"].country == ""
    assert signers["waiting"].name == ""
    assert db.exec(select(SignatureNote)).all() == []
    assert (
        db.exec(select(OutboxMessage).where(col(OutboxMessage.statement_id) == statement.id)).all()
        == []
    )

    after = _public(client)
    assert after == before  # every format, the page and the signed PDF, byte for byte
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None and snapshot.pdf_sha256 == sha
    for marker in (b"named@example.org", SECRET_NAME.encode(), COUNTED_NAME.encode()):
        assert marker not in b"".join(after.values())

    details = [
        e.detail
        for e in db.exec(
            select(AuditEvent).where(
                col(AuditEvent.statement_id) == statement.id,
                col(AuditEvent.action) == "contact details deleted",
            )
        )
    ]
    assert details[0] == "contact details deleted: 2 signatures, 0 emails"
    assert details[-1].endswith(f"signatures, {len(mail_before)} emails")
    assert sum(int(d.split(": ")[1].split()[0]) for d in details) == len(signers)


def test_the_lead_sees_and_moves_the_date(client: TestClient, db: Session) -> None:
    statement, _lead, _signers = _final_statement(db)
    sign_in(client, "lead@example.org", PASSWORD)
    page = client.get("/statements/retained").text
    assert "Contact details will be deleted on" in page
    bad = submit(
        client, "/statements/retained", action="/statements/retained/retention", retention_days="-3"
    )
    assert bad.status_code == 422 and "from 0 to 3650" in bad.text
    ok = submit(
        client, "/statements/retained", action="/statements/retained/retention", retention_days="10"
    )
    assert ok.status_code == 303
    db.refresh(statement)
    assert statement.retention_days == 10
    assert statement.finalised_at is not None
    assert retention.contact_deletion_at(statement) == statement.finalised_at + 10 * DAY
    assert retention.purge_due(db, now=statement.finalised_at + 10 * DAY) > 0


def test_the_api_changes_the_setting_even_when_final(client: TestClient, db: Session) -> None:
    statement, lead, _signers = _final_statement(db)
    _token, token = api_tokens.create_token(db, user=lead, name="ci", scopes=ALL_SCOPES)
    db.commit()  # only releases the savepoint: the refused request must not undo it
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.patch("/api/v1/statements/retained", json={"retention_days": 30}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["retention_days"] == 30
    refused = client.patch(
        "/api/v1/statements/retained", json={"retention_days": 5000}, headers=auth
    )
    assert refused.status_code == 422
    db.refresh(statement)
    assert statement.retention_days == 30


def test_unconfirmed_and_rejected_go_after_30_days(db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="stale")
    start = utcnow()
    signing.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(individual(email="never@example.org")),
        context=signing.Context(),
        now=start,
    )
    rejected = _sign(db, statement, individual(email="rejected@example.org"), start)
    lifecycle.reject(db, statement=statement, signature=rejected, actor=lead)
    kept = _sign(db, statement, individual(email="kept@example.org"), start)

    assert retention.delete_stale_signatures(db, now=start + 30 * DAY - timedelta(minutes=1)) == 0
    assert retention.delete_stale_signatures(db, now=start + 30 * DAY) == 2
    left = db.exec(select(Signature).where(col(Signature.statement_id) == statement.id))
    assert [s.email for s in left] == [kept.email]
    audit = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "stale signatures deleted")
    ).one()
    assert audit.detail == "unconfirmed or rejected signatures deleted: 2"
    assert retention.delete_stale_signatures(db, now=start + 31 * DAY) == 0


def _request(client: TestClient, email: str) -> str:
    response = submit(client, "/privacy/request", email=email)
    assert response.status_code == 200
    return response.text


def test_request_flow_end_to_end(client: TestClient, db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="open-one")
    signature = _approved(db, statement, lead, individual(email="asker@example.org"))
    assert "Kim Jeong-sam" in client.get("/s/open-one").text

    known = _request(client, "Asker@Example.org")
    unknown = _request(client, "stranger@example.org")
    answer = "If we hold anything for this address, we"
    assert answer in known and answer in unknown
    assert known.replace("Asker@Example.org", "") == unknown.replace("stranger@example.org", "")
    assert len(db.exec(select(PrivacyRequest)).all()) == 2

    assert privacy.answer_requests(db) == 1  # the unknown address gets nothing
    assert db.exec(select(PrivacyRequest)).all() == []
    (report,) = _mail(db, "privacy_report")
    assert report.to_address == "asker@example.org"
    assert "Kim Jeong-sam" in report.text_body and "open-one" in report.text_body
    match = re.search(r"/privacy/delete/(\S+)", report.text_body)
    assert match
    link = f"/privacy/delete/{match.group(1)}"

    page = client.get(link)
    assert page.status_code == 200 and "asker@example.org" in page.text
    assert page.headers["cache-control"] == "no-store"
    db.refresh(signature)
    assert signature.status == SignatureStatus.APPROVED  # opening the link changes nothing

    done = client.post(link, data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200
    withdrawn = db.get(Signature, signature.id, populate_existing=True)
    assert withdrawn is not None and withdrawn.status == SignatureStatus.WITHDRAWN
    assert signature.email == "" and signature.name == ""
    assert "Kim Jeong-sam" not in client.get("/s/open-one").text

    again = client.post(link, data={"csrf_token": csrf_from(page.text)})
    assert again.status_code == 404  # the link works once
    assert client.get(link).status_code == 404


def test_deleting_on_a_final_statement_keeps_the_document(client: TestClient, db: Session) -> None:
    statement, _lead, signers = _final_statement(db)
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None
    before = _public(client)
    db.add(PrivacyRequest(email="named@example.org"))
    db.flush()
    assert privacy.answer_requests(db) == 1
    match = re.search(r"/privacy/delete/(\S+)", _mail(db, "privacy_report")[-1].text_body)
    assert match
    link = f"/privacy/delete/{match.group(1)}"
    page = client.get(link)
    assert client.post(link, data={"csrf_token": csrf_from(page.text)}).status_code == 200
    named = signers["named"]
    db.refresh(named)
    assert named.status == SignatureStatus.APPROVED and named.name == "Kim Jeong-sam"
    assert named.email == ""
    assert _public(client) == before
    assert [m for m in mail_to(db, "named@example.org") if m.statement_id == statement.id] == []


def test_request_form_is_rate_limited_and_checks_the_address(client: TestClient) -> None:
    assert submit(client, "/privacy/request", email="not an address").status_code == 422
    statuses = [
        submit(client, "/privacy/request", email="flood@example.org").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
