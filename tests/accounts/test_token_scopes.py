"""API tokens carry scopes and an expiry: contact data and writes need their own scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.core.db import utcnow
from app.core.errors import FieldErrors
from app.statements.models import Statement
from tests.factories import PASSWORD, make_user, open_statement
from tests.helpers import sign_in, submit

TEAM = "/api/v1/statements"


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="owner@example.org", name="Owner")


@pytest.fixture
def statement(db: Session, owner: User) -> Statement:
    return open_statement(db, owner=owner, slug="hrc58")


def _bearer(db: Session, user: User, scopes: set[str], **kwargs: object) -> dict[str, str]:
    _token, raw = api_tokens.create_token(db, user=user, name="t", scopes=scopes, **kwargs)  # type: ignore[arg-type]
    db.commit()  # only releases the test's savepoint
    return {"Authorization": f"Bearer {raw}"}


def test_a_token_without_the_contact_scope_gets_403_on_contact_data(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    no_contact = _bearer(db, owner, {"read", "write"})
    contact = _bearer(db, owner, {"read", "contact"})
    for path in (f"{TEAM}/hrc58/signatures", f"{TEAM}/hrc58/signatures/1"):
        refused = client.get(path, headers=no_contact)
        assert refused.status_code == 403, path
        assert "contact" in refused.json()["error"]["message"]
    assert client.get(f"{TEAM}/hrc58/signatures", headers=contact).status_code == 200
    # Everything else still reads.
    assert client.get(f"{TEAM}/hrc58", headers=no_contact).status_code == 200
    approve = client.post(f"{TEAM}/hrc58/signatures/1/approve", headers=no_contact)
    assert approve.status_code == 403


def test_a_read_only_token_gets_403_on_writes(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    read_only = _bearer(db, owner, {"read", "contact"})
    writer = _bearer(db, owner, {"read", "write"})
    body = {"value": "spam.example", "note": ""}
    refused = client.post(f"{TEAM}/hrc58/blocklist", json=body, headers=read_only)
    assert refused.status_code == 403
    assert "only read" in refused.json()["error"]["message"]
    assert client.patch(f"{TEAM}/hrc58", json={}, headers=read_only).status_code == 403
    assert client.get(f"{TEAM}/hrc58/blocklist", headers=read_only).json() == []
    assert client.post(f"{TEAM}/hrc58/blocklist", json=body, headers=writer).status_code == 201


def test_an_expired_token_is_refused(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    made = utcnow() - timedelta(days=31)
    expired = _bearer(db, owner, {"read"}, expires_in_days=30, now=made)
    live = _bearer(db, owner, {"read"}, expires_in_days=90, now=made)
    response = client.get(TEAM, headers=expired)
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]
    assert client.get(TEAM, headers=live).status_code == 200


def test_expiry_defaults_to_90_days_and_is_bounded(db: Session, owner: User) -> None:
    now = utcnow()
    token, _raw = api_tokens.create_token(db, user=owner, name="t", now=now)
    assert token.expires_at == now + timedelta(days=90)
    assert token.scopes == "read"
    chosen, _raw = api_tokens.create_token(
        db, user=owner, name="t", expires_on=(now + timedelta(days=10)).date(), now=now
    )
    assert chosen.expires_at.date() == (now + timedelta(days=10)).date()
    for bad in (date(2000, 1, 1), (now + timedelta(days=4 * 365)).date()):
        with pytest.raises(FieldErrors) as exc:
            api_tokens.create_token(db, user=owner, name="t", expires_on=bad, now=now)
        assert set(exc.value.errors) == {"expires_on"}
    with pytest.raises(FieldErrors) as unknown:
        api_tokens.create_token(db, user=owner, name="t", scopes={"admin"})
    assert set(unknown.value.errors) == {"scopes"}


def test_the_tokens_page_creates_a_scoped_expiring_token(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    sign_in(client, "owner@example.org", PASSWORD)
    response = submit(client, "/account/tokens", name="sync", scopes=["write"], expires="365")
    assert response.status_code == 201
    assert "read" in response.text and "write" in response.text
    (token,) = api_tokens.list_tokens(db, user=owner)
    assert token.scopes == "read write"
    assert token.expires_at.date() == (token.created_at + timedelta(days=365)).date()
    bad = submit(client, "/account/tokens", name="sync", expires="date", expires_on="soon")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
