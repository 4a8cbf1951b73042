"""Finding a deadline's time zone by a city or a country, in English or Korean."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.i18n import using_locale
from app.statements import zones
from app.statements.models import Statement
from tests.factories import PASSWORD, make_user, open_statement
from tests.helpers import sign_in, submit


def test_cities_and_countries_in_both_languages_find_their_zone() -> None:
    for typed, zone in [
        ("Geneva", "Europe/Zurich"),
        ("geneva", "Europe/Zurich"),
        ("Genève", "Europe/Zurich"),
        ("제네바", "Europe/Zurich"),
        ("Switzerland", "Europe/Zurich"),
        ("스위스", "Europe/Zurich"),
        ("Seoul", "Asia/Seoul"),
        ("서울", "Asia/Seoul"),
        ("한국", "Asia/Seoul"),
        ("New York", "America/New_York"),
        ("뉴욕", "America/New_York"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Europe/Zurich", "Europe/Zurich"),
        ("UTC", "UTC"),
    ]:
        assert zones.resolve(typed) == zone, typed
        assert zones.search(typed)[0] == zone, typed


def test_a_name_that_means_several_zones_or_none_is_not_guessed() -> None:
    assert zones.resolve("United States") is None
    assert {"America/New_York", "America/Los_Angeles"} <= set(
        zones.search("United States", limit=100)
    )
    assert zones.resolve("Atlantis") is None
    assert zones.search("Atlantis") == []
    with using_locale("en"):
        assert "Several time zones match" in zones.not_found("United States")
        assert "No time zone matches “Atlantis”" in zones.not_found("Atlantis")


def test_the_suggestions_name_each_zone_in_the_readers_language_first() -> None:
    english = dict(zones.options("en"))
    korean = dict(zones.options("ko"))
    assert english["Europe/Zurich"].startswith("Zurich, Switzerland (Geneva")
    assert "제네바" in english["Europe/Zurich"]
    assert korean["Asia/Seoul"].startswith("서울, 대한민국")
    # One entry per place: no legacy aliases such as US/Eastern.
    assert "US/Eastern" not in english
    assert len(english) < 500


def test_the_extension_form_accepts_a_city_typed_without_javascript(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db, admin=True)
    statement = open_statement(db, owner=owner, slug="zones", deadline_zone="UTC")
    sign_in(client, owner.email, PASSWORD)
    overview = client.get("/statements/zones").text
    assert 'list="f-deadline-zone-list"' in overview
    assert 'id="f-reason"' in overview  # the reason is asked up front
    fields = {"deadline_date": "2099-03-21", "deadline_time": "13:00"}
    moved = submit(
        client,
        "/statements/zones",
        "/statements/zones/deadline",
        **fields,
        deadline_zone="제네바",
        reason="Partners asked for more time",
    )
    assert moved.status_code == 303, moved.text
    db.expire_all()
    assert db.get(Statement, statement.id).deadline_zone == "Europe/Zurich"  # type: ignore[union-attr]

    refused = submit(
        client,
        "/statements/zones",
        "/statements/zones/deadline",
        **fields,
        deadline_zone="United States",
        reason="More time",
    )
    assert refused.status_code == 422
    assert "Several time zones match “United States”" in refused.text
    db.expire_all()
    assert db.get(Statement, statement.id).deadline_zone == "Europe/Zurich"  # type: ignore[union-attr]


def test_the_editor_stores_the_zone_a_city_names(client: TestClient, db: Session) -> None:
    owner = make_user(db, admin=True)
    sign_in(client, owner.email, PASSWORD)
    created = submit(
        client,
        "/statements/new",
        title="A statement timed in Seoul",
        summary="Summary.",
        body="The text.",
        deadline_date="2099-03-21",
        deadline_time="13:00",
        deadline_zone="서울",
        coordinators="NKDB",
        language="en",
        signer_kinds="both",
        moderation="manual",
        list_order="individuals_first",
    )
    assert created.status_code == 303, created.text
    slug = created.headers["location"].rsplit("/", 1)[-1]
    assert slug == "a-statement-timed-in-seoul"
    assert db.exec(select(Statement).where(col(Statement.slug) == slug)).one().deadline_zone == (
        "Asia/Seoul"
    )
