"""Queueing email: render a template pair into an outbox row in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core import templating
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import get_locale
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.mail.models import OutboxMessage, OutboxStatus


def queue_email(
    session: Session,
    *,
    kind: str,
    to_address: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    to_name: str = "",
    signature_id: int | None = None,
    statement_id: int | None = None,
    anti_phishing_phrase: str = "",
) -> OutboxMessage:
    """Write the message to the outbox; the worker sends it once the transaction commits.

    Renders `emails/<template>.txt` and `emails/<template>.html` in the current locale.
    Names and subjects are forced to one line, so nothing typed can add a header.
    `statement_id` names the statement the message is about: its body is deleted with
    the statement's contact details.

    `anti_phishing_phrase` is the lead's own phrase (User.anti_phishing_phrase): it heads
    the message, so an email without it is not from us. Pass it for every email to a lead.
    """
    ctx = {
        "base_url": get_settings().base_url,
        **context,
        "anti_phishing_phrase": anti_phishing_phrase,
    }
    text_body = templating.render_text(f"emails/{template}.txt", ctx)
    if anti_phishing_phrase:
        heading = _("Your security phrase: %(phrase)s") % {"phrase": anti_phishing_phrase}
        text_body = f"{heading}\n\n{text_body}"
    host = urlsplit(get_settings().base_url).hostname or "undersigned.localhost"
    message = OutboxMessage(
        kind=kind,
        to_address=to_address,
        to_name=clean_line(to_name, max_length=200),
        subject=clean_line(subject, max_length=300),
        text_body=text_body,
        html_body=templating.render_text(f"emails/{template}.html", ctx),
        locale=get_locale(),
        message_id=make_msgid(domain=host),
        signature_id=signature_id,
        statement_id=statement_id,
    )
    session.add(message)
    session.flush()
    return message


def list_messages(
    session: Session, *, status: OutboxStatus | None = None, limit: int = 100
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    return list(session.exec(query).all())


def get_message(session: Session, *, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def retry_message(session: Session, *, message_id: int) -> bool:
    """Put a failed message back in the queue (a lead fixed the address, or the server)."""
    result = session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == OutboxStatus.FAILED
        )
        .values(status=OutboxStatus.READY, next_attempt_at=utcnow(), attempts=0, last_error="")
    )
    return result.rowcount == 1


# --- a statement's deliveries to its signers ------------------------------------------
# Scoped by statement and signature together, so no page shows another statement's mail.


def _troubled() -> ColumnElement[bool]:
    """Failed for good, or waiting for another try after a failure (a retry a lead asked
    for clears the error, so it is not shown as failing until it fails again)."""
    status = col(OutboxMessage.status)
    return or_(
        status == OutboxStatus.FAILED,
        and_(status == OutboxStatus.READY, col(OutboxMessage.last_error) != ""),
    )


def troubled_deliveries(
    session: Session, *, statement_id: int, signature_id: int
) -> list[OutboxMessage]:
    """The signature's messages that failed or are being retried, newest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.statement_id) == statement_id,
                col(OutboxMessage.signature_id) == signature_id,
                _troubled(),
            )
            .order_by(col(OutboxMessage.id).desc())
        ).all()
    )


def troubled_signatures(
    session: Session, *, statement_id: int, signature_ids: Sequence[int] | None = None
) -> dict[int, OutboxStatus]:
    """Signature id → FAILED if any of its messages failed for good, else READY (retrying),
    for the statement's signatures with a troubled delivery (only `signature_ids`, if given)."""
    conditions = [col(OutboxMessage.statement_id) == statement_id, _troubled()]
    if signature_ids is not None:
        if not signature_ids:
            return {}
        conditions.append(col(OutboxMessage.signature_id).in_(list(signature_ids)))
    rows = session.exec(
        select(OutboxMessage.signature_id, OutboxMessage.status)
        .where(*conditions, col(OutboxMessage.signature_id).is_not(None))
        .distinct()
    ).all()
    found: dict[int, OutboxStatus] = {}
    for signature_id, status in rows:
        if signature_id is not None and found.get(signature_id) != OutboxStatus.FAILED:
            found[signature_id] = OutboxStatus(status)
    return found


def troubled_signature_ids(*, statement_id: int) -> SelectOfScalar[int] | SelectOfScalar[None]:
    """A subquery: the statement's signatures with a troubled delivery."""
    return select(OutboxMessage.signature_id).where(
        col(OutboxMessage.statement_id) == statement_id, _troubled()
    )


def count_failed_since(
    session: Session, *, statement_id: int, since: datetime, until: datetime
) -> int:
    """Messages to the statement's signers that failed for good in (since, until]: a
    failed row's claim is the attempt that failed it."""
    claimed_at = col(OutboxMessage.claimed_at)
    return session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.statement_id) == statement_id,
            col(OutboxMessage.status) == OutboxStatus.FAILED,
            claimed_at > since,
            claimed_at <= until,
        )
    ).one()


def retry_signature_deliveries(session: Session, *, statement_id: int, signature_id: int) -> int:
    """Put the signature's failed messages back in the queue; returns how many."""
    result = session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.statement_id) == statement_id,
            col(OutboxMessage.signature_id) == signature_id,
            col(OutboxMessage.status) == OutboxStatus.FAILED,
        )
        .values(status=OutboxStatus.READY, next_attempt_at=utcnow(), attempts=0, last_error="")
    )
    return result.rowcount
