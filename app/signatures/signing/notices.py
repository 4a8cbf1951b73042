"""The worker's side of signing: what each SigningNotice becomes (the confirmation, a
"you have already signed" notice, or nothing). The request (`service.record`) writes the
notice the same way for a first signature and a repeat; only here, after the response,
is the difference known, and the mailbox owner is told at most EMAILS_PER_WINDOW times.
A confirmation (`lifecycle.confirm`) queues a notice of kind CONFIRMED: the thank-you
email, with the signer's links to withdraw and to change their details."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.security import tokens
from app.signatures import emails, lifecycle
from app.signatures.models import (
    NoticeKind,
    NoticeStatus,
    Signature,
    SignatureStatus,
    SigningNotice,
)
from app.statements import service as statements
from app.statements.models import Statement

# At most this many emails reach an address about one signature within the confirmation
# window, however many times the form is sent: the confirmation and one repeat notice.
EMAILS_PER_WINDOW = 2
NOTICE_BATCH = 200
EMAILED = (NoticeStatus.CONFIRMATION, NoticeStatus.REPEAT)


def write_notices(session: Session, *, now: datetime | None = None) -> int:
    """The worker's job: turn queued notices into email, oldest first. Returns how many
    notices were handled. Runs before every outbox batch, so a confirmation goes out as
    quickly as it did when the request wrote it."""
    now = now or utcnow()
    notices = session.exec(
        select(SigningNotice)
        .where(col(SigningNotice.status) == NoticeStatus.QUEUED)
        .order_by(col(SigningNotice.id))
        .limit(NOTICE_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for notice in notices:
        notice.status = _write_notice(session, notice=notice, now=now)
        notice.done_at = now
        session.flush()
    _prune_notices(session, now=now)
    return len(notices)


def _write_notice(session: Session, *, notice: SigningNotice, now: datetime) -> NoticeStatus:
    # Locked, so that two workers with notices for one signature count each other's email.
    signature = session.exec(
        select(Signature).where(col(Signature.id) == notice.signature_id).with_for_update()
    ).one_or_none()
    if signature is None or signature.status == SignatureStatus.WITHDRAWN:
        return NoticeStatus.NOT_NEEDED
    statement = session.get(Statement, signature.statement_id)
    assert statement is not None
    if notice.kind == NoticeKind.CONFIRMED:
        if signature.status == SignatureStatus.PENDING:
            return NoticeStatus.NOT_NEEDED  # withdrawn and signed again since: a new confirmation
        _email_thanks(session, statement=statement, signature=signature)
        return NoticeStatus.THANKED
    # Only this submission's email counts: a row signed again after a withdrawal starts
    # afresh at its new submitted_at.
    emailed = session.exec(
        select(SigningNotice.done_at).where(
            col(SigningNotice.signature_id) == signature.id,
            col(SigningNotice.status).in_(EMAILED),
            col(SigningNotice.done_at) >= signature.submitted_at,
        )
    ).all()
    window_start = now - timedelta(days=get_settings().signature_confirm_days)
    if sum(1 for done in emailed if done is not None and done > window_start) >= (
        EMAILS_PER_WINDOW
    ):
        return NoticeStatus.CAPPED
    if not emailed and signature.status == SignatureStatus.PENDING:
        _email_confirmation(session, statement=statement, signature=signature)
        return NoticeStatus.CONFIRMATION
    _email_repeat(session, statement=statement, signature=signature)
    return NoticeStatus.REPEAT


def _confirm_link(signature: Signature) -> str:
    token = tokens.make_token(tokens.Purpose.CONFIRM, {"s": signature.id, "n": signature.nonce})
    return f"{get_settings().base_url}/confirm/{token}"


def _email_confirmation(session: Session, *, statement: Statement, signature: Signature) -> None:
    again = signature.withdrawn_at is not None
    if again:
        audit.record(
            session,
            statement_id=statement.id,
            actor=None,
            action="signature submitted again after withdrawal",
            actor_label=_("the signer"),
            detail=f"#{signature.id}",
        )
    emails.email_signer(
        session,
        signature,
        template="signature_confirm",
        subject=N_("Please confirm your signature: %(title)s"),
        title=statements.current_version(session, statement=statement).title,
        organisation=signature.organisation,
        link=_confirm_link(signature),
        days=get_settings().signature_confirm_days,
        again=again,
        confirm_until=lifecycle.confirm_until(statement, signature),
        deadline=statement.deadline_at,
        zone=statement.deadline_zone,
    )


def _email_repeat(session: Session, *, statement: Statement, signature: Signature) -> None:
    """Greets them with the name stored with their signature: the new submission's name
    was never kept, so a stranger cannot put words in our mouth."""
    pending = signature.status == SignatureStatus.PENDING
    emails.email_signer(
        session,
        signature,
        template="signature_repeat",
        subject=N_("You have already signed: %(title)s"),
        title=statements.current_version(session, statement=statement).title,
        organisation=signature.organisation,
        pending=pending,
        # Still pending: they may have lost the first email, so the link comes again.
        link=_confirm_link(signature) if pending else "",
        public_link=f"{get_settings().base_url}/s/{statement.slug}",
        # Confirmed: they may want to change what they gave (re-confirmed by email).
        edit_link="" if pending else lifecycle.edit_link(signature),
        days=get_settings().signature_confirm_days,
        confirm_until=lifecycle.confirm_until(statement, signature),
        deadline=statement.deadline_at,
        zone=statement.deadline_zone,
    )


def _email_thanks(session: Session, *, statement: Statement, signature: Signature) -> None:
    """In the language they signed in, whatever the browser that confirmed prefers; it
    says whether the signature counts yet as it stands when the worker writes it."""
    base = get_settings().base_url
    emails.email_signer(
        session,
        signature,
        template="signature_confirmed",
        subject=N_("Thank you for signing: %(title)s"),
        title=statements.current_version(session, statement=statement).title,
        approved=signature.status == SignatureStatus.APPROVED,
        public_link=f"{base}/s/{statement.slug}",
        withdraw_link=f"{base}/withdraw/{lifecycle.withdraw_token(signature)}",
        edit_link=lifecycle.edit_link(signature),
    )


def _prune_notices(session: Session, *, now: datetime) -> None:
    """Notices that sent nothing matter for nothing once done; emailed ones are the count
    for the cap and go once the window they count in is over."""
    window_start = now - timedelta(days=get_settings().signature_confirm_days)
    session.execute(
        delete(SigningNotice).where(
            col(SigningNotice.status) != NoticeStatus.QUEUED,
            or_(
                col(SigningNotice.status).not_in(EMAILED),
                col(SigningNotice.done_at) < window_start,
            ),
        )
    )
