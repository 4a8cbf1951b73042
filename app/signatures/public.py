"""How a signature is shown in public: by name for those who chose to be listed by name;
anonymous signers only as their label ("An individual", "An organisation"), never with a
country, note, title or organisation; counted-only signers not at all (the counts and the
list itself are built in app.lists.service)."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.i18n import gettext as _
from app.signatures.models import Listing, Signature, SignerKind


def public_name(signature: Signature) -> str:
    """The line a signature is shown as in public, or "" if it is not shown at all."""
    return public_line(
        listing=signature.listing,
        kind=signature.kind,
        name=signature.display_name or signature.name,
        organisation=signature.display_name or signature.organisation,
        acronym=(
            signature.display_acronym
            if signature.display_acronym is not None
            else signature.acronym
        ),
        note=signature.shown_note,
    )


def public_line(
    *, listing: str, kind: str, name: str, organisation: str, acronym: str, note: str
) -> str:
    """`public_name` from plain values (display corrections already applied), for exports
    that read columns rather than whole signatures."""
    if listing == Listing.COUNTED:
        return ""
    if listing == Listing.ANONYMOUS:
        # The label alone, without the country: one of few signers from a country (an
        # organisation based in North Korea) is all but named by it.
        return anonymous_label(kind)
    if kind == SignerKind.ORGANISATION:
        return f"{organisation} ({acronym})" if acronym else organisation
    return f"{name} ({note})" if note else name


def public_lines(
    *,
    listings: Sequence[str],
    kinds: Sequence[str],
    names: Sequence[str],
    organisations: Sequence[str],
    acronyms: Sequence[str],
    notes: Sequence[str],
) -> list[str]:
    """`public_line` of each row of these columns (a batch of an export's rows): the same
    rule in one comprehension, the anonymous labels translated once, not per row."""
    counted, anonymous = Listing.COUNTED.value, Listing.ANONYMOUS.value
    organisation_kind = SignerKind.ORGANISATION.value
    labels = {kind: anonymous_label(kind) for kind in set(kinds)}
    return [
        ""
        if listing == counted
        else labels[kind]
        if listing == anonymous
        else (f"{organisation} ({acronym})" if acronym else organisation)
        if kind == organisation_kind
        else (f"{name} ({note})" if note else name)
        for listing, kind, name, organisation, acronym, note in zip(
            listings, kinds, names, organisations, acronyms, notes, strict=True
        )
    ]


def anonymous_label(kind: str) -> str:
    """All the public learns of an anonymous signer."""
    return _("An organisation") if kind == SignerKind.ORGANISATION else _("An individual")
