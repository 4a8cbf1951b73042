"""Cross-cutting protections: CSRF, security headers, bad input never a 500."""

from __future__ import annotations

import hmac
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import LoginSession
from app.security import ratelimit, tokens
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_from


def test_post_without_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    client.get("/login")  # the browser has the cookie, but the forged form has no token
    response = client.post("/login", data={"email": "lead@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "Go back, reload the page" in response.text
    assert db.exec(select(LoginSession)).first() is None


def test_csrf_token_from_another_browser_is_refused(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    make_user(db, email="lead@example.org")
    with TestClient(app, base_url="http://testserver") as attacker:
        token = csrf_from(attacker.get("/login").text)
    client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": "lead@example.org", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_cross_origin_post_is_refused(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "a@example.org", "password": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/login", "/no-such-page", "/static/css/app.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_unknown_route_is_a_clear_404_page_and_json_for_the_api(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "There is nothing at this address." in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json()["error"]["status"] == 404


def test_wrong_content_type_is_415(client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login", content=b'{"email": "x"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 415


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post(
        "/login",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_oversized_field_is_a_4xx_not_a_500(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "x" * 5000, "password": "y"}
    )
    assert response.status_code == 422
    assert "malformed" in response.text


def test_malformed_form_body_is_a_4xx(client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        content=b"--broken\r\n\r\n",
        headers={"content-type": "multipart/form-data; boundary=broken"},
    )
    assert 400 <= response.status_code < 500


def test_wrong_method_is_405(client: TestClient) -> None:
    assert client.put("/login").status_code in (403, 405)
    assert client.get("/logout").status_code == 405


def test_error_pages_speak_the_readers_language(client: TestClient) -> None:
    page = client.get("/no-such-page?lang=ko")
    assert page.status_code == 404
    assert "찾을 수 없습니다" in page.text


def test_keyed_digests_depend_on_the_key_and_the_purpose() -> None:
    ip = "203.0.113.7"
    stored = tokens.keyed_digest(ip, purpose=tokens.Keyed.IP)
    assert stored == tokens.keyed_digest(ip, purpose=tokens.Keyed.IP)
    assert len(stored) == 64 and ip not in stored
    # Without the server's key, the stored value cannot be checked against guesses.
    assert stored != tokens.digest(ip)
    assert stored != hmac.new(b"", ip.encode(), "sha256").hexdigest()


def test_an_import_token_is_no_other_kind_of_token() -> None:
    token = tokens.make_token(tokens.Purpose.IMPORT, {"s": 1})
    assert tokens.read_token(tokens.Purpose.IMPORT, token, max_age_seconds=None) == {"s": 1}
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(tokens.Purpose.CONFIRM, token, max_age_seconds=None)


def test_an_unexpected_error_is_a_500_with_the_security_headers(app: FastAPI) -> None:
    """A 500 is answered outside the middleware stack; it still carries the headers."""

    @app.get("/broken-for-this-test")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/broken-for-this-test")
        api = client.get("/api/v1/broken-for-this-test")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options"):
        assert name in page.headers, name
    assert page.headers["cache-control"] == "no-store"
    assert api.status_code == 404 and "x-content-type-options" in api.headers


def test_rate_counters_count_each_key_in_one_statement(db: Session) -> None:
    hour = timedelta(hours=1)
    pair = [("test-email", "someone@example.org"), ("test-ip", "203.0.113.9")]
    assert ratelimit.record_many(db, pair, window=hour) == [1, 1]
    assert ratelimit.record_many(db, pair, window=hour) == [2, 2]
    assert ratelimit.record(db, bucket="test-ip", key="203.0.113.9", window=hour) == 3
    assert ratelimit.record(db, bucket="test-ip", key="198.51.100.1", window=hour) == 1
    assert ratelimit.count(db, bucket="test-email", key="someone@example.org", window=hour) == 2


def test_pages_link_their_own_static_files_on_this_host(client: TestClient) -> None:
    page = client.get("/login").text
    assert 'href="/static/css/app.css"' in page
    assert client.get("/static/css/app.css").status_code == 200
