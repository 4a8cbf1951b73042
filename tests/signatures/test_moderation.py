"""The team's signature pages: states and filters, decisions one by one and in bulk,
display corrections, signatures added by hand, and who may see or change what."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.core.errors import FieldErrors
from app.mail.models import OutboxMessage
from app.signatures import public
from app.signatures.forms import SignInput
from app.signatures.models import (
    Listing,
    Signature,
    SignatureNote,
    SignatureStatus,
    SignerKind,
    Source,
)
from app.signatures.moderation import service as moderation
from app.signatures.moderation.manual import service as manual
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus, TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, make_statement, make_user
from tests.helpers import sign_in, submit

_serial = itertools.count(1)


def make_signature(
    db: Session,
    statement: Statement,
    *,
    name: str = "Kim Jeong-sam",
    status: SignatureStatus = SignatureStatus.CONFIRMED,
    kind: SignerKind = SignerKind.INDIVIDUAL,
    listing: Listing = Listing.NAMED,
    organisation: str = "",
    acronym: str = "",
    email: str = "",
    flags: str = "",
    minutes_ago: int = 0,
) -> Signature:
    """A signature row as the sign form leaves it, in whatever state a test needs."""
    n = next(_serial)
    email = email or f"signer{n}@example.org"
    submitted = utcnow() - timedelta(minutes=minutes_ago)
    signature = Signature(
        statement_id=statement.id or 0,
        kind=kind,
        status=status,
        listing=listing,
        name=name,
        email=email,
        email_key=email,
        country="KR",
        organisation=organisation,
        acronym=acronym,
        authorised=kind == SignerKind.ORGANISATION,
        flags=flags,
        nonce=f"nonce{n}",
        submitted_at=submitted,
        confirmed_at=None if status == SignatureStatus.PENDING else submitted,
        withdrawn_at=submitted if status == SignatureStatus.WITHDRAWN else None,
    )
    db.add(signature)
    db.flush()
    return signature


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db, email="lead@example.org", name="Lead")


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    created = make_statement(db, owner=lead, slug="hrc58")
    statements.open_statement(db, statement=created, actor=lead)
    return created


@pytest.fixture
def signed_in(client: TestClient, lead: User) -> TestClient:
    sign_in(client, lead.email, PASSWORD)
    return client


URL = "/statements/hrc58/signatures"


def test_tabs_count_each_state(signed_in: TestClient, db: Session, statement: Statement) -> None:
    for status in SignatureStatus:
        make_signature(db, statement, status=status)
    make_signature(db, statement, status=SignatureStatus.CONFIRMED)
    counts = moderation.counts_by_status(db, statement=statement)
    assert counts[SignatureStatus.CONFIRMED] == 2 and counts[SignatureStatus.WITHDRAWN] == 1
    page = signed_in.get(URL)
    assert page.status_code == 200
    for text in (
        "All (6)",
        "Awaiting confirmation (1)",
        "Confirmed, awaiting decision (2)",
        "Approved (1)",
        "Rejected (1)",
        "Withdrawn (1)",
    ):
        assert text in page.text
    tab = signed_in.get(f"{URL}?status=withdrawn")
    assert 'href="/statements/hrc58/signatures?status=withdrawn" aria-current="page"' in tab.text
    assert "6 signatures match" not in tab.text and "1 signature matches" in tab.text


def test_search_finds_by_organisation_and_by_email(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    make_signature(
        db,
        statement,
        kind=SignerKind.ORGANISATION,
        name="Hubert Lee",
        organisation="Transitional Justice Working Group",
        acronym="TJWG",
    )
    make_signature(db, statement, name="Park Min-ji", email="minji@nkdb.example")
    make_signature(db, statement, name="100% sure")
    rows, total = moderation.list_signatures(db, statement=statement, query="justice working")
    assert total == 1 and rows[0].acronym == "TJWG"
    rows, total = moderation.list_signatures(db, statement=statement, query="NKDB.example")
    assert total == 1 and rows[0].name == "Park Min-ji"
    # A % in the search is a percent sign, not a wildcard.
    assert moderation.list_signatures(db, statement=statement, query="0%")[1] == 1
    page = signed_in.get(URL, params={"q": "minji@"})
    assert "Park Min-ji" in page.text and "Hubert Lee" not in page.text


def test_flags_are_shown_with_their_labels_and_can_be_filtered(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    make_signature(db, statement, name="Quick Bot", flags="domain_mismatch,honeypot,too_fast")
    make_signature(db, statement, name="Calm Person")
    page = signed_in.get(URL)
    for label in ("Email domain differs from the website", "Honeypot filled in", "Sent too fast"):
        assert label in page.text
    flagged = signed_in.get(URL, params={"flagged": "1"})
    assert "Quick Bot" in flagged.text and "Calm Person" not in flagged.text


def test_approve_one_and_reject_one(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    first = make_signature(db, statement, name="First Signer")
    second = make_signature(db, statement, name="Second Signer")
    approved = submit(signed_in, URL, action=f"{URL}/{first.id}/approve", back=f"{URL}?q=x")
    assert approved.status_code == 303 and approved.headers["location"] == f"{URL}?q=x"
    rejected = submit(
        signed_in, URL, action=f"{URL}/{second.id}/reject", back="https://evil.example"
    )
    assert rejected.headers["location"] == f"{URL}/{second.id}"  # never an open redirect
    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (SignatureStatus.APPROVED, SignatureStatus.REJECTED)
    actions = db.exec(select(AuditEvent.action)).all()
    assert "signature approved" in actions and "signature rejected" in actions


def test_bulk_approve_skips_those_that_cannot_be_decided(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    ready = [make_signature(db, statement) for _ in range(2)]
    pending = make_signature(db, statement, status=SignatureStatus.PENDING)
    withdrawn = make_signature(db, statement, status=SignatureStatus.WITHDRAWN)
    ids = [s.id for s in [*ready, pending, withdrawn]]
    junk = ["abc", "99999999999"]  # never a 500
    response = submit(signed_in, URL, action=f"{URL}/bulk", ids=[*ids, *junk], decision="approve")
    assert response.status_code == 303
    page = signed_in.get(response.headers["location"])
    assert "2 signatures approved. 4 skipped" in page.text
    for signature in [*ready, pending, withdrawn]:
        db.refresh(signature)
    assert [s.status for s in ready] == [SignatureStatus.APPROVED] * 2
    assert pending.status == SignatureStatus.PENDING
    assert withdrawn.status == SignatureStatus.WITHDRAWN


def test_bulk_without_a_selection_says_so(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    make_signature(db, statement)
    response = submit(signed_in, URL, action=f"{URL}/bulk", decision="approve")
    assert response.status_code == 400
    assert "Select at least one signature" in response.text


def test_display_correction_keeps_the_original(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    signature = make_signature(
        db,
        statement,
        kind=SignerKind.ORGANISATION,
        name="Hubert Lee",
        organisation="TRANSITIONAL JUSTICE WORKING GROUP",
        acronym="tjwg",
    )
    page = f"{URL}/{signature.id}"
    response = submit(
        signed_in,
        page,
        form_name="display",
        display_name="Transitional Justice Working Group",
        display_acronym="TJWG",
    )
    assert response.status_code == 303
    db.refresh(signature)
    assert public.public_name(signature) == "Transitional Justice Working Group (TJWG)"
    assert (signature.organisation, signature.acronym) == (
        "TRANSITIONAL JUSTICE WORKING GROUP",
        "tjwg",
    )
    detail = signed_in.get(page).text
    assert "As typed: TRANSITIONAL JUSTICE WORKING GROUP" in detail
    # Empty fields go back to what they typed.
    submit(signed_in, page, form_name="display", display_name="", display_acronym="")
    db.refresh(signature)
    assert (signature.display_name, signature.display_acronym) == (None, None)
    assert public.public_name(signature) == "TRANSITIONAL JUSTICE WORKING GROUP (tjwg)"


def test_add_by_hand_is_approved_with_its_note_and_sends_no_email(
    signed_in: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    statements.close_statement(db, statement=statement, actor=lead)  # still allowed
    values = {
        "kind": "individual",
        "name": "Choi Seon-hee",
        "note": "mother of a detainee",
        "country": "KR",
        "email": "seonhee@example.org",
        "listing": "anonymous",
        "approve": "true",
        "source_note": "Email to coord@example.org on 3 March",
    }
    response = submit(signed_in, f"{URL}/new", **values)
    assert response.status_code == 303, response.text
    signature = db.exec(select(Signature)).one()
    assert (signature.status, signature.source) == (SignatureStatus.APPROVED, Source.MANUAL)
    assert signature.decided_by_id == lead.id
    note = db.exec(select(SignatureNote)).one()
    assert note.body == "Email to coord@example.org on 3 March"
    assert db.exec(select(OutboxMessage)).all() == []
    detail = signed_in.get(response.headers["location"]).text
    assert "Added by the team" in detail and "Email to coord@example.org on 3 March" in detail

    again = submit(signed_in, f"{URL}/new", **values)
    assert again.status_code == 422
    assert "An individual with this email address has already signed." in again.text


def test_add_by_hand_needs_a_source_note(db: Session, lead: User, statement: Statement) -> None:
    data = SignInput(kind="individual", name="Someone", email="someone@example.org")
    with pytest.raises(FieldErrors) as caught:
        manual.add_by_hand(db, statement=statement, actor=lead, data=data, source_note=" ")
    assert set(caught.value.errors) == {"source_note"}


def test_viewer_sees_the_list_but_cannot_decide(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    make_user(db, email="viewer@example.org", name="Viewer")
    team.add_member(
        db, statement=statement, actor=lead, email="viewer@example.org", role=TeamRole.VIEWER
    )
    signature = make_signature(db, statement, name="Kim Jeong-sam")
    sign_in(client, "viewer@example.org", PASSWORD)
    page = client.get(URL)
    assert page.status_code == 200 and "Kim Jeong-sam" in page.text
    assert 'action="/statements/hrc58/signatures/bulk"' not in page.text
    assert client.get(f"{URL}/{signature.id}").status_code == 200
    assert client.get(f"{URL}/new").status_code == 403
    assert submit(client, URL, action=f"{URL}/{signature.id}/approve").status_code == 403
    assert submit(client, URL, action=f"{URL}/bulk", ids=[signature.id]).status_code == 403
    db.refresh(signature)
    assert signature.status == SignatureStatus.CONFIRMED


def test_another_team_and_bad_ids_get_404(
    client: TestClient, db: Session, statement: Statement
) -> None:
    signature = make_signature(db, statement)
    outsider = make_user(db, email="other@two.example", name="Other")
    theirs = make_statement(db, owner=outsider, slug="theirs")
    sign_in(client, "other@two.example", PASSWORD)
    for path in ("", "/new", f"/{signature.id}"):
        assert client.get(f"{URL}{path}").status_code == 404, path
    assert (
        submit(
            client, URL.replace("hrc58", "theirs"), action=f"{URL}/{signature.id}/approve"
        ).status_code
        == 404
    )
    # Their own statement does not reach another statement's signature either.
    own = f"/statements/{theirs.slug}/signatures"
    for path in (f"/{signature.id}", "/abc", "/99999999"):
        assert client.get(f"{own}{path}").status_code == 404, path
    assert submit(client, own, action=f"{own}/{signature.id}/approve").status_code == 404


def test_anonymous_signers_show_a_clear_badge_to_the_team(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    make_signature(db, statement, name="Escaped Person", listing=Listing.ANONYMOUS)
    make_signature(db, statement, name="Counted Person", listing=Listing.COUNTED)
    page = signed_in.get(URL).text
    assert "Escaped Person" in page and "Anonymous: never named in public" in page
    assert "Counted only: never listed in public" in page
    assert "An individual" in page  # what the public sees instead
    assert 'aria-label="Approve Escaped Person"' in page
    assert "Select Escaped Person" in page
    rows = db.exec(select(Signature).order_by(col(Signature.id))).all()
    assert [public.public_name(s) for s in rows] == ["An individual", ""]


def test_a_final_statement_cannot_change_but_can_be_read(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    signature = make_signature(db, statement, kind=SignerKind.ORGANISATION, organisation="NKDB")
    statement.status = StatementStatus.FINAL
    db.flush()
    page = signed_in.get(URL)
    assert "NKDB" in page.text and 'form="bulk"' not in page.text
    refused = submit(signed_in, URL, action=f"{URL}/bulk", ids=[signature.id], decision="reject")
    assert refused.status_code == 409 and "final" in refused.text
    detail = f"{URL}/{signature.id}"
    response = submit(signed_in, detail, form_name="display", display_name="N.K.D.B.")
    assert response.status_code == 409
    db.refresh(signature)
    assert (signature.status, signature.display_name) == (SignatureStatus.CONFIRMED, None)


def test_detail_page_shows_field_errors_and_unknown_ids_are_404(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    signature = make_signature(db, statement)
    detail = f"{URL}/{signature.id}"
    response = submit(signed_in, detail, form_name="display", display_name="x" * 301)
    assert response.status_code == 422 and "under 300 characters" in response.text
    assert submit(signed_in, detail, form_name="note", body="  ").status_code == 422
    assert submit(signed_in, detail, form_name="note", body="Called them.").status_code == 303
    assert "Called them." in signed_in.get(detail).text
    for path in ("/abc", "/99999999999999999999", "/0/approve"):
        assert signed_in.get(f"{URL}{path}").status_code in (404, 405), path
    assert signed_in.get(f"{URL}/99999999999999999999").status_code == 404
