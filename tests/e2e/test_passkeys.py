"""Passkeys in a real browser: Chromium's virtual authenticator (over CDP) registers a
discoverable passkey, and the lead then signs in with the passkey alone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.conftest import LiveServer, screenshot, serve

pytestmark = pytest.mark.browser

PASSWORD = "passkey lead password"


@pytest.fixture
def localhost_server() -> Iterator[LiveServer]:
    with serve(smtp_port=None, host="localhost") as server:
        yield server


def test_register_a_passkey_and_sign_in_with_it(localhost_server: LiveServer, page: Page) -> None:
    server = localhost_server
    server.create_lead(email="pk@example.org", name="Pat Passkey", password=PASSWORD)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    server.sign_in(page, email="pk@example.org", password=PASSWORD)
    page.goto(server.url + "/account/factors")
    screenshot(page, "passkeys-01-factors")
    page.get_by_label("Name of the new passkey").fill("Virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    screenshot(page, "passkeys-02-recovery-codes")
    page.goto(server.url + "/account/factors")
    expect(page.get_by_label("Name").first).to_have_value("Virtual key")

    page.context.clear_cookies()
    page.goto(server.url + "/login")
    screenshot(page, "passkeys-03-login")
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/login/passkey")
    ) as sent:
        page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Welcome, Pat Passkey")).to_be_visible()
    _replaying_the_assertion_signs_nobody_in(server, sent.value.all_headers(), sent.value)

    # The password now leads to the second step, where the passkey answers again.
    page.context.clear_cookies()
    page.goto(server.url + "/login")
    page.get_by_label("Email address").fill("pk@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    screenshot(page, "passkeys-04-second-factor")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def _replaying_the_assertion_signs_nobody_in(
    server: LiveServer, headers: dict[str, str], request: Request
) -> None:
    """Someone who captured the browser's signed assertion — body, CSRF token, challenge
    cookie and all — sends it again: the challenge was used once, so nobody is signed in."""
    replay = httpx.post(
        request.url,
        content=request.post_data_buffer or b"",
        headers={
            "content-type": headers["content-type"],
            "cookie": headers["cookie"],
            "origin": headers.get("origin", server.url),
        },
        follow_redirects=False,
    )
    assert replay.status_code >= 400, replay.status_code
    assert "location" not in replay.headers
    for name in ("session", "__Host-session"):
        assert not replay.cookies.get(name), replay.cookies
