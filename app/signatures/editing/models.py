"""A signer's change to their own details, waiting for the emailed confirmation and then
kept: what they asked for, and once applied, what the signature held before."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow
from app.security.encryption import EncryptedText


class SignatureChange(SQLModel, table=True):
    __tablename__ = "signature_change"

    id: int | None = Field(default=None, primary_key=True)
    signature_id: int = Field(foreign_key="signature.id", index=True, ondelete="CASCADE")
    nonce: str = Field(max_length=64)  # in the confirmation link; single use via applied_at
    # JSON, encrypted like the signature's own details
    changes: str = Field(sa_type=EncryptedText())  # {detail: new value}
    previous: str = Field(default="", sa_type=EncryptedText())  # the values replaced, once applied
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
