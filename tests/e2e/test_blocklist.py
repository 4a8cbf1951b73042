"""A lead blocks a domain and an IPv6 range in a real browser; a signer from that domain
signs as anyone would, and the lead sees why the signature was held."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from app.accounts import service as accounts
from app.core.db import make_engine, new_session
from app.statements import service as statements
from app.statements.inputs import StatementInput
from tests.e2e.conftest import LiveServer, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "lead password for e2e"


def _open_statement(server: LiveServer) -> None:
    engine = make_engine(server.database_url)
    with new_session(engine) as session:
        lead = accounts.create_admin(
            session, name="Ann Lead", email="ann@tjwg.example", password=PASSWORD
        )
        data = StatementInput(
            title="Joint statement on arbitrary detention",
            slug="detention",
            summary="Civil society asks States to press for the release of detainees.",
            addressed_to="Member States of the UN Human Rights Council",
            body="We call upon all States to act.",
            coordinators="TJWG",
            contact_email="coord@tjwg.example",
            language="en",
            deadline_date=(date.today() + timedelta(days=30)).isoformat(),
            deadline_time="13:00",
            deadline_zone="Europe/Zurich",
        )
        statement = statements.create_statement(session, actor=lead, data=data)
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
    engine.dispose()


def test_a_lead_blocks_and_sees_why_a_signature_was_held(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    _open_statement(live_server)
    live_server.sign_in(page, email="ann@tjwg.example", password=PASSWORD)
    page.goto(live_server.url + "/statements/detention")
    page.get_by_role("navigation", name="Statement").get_by_role("link", name="Blocklist").click()
    expect(page.get_by_role("heading", name="Blocklist")).to_be_visible()

    field = page.get_by_label("Email domain, email address or IP range")
    field.fill("0.0.0.0/0")
    page.get_by_role("button", name="Add to the blocklist").click()
    expect(page.get_by_text("This range is too wide")).to_have_count(2)  # summary and field

    field = page.get_by_label("Email domain, email address or IP range")
    field.fill("@Spam.example")
    page.get_by_label("Why (for the team)").fill("a wave of fake signatures on 3 March")
    page.get_by_role("button", name="Add to the blocklist").click()
    expect(page.get_by_role("status")).to_have_text("The blocklist has been updated.")
    page.get_by_label("Email domain, email address or IP range").fill("2001:DB8::/32")
    page.get_by_role("button", name="Add to the blocklist").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("spam.example")
    expect(table).to_contain_text("2001:db8::/32")
    expect(table).to_contain_text("Email domain, with its subdomains")
    screenshot(page, "blocklist", full_page=True)

    # A signer from a subdomain of the blocked domain sees what every signer sees.
    signer = browser.new_context().new_page()
    signer.goto(live_server.url + "/s/detention/sign")
    signer.get_by_label("As an individual").check()
    signer.get_by_label("Your full name", exact=True).fill("Blocked Person")
    signer.get_by_label("Email address", exact=True).fill("someone@mail.spam.example")
    signer.get_by_label("By name", exact=False).check()
    signer.get_by_label("I agree to the").check()
    signer.get_by_role("button", name="Sign", exact=True).click()
    signer.wait_for_url(re.compile(r"/s/detention/sign/check-your-email$"))

    page.goto(live_server.url + "/statements/detention/signatures")
    row = page.get_by_role("row", name=re.compile("Blocked Person"))
    expect(row).to_contain_text("On the blocklist")
    expect(row).to_contain_text(
        "Held: the email domain matches blocklist entry spam.example, added by Ann Lead on"
    )
    screenshot(page, "blocklist-held-in-moderation", full_page=True)
