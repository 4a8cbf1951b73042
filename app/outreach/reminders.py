"""Reminders to invitees who have not answered, at most two, at times the team picks
relative to the deadline in the deadline's own zone ("3 days before" is the same wall-
clock time three days earlier there, across a daylight-saving change). The worker's
periodic job sends what is due (`run_due`); tests pass their own `now`.

A reminder time that passed before someone was invited is not sent to them, and a late
run sends one reminder, never a burst: each invitee is reminded once per time at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import FieldErrors
from app.core.i18n import gettext as _
from app.core.i18n import using_locale
from app.mail.models import OutboxMessage, OutboxStatus
from app.outreach import messages, service
from app.outreach.models import Invitation, InvitationStatus, OutreachPlan
from app.signatures.models import Signature
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus

MAX_REMINDERS = 2
MAX_HOURS = 24 * 60  # two months before the deadline


def parse_hours(values: Sequence[str]) -> list[int]:
    """Hours before the deadline, largest first; empty entries are skipped."""
    hours: set[int] = set()
    for value in values:
        value = value.strip()
        if not value:
            continue
        if not value.isdigit() or not 1 <= int(value) <= MAX_HOURS:
            raise FieldErrors(
                {
                    "reminders": _(
                        "Give each reminder as a whole number of hours before the deadline, from 1 to %(max)d."  # noqa: E501
                    )
                    % {"max": MAX_HOURS}
                }
            )
        hours.add(int(value))
    if len(hours) > MAX_REMINDERS:
        raise FieldErrors({"reminders": _("At most two reminders.")})
    return sorted(hours, reverse=True)


def hours_of(plan: OutreachPlan) -> list[int]:
    return [int(h) for h in plan.reminder_hours.split(",") if h.strip().isdigit()]


def reminder_times(statement: Statement, hours: Sequence[int]) -> list[datetime]:
    """The reminders' instants (UTC), earliest first, counted on the deadline zone's clock."""
    zone = ZoneInfo(statement.deadline_zone or "UTC")
    local = statement.deadline_at.astimezone(zone)
    times = []
    for h in hours:
        wall = (local.replace(tzinfo=None) - timedelta(hours=h)).replace(tzinfo=zone)
        times.append(wall.astimezone(UTC))
    return sorted(times)


def _waiting(statement_id: int, before: datetime) -> SelectOfScalar[Invitation]:
    """Invitations of the statement still waiting for an answer and not reminded for
    the time `before`: not declined, not stopped, not signed, not bounced."""
    return (
        select(Invitation)
        .outerjoin(Signature, col(Signature.id) == col(Invitation.signature_id))
        .outerjoin(OutboxMessage, col(OutboxMessage.message_id) == col(Invitation.message_ref))
        .where(
            col(Invitation.statement_id) == statement_id,
            col(Invitation.status) == InvitationStatus.INVITED,
            col(Invitation.stop_reminders).is_(False),
            col(Invitation.reminders_sent) < MAX_REMINDERS,
            or_(
                col(Invitation.reminded_through).is_(None),
                col(Invitation.reminded_through) < before,
            ),
            or_(col(Signature.id).is_(None), col(Signature.status).not_in(service.LIVE)),
            or_(col(OutboxMessage.id).is_(None), col(OutboxMessage.status) != OutboxStatus.FAILED),
        )
        .order_by(col(Invitation.id))
    )


def send_due_reminders(session: Session, *, now: datetime) -> int:
    """Queue every reminder due at `now`; returns how many were queued."""
    open_ids = session.exec(
        select(Statement.id)
        .join(Invitation, col(Invitation.statement_id) == col(Statement.id))
        .where(col(Statement.status) == StatementStatus.OPEN, col(Statement.deadline_at) > now)
        .distinct()
    ).all()
    sent = 0
    for statement_id in open_ids:
        statement = session.get(Statement, statement_id)
        if statement is None or not statements.accepts_signatures(statement, now):
            continue
        plan = service.plan_for(session, statement=statement)
        due = [t for t in reminder_times(statement, hours_of(plan)) if t <= now]
        if not due:
            continue
        sent += _remind(session, statement, plan, latest=max(due), now=now)
    return sent


def _remind(
    session: Session, statement: Statement, plan: OutreachPlan, *, latest: datetime, now: datetime
) -> int:
    assert statement.id is not None
    waiting = list(session.exec(_waiting(statement.id, latest)).all())
    title = statements.current_version(session, statement=statement).title
    host = urlsplit(get_settings().base_url).hostname or "undersigned.localhost"
    rows = []
    cache: messages.Bodies = {}
    for invitation in waiting:
        if invitation.invited_at < latest:
            to = messages.Invitee(
                email=invitation.email,
                name=invitation.name,
                organisation=invitation.organisation,
                language=invitation.language,
            )
            with using_locale(invitation.language):
                rows.append(
                    messages.message_row(
                        statement,
                        kind=service.REMINDER_KIND,
                        template="outreach_reminder",
                        subject=messages.one_line(
                            _("Reminder: %(title)s closes soon") % {"title": title}
                        ),
                        to=to,
                        nonce=invitation.nonce,
                        context={
                            "title": title,
                            "deadline": statement.deadline_at,
                            "zone": statement.deadline_zone,
                        },
                        host=host,
                        cache=cache,
                    )
                )
            invitation.reminders_sent += 1
        invitation.reminded_through = latest
        session.add(invitation)
    if rows:
        session.execute(insert(OutboxMessage), rows)
    session.flush()
    return len(rows)


def run_due(session: Session) -> int:
    """The worker's periodic job."""
    return send_due_reminders(session, now=utcnow())


@dataclass(frozen=True)
class Planned:
    at: datetime
    hours: int
    invitees: int  # how many would get it if it were sent now
    past: bool


def schedule(
    session: Session, *, statement: Statement, now: datetime | None = None
) -> list[Planned]:
    """What will be sent when, for the overview."""
    now = now or utcnow()
    assert statement.id is not None
    hours = hours_of(service.plan_for(session, statement=statement))
    times = reminder_times(statement, hours)
    planned = []
    for at, h in zip(times, sorted(hours, reverse=True), strict=True):
        waiting = [i for i in session.exec(_waiting(statement.id, at)).all() if i.invited_at < at]
        planned.append(Planned(at=at, hours=h, invitees=len(waiting), past=at <= now))
    return planned
