"""The email outbox: a message is a row written in the caller's transaction and sent by
the worker after commit, so a rolled-back request never sends mail and a committed one
always does."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow
from app.security.encryption import EncryptedText


class OutboxStatus(StrEnum):
    READY = "ready"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_statement_status", "statement_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What the message is about ("invite", "signature_confirm", …): for the team's view.
    kind: str = Field(max_length=40)
    # Encrypted (app.security.encryption): the bodies carry signers' names and links.
    to_address: str = Field(sa_type=EncryptedText(254))
    to_name: str = Field(default="", sa_type=EncryptedText(200))
    subject: str = Field(max_length=300)
    text_body: str = Field(sa_type=EncryptedText)
    html_body: str = Field(default="", sa_type=EncryptedText)
    locale: str = Field(default="en", max_length=16)
    message_id: str = Field(max_length=200, unique=True)
    status: OutboxStatus = Field(default=OutboxStatus.READY, sa_type=StrEnumType(OutboxStatus))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str = Field(default="", max_length=100)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The signature (and its statement) a signer's email is about, so the statement's
    # leads can see and retry its failed deliveries, and its bodies go when the statement's
    # contact details are deleted (app.signatures.retention); empty for mail to leads and admins.
    # SET NULL: deleting a signature must not take the record of what was sent with it.
    signature_id: int | None = Field(
        default=None, foreign_key="signature.id", index=True, ondelete="SET NULL"
    )
    statement_id: int | None = Field(default=None, foreign_key="statement.id", ondelete="SET NULL")
