"""The newcomer's first run, in a real browser: set-up code → administrator, signed in at
once → invite a second lead in Korean → the invitation arrives by email → the second lead
joins and lands, signed in, on a Korean dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, screenshot, wait_for_mail
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "first admin password"
LEAD_PASSWORD = "second lead password"


def test_setup_sign_in_invite_and_join(
    live_server: LiveServer, smtp_server: RecordingHandler, page: Page, browser: Browser
) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Set up Undersigned")).to_be_visible()
    screenshot(page, "01-setup")

    page.get_by_label("Set-up code").fill(live_server.setup_code())
    page.get_by_label("Your name").fill("Ada Administrator")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create administrator").click()

    # Signed in at once: no second sign-in with the password just chosen.
    expect(page).to_have_url(re.compile(r"/dashboard\?lang=en$"))
    expect(page.get_by_role("status")).to_contain_text("you are signed in")
    expect(page.get_by_role("heading", name="Welcome, Ada Administrator")).to_be_visible()
    expect(page.get_by_role("button", name="Load the example")).to_be_visible()
    screenshot(page, "02-dashboard")

    page.get_by_role("link", name="Team").click()
    page.get_by_label("Email address").fill("second@example.org")
    page.get_by_label("Language of the invitation").select_option("ko")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent")
    expect(page.get_by_role("cell", name="second@example.org")).to_be_visible()
    screenshot(page, "03-team")

    body = wait_for_mail(smtp_server, to="second@example.org")
    match = re.search(r"(http://127\.0\.0\.1:\d+/invite/\S+)", body)
    assert match, body
    link = match.group(1)

    newcomer = browser.new_context().new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_text("second@example.org")).to_be_visible()
    screenshot(newcomer, "04-accept-invite")
    expect(newcomer.locator("html")).to_have_attribute("lang", "ko")
    newcomer.locator("#f-name, input[name=name]").first.fill("Second Lead")
    newcomer.locator("input[name=password]").fill(LEAD_PASSWORD)
    newcomer.locator("main form button[type=submit]").click()
    # Signed in, on a Korean dashboard (the language the invitation was accepted in).
    expect(newcomer).to_have_url(re.compile(r"/dashboard\?lang=ko$"))
    expect(newcomer.locator("html")).to_have_attribute("lang", "ko")
    expect(newcomer.get_by_role("status")).to_contain_text("로그인되었습니다")
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text("Second Lead")
    screenshot(newcomer, "05-invited-lead-korean-dashboard")

    # The link worked once; it does not work again (asked here in English).
    newcomer.goto(link.split("?", 1)[0] + "?lang=en")
    expect(newcomer.get_by_text("already been used")).to_be_visible()
    newcomer.context.close()
