"""A lead's language: remembered on their account, and used for every email the app sends
them (digests) or sends on their behalf to a future lead (invitations)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.db import utcnow
from app.core.i18n import using_locale
from app.mail.models import OutboxMessage
from app.signatures.digests import service as digests
from tests.factories import PASSWORD, individual, make_user, open_statement
from tests.helpers import sign_in, submit
from tests.signatures.test_digests import MINUTE, _sign


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.kind) == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def test_a_korean_lead_receives_a_korean_digest(db: Session) -> None:
    owner = make_user(db, email="lead@example.org", name="Lead")
    accounts.set_language(db, user=owner, locale="ko")
    statement = open_statement(db, owner=owner, slug="hrc58")
    t0 = utcnow()
    _sign(db, statement, individual(), t0)

    assert digests.send_due_digests(db, now=t0 + 10 * MINUTE) == 1
    (message,) = _mail(db, "digest")
    assert message.locale == "ko"
    assert message.subject.startswith("새 서명 1건 (1건 승인 대기 중)")
    assert "새 서명 1건" in message.text_body and "새 서명 1건" in message.html_body
    assert 'lang="ko"' in message.html_body


def test_an_english_lead_keeps_english_whatever_the_worker_speaks(db: Session) -> None:
    owner = make_user(db, email="lead@example.org", name="Lead")
    statement = open_statement(db, owner=owner, slug="hrc58")
    t0 = utcnow()
    _sign(db, statement, individual(), t0)
    with using_locale("ko"):
        digests.send_due_digests(db, now=t0 + 10 * MINUTE)
    (message,) = _mail(db, "digest")
    assert message.locale == "en" and message.subject.startswith("1 new signature")


def test_the_account_page_changes_the_language(client: TestClient, db: Session) -> None:
    user = make_user(db, email="lead@example.org", name="Lead")
    assert user.locale == "en"
    sign_in(client, "lead@example.org", PASSWORD)
    page = client.get("/account")
    assert 'name="locale"' in page.text
    response = submit(client, "/account", action="/account/language", locale="ko")
    assert response.status_code == 303
    db.refresh(user)
    assert user.locale == "ko"
    # The interface follows the choice at once.
    followed = client.get(response.headers["location"])
    assert followed.headers["content-language"] == "ko"
    assert "언어" in followed.text
    refused = submit(client, "/account", action="/account/language", locale="xx")
    assert refused.status_code == 400
    db.refresh(user)
    assert user.locale == "ko"


def test_an_invitation_goes_in_the_chosen_language_and_sets_the_new_leads(
    client: TestClient, db: Session
) -> None:
    make_user(db, email="admin@example.org", name="Admin Person", admin=True)
    sign_in(client, "admin@example.org", PASSWORD)
    team = client.get("/team")
    assert 'name="locale"' in team.text
    response = submit(client, "/team", action="/team/invites", email="ko@example.org", locale="ko")
    assert response.status_code == 303
    (message,) = _mail(db, "invite")
    assert message.locale == "ko"
    assert message.subject == "Admin Person 님이 Undersigned에 초대합니다"
    match = re.search(r"http://testserver(/invite/[^\s\"<]+)", message.text_body)
    assert match and match.group(1).endswith("?lang=ko")
    client.cookies.clear()
    accepted = submit(client, match.group(1), name="Korean Lead", password="another long password")
    assert accepted.status_code == 303
    user = db.exec(select(User).where(col(User.email) == "ko@example.org")).one()
    assert user.locale == "ko"
    # Signed in at once, on a Korean dashboard; the language stays Korean afterwards.
    assert accepted.headers["location"] == "/dashboard?lang=ko"
    dashboard = client.get(accepted.headers["location"])
    assert '<html lang="ko">' in dashboard.text
    assert "Korean Lead" in dashboard.text and "로그인되었습니다" in dashboard.text
    assert '<html lang="ko">' in client.get("/account").text


def test_an_invitation_defaults_to_the_inviters_interface_language(
    client: TestClient, db: Session
) -> None:
    make_user(db, email="admin@example.org", name="Admin Person", admin=True)
    sign_in(client, "admin@example.org", PASSWORD)
    client.get("/team?lang=ko")
    assert re.search(r'<option value="ko" selected>', client.get("/team").text)
    submit(client, "/team", action="/team/invites", email="new@example.org")
    (message,) = _mail(db, "invite")
    assert message.locale == "ko"


def test_the_first_administrator_keeps_the_set_up_language(client: TestClient, db: Session) -> None:
    code = accounts.issue_setup_code(db)
    assert code
    client.get("/setup?lang=ko")
    done = submit(
        client, "/setup", code=code, name="Ada", email="ada@example.org", password=PASSWORD
    )
    assert db.exec(select(User)).one().locale == "ko"
    assert done.headers["location"] == "/dashboard?lang=ko"
    assert '<html lang="ko">' in client.get(done.headers["location"]).text
