"""The lead's pages from issue 15 in Chromium, at 1280 px and 375 px, in English and Korean,
each checked with axe and kept as a screenshot: the editor after "Preview" on a long text,
a statement closed early and one finalised early (overview and public page, with the
reader's own time written in the page's style), the dashboard with the example button,
the review link and a new API token with their copy buttons, and a deadline moved to a
zone typed as a city."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from app.accounts.models import LoginSession, User
from app.core import dates
from app.core.db import make_engine, new_session, utcnow
from app.core.i18n import using_locale
from app.lists.final import service as final
from app.statements import service as statements
from app.statements.review import service as review
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_accessibility import AXE, FAILING_IMPACTS, axe_violations
from tests.factories import statement_input

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "lead@tjwg.example", "a long lead password for issue 15"
READER_ZONE = "Asia/Seoul"  # the browser's own zone: not the statements' (Europe/Zurich)
WIDTHS = (1280, 375)
LONG_TEXT = "\n\n".join(
    f"Paragraph {n}. The undersigned organisations call on all States to act." for n in range(120)
)


def _seed(live: LiveServer) -> dict[str, datetime]:
    """An open statement (with a review link), one closed five days before its deadline,
    and one closed and finalised early. Returns when the early ones closed."""
    live.create_lead(email=EMAIL, name="Ada Lead", password=PASSWORD)
    engine = make_engine(live.database_url)
    deadline = (utcnow() + timedelta(days=5)).date().isoformat()
    closed: dict[str, datetime] = {}
    with new_session(engine) as session:
        lead = session.exec(select(User)).one()
        for slug in ("still-open", "closed-early", "final-early"):
            data = statement_input(
                slug=slug,
                title=f"Joint statement {slug}",
                deadline_date=deadline,
                deadline_zone="Europe/Zurich",
            )
            statement = statements.create_statement(session, actor=lead, data=data)
            statements.open_statement(session, statement=statement, actor=lead)
            if slug != "still-open":
                statements.close_statement(session, statement=statement, actor=lead)
                assert statement.closed_at is not None
                closed[slug] = statement.closed_at
            if slug == "final-early":
                final.finalise(session, statement=statement, actor=lead)
            if slug == "still-open":
                review.create_link(session, statement=statement, actor=lead, label="Partners")
        session.commit()
    engine.dispose()
    return closed


def _check(page: Page, name: str) -> None:
    """axe on the page as it is, then a full-page screenshot to look at."""
    found = [
        f"[{v['impact']}] {v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:4]]}"
        for v in axe_violations(page)
        if v["impact"] in FAILING_IMPACTS
    ]
    assert not found, f"{page.url}\n" + "\n".join(found)
    screenshot(page, f"issue15-{name}", full_page=True)


def _reader_time(instant: datetime, lang: str) -> str:
    """What local-time.js must write: the reader's clock in the page's own style."""
    with using_locale(lang):
        return dates._day_and_time(instant.astimezone(ZoneInfo(READER_ZONE)))


def _sign_in(page: Page, live: LiveServer) -> None:
    """Sign in, then count this browser as having just proved a second factor (creating
    a token needs a step-up; factors and step-up have their own browser tests)."""
    page.goto(live.url + "/login?lang=en")
    form = page.locator("form[action='/login']")
    form.locator("input[name=email]").fill(EMAIL)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard"))
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        for login in session.exec(select(LoginSession)):
            login.stepped_up_at = utcnow()
        session.commit()
    engine.dispose()


def test_lead_pages_at_both_widths_in_both_languages(
    browser: Browser, live_server: LiveServer
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` runs `npm ci` to install axe-core")
    closed = _seed(live_server)
    url = live_server.url
    for lang in ("en", "ko"):
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                locale="ko-KR" if lang == "ko" else "en-GB",
                timezone_id=READER_ZONE,
            )
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            _sign_in(page, live_server)
            tag = f"{lang}-{width}"
            label = "your time:" if lang == "en" else "내 시간대:"

            # The dashboard: closed statements say when they closed; the example stays.
            page.goto(f"{url}/dashboard?lang={lang}")
            expect(page.locator("html")).to_have_attribute("lang", lang)
            expect(page.locator("form[action='/demo'] button")).to_be_visible()
            _check(page, f"dashboard-{tag}")

            # Closed early: the public page tells the truth, with the reader's own time.
            page.goto(f"{url}/s/closed-early?lang={lang}")
            status = page.locator("aside.status-box")
            expect(status).to_contain_text("early" if lang == "en" else "일찍 마감")
            expect(status.locator(".local-time").first).to_have_text(
                f" ({label} {_reader_time(closed['closed-early'], lang)})"
            )
            _check(page, f"public-closed-early-{tag}")

            page.goto(f"{url}/statements/closed-early?lang={lang}")
            next_step = page.locator("section.card").filter(has=page.locator("h2")).first
            expect(next_step.locator("a[href$='/finalise']")).to_be_visible()
            expect(page.locator("dl.facts")).not_to_contain_text(re.compile(r"in \d+ days"))
            _check(page, f"overview-closed-early-{tag}")

            # Finalised early: "Final", never a countdown, and the final document offered.
            page.goto(f"{url}/s/final-early?lang={lang}")
            expect(page.locator(".badge.status-final")).to_have_text(
                "Final" if lang == "en" else "최종"
            )
            _check(page, f"public-final-early-{tag}")
            page.goto(f"{url}/statements/final-early?lang={lang}")
            expect(page.locator("section.card a[href='/s/final-early/final']")).to_be_visible()
            expect(page.locator("dl.facts")).not_to_contain_text(re.compile(r"in \d+ days"))
            _check(page, f"overview-final-early-{tag}")

            # The editor after "Preview" on a long text: the text area stays by its label.
            page.goto(f"{url}/statements/new?lang={lang}")
            page.locator("#f-body").fill(LONG_TEXT)
            page.locator("button[name=preview]").click()
            expect(page.locator("#preview-body")).to_contain_text("Paragraph 119")
            label_box = page.locator("label[for=f-body]").bounding_box()
            area_box = page.locator("#f-body").bounding_box()
            assert label_box and area_box
            assert area_box["y"] - (label_box["y"] + label_box["height"]) < 120, (
                label_box,
                area_box,
            )
            expect(page.locator("#f-body-hint code").first).to_be_visible()
            expect(page.locator("#f-body-hint")).to_contain_text("<sup>th</sup>")
            _check(page, f"editor-preview-{tag}")

            # The review link: selectable, and copied with one click.
            page.goto(f"{url}/statements/still-open/review?lang={lang}")
            link = page.locator("input.copyable").first
            copy = page.locator("button[data-copy]").first
            expect(copy).to_be_visible()
            copy.click()
            assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
            _check(page, f"review-copy-{tag}")

            # A new API token, shown once, with its copy button.
            page.goto(f"{url}/account/tokens?lang={lang}")
            page.locator("form[action='/account/tokens'] input[name=name]").fill(f"sync {tag}")
            page.locator("form[action='/account/tokens'] button[type=submit]").click()
            token = page.locator("#new-token")
            expect(token).to_have_value(re.compile(r"^us_"))
            page.locator("button[data-copy=new-token]").click()
            assert page.evaluate("navigator.clipboard.readText()") == token.input_value()
            _check(page, f"token-copy-{tag}")
            context.close()


def test_a_deadline_moves_to_a_zone_typed_as_a_city_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    _seed(live_server)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/statements/still-open?lang=ko")
    # The reason is there from the start; the zone is one click away, not a long list.
    expect(page.locator("#f-reason")).to_be_visible()
    expect(page.locator("#f-deadline-zone")).to_be_hidden()
    page.locator("details.zone-change summary").click()
    page.locator("#f-deadline-zone").fill("제네바")
    later = (utcnow() + timedelta(days=20)).date().isoformat()
    page.locator("#f-deadline").fill(later)
    page.locator("#f-deadline-time").fill("13:00")
    page.locator("#f-reason").fill("파트너 단체들이 시간을 더 요청했습니다")
    page.locator("form[action$='/deadline'] button[type=submit]").click()
    expect(page.locator("dl.facts")).to_contain_text("취리히 시간(CE")
    screenshot(page, "issue15-deadline-moved-ko-375", full_page=True)
    context.close()
