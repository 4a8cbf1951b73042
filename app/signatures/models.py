"""Signatures: who signed a statement, how they want to be listed, and where each one is
in its life.

    pending ──confirm──▶ confirmed ──approve──▶ approved
       │                     │  ▲                 │
       │                     ▼  │                 │
       │                  rejected ◀──reject──────┘
       └──────────────────────┴──── withdraw ───▶ withdrawn ──sign again──▶ pending

A signer confirms by email (pending → confirmed); the statement's moderation policy may
approve at once. Leads approve or reject. The signer can withdraw until the statement is
final, and sign again after withdrawing: the same row becomes a new pending signature
(the unique key stays one row per signer; its `withdrawn_at` keeps the last withdrawal).
Anonymous and counted-only signers never appear by name in public output.

Every submission from the sign form, first or repeat, also writes one SigningNotice; the
worker decides which email it becomes (`write_notices` in app/signatures/signing/notices.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from app.core.db import StrEnumType, UTCDateTime, utcnow
from app.security.encryption import EncryptedText
from app.signatures import similarity


class SignerKind(StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class SignatureStatus(StrEnum):
    PENDING = "pending"  # awaiting email confirmation
    CONFIRMED = "confirmed"  # confirmed, awaiting a lead
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Listing(StrEnum):
    NAMED = "named"
    ANONYMOUS = "anonymous"  # only the label: "an organisation", "an individual"
    COUNTED = "counted"  # only in the counts


class EcosocStatus(StrEnum):
    """An organisation's consultative status with the UN Economic and Social Council, as
    it states it: the HRC written-statement layout groups co-sponsors by it."""

    GENERAL = "general"
    SPECIAL = "special"
    ROSTER = "roster"
    NONE = "none"  # no status, or not stated


class Source(StrEnum):
    FORM = "form"
    API = "api"
    MANUAL = "manual"  # added by a lead, e.g. from an email
    IMPORT = "import"  # from a CSV


class Flag(StrEnum):
    POSSIBLE_DUPLICATE = "possible_duplicate"
    DOMAIN_MISMATCH = "domain_mismatch"
    RATE_LIMITED = "rate_limited"
    HONEYPOT = "honeypot"
    TOO_FAST = "too_fast"
    DISPOSABLE_EMAIL = "disposable_email"
    BLOCKLISTED = "blocklisted"  # why: app.signatures.blocklists (BlocklistHit)


class Signature(SQLModel, table=True):
    __tablename__ = "signature"
    __table_args__ = (
        # One signature per person and kind on a statement, and for an organisation one per
        # person and organisation (one address may sign for several): the database settles
        # races.
        UniqueConstraint("statement_id", "kind", "email_key", "org_party_key"),
        Index("ix_signature_statement_status", "statement_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", ondelete="CASCADE")
    kind: SignerKind = Field(sa_type=StrEnumType(SignerKind))
    status: SignatureStatus = Field(
        default=SignatureStatus.PENDING, sa_type=StrEnumType(SignatureStatus)
    )
    listing: Listing = Field(default=Listing.NAMED, sa_type=StrEnumType(Listing))

    # The person: an individual signer, or whoever signs for an organisation.
    name: str = Field(sa_type=EncryptedText(200))
    title: str = Field(
        default="", sa_type=EncryptedText(200)
    )  # the signer's title in the organisation
    note: str = Field(
        default="", sa_type=EncryptedText(300)
    )  # an individual's note, shown with the name
    email: str = Field(sa_type=EncryptedText(254))
    # The blind index of the normalised address (forms.email_key): finds a repeat signer.
    email_key: str = Field(max_length=254)
    country: str = Field(default="", sa_type=EncryptedText(2))  # ISO 3166-1 alpha-2

    # An organisation.
    organisation: str = Field(default="", sa_type=EncryptedText(300))
    acronym: str = Field(default="", sa_type=EncryptedText(40))
    website: str = Field(default="", sa_type=EncryptedText(300))
    authorised: bool = False
    ecosoc_status: EcosocStatus = Field(
        default=EcosocStatus.NONE, sa_type=StrEnumType(EcosocStatus)
    )
    # The blind index of the organisation (similarity.party_key), "" for an individual: the
    # name is encrypted, so this is what the unique key and a repeat signer's lookup use.
    org_party_key: str = Field(
        default="", max_length=64, sa_column_kwargs={"default": similarity.party_default}
    )
    # The organisation's comparison keys for look-alike detection (app.signatures.similarity):
    # set on every insert, by the column defaults (Core inserts: the form, imports) or by
    # `_lookalike_keys` below (ORM objects); "" for individuals.
    org_key: str = Field(
        default="", max_length=300, sa_column_kwargs={"default": similarity.key_default}
    )
    site: str = Field(
        default="", max_length=300, sa_column_kwargs={"default": similarity.site_default}
    )
    acronym_key: str = Field(
        default="", max_length=300, sa_column_kwargs={"default": similarity.acronym_default}
    )

    # Corrections by the team; the originals above are kept as typed.
    display_name: str | None = Field(default=None, sa_type=EncryptedText(300))
    display_acronym: str | None = Field(default=None, sa_type=EncryptedText(40))
    display_title: str | None = Field(default=None, sa_type=EncryptedText(200))
    display_note: str | None = Field(default=None, sa_type=EncryptedText(300))
    # "" shows no country
    display_country: str | None = Field(default=None, sa_type=EncryptedText(2))
    position: int | None = None  # a manual place in the list
    # Its tier (app.statements.groups); NULL lists it in the statement's default group.
    group_id: int | None = Field(
        default=None, foreign_key="signatory_group.id", index=True, ondelete="SET NULL"
    )

    consent_privacy: bool = False
    opt_in_updates: bool = False
    locale: str = Field(default="en", max_length=16)
    flags: str = Field(default="", max_length=300)  # comma-separated Flag values
    source: Source = Field(default=Source.FORM, sa_type=StrEnumType(Source))
    source_note: str = Field(default="", sa_type=EncryptedText(500))

    nonce: str = Field(max_length=64)  # in confirm/withdraw links; replaced to revoke them
    version_id: int | None = Field(
        default=None, foreign_key="statement_version.id", ondelete="SET NULL"
    )  # the text version this signer confirmed
    reconsent_version_id: int | None = Field(
        default=None, foreign_key="statement_version.id", ondelete="SET NULL"
    )  # a material change they were asked to confirm again
    keep_listed: bool | None = None  # the team's decision for those who did not re-confirm

    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    # The last withdrawal; still set on a row signed again after it (submitted_at is later).
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip_hash: str = Field(default="", max_length=64)

    @property
    def shown_note(self) -> str:
        return self.note if self.display_note is None else self.display_note

    @property
    def shown_title(self) -> str:
        return self.title if self.display_title is None else self.display_title

    @property
    def shown_country(self) -> str:
        return self.country if self.display_country is None else self.display_country

    def flag_set(self) -> set[Flag]:
        return {Flag(f) for f in self.flags.split(",") if f}

    def add_flags(self, *flags: Flag) -> None:
        self.flags = ",".join(sorted(self.flag_set() | set(flags)))


class NoticeStatus(StrEnum):
    QUEUED = "queued"  # written by the request; the worker has not looked at it yet
    CONFIRMATION = "confirmation"  # became the confirmation email
    REPEAT = "repeat"  # became the "you have already signed" email
    CAPPED = "capped"  # no email: the address had its share in this window
    NOT_NEEDED = "not_needed"  # no email: withdrawn (or gone) before the worker came
    THANKED = "thanked"  # became the "thank you for signing" email (kind CONFIRMED)


class NoticeKind(StrEnum):
    SIGNED = "signed"  # the sign form was sent: a confirmation or a repeat notice
    CONFIRMED = "confirmed"  # the signer confirmed: the thank-you email, with their links


class SigningNotice(SQLModel, table=True):
    """One submission of the sign form, whatever it turned out to be. The request writes
    it the same way for a first signature and a repeat, so neither the response nor its
    timing says which; the worker decides, and writes the email. It holds only the
    signature it belongs to: never what the new submission typed. A confirmation writes
    one too (kind CONFIRMED): the thank-you email is the worker's to render, not the
    request's."""

    __tablename__ = "signing_notice"
    __table_args__ = (
        Index("ix_signing_notice_status", "status"),  # the worker's queue
        Index("ix_signing_notice_signature_status", "signature_id", "status"),  # the cap
    )

    id: int | None = Field(default=None, primary_key=True)
    signature_id: int = Field(foreign_key="signature.id", ondelete="CASCADE")
    kind: NoticeKind = Field(
        default=NoticeKind.SIGNED,
        sa_type=StrEnumType(NoticeKind),
        sa_column_kwargs={"server_default": NoticeKind.SIGNED.value},
    )
    status: NoticeStatus = Field(default=NoticeStatus.QUEUED, sa_type=StrEnumType(NoticeStatus))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignatureNote(SQLModel, table=True):
    """What the team writes about a signature: corrections, decisions, where it came from."""

    __tablename__ = "signature_note"

    id: int | None = Field(default=None, primary_key=True)
    signature_id: int = Field(foreign_key="signature.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    body: str = Field(sa_type=EncryptedText)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@event.listens_for(Signature, "before_insert")
def _lookalike_keys(_mapper: object, _connection: object, target: Signature) -> None:
    if target.kind == SignerKind.ORGANISATION and not target.org_party_key:
        target.org_party_key = similarity.party_key(target.kind, target.organisation)
    # Plain comparison keys only for an organisation listed by name: an anonymous or
    # counted-only organisation's name is encrypted, and these would give it away.
    if target.kind == SignerKind.ORGANISATION and target.listing == Listing.NAMED:
        target.org_key = similarity.org_key(target.organisation)
        target.site = similarity.website_domain(target.website)[: similarity.KEY_LENGTH]
        target.acronym_key = target.acronym.lower()[: similarity.KEY_LENGTH]
