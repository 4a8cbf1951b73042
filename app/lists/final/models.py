"""The final snapshot: at finalisation the approved text and the list are frozen; every
later export of a final statement comes from here, and its PDF's SHA-256 is published so
anyone can check a copy they were sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, LargeBinary, Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class StatementSnapshot(SQLModel, table=True):
    __tablename__ = "statement_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", unique=True, ondelete="CASCADE")
    version_id: int | None = Field(
        default=None, foreign_key="statement_version.id", ondelete="SET NULL"
    )
    as_of: date = Field(sa_type=Date)
    list_json: str = Field(sa_type=Text)  # the SignatoryList, serialised
    pdf: bytes = Field(sa_type=LargeBinary)  # signed once; stored so it never changes
    pdf_sha256: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
