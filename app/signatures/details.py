"""A signer's details: the one definition of what a signer gives, in the sign form's order,
with each field's limit and labels. The sign form's input, the cleaned form, the inserted
row, the API's input schema, the import's column choices and the team export's columns are
all made from it, so a new detail is added here (and in the form's template) once.

The `signature` table keeps its own column definitions (a migration makes it);
tests/signatures/test_details.py holds its limits to these.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from app.core.i18n import N_
from app.signatures.models import EcosocStatus, Listing, SignerKind

# The longest text the form, the API and imports take before cleaning: longer text reaches
# the cleaning, which says "under 200" by field instead of refusing the whole request.
SENT_TEXT = 5000


@dataclass(frozen=True)
class Detail:
    """One thing a signer gives. Labels are catalog messages, translated where shown."""

    name: str
    type: type  # once cleaned: str, bool, SignerKind, Listing or EcosocStatus
    column: str  # in the import's "this column holds" choices
    label: str = ""  # in the form's "too long" messages ("" where the form has its own)
    header: str = ""  # the team export's column, after the email ("" when placed or left out)
    limit: int = 0  # the stored length of text
    sent_limit: int = SENT_TEXT  # the longest text taken before cleaning
    required: bool = False  # by the API's schema (the cleaning decides for the form)
    default: Any = None  # in the API when not sent; None: the type's empty value
    help: str = ""  # the API's description

    @property
    def is_text(self) -> bool:
        return self.type is str

    @property
    def is_yes(self) -> bool:
        return self.type is bool

    def sent_default(self) -> str:
        """What the form's text holds when the field was not sent."""
        return self.default.value if self.default is not None else ""

    def as_sent(self, value: Any) -> str:
        """A typed value (the API's JSON) as the form would post it."""
        if self.is_yes:
            return "true" if value else ""
        return str(value.value if isinstance(value, SignerKind | Listing | EcosocStatus) else value)


def _about(**spec: Any) -> dict[str, Any]:
    return {"detail": spec}


@dataclass(frozen=True)
class SignerDetails:
    """What a signer gives, cleaned: the values stored in their signature."""

    kind: SignerKind = field(
        metadata=_about(
            column=N_("Signing as (organisation or individual)"), required=True, sent_limit=40
        )
    )
    name: str = field(
        metadata=_about(
            column=N_("Name of the signer"),
            label=N_("Full name"),
            header=N_("Name"),
            limit=200,
            required=True,
            help="The signer; for an organisation, who signs.",
        )
    )
    title: str = field(
        metadata=_about(
            column=N_("Title / position"),
            label=N_("Title in the organisation"),
            header=N_("Title"),
            limit=200,
            help="Organisations: the signer's title.",
        )
    )
    note: str = field(
        metadata=_about(
            column=N_("Note / affiliation (individuals)"),
            label=N_("Note"),
            header=N_("Note"),
            limit=300,
            help="Individuals: shown with the name.",
        )
    )
    organisation: str = field(
        metadata=_about(
            column=N_("Organisation"),
            label=N_("Organisation name"),
            header=N_("Organisation"),
            limit=300,
        )
    )
    acronym: str = field(
        metadata=_about(column=N_("Acronym"), label=N_("Acronym"), header=N_("Acronym"), limit=40)
    )
    website: str = field(
        metadata=_about(column=N_("Website"), label=N_("Website"), header=N_("Website"), limit=300)
    )
    ecosoc_status: EcosocStatus = field(
        metadata=_about(
            column=N_("ECOSOC consultative status"),
            header=N_("ECOSOC status"),
            default=EcosocStatus.NONE,
            sent_limit=40,
            help="Organisations: consultative status with ECOSOC (general, special, roster "
            "or none), for UN Human Rights Council written statements.",
        )
    )
    country: str = field(
        metadata=_about(
            column=N_("Country"),
            header=N_("Country"),
            limit=2,
            sent_limit=100,
            help="ISO 3166-1 alpha-2.",
        )
    )
    email: str = field(
        metadata=_about(
            column=N_("Email address"),
            header=N_("Email"),
            limit=254,
            required=True,
            help="Where the confirmation link is sent.",
        )
    )
    listing: Listing = field(
        metadata=_about(column=N_("How to be listed"), default=Listing.NAMED, sent_limit=40)
    )
    authorised: bool = field(
        metadata=_about(
            column=N_("Authorised to sign for the organisation"),
            sent_limit=10,
            help="Organisations: the signer may sign on its behalf.",
        )
    )
    consent_privacy: bool = field(
        metadata=_about(
            column=N_("Agreed to the privacy notice"),
            header=N_("Privacy consent"),
            sent_limit=10,
            help="Must be true.",
        )
    )
    opt_in_updates: bool = field(
        metadata=_about(column=N_("Wants updates"), header=N_("Updates opt-in"), sent_limit=10)
    )


@cache
def all_details() -> tuple[Detail, ...]:
    """Every detail, in the sign form's order."""
    types = typing.get_type_hints(SignerDetails)
    return tuple(
        Detail(name=f.name, type=types[f.name], **f.metadata["detail"])
        for f in fields(SignerDetails)
    )


NAMES: tuple[str, ...] = tuple(f.name for f in fields(SignerDetails))


def detail(name: str) -> Detail:
    return next(d for d in all_details() if d.name == name)


@cache
def exported() -> tuple[Detail, ...]:
    """The team export's columns after "Public line", in order."""
    return tuple(d for d in all_details() if d.header)
