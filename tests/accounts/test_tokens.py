"""Personal access tokens: shown once, stored hashed, revocable, and the only way into the
lead API (never the session cookie)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.accounts.models import ApiToken
from app.accounts.tokens import service as api_tokens
from app.core.db import utcnow
from app.core.errors import FieldErrors, NotFound
from app.security import tokens
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_from, sign_in, submit


def test_token_is_shown_once_and_only_its_hash_is_stored(db: Session) -> None:
    user = make_user(db)
    token, raw = api_tokens.create_token(db, user=user, name="  Campaign\u202e site\n sync ")
    assert raw.startswith("us_") and len(raw) > 40
    assert token.name == "Campaign site sync"
    assert token.token_hash == tokens.digest(raw)
    assert token.prefix == raw[:9]
    stored = db.exec(select(ApiToken)).one()
    assert raw not in repr(stored.model_dump())
    found = api_tokens.user_for_token(db, raw=raw)
    assert found is not None and found[0] == user


def test_token_name_is_required_and_short(db: Session) -> None:
    user = make_user(db)
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(FieldErrors) as exc:
            api_tokens.create_token(db, user=user, name=bad)
        assert set(exc.value.errors) == {"name"}


def test_unknown_revoked_and_inactive_tokens_find_nobody(db: Session) -> None:
    user = make_user(db)
    token, raw = api_tokens.create_token(db, user=user, name="script")
    assert api_tokens.user_for_token(db, raw="us_" + "x" * 43) is None
    assert api_tokens.user_for_token(db, raw=raw[3:]) is None  # the hash without the prefix
    user.is_active = False
    db.flush()
    assert api_tokens.user_for_token(db, raw=raw) is None
    user.is_active = True
    api_tokens.revoke_token(db, user=user, token_id=token.id or 0)
    db.refresh(token)
    assert token.revoked_at is not None
    assert api_tokens.user_for_token(db, raw=raw) is None
    assert api_tokens.list_tokens(db, user=user) == []


def test_only_the_owner_can_revoke_a_token(db: Session) -> None:
    owner = make_user(db, email="owner@example.org")
    other = make_user(db, email="other@example.org")
    token, raw = api_tokens.create_token(db, user=owner, name="script")
    with pytest.raises(NotFound):
        api_tokens.revoke_token(db, user=other, token_id=token.id or 0)
    found = api_tokens.user_for_token(db, raw=raw)
    assert found is not None and found[0] == owner


def test_last_use_is_recorded_at_most_once_a_minute(db: Session) -> None:
    user = make_user(db)
    token, raw = api_tokens.create_token(db, user=user, name="script")
    api_tokens.user_for_token(db, raw=raw)
    db.refresh(token)
    first = token.last_used_at
    assert first is not None
    api_tokens.user_for_token(db, raw=raw)
    db.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = utcnow() - timedelta(minutes=2)
    db.flush()
    api_tokens.user_for_token(db, raw=raw)
    db.refresh(token)
    assert token.last_used_at is not None and token.last_used_at > first - timedelta(seconds=1)
    assert token.last_used_at > utcnow() - timedelta(minutes=1)


# --- over HTTP --------------------------------------------------------------------------


def _assert_401(response: Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["status"] == 401


def test_the_api_refuses_missing_wrong_and_revoked_tokens(client: TestClient, db: Session) -> None:
    user = make_user(db)
    token, raw = api_tokens.create_token(db, user=user, name="script")
    assert client.get("/api/v1/statements", headers={"Authorization": f"Bearer {raw}"}).is_success

    _assert_401(client.get("/api/v1/statements"))
    _assert_401(client.get("/api/v1/statements", headers={"Authorization": "Bearer us_wrong"}))
    _assert_401(client.get("/api/v1/statements", headers={"Authorization": f"Basic {raw}"}))
    _assert_401(client.post("/api/v1/statements", json={}))
    api_tokens.revoke_token(db, user=user, token_id=token.id or 0)
    _assert_401(client.get("/api/v1/statements", headers={"Authorization": f"Bearer {raw}"}))


def test_the_api_never_accepts_the_session_cookie(client: TestClient, db: Session) -> None:
    make_user(db)
    sign_in(client, "lead@example.org", PASSWORD)
    assert client.get("/dashboard").status_code == 200
    _assert_401(client.get("/api/v1/statements"))
    _assert_401(client.post("/api/v1/statements", json={"title": "x"}))


def test_tokens_page_creates_shows_once_and_revokes(client: TestClient, db: Session) -> None:
    make_user(db)
    sign_in(client, "lead@example.org", PASSWORD)
    assert 'href="/account/tokens"' in client.get("/account").text

    created = submit(client, "/account/tokens", name="Website sync")
    assert created.status_code == 201, created.text
    assert "It will not be shown again" in created.text
    token = db.exec(select(ApiToken)).one()
    match = re.search(r'id="new-token"[^>]* value="(us_[^"]+)"', created.text)
    assert match, created.text
    raw = match.group(1)
    assert tokens.digest(raw) == token.token_hash
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["referrer-policy"] == "no-referrer"

    listing = client.get("/account/tokens")
    assert "Website sync" in listing.text and token.prefix in listing.text
    assert raw not in listing.text

    revoked = client.post(
        f"/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_from(listing.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    db.refresh(token)
    assert token.revoked_at is not None
    page = client.get(revoked.headers["location"])
    assert "no longer works" in page.text and "Website sync" not in page.text


def test_tokens_page_refuses_a_blank_name_and_forged_posts(client: TestClient, db: Session) -> None:
    make_user(db)
    sign_in(client, "lead@example.org", PASSWORD)
    blank = submit(client, "/account/tokens", name="   ")
    assert blank.status_code == 422
    assert "Give the token a name" in blank.text
    forged = client.post("/account/tokens", data={"name": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    assert db.exec(select(ApiToken)).all() == []


def test_tokens_page_needs_a_signed_in_lead(client: TestClient) -> None:
    response = client.get("/account/tokens", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
