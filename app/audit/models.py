"""The audit log: every lead action on a statement — who, what, when, from which state
to which — visible to the statement's team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int | None = Field(
        default=None, foreign_key="statement.id", index=True, ondelete="CASCADE"
    )
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # Who acted, as shown: a lead's name, "API token 'x'", or "review link 'y'".
    actor_label: str = Field(default="", max_length=200)
    action: str = Field(max_length=60)
    from_state: str = Field(default="", max_length=20)
    to_state: str = Field(default="", max_length=20)
    detail: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
