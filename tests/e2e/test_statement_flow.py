"""A lead runs the HRC58 statement (tests/fixtures/examples) through drafting, partner review,
opening and a material edit, in a real browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import hrc58
from tests.e2e.conftest import LiveServer, screenshot

pytestmark = pytest.mark.browser

EXAMPLE = hrc58.EXAMPLE
PASSWORD = "lead password for e2e"


def _hrc58() -> tuple[str, str]:
    """The example's title (its bold first paragraph) and its text up to the signatories."""
    source = EXAMPLE.read_text(encoding="utf-8").strip()
    first, rest = source.split("\n\n", 1)
    title = re.sub(r"<[^>]+>", "", first.strip().strip("*").replace("  \n", " "))
    body = rest.split("Signature organizations and individuals")[0].strip()
    return " ".join(title.split()), body


def test_hrc58_from_draft_to_public_page(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    title, body = _hrc58()
    live_server.create_lead(email="coord@tjwg.example", name="TJWG Coordinator", password=PASSWORD)
    live_server.sign_in(page, email="coord@tjwg.example", password=PASSWORD)

    page.get_by_role("link", name="New statement").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Short summary").fill(
        "Civil society asks like-minded States to carry GA resolution 79/181 into the HRC58 "
        "resolution."
    )
    page.get_by_label("Addressed to").fill("South Korea and like-minded governments")
    page.get_by_label("Statement text (Markdown)").fill(body)
    # The live preview renders the text as readers will see it.
    expect(page.locator("#preview-body sup").first).to_have_text("th")
    page.get_by_label("Closing date").fill(f"{date.today().year + 1}-03-21")
    page.get_by_label("Closing time").fill("13:00")
    page.get_by_label("Time zone").fill("Geneva")  # a city: stored as Europe/Zurich
    page.get_by_label("Web address").fill("hrc58-joint-statement")
    page.get_by_label("Coordinating organisations").fill(
        "Transitional Justice Working Group (TJWG)\n"
        "Citizens' Alliance for North Korean Human Rights"
    )
    screenshot(page, "10-editor")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status")).to_contain_text("Statement created")
    expect(page.get_by_text("21 March", exact=False).first).to_be_visible()
    expect(page.get_by_text("Zurich time (CET)").first).to_be_visible()

    # Circulate the draft to a partner through a review link.
    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_label("Who is this link for?").fill("Partners in Seoul")
    page.get_by_role("button", name="Create a review link").click()
    link = page.get_by_label("Link to share").input_value()
    partner = browser.new_context().new_page()
    partner.goto(link)
    expect(partner.get_by_role("heading", level=1)).to_contain_text("Joint statement calling")
    partner.get_by_label("Your name").fill("Lee Partner")
    partner.get_by_label("Organisation (optional)").fill("NK Database Center")
    partner.get_by_label("Comment").fill("Please mention the POW families in OP3.")
    partner.get_by_role("button", name="Send comment").click()
    expect(partner.get_by_role("status")).to_contain_text("Thank you")
    partner.context.close()
    page.reload()
    expect(page.get_by_text("Please mention the POW families in OP3.")).to_be_visible()

    # Open it, then make a material change: version 2 with a visible diff.
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Open for signatures").click()
    expect(page.get_by_role("status")).to_contain_text("open for signatures")
    page.get_by_role("link", name="Edit", exact=True).click()
    text = page.get_by_label("Statement text (Markdown)")
    text.fill(
        text.input_value().replace(
            "Thank you.", "We also ask for POW families to be named in OP3.\n\nThank you."
        )
    )
    page.get_by_label("Material: it changes what signers agree to").check()
    page.get_by_label("What changed").fill("POW families named, as partners asked")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("link", name="Version 2")).to_be_visible()
    page.get_by_role("link", name="see the changes").click()
    expect(page.locator(".diff ins").first).to_contain_text("POW")
    screenshot(page, "11-diff")

    page.goto(live_server.url + "/s/hrc58-joint-statement")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Joint statement calling")
    expect(page.locator(".statement-text sup").first).to_have_text("th")
    expect(page.get_by_text("Open for signatures")).to_be_visible()
    expect(page.get_by_text("named in OP3")).to_be_visible()
    screenshot(page, "12-public")
