"""Coalition outreach: a statement team's roster of partner organisations, the personal
invitations sent from it, reminders before the deadline, and the referral links that
say who brought a signature.

    invited ──sign through the link──▶ signed
       │  └──"we won't sign this one"──▶ declined ──sign later──▶ signed
       └──the invitation failed to deliver──▶ bounced

"signed" is not stored: an invitation is signed while the signature made through its
link is pending, confirmed or approved (`service.status_of`). Never public: no page
outside the team shows a roster entry, an invitation or a contact address.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow
from app.security.encryption import EncryptedText

DEFAULT_REMINDER_HOURS = "72,24"  # 3 days and 24 hours before the deadline


class RosterSource(StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    SIGNERS = "signers"  # an earlier statement's signers who opted in to updates


class InvitationStatus(StrEnum):
    INVITED = "invited"
    SIGNED = "signed"
    DECLINED = "declined"
    BOUNCED = "bounced"


class RosterContact(SQLModel, table=True):
    """One organisation on the team's roster, with the person to write to. At most one
    entry per organisation (`service.find_organisation`: the look-alike keys)."""

    __tablename__ = "outreach_contact"
    __table_args__ = (Index("ix_outreach_contact_statement_org_key", "statement_id", "org_key"),)

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    organisation: str = Field(max_length=300)
    acronym: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)
    country: str = Field(default="", max_length=2)
    group_name: str = Field(default="", max_length=100)  # the team's own grouping ("Asia network")
    # Contact data, encrypted at rest like the signatures' (app/security/encryption.py):
    # never queried by the address or the name.
    name: str = Field(default="", sa_type=EncryptedText(200))
    email: str = Field(sa_type=EncryptedText(254))
    language: str = Field(default="en", max_length=16)
    org_key: str = Field(default="", max_length=300)  # app.signatures.similarity keys
    site: str = Field(default="", max_length=300)
    source: RosterSource = Field(default=RosterSource.MANUAL, sa_type=StrEnumType(RosterSource))
    source_statement_id: int | None = Field(
        default=None, foreign_key="statement.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutreachPlan(SQLModel, table=True):
    """The statement's invitation message and reminder times (hours before the deadline)."""

    __tablename__ = "outreach_plan"

    statement_id: int = Field(foreign_key="statement.id", primary_key=True, ondelete="CASCADE")
    message: str = Field(default="", sa_type=Text)
    reminder_hours: str = Field(default=DEFAULT_REMINDER_HOURS, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    __tablename__ = "outreach_invitation"
    __table_args__ = (
        UniqueConstraint("statement_id", "email_key"),
        Index("ix_outreach_invitation_status", "status", "stop_reminders"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(
        default=None, foreign_key="outreach_contact.id", ondelete="SET NULL"
    )
    email: str = Field(sa_type=EncryptedText(254))  # contact data (see RosterContact.email)
    email_key: str = Field(max_length=254)  # the blind index (forms.email_key): one each
    name: str = Field(default="", sa_type=EncryptedText(200))
    organisation: str = Field(default="", max_length=300)
    acronym: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)
    country: str = Field(default="", max_length=2)
    language: str = Field(default="en", max_length=16)
    # invited, declined or bounced; "signed" comes from the signature (models docstring).
    status: InvitationStatus = Field(
        default=InvitationStatus.INVITED, sa_type=StrEnumType(InvitationStatus)
    )
    nonce: str = Field(max_length=64)  # in the personal link; replaced to revoke it
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signature_id: int | None = Field(default=None, foreign_key="signature.id", ondelete="SET NULL")
    # The invitation email's Message-ID (outbox_message.message_id): a failed delivery
    # makes the invitation "bounced".
    message_ref: str = Field(default="", max_length=200, index=True)
    stop_reminders: bool = False
    reminders_sent: int = 0
    # The last reminder time handled (sent, or passed before the invitation was sent).
    reminded_through: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    """A co-lead's or partner organisation's link: /s/{slug}/sign?ref={code}."""

    __tablename__ = "outreach_referral"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=200)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Arrival(SQLModel, table=True):
    """Who brought a signature: its invitation or referral link (the first one it came
    through; a repeat submission does not move it)."""

    __tablename__ = "outreach_arrival"

    signature_id: int = Field(foreign_key="signature.id", primary_key=True, ondelete="CASCADE")
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    invitation_id: int | None = Field(
        default=None, foreign_key="outreach_invitation.id", ondelete="SET NULL"
    )
    referral_id: int | None = Field(
        default=None, foreign_key="outreach_referral.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
