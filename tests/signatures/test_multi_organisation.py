"""One person signs for several organisations in one submission of the sign form: one
signature and one confirmation each, all or nothing, the blocks added and removed without
JavaScript. Mail goes through the real worker code to the real SMTP test server."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.mail import worker
from app.mail.models import OutboxMessage
from app.signatures.models import Signature, SignatureStatus, SigningNotice
from app.signatures.signing import several
from app.statements.models import Statement
from tests.factories import make_user, open_statement, organisation
from tests.helpers import csrf_from, run_signing_worker, submit
from tests.smtp_server import RecordingHandler, _smtp_handler, smtp_server  # noqa: F401

SIGN = "/s/hrc58/sign"
SECOND = {
    "organisation-2": "Citizens' Alliance for North Korean Human Rights",
    "acronym-2": "NKHR",
    "website-2": "https://nkhr.or.kr",
    "ecosoc_status-2": "special",
    "country-2": "KR",
    "authorised-2": "true",
}
THIRD = {
    "organisation-3": "Database Center for North Korean Human Rights",
    "country-3": "KR",
    "authorised-3": "true",
}


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
def statement(db: Session) -> Statement:
    return open_statement(db, owner=make_user(db), slug="hrc58")


def _send(db: Session, settings: Settings) -> None:
    """One round of the worker: the notices become email, sent over SMTP."""
    run_signing_worker(db)
    rows = worker.claim_batch(db, worker_id="test", settings=settings, now=utcnow())
    outcomes = worker.send_batch(rows, settings=settings)
    worker.record_outcomes(db, rows, outcomes, worker_id="test", settings=settings, now=utcnow())
    db.flush()


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _signatures(db: Session) -> list[Signature]:
    return list(db.exec(select(Signature).order_by(col(Signature.id))))


def _three_organisations() -> dict[str, str]:
    return organisation(organisations="3") | SECOND | THIRD


def test_three_organisations_make_three_signatures_each_confirmed_on_its_own(
    client: TestClient,
    db: Session,
    statement: Statement,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    response = submit(client, SIGN, **_three_organisations())
    assert response.status_code == 303, response.text
    signatures = _signatures(db)
    assert [s.organisation for s in signatures] == [
        "Transitional Justice Working Group",
        "Citizens' Alliance for North Korean Human Rights",
        "Database Center for North Korean Human Rights",
    ]
    assert {s.email for s in signatures} == {"director@tjwg.org"}
    assert {s.name for s in signatures} == {"Hubert Younghwan Lee"}  # the person, once
    assert {s.status for s in signatures} == {SignatureStatus.PENDING}
    assert [s.ecosoc_status.value for s in signatures] == ["none", "special", "none"]
    assert [s.acronym for s in signatures] == ["TJWG", "NKHR", ""]
    assert all(s.authorised for s in signatures)
    assert len({s.org_party_key for s in signatures}) == 3
    assert len({s.nonce for s in signatures}) == 3

    page = client.get(response.headers["location"])
    assert (
        "You signed for 3 organisations: we have sent 3 emails to <strong>d•••@tjwg.org</strong>"
        in page.text
    )

    _send(db, smtp_settings)
    confirmations = [m for m in smtp_server.messages if m["To"].endswith("director@tjwg.org>")]
    assert len(confirmations) == 3
    links = []
    for message in confirmations:
        match = re.search(r"http://testserver(/confirm/\S+)", _text(message))
        assert match, _text(message)
        links.append(match.group(1))
    assert len(set(links)) == 3
    # Each email names its organisation.
    bodies = "\n".join(_text(m) for m in confirmations)
    for signature in signatures:
        assert signature.organisation in bodies

    # Confirming one confirms that one only.
    assert "Your signature is confirmed" in submit(client, links[1]).text
    for signature in signatures:
        db.refresh(signature)
    assert [s.status for s in signatures].count(SignatureStatus.PENDING) == 2
    confirmed = [s for s in signatures if s.status != SignatureStatus.PENDING]
    assert len(confirmed) == 1 and confirmed[0].organisation in _text(confirmations[1])


def test_every_organisation_needs_its_own_authority_box(
    client: TestClient, db: Session, statement: Statement
) -> None:
    values = _three_organisations() | {"authorised-2": ""}
    response = submit(client, SIGN, **values)
    assert response.status_code == 422
    html = response.text
    message = "Only someone authorised to sign for the organisation may sign on its behalf."
    # Beside block 2's box, not block 1's or 3's.
    assert f'<p class="field-error" id="f-authorised-2-error">{message}</p>' in html
    assert 'id="f-authorised-error"' not in html and 'id="f-authorised-3-error"' not in html
    assert 'id="f-authorised-2" name="authorised-2" value="true" aria-invalid="true"' in html
    # What was typed comes back, every block.
    assert 'value="Database Center for North Korean Human Rights"' in html
    assert 'name="organisations" value="3"' in html
    assert _signatures(db) == []
    assert db.exec(select(SigningNotice)).all() == []


def test_an_error_in_one_block_and_one_in_the_person_are_each_shown_in_place(
    client: TestClient, db: Session, statement: Statement
) -> None:
    values = _three_organisations() | {"country-3": "", "website-2": "not a site", "name": ""}
    response = submit(client, SIGN, **values)
    assert response.status_code == 422
    assert 'id="f-country-3-error"' in response.text
    assert 'id="f-website-2-error"' in response.text
    assert 'id="f-name-error"' in response.text
    assert 'id="f-country-error"' not in response.text
    assert _signatures(db) == []


def test_the_same_organisation_twice_is_refused(
    client: TestClient, db: Session, statement: Statement
) -> None:
    same = {
        "organisation-2": "The Transitional Justice  Working-Group",  # folded: the same
        "country-2": "KR",
        "authorised-2": "true",
    }
    response = submit(client, SIGN, **organisation(organisations="2") | same)
    assert response.status_code == 422
    assert 'id="f-organisation-2-error"' in response.text
    assert "You named this organisation already (organisation 1)" in response.text
    assert _signatures(db) == []


def test_no_more_than_ten_organisations_at_once(
    client: TestClient, db: Session, statement: Statement
) -> None:
    values = organisation(organisations=str(several.MAX_ORGANISATIONS + 1))
    for n in range(2, several.MAX_ORGANISATIONS + 2):
        values |= {f"organisation-{n}": f"Group {n}", f"country-{n}": "KR", f"authorised-{n}": "1"}
    response = submit(client, SIGN, **values)
    assert response.status_code == 422
    assert "You can sign for at most 10 organisations at once." in response.text
    assert _signatures(db) == []

    # At ten, the form offers no "Add another organisation", and a forced one is refused.
    values["organisations"] = "10"
    full = _post(client, client.get(SIGN), **values, action="add")
    assert full.status_code == 422
    assert "You can sign for at most 10 organisations at once." in full.text
    assert 'value="add"' not in full.text
    assert full.text.count('class="field group org-block"') == 10

    # Ten is fine.
    assert submit(client, SIGN, **values).status_code == 303
    assert len(_signatures(db)) == 10


def _post(client: TestClient, page: Response, **fields: str) -> Response:
    """Send the form on this page as a browser without JavaScript would."""
    data = {"csrf_token": csrf_from(page.text), **fields}
    response: Response = client.post(SIGN, data=data, follow_redirects=False)
    return response


def test_adding_and_removing_blocks_works_without_javascript(
    client: TestClient, db: Session, statement: Statement
) -> None:
    page = client.get(SIGN)
    assert 'name="organisations" value="1"' in page.text
    assert '<button type="submit" class="secondary" name="action" value="add"' in page.text
    assert "remove-" not in page.text
    # The first submit button, the one Enter presses, signs.
    assert page.text.index('value="sign"') < page.text.index('value="add"')

    typed = organisation(organisations="1") | {"kind": ""}
    added = _post(client, page, **typed, action="add")
    assert added.status_code == 200
    html = added.text
    assert 'name="organisations" value="2"' in html
    assert 'value="Transitional Justice Working Group"' in html  # kept
    assert 'value="director@tjwg.org"' in html
    assert 'value="organisation" checked' in html  # adding one means signing for them
    assert (
        'name="organisation-2" value="" autocomplete="organization" maxlength="300" autofocus'
        in html
    )
    assert 'id="f-organisation-2" name="organisation-2" value=""' in html
    assert "Organisation 2" in html and 'value="remove-2"' in html
    assert _signatures(db) == []

    two = typed | SECOND | {"organisations": "2", "kind": "organisation"}
    three = _post(client, added, **two, action="add")
    assert 'name="organisations" value="3"' in three.text
    # Remove the second: the third moves up and keeps what was typed in it.
    removed = _post(client, three, **two | THIRD | {"organisations": "3"}, action="remove-2")
    assert removed.status_code == 200
    assert 'name="organisations" value="2"' in removed.text
    assert 'id="f-organisation-2" name="organisation-2" value="Database Center' in removed.text
    assert "Citizens&#39; Alliance" not in removed.text

    signed = _post(
        client,
        removed,
        **organisation(organisations="2"),
        **{"organisation-2": "Database Center for North Korean Human Rights"},
        **{"country-2": "KR", "authorised-2": "true"},
        action="sign",
    )
    assert signed.status_code == 303
    assert [s.organisation for s in _signatures(db)] == [
        "Transitional Justice Working Group",
        "Database Center for North Korean Human Rights",
    ]


def test_the_same_address_again_is_a_repeat_for_one_organisation_and_new_for_another(
    client: TestClient, db: Session, statement: Statement
) -> None:
    assert submit(client, SIGN, **organisation(organisations="2") | SECOND).status_code == 303
    first = _signatures(db)
    assert len(first) == 2
    run_signing_worker(db)

    # The same organisation again (typed differently), and a new one.
    again = organisation(organisation="the transitional justice working group", organisations="2")
    again |= {"organisation-2": "Korea Future", "country-2": "KR", "authorised-2": "true"}
    response = submit(client, SIGN, **again)
    assert response.status_code == 303
    after = _signatures(db)
    assert len(after) == 3  # one new row: Korea Future
    assert after[0].organisation == "Transitional Justice Working Group"  # not overwritten
    assert after[2].organisation == "Korea Future"
    run_signing_worker(db)
    kinds = [
        m.kind
        for m in db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        if m.to_address == "director@tjwg.org"
    ]
    # Two confirmations, then the repeat notice for TJWG and a confirmation for the new one.
    assert sorted(kinds) == sorted(["signature_confirm"] * 3 + ["signature_repeat"])


def test_signing_again_for_several_looks_exactly_like_the_first_time(
    client: TestClient, db: Session, statement: Statement
) -> None:
    """The privacy rule of `record`, for several organisations: a submission that repeats
    one and adds another sends the same SQL as a first one and answers the same."""

    def sign(values: dict[str, str]) -> tuple[Response, list[str]]:
        sent: list[str] = []

        def keep(*args: Any) -> None:
            sent.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", args[2]))

        connection = db.connection()
        event.listen(connection, "before_cursor_execute", keep)
        try:
            return submit(client, SIGN, **values), sent
        finally:
            event.remove(connection, "before_cursor_execute", keep)

    db.flush()  # the statement's own writes, before the first request's
    first, first_sql = sign(organisation(organisations="2") | SECOND)
    again = organisation(organisations="2", email="Director@TJWG.org") | SECOND
    again["organisation-2"] = "Korea Future"
    second, second_sql = sign(again)
    assert (first.status_code, first.headers["location"]) == (
        second.status_code,
        second.headers["location"],
    )
    assert first_sql == second_sql
    assert len(_signatures(db)) == 3
    assert db.exec(select(func.count()).select_from(SigningNotice)).one() == 4


def test_an_individual_gives_their_own_country_once(
    client: TestClient, db: Session, statement: Statement
) -> None:
    values = {
        "kind": "individual",
        "name": "Kim Jeong-sam",
        "email": "jeongsam@example.org",
        "listing": "named",
        "consent_privacy": "true",
        several.PERSON_COUNTRY: "JP",
        # Without JavaScript the organisation block's fields come too, empty or not.
        "country": "",
        "organisations": "1",
    }
    assert submit(client, SIGN, **values).status_code == 303
    (signature,) = _signatures(db)
    assert (signature.country, signature.organisation, signature.org_party_key) == ("JP", "", "")

    bad = submit(client, SIGN, **values | {"email": "x@example.org", several.PERSON_COUNTRY: "XX"})
    assert bad.status_code == 422
    assert 'id="f-signer_country-error"' in bad.text and 'id="f-country-error"' not in bad.text


def test_the_form_in_korean(client: TestClient, db: Session, statement: Statement) -> None:
    client.cookies.set("lang", "ko")
    page = client.get(SIGN, headers={"Accept-Language": "ko"})
    assert "다른 단체 추가" in page.text
    values = organisation(organisations="2", **{"organisation-2": "Korea Future"})
    response = submit(client, SIGN, **values)
    assert response.status_code == 422
    assert "단체 2" in response.text
