"""Outreach: the roster and its deduplication, invitations in each invitee's language,
the personal link, declining, reminders on a controlled clock, referral counts, the
chart and the public counts, and retention."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import FieldErrors
from app.mail.models import OutboxMessage, OutboxStatus
from app.outreach import chart, reminders, roster, service
from app.outreach.models import Invitation, InvitationStatus, RosterContact
from app.outreach.referrals import service as referrals
from app.signatures import lifecycle
from app.signatures.models import Listing, Signature, SignatureStatus
from app.signatures.retention import service as retention
from app.statements.models import Statement
from tests.factories import approve_signers, make_user, open_statement, organisation
from tests.helpers import mail_to, run_signing_worker, sign_in, submit

ROSTER_CSV = (Path(__file__).parents[1] / "fixtures" / "outreach_roster.csv").read_text()


def _lead(db: Session) -> tuple[User, Statement]:
    owner = make_user(db)
    return owner, open_statement(db, owner=owner, slug="hrc61")


def _invite_all(db: Session, owner: User, statement: Statement) -> list[Invitation]:
    roster.import_csv(db, statement=statement, actor=owner, text=ROSTER_CSV)
    ids = [c.id for c in roster.roster(db, statement=statement) if c.id is not None]
    invitees = service.invitees_from_roster(db, statement=statement, contact_ids=ids)
    service.send_invitations(db, statement=statement, actor=owner, invitees=invitees)
    return list(db.exec(select(Invitation).order_by(col(Invitation.id))).all())


def _status(db: Session, statement: Statement) -> dict[str, InvitationStatus]:
    return {r.invitation.email: r.status for r in service.invitations(db, statement=statement)}


def test_the_roster_keeps_one_entry_per_organisation(db: Session) -> None:
    owner, statement = _lead(db)
    result = roster.import_csv(db, statement=statement, actor=owner, text=ROSTER_CSV)
    assert result.added == 3
    # "The Citizens Alliance…" is a near-identical name of NKHR's: not added twice.
    assert result.already == ["The Citizens Alliance for North Korean Human Rights"]
    assert len(result.problems) == 1 and result.problems[0].startswith("Line 6:")
    assert roster.find_organisation(
        db, statement_id=statement.id or 0, organisation="Another name", website="www.tjwg.org"
    )
    assert roster.find_organisation(
        db, statement_id=statement.id or 0, organisation="Something else", acronym="nkhr"
    )
    assert not roster.find_organisation(db, statement_id=statement.id or 0, organisation="Daily NK")
    try:
        roster.add_contact(
            db,
            statement=statement,
            actor=owner,
            values={"organisation": "TJWG e.V.", "acronym": "TJWG", "email": "x@tjwg.org"},
        )
    except FieldErrors as exc:
        assert "already on the roster" in exc.errors["organisation"]
    else:
        raise AssertionError("a duplicate organisation was added")
    entry = roster.roster(db, statement=statement)[0]
    roster.remove_contact(db, statement=statement, actor=owner, contact_id=entry.id or 0)
    assert db.get(RosterContact, entry.id) is None


def test_pasted_addresses_are_checked_before_sending(db: Session) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    check = service.check_pasted(
        db,
        statement=statement,
        text="new@example.org\nnot an address; NEW@example.org, director@tjwg.org\n\n",
    )
    assert check.valid == ["new@example.org"]
    assert check.invalid == ["not an address"]
    assert check.duplicates == ["new@example.org", "director@tjwg.org"]


def test_invitations_are_written_in_each_invitees_language(db: Session) -> None:
    owner, statement = _lead(db)
    invitations = _invite_all(db, owner, statement)
    assert len(invitations) == 3
    mail = {m.to_address: m for m in db.exec(select(OutboxMessage)).all()}
    assert mail["joanna@nkhr.or.kr"].locale == "ko"
    assert "서명 초대" in mail["joanna@nkhr.or.kr"].subject
    assert mail["director@tjwg.org"].subject.startswith("Invitation to sign")
    body = mail["director@tjwg.org"].text_body
    assert "/s/hrc61/sign/i/" in body and "/decline" in body
    assert "<img" not in mail["director@tjwg.org"].html_body  # no tracking pixel
    # Invited once only: inviting again sends nothing new.
    with_again = service.invitees_from_roster(
        db, statement=statement, contact_ids=[i.contact_id or 0 for i in invitations]
    )
    try:
        service.send_invitations(db, statement=statement, actor=owner, invitees=with_again)
    except FieldErrors:
        pass
    else:
        raise AssertionError("invited twice")


def _token(db: Session, email: str) -> str:
    (message,) = [m for m in mail_to(db, email) if m.kind == service.INVITE_KIND]
    match = re.search(r"/sign/i/([^\s]+)", message.text_body)
    assert match
    return match.group(1)


def _confirm_latest(db: Session, email: str) -> None:
    run_signing_worker(db)
    confirmations = [m for m in mail_to(db, email) if m.kind == "signature_confirm"]
    assert confirmations
    message = confirmations[-1]
    match = re.search(r"/confirm/([^\s]+)", message.text_body)
    assert match
    lifecycle.confirm(db, token=match.group(1))


def test_the_personal_link_fills_in_the_organisation_and_records_the_signature(
    client: TestClient, db: Session
) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    token = _token(db, "director@tjwg.org")
    page = client.get(f"/s/hrc61/sign/i/{token}")
    assert page.status_code == 200
    assert 'value="Transitional Justice Working Group"' in page.text
    assert "director@tjwg.org" not in page.text  # a forwarded link shows no contact data
    assert page.headers["referrer-policy"] == "no-referrer"
    # Someone the link was forwarded to signs with their own address, and must confirm it.
    response = submit(
        client,
        f"/s/hrc61/sign/i/{token}",
        action="/s/hrc61/sign",
        invitation=token,
        **organisation(email="colleague@tjwg.org"),
    )
    assert response.status_code == 303
    assert _status(db, statement)["director@tjwg.org"] == InvitationStatus.INVITED  # unconfirmed
    _confirm_latest(db, "colleague@tjwg.org")
    assert _status(db, statement)["director@tjwg.org"] == InvitationStatus.SIGNED


def test_a_declined_invitee_can_still_sign(client: TestClient, db: Session) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    token = _token(db, "gwangil@nochain.example")
    assert client.get(f"/o/{token}/decline").status_code == 200
    assert _status(db, statement)["gwangil@nochain.example"] == InvitationStatus.INVITED
    assert submit(client, f"/o/{token}/decline").status_code == 200
    assert _status(db, statement)["gwangil@nochain.example"] == InvitationStatus.DECLINED
    submit(
        client,
        f"/s/hrc61/sign/i/{token}",
        action="/s/hrc61/sign",
        invitation=token,
        **organisation(
            organisation="No Chain",
            acronym="",
            website="",
            country="US",
            email="gwangil@nochain.example",
        ),
    )
    _confirm_latest(db, "gwangil@nochain.example")
    assert _status(db, statement)["gwangil@nochain.example"] == InvitationStatus.SIGNED
    assert client.get("/o/not-a-token/decline").status_code == 404


def test_a_failed_invitation_is_bounced(db: Session) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    (message,) = mail_to(db, "director@tjwg.org")
    message.status = OutboxStatus.FAILED
    db.flush()
    assert _status(db, statement)["director@tjwg.org"] == InvitationStatus.BOUNCED


def _reminders_to(db: Session) -> list[str]:
    return [
        m.to_address
        for m in db.exec(
            select(OutboxMessage).where(col(OutboxMessage.kind) == service.REMINDER_KIND)
        ).all()
    ]


def test_reminders_follow_the_deadline_at_most_two_and_stop(
    client: TestClient, db: Session
) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    deadline = statement.deadline_at
    times = reminders.reminder_times(statement, [72, 24])
    assert times == [deadline - timedelta(hours=72), deadline - timedelta(hours=24)]
    # Nothing before the first time; one to each invitee at it, and once only.
    assert reminders.send_due_reminders(db, now=times[0] - timedelta(minutes=1)) == 0
    stop = _token(db, "joanna@nkhr.or.kr")
    submit(client, f"/o/{stop}/stop")
    assert reminders.send_due_reminders(db, now=times[0]) == 2
    assert reminders.send_due_reminders(db, now=times[0] + timedelta(hours=1)) == 0
    reminder = db.exec(
        select(OutboxMessage).where(col(OutboxMessage.kind) == service.REMINDER_KIND)
    ).first()
    assert reminder is not None and "/stop" in reminder.text_body
    # TJWG signs: the second reminder goes to No Chain only, and a third never comes.
    token = _token(db, "director@tjwg.org")
    submit(
        client,
        f"/s/hrc61/sign/i/{token}",
        action="/s/hrc61/sign",
        invitation=token,
        **organisation(),
    )
    assert reminders.send_due_reminders(db, now=times[1] + timedelta(minutes=5)) == 1
    assert _reminders_to(db).count("gwangil@nochain.example") == 2
    assert _reminders_to(db).count("director@tjwg.org") == 1
    assert "joanna@nkhr.or.kr" not in _reminders_to(db)
    assert reminders.send_due_reminders(db, now=deadline - timedelta(minutes=1)) == 0


def test_a_late_run_sends_one_reminder_and_times_before_the_invitation_are_skipped(
    db: Session,
) -> None:
    owner, statement = _lead(db)
    statement.deadline_at = utcnow() + timedelta(hours=48)  # 3 days before has passed
    db.flush()
    _invite_all(db, owner, statement)
    planned = reminders.schedule(db, statement=statement)
    assert [p.past for p in planned] == [True, False]
    assert planned[1].invitees == 3
    assert reminders.send_due_reminders(db, now=statement.deadline_at - timedelta(hours=1)) == 3
    assert reminders.send_due_reminders(db, now=statement.deadline_at - timedelta(minutes=1)) == 0


def test_the_reminder_times_are_validated(db: Session) -> None:
    owner, statement = _lead(db)
    for bad in (["0"], ["1", "2", "3"], ["tomorrow"]):
        try:
            service.save_plan(db, statement=statement, actor=owner, message="", reminders=bad)
        except FieldErrors as exc:
            assert "reminders" in exc.errors
        else:
            raise AssertionError(bad)
    plan = service.save_plan(
        db, statement=statement, actor=owner, message="Hi", reminders=["24", ""]
    )
    assert plan.reminder_hours == "24"


def test_referral_links_count_confirmed_signatures_per_partner(
    client: TestClient, db: Session
) -> None:
    owner, statement = _lead(db)
    partner = referrals.add_referral(db, statement=statement, actor=owner, label="No Chain")
    page = client.get(f"/s/hrc61/sign?ref={partner.code}")
    assert f'name="ref" value="{partner.code}"' in page.text
    assert 'name="ref"' not in client.get("/s/hrc61/sign?ref=unknown").text
    submit(
        client,
        f"/s/hrc61/sign?ref={partner.code}",
        action="/s/hrc61/sign",
        ref=partner.code,
        **organisation(),
    )
    [count] = referrals.referral_counts(db, statement=statement)
    assert count.signatures == 0  # not confirmed yet
    _confirm_latest(db, "director@tjwg.org")
    [count] = referrals.referral_counts(db, statement=statement)
    assert count.signatures == 1 and count.link.endswith(f"?ref={partner.code}")


def test_the_chart_and_the_public_counts(client: TestClient, db: Session) -> None:
    _owner, statement = _lead(db)
    approve_signers(
        db,
        statement,
        [
            organisation(),
            organisation(
                organisation="Hidden",
                acronym="",
                website="",
                country="CN",
                email="h@example.org",
                listing="anonymous",
            ),
        ],
    )
    for s in db.exec(select(Signature)).all():
        s.confirmed_at = utcnow()
    db.flush()
    series = chart.team_series(db, statement_id=statement.id or 0, zone_name="Europe/Zurich")
    svg = str(chart.svg(series))
    assert svg.startswith("<svg") and "<title" in svg and "<script" not in svg
    body = client.get("/s/hrc61/signing-over-time.json").json()
    assert body["total"] == 2
    assert sum(d["count"] for d in body["by_day"]) == 2
    assert body["by_country"] == [{"country": "KR", "count": 1}]  # never the anonymous one
    sign_in(client, "lead@example.org", "correct horse battery staple")
    overview = client.get("/statements/hrc61/outreach")
    assert overview.status_code == 200 and "<svg" in overview.text


def test_the_roster_goes_with_the_contact_details(db: Session) -> None:
    owner, statement = _lead(db)
    _invite_all(db, owner, statement)
    statement.finalised_at = utcnow() - timedelta(days=400)
    statement.retention_days = 1
    db.flush()
    retention.purge_statement(db, statement=statement, now=utcnow())
    assert not db.exec(select(RosterContact)).all()
    assert not db.exec(select(Invitation)).all()


def test_the_outreach_pages_for_the_team(client: TestClient, db: Session) -> None:
    _owner, statement = _lead(db)
    sign_in(client, "lead@example.org", "correct horse battery staple")
    response = submit(
        client,
        "/statements/hrc61/outreach/roster",
        action="/statements/hrc61/outreach/roster/import",
        csv=ROSTER_CSV,
    )
    assert response.status_code == 200 and "3 organisations added." in response.text
    assert "Line 6:" in response.text
    bad = submit(client, "/statements/hrc61/outreach/roster", organisation="", email="nope")
    assert bad.status_code == 422
    review = submit(
        client,
        "/statements/hrc61/outreach/invite",
        addresses="x@example.org\nbad address",
        message="Dear partners",
        reminder="24",
        step="review",
    )
    assert review.status_code == 200 and "bad address" in review.text
    assert not db.exec(select(Invitation)).all()
    ids = [str(c.id) for c in roster.roster(db, statement=statement)]
    fields: dict[str, Any] = {
        "contact": ids,
        "addresses": "x@example.org\nbad address",
        "message": "Dear partners",
        "reminder": "24",
        "step": "send",
    }
    # "Send" at once: the bad address is shown first, and nothing is sent.
    shown = submit(client, "/statements/hrc61/outreach/invite", **fields)
    assert shown.status_code == 200 and "bad address" in shown.text
    assert not db.exec(select(Invitation)).all()
    reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', shown.text)
    assert reviewed
    sent = submit(client, "/statements/hrc61/outreach/invite", reviewed=reviewed.group(1), **fields)
    assert sent.status_code == 303
    assert len(db.exec(select(Invitation)).all()) == 4
    overview = client.get("/statements/hrc61/outreach")
    assert "Invited: <strong>4</strong>" in overview.text
    assert Listing.NAMED  # the public page never lists invitees
    assert "x@example.org" not in client.get("/s/hrc61").text
    assert SignatureStatus.APPROVED
