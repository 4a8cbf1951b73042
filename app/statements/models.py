"""Statements: the text a coalition asks people to sign, its versions, its team, and the
private review links used to circulate a draft.

State machine (one service function per transition, each checking its precondition):

    draft ──open──▶ open ──close──▶ closed ──finalise──▶ final
                     ▲                │
                     └────reopen──────┘
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow


class StatementStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FINAL = "final"


class SignerKinds(StrEnum):
    ORGANISATIONS = "organisations"
    INDIVIDUALS = "individuals"
    BOTH = "both"


class Moderation(StrEnum):
    """Which confirmed signatures are approved without a lead looking at them."""

    MANUAL = "manual"
    AUTO_INDIVIDUALS = "auto_individuals"
    AUTO_ALL = "auto_all"


class ListOrder(StrEnum):
    ORGANISATIONS_FIRST = "organisations_first"
    INDIVIDUALS_FIRST = "individuals_first"
    ALPHABETICAL = "alphabetical"


class ListSort(StrEnum):
    """How names are ordered within a group (a manual position, where set, always first)."""

    NAME = "name"
    COUNTRY = "country"  # by country name, then by name
    MANUAL = "manual"  # positions first, then the order signatures were approved


class TeamRole(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class Statement(SQLModel, table=True):
    __tablename__ = "statement"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    status: StatementStatus = Field(
        default=StatementStatus.DRAFT, sa_type=StrEnumType(StatementStatus)
    )
    # The current text lives in the latest StatementVersion; these are the settings.
    language: str = Field(default="en", max_length=16)
    contact_email: str = Field(default="", max_length=254)
    coordinators: str = Field(default="", sa_type=Text)  # one organisation per line
    signer_kinds: SignerKinds = Field(default=SignerKinds.BOTH, sa_type=StrEnumType(SignerKinds))
    moderation: Moderation = Field(default=Moderation.MANUAL, sa_type=StrEnumType(Moderation))
    list_order: ListOrder = Field(
        default=ListOrder.INDIVIDUALS_FIRST, sa_type=StrEnumType(ListOrder)
    )
    list_sort: ListSort = Field(
        default=ListSort.NAME,
        sa_type=StrEnumType(ListSort),
        sa_column_kwargs={"server_default": "name"},
    )
    # Sort "The Rights Group" under R in the signatory list.
    ignore_articles: bool = False
    # Translations the PDF carries after the original: language codes, comma-separated.
    document_languages: str = Field(
        default="", max_length=200, sa_column_kwargs={"server_default": ""}
    )
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)
    deadline_zone: str = Field(default="UTC", max_length=64)
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Signers' contact details are deleted this many days after finalisation
    # (app.signatures.retention); contact_purged_at records that it was done.
    retention_days: int = Field(default=90, sa_column_kwargs={"server_default": "90"})
    contact_purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The list's heading ("" reads "Signatories") and its "as of" date (None: the day the
    # list is made, or finalised), both frozen at finalisation.
    list_heading: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    list_as_of: date | None = Field(default=None, sa_type=Date)
    # The sentence for speeches (app.lists.prose): counts rounded down to this step, and
    # the lead's template ("" for the default sentence in the statement's language).
    prose_step: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    prose_template: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


class StatementVersion(SQLModel, table=True):
    """The text as it stood. Before opening, version 1 is edited in place; after, each
    change is a new version, marked minor (a typo) or material."""

    __tablename__ = "statement_version"
    __table_args__ = (UniqueConstraint("statement_id", "language", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    language: str = Field(default="en", max_length=16)
    number: int = 1
    title: str = Field(max_length=300)
    summary: str = Field(default="", max_length=500)
    addressed_to: str = Field(default="", max_length=500)
    body: str = Field(sa_type=Text)
    change_note: str = Field(default="", max_length=500)
    material: bool = False
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DigestFrequency(StrEnum):
    OFF = "off"
    HOURLY = "hourly"
    DAILY = "daily"


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("statement_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    role: TeamRole = Field(sa_type=StrEnumType(TeamRole))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # How often this lead hears about new signatures on this statement.
    digest: DigestFrequency = Field(
        default=DigestFrequency.DAILY, sa_type=StrEnumType(DigestFrequency)
    )
    digest_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewLink(SQLModel, table=True):
    """A private, revocable link that lets partners read a draft and comment on it."""

    __tablename__ = "review_link"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=200)
    nonce: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewComment(SQLModel, table=True):
    __tablename__ = "review_comment"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    review_link_id: int = Field(foreign_key="review_link.id", ondelete="CASCADE")
    version_id: int | None = Field(
        default=None, foreign_key="statement_version.id", ondelete="SET NULL"
    )
    author_name: str = Field(max_length=200)
    organisation: str = Field(default="", max_length=200)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
