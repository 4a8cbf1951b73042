"""Input no database can store — NUL, lone surrogates, bytes that are not UTF-8 — gets a
clear 4xx on every route, in the path, the query, a form or a JSON body, never a 500.

The routes are enumerated from the app; the caller is a signed-in lead on the statement's
team (with a CSRF token and an API token), so each request would reach the database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.security import input as input_guard
from tests.factories import PASSWORD, approve_signers, individual, make_user, open_statement
from tests.helpers import csrf_from, sign_in

# Each as it travels in a URL or a urlencoded form.
BAD_IN_URL = ("x%00y", "x%FFy", "x%ED%A0%80y")  # NUL, not UTF-8, an encoded lone surrogate
BAD_JSON = ('"a\\u0000b"', '"a\\ud800b"', '"\\udc00"')
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@pytest.fixture
def lead_client(app: FastAPI, db: Session) -> Iterator[tuple[TestClient, str, str]]:
    owner = make_user(db, email="owner@example.org")
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(db, statement, [individual()])
    _token, raw = api_tokens.create_token(db, user=owner, name="script", scopes=ALL_SCOPES)
    db.flush()
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        sign_in(client, "owner@example.org", PASSWORD)
        csrf = csrf_from(client.get("/account").text)
        yield client, csrf, raw


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path_format:
            found.extend((method, route.path_format) for method in sorted(route.methods or ()))
    return found


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "hrc58" if m.group(1) == "slug" else value, path)


def test_every_route_refuses_unstorable_input_without_a_500(
    app: FastAPI, lead_client: tuple[TestClient, str, str]
) -> None:
    client, csrf, bearer = lead_client
    routes = _routes(app)
    assert len(routes) > 80
    failures: list[str] = []

    def expect(method: str, url: str, status: int, how: str, wanted: set[int]) -> None:
        if status >= 500 or status not in wanted:
            failures.append(f"{how}: {method} {url} -> {status}")

    for method, path in routes:
        api = path.startswith("/api/")
        headers = {"Authorization": f"Bearer {bearer}"} if api else {}
        for bad in BAD_IN_URL:
            if "{" in path:
                url = re.sub(r"\{\w+\}", bad, path)
                response = client.request(method, url, headers=headers, follow_redirects=False)
                expect(method, url, response.status_code, "path", {400, 404, 405})
            url = _fill(path, "1") + f"?q={bad}&next={bad}"
            response = client.request(method, url, headers=headers, follow_redirects=False)
            expect(method, url, response.status_code, "query", {400})
            if method in UNSAFE and not api:
                url = _fill(path, "1")
                body = f"csrf_token={csrf}&name={bad}&title={bad}&email=a{bad}%40b.org"
                response = client.request(
                    method,
                    url,
                    content=body.encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    follow_redirects=False,
                )
                expect(method, url, response.status_code, "form", {400})
        if method in UNSAFE and api:
            for bad in BAD_JSON:
                url = _fill(path, "1")
                body = f'{{"title": {bad}, "name": {bad}, "email": {bad}, "reason": {bad}}}'
                response = client.request(
                    method,
                    url,
                    content=body.encode(),
                    headers={**headers, "Content-Type": "application/json"},
                    follow_redirects=False,
                )
                expect(method, url, response.status_code, "json", {400})
    assert not failures, "\n".join(failures)


def test_the_refusal_is_a_clear_page_with_the_security_headers(
    lead_client: tuple[TestClient, str, str],
) -> None:
    client, csrf, _bearer = lead_client
    page = client.post(
        "/s/hrc58/sign",
        content=f"csrf_token={csrf}&name=Kim%00".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 400
    assert "cannot be stored" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    api = client.get("/api/v1/public/statements/x%00y")
    assert api.status_code == 400
    assert "cannot be stored" in api.json()["error"]["message"]


def test_valid_text_passes_the_checks() -> None:
    assert input_guard.storable_text("김정은 😀 Zoë")
    assert not input_guard.storable_text("a\x00b")
    assert not input_guard.storable_text("a\ud800b")
    assert input_guard.storable_bytes("김 😀".encode())
    assert not input_guard.storable_bytes(b"\xff")
    # A surrogate pair in JSON is one valid character (an emoji); half of one is not.
    assert input_guard._json_storable(b'{"name": "\\ud83d\\ude00"}')
    assert not input_guard._json_storable(b'{"name": "\\ud83d x"}')
    assert not input_guard._json_storable(b'{"name": "\\u0000"}')
