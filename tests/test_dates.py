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
        assert dates.format_when(INSTANT) == "Mar 21, 2026, 12:05 UTC"
        assert dates.format_when(INSTANT, "Europe/Zurich") == "Mar 21, 2026, 13:05 Europe/Zurich"
        assert dates.format_day(date(2026, 3, 21)) == "Mar 21, 2026"
    with using_locale("ko"):
        assert dates.format_when(INSTANT, "Asia/Seoul") == "2026년 3월 21일 21:05 Asia/Seoul"
        assert dates.format_day(INSTANT) == "2026년 3월 21일"
    # A zone that is not one falls back to UTC rather than failing the page.
    assert dates.format_when(INSTANT, "Mars/Olympus").endswith(" UTC")
    assert str(dates.when(INSTANT)) == (
        '<time datetime="2026-03-21T12:05:30+00:00">Mar 21, 2026, 12:05 UTC</time>'
    )
    assert str(dates.when(None)) == ""


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
    assert '<time datetime="2026-03-21T12:05:30+00:00">2026년 3월 21일 21:05 Asia/Seoul</time>' in (
        korean
    )
    english = client.get("/statements/hrc58/versions?lang=en").text
    assert ">Mar 21, 2026, 21:05 Asia/Seoul</time>" in english

    for path in ("", "/versions/1", "/audit", "/signatures", "/translations", "/review"):
        page = client.get(f"/statements/hrc58{path}?lang=ko")
        assert page.status_code == 200, path
        assert not RAW_TIMESTAMP.search(page.text), path
    for path in ("/account", "/account/tokens", "/team", "/outbox"):
        page = client.get(f"{path}?lang=ko")
        assert not RAW_TIMESTAMP.search(page.text), path
