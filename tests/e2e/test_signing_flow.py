"""Signing in a real browser: an organisation and an individual sign, confirm by email
(opening the link changes nothing until Confirm is pressed), a lead approves, a signer
withdraws, and an anonymous signer shows only as their anonymous label."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr
from sqlmodel import select

from app.accounts.models import User
from app.core.config import get_settings
from app.core.db import make_engine, new_session
from app.signatures.models import SignatureStatus
from app.statements import service as statements
from tests.e2e.conftest import SECRET_KEY, LiveServer, screenshot, wait_for_mail
from tests.factories import statement_input
from tests.helpers import signature_with_email
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser
PASSWORD = "lead password for signing"


def _open_statement(live: LiveServer) -> None:
    live.create_lead(email="lead@tjwg.example", name="Coordinator", password=PASSWORD)
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        lead = session.exec(select(User)).one()
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug="detainees", moderation="manual")
        )
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
    engine.dispose()


def _status(live: LiveServer, email: str) -> SignatureStatus:
    engine = make_engine(live.database_url)
    # The server's blind index is keyed with the server's SECRET_KEY.
    with (
        pytest.MonkeyPatch.context() as patch,
        new_session(engine, write=False) as session,
    ):
        patch.setattr(get_settings(), "secret_key", SecretStr(SECRET_KEY))
        status = signature_with_email(session, email).status
    engine.dispose()
    return SignatureStatus(status)


def _sign(
    page: Page, live: LiveServer, *, kind: str, fields: dict[str, str], listing: str = "By name"
) -> None:
    page.goto(f"{live.url}/s/detainees")
    page.get_by_role("link", name="Sign this statement").first.click()
    page.get_by_label(
        "On behalf of an organisation" if kind == "org" else "As an individual"
    ).check()
    for label, value in fields.items():
        if label == "Country":  # the organisation's, or an individual's own
            country = "Country where the organisation is based" if kind == "org" else "Your country"
            page.get_by_label(country).select_option(value)
        else:
            page.get_by_label(label, exact=True).fill(value)
    page.get_by_label(listing, exact=False).check()
    if kind == "org":
        page.get_by_label("I am authorised to sign on behalf of this organisation.").check()
    page.get_by_label("I agree to the").check()
    page.wait_for_timeout(3100)  # a person takes a few seconds; faster forms are held
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def _confirm_link(smtp: RecordingHandler, to: str) -> str:
    match = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", wait_for_mail(smtp, to=to))
    assert match
    return match.group(1)


def test_sign_confirm_approve_withdraw(
    live_server: LiveServer, smtp_server: RecordingHandler, page: Page, browser: Browser
) -> None:
    _open_statement(live_server)
    _sign(
        page,
        live_server,
        kind="org",
        fields={
            "Organisation name": "Transitional Justice Working Group",
            "Acronym (optional)": "TJWG",
            "Website (optional)": "https://tjwg.org",
            "Your full name": "Hubert Lee",
            "Your title in the organisation": "Director",
            "Country": "KR",
            "Email address": "director@tjwg.org",
        },
    )
    screenshot(page, "20-check-email")
    _sign(
        page,
        live_server,
        kind="person",
        fields={
            "Your full name": "Kim Jeong-sam",
            "A short note shown with your name (optional)": "elder brother of a detainee",
            "Country": "KR",
            "Email address": "jeongsam@example.org",
        },
    )
    _sign(
        page,
        live_server,
        kind="person",
        listing="Anonymously",
        fields={
            "Your full name": "Secret Escapee",
            "Country": "KR",
            "Email address": "escapee@example.org",
        },
    )

    # Opening the emailed link (as a mail scanner would) changes nothing.
    for email in ("director@tjwg.org", "jeongsam@example.org", "escapee@example.org"):
        link = _confirm_link(smtp_server, email)
        signer = browser.new_context().new_page()
        signer.goto(link)
        expect(signer.get_by_role("button", name="Confirm my signature")).to_be_visible()
        assert _status(live_server, email) == SignatureStatus.PENDING
        if email == "director@tjwg.org":
            screenshot(signer, "21-confirm")
        signer.get_by_role("button", name="Confirm my signature").click()
        expect(signer.get_by_text("Your signature is confirmed.")).to_be_visible()
        assert _status(live_server, email) == SignatureStatus.CONFIRMED
        signer.context.close()

    # A lead approves all three from the moderation page.
    live_server.sign_in(page, email="lead@tjwg.example", password=PASSWORD)
    page.goto(f"{live_server.url}/statements/detainees/signatures")
    for name in ("Transitional Justice Working Group", "Kim Jeong-sam", "Secret Escapee"):
        page.get_by_role("button", name=f"Approve {name}").click()
        expect(page.get_by_role("status")).to_contain_text("approved")
    screenshot(page, "22-moderation")
    assert _status(live_server, "escapee@example.org") == SignatureStatus.APPROVED

    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/s/detainees")
    expect(public.get_by_text("Transitional Justice Working Group (TJWG)")).to_be_visible()
    expect(public.get_by_text("Kim Jeong-sam (elder brother of a detainee)")).to_be_visible()
    expect(public.get_by_text("An individual", exact=True)).to_be_visible()
    assert "Secret Escapee" not in public.content()
    screenshot(public, "23-public-with-signatures")

    # The signer withdraws through the link in the "thank you" email.
    thanks = [m for m in smtp_server.messages if "jeongsam@example.org" in str(m["To"])][-1]
    body = thanks.get_body(preferencelist=("plain",))
    assert body is not None
    withdraw = re.search(r"(http://127\.0\.0\.1:\d+/withdraw/\S+)", str(body.get_content()))
    assert withdraw
    public.goto(withdraw.group(1))
    public.get_by_role("button", name="Withdraw my signature").click()
    expect(public.get_by_text("has been withdrawn")).to_be_visible()
    public.goto(f"{live_server.url}/s/detainees")
    expect(public.get_by_text("Kim Jeong-sam (elder brother of a detainee)")).to_have_count(0)
    public.context.close()
