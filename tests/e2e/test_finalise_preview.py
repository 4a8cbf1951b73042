"""A lead arranges the list in groups, previews the final document's list and finalises it
with an explicit confirmation, in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from app.accounts import service as accounts
from app.core.db import make_engine, new_session, utcnow
from app.signatures.models import Signature
from app.statements import service as statements
from app.statements.groups import service as groups
from app.statements.models import StatementStatus
from tests.e2e.conftest import LiveServer, screenshot
from tests.factories import approve_signers, organisation, statement_input

pytestmark = pytest.mark.browser

PASSWORD = "lead password for e2e"
PARTNERS = ["Transitional Justice Working Group", "No Chain", "Korea Future"]


def _seed(server: LiveServer) -> None:
    engine = make_engine(server.database_url)
    with new_session(engine) as session:
        lead = accounts.create_admin(
            session, name="Ada Lead", email="ada@tjwg.example", password=PASSWORD
        )
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug="un-plenary")
        )
        statements.open_statement(session, statement=statement, actor=lead)
        names = [*PARTNERS, *(f"Member organisation {n:02d}" for n in range(12))]
        approve_signers(
            session,
            statement,
            [
                organisation(organisation=name, acronym="", email=f"o{n}@example.org",
                             website=f"https://o{n}.example.org", country=("KR", "US", "JP")[n % 3])
                for n, name in enumerate(names)
            ],
        )  # fmt: skip
        partners = groups.add_group(session, statement=statement, actor=lead, name="Partners")
        groups.move_group(
            session, statement=statement, actor=lead, group_id=partners.id or 0, up=True
        )
        ids = [
            s.id or 0
            for s in session.exec(
                select(Signature).where(col(Signature.statement_id) == statement.id)
            )
            if s.organisation in PARTNERS
        ]
        groups.assign_signatures(
            session, statement=statement, actor=lead, signature_ids=ids, group_id=partners.id or 0
        )
        statement.deadline_at = utcnow() - timedelta(minutes=1)
        statement.status = StatementStatus.CLOSED
        session.commit()
    engine.dispose()


def test_lead_sets_the_heading_previews_and_finalises(live_server: LiveServer, page: Page) -> None:
    _seed(live_server)
    live_server.sign_in(page, email="ada@tjwg.example", password=PASSWORD)
    base = f"{live_server.url}/statements/un-plenary"

    page.goto(f"{base}/list")
    page.get_by_label("Heading of the list").fill("Signature organizations and individuals")
    page.get_by_label("As of").fill("2025-03-14")
    page.get_by_label("Group named").select_option(label="Partners")
    page.get_by_label("Round counts down to").select_option("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The list's settings are saved.")
    screenshot(page, "tiers-list-settings", full_page=True)

    page.goto(f"{base}/prose")
    sentence = page.locator("#prose")
    expect(sentence).to_contain_text(
        "on behalf of 3 civil society partners representing over 10 organisations in 3 "
        "countries, including Korea Future, No Chain, and Transitional Justice Working Group."
    )
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    screenshot(page, "tiers-prose")

    page.goto(f"{base}/exports")
    page.get_by_role("link", name="Preview and finalise").click()
    preview = page.locator(".document-preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text(
        "Signature organizations and individuals (as of March 14, 2025)"
    )
    expect(preview.get_by_role("heading", name="Partners")).to_be_visible()
    expect(preview).to_contain_text("3 organisations from 3 countries")
    expect(preview).to_contain_text("… and 7 more")  # 12 members, the first 5 shown
    screenshot(page, "tiers-finalise-preview", full_page=True)

    page.get_by_label("Type the statement's address to confirm: un-plenary").fill("un-plenar")
    page.get_by_role("button", name="Finalise the statement").click()
    expect(page.locator(".error-summary")).to_contain_text("to finalise it")
    screenshot(page, "tiers-finalise-refused")
    page.get_by_label("Type the statement's address to confirm: un-plenary").fill("un-plenary")
    page.get_by_role("button", name="Finalise the statement").click()
    expect(page.get_by_role("status")).to_contain_text("The statement is final")

    page.goto(f"{live_server.url}/s/un-plenary/signatories")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Signature organizations and individuals (as of March 14, 2025)"
    )
    expect(page.get_by_role("heading", name="Partners")).to_be_visible()
    screenshot(page, "tiers-final-list", full_page=True)
