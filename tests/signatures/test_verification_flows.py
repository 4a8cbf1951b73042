"""Verification as people meet it: "was this you?" and "this wasn't us", a second person,
the minimum level and the public mark, the team export and the API."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.audit.models import AuditEvent
from app.lists import service as lists
from app.lists.exports import team
from app.lists.renderers import csvs
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.models import Signature, SignatureStatus
from app.signatures.verification import answers, checks
from app.signatures.verification import service as verification
from app.signatures.verification.models import Level, OrgVerification
from app.statements.models import Statement
from tests.factories import PASSWORD, approve_signers, make_user, open_statement, organisation
from tests.helpers import run_signing_worker, sign_in, submit
from tests.verification_servers import Zone


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    return list(
        db.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        )
    )


def _link(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://testserver(/{path}/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def status_of(signature: Signature) -> SignatureStatus:
    """Read again: mypy keeps the status narrowed across db.refresh()."""
    return signature.status


def _sign_and_confirm(client: TestClient, db: Session, slug: str, **values: str) -> Signature:
    response = submit(client, f"/s/{slug}/sign", **organisation(**values))
    assert response.status_code == 303, response.text
    run_signing_worker(db)
    confirmed = submit(client, _link(_mail(db, "signature_confirm")[-1], "confirm"))
    assert confirmed.status_code == 200
    return db.exec(select(Signature).order_by(col(Signature.id).desc())).first()  # type: ignore[return-value]


def test_the_known_address_is_asked_and_can_hold_the_signature(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    earlier = open_statement(db, owner=owner, slug="hrc57", title="Earlier statement")
    approve_signers(db, earlier, [organisation(email="director@tjwg.org")])
    statement = open_statement(db, owner=owner, slug="hrc58")
    signature = _sign_and_confirm(
        client, db, "hrc58", email="someone@tjwg-org.net", name="Im Poster", website=""
    )
    lifecycle.approve(db, statement=statement, signature=signature, actor=owner)
    verification.prepare(db)

    [notice] = _mail(db, "verification_known")
    assert notice.to_address == "director@tjwg.org"  # the known address, not the one typed
    assert "Im Poster" in notice.text_body and "someone@" not in notice.text_body
    listed = lists.public_list(db, statement=statement)
    assert listed.groups[0].entries[0].name == "Transitional Justice Working Group"

    link = _link(notice, "not-us")
    page = client.get(link)
    assert page.status_code == 200 and "This wasn't us" in html.unescape(page.text)
    assert page.headers["cache-control"] == "no-store"
    db.refresh(signature)
    assert signature.status == SignatureStatus.APPROVED  # opening the link changes nothing

    held = submit(client, link)
    assert held.status_code == 200 and "the signature is held" in held.text
    db.refresh(signature)
    assert status_of(signature) == SignatureStatus.CONFIRMED
    row = db.get(OrgVerification, signature.id)
    assert row is not None and row.disputed_at is not None
    assert lists.public_list(db, statement=statement).counts.total == 0
    [lead_mail] = _mail(db, "verification_disputed")
    assert lead_mail.to_address == owner.email
    assert f"/statements/hrc58/signatures/{signature.id}/verification" in lead_mail.text_body
    assert db.exec(
        select(AuditEvent).where(AuditEvent.action == "signature disputed: this wasn't us")
    ).one()
    assert "the signature is held" in client.get(link).text  # no button a second time
    answers.dispute(db, token=link.rsplit("/", 1)[1])  # pressed twice: nothing more
    assert len(_mail(db, "verification_disputed")) == 1
    assert client.get(link[:-3] + "abc").status_code == 404


def test_signing_waits_for_no_check(client: TestClient, db: Session, zone: Zone) -> None:
    """The sign request and confirmation touch no DNS server or website: only the worker
    does, later."""
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    _sign_and_confirm(client, db, "hrc58")
    assert zone.asked == []
    assert db.exec(select(OrgVerification)).all() == []
    verification.prepare(db)
    checks.check_due(db)
    assert ("_dmarc.tjwg.org", "TXT") in zone.asked


def test_nobody_is_asked_without_an_earlier_signature_of_the_team(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    other = make_user(db, email="other@example.org", name="Other team")
    elsewhere = open_statement(db, owner=other, slug="other-team")
    approve_signers(db, elsewhere, [organisation(email="director@tjwg.org")])
    mine = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(db, mine, [organisation(email="staff@tjwg.org")])
    # The same address as before: it is not told about itself.
    later = open_statement(db, owner=owner, slug="hrc59")
    _sign_and_confirm(client, db, "hrc59", email="staff@tjwg.org")
    verification.prepare(db)
    assert _mail(db, "verification_known") == []
    assert later.id is not None
    assert all(row.known_notice_done for row in db.exec(select(OrgVerification)))


def test_a_second_person_on_the_domain_confirms(
    client: TestClient, db: Session, zone: Zone
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(db, statement, [organisation(email="director@tjwg.org")])
    verification.prepare(db)
    signature = db.exec(select(Signature)).one()
    sign_in(client, owner.email, PASSWORD)
    page_url = f"/statements/hrc58/signatures/{signature.id}/verification"
    page = client.get(page_url)
    assert page.status_code == 200
    row = db.get(OrgVerification, signature.id)
    assert row is not None and checks.TXT_PREFIX + row.code in page.text

    for address in ("friend@webmail.example", "director@tjwg.org", "not an address"):
        refused = submit(client, page_url, step="second", address=address)
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text
    assert _mail(db, "verification_second") == []

    asked = submit(client, page_url, step="second", address="board@tjwg.org")
    assert asked.status_code == 303
    [message] = _mail(db, "verification_second")
    assert message.to_address == "board@tjwg.org"
    link = _link(message, "second-person")
    client.cookies.clear()
    assert "Yes, my organisation signed" in client.get(link).text
    assert submit(client, link).status_code == 200
    db.refresh(row)
    assert row.level == Level.SECOND_PERSON and row.second_confirmed_at is not None
    assert client.get(link).status_code == 404  # single use
    # A later check keeps what the second person proved.
    zone.txt("_dmarc.tjwg.org", "v=DMARC1; p=none")
    row.check_due_at = row.created_at
    checks.check_due(db)
    db.refresh(row)
    assert row.level == Level.SECOND_PERSON


def _two_organisations(db: Session, zone: Zone) -> tuple[Statement, Signature, Signature]:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(
        db,
        statement,
        [
            organisation(email="director@tjwg.org"),
            organisation(
                organisation="Citizens' Alliance for North Korean Human Rights",
                acronym="NKHR",
                website="https://nkhr.org",
                email="info@nkhr.org",
            ),
        ],
    )
    verification.prepare(db)
    first, _second = db.exec(select(OrgVerification).order_by(col(OrgVerification.signature_id)))
    zone.txt("tjwg.org", checks.TXT_PREFIX + first.code)
    checks.check_due(db)
    tjwg, nkhr = db.exec(select(Signature).order_by(col(Signature.id)))
    return statement, tjwg, nkhr


def test_the_minimum_level_holds_the_rest_and_the_mark_is_the_leads_choice(
    client: TestClient, db: Session, zone: Zone
) -> None:
    statement, tjwg, nkhr = _two_organisations(db, zone)
    owner_email = "lead@example.org"
    public = client.get("/s/hrc58")
    assert "Transitional Justice" in public.text and "NKHR" in public.text
    assert "✓" not in public.text  # no mark until the lead chooses it, nor its explanation

    sign_in(client, owner_email, PASSWORD)
    assert submit(client, "/statements/hrc58/verification", min_level="nonsense").status_code == 422
    saved = submit(client, "/statements/hrc58/verification", min_level="mailbox", show_mark="true")
    assert saved.status_code == 303
    assert db.exec(
        select(AuditEvent).where(AuditEvent.action == "verification policy changed")
    ).one()
    public = client.get("/s/hrc58")
    assert "Transitional Justice Working Group (TJWG) ✓" in public.text
    assert "The organisation proved it signed" in public.text  # what the mark means
    assert "NKHR" not in public.text
    for fmt in ("txt", "md"):
        document = client.get(f"/s/hrc58/signatories.{fmt}").text
        assert "Transitional Justice Working Group (TJWG) ✓" in document
        assert "NKHR" not in document
    pdf = client.get("/s/hrc58/signatories.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    moderation = client.get(f"/statements/hrc58/signatures/{nkhr.id}/verification")
    assert "below the statement's minimum verification level" in html.unescape(moderation.text)
    assert "Verification: Declared" in client.get("/statements/hrc58/signatures").text

    rows = list(team.team_rows(db, statement=statement))
    assert csvs.team_header()[-1] == "Verification"
    assert [csvs.team_record(r, "yes", "no")[-1] for r in rows] == ["Domain control", "Declared"]

    lead = db.exec(select(User)).one()
    _token, raw = api_tokens.create_token(db, user=lead, name="tests", scopes=ALL_SCOPES)
    api = client.get(
        "/api/v1/statements/hrc58/signatures", headers={"Authorization": f"Bearer {raw}"}
    )
    assert api.status_code == 200
    levels = {item["id"]: item["verification"]["level"] for item in api.json()["items"]}
    assert levels == {tjwg.id: "domain_control", nkhr.id: "declared"}


def test_a_signature_the_worker_has_not_seen_shows_not_checked(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(db, statement, [organisation()])
    signature = db.exec(select(Signature)).one()
    sign_in(client, owner.email, PASSWORD)
    url = f"/statements/hrc58/signatures/{signature.id}/verification"
    assert "Not checked yet" in client.get(url).text
    assert submit(client, url, step="check").status_code == 409
