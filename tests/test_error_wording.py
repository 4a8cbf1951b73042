"""Messages a person reads away from the field or state they are about: each says which.

An error summary lists every message at the top of the form, where "This is required."
or "Please keep this under 500 characters." names nothing; a refusal on the moderation
page names the signature's state as the page does, never its stored code; and a link that
opens a new tab says so in its name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.errors import FieldErrors
from app.core.i18n import using_locale
from app.signatures import lifecycle
from app.signatures.forms import SignInput, clean_sign_input
from app.signatures.models import SignatureStatus
from app.statements.inputs import clean_input
from app.statements.review import service as review
from tests.factories import (
    PASSWORD,
    individual,
    make_user,
    open_statement,
    organisation,
    statement_input,
)
from tests.helpers import sign_in, submit
from tests.signatures.test_moderation import URL, make_signature


def _errors(call: Callable[[], object]) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        call()
    return caught.value.errors


def test_statement_field_errors_name_their_field(db: Session) -> None:
    data = statement_input(
        title="",
        summary="x" * 501,
        addressed_to="y" * 501,
        slug="Not A Slug",
        coordinators="z" * 5001,
        contact_email="nope",
        list_order="sideways",
    )
    errors = _errors(lambda: clean_input(db, data))
    assert errors["title"] == "Enter a title."
    assert errors["summary"] == "Short summary: Please keep this under 500 characters."
    assert errors["addressed_to"] == "Addressed to: Please keep this under 500 characters."
    assert errors["slug"].startswith("Web address: ")
    assert errors["coordinators"].startswith("Coordinating organisations: ")
    assert errors["contact_email"] == "Contact email: Please enter a valid email address."
    assert errors["list_order"] == "Order of the signatory list: Choose one of the options."
    with using_locale("ko"):
        korean = _errors(lambda: clean_input(db, data))
    assert korean["summary"].startswith("짧은 요약: ")


def test_sign_form_errors_name_their_field(db: Session) -> None:
    statement = open_statement(db, owner=make_user(db), slug="hrc58")
    errors = _errors(
        lambda: clean_sign_input(SignInput(**organisation(organisation="", name="")), statement)
    )
    assert errors["organisation"] == "Enter the organisation's name."
    assert errors["name"] == "Enter the full name."
    long_note = individual(note="n" * 301)
    errors = _errors(lambda: clean_sign_input(SignInput(**long_note), statement))
    assert errors["note"] == "Note: Please keep this under 300 characters."


def test_review_comment_errors_name_their_field(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    token = review.create_link(db, statement=statement, actor=owner, label="Partners")
    errors = _errors(
        lambda: review.add_comment(
            db, token=token, author_name="Kim", organisation="o" * 201, body="b" * 20_001
        )
    )
    assert errors["organisation"].startswith("Organisation: Please keep this under")
    assert errors["body"].startswith("Comment: Please keep this under")


def test_the_sign_forms_summary_links_each_named_error(client: TestClient, db: Session) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58")
    response = submit(client, "/s/hrc58/sign", kind="individual", name="", email="a@b.org")
    assert response.status_code == 422
    summary = response.text.split('id="error-summary"')[1].split("</div>")[0]
    assert '<a href="#f-name">Enter the full name.</a>' in summary


def test_a_refused_decision_names_the_state_as_the_page_does(
    client: TestClient, db: Session
) -> None:
    lead = make_user(db, email="lead@example.org")
    statement = open_statement(db, owner=lead, slug="hrc58")
    signature = make_signature(db, statement, status=SignatureStatus.WITHDRAWN)
    sign_in(client, lead.email, PASSWORD)
    refused = submit(client, URL, action=f"{URL}/{signature.id}/approve")
    assert refused.status_code == 409
    assert "This one is: Withdrawn." in refused.text
    assert not re.search(r"\bis:? withdrawn\b", refused.text)
    ko = submit(client, f"{URL}?lang=ko", action=f"{URL}/{signature.id}/approve")
    assert "이 서명의 상태: 철회됨." in ko.text
    assert lifecycle.STATUS_LABELS[SignatureStatus.WITHDRAWN] == "Withdrawn"


def test_the_privacy_link_says_it_opens_a_new_tab(client: TestClient, db: Session) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58")
    page = client.get("/s/hrc58/sign").text
    links = re.findall(r'<a [^>]*target="_blank"[^>]*>(.*?)</a>', page)
    assert links and all("opens in a new tab" in link for link in links)
