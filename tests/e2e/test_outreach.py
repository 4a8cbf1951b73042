"""Coalition outreach in a real browser, with the real worker and SMTP: the lead imports a
roster and invites three organisations; one signs through its pre-filled link, one
declines, the third gets exactly one reminder at deadline − 24 h (the reminder job run
with a controlled clock, never slept) and nothing after signing; a partner's referral
link brings a signature; the overview shows the statuses, the per-partner counts and
the chart. The outreach pages are axe-checked and photographed in English and Korean."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.config import get_settings
from app.core.db import make_engine, new_session
from app.mail.models import OutboxMessage
from app.outreach import reminders, service
from app.statements import service as statements
from app.statements.models import Statement
from tests.e2e.conftest import SECRET_KEY, LiveServer, screenshot
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.factories import statement_input
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser
PASSWORD = "lead password for outreach"
ROSTER = Path(__file__).parents[1] / "fixtures" / "outreach_roster.csv"
TJWG, NKHR, NO_CHAIN = "director@tjwg.org", "joanna@nkhr.or.kr", "gwangil@nochain.example"


@contextmanager
def _database(live: LiveServer) -> Iterator[Session]:
    """The server's database, with links signed by the server's key and address."""
    engine = make_engine(live.database_url)
    settings = get_settings()
    with pytest.MonkeyPatch.context() as patch, new_session(engine) as session:
        patch.setattr(settings, "secret_key", SecretStr(SECRET_KEY))
        patch.setattr(settings, "base_url", live.url)
        yield session
    engine.dispose()


def _open_statement(live: LiveServer) -> datetime:
    live.create_lead(email="lead@tjwg.example", name="Coordinator", password=PASSWORD)
    with _database(live) as session:
        lead = session.exec(select(User)).one()
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug="hrc61", moderation="manual")
        )
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
        return statement.deadline_at


def _run_reminders(live: LiveServer, now: datetime) -> int:
    with _database(live) as session:
        sent = reminders.send_due_reminders(session, now=now)
        session.commit()
    return sent


def _reminder_rows(live: LiveServer, to: str) -> int:
    with _database(live) as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.kind) == service.REMINDER_KIND)
        ).all()
        return sum(1 for m in rows if m.to_address == to)  # addresses are encrypted


def _mail(smtp: RecordingHandler, *, to: str, subject: str, timeout: float = 30) -> str:
    """The text of the first message to `to` whose subject has `subject`, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.messages:
            if to in str(message["To"]) and subject in str(message["Subject"]):
                return _text(message)
        time.sleep(0.1)
    raise AssertionError(f"no “{subject}” email to {to} within {timeout} s")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _count(smtp: RecordingHandler, *, to: str, subject: str) -> int:
    return sum(1 for m in smtp.messages if to in str(m["To"]) and subject in str(m["Subject"]))


def _link(text: str, pattern: str) -> str:
    match = re.search(rf"(http://127\.0\.0\.1:\d+{pattern}\S*)", text)
    assert match, text
    return match.group(1)


def _sign_prefilled(page: Page, link: str, smtp: RecordingHandler, *, email: str) -> None:
    """Sign through a personal link: the organisation is there already; the signer gives
    their own name and address, and confirms from their own mailbox."""
    page.goto(link)
    expect(page.get_by_label("Organisation name")).not_to_have_value("")
    page.get_by_label("Your full name").fill("Signer at the organisation")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("By name").check()
    page.get_by_label("I am authorised to sign on behalf of this organisation.").check()
    page.get_by_label("I agree to the").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _confirm(page, smtp, email=email)


def _confirm(page: Page, smtp: RecordingHandler, *, email: str) -> None:
    page.goto(_link(_mail(smtp, to=email, subject="Please confirm"), "/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("status")).to_contain_text("Your signature is confirmed")


def _check_axe(page: Page, name: str) -> None:
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


def _look(browser: Browser, state: dict[str, object], url: str, name: str) -> None:
    """Screenshots at 1280 and 375 px, in English and Korean, each page axe-checked."""
    for lang in ("en", "ko"):
        for width in (1280, 375):
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                locale="ko-KR" if lang == "ko" else "en-GB",
                storage_state=state,  # type: ignore[arg-type]
            )
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            response = page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
            assert response is not None and response.status == 200, url
            assert page.evaluate("document.documentElement.lang") == lang
            _check_axe(page, f"{name} {lang} {width}")
            screenshot(page, f"outreach-{name}-{lang}-{width}", full_page=True)
            context.close()


def test_invite_decline_remind_sign_and_see_the_overview(
    live_server: LiveServer, smtp_server: RecordingHandler, page: Page, browser: Browser
) -> None:
    live = live_server
    deadline = _open_statement(live)
    live.sign_in(page, email="lead@tjwg.example", password=PASSWORD)
    base = f"{live.url}/statements/hrc61/outreach"

    # The roster, from CSV: three organisations; a look-alike and a bad row are reported.
    page.goto(base + "/roster")
    page.get_by_label("CSV with a heading row").fill(ROSTER.read_text())
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("3 organisations added.")
    expect(page.get_by_role("status")).to_contain_text("Line 6:")

    # A partner's referral link.
    page.goto(base)
    page.get_by_label("Co-lead or partner organisation").fill("Asia network")
    page.get_by_role("button", name="Make a referral link").click()
    referral = page.locator("#referrals + p + div code").first.inner_text()
    assert "?ref=" in referral

    # Invite the three; a pasted bad address is shown before anything is sent.
    page.goto(base + "/invite")
    page.get_by_label("Or paste addresses").fill("not an address")
    page.get_by_label("Your message").fill("Dear partners,\n\nPlease join us before the session.")
    page.get_by_role("button", name="Check before sending").click()
    expect(page.locator("#pasted-check")).to_contain_text("not an address")
    page.get_by_label("Or paste addresses").fill("")
    page.get_by_role("button", name="Send the invitations").click()
    page.wait_for_url(re.compile(r"/outreach$"))
    expect(page.locator("main")).to_contain_text("Invited: 3")

    invitation = {
        to: _mail(smtp_server, to=to, subject=subject)
        for to, subject in [
            (TJWG, "Invitation to sign"),
            (NKHR, "서명 초대"),
            (NO_CHAIN, "Invitation"),
        ]
    }
    assert "Please join us before the session." in invitation[TJWG]

    signer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    # TJWG signs through its personal link (forwarded to a colleague, who confirms).
    _sign_prefilled(
        signer, _link(invitation[TJWG], "/s/hrc61/sign/i/"), smtp_server, email="colleague@tjwg.org"
    )
    # NKHR declines with one click on its page.
    signer.goto(_link(invitation[NKHR], "/o/[^/]+/decline"))
    signer.locator("main form button").click()
    expect(signer.get_by_role("status")).to_be_visible()
    # Someone signs through the partner's referral link.
    signer.goto(referral)
    signer.get_by_label("As an individual").check()
    signer.get_by_label("Your full name").fill("Referred Person")
    signer.get_by_label("Your country").select_option("JP")
    signer.get_by_label("Email address").fill("referred@example.org")
    signer.get_by_label("By name").check()
    signer.get_by_label("I agree to the").check()
    signer.get_by_role("button", name="Sign", exact=True).click()
    _confirm(signer, smtp_server, email="referred@example.org")

    # The clock at deadline − 24 h: one reminder, to No Chain only.
    assert _run_reminders(live, deadline - timedelta(hours=24) + timedelta(minutes=1)) == 1
    reminder = _mail(smtp_server, to=NO_CHAIN, subject="Reminder")
    assert "/stop" in reminder
    assert _run_reminders(live, deadline - timedelta(hours=23)) == 0
    # No Chain signs after its reminder; later runs send it nothing.
    _sign_prefilled(
        signer, _link(reminder, "/s/hrc61/sign/i/"), smtp_server, email="gwangil@nochain.example"
    )
    assert _run_reminders(live, deadline - timedelta(minutes=1)) == 0
    assert _reminder_rows(live, NO_CHAIN) == 1
    assert _reminder_rows(live, TJWG) == _reminder_rows(live, NKHR) == 0
    assert _count(smtp_server, to=NO_CHAIN, subject="Reminder") == 1

    # The overview: statuses, the partner's count, the chart.
    page.goto(base)
    rows = page.locator("main table").first
    expect(rows.locator("tr", has_text=TJWG)).to_contain_text("Signed")
    expect(rows.locator("tr", has_text=NKHR)).to_contain_text("Declined")
    expect(rows.locator("tr", has_text=NO_CHAIN)).to_contain_text("Signed")
    expect(page.locator("#referrals + p + div tr", has_text="Asia network")).to_contain_text("1")
    expect(page.locator("figure.chart-figure svg rect").first).to_be_visible()
    with _database(live) as session:
        statement = session.exec(select(Statement)).one()
        assert statement.slug == "hrc61"
    counts = page.request.get(f"{live.url}/s/hrc61/signing-over-time.json").json()
    assert counts["total"] == 0  # nothing approved yet: the public sees only the list

    state = dict(page.context.storage_state())
    for path, name in [("", "overview"), ("/roster", "roster"), ("/invite", "invite")]:
        _look(browser, state, base + path, name)
    _look(browser, {}, _link(invitation[NKHR], "/o/[^/]+/decline"), "declined")
    _look(browser, {}, _link(invitation[TJWG], "/s/hrc61/sign/i/"), "sign-prefilled")
    signer.context.close()
