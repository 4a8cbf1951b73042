"""Lead accounts: people who run statements, their sign-in sessions and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The interface language they chose: every email to them (digests) is written in it.
    locale: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    # The password no longer signs this account in: only a passkey does.
    passkey_only: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Shown at the top of every email the app sends them, so a message without it (or
    # with another) is not from us: a phisher copying our layout cannot know it.
    anti_phishing_phrase: str = Field(
        default="", max_length=100, sa_column_kwargs={"server_default": ""}
    )


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; we keep only its hash,
    so a leaked database cannot be replayed as sessions, and revoking is one UPDATE.
    Of the browser we keep only what lets its lead recognise it (app/security/clients.py):
    never the full address or user-agent string."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Moved forward at most once a minute (not a write per request); the idle timeout
    # counts from here, the absolute timeout from created_at (expires_at).
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    browser: str = Field(default="", max_length=64)  # "Firefox on Linux"
    network: str = Field(default="", max_length=64)  # "203.0.113.0/24"
    # When this browser last proved a second factor: sensitive actions need it recent.
    stepped_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """An invitation for a new lead; accepted once, before it expires."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    nonce: str = Field(max_length=64, unique=True)
    invited_by_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    make_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SetupCode(SQLModel, table=True):
    """The one-time code that unlocks creating the first administrator.

    Printed to the console by `undersigned serve`; only its hash is stored.
    """

    __tablename__ = "setup_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal access token for the JSON API. Shown once; only its hash is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    # Space-separated scopes: "read", "write", "contact" (signers' contact data).
    scopes: str = Field(default="read", max_length=100)


class PasswordReset(SQLModel, table=True):
    """A password-reset link sent by email: the token names this row and its nonce, so
    the link works once (used_at), and a newer request for the same lead cancels it."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    nonce: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
