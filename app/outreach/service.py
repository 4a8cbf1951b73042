"""Invitations: the team's message and reminder times, choosing whom to invite (the
roster, pasted addresses), sending in bulk, the invitee's answers, the overview.

An invitation is an outbox row like every other email, written in bulk (one insert for
the invitations, one for their messages), so thousands queue in seconds. Its personal
link pre-fills the organisation on the sign form; signing through it is an ordinary
signature (the signer still confirms their own address). No open tracking, and no link
tracking beyond the personal link itself. The email itself is made in messages.py;
referral links and who brought a signature are in referrals/.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, FieldErrors, NotFound
from app.core.i18n import gettext as _
from app.core.i18n import using_locale
from app.core.text import normalise_email
from app.mail.models import OutboxMessage, OutboxStatus
from app.outreach import messages
from app.outreach.messages import Invitee
from app.outreach.models import Invitation, InvitationStatus, OutreachPlan, RosterContact
from app.outreach.referrals.service import COUNTED
from app.outreach.referrals.service import record_arrival as record_arrival
from app.outreach.referrals.service import referral_by_code as referral_by_code
from app.signatures.forms import email_key
from app.signatures.models import Signature, SignatureStatus
from app.statements import service as statements
from app.statements.models import Statement

# record_arrival and referral_by_code (referrals/service.py) are imported here for
# app/signatures/signing/routes.py, which calls them as outreach.service's.

MAX_PASTED = 5000
MAX_MESSAGE = 5000
LIVE = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)
INVITE_KIND = "outreach_invite"
REMINDER_KIND = "outreach_reminder"


@dataclass(frozen=True)
class PastedCheck:
    valid: list[str]
    invalid: list[str]
    duplicates: list[str]  # twice in the list, or already invited


# --- the message ---------------------------------------------------------------------


def plan_for(session: Session, *, statement: Statement) -> OutreachPlan:
    plan = session.get(OutreachPlan, statement.id)
    if plan is None:
        assert statement.id is not None
        plan = OutreachPlan(statement_id=statement.id)
    return plan


def save_plan(
    session: Session, *, statement: Statement, actor: User, message: str, reminders: Sequence[str]
) -> OutreachPlan:
    """The invitation's message and up to two reminder times (hours before the deadline)."""
    from app.outreach import reminders as reminder_rules

    if len(message) > MAX_MESSAGE:
        raise FieldErrors({"message": _("The message is too long.")})
    hours = reminder_rules.parse_hours(reminders)
    plan = plan_for(session, statement=statement)
    plan.message = message.replace("\r\n", "\n").strip()
    plan.reminder_hours = ",".join(str(h) for h in hours)
    plan.updated_at = utcnow()
    session.add(plan)
    session.flush()
    audit.record(session, statement_id=statement.id, actor=actor, action="outreach.plan saved")
    return plan


# --- choosing invitees ---------------------------------------------------------------


def check_pasted(session: Session, *, statement: Statement, text: str) -> PastedCheck:
    """Pasted addresses (one per line, or separated by commas or semicolons), sorted
    into valid, invalid and duplicates before anything is sent."""
    parts = [p.strip() for p in text.replace(";", "\n").replace(",", "\n").splitlines()]
    parts = [p for p in parts if p]
    if len(parts) > MAX_PASTED:
        raise FieldErrors(
            {"addresses": _("At most %(num)d addresses at a time.") % {"num": MAX_PASTED}}
        )
    invited = _invited_keys(session, statement)
    seen: set[str] = set()
    valid, invalid, duplicates = [], [], []
    for part in parts:
        try:
            address = normalise_email(part)
        except BadRequest:
            invalid.append(part[:254])
            continue
        key = email_key(address)
        if key in seen or key in invited:
            duplicates.append(address)
            continue
        seen.add(key)
        valid.append(address)
    return PastedCheck(valid=valid, invalid=invalid, duplicates=duplicates)


def _invited_keys(session: Session, statement: Statement) -> set[str]:
    return set(
        session.exec(
            select(Invitation.email_key).where(col(Invitation.statement_id) == statement.id)
        ).all()
    )


def roster_filter(
    contacts: Iterable[RosterContact], *, country: str = "", group: str = "", source: str = ""
) -> list[RosterContact]:
    """Roster entries by country, by group, or by the earlier statement they came from."""
    return [
        c
        for c in contacts
        if (not country or c.country == country)
        and (not group or c.group_name == group)
        and (not source or str(c.source_statement_id or "") == source)
    ]


def invitees_from_roster(
    session: Session, *, statement: Statement, contact_ids: Sequence[int]
) -> list[Invitee]:
    if not contact_ids:
        return []
    rows = session.exec(
        select(RosterContact).where(
            col(RosterContact.statement_id) == statement.id,
            col(RosterContact.id).in_(list(contact_ids)),
        )
    ).all()
    return [
        Invitee(
            email=c.email,
            name=c.name,
            organisation=c.organisation,
            acronym=c.acronym,
            website=c.website,
            country=c.country,
            language=c.language,
            contact_id=c.id,
        )
        for c in rows
    ]


# --- sending ---------------------------------------------------------------------------


def send_invitations(
    session: Session, *, statement: Statement, actor: User | None, invitees: Sequence[Invitee]
) -> int:
    """One invitation and one outbox row per invitee not invited before (by address),
    each in the invitee's language. Returns how many were queued."""
    if not statements.accepts_signatures(statement, utcnow()):
        raise FieldErrors({"invitees": _("This statement is not open for signatures.")})
    invited = _invited_keys(session, statement)
    plan = plan_for(session, statement=statement)
    title = statements.current_version(session, statement=statement).title
    host = urlsplit(get_settings().base_url).hostname or "undersigned.localhost"
    now = utcnow()
    invitations: list[dict[str, Any]] = []
    outbox_rows: list[dict[str, Any]] = []
    context = {
        "title": title,
        "message": plan.message,
        "deadline": statement.deadline_at,
        "zone": statement.deadline_zone,
    }
    cache: messages.Bodies = {}
    subjects: dict[str, str] = {}
    for invitee in invitees:
        key = email_key(invitee.email)
        if key in invited:
            continue
        invited.add(key)
        nonce = secrets.token_urlsafe(16)
        with using_locale(invitee.language):
            if invitee.language not in subjects:
                subjects[invitee.language] = messages.one_line(
                    _("Invitation to sign: %(title)s") % {"title": title}
                )
            subject = subjects[invitee.language]
            row = messages.message_row(
                statement,
                kind=INVITE_KIND,
                template="outreach_invite",
                subject=subject,
                to=invitee,
                nonce=nonce,
                context=context,
                host=host,
                cache=cache,
            )
        outbox_rows.append(row)
        invitations.append(
            {
                "statement_id": statement.id,
                "contact_id": invitee.contact_id,
                "email": invitee.email,
                "email_key": key,
                "name": invitee.name,
                "organisation": invitee.organisation,
                "acronym": invitee.acronym,
                "website": invitee.website,
                "country": invitee.country,
                "language": invitee.language,
                "status": InvitationStatus.INVITED.value,
                "nonce": nonce,
                "invited_at": now,
                "message_ref": row["message_id"],
                "stop_reminders": False,
                "reminders_sent": 0,
            }
        )
    if not invitations:
        raise FieldErrors(
            {"invitees": _("Choose at least one organisation or address not invited yet.")}
        )
    session.execute(insert(Invitation), invitations)
    session.execute(insert(OutboxMessage), outbox_rows)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="outreach.invited",
        detail=str(len(invitations)),
    )
    return len(invitations)


# --- the invitee's links ---------------------------------------------------------------


def invitation_for_link(session: Session, *, token: str) -> tuple[Invitation, Statement]:
    invitation = messages.by_token(session, token=token)
    statement = session.get(Statement, invitation.statement_id) if invitation else None
    if invitation is None or statement is None:
        raise NotFound(_("This link is not valid. Check that it was copied whole."))
    return invitation, statement


def decline(session: Session, *, token: str) -> tuple[Invitation, Statement]:
    """ "We won't sign this one": no more reminders. Signing later still counts."""
    invitation, statement = invitation_for_link(session, token=token)
    session.exec(
        update(Invitation)
        .where(
            col(Invitation.id) == invitation.id, col(Invitation.status) != InvitationStatus.DECLINED
        )
        .values(status=InvitationStatus.DECLINED, answered_at=utcnow(), stop_reminders=True)
    )
    session.refresh(invitation)
    return invitation, statement


def stop_reminders(session: Session, *, token: str) -> tuple[Invitation, Statement]:
    invitation, statement = invitation_for_link(session, token=token)
    invitation.stop_reminders = True
    session.add(invitation)
    session.flush()
    return invitation, statement


def prefill(session: Session, *, statement: Statement, token: str) -> dict[str, str]:
    """The sign form's values from a personal link: the organisation, never the contact's
    name or address (a forwarded link shows nobody's contact data), and the token, so
    the signature is recorded as coming from this invitation."""
    invitation = messages.by_token(session, token=token)
    if invitation is None or invitation.statement_id != statement.id:
        return {"kind": "", "listing": "named"}
    values = {"listing": "named", "invitation": token, "kind": ""}
    if invitation.organisation:
        values |= {
            "kind": "organisation",
            "organisation": invitation.organisation,
            "acronym": invitation.acronym,
            "website": invitation.website,
            "country": invitation.country,
        }
    return values


# --- the overview ---------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    status: InvitationStatus


def status_of(
    invitation: Invitation, signature_status: str | None, delivery: str | None
) -> InvitationStatus:
    if signature_status in COUNTED:
        return InvitationStatus.SIGNED
    if invitation.status == InvitationStatus.DECLINED:
        return InvitationStatus.DECLINED
    if delivery == OutboxStatus.FAILED:
        return InvitationStatus.BOUNCED
    return InvitationStatus.INVITED


def invitations(session: Session, *, statement: Statement) -> list[InvitationRow]:
    rows = session.exec(
        select(Invitation, Signature.status, OutboxMessage.status)
        .outerjoin(Signature, col(Signature.id) == col(Invitation.signature_id))
        .outerjoin(OutboxMessage, col(OutboxMessage.message_id) == col(Invitation.message_ref))
        .where(col(Invitation.statement_id) == statement.id)
        .order_by(func.lower(col(Invitation.organisation)), col(Invitation.email_key))
    ).all()
    return [InvitationRow(invitation=i, status=status_of(i, s, d)) for i, s, d in rows]


def status_labels() -> dict[str, str]:
    return {
        InvitationStatus.INVITED: _("Invited"),
        InvitationStatus.SIGNED: _("Signed"),
        InvitationStatus.DECLINED: _("Declined"),
        InvitationStatus.BOUNCED: _("Bounced"),
    }
