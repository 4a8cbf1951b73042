"""The sign form's input: one cleaning path for the web form, the API and imports, so
every route gives the same field errors and stores the same normalised values."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from app.core.config import get_settings
from app.core.errors import BadRequest, FieldErrors, about
from app.core.i18n import gettext as _
from app.core.text import clean_line, normalise_email
from app.signatures import countries
from app.signatures.models import Listing, SignerKind
from app.signatures.similarity import website_domain
from app.statements.models import SignerKinds, Statement

TRUE = {"1", "true", "on", "yes", "y"}


class SignInput(BaseModel):
    """Everything arrives as text; `clean_sign_input` decides what it means."""

    kind: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=5000)
    title: str = Field(default="", max_length=5000)
    note: str = Field(default="", max_length=5000)
    organisation: str = Field(default="", max_length=5000)
    acronym: str = Field(default="", max_length=5000)
    website: str = Field(default="", max_length=5000)
    country: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=5000)
    listing: str = Field(default=Listing.NAMED.value, max_length=40)
    authorised: str = Field(default="", max_length=10)
    consent_privacy: str = Field(default="", max_length=10)
    opt_in_updates: str = Field(default="", max_length=10)


@dataclass(frozen=True)
class CleanSign:
    kind: SignerKind
    name: str
    title: str
    note: str
    organisation: str
    acronym: str
    website: str
    country: str
    email: str
    email_key: str
    listing: Listing
    authorised: bool
    consent_privacy: bool
    opt_in_updates: bool


def email_key(address: str) -> str:
    """The address used to recognise a repeat signer: lower-case, plus-tag dropped."""
    local, _at, domain = address.lower().rpartition("@")
    if get_settings().email_ignore_plus_tags:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def clean_sign_input(
    data: SignInput, statement: Statement, *, require_consent: bool = True
) -> CleanSign:
    errors: dict[str, str] = {}

    def line(field: str, label: str, value: str, limit: int, *, missing: str = "") -> str:
        """`missing`: the message when the field is required and empty."""
        try:
            cleaned = clean_line(value, max_length=limit)
        except BadRequest as exc:
            errors[field] = about(label, exc.message)
            return ""
        if missing and not cleaned:
            errors[field] = missing
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
    name = line("name", _("Full name"), data.name, 200, missing=_("Enter the full name."))
    title = line("title", _("Title in the organisation"), data.title, 200) if is_org else ""
    note = line("note", _("Note"), data.note, 300) if not is_org else ""
    organisation = (
        line(
            "organisation",
            _("Organisation name"),
            data.organisation,
            300,
            missing=_("Enter the organisation's name."),
        )
        if is_org
        else ""
    )
    acronym = line("acronym", _("Acronym"), data.acronym, 40) if is_org else ""
    website = line("website", _("Website"), data.website, 300) if is_org else ""
    if website and not website_domain(website):
        errors["website"] = _("Enter the website address, for example https://example.org.")
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
        country=country,
        email=email,
        email_key=email_key(email),
        listing=listing,
        authorised=authorised,
        consent_privacy=consent,
        opt_in_updates=data.opt_in_updates.strip().lower() in TRUE,
    )


def _kind_allowed(kind: SignerKind, allowed: SignerKinds) -> bool:
    if allowed == SignerKinds.BOTH:
        return True
    return (kind == SignerKind.ORGANISATION) == (allowed == SignerKinds.ORGANISATIONS)
