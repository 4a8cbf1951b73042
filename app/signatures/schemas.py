"""What the signatures API accepts and returns.

A signature sent as JSON becomes the same `SignInput` the sign form posts, so the one
cleaning path in `app.signatures.forms` gives both the same field errors and the same
stored values. Only the transport differs: JSON booleans and enums instead of form text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, create_model

from app.core.errors import FieldErrors
from app.core.i18n import gettext as _
from app.signatures import details
from app.signatures.forms import SignInput
from app.signatures.models import EcosocStatus, Flag, Listing, SignatureStatus, SignerKind, Source
from app.signatures.signing import several
from app.signatures.verification.schemas import Verification
from app.statements.schemas import ApiInput


def _typed(detail: details.Detail) -> Any:
    """A detail as JSON sends it: booleans and enums instead of the form's text."""
    kind = StrictBool if detail.is_yes else detail.type
    if detail.required:
        default: Any = ...
    elif detail.default is not None:
        default = detail.default
    else:
        default = False if detail.is_yes else ""
    limit = detail.sent_limit if detail.is_text else None
    return (kind, Field(default, description=detail.help or None, max_length=limit))


# Made from the details' one definition; mypy cannot look into it (see forms.SignInput).
_SignatureFields: Any = create_model(
    "SignatureFields",
    __base__=ApiInput,
    **{d.name: _typed(d) for d in details.all_details()},
)


_OrganisationFields: Any = create_model(
    "OrganisationFields",
    __base__=ApiInput,
    **{d.name: _typed(d) for d in details.all_details() if d.name in several.BLOCK_FIELDS},
)


class OrganisationSign(_OrganisationFields):
    """One organisation the signer signs for, in `organisations`: each needs
    `organisation`, `country` and its own `authorised`."""

    def as_sent(self) -> dict[str, str]:
        return {
            d.name: d.as_sent(getattr(self, d.name))
            for d in details.all_details()
            if d.name in several.BLOCK_FIELDS
        }


class SignatureCreate(_SignatureFields):
    """A signature, as the sign form would send it. Organisations need `organisation`,
    `country` and `authorised`; everyone needs `consent_privacy`. To sign for several
    organisations at once, give them in `organisations` instead (and leave the top-level
    organisation fields empty): each becomes its own signature with its own confirmation
    email; errors name them `organisations.<index>.<field>`."""

    form_token: str | None = Field(
        default=None,
        max_length=500,
        description="From GET …/sign-token when the signer began; how long they took.",
    )
    organisations: list[OrganisationSign] = Field(
        default_factory=list,
        max_length=several.MAX_ORGANISATIONS,
        description=f"With `kind` organisation: up to {several.MAX_ORGANISATIONS} "
        "organisations signed for by this person, each with its own `organisation`, "
        "`acronym`, `website`, `ecosoc_status`, `country` and `authorised`. The person's "
        "`name`, `title`, `email`, `listing` and consent are given once, at the top level.",
    )

    def to_input(self) -> SignInput:
        return SignInput(**self.as_sent())

    def as_sent(self) -> dict[str, str]:
        """The top-level fields as the sign form would post them."""
        return {d.name: d.as_sent(getattr(self, d.name)) for d in details.all_details()}

    def organisation_blocks(self) -> list[dict[str, str]]:
        """`organisations` as the form's blocks; `FieldErrors` when they cannot be meant."""
        if not self.organisations:
            return []
        given = self.as_sent()
        if given["kind"] != SignerKind.ORGANISATION.value:
            raise FieldErrors(
                {"organisations": _("Only a signature for organisations lists organisations.")}
            )
        if any(
            given[name] and given[name] != details.detail(name).sent_default()
            for name in several.BLOCK_FIELDS
        ):
            raise FieldErrors(
                {
                    "organisations": _(
                        "Give the organisations either in “organisations” or in the "
                        "top-level fields, not both."
                    )
                }
            )
        return [org.as_sent() for org in self.organisations]


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
    countries: int = Field(
        description="Distinct countries of the signatories listed by name; anonymous and "
        "counted-only signers are in the other counts alone."
    )


class SignatureSummary(BaseModel):
    """Approved signatures only, as the public page shows them."""

    counts: PublicCounts
    signatories: list[PublicSignatory] = Field(
        description="Named and anonymous signatories in the statement's order, the first "
        "500 (all of them: /s/{slug}/signatories.json); counted-only signers are in the "
        "counts alone."
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
    ecosoc_status: EcosocStatus = Field(description="Organisations: ECOSOC status as stated.")
    authorised: bool
    display_name: str | None = Field(description="The team's correction of the name, if any.")
    display_acronym: str | None
    display_title: str | None = Field(description='The team\'s correction; "" shows none.')
    display_note: str | None
    display_country: str | None
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
    verification: Verification | None = Field(
        default=None, description="Organisations: how sure it is that they signed."
    )


class SignaturePage(BaseModel):
    items: list[TeamSignature]
    total: int = Field(description="How many match the filters, on all pages.")
    page: int
    per_page: int
