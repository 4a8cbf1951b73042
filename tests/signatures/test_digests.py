"""Notifications: the leads' digests of new signatures (counts, frequency, no addresses or
anonymous names) and the signers' message when the final document is published."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import BadRequest, NotFound
from app.core.i18n import set_locale
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.digests import service as digests
from app.signatures.forms import SignInput
from app.signatures.models import Signature
from app.signatures.reconsent import service as reconsent
from app.signatures.signing import service
from app.statements import service as statements
from app.statements.models import DigestFrequency, Statement, TeamMember, TeamRole
from app.statements.team import service as team
from tests.factories import (
    PASSWORD,
    individual,
    make_statement,
    make_user,
    open_statement,
    organisation,
    statement_input,
)
from tests.helpers import run_signing_worker, sign_in, submit

MINUTE = timedelta(minutes=1)


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker writes signers' emails after the request
    query = select(OutboxMessage).where(col(OutboxMessage.kind) == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def _submit(db: Session, statement: Statement, values: dict[str, str], at: datetime) -> str:
    """Submit at `at`; returns the confirmation token from the queued email."""
    service.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(values),
        context=service.Context(),
        now=at,
    )
    match = re.search(r"/confirm/(\S+)", _mail(db, "signature_confirm")[-1].text_body)
    assert match
    return match.group(1)


def _sign(db: Session, statement: Statement, values: dict[str, str], at: datetime) -> Signature:
    token = _submit(db, statement, values, at)
    return lifecycle.confirm(db, token=token, now=at + MINUTE).signature


def _member(db: Session, statement: Statement, user: User) -> TeamMember:
    return db.exec(
        select(TeamMember).where(
            col(TeamMember.statement_id) == statement.id, col(TeamMember.user_id) == user.id
        )
    ).one()


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="lead@example.org", name="Lead")


@pytest.fixture
def statement(db: Session, owner: User) -> Statement:
    return open_statement(db, owner=owner, slug="hrc58")


def test_a_digest_counts_and_names_only_what_may_be_shown(
    db: Session, owner: User, statement: Statement
) -> None:
    t0 = utcnow()
    _sign(db, statement, individual(), t0)
    tjwg = _sign(db, statement, organisation(), t0)
    secret = individual(name="Secret Person", email="secret@example.org", listing="anonymous")
    _sign(db, statement, secret, t0)
    lifecycle.approve(db, statement=statement, signature=tjwg, actor=owner)
    _submit(db, statement, individual(name="Unsure", email="unsure@example.org"), t0)
    withdrawn = _sign(db, statement, individual(name="Gone", email="gone@example.org"), t0)
    token = lifecycle.withdraw_token(withdrawn)
    lifecycle.withdraw(db, token=token, now=t0 + 2 * MINUTE)

    assert digests.send_due_digests(db, now=t0 + 10 * MINUTE) == 1
    (message,) = _mail(db, "digest")
    assert message.to_address == owner.email
    body = message.text_body
    assert "4 new signatures (2 awaiting your approval)" in body
    assert "1 not yet confirmed by email" in body and "1 withdrawal" in body
    assert message.subject.startswith("4 new signatures (2 awaiting your approval)")
    assert "http://testserver/statements/hrc58/signatures" in body
    assert "Kim Jeong-sam (elder brother of a detainee)" in body
    assert "Transitional Justice Working Group (TJWG)" in message.html_body
    for text in (body, message.html_body, message.subject):
        assert "Secret Person" not in text and "Unsure" not in text
        assert "@example.org" not in text and "@tjwg.org" not in text
    assert _member(db, statement, owner).digest_sent_at == t0 + 10 * MINUTE


def test_frequency_is_respected(db: Session, owner: User, statement: Statement) -> None:
    hourly = make_user(db, email="hourly@example.org", name="Hourly")
    quiet = make_user(db, email="quiet@example.org", name="Quiet")
    for user, frequency in ((hourly, "hourly"), (quiet, "off")):
        team.add_member(
            db, statement=statement, actor=owner, email=user.email, role=TeamRole.VIEWER
        )
        digests.set_frequency(db, statement=statement, user=user, frequency=frequency)
    t0 = utcnow()
    _sign(db, statement, individual(), t0)

    def run(at: timedelta) -> list[str]:
        before = len(_mail(db, "digest"))
        digests.send_due_digests(db, now=t0 + at)
        return sorted(m.to_address for m in _mail(db, "digest")[before:])

    assert run(10 * MINUTE) == ["hourly@example.org", "lead@example.org"]  # daily by default
    assert run(20 * MINUTE) == []  # nothing new
    _sign(db, statement, individual(name="Park", email="park@example.org"), t0 + 30 * MINUTE)
    assert run(50 * MINUTE) == []  # news, but within the hour
    assert run(71 * MINUTE) == ["hourly@example.org"]
    assert run(2 * 60 * MINUTE) == []
    assert run(timedelta(days=1, minutes=11)) == ["lead@example.org"]
    last = _mail(db, "digest")[-1].text_body
    assert "1 new signature" in last and "Park" in last and "Kim" not in last
    # "off" never gets one.
    assert all(m.to_address != "quiet@example.org" for m in _mail(db, "digest"))


def test_nothing_for_drafts_or_quiet_statements(db: Session, owner: User) -> None:
    make_statement(db, owner=owner, slug="draft-only")
    open_statement(db, owner=owner, slug="quiet")
    assert digests.send_due_digests(db, now=utcnow() + timedelta(days=2)) == 0
    assert _mail(db, "digest") == []


def test_each_member_sets_their_own_frequency(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    viewer = make_user(db, email="viewer@example.org", name="Viewer")
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    sign_in(client, viewer.email, PASSWORD)
    response = submit(
        client, "/statements/hrc58", action="/statements/hrc58/digest", frequency="off"
    )
    assert response.status_code == 303
    db.refresh(_member(db, statement, viewer))
    assert digests.frequency_of(db, statement=statement, user=viewer) == DigestFrequency.OFF
    assert digests.frequency_of(db, statement=statement, user=owner) == DigestFrequency.DAILY

    # Turning it back on starts afresh rather than reporting the quiet weeks.
    at = utcnow()
    digests.set_frequency(db, statement=statement, user=viewer, frequency="hourly", now=at)
    assert _member(db, statement, viewer).digest_sent_at == at
    with pytest.raises(BadRequest):
        digests.set_frequency(db, statement=statement, user=viewer, frequency="weekly")
    stranger = make_user(db, email="stranger@example.org", name="Stranger")
    with pytest.raises(NotFound):
        digests.set_frequency(db, statement=statement, user=stranger, frequency="daily")
    sign_in(client, stranger.email, PASSWORD)
    page = client.get("/dashboard")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    refused = client.post(
        "/statements/hrc58/digest", data={"csrf_token": token.group(1), "frequency": "off"}
    )
    assert refused.status_code == 404


def test_final_published_reaches_approved_signers_only(
    db: Session, owner: User, statement: Statement
) -> None:
    t0 = utcnow()
    set_locale("ko")
    try:
        approved = _sign(db, statement, organisation(), t0)
    finally:
        set_locale("en")
    lifecycle.approve(db, statement=statement, signature=approved, actor=owner)
    _sign(db, statement, individual(), t0)  # confirmed, never approved
    _submit(db, statement, individual(name="Unsure", email="unsure@example.org"), t0)
    gone = _sign(db, statement, individual(name="Gone", email="gone@example.org"), t0)
    lifecycle.approve(db, statement=statement, signature=gone, actor=owner)
    lifecycle.withdraw(db, token=lifecycle.withdraw_token(gone))

    url = "http://testserver/s/hrc58/final.pdf"
    assert digests.notify_final(db, statement=statement, document_url=url) == 1
    (message,) = _mail(db, "final_published")
    assert message.to_address == "director@tjwg.org" and message.locale == "ko"
    assert url in message.text_body and url in message.html_body


def test_final_published_skips_those_taken_off_the_list(
    db: Session, owner: User, statement: Statement
) -> None:
    signature = _sign(db, statement, individual(), utcnow())
    lifecycle.approve(db, statement=statement, signature=signature, actor=owner)
    version = statements.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug="hrc58", body="A different call.\n\nThank you."),
        change_note="Rewritten",
        material=True,
    )
    assert version is not None
    reconsent.start_round(db, statement=statement, actor=owner, version=version)
    reconsent.decide_unconfirmed(db, statement=statement, actor=owner, keep_listed=False)
    assert digests.notify_final(db, statement=statement, document_url="https://x.test/f") == 0
