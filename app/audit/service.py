"""Recording and reading the audit log."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent


def record(
    session: Session,
    *,
    statement_id: int | None,
    actor: User | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    detail: str = "",
    actor_label: str = "",
) -> AuditEvent:
    event = AuditEvent(
        statement_id=statement_id,
        actor_id=actor.id if actor else None,
        actor_label=actor_label or (actor.name if actor else ""),
        action=action,
        from_state=from_state,
        to_state=to_state,
        detail=detail[:5000],
    )
    session.add(event)
    return event


def list_events(session: Session, *, statement_id: int, limit: int = 500) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.statement_id) == statement_id)
            .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        )
    )
