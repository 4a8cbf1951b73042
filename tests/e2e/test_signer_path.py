"""The signer's side in Chromium, in English and Korean, each page looked at 1280 px and
375 px wide, with axe-core: the path from the statement to a confirmed signature counted
(statement → form → "check your email" → confirm link → done, no more), the masked address
with "wrong address?", the edit link and its confirmation, a late signer's page and the
team's corrections."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Frame, Page, expect
from sqlmodel import select

from app.accounts.models import User
from app.core.db import make_engine, new_session, utcnow
from app.statements import service as statements
from app.statements.models import Statement
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_accessibility import AXE, FAILING_IMPACTS, axe_violations
from tests.factories import statement_input
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser
PASSWORD = "lead password for the signer path"
SLUG = "long-statement"
WIDTHS = (1280, 375)
# A long text, as statements are: the second Sign button has something to follow.
BODY = "\n\n".join(
    f"{n}. We call upon **all States** to press for the release of every arbitrarily "
    "detained person, to support the families of the disappeared, and to cooperate with "
    "the special procedures of the Human Rights Council."
    for n in range(1, 31)
)


def _open_statement(live: LiveServer) -> None:
    live.create_lead(email="lead@tjwg.example", name="Coordinator", password=PASSWORD)
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        lead = session.exec(select(User)).one()
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug=SLUG, body=BODY, moderation="manual")
        )
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
    engine.dispose()


def _close_statement(live: LiveServer) -> None:
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        statement = session.exec(select(Statement)).one()
        statement.deadline_at = utcnow()
        session.commit()
    engine.dispose()


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    lang = request.node.callspec.params["lang"]
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="ko-KR" if lang == "ko" else "en-GB"
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    yield page
    context.close()


def look(page: Page, name: str, lang: str) -> None:
    """The page as it is now at both widths: a screenshot to look at, and axe-clean."""
    assert page.evaluate("document.documentElement.lang") == lang
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
        screenshot(page, f"signer-{name}-{lang}-{width}", full_page=True)
        serious = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        assert not serious, f"{name} {lang} {width}: {serious}"
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} {lang} {width}: wider than the screen"
    page.set_viewport_size({"width": 375, "height": 740})


def _mails(smtp: RecordingHandler, to: str, count: int) -> list[EmailMessage]:
    """The first `count` messages to `to`, waiting for them to arrive (15 s at most)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if to in str(m["To"])]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} emails to {to}")


def _link(message: EmailMessage, path: str) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    match = re.search(rf"(http://127\.0\.0\.1:\d+/{path}/\S+)", str(part.get_content()))
    assert match, part.get_content()
    return match.group(1)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_signer_path_has_four_steps_and_every_page_reads_well(
    lang: str, live_server: LiveServer, smtp_server: RecordingHandler, phone_page: Page
) -> None:
    _open_statement(live_server)
    page = phone_page
    visited: list[str] = []

    def loaded(frame: Frame) -> None:
        if frame == page.main_frame:
            visited.append(urlsplit(frame.url).path)

    page.on("framenavigated", loaded)
    email = f"signer-{lang}@example.org"

    # 1. The statement: a Sign button above the text, and on a phone one kept in view.
    page.goto(f"{live_server.url}/s/{SLUG}")
    expect(page.locator(".sign-after a.button")).to_be_in_viewport()
    screenshot(page, f"signer-statement-phone-{lang}")  # the sticky button, as first seen
    look(page, "statement", lang)
    page.locator(".status-box .sign-cta a").click()

    # 2. The form: the privacy label one sentence, the note a textarea with its limit.
    page.wait_for_url(re.compile(r"/sign$"))
    label = page.locator("label:has(#f-consent_privacy)")
    assert label.evaluate("l => l.children.length") == 2  # the box, and one sentence
    assert page.locator("#f-note").evaluate("e => e.tagName") == "TEXTAREA"
    assert page.locator("#f-note").get_attribute("maxlength") == "300"
    page.locator("input[name=kind][value=individual]").check()
    page.locator("#f-name").fill("Choi Hana")
    page.locator("#f-note").fill("sister of a detainee")
    page.locator("#f-signer_country").select_option("KR")
    page.locator("#f-email").fill(email)
    page.locator("#f-consent_privacy").check()
    look(page, "sign", lang)
    page.locator("form.sign-form button[type=submit]").last.click()  # first: Enter's, hidden

    # 3. "Check your email", naming the address masked, with "wrong address?".
    page.wait_for_url(re.compile(r"/check-your-email$"))
    expect(page.locator("main")).to_contain_text("s•••@example.org")
    expect(page.locator("main a[href$='/sign?again=1']")).to_be_visible()
    look(page, "check-your-email", lang)

    # 4. The emailed link, and its Confirm button: done.
    confirm = _link(_mails(smtp_server, email, 1)[0], "confirm")
    page.goto(confirm)
    look(page, "confirm", lang)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    done = page.locator("main [role=status]").inner_text()
    assert not re.search(r"[.。]\S", done.strip()), done  # sentences spaced apart
    look(page, "confirmed", lang)
    path = [f"/s/{SLUG}", f"/s/{SLUG}/sign", f"/s/{SLUG}/sign/check-your-email"]
    confirm_path = urlsplit(confirm).path
    assert visited == [*path, confirm_path, confirm_path], visited

    # Wrong address? The form comes back with what was typed.
    page.goto(f"{live_server.url}/s/{SLUG}/sign?again=1")
    expect(page.locator("#f-email")).to_have_value(email)
    expect(page.locator("#f-note")).to_have_value("sister of a detainee")
    look(page, "sign-again", lang)

    # The thank-you email's edit link: a change, re-confirmed by email.
    edit = _link(_mails(smtp_server, email, 2)[1], "edit")
    page.goto(edit)
    look(page, "edit", lang)
    page.locator("#f-note").fill("younger sister of a detainee")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    look(page, "edit-sent", lang)
    change = _link(_mails(smtp_server, email, 3)[2], "edit-confirm")
    page.goto(change)
    expect(page.locator("main dl")).to_contain_text("younger sister of a detainee")
    look(page, "edit-confirm", lang)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    look(page, "edit-done", lang)

    # The team's page: the signer's change and the corrections of every shown detail.
    page.goto(f"{live_server.url}/login?lang=en")  # the helper signs in in English
    live_server.sign_in(page, email="lead@tjwg.example", password=PASSWORD)
    page.goto(f"{live_server.url}/statements/{SLUG}/signatures?lang={lang}")
    page.locator(f"main a[href^='/statements/{SLUG}/signatures/']", has_text="Choi Hana").click()
    expect(page.locator("main ins")).to_contain_text("younger sister of a detainee")
    expect(page.locator("#f-display_note")).to_be_visible()
    expect(page.locator("#f-display_country")).to_be_visible()
    look(page, "team-signature", lang)

    # A late signer: the statement, when it closed and whom to write to; no form.
    _close_statement(live_server)
    page.goto(f"{live_server.url}/s/{SLUG}/sign")
    expect(page.locator(".closed-box")).to_be_visible()
    expect(page.locator(".closed-box a[href^='mailto:']")).to_be_visible()
    expect(page.locator("#f-name")).to_have_count(0)
    look(page, "late", lang)
