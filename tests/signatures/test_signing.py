"""Signing through the public form: confirm by email (only the POST confirms), withdraw,
and no leak of whether someone signed before."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from itsdangerous.encoding import base64_decode
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.lists import service as lists
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.models import Flag, Signature, SignatureStatus, SigningNotice
from app.signatures.signing import notices
from app.statements.models import Statement
from tests.factories import individual, make_user, open_statement, organisation
from tests.helpers import csrf_from, mail_to, run_signing_worker, signature_with_email, submit


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker writes signers' emails after the request
    return list(
        db.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        )
    )


def _link(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://testserver(/{path}/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def _sign(client: TestClient, slug: str, values: dict[str, str]) -> Response:
    return submit(client, f"/s/{slug}/sign", **values)


def status_of(signature: Signature) -> SignatureStatus:
    """Read the status again: mypy keeps `signature.status` narrowed by an earlier assert
    across the db.refresh() that changes it."""
    return signature.status


def test_individual_signs_confirms_and_withdraws(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    response = _sign(client, "hrc58", individual())
    assert response.status_code == 303
    assert response.headers["location"] == "/s/hrc58/sign/check-your-email"
    signature = db.exec(select(Signature)).one()
    assert (signature.status, signature.note) == (
        SignatureStatus.PENDING,
        "elder brother of a detainee",
    )

    link = _link(_mail(db, "signature_confirm")[0], "confirm")
    # Opening the link (as a mail scanner would) changes nothing.
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "Confirm my signature" in page.text
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.PENDING

    confirmed = submit(client, link)
    assert confirmed.status_code == 200
    assert "Your signature is confirmed" in confirmed.text
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.CONFIRMED  # manual moderation by default
    assert signature.version_id is not None

    withdraw = _link(_mail(db, "signature_confirmed")[0], "withdraw")
    assert client.get(withdraw).status_code == 200
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.CONFIRMED
    assert "has been withdrawn" in submit(client, withdraw).text
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.WITHDRAWN
    assert statement.id is not None


def _statements_of(client: TestClient, db: Session, slug: str, values: dict[str, str]) -> Any:
    """Sign, recording every SQL statement the request sent (their text, not values)."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", args[2]))  # the test's nesting

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        response = _sign(client, slug, values)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return response, sent


def _counts(db: Session) -> dict[str, int]:
    return {
        table: db.exec(select(func.count()).select_from(model)).one()
        for table, model in (
            ("outbox", OutboxMessage),
            ("notices", SigningNotice),
            ("signatures", Signature),
        )
    }


def test_signing_again_looks_exactly_the_same(client: TestClient, db: Session) -> None:
    """Same response, same SQL, same kind of writes: neither the page nor its timing
    says whether the address had signed."""
    open_statement(db, owner=make_user(db), slug="hrc58")
    before = _counts(db)
    first, first_sql = _statements_of(client, db, "hrc58", individual())
    after_first = _counts(db)
    again, again_sql = _statements_of(
        client, db, "hrc58", individual(email="JeongSam+again@Example.org", name="K J-S")
    )
    after_again = _counts(db)
    assert (first.status_code, first.headers["location"], first.text) == (
        again.status_code,
        again.headers["location"],
        again.text,
    )
    assert first_sql == again_sql
    assert any("INSERT INTO signature " in sql for sql in first_sql)
    assert any("INSERT INTO signing_notice" in sql for sql in first_sql)
    # Each request writes one notice and no email; only the first adds a signature.
    assert after_first == before | {"notices": 1, "signatures": 1}
    assert after_again == after_first | {"notices": 2}
    assert after_again["outbox"] == 0

    assert run_signing_worker(db) == 2
    (confirm,) = _mail(db, "signature_confirm")
    (repeat,) = _mail(db, "signature_repeat")
    assert confirm.to_address == repeat.to_address == "jeongsam@example.org"
    # Still pending: the repeat notice brings the confirmation link again.
    assert "not confirmed yet" in repeat.text_body
    assert _link(repeat, "confirm")
    assert "Hello Kim Jeong-sam," in repeat.text_body


def test_the_repeat_notice_never_carries_the_new_submissions_name(
    client: TestClient, db: Session
) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58", moderation="auto_all")
    _sign(client, "hrc58", individual())
    submit(client, _link(_mail(db, "signature_confirm")[0], "confirm"))
    lure = "Call +1-555-0100 to restore your account"
    assert _sign(client, "hrc58", individual(name=lure, note=lure)).status_code == 303
    (repeat,) = _mail(db, "signature_repeat")
    assert repeat.to_name == "Kim Jeong-sam"
    assert "Hello Kim Jeong-sam," in repeat.text_body
    assert "this attempt changed nothing" in repeat.text_body
    assert "/confirm/" not in repeat.text_body  # confirmed already: nothing to confirm
    everything = db.exec(select(OutboxMessage)).all()
    assert not any(
        "555-0100" in f"{m.to_name} {m.subject} {m.text_body} {m.html_body}" for m in everything
    )
    assert "555-0100" not in db.exec(select(Signature)).one().name


def test_repeat_notices_are_capped(client: TestClient, db: Session) -> None:
    """Fifty attempts within the confirmation window: the confirmation and one repeat
    notice reach the mailbox, however the worker's rounds fall between them."""
    open_statement(db, owner=make_user(db), slug="hrc58")
    for attempt in range(50):
        assert _sign(client, "hrc58", individual()).status_code == 303
        if attempt % 7 == 0:
            run_signing_worker(db)
    run_signing_worker(db)
    to_them = [m.kind for m in mail_to(db, "jeongsam@example.org")]
    assert sorted(to_them) == ["signature_confirm", "signature_repeat"]
    assert db.exec(select(SigningNotice).where(SigningNotice.status == "queued")).all() == []

    # Once the window is over, a repeat is told again (a confirmation link does expire).
    later = utcnow() + timedelta(days=8)
    _sign(client, "hrc58", individual())
    notices.write_notices(db, now=later)
    assert len(_mail(db, "signature_repeat")) == 2


def test_a_withdrawn_signer_can_sign_again(client: TestClient, db: Session) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58", moderation="auto_all")
    _sign(client, "hrc58", individual(note="first note"))
    old_confirm = _link(_mail(db, "signature_confirm")[0], "confirm")
    submit(client, old_confirm)
    old_withdraw = _link(_mail(db, "signature_confirmed")[0], "withdraw")
    assert "has been withdrawn" in submit(client, old_withdraw).text
    # The old link now says the truth: nothing to confirm, and how to sign again.
    page = client.get(old_confirm).text
    assert "this link confirms nothing" in page and "a new link to confirm" in page

    assert _sign(client, "hrc58", individual(note="second note")).status_code == 303
    signature = db.exec(select(Signature)).one()
    assert (signature.status, signature.note, signature.confirmed_at, signature.decided_at) == (
        SignatureStatus.PENDING,
        "second note",
        None,
        None,
    )
    assert signature.withdrawn_at is not None  # it happened, and the record keeps it
    confirmations = _mail(db, "signature_confirm")
    assert len(confirmations) == 2
    new_confirm = _link(confirmations[1], "confirm")
    assert "You withdrew an earlier signature" in confirmations[1].text_body
    assert "nothing has changed" not in confirmations[1].text_body
    assert _mail(db, "signature_repeat") == []
    # The old links belonged to the old signature.
    assert client.get(old_confirm).status_code == 404
    assert client.get(old_withdraw).status_code == 404

    assert "Your signature is confirmed" in submit(client, new_confirm).text
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.APPROVED
    statement = db.get(Statement, signature.statement_id)
    assert statement is not None
    listed = lists.public_list(db, statement=statement)
    assert [e.name for g in listed.groups for e in g.entries] == ["Kim Jeong-sam"]
    assert "Kim Jeong-sam" in client.get("/s/hrc58").text
    actions = db.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions[-2:] == ["signature withdrawn", "signature submitted again after withdrawal"]


def test_a_notice_for_a_signature_withdrawn_meanwhile_sends_nothing(
    client: TestClient, db: Session
) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58", moderation="auto_all")
    _sign(client, "hrc58", individual())
    submit(client, _link(_mail(db, "signature_confirm")[0], "confirm"))
    withdraw = _link(_mail(db, "signature_confirmed")[0], "withdraw")
    _sign(client, "hrc58", individual())  # queued, not yet handled
    submit(client, withdraw)
    run_signing_worker(db)
    assert _mail(db, "signature_repeat") == []
    assert len(_mail(db, "signature_confirm")) == 1


def test_organisation_signs_and_auto_approval_follows_policy(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58", moderation="auto_individuals")
    _sign(client, "hrc58", organisation())
    _sign(client, "hrc58", individual())
    org_link, person_link = (_link(m, "confirm") for m in _mail(db, "signature_confirm"))
    submit(client, org_link)
    submit(client, person_link)
    by_kind = {s.kind: s.status for s in db.exec(select(Signature))}
    assert by_kind == {
        "organisation": SignatureStatus.CONFIRMED,
        "individual": SignatureStatus.APPROVED,
    }


def test_anonymous_signer_appears_only_as_the_label(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58", moderation="auto_all")
    _sign(client, "hrc58", individual(name="Secret Person", listing="anonymous", note="escapee"))
    _sign(
        client,
        "hrc58",
        organisation(
            organisation="Hidden Group",
            acronym="HG",
            website="",
            listing="anonymous",
            country="KR",
            email="a@hidden.example",
        ),
    )
    _sign(
        client,
        "hrc58",
        individual(name="Only Counted", listing="counted", email="counted@example.org"),
    )
    for message in _mail(db, "signature_confirm"):
        submit(client, _link(message, "confirm"))
    page = client.get("/s/hrc58").text
    assert "Secret Person" not in page and "escapee" not in page
    assert "Hidden Group" not in page and "HG" not in page
    assert "Only Counted" not in page
    assert "An individual" in page
    assert "An organisation" in page and "South Korea" not in page
    assert "1 organisation" in page and "2 individuals" in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (individual(email="not-an-email"), "email", "valid email"),
        (individual(country="XX"), "country", "Choose a country"),
        (individual(name="x" * 5000), "name", "under 200"),
        (individual(consent_privacy=""), "consent_privacy", "privacy notice"),
        (organisation(authorised=""), "authorised", "authorised"),
        (organisation(organisation=""), "organisation", "required"),
        (individual(kind="robot"), "kind", "Choose whether"),
    ],
)
def test_bad_input_gets_the_form_again_with_the_error(
    client: TestClient, db: Session, values: dict[str, str], field: str, message: str
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    response = _sign(client, "hrc58", values)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="f-{field}"' in response.text
    assert db.exec(select(Signature)).first() is None
    assert db.exec(select(OutboxMessage)).first() is None


def test_names_are_normalised_and_inert(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58", moderation="auto_all")
    _sign(
        client,
        "hrc58",
        individual(
            name="<script>alert(1)</script>\r\nBcc: x@evil.example\u202egnp.exe\u200b Lee",
            note="\u200fsister\u200e of a detainee",
        ),
    )
    signature = db.exec(select(Signature)).one()
    assert "\r" not in signature.name and "\n" not in signature.name
    assert "\u202e" not in signature.name and "\u200b" not in signature.name
    assert signature.note == "sister of a detainee"
    submit(client, _link(_mail(db, "signature_confirm")[0], "confirm"))
    page = client.get("/s/hrc58").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_closed_and_draft_statements_refuse_signatures(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    from tests.factories import make_statement

    make_statement(db, owner=owner, slug="still-a-draft")
    assert client.get("/s/still-a-draft/sign").status_code == 404
    statement = open_statement(db, owner=owner, slug="closing")
    statement.deadline_at = utcnow() - timedelta(seconds=1)
    page = client.get("/s/closing/sign")
    assert "Signatures are closed" in page.text
    response = _sign(client, "closing", individual()) if "csrf_token" in page.text else None
    if response is None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        response = client.post(
            "/s/closing/sign", data={**individual(), "csrf_token": token.group(1)}
        )
    assert response.status_code == 409
    assert db.exec(select(Signature)).first() is None


@pytest.mark.parametrize("grace", [60, 30])
def test_confirmation_after_the_deadline_only_within_the_grace_setting(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch, grace: int
) -> None:
    monkeypatch.setattr(get_settings(), "confirm_grace_minutes", grace)
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    for email in ("early@example.org", "late@example.org", "after@example.org"):
        _sign(client, "hrc58", individual(email=email))
    early, late, after = (_link(m, "confirm") for m in _mail(db, "signature_confirm"))
    deadline = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    statement.deadline_at = deadline
    db.flush()
    last = deadline + timedelta(minutes=grace)
    assert lifecycle.confirm_by(statement) == last

    def confirm(link: str, when: timedelta) -> Signature:
        token = link.split("/confirm/")[1]
        return lifecycle.confirm(db, token=token, now=last + when).signature

    # Submitted before the deadline: confirmed a second before the grace ends, counted…
    assert confirm(early, -timedelta(seconds=1)).status == SignatureStatus.CONFIRMED
    # …and at or after its end, refused.
    with pytest.raises(Conflict, match="closed"):
        confirm(late, timedelta(0))
    with pytest.raises(Conflict, match="closed"):
        confirm(late, timedelta(seconds=1))
    # Submitted after the deadline (a race at the deadline): refused even within the grace.
    late_signature = signature_with_email(db, "after@example.org")
    late_signature.submitted_at = deadline + timedelta(seconds=1)
    db.flush()
    with pytest.raises(Conflict, match="closed"):
        confirm(after, -timedelta(minutes=grace))
    pending = db.exec(select(Signature).where(Signature.status == SignatureStatus.PENDING)).all()
    assert len(pending) == 2


def test_the_confirmation_email_and_page_state_the_rule(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "confirm_grace_minutes", 90)
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    statement.deadline_at = datetime(2099, 3, 21, 12, 0, tzinfo=UTC)
    statement.deadline_zone = "Europe/Zurich"
    db.flush()
    monkeypatch.setattr(get_settings(), "signature_confirm_days", 365 * 100)
    _sign(client, "hrc58", individual())
    [message] = _mail(db, "signature_confirm")
    # 12:00 UTC is 13:00 in Zurich; the 90-minute grace ends at 14:30 there.
    for body in (message.text_body, message.html_body):
        assert "confirm by 21 March 2099, 14:30 Zurich time (CET)" in body
        assert "close on 21 March 2099, 13:00 Zurich time (CET)" in body
        assert "Signatures confirmed later are not counted." in body
    page = client.get(_link(message, "confirm")).text
    assert "Confirm by" in page and "14:30 Zurich time (CET)" in page
    assert "signatures confirmed later are not counted" in page


def test_a_link_expiring_before_the_deadline_is_the_date_stated(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "signature_confirm_days", 3)
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    statement.deadline_at = utcnow() + timedelta(days=30)
    db.flush()
    _sign(client, "hrc58", individual())
    signature = db.exec(select(Signature)).one()
    until = lifecycle.confirm_until(statement, signature)
    assert until == signature.submitted_at + timedelta(days=3)
    assert until < lifecycle.confirm_by(statement)


def test_suspicious_signatures_are_held_not_refused(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58", moderation="auto_all")
    page = client.get("/s/hrc58/sign")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/s/hrc58/sign",
        data={
            **individual(email="bot@mailinator.com"),
            "csrf_token": token.group(1),
            "homepage": "http://spam.example",
            "form_token": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303  # the bot sees what everyone sees
    signature = db.exec(select(Signature)).one()
    assert {Flag.HONEYPOT, Flag.DISPOSABLE_EMAIL} <= signature.flag_set()
    submit(client, _link(_mail(db, "signature_confirm")[0], "confirm"))
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.CONFIRMED  # held for a lead despite auto_all
    statement = db.exec(select(Statement)).one()
    assert lists.public_list(db, statement=statement).counts.total == 0


def _same_bytes_spellings(token: str) -> list[str]:
    """Other spellings of `token` whose last base64 character carries the same bits (the
    spare bits differ), so they decode to the very same signature."""
    head, last = token[:-1], token[-1]
    signature = token.rsplit(".", 1)[1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return [
        head + c
        for c in alphabet
        if c != last and base64_decode(signature[:-1] + c) == base64_decode(signature)
    ]


def test_only_the_link_as_sent_confirms(client: TestClient, db: Session) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58")
    assert _sign(client, "hrc58", individual()).status_code == 303
    link = _link(_mail(db, "signature_confirm")[0], "confirm")
    prefix, token = link.rsplit("/", 1)
    variants = _same_bytes_spellings(token)
    assert variants, "the signature's last character has spare bits"
    csrf = csrf_from(client.get(link).text)
    for variant in variants:
        url = f"{prefix}/{variant}"
        assert 400 <= client.get(url).status_code < 500, variant
        refused = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
        assert 400 <= refused.status_code < 500, variant
    signature = db.exec(select(Signature)).one()
    assert status_of(signature) == SignatureStatus.PENDING
    assert "Your signature is confirmed" in submit(client, link).text
