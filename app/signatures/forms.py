"""The sign form's input: one cleaning path for the web form, the API and imports, so
every route gives the same field errors and stores the same normalised values."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model

from app.core.config import get_settings
from app.core.errors import BadRequest, FieldErrors, about
from app.core.i18n import gettext as _
from app.core.text import check_website, clean_line, normalise_email
from app.security.tokens import Keyed, keyed_digest
from app.signatures import countries, details, similarity
from app.signatures.models import EcosocStatus, Listing, SignerKind
from app.statements.models import SignerKinds, Statement

TRUE = {"1", "true", "on", "yes", "y"}


# Made from the details' one definition, so mypy cannot look into it (every field is `str`):
# the price of not writing the fields out a second time.
_SENT: dict[str, Any] = {
    d.name: (str, Field(default=d.sent_default(), max_length=d.sent_limit))
    for d in details.all_details()
}
_SignInputFields: Any = create_model("SignInputFields", **_SENT)


class SignInput(_SignInputFields):
    """Everything arrives as text; `clean_sign_input` decides what it means."""

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> str: ...


@dataclass(frozen=True)
class CleanSign(details.SignerDetails):
    email_key: str  # the blind index of the normalised address: recognises a repeat signer
    # The blind index of the organisation ("" for an individual): with `email_key`, which
    # signature a repeat is (one address may sign for several organisations).
    org_party_key: str


def normal_address(address: str) -> str:
    """The address used to recognise a repeat signer: Unicode NFKC, case-folded, plus-tag
    dropped."""
    local, _at, domain = unicodedata.normalize("NFKC", address).casefold().rpartition("@")
    if get_settings().email_ignore_plus_tags:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def email_key(address: str) -> str:
    """What is stored to find a repeat signer, the email itself being encrypted: a keyed
    digest (blind index) of the normalised address, under a key derived for this purpose."""
    return keyed_digest(normal_address(address), purpose=Keyed.EMAIL)


def clean_sign_input(
    data: SignInput, statement: Statement, *, require_consent: bool = True
) -> CleanSign:
    errors: dict[str, str] = {}

    def line(name: str, value: str, *, missing: str = "") -> str:
        """`missing`: the message when the field is required and empty."""
        detail = details.detail(name)
        try:
            cleaned = clean_line(value, max_length=detail.limit)
        except BadRequest as exc:
            errors[name] = about(_(detail.label), exc.message)
            return ""
        if missing and not cleaned:
            errors[name] = missing
        return cleaned

    kind = None
    try:
        kind = SignerKind(data.kind)
    except ValueError:
        errors["kind"] = _("Choose whether you sign as an organisation or as an individual.")
    if kind and not _kind_allowed(kind, statement.signer_kinds):
        errors["kind"] = (
            _("This statement is signed by organisations only.")
            if kind == SignerKind.INDIVIDUAL
            else _("This statement is signed by individuals only.")
        )
    is_org = kind == SignerKind.ORGANISATION
    name = line("name", data.name, missing=_("Enter the full name."))
    title = line("title", data.title) if is_org else ""
    note = line("note", data.note) if not is_org else ""
    organisation = (
        line("organisation", data.organisation, missing=_("Enter the organisation's name."))
        if is_org
        else ""
    )
    acronym = line("acronym", data.acronym) if is_org else ""
    website = line("website", data.website) if is_org else ""
    try:
        website = check_website(website)
    except BadRequest as exc:
        errors["website"] = exc.message
    ecosoc = EcosocStatus.NONE
    try:
        ecosoc = EcosocStatus(data.ecosoc_status.strip() or EcosocStatus.NONE) if is_org else ecosoc
    except ValueError:
        errors["ecosoc_status"] = _("Choose one of the consultative statuses offered.")
    country = data.country.strip().upper()
    if country and country not in countries.codes():
        errors["country"] = _("Choose a country from the list.")
    if is_org and not country:
        errors["country"] = _("Choose the country where the organisation is based.")
    email = ""
    try:
        email = normalise_email(data.email)
    except BadRequest as exc:
        errors["email"] = exc.message
    try:
        listing = Listing(data.listing)
    except ValueError:
        listing = Listing.NAMED
        errors["listing"] = _("Choose how you want to be listed.")
    authorised = data.authorised.strip().lower() in TRUE
    if is_org and not authorised:
        errors["authorised"] = _(
            "Only someone authorised to sign for the organisation may sign on its behalf."
        )
    consent = data.consent_privacy.strip().lower() in TRUE
    if require_consent and not consent:
        errors["consent_privacy"] = _("Please agree to the privacy notice to sign.")
    if errors or kind is None:
        raise FieldErrors(errors)
    return CleanSign(
        kind=kind,
        name=name,
        title=title,
        note=note,
        organisation=organisation,
        acronym=acronym,
        website=website,
        ecosoc_status=ecosoc,
        country=country,
        email=email,
        email_key=email_key(email),
        org_party_key=similarity.party_key(kind, organisation),
        listing=listing,
        authorised=authorised,
        consent_privacy=consent,
        opt_in_updates=data.opt_in_updates.strip().lower() in TRUE,
    )


def _kind_allowed(kind: SignerKind, allowed: SignerKinds) -> bool:
    if allowed == SignerKinds.BOTH:
        return True
    return (kind == SignerKind.ORGANISATION) == (allowed == SignerKinds.ORGANISATIONS)
