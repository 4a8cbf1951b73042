"""Retention: personal data is deleted once it is no longer needed, and the counts stay.

- A final statement's signers' contact details (addresses, lead-only notes, sent email
  bodies, and every detail of those not published by name) are deleted the statement's
  `retention_days` after finalisation. The frozen list and its signed PDF are a separate
  snapshot and do not change.
- Unconfirmed and rejected signatures are deleted PENDING_SIGNATURE_DAYS after they were
  submitted; sent and failed mail SENT_MAIL_DAYS after it was written.
- A signer may ask what is held about their address (privacy/): the worker emails it to
  that address with one link per signature to delete it.

Each job works in batches and is idempotent: `run_due` is the worker's periodic job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import FieldErrors
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.mail.models import OutboxMessage, OutboxStatus
from app.outreach import roster as outreach_roster
from app.signatures.models import Listing, Signature, SignatureStatus
from app.signatures.retention import stripping
from app.signatures.retention.privacy import service as privacy
from app.statements.models import Statement, StatementStatus

MAX_RETENTION_DAYS = 3650
# What the retention job signs its audit entries with.
RETENTION_ACTOR = N_("retention")


# --- the lead's setting ----------------------------------------------------------------


def contact_deletion_at(statement: Statement) -> datetime | None:
    """When the statement's contact details go: only a final statement has a date."""
    if statement.finalised_at is None:
        return None
    return statement.finalised_at + timedelta(days=statement.retention_days)


def set_retention_days(
    session: Session, *, statement: Statement, actor: User, days: str | int
) -> int:
    """How many days after finalisation the contact details are kept. Any state, final
    included (until they are deleted, the date can still move)."""
    try:
        chosen = int(str(days).strip())
    except ValueError:
        chosen = -1
    if not 0 <= chosen <= MAX_RETENTION_DAYS:
        message = _("Enter a number of days from 0 to %(n)d.") % {"n": MAX_RETENTION_DAYS}
        raise FieldErrors({"retention_days": message})
    if statement.contact_purged_at is not None:
        raise FieldErrors({"retention_days": _("The contact details are already deleted.")})
    if chosen != statement.retention_days:
        audit.record(
            session,
            statement_id=statement.id,
            actor=actor,
            action="retention changed",
            detail=_("%(before)d → %(after)d days after finalisation")
            % {"before": statement.retention_days, "after": chosen},
        )
        statement.retention_days = chosen
        session.flush()
    return chosen


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- the periodic purge -----------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    signatures: int
    emails: int
    done: bool


def purge_statement(
    session: Session, *, statement: Statement, now: datetime, limit: int | None = None
) -> Purged:
    """Delete one batch of the statement's contact details; when the last batch is done,
    its notes and mail too, and mark the statement. Audited when anything went."""
    if statement.contact_purged_at is not None:
        return Purged(signatures=0, emails=0, done=True)
    due = contact_deletion_at(statement)
    if due is None or now < due:
        return Purged(signatures=0, emails=0, done=False)
    limit = limit or get_settings().retention_batch_size
    batch = session.exec(
        select(Signature.id, Signature.status, Signature.listing)
        .where(col(Signature.statement_id) == statement.id, col(Signature.email) != "")
        .order_by(col(Signature.id))
        .limit(limit)
    ).all()
    published = [
        i
        for i, status, listing in batch
        if status == SignatureStatus.APPROVED and listing == Listing.NAMED and i is not None
    ]
    others = [i for i, _s, _l in batch if i is not None and i not in set(published)]
    stripping.strip(session, published, published=True)
    stripping.strip(session, others, published=False)
    done = len(batch) < limit
    emails = 0
    if done:
        of_statement = select(Signature.id).where(col(Signature.statement_id) == statement.id)
        stripping.drop_notes(session, of_statement)
        emails = _rowcount(
            session.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.statement_id) == statement.id,
                    col(OutboxMessage.status) != OutboxStatus.SENDING,
                )
            )
        )
        assert statement.id is not None
        outreach_roster.purge_contacts(session, statement_id=statement.id)
        statement.contact_purged_at = now
    if batch or emails:
        audit.record(
            session,
            statement_id=statement.id,
            actor=None,
            actor_label=_(RETENTION_ACTOR),
            action="contact details deleted",
            detail=_("contact details deleted: %(n)d signatures, %(m)d emails")
            % {"n": len(batch), "m": emails},
        )
    session.flush()
    return Purged(signatures=len(batch), emails=emails, done=done)


def purge_due(session: Session, *, now: datetime, limit: int | None = None) -> int:
    """One batch for each final statement whose date has come; returns signatures done."""
    candidates = session.exec(
        select(Statement).where(
            col(Statement.status) == StatementStatus.FINAL,
            col(Statement.contact_purged_at).is_(None),
            col(Statement.finalised_at) <= now,
        )
    ).all()
    total = 0
    for statement in candidates:
        total += purge_statement(session, statement=statement, now=now, limit=limit).signatures
    return total


def delete_stale_signatures(session: Session, *, now: datetime, limit: int | None = None) -> int:
    """Unconfirmed and rejected signatures, PENDING_SIGNATURE_DAYS after submission: one
    batch, audited per statement. Returns how many went."""
    settings = get_settings()
    cutoff = now - timedelta(days=settings.pending_signature_days)
    rows = session.exec(
        select(Signature.id, Signature.statement_id)
        .where(
            col(Signature.status).in_((SignatureStatus.PENDING, SignatureStatus.REJECTED)),
            col(Signature.submitted_at) <= cutoff,
        )
        .order_by(col(Signature.id))
        .limit(limit or settings.retention_batch_size)
    ).all()
    if not rows:
        return 0
    ids = [i for i, _ in rows if i is not None]
    stripping.drop_notes(session, ids)
    session.exec(delete(Signature).where(col(Signature.id).in_(ids)))
    per_statement: dict[int, int] = {}
    for _i, statement_id in rows:
        per_statement[statement_id] = per_statement.get(statement_id, 0) + 1
    for statement_id, n in sorted(per_statement.items()):
        audit.record(
            session,
            statement_id=statement_id,
            actor=None,
            actor_label=_(RETENTION_ACTOR),
            action="stale signatures deleted",
            detail=_("unconfirmed or rejected signatures deleted: %(n)d") % {"n": n},
        )
    session.flush()
    return len(ids)


def delete_old_mail(session: Session, *, now: datetime) -> int:
    """Sent and failed mail older than SENT_MAIL_DAYS: its links and addresses are no
    longer needed by anyone."""
    cutoff = now - timedelta(days=get_settings().sent_mail_days)
    old = delete(OutboxMessage).where(
        col(OutboxMessage.status).in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
        col(OutboxMessage.created_at) <= cutoff,
    )
    return _rowcount(session.exec(old))


# --- the worker's job -------------------------------------------------------------------


def run_due(session: Session) -> int:
    """The worker's periodic job: answer privacy requests, then one batch of each
    deletion that is due."""
    now = utcnow()
    done = privacy.answer_requests(session)
    done += purge_due(session, now=now)
    done += delete_stale_signatures(session, now=now)
    done += delete_old_mail(session, now=now)
    return done
