"""A lead's second factors (passkeys, a TOTP app, recovery codes), the WebAuthn
challenges in flight, and the site-wide settings an administrator changes on a page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Passkey(SQLModel, table=True):
    """A WebAuthn credential. Only the public key is ever on the server."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    # base64url of the authenticator's credential id: how an assertion names its key.
    credential_id: str = Field(max_length=1400, unique=True)
    public_key: bytes = Field(sa_type=LargeBinary)
    # What the authenticator last reported; 0 when it does not count (most passkeys
    # synced between devices). A count that stops increasing means a cloned key.
    sign_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TotpFactor(SQLModel, table=True):
    """An authenticator app. Unconfirmed until the lead proves it with a code."""

    __tablename__ = "totp_factor"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True, ondelete="CASCADE")
    secret: str = Field(max_length=64)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The 30-second step of the last accepted code: a code is good once in its window.
    last_used_step: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecoveryCode(SQLModel, table=True):
    """A single-use code for a lead who lost their factors; only its digest is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge handed to the browser: used once, within minutes, and only by the
    browser holding the random cookie whose digest is `binding_hash`."""

    __tablename__ = "webauthn_challenge"

    id: int | None = Field(default=None, primary_key=True)
    binding_hash: str = Field(max_length=64, index=True)
    purpose: str = Field(max_length=20)  # "register", "sign-in", "step-up"
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    challenge: str = Field(max_length=200)  # base64url
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SiteSetting(SQLModel, table=True):
    """A setting an administrator changes on a page (an env var would need a restart
    and leave no trace of who changed it)."""

    __tablename__ = "site_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
