"""Changing a signature after it is confirmed: the signer, through the link in their
emails, with every change re-confirmed by a single-use emailed link, the replaced values
kept, audited and told to the leads; and the team's corrections of every shown detail,
the original kept."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.lists import service as lists
from app.mail.models import OutboxMessage
from app.signatures import public
from app.signatures.digests import service as digests
from app.signatures.editing.models import SignatureChange
from app.signatures.models import Listing, Signature, SignatureStatus
from app.statements.models import Statement, StatementStatus
from tests.factories import PASSWORD, individual, make_user, open_statement, organisation
from tests.helpers import csrf_from, run_signing_worker, sign_in, signature_with_email, submit


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)
    return list(
        db.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        )
    )


def _link(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://testserver(/{path}/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    return open_statement(db, owner=lead, slug="hrc58", moderation="auto_all")


def _signed_and_confirmed(client: TestClient, db: Session, values: dict[str, str]) -> Signature:
    assert submit(client, "/s/hrc58/sign", **values).status_code == 303
    confirm = _link(_mail(db, "signature_confirm")[-1], "confirm")
    assert submit(client, confirm).status_code == 200
    return signature_with_email(db, values["email"])


def _edit_link(db: Session) -> str:
    return _link(_mail(db, "signature_confirmed")[-1], "edit")


def test_a_signer_changes_their_details_once_they_confirm_by_email(
    client: TestClient, db: Session, statement: Statement
) -> None:
    signature = _signed_and_confirmed(client, db, individual())
    assert signature.status == SignatureStatus.APPROVED
    edit = _edit_link(db)
    page = client.get(edit)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'value="Kim Jeong-sam"' in page.text
    assert 'name="email"' not in page.text  # the address is not theirs to change here

    sent = submit(
        client, edit, name="Kim Jeong-sam", note="father of a detainee", country="US",
        listing="named",
    )  # fmt: skip
    assert sent.status_code == 200
    assert "link to confirm the change" in sent.text
    db.refresh(signature)
    assert (signature.note, signature.country) == ("elder brother of a detainee", "KR")
    message = _mail(db, "signature_change")[-1]
    assert message.to_address == "jeongsam@example.org"
    assert "father of a detainee" in message.text_body and "United States" in message.text_body
    confirm = _link(message, "edit-confirm")

    # Opening the link (a mail scanner) changes nothing.
    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm the change" in page.text
    assert page.headers["cache-control"] == "no-store"
    db.refresh(signature)
    assert signature.note == "elder brother of a detainee"

    done = submit(client, confirm)
    assert done.status_code == 200 and "Your signature is changed" in done.text
    db.refresh(signature)
    assert (signature.note, signature.country) == ("father of a detainee", "US")
    assert public.public_name(signature) == "Kim Jeong-sam (father of a detainee)"
    entries = lists.public_list(db, statement=statement).entries
    assert [e.note for e in entries] == ["father of a detainee"]
    # The originals are kept with the change; the change is audited without its values.
    change = db.exec(select(SignatureChange)).one()
    assert json.loads(change.previous) == {"note": "elder brother of a detainee", "country": "KR"}
    assert json.loads(change.changes) == {"note": "father of a detainee", "country": "US"}
    event = db.exec(
        select(AuditEvent).where(AuditEvent.action == "signature details changed by the signer")
    ).one()
    assert event.detail == f"#{signature.id}: country, note"
    assert event.actor_label == "the signer"

    # Single use: the link applies nothing a second time.
    signature.note = "set since"
    db.flush()
    token = csrf_from(client.get("/login").text)  # the page offers no button any more
    again = client.post(confirm, data={"csrf_token": token})
    assert again.status_code == 200 and "Your signature is changed" in again.text
    db.refresh(signature)
    assert signature.note == "set since"

    # The leads are told in their digest.
    digest = digests.summarise(
        db, statement=statement, since=utcnow() - timedelta(hours=1), until=utcnow()
    )
    assert digest.changed == 1
    assert "1 signer changed their details" in digest.summary()


def test_the_team_sees_what_the_signer_changed(
    client: TestClient, db: Session, statement: Statement, lead: User
) -> None:
    signature = _signed_and_confirmed(client, db, organisation())
    edit = _edit_link(db)
    values = {**organisation(), "organisation": "TJWG Seoul", "listing": "anonymous"}
    assert submit(client, edit, **values).status_code == 200
    submit(client, _link(_mail(db, "signature_change")[-1], "edit-confirm"))
    db.refresh(signature)
    assert (signature.organisation, signature.listing) == ("TJWG Seoul", Listing.ANONYMOUS)
    # Anonymous now: its name and acronym are encrypted, and no look-alike key in clear
    # may point to them (as when signing anonymously).
    assert (signature.org_key, signature.acronym_key, signature.site) == ("", "", "")
    sign_in(client, lead.email, PASSWORD)
    page = client.get(f"/statements/hrc58/signatures/{signature.id}").text
    assert "Changed by the signer" in page
    assert "<del>Transitional Justice Working Group</del> → <ins>TJWG Seoul</ins>" in page


def test_a_newer_request_replaces_an_unconfirmed_one_and_bad_input_changes_nothing(
    client: TestClient, db: Session, statement: Statement
) -> None:
    _signed_and_confirmed(client, db, individual())
    edit = _edit_link(db)
    base = {"name": "Kim Jeong-sam", "note": "elder brother of a detainee", "country": "KR"}
    same = submit(client, edit, **base, listing="named")
    assert same.status_code == 422 and "Nothing has changed" in same.text
    empty = submit(client, edit, **{**base, "name": ""}, listing="named")
    assert empty.status_code == 422 and "Enter the full name." in empty.text
    too_long = submit(client, edit, **{**base, "note": "x" * 301}, listing="named")
    assert too_long.status_code == 422
    assert _mail(db, "signature_change") == []
    submit(client, edit, **{**base, "note": "first"}, listing="named")
    first = _link(_mail(db, "signature_change")[-1], "edit-confirm")
    submit(client, edit, **{**base, "note": "second"}, listing="named")
    second = _link(_mail(db, "signature_change")[-1], "edit-confirm")
    assert client.get(first).status_code == 404
    assert submit(client, second).status_code == 200
    assert db.exec(select(Signature.note)).one() == "second"


def test_edit_links_refuse_tampering_withdrawn_and_final_signatures(
    client: TestClient, db: Session, statement: Statement, lead: User
) -> None:
    _signed_and_confirmed(client, db, individual())
    edit = _edit_link(db)
    token = edit.rsplit("/", 1)[1]
    assert client.get(f"/edit/{token[:-2]}xx").status_code == 404
    assert client.get(f"/edit-confirm/{token}").status_code == 404  # another purpose
    statement.status = StatementStatus.FINAL
    db.flush()
    assert client.get(edit).status_code == 409
    statement.status = StatementStatus.OPEN
    withdraw = _link(_mail(db, "signature_confirmed")[-1], "withdraw")
    submit(client, withdraw)
    refused = client.get(edit)
    assert refused.status_code == 409
    assert "Only a confirmed signature can be changed." in refused.text


def test_the_already_signed_email_carries_the_edit_link_once_confirmed(
    client: TestClient, db: Session, statement: Statement
) -> None:
    _signed_and_confirmed(client, db, individual())
    submit(client, "/s/hrc58/sign", **individual())
    repeat = _mail(db, "signature_repeat")[-1]
    assert "/edit/" in repeat.text_body and "/edit/" in (repeat.html_body or "")


def test_a_signers_change_replaces_the_teams_correction_of_that_detail(
    client: TestClient, db: Session, statement: Statement
) -> None:
    signature = _signed_and_confirmed(client, db, individual())
    signature.display_note = "team's note"
    signature.display_name = "KIM Jeong-sam"
    db.flush()
    edit = _edit_link(db)
    submit(client, edit, name="Kim Jeong-sam", note="mine", country="KR", listing="named")
    submit(client, _link(_mail(db, "signature_change")[-1], "edit-confirm"))
    shown = db.exec(
        select(Signature.display_note, Signature.display_name).where(
            col(Signature.id) == signature.id
        )
    ).one()
    assert tuple(shown) == (None, "KIM Jeong-sam")  # the name was not theirs to change here


def test_leads_correct_title_note_and_country_keeping_the_original(
    client: TestClient, db: Session, statement: Statement, lead: User
) -> None:
    person = _signed_and_confirmed(client, db, individual())
    org = _signed_and_confirmed(client, db, organisation())
    sign_in(client, lead.email, PASSWORD)
    url = f"/statements/hrc58/signatures/{person.id}"
    response = submit(
        client, url, form_name="display", display_note="brother of a detainee",
        display_country="NONE",
    )  # fmt: skip
    assert response.status_code == 303
    db.refresh(person)
    assert (person.note, person.country) == ("elder brother of a detainee", "KR")
    assert (person.display_note, person.display_country) == ("brother of a detainee", "")
    assert public.public_name(person) == "Kim Jeong-sam (brother of a detainee)"
    entry = next(e for e in lists.public_list(db, statement=statement).entries if e.note)
    assert (entry.note, entry.country) == ("brother of a detainee", "")
    event = db.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "signature display corrected")
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    assert "note: elder brother of a detainee → brother of a detainee" in event.detail
    assert "country: KR → —" in event.detail
    page = client.get(url).text
    assert "As typed: elder brother of a detainee" in page

    submit(client, url, form_name="display", hide_note="true", display_country="JP")
    db.refresh(person)
    assert (person.display_note, person.display_country) == ("", "JP")
    assert public.public_name(person) == "Kim Jeong-sam"

    bad = submit(client, url, form_name="display", display_country="XX")
    assert bad.status_code == 422 and "Choose a country from the list." in bad.text
    db.refresh(person)
    assert person.display_country == "JP"

    url = f"/statements/hrc58/signatures/{org.id}"
    submit(client, url, form_name="display", display_title="Director")
    db.refresh(org)
    assert (org.title, org.display_title, org.shown_title) == (
        "Executive Director",
        "Director",
        "Director",
    )
    # Back to what they typed.
    submit(client, url, form_name="display")
    db.refresh(org)
    assert (org.display_title, org.display_country) == (None, None)
