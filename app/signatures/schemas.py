"""What the signatures API accepts and returns.

A signature sent as JSON becomes the same `SignInput` the sign form posts, so the one
cleaning path in `app.signatures.forms` gives both the same field errors and the same
stored values. Only the transport differs: JSON booleans and enums instead of form text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from app.signatures.forms import SignInput
from app.signatures.models import Flag, Listing, SignatureStatus, SignerKind, Source
from app.statements.schemas import ApiInput

# The form's own limits: longer text reaches the service, which says "under 200" by field.
TEXT = 5000


def _flag(value: bool) -> str:
    return "true" if value else ""


class SignatureCreate(ApiInput):
    """A signature, as the sign form would send it. Organisations need `organisation`,
    `country` and `authorised`; everyone needs `consent_privacy`."""

    kind: SignerKind
    name: str = Field(max_length=TEXT, description="The signer; for an organisation, who signs.")
    title: str = Field(
        default="", max_length=TEXT, description="Organisations: the signer's title."
    )
    note: str = Field(default="", max_length=TEXT, description="Individuals: shown with the name.")
    organisation: str = Field(default="", max_length=TEXT)
    acronym: str = Field(default="", max_length=TEXT)
    website: str = Field(default="", max_length=TEXT)
    country: str = Field(default="", max_length=100, description="ISO 3166-1 alpha-2.")
    email: str = Field(max_length=TEXT, description="Where the confirmation link is sent.")
    listing: Listing = Listing.NAMED
    authorised: StrictBool = Field(
        default=False, description="Organisations: the signer may sign on its behalf."
    )
    consent_privacy: StrictBool = Field(default=False, description="Must be true.")
    opt_in_updates: StrictBool = False
    form_token: str | None = Field(
        default=None,
        max_length=500,
        description="From GET …/sign-token when the signer began; how long they took.",
    )

    def to_input(self) -> SignInput:
        return SignInput(
            kind=self.kind.value,
            name=self.name,
            title=self.title,
            note=self.note,
            organisation=self.organisation,
            acronym=self.acronym,
            website=self.website,
            country=self.country,
            email=self.email,
            listing=self.listing.value,
            authorised=_flag(self.authorised),
            consent_privacy=_flag(self.consent_privacy),
            opt_in_updates=_flag(self.opt_in_updates),
        )


class SignAccepted(BaseModel):
    """The same answer whether or not this address signed before: the inbox is told."""

    status: Literal["check_your_email"] = "check_your_email"


class SignToken(BaseModel):
    form_token: str = Field(description="Send back as `form_token` with the signature.")


class PublicSignatory(BaseModel):
    kind: SignerKind
    name: str = Field(description="As listed: anonymous signers appear only as a label.")


class PublicCounts(BaseModel):
    organisations: int
    individuals: int
    total: int


class SignatureSummary(BaseModel):
    """Approved signatures only, as the public page shows them."""

    counts: PublicCounts
    signatories: list[PublicSignatory] = Field(
        description="Named and anonymous signatories in the statement's order; "
        "counted-only signers are in the counts alone."
    )


# --- team -------------------------------------------------------------------------------


class TeamSignature(BaseModel):
    id: int
    kind: SignerKind
    status: SignatureStatus
    listing: Listing
    public_name: str = Field(description="How the public list shows it; empty if not shown.")
    name: str
    title: str
    note: str
    email: str
    country: str
    organisation: str
    acronym: str
    website: str
    authorised: bool
    display_name: str | None = Field(description="The team's correction of the name, if any.")
    display_acronym: str | None
    consent_privacy: bool
    opt_in_updates: bool
    locale: str
    flags: list[Flag] = Field(description="Why it is held for a lead; never why it was refused.")
    source: Source
    source_note: str
    version_confirmed: int | None = Field(description="The text version the signer confirmed.")
    submitted_at: datetime
    confirmed_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None


class SignaturePage(BaseModel):
    items: list[TeamSignature]
    total: int = Field(description="How many match the filters, on all pages.")
    page: int
    per_page: int
