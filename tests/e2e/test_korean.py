"""Signing through the Korean interface in a real browser: the switcher sets the language,
the form and both emails are in Korean, the public page shows Korean dates and counts,
and the English page of the same statement shows the same list."""

from __future__ import annotations

import re
import time
from datetime import date
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app.accounts.models import User
from app.core.db import make_engine, new_session
from app.statements import service as statements
from tests.e2e.conftest import LiveServer, screenshot
from tests.factories import statement_input
from tests.smtp_server import RecordingHandler

pytestmark = pytest.mark.browser
SLUG = "joint-statement-ko"
SIGNER = "kim@example.org"


def _open_statement(live: LiveServer, *, year: int) -> None:
    live.create_lead(email="lead@tjwg.example", name="Coordinator", password="lead password ko")
    engine = make_engine(live.database_url)
    with new_session(engine) as session:
        lead = session.exec(select(User)).one()
        data = statement_input(
            slug=SLUG,
            moderation="auto_all",  # confirming by email approves at once
            deadline_date=f"{year}-03-21",
            deadline_time="18:00",
            deadline_zone="Asia/Seoul",
        )
        statement = statements.create_statement(session, actor=lead, data=data)
        statements.open_statement(session, statement=statement, actor=lead)
        session.commit()
    engine.dispose()


def _mail(smtp: RecordingHandler, *, to: str, count: int, timeout: float = 15) -> EmailMessage:
    """The `count`-th message to `to`, waiting for it to arrive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if to in str(m["To"])]
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"message {count} to {to} did not arrive within {timeout} s")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_sign_in_korean_and_see_the_same_list_in_english(
    live_server: LiveServer, smtp_server: RecordingHandler, page: Page
) -> None:
    year = date.today().year + 1
    _open_statement(live_server, year=year)

    # The browser asks for English; the visible switcher turns the page into Korean.
    page.goto(f"{live_server.url}/s/{SLUG}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="한국어").click()
    expect(page).to_have_url(re.compile(rf"/s/{SLUG}\?lang=ko$"))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_text(f"{year}년 3월 21일", exact=False).first).to_be_visible()

    # The cookie keeps Korean from here on, without ?lang= in the links.
    page.get_by_role("link", name="이 성명에 서명하기").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("서명하기:")
    page.get_by_label("개인 자격으로").check()
    page.get_by_label("이름", exact=True).fill("김정삼")
    page.get_by_label("이름과 함께 표시할 짧은 메모(선택)").fill("억류자의 형")
    page.get_by_label("귀하의 소재 국가(선택)").select_option("KR")
    expect(page.get_by_label("귀하의 소재 국가(선택)").locator("option:checked")).to_have_text(
        "대한민국"
    )
    page.get_by_label("이메일 주소").fill(SIGNER)
    page.get_by_label("실명 공개").check()
    page.get_by_label("다음에 동의합니다").check()
    screenshot(page, "ko-sign-form", full_page=True)
    page.wait_for_timeout(3100)  # a person takes a few seconds; faster forms are held
    page.get_by_role("button", name="서명하기", exact=True).click()
    expect(page.get_by_role("heading", name="이메일을 확인하십시오")).to_be_visible()

    confirm = _mail(smtp_server, to=SIGNER, count=1)
    assert str(confirm["Subject"]).startswith("서명을 확인해 주십시오")
    body = _text(confirm)
    assert "김정삼 님, 안녕하세요." in body
    assert "서명하지 않으셨다면" in body
    link = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", body)
    assert link, body

    page.goto(link.group(1))
    page.get_by_role("button", name="서명 확인").click()
    expect(page.get_by_role("status")).to_contain_text("서명이 확인되었습니다.")
    expect(page.get_by_role("status")).to_contain_text("이제 서명이 집계됩니다.")  # approved
    thanks = _mail(smtp_server, to=SIGNER, count=2)
    assert str(thanks["Subject"]).startswith("서명해 주셔서 감사합니다")

    page.goto(f"{live_server.url}/s/{SLUG}")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    status = page.get_by_role("complementary", name="서명")
    expect(status).to_contain_text(f"{year}년 3월 21일")
    expect(status).to_contain_text("개인 1명")
    expect(page.get_by_role("heading", name=re.compile(r"^서명자 \(.+ 기준\)$"))).to_be_visible()
    expect(page.get_by_text("1개국의 개인 1명")).to_be_visible()
    expect(page.get_by_text("김정삼 (억류자의 형)")).to_be_visible()
    shot = screenshot(page, "ko-public", full_page=True)
    assert shot.stat().st_size > 0

    page.goto(f"{live_server.url}/s/{SLUG}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("complementary", name="Signing")).to_contain_text(f"21 March {year}")
    expect(page.get_by_text("1 individual from 1 country")).to_be_visible()
    expect(page.get_by_text("김정삼 (억류자의 형)")).to_be_visible()
    screenshot(page, "ko-public-in-english", full_page=True)
