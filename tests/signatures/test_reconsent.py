"""Re-consent after a material change, end to end: signers confirm a text, the team makes a
material change, both are emailed the diff, one re-confirms through the pages (only the
POST counts), the team sees who has and has not, and decides about the rest."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.i18n import get_locale, set_locale
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.forms import SignInput
from app.signatures.models import Signature, SignatureStatus
from app.signatures.reconsent import service as reconsent
from app.signatures.signing import service
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus, StatementVersion, TeamRole
from app.statements.team import service as team
from tests.factories import (
    PASSWORD,
    individual,
    make_user,
    open_statement,
    organisation,
    statement_input,
)
from tests.helpers import run_signing_worker, sign_in, submit

NEW_BODY = "We call upon **all States** to act **without delay**.\n\nThank you."


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker writes signers' emails after the request
    query = select(OutboxMessage).where(col(OutboxMessage.kind) == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def _path(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://testserver(/{path}/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def _sign(db: Session, statement: Statement, values: dict[str, str]) -> Signature:
    """Submit through the service and confirm with the token from the queued email."""
    service.submit(
        db, statement=statement, data=SignInput.model_validate(values), context=service.Context()
    )
    message = _mail(db, "signature_confirm")[-1]
    match = re.search(r"/confirm/(\S+)", message.text_body)
    assert match, message.text_body
    return lifecycle.confirm(db, token=match.group(1)).signature


def _edit(
    db: Session, statement: Statement, owner: User, *, body: str, material: bool
) -> StatementVersion:
    version = statements.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug=statement.slug, body=body),
        change_note="Stronger call" if material else "Typo",
        material=material,
    )
    assert version is not None
    return version


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="lead@example.org", name="Lead")


@pytest.fixture
def statement(db: Session, owner: User) -> Statement:
    return open_statement(db, owner=owner, slug="hrc58")


def test_a_reconsent_round_end_to_end(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    kim = _sign(db, statement, individual())
    set_locale("ko")
    try:
        tjwg = _sign(db, statement, organisation())
    finally:
        set_locale("en")
    lifecycle.approve(db, statement=statement, signature=tjwg, actor=owner)
    first = kim.version_id
    assert first is not None and tjwg.version_id == first
    # Someone who has not confirmed yet will confirm whatever text is current: not asked.
    service.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(individual(email="late@example.org", name="Late")),
        context=service.Context(),
    )

    version = _edit(db, statement, owner, body=NEW_BODY, material=True)
    assert reconsent.start_round(db, statement=statement, actor=owner, version=version) == 2
    assert reconsent.start_round(db, statement=statement, actor=owner, version=version) == 0
    assert get_locale() == "en"  # each email in its signer's language, ours restored after

    emails = _mail(db, "reconsent")
    assert sorted(m.to_address for m in emails) == ["director@tjwg.org", "jeongsam@example.org"]
    assert {m.to_address: m.locale for m in emails}["director@tjwg.org"] == "ko"
    for message in emails:
        assert "[-act.-]{+act **without delay**.+}" in message.text_body
        assert "<ins>" in message.html_body and "without delay" in message.html_body
        assert "/withdraw/" in message.text_body
    db.refresh(kim)
    assert kim.reconsent_version_id == version.id and kim.version_id == first
    kims = next(m for m in emails if m.to_address == "jeongsam@example.org")
    link = _path(kims, "reconfirm")

    # Opening the link (a mail scanner would) shows the changes and changes nothing.
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<ins>" in page.text and "I confirm my signature" in page.text
    db.refresh(kim)
    assert kim.version_id == first

    done = submit(client, link)
    assert done.status_code == 200 and "You have confirmed version 2" in done.text
    db.refresh(kim)
    assert kim.version_id == version.id
    assert kim.status == SignatureStatus.CONFIRMED  # nothing else changes
    assert "I confirm" not in client.get(link).text  # nothing left to press
    again = client.post(link, data={"csrf_token": _csrf(page.text)})  # pressed twice
    assert again.status_code == 200 and "You had already confirmed" in again.text

    # The team sees one yes and one not yet.
    sign_in(client, owner.email, PASSWORD)
    status_page = client.get("/statements/hrc58/reconsent")
    assert status_page.status_code == 200
    assert 'data-count="reconfirmed">1<' in status_page.text
    assert 'data-count="waiting">1<' in status_page.text
    assert "director@tjwg.org" in status_page.text
    status = reconsent.status(db, statement=statement)
    assert [s.id for s in status.reconfirmed] == [kim.id]
    assert [s.id for s in status.waiting] == [tjwg.id]

    # Until the team decides, everyone stays listed; then those who did not re-confirm go.
    latest = reconsent.latest_material_version_id(db, statement=statement)
    assert latest == version.id
    assert reconsent.listed_after_reconsent(tjwg, latest)
    decided = submit(
        client,
        "/statements/hrc58/reconsent",
        action="/statements/hrc58/reconsent/decide",
        decision="remove",
    )
    assert decided.status_code == 303
    db.refresh(tjwg)
    db.refresh(kim)
    assert tjwg.keep_listed is False and kim.keep_listed is None
    assert not reconsent.listed_after_reconsent(tjwg, latest)
    assert reconsent.listed_after_reconsent(kim, latest)
    assert tjwg.status == SignatureStatus.APPROVED  # still counted as a signature
    actions = set(db.exec(select(AuditEvent.action)).all())
    assert {"re-consent requested", "signature re-confirmed", "re-consent decision"} <= actions

    # A minor edit asks nobody.
    minor = _edit(db, statement, owner, body=NEW_BODY + "\n\nThanks.", material=False)
    assert reconsent.start_round(db, statement=statement, actor=owner, version=minor) == 0
    assert len(_mail(db, "reconsent")) == 2
    assert reconsent.latest_material_version_id(db, statement=statement) == version.id


def test_a_newer_round_supersedes_an_older_link(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    kim = _sign(db, statement, individual())
    second = _edit(db, statement, owner, body=NEW_BODY, material=True)
    reconsent.start_round(db, statement=statement, actor=owner, version=second)
    old_link = _path(_mail(db, "reconsent")[0], "reconfirm")
    third = _edit(db, statement, owner, body=NEW_BODY + "\n\nNow.", material=True)
    assert reconsent.start_round(db, statement=statement, actor=owner, version=third) == 1

    page = client.get(old_link)
    assert "The text has changed again" in page.text
    # Pressing the old link's button confirms nothing…
    db.refresh(kim)
    stale = client.post(old_link, data={"csrf_token": _csrf(page.text)})
    assert "The text has changed again" in stale.text
    db.refresh(kim)
    assert kim.version_id != third.id and kim.version_id != second.id
    # …the page's own form asks about the newest text.
    action = re.search(r'action="(/reconfirm/[^"]+)"', page.text)
    assert action
    confirmed = client.post(action.group(1), data={"csrf_token": _csrf(page.text)})
    assert "You have confirmed version 3" in confirmed.text
    db.refresh(kim)
    assert kim.version_id == third.id
    assert "Nothing more is needed" in client.get(old_link).text


def test_links_that_do_not_count(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    kim = _sign(db, statement, individual())
    version = _edit(db, statement, owner, body=NEW_BODY, material=True)
    reconsent.start_round(db, statement=statement, actor=owner, version=version)
    link = _path(_mail(db, "reconsent")[0], "reconfirm")
    assert client.get(link[:-3] + "xyz").status_code == 404
    confirm_token = re.search(r"/confirm/(\S+)", _mail(db, "signature_confirm")[0].text_body)
    assert confirm_token  # a token made for another purpose does not work here
    assert client.get(f"/reconfirm/{confirm_token.group(1)}").status_code == 404

    token = _csrf(client.get(link).text)
    statement.status = StatementStatus.FINAL
    db.flush()
    assert "I confirm" not in client.get(link).text
    assert client.post(link, data={"csrf_token": token}).status_code == 409
    statement.status = StatementStatus.OPEN
    kim.status = SignatureStatus.WITHDRAWN
    db.flush()
    assert "Nothing to confirm" in client.get(link).text
    assert "Nothing to confirm" in client.post(link, data={"csrf_token": token}).text
    db.refresh(kim)
    assert kim.version_id != version.id


def test_only_the_team_sees_the_round_and_only_editors_decide(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    _sign(db, statement, individual())
    version = _edit(db, statement, owner, body=NEW_BODY, material=True)
    reconsent.start_round(db, statement=statement, actor=owner, version=version)
    make_user(db, email="viewer@example.org", name="Viewer")
    make_user(db, email="stranger@example.org", name="Stranger")
    team.add_member(
        db, statement=statement, actor=owner, email="viewer@example.org", role=TeamRole.VIEWER
    )
    sign_in(client, "stranger@example.org", PASSWORD)
    assert client.get("/statements/hrc58/reconsent").status_code == 404
    sign_in(client, "viewer@example.org", PASSWORD)
    page = client.get("/statements/hrc58/reconsent")
    assert page.status_code == 200 and "Save the decision" not in page.text
    refused = client.post(
        "/statements/hrc58/reconsent/decide",
        data={"csrf_token": _csrf(page.text), "decision": "remove"},
    )
    assert refused.status_code == 403
    assert all(s.keep_listed is None for s in db.exec(select(Signature)).all())


def test_no_round_without_a_material_change(db: Session, owner: User) -> None:
    statement = open_statement(db, owner=owner, slug="quiet")
    status = reconsent.status(db, statement=statement)
    assert status.version is None and status.asked == 0
    with pytest.raises(Exception, match="no material change"):
        reconsent.decide_unconfirmed(db, statement=statement, actor=owner, keep_listed=False)
    assert db.exec(select(StatementVersion)).all()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)
