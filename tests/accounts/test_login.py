"""Signing in and out: argon2 passwords, revocable sessions, no hint which part was wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import LoginSession
from app.accounts.service import LOGIN_BUCKET_ACCOUNT_IP
from app.core import templating
from app.core.config import get_settings
from app.security.throttle import SignInFailures
from tests.factories import PASSWORD, make_user
from tests.helpers import sign_in, submit


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    wrong_password = submit(client, "/login", email="lead@example.org", password="nope" * 4)
    unknown_email = submit(client, "/login", email="nobody@example.org", password=PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 400
    message = "That email and password do not match an account."
    assert message in wrong_password.text and message in unknown_email.text
    assert "session" not in wrong_password.cookies


def test_sign_in_sets_a_hardened_cookie_and_sign_out_revokes_it(
    client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    response = sign_in(client, "LEAD@example.org ", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/dashboard").status_code == 200

    token = client.cookies["session"]
    submit(client, "/dashboard", action="/logout")
    assert db.exec(select(LoginSession)).one().revoked_at is not None
    # The old cookie no longer opens anything, even if replayed.
    client.cookies.set("session", token)
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")


def test_secure_cookie_in_production(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "base_url", "https://testserver")
    make_user(db, email="lead@example.org")
    client.base_url = client.base_url.copy_with(scheme="https")
    response = sign_in(client, "lead@example.org", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_sessions_can_be_revoked_from_another_browser(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    with TestClient(app, base_url="http://testserver") as other:
        sign_in(other, "lead@example.org", PASSWORD)
        assert other.get("/dashboard").status_code == 200
        other_session = db.exec(
            select(LoginSession).order_by(LoginSession.id.desc())  # type: ignore[union-attr]
        ).first()
        assert other_session is not None
        response = submit(client, "/account", action=f"/account/sessions/{other_session.id}/revoke")
        assert response.status_code == 303
        assert other.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/dashboard").status_code == 200


def test_sign_in_from_a_failing_address_waits(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    for _ in range(get_settings().login_free_failures_per_account):
        assert (
            submit(client, "/login", email="lead@example.org", password="x" * 12).status_code == 400
        )
    # Even the right password from this address waits until the delay has passed.
    response = submit(client, "/login", email="lead@example.org", password=PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert 0 < int(response.headers["retry-after"]) <= 8


def test_failed_sign_ins_are_counted_even_when_the_request_then_fails(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(db, email="lead@example.org")
    render = templating.page

    def failing_error_page(*args: Any, **kwargs: Any) -> Any:
        context = args[2] if len(args) > 2 else kwargs.get("context")
        if context and context.get("error"):
            raise RuntimeError("the form could not be shown again")
        return render(*args, **kwargs)

    # The request's transaction is rolled back after each wrong password...
    monkeypatch.setattr(templating, "page", failing_error_page)
    tries = get_settings().login_free_failures_per_account
    for _ in range(tries):
        with pytest.raises(RuntimeError):
            submit(client, "/login", email="lead@example.org", password="x" * 12)
    monkeypatch.undo()

    # ...and yet every failure counted, so the delay holds.
    db.expire_all()
    counter = db.exec(
        select(SignInFailures).where(SignInFailures.bucket == LOGIN_BUCKET_ACCOUNT_IP)
    ).one()
    assert counter.failures == tries
    response = submit(client, "/login", email="lead@example.org", password=PASSWORD)
    assert response.status_code == 429
    assert db.exec(select(LoginSession)).first() is None


def test_pages_for_leads_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/team?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/team%3Fx%3D1"


def test_next_is_never_an_open_redirect(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    response = submit(
        client, "/login", email="lead@example.org", password=PASSWORD, next="//evil.example/"
    )
    assert response.headers["location"] == "/dashboard"


def test_non_admin_cannot_open_the_team_page(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org", admin=False)
    sign_in(client, "lead@example.org", PASSWORD)
    assert client.get("/team").status_code == 403


def test_a_session_keeps_only_the_network_and_the_browser_family(app: FastAPI, db: Session) -> None:
    make_user(db, email="lead@example.org")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    with TestClient(
        app,
        base_url="http://testserver",
        client=("203.0.113.77", 50000),
        headers={"user-agent": firefox},
    ) as browser:
        sign_in(browser, "lead@example.org", PASSWORD)
        account = browser.get("/account")
    login = db.exec(select(LoginSession)).one()
    assert (login.network, login.browser) == ("203.0.113.0/24", "Firefox on Linux")
    assert "203.0.113.0/24" in account.text and "Firefox on Linux" in account.text
    assert "203.0.113.77" not in account.text and "rv:128.0" not in account.text


def test_a_session_from_ipv6_keeps_its_48(app: FastAPI, db: Session) -> None:
    make_user(db, email="lead@example.org")
    with TestClient(
        app, base_url="http://testserver", client=("2001:db8:1234:5678::42", 50000)
    ) as browser:
        sign_in(browser, "lead@example.org", PASSWORD)
        account = browser.get("/account")
    login = db.exec(select(LoginSession)).one()
    # The test client names no browser we know: nothing is kept, and the page says so.
    assert (login.network, login.browser) == ("2001:db8:1234::/48", "")
    assert "unknown" in account.text
