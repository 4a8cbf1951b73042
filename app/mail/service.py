"""Queueing email: render a template pair into an outbox row in the caller's transaction."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.core import templating
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import get_locale
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
    statement_id: int | None = None,
) -> OutboxMessage:
    """Write the message to the outbox; the worker sends it once the transaction commits.

    Renders `emails/<template>.txt` and `emails/<template>.html` in the current locale.
    Names and subjects are forced to one line, so nothing typed can add a header.
    `statement_id` names the statement the message is about: its body is deleted with
    the statement's contact details.
    """
    ctx = {"base_url": get_settings().base_url, **context}
    host = urlsplit(get_settings().base_url).hostname or "undersigned.localhost"
    message = OutboxMessage(
        kind=kind,
        to_address=to_address,
        to_name=clean_line(to_name, max_length=200),
        subject=clean_line(subject, max_length=300),
        text_body=templating.render_text(f"emails/{template}.txt", ctx),
        html_body=templating.render_text(f"emails/{template}.html", ctx),
        locale=get_locale(),
        message_id=make_msgid(domain=host),
        statement_id=statement_id,
    )
    session.add(message)
    session.flush()
    return message


def list_messages(
    session: Session, *, status: OutboxStatus | None = None, limit: int = 100
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)  # type: ignore[union-attr]
    if status is not None:
        query = query.where(OutboxMessage.status == status)  # type: ignore[arg-type]
    return list(session.execute(query).scalars())


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
