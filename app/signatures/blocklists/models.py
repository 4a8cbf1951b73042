"""A statement's blocklist: email domains, addresses and IP ranges its leads have seen
abusing it. A signature that matches is held for a lead, never refused.

A hit keeps a copy of the entry it matched, so the reason a signature was held still
reads the same after the entry is removed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow

MAX_VALUE = 254  # the longest email address; a domain or a network is shorter
MAX_NOTE = 300


class EntryKind(StrEnum):
    DOMAIN = "domain"  # the domain and every subdomain of it
    ADDRESS = "address"  # one email address
    IP_RANGE = "ip_range"  # a network in CIDR notation, IPv4 or IPv6


class BlocklistEntry(SQLModel, table=True):
    __tablename__ = "blocklist_entry"
    __table_args__ = (UniqueConstraint("statement_id", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", ondelete="CASCADE")
    kind: EntryKind = Field(sa_type=StrEnumType(EntryKind))
    value: str = Field(max_length=MAX_VALUE)  # normalised: what signatures are compared with
    note: str = Field(default="", max_length=MAX_NOTE)  # why, for the rest of the team
    added_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    added_by_label: str = Field(default="", max_length=200)  # as shown once the account is gone
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BlocklistHit(SQLModel, table=True):
    """Why a signature was held: the entry it matched, as it was then."""

    __tablename__ = "blocklist_hit"

    id: int | None = Field(default=None, primary_key=True)
    signature_id: int = Field(foreign_key="signature.id", index=True, ondelete="CASCADE")
    kind: EntryKind = Field(sa_type=StrEnumType(EntryKind))
    value: str = Field(max_length=MAX_VALUE)
    added_by_label: str = Field(default="", max_length=200)
    added_at: datetime = Field(sa_type=UTCDateTime)
