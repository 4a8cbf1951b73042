"""The statement lifecycle and its deadline, at the service level, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors
from app.statements import service
from app.statements.models import Statement, StatementStatus
from tests.factories import make_statement, make_user, statement_input


def test_deadline_in_geneva_time_is_stored_as_the_utc_instant(db: Session) -> None:
    owner = make_user(db)
    year = utcnow().year + 1
    statement = make_statement(
        db,
        owner=owner,
        deadline_date=f"{year}-03-21",
        deadline_time="13:00",
        deadline_zone="Europe/Zurich",
    )
    db.expire_all()
    stored = db.get(Statement, statement.id)
    assert stored is not None
    assert stored.deadline_at == datetime(year, 3, 21, 12, 0, tzinfo=UTC)
    assert stored.deadline_zone == "Europe/Zurich"


def test_deadline_boundary_to_the_millisecond(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner)
    service.open_statement(db, statement=statement, actor=owner)
    db.flush()
    db.expire_all()
    stored = db.get(Statement, statement.id)
    assert stored is not None
    deadline = stored.deadline_at
    assert service.accepts_signatures(stored, deadline - timedelta(milliseconds=1))
    assert not service.accepts_signatures(stored, deadline)
    assert not service.accepts_signatures(stored, deadline + timedelta(milliseconds=1))
    assert service.public_status(stored, deadline - timedelta(milliseconds=1)) == "open"
    assert service.public_status(stored, deadline) == StatementStatus.CLOSED


def test_opening_time_is_enforced_too(db: Session) -> None:
    owner = make_user(db)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    statement = make_statement(
        db, owner=owner, opens_date=tomorrow, opens_time="09:00", deadline_zone="UTC"
    )
    service.open_statement(db, statement=statement, actor=owner)
    assert statement.opens_at is not None
    assert not service.accepts_signatures(statement, statement.opens_at - timedelta(microseconds=1))
    assert service.accepts_signatures(statement, statement.opens_at)


@pytest.mark.parametrize(
    ("day", "clock", "message"),
    [
        ("2030-03-31", "02:30", "does not exist"),  # Europe/Zurich springs forward
        ("2030-10-27", "02:30", "happens twice"),  # and falls back
    ],
)
def test_daylight_saving_gaps_and_repeats_are_refused(
    db: Session, day: str, clock: str, message: str
) -> None:
    owner = make_user(db)
    with pytest.raises(FieldErrors) as caught:
        make_statement(db, owner=owner, deadline_date=day, deadline_time=clock)
    assert message in caught.value.errors["deadline"]


def test_a_repeated_local_time_can_be_chosen_explicitly(db: Session) -> None:
    owner = make_user(db)
    earlier = make_statement(
        db,
        owner=owner,
        slug="earlier",
        deadline_date="2030-10-27",
        deadline_time="02:30",
        deadline_fold="earlier",
    )
    later = make_statement(
        db,
        owner=owner,
        slug="later",
        deadline_date="2030-10-27",
        deadline_time="02:30",
        deadline_fold="later",
    )
    assert earlier.deadline_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert later.deadline_at == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)


def test_bad_input_gets_field_errors(db: Session) -> None:
    owner = make_user(db)
    make_statement(db, owner=owner, slug="taken")
    with pytest.raises(FieldErrors) as caught:
        service.create_statement(
            db,
            actor=owner,
            data=statement_input(
                title="",
                slug="taken",
                deadline_zone="Mars/Olympus",
                contact_email="nope",
                body="<script>alert(1)</script>",
            ),
        )
    errors = caught.value.errors
    assert set(errors) >= {"title", "slug", "deadline_zone", "contact_email", "body"}
    assert "already uses" in errors["slug"]
    with pytest.raises(FieldErrors) as past:
        make_statement(db, owner=owner, deadline_date="2020-01-01")
    assert "future" in past.value.errors["deadline"]


def status_of(statement: Statement) -> StatementStatus:
    """Read the status again: mypy keeps `statement.status` narrowed by an earlier assert
    across the service calls that change it."""
    return statement.status


def test_transitions_check_their_preconditions_and_are_audited(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner)
    with pytest.raises(Conflict):
        service.close_statement(db, statement=statement, actor=owner)
    service.open_statement(db, statement=statement, actor=owner)
    with pytest.raises(Conflict):
        service.open_statement(db, statement=statement, actor=owner)
    service.close_statement(db, statement=statement, actor=owner)
    assert status_of(statement) == StatementStatus.CLOSED

    with pytest.raises(FieldErrors) as no_reason:
        service.extend_deadline(
            db,
            statement=statement,
            actor=owner,
            new_deadline=utcnow() + timedelta(days=3),
            zone="UTC",
            reason="",
        )
    assert "reason" in no_reason.value.errors
    service.extend_deadline(
        db,
        statement=statement,
        actor=owner,
        new_deadline=utcnow() + timedelta(days=3),
        zone="Asia/Seoul",
        reason="Partners asked for more time",
    )
    assert status_of(statement) == StatementStatus.OPEN
    events = db.exec(
        select(AuditEvent)
        .where(AuditEvent.statement_id == statement.id)
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("created", "", "draft"),
        ("opened", "draft", "open"),
        ("closed", "open", "closed"),
        ("reopened", "closed", "open"),
    ]
    assert "Partners asked for more time" in events[-1].detail
    assert all(e.actor_label == owner.name for e in events)


def test_text_changes_after_opening_create_versions(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner)
    # Before opening, the draft is edited in place.
    service.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug=statement.slug, body="Draft two."),
    )
    assert [v.number for v in service.list_versions(db, statement=statement)] == [1]
    service.open_statement(db, statement=statement, actor=owner)
    with pytest.raises(FieldErrors) as unmarked:
        service.update_statement(
            db,
            statement=statement,
            actor=owner,
            data=statement_input(slug=statement.slug, body="Changed."),
        )
    assert "material" in unmarked.value.errors
    new = service.update_statement(
        db,
        statement=statement,
        actor=owner,
        material=True,
        change_note="Added a demand",
        data=statement_input(slug=statement.slug, body="Draft two.\n\nRelease them now."),
    )
    assert new is not None and (new.number, new.material) == (2, True)
    assert service.current_version(db, statement=statement).body.endswith("Release them now.")
    # The address and the deadline do not move silently once open.
    with pytest.raises(FieldErrors) as moved:
        service.update_statement(
            db,
            statement=statement,
            actor=owner,
            material=False,
            data=statement_input(slug="another-address"),
        )
    assert "slug" in moved.value.errors


def test_a_final_statement_cannot_change(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner)
    statement.status = StatementStatus.FINAL
    with pytest.raises(Conflict):
        service.update_statement(
            db,
            statement=statement,
            actor=owner,
            data=statement_input(slug=statement.slug),
            material=False,
        )
