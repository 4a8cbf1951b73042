"""One person signs for two organisations in a real browser: "Add another organisation"
gives the form back with a second block and what was typed, each organisation gets its own
confirmation email, and each is confirmed on its own. The form in Korean too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from app.accounts.models import User
from app.core.db import make_engine, new_session
from app.signatures.models import Signature, SignatureStatus
from app.statements import service as statements
from tests.e2e.conftest import LiveServer, screenshot
from tests.factories import statement_input
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser
SIGNER = "director@tjwg.org"


def _open_statement(live: LiveServer) -> None:
    live.create_lead(email="lead@tjwg.example", name="Coordinator", password="lead password x1")
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        lead = session.exec(select(User)).one()
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug="detainees", moderation="manual")
        )
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
    engine.dispose()


def _signatures(live: LiveServer) -> list[tuple[str, SignatureStatus]]:
    engine = make_engine(live.database_url)
    with new_session(engine, write=False) as session:
        rows = [
            (s.organisation, SignatureStatus(s.status))
            for s in session.exec(select(Signature).order_by(Signature.id))  # type: ignore[arg-type]
        ]
    engine.dispose()
    return rows


def _confirm_links(smtp: RecordingHandler, count: int, page: Page) -> list[str]:
    links: list[str] = []
    for _ in range(150):
        links = []
        for message in smtp.messages:
            if SIGNER in str(message["To"]):
                part = message.get_body(preferencelist=("plain",))
                assert part is not None
                found = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", str(part.get_content()))
                if found:
                    links.append(found.group(1))
        if len(links) >= count:
            return links
        page.wait_for_timeout(100)
    raise AssertionError(f"{len(links)} confirmation emails to {SIGNER}, not {count}")


def test_sign_for_two_organisations(
    live_server: LiveServer, smtp_server: RecordingHandler, page: Page, browser: Browser
) -> None:
    _open_statement(live_server)
    page.goto(f"{live_server.url}/s/detainees/sign")
    page.get_by_label("On behalf of an organisation").check()
    first = page.locator("#organisation-block-1")
    first.get_by_label("Organisation name").fill("Transitional Justice Working Group")
    first.get_by_label("Acronym (optional)").fill("TJWG")
    first.get_by_label("Country where the organisation is based").select_option("KR")
    first.get_by_label("I am authorised to sign on behalf of this organisation.").check()
    page.get_by_label("Your full name").fill("Hubert Lee")
    page.get_by_label("Email address").fill(SIGNER)

    page.get_by_role("button", name="Add another organisation").click()
    second = page.locator("#organisation-block-2")
    expect(page.get_by_role("group", name="Organisation 2")).to_be_visible()
    # What was typed came back, and the cursor waits in the new block.
    expect(first.get_by_label("Organisation name")).to_have_value(
        "Transitional Justice Working Group"
    )
    expect(page.get_by_label("Email address")).to_have_value(SIGNER)
    expect(second.get_by_label("Organisation name")).to_be_focused()
    second.get_by_label("Organisation name").fill("Korea Future")
    second.get_by_label("Website (optional)").fill("https://koreafuture.org")
    second.get_by_label("Country where the organisation is based").select_option("GB")

    page.get_by_label("By name").check()
    page.get_by_label("I agree to the").check()
    # The second block's own authority box is still unticked: the form says so, there.
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(second.locator("#f-authorised-2-error")).to_be_visible()
    expect(first.locator(".field-error")).to_have_count(0)
    assert _signatures(live_server) == []
    second.get_by_label("I am authorised to sign on behalf of this organisation.").check()
    screenshot(page, "multiorg-form", full_page=True)
    page.wait_for_timeout(3100)  # a person takes a few seconds; faster forms are held
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You signed for 2 organisations")

    assert _signatures(live_server) == [
        ("Transitional Justice Working Group", SignatureStatus.PENDING),
        ("Korea Future", SignatureStatus.PENDING),
    ]
    links = _confirm_links(smtp_server, 2, page)
    assert len(set(links)) == 2
    signer = browser.new_context().new_page()
    signer.goto(links[1])
    signer.get_by_role("button", name="Confirm my signature").click()
    expect(signer.get_by_text("Your signature is confirmed.")).to_be_visible()
    statuses = dict(_signatures(live_server))
    assert sorted(statuses.values()) == [SignatureStatus.CONFIRMED, SignatureStatus.PENDING]
    signer.context.close()


def test_the_form_in_korean_adds_an_organisation(live_server: LiveServer, page: Page) -> None:
    _open_statement(live_server)
    page.goto(f"{live_server.url}/s/detainees/sign?lang=ko")
    page.get_by_label("단체 명의로").check()
    page.get_by_role("button", name="다른 단체 추가").click()
    expect(page.locator("#organisation-block-2 legend")).to_have_text("단체 2")
    expect(page.get_by_role("button", name="단체 2 삭제")).to_be_visible()
    expect(page.locator("#organisation-block-2").get_by_label("단체의 소재 국가")).to_be_visible()
    screenshot(page, "multiorg-form-ko", full_page=True)
    page.get_by_role("button", name="단체 2 삭제").click()
    expect(page.locator("#organisation-block-2")).to_have_count(0)
