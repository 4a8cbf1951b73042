"""A statement closed or finalised before its deadline: the public page, the overview and
the dashboard tell what happened, never a future closing date or a countdown."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.core.db import utcnow
from app.lists.final import service as final
from app.statements import service as statements
from app.statements.inputs import slugify
from app.statements.models import Statement
from tests.factories import PASSWORD, make_user, open_statement
from tests.helpers import sign_in

COUNTDOWN = re.compile(r"\bin \d+ (days|hours)\b")


def _closed_early(db: Session, owner: User, slug: str) -> Statement:
    deadline = (utcnow() + timedelta(days=5)).date().isoformat()
    statement = open_statement(
        db, owner=owner, slug=slug, deadline_date=deadline, deadline_zone="Europe/Zurich"
    )
    statements.close_statement(db, statement=statement, actor=owner)
    return statement


def test_a_statement_closed_early_says_so_everywhere(client: TestClient, db: Session) -> None:
    owner = make_user(db, admin=True)
    statement = _closed_early(db, owner, "closed-early")
    sign_in(client, owner.email, PASSWORD)

    public = client.get("/s/closed-early?lang=en").text
    assert "Signatures closed early, on" in public
    assert "The deadline had been" in public
    assert "Zurich time (CE" in public
    assert not COUNTDOWN.search(public)

    overview = client.get("/statements/closed-early?lang=en").text
    assert "Closed early, on" in overview
    assert not COUNTDOWN.search(overview)
    next_step = overview.split("Next step", 1)[1].split("</section>", 1)[0]
    assert "/statements/closed-early/finalise" in next_step

    dashboard = client.get("/dashboard?lang=en").text
    assert "Closed on" in dashboard
    assert not COUNTDOWN.search(dashboard)

    korean = client.get("/s/closed-early?lang=ko").text
    assert "서명이 일찍 마감되었습니다:" in korean
    assert "취리히 시간(CE" in korean
    assert statement.closed_at is not None and statement.closed_at < statement.deadline_at


def test_a_statement_finalised_early_is_final_with_its_document(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db, admin=True)
    statement = _closed_early(db, owner, "final-early")
    final.finalise(db, statement=statement, actor=owner)
    sign_in(client, owner.email, PASSWORD)

    public = client.get("/s/final-early?lang=en").text
    assert '<span class="badge status-final">Final</span>' in public
    assert "Signatures closed early, on" in public
    assert ">Closed</span>" not in public

    overview = client.get("/statements/final-early?lang=en").text
    assert "final" in overview
    assert not COUNTDOWN.search(overview)
    next_step = overview.split("Next step", 1)[1].split("</section>", 1)[0]
    assert "/s/final-early/final" in next_step

    korean = client.get("/statements/final-early?lang=ko").text
    assert "확정" in korean.split("다음 단계", 1)[1].split("</section>", 1)[0]


def test_an_open_statement_counts_down_and_offers_to_close(client: TestClient, db: Session) -> None:
    owner = make_user(db, admin=True)
    open_statement(db, owner=owner, slug="still-open")
    sign_in(client, owner.email, PASSWORD)
    overview = client.get("/statements/still-open?lang=en").text
    assert "/statements/still-open/close" in overview
    assert "Closed early" not in overview
    assert 'id="f-reason"' in overview  # the extension's reason is asked up front


def test_the_automatic_address_of_a_long_title_is_short_and_cut_at_a_word() -> None:
    title = (
        "Joint statement of civil society organisations on the situation of human rights "
        "in the Democratic People's Republic of Korea"
    )
    slug = slugify(title)
    assert slug == "joint-statement-of-civil-society"
    assert len(slug) <= 40
    assert slugify("Short title") == "short-title"
    assert slugify("Ａ" + "x" * 60) == "x" * 40
    assert slugify("서명") == ""
