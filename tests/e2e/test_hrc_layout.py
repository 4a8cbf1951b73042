"""The HRC written-statement layout on the list page in a real browser: the word count
against the limit for the lowest status, the warning when over, at desktop and phone
widths, in English and Korean, axe-clean; screenshots kept for review."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from app.accounts import service as accounts
from app.core.db import make_engine, new_session
from app.statements import service as statements
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_accessibility import FAILING_IMPACTS, axe_violations, new_context
from tests.factories import approve_signers, organisation, statement_input

pytestmark = pytest.mark.browser

PASSWORD = "lead password for e2e"
STATUSES = [("general", "Human Rights Watch"), ("special", "Transitional Justice Working Group"),
            ("none", "No Chain"), ("none", "Korea Future")]  # fmt: skip


def _seed(server: LiveServer) -> None:
    engine = make_engine(server.database_url)
    with new_session(engine) as session:
        lead = accounts.create_admin(
            session, name="Ada Lead", email="ada@tjwg.example", password=PASSWORD
        )
        body = " ".join(["We urge the Council to act on the detainees."] * 180)  # 1,620 words
        statement = statements.create_statement(
            session, actor=lead, data=statement_input(slug="hrc-written", body=body)
        )
        statements.open_statement(session, statement=statement, actor=lead)
        approve_signers(
            session,
            statement,
            [
                organisation(organisation=name, acronym="", email=f"o{n}@example.org",
                             website=f"https://o{n}.example.org", ecosoc_status=status)
                for n, (status, name) in enumerate(STATUSES)
            ],
        )  # fmt: skip
        session.commit()
    engine.dispose()


WORDS = {
    "en": (
        "The text has 1,620 words. The limit is 1,500 words, for the lowest status among the "
        "co-sponsors (Special consultative status).",
        "Over the limit by 120 words.",
    ),
    "ko": (
        "본문은 1,620 단어입니다. 공동 제출 단체 중 가장 낮은 지위(특별 협의 지위)의 한도는 "
        "1,500 단어입니다.",
        "한도를 120 단어 넘었습니다.",
    ),
}


def test_the_list_page_shows_the_word_count_against_the_limit(
    live_server: LiveServer, browser: Browser
) -> None:
    _seed(live_server)
    for lang in ("en", "ko"):
        context = new_context(browser, lang)
        page = context.new_page()
        page.goto(f"{live_server.url}/login?lang=en")  # the sign-in form in English
        live_server.sign_in(page, email="ada@tjwg.example", password=PASSWORD)
        for width, height in ((1280, 900), (375, 812)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/statements/hrc-written/list?lang={lang}")
            count, warning = WORDS[lang]
            expect(page.locator("#hrc-words")).to_have_text(count)
            expect(page.locator(".word-limit-over")).to_contain_text(warning)
            serious = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
            assert serious == [], serious
            page.locator("#hrc-heading").scroll_into_view_if_needed()
            screenshot(page, f"hrc-list-{lang}-{width}")
        with page.expect_download() as download:
            page.get_by_role("link", name="DOCX").click()
        assert download.value.suggested_filename == "hrc-written-hrc.docx"
        context.close()
