"""A signer's request to see what is held about them, waiting for the worker.

The request page only writes this row, whether or not the address ever signed, so its
answer and its timing are the same for everyone; the worker looks the address up and
emails what it finds, then deletes the row."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow
from app.security.encryption import EncryptedText


class PrivacyRequest(SQLModel, table=True):
    __tablename__ = "privacy_request"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=EncryptedText(254))  # app.security.encryption
    locale: str = Field(default="en", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
