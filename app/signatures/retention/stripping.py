"""Stripping signatures of their personal data, shared by the periodic purge and a
signer's own deletion: what goes depends on whether the signature was published by name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, delete, literal, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.signatures.editing.models import SignatureChange
from app.signatures.models import Listing, Signature, SignatureNote, SignerKind

# Contact details of every signature; a signature published by name keeps its name.
_CONTACT: dict[str, object] = {
    "email": "",
    "ip_hash": "",
    "nonce": "",  # no emailed link works any more
    "source_note": "",
    "opt_in_updates": False,
}
# What only the team ever saw: a signature not published by name keeps its label only.
_UNPUBLISHED: dict[str, object] = {
    "name": "",
    "title": "",
    "note": "",
    "organisation": "",
    "acronym": "",
    "website": "",
    "display_name": None,
    "display_acronym": None,
    "display_title": None,
    "display_note": None,
    "display_country": None,
    "org_key": "",
    "site": "",
    "org_party_key": "",  # "deleted:<id>" keeps the row unique without it
}
# A signature published on behalf of an organisation: the organisation stays, the person
# who signed for it, their title and the website (never published) go.
_ORG_SIGNER = {"name": "", "title": "", "display_title": None, "website": "", "site": ""}


def _email_key_gone() -> Any:
    # Still unique per (statement, kind): the constraint holds after deletion.
    return literal("deleted:") + sql_cast(col(Signature.id), String)


def strip(session: Session, ids: list[int], *, published: bool) -> None:
    if not ids:
        return
    values: dict[str, object] = {**_CONTACT, "email_key": _email_key_gone()}
    if not published:
        values |= _UNPUBLISHED
    where = col(Signature.id).in_(ids)
    if published:
        session.exec(update(Signature).where(where).values(**values))
        orgs = and_(where, col(Signature.kind) == SignerKind.ORGANISATION)
        session.exec(update(Signature).where(orgs).values(**_ORG_SIGNER))
        return
    session.exec(update(Signature).where(where).values(**values))
    # Only an anonymous organisation's label uses its country.
    keeps_country = and_(
        col(Signature.listing) == Listing.ANONYMOUS,
        col(Signature.kind) == SignerKind.ORGANISATION,
    )
    session.exec(update(Signature).where(where, ~keeps_country).values(country=""))


def drop_notes(session: Session, ids: list[int] | Select[Any]) -> None:
    """The team's notes on these signatures, and the signers' own changes (they hold old
    and new details): they go with the details."""
    session.exec(delete(SignatureNote).where(col(SignatureNote.signature_id).in_(ids)))
    session.exec(delete(SignatureChange).where(col(SignatureChange.signature_id).in_(ids)))
