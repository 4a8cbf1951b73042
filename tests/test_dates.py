"""Times on team pages: in the reader's language, in the statement's zone (or UTC), the
zone named, the exact instant kept in `<time datetime>`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import dates
from app.core.i18n import using_locale
from app.statements.models import StatementVersion
from tests.factories import PASSWORD, make_statement, make_user
from tests.helpers import sign_in

INSTANT = datetime(2026, 3, 21, 12, 5, 30, tzinfo=UTC)
RAW_TIMESTAMP = re.compile(r">\d{4}-\d\d-\d\d \d\d:\d\d")


def test_an_instant_in_the_readers_language_and_a_named_zone() -> None:
    with using_locale("en"):
        assert dates.format_when(INSTANT) == "21 March 2026, 12:05 UTC"
        assert (
            dates.format_when(INSTANT, "Europe/Zurich") == "21 March 2026, 13:05 Zurich time (CET)"
        )
        assert dates.format_day(date(2026, 3, 21)) == "21 March 2026"
    with using_locale("ko"):
        assert dates.format_when(INSTANT, "Asia/Seoul") == "2026년 3월 21일 21:05 서울 시간(KST)"
        assert (
            dates.format_when(INSTANT, "Europe/Zurich") == "2026년 3월 21일 13:05 취리히 시간(CET)"
        )
        assert dates.format_day(INSTANT) == "2026년 3월 21일"
    # A zone that is not one falls back to UTC rather than failing the page.
    assert dates.format_when(INSTANT, "Mars/Olympus").endswith(" UTC")
    assert str(dates.when(INSTANT)) == (
        '<time datetime="2026-03-21T12:05:30+00:00">21 March 2026, 12:05 UTC</time>'
    )
    assert str(dates.when(None)) == ""


def test_the_zone_is_named_as_people_say_it() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with using_locale("en"):
        # Summer time has its own abbreviation; a zone without one shows its offset.
        assert dates.format_when(summer, "Europe/Zurich") == "1 July 2026, 14:00 Zurich time (CEST)"
        assert dates.format_when(summer, "America/Sao_Paulo").endswith(
            "09:00 Sao Paulo time (UTC-3)"
        )
        assert dates.format_when(summer, "Asia/Kolkata").endswith("17:30 Kolkata time (IST)")
        assert dates.format_when(summer, "America/New_York").endswith("08:00 New York time (EDT)")
        assert dates.zone_name("Europe/Zurich") == "Zurich time"
        assert dates.zone_name("UTC") == "UTC"
    with using_locale("ko"):
        assert dates.zone_name("Asia/Seoul") == "서울 시간"
        assert dates.format_when(summer, "America/New_York").endswith("08:00 뉴욕 시간(EDT)")


def test_the_readers_own_time_is_written_in_the_same_style() -> None:
    """local-time.js writes the reader's time with the pattern and joiner the page hands it
    (the browser side is checked in tests/e2e/test_lead_pages.py with a Seoul reader)."""
    deadline = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    with using_locale("en"):
        html = str(dates.deadline(deadline, "Europe/Zurich"))
        assert 'data-day-pattern="d MMMM y"' in html
        assert 'data-joiner="{1}, {0}"' in html
        assert 'data-local-label="your time:"' in html
        assert ">5 December 2026, 13:00 Zurich time (CET)</time>" in html
    with using_locale("ko"):
        html = str(dates.deadline(deadline, "Europe/Zurich"))
        assert 'data-day-pattern="y년 MMMM d일"' in html
        assert 'data-joiner="{1} {0}"' in html
        assert ">2026년 12월 5일 13:00 취리히 시간(CET)</time>" in html


def test_a_korean_team_page_shows_korean_dates_in_the_statements_zone(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db, admin=True)
    statement = make_statement(db, owner=owner, slug="hrc58", deadline_zone="Asia/Seoul")
    version = db.exec(
        select(StatementVersion).where(col(StatementVersion.statement_id) == statement.id)
    ).one()
    version.created_at = INSTANT
    db.flush()
    sign_in(client, owner.email, PASSWORD)

    korean = client.get("/statements/hrc58/versions?lang=ko").text
    assert (
        '<time datetime="2026-03-21T12:05:30+00:00">2026년 3월 21일 21:05 서울 시간(KST)</time>'
        in (korean)
    )
    english = client.get("/statements/hrc58/versions?lang=en").text
    assert ">21 March 2026, 21:05 Seoul time (KST)</time>" in english

    for path in ("", "/versions/1", "/audit", "/signatures", "/translations", "/review"):
        page = client.get(f"/statements/hrc58{path}?lang=ko")
        assert page.status_code == 200, path
        assert not RAW_TIMESTAMP.search(page.text), path
    for path in ("/account", "/account/tokens", "/team", "/outbox"):
        page = client.get(f"{path}?lang=ko")
        assert not RAW_TIMESTAMP.search(page.text), path
