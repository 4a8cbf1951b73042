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
    return public_lines(
        listings=(signature.listing,),
        kinds=(signature.kind,),
        names=(signature.display_name or signature.name,),
        organisations=(signature.display_name or signature.organisation,),
        acronyms=(
            signature.display_acronym
            if signature.display_acronym is not None
            else signature.acronym,
        ),
        notes=(signature.shown_note,),
    )[0]


def public_lines(
    *,
    listings: Sequence[str],
    kinds: Sequence[str],
    names: Sequence[str],
    organisations: Sequence[str],
    acronyms: Sequence[str],
    notes: Sequence[str],
) -> list[str]:
    """The public line of each row of these columns (display corrections already applied;
    a batch of an export's rows, or one signature): nothing for a counted-only signer;
    for an anonymous one the label alone, without the country (one of few signers from a
    country, an organisation based in North Korea, is all but named by it); else
    "Name (ACR)" or "Name (note)". The anonymous labels are translated once, not per row."""
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
