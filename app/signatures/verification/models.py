"""Organisation verification: how sure we are that an organisation really signed.

One `OrgVerification` row per organisation signature (made by the worker, never by the
sign request), and one `VerificationPolicy` per statement that has chosen to show a mark
or to hold organisations below a level. Addresses are never stored here: only the
domains the checks need (the email's domain, the website's domain).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow
from app.core.i18n import N_


class Level(StrEnum):
    DECLARED = "declared"  # the authority box only
    MAILBOX = "mailbox"  # a confirmed mailbox on the website's domain, which has DMARC enforced
    SECOND_PERSON = "second_person"  # another mailbox on the domain confirmed
    DOMAIN_CONTROL = "domain_control"  # our code in a TXT record or under /.well-known/


LEVEL_LABELS = {
    Level.DECLARED: N_("Declared"),
    Level.MAILBOX: N_("Mailbox on the domain"),
    Level.SECOND_PERSON: N_("Second person"),
    Level.DOMAIN_CONTROL: N_("Domain control"),
}
RANK = {Level.DECLARED: 0, Level.MAILBOX: 1, Level.SECOND_PERSON: 2, Level.DOMAIN_CONTROL: 3}


class Dmarc(StrEnum):
    UNCHECKED = ""
    MISSING = "missing"
    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"
    MALFORMED = "malformed"
    UNREACHABLE = "unreachable"  # the lookup failed (timeout, SERVFAIL): tried again later


class OrgVerification(SQLModel, table=True):
    __tablename__ = "org_verification"
    __table_args__ = (Index("ix_org_verification_due", "check_due_at"),)

    signature_id: int = Field(foreign_key="signature.id", primary_key=True, ondelete="CASCADE")
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    level: Level = Field(default=Level.DECLARED, sa_type=StrEnumType(Level))
    email_domain: str = Field(default="", max_length=254)  # of the address that signed
    site: str = Field(default="", max_length=300)  # the website's host, "www." dropped
    code: str = Field(max_length=64)  # for the TXT record or the /.well-known/ file
    dmarc: Dmarc = Field(default=Dmarc.UNCHECKED, sa_type=StrEnumType(Dmarc))
    # Why the level is not higher, in English catalog words (translated where shown).
    reason: str = Field(default="", max_length=500)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    check_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checks_left: int = 48  # automatic re-checks for the code before a lead must ask
    # "Was this you?": sent once the signature is confirmed (or nobody was known).
    known_notice_done: bool = False
    disputed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A second person asked to confirm: the domain of their address and the link's nonce.
    second_domain: str = Field(default="", max_length=254)
    second_nonce: str = Field(default="", max_length=64)
    second_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VerificationPolicy(SQLModel, table=True):
    """A statement's choices: show the level as a mark in public output, and hold
    organisations below a level out of the public list."""

    __tablename__ = "verification_policy"

    statement_id: int = Field(foreign_key="statement.id", primary_key=True, ondelete="CASCADE")
    show_mark: bool = False
    min_level: Level = Field(default=Level.DECLARED, sa_type=StrEnumType(Level))
