"""Signatory groups (tiers): "Coordinating partners" above "Signatories". Every statement
has at least one, its default; a signature outside every group (group_id NULL: signed
before the lead made groups, or its group deleted) is listed in the default one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class SignatoryGroup(SQLModel, table=True):
    __tablename__ = "signatory_group"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    position: int = 0  # the order of the groups in every output
    is_default: bool = False  # where new signatures go
    in_prose: bool = False  # the group the sentence for speeches names (one per statement)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
