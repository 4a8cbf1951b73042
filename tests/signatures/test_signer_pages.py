"""The signer's pages around the form: a late signer sees the statement with when it
closed and whom to write to (nothing typed echoed, nothing written); "Check your email"
names the address masked, only in the submitter's own browser, the same for a first and a
repeat signature; "wrong address? sign again" gives back what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.db import utcnow
from app.signatures.models import Signature, SigningNotice
from app.signatures.signing import sent
from app.statements import service as statements
from tests.factories import individual, make_user, open_statement
from tests.helpers import csrf_from, submit


def _csrf(client: TestClient) -> str:
    return csrf_from(client.get("/login").text)


def test_masking_keeps_the_domain_and_hides_the_mailbox_and_its_length() -> None:
    assert sent.mask_email("jeongsam@example.org") == "j•••@example.org"
    assert sent.mask_email("j@example.org") == "j•••@example.org"  # same as a long one
    assert sent.mask_email("김정삼@예시.kr") == "김•••@예시.kr"
    assert sent.mask_email("not-an-address") == "•••"


def test_a_signer_past_the_deadline_sees_the_statement_and_the_coordinators(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="late")
    page = client.get("/s/late/sign")  # the form, opened in time
    token = csrf_from(page.text)
    statement.deadline_at = utcnow() - timedelta(minutes=1)
    db.flush()
    values = individual(name="Typed Late Name", note="typed-late-note")
    response = client.post(
        "/s/late/sign", data={**values, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 409
    text = response.text
    assert "Signatures are closed" in text
    assert "Signatures closed at" in text
    assert f'datetime="{statement.deadline_at.isoformat()}"' in text
    assert "mailto:coord@example.org" in text
    assert "We call upon <strong>all States</strong> to act." in text  # the statement itself
    assert "Transitional Justice Working Group" in text  # its coordinators
    assert "Typed Late Name" not in text and "typed-late-note" not in text
    assert "jeongsam@example.org" not in text
    assert 'name="name"' not in text  # no form to fill in again
    assert db.exec(select(func.count()).select_from(Signature)).one() == 0
    assert db.exec(select(func.count()).select_from(SigningNotice)).one() == 0
    assert sent.COOKIE not in response.cookies


def test_closed_early_shows_when_a_lead_closed_it(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="early")
    statements.close_statement(db, statement=statement, actor=owner)
    db.flush()
    assert statement.closed_at is not None
    page = client.get("/s/early/sign")
    assert page.status_code == 200
    assert "Signatures are closed" in page.text
    assert f'datetime="{statement.closed_at.isoformat()}"' in page.text
    # Without a contact address, the coordinating organisations are the way.
    statement.contact_email = ""
    db.flush()
    assert "contact the coordinating organisations" in client.get("/s/early/sign").text


def test_a_statement_not_open_yet_says_when_it_opens(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="soon")
    statement.opens_at = utcnow() + timedelta(days=1)
    db.flush()
    page = client.get("/s/soon/sign")
    assert "Signatures are not open yet" in page.text
    assert f'datetime="{statement.opens_at.isoformat()}"' in page.text


def test_check_your_email_names_the_masked_address_the_same_for_a_repeat(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    pages = []
    for _ in range(2):  # a first signature, then the same person again
        response = submit(client, "/s/hrc58/sign", **individual())
        assert response.status_code == 303
        page = client.get(response.headers["location"])
        assert page.headers["cache-control"] == "no-store"
        pages.append(re.sub(r'name="csrf_token" value="[^"]+"', "", page.text))
    assert "j•••@example.org" in pages[0]
    assert "jeongsam@example.org" not in pages[0]
    assert "Wrong address?" in pages[0]
    assert pages[0] == pages[1]  # nothing tells a repeat from a first signature
    # Another browser opening the same address learns no address at all.
    with TestClient(client.app, base_url="http://testserver") as other:
        page = other.get("/s/hrc58/sign/check-your-email").text
    assert "•••" not in page and "Wrong address?" not in page
    assert "We have sent you a link" in page


def test_the_cookie_is_scoped_to_the_statement_and_tamper_proof(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="one")
    open_statement(db, owner=owner, slug="two")
    response = submit(client, "/s/one/sign", **individual())
    cookie = response.headers["set-cookie"]
    assert "Path=/s/one/sign" in cookie and "HttpOnly" in cookie
    token = response.cookies[sent.COOKIE]
    # Sent to another statement's page (by hand), it is not that statement's.
    client.cookies.clear()
    client.cookies.set(sent.COOKIE, token)
    assert "•••" not in client.get("/s/two/sign/check-your-email").text
    assert "j•••@example.org" in client.get("/s/one/sign/check-your-email").text
    client.cookies.clear()
    client.cookies.set(sent.COOKIE, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    assert "•••" not in client.get("/s/one/sign/check-your-email").text


def test_wrong_address_sign_again_gives_back_what_was_typed(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    typo = individual(email="jeongsam@exmaple.org")
    assert submit(client, "/s/hrc58/sign", **typo).status_code == 303
    check = client.get("/s/hrc58/sign/check-your-email").text
    assert "j•••@exmaple.org" in check
    assert 'href="/s/hrc58/sign?again=1"' in check
    again = client.get("/s/hrc58/sign?again=1")
    assert again.headers["cache-control"] == "no-store"
    assert "Correct your email address" in again.text
    assert 'value="jeongsam@exmaple.org"' in again.text
    assert 'value="Kim Jeong-sam"' in again.text
    assert "elder brother of a detainee</textarea>" in again.text
    assert 'value="KR" selected' in again.text
    # Consent is asked again, never carried over.
    assert re.search(r'name="consent_privacy"[^>]*checked', again.text) is None
    fixed = {**typo, "email": "jeongsam@example.org"}
    response = client.post(
        "/s/hrc58/sign",
        data={**fixed, "csrf_token": csrf_from(again.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "j•••@example.org" in client.get("/s/hrc58/sign/check-your-email").text
    # Two pending signatures: the one at the wrong address simply never confirms.
    emails = set(db.exec(select(Signature.email)).all())
    assert emails == {"jeongsam@exmaple.org", "jeongsam@example.org"}
    # Without the cookie, "again" is the empty form.
    client.cookies.clear()
    assert 'value="Kim Jeong-sam"' not in client.get("/s/hrc58/sign?again=1").text


def test_the_note_is_a_textarea_with_its_limit_and_labels_read_as_one_sentence(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    page = client.get("/s/hrc58/sign").text
    assert re.search(r'<textarea id="f-note" name="note" rows="3" maxlength="300"', page)
    assert "Up to 300 characters." in page
    assert re.search(r'<span>I agree to the <a href="/privacy"[^>]*>[^<]*</a>\.</span>', page)
    public = client.get("/s/hrc58").text
    assert public.count('href="/s/hrc58/sign"') == 2  # above the text and after it
