"""The team's corrections of how a signer is shown: capitalisation, an acronym, their
title, note and country, and a manual place in the list. What the signer typed is kept."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors, about
from app.core.i18n import gettext as _
from app.signatures import countries, public
from app.signatures.models import Listing, Signature, SignerKind
from app.signatures.moderation import service as moderation
from app.statements.models import Statement, StatementStatus

NO_COUNTRY = "NONE"  # the team's "show no country" (a signer all but named by it)


def correct_display(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    signature_id: int,
    display_name: str,
    display_acronym: str,
    hide_acronym: bool = False,
    position: str = "",
    display_title: str = "",
    display_note: str = "",
    hide_note: bool = False,
    display_country: str = "",
) -> Signature:
    """Change only how the signer is shown (capitalisation, an acronym, their title, note
    and country) and where (a manual place in the list). What they typed is kept. An empty
    field means "as they typed it"; `hide_acronym` / `hide_note` show none at all, as does
    the country NO_COUNTRY; an empty position means "by name"."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    signature = moderation.get_signature(session, statement=statement, signature_id=signature_id)
    errors: dict[str, str] = {}
    name = moderation.read_line(errors, "display_name", _("Shown name"), display_name, 300)
    acronym = moderation.read_line(
        errors, "display_acronym", _("Shown acronym"), display_acronym, 40
    )
    title = moderation.read_line(errors, "display_title", _("Shown title"), display_title, 200)
    note = moderation.read_line(errors, "display_note", _("Shown note"), display_note, 300)
    country = display_country.strip().upper()
    if country not in ("", NO_COUNTRY) and country not in countries.codes():
        errors["display_country"] = _("Choose a country from the list.")
    place = position.strip()
    if place and not (place.isascii() and place.isdigit() and int(place) < 1_000_000):
        errors["position"] = about(
            _("Place in the list"), _("Use a whole number, or leave it empty to sort by name.")
        )
    if errors:
        raise FieldErrors(errors)
    signature.position = int(place) if place else None
    before = public.public_name(signature) or signature.name
    shown_before = _shown(signature)
    signature.display_name = name or None
    is_org = signature.kind == SignerKind.ORGANISATION
    if not is_org:
        signature.display_acronym = None
    else:
        signature.display_acronym = "" if hide_acronym else (acronym or None)
    signature.display_title = (title or None) if is_org else None
    signature.display_note = None if is_org else ("" if hide_note else (note or None))
    signature.display_country = "" if country == NO_COUNTRY else (country or None)
    changed = [
        f"{field}: {old or '—'} → {new or '—'}"
        for (field, old), new in zip(shown_before.items(), _shown(signature).values(), strict=True)
        if old != new
    ]
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="signature display corrected",
        # The audit log is not encrypted: values only of a signer listed by name (public);
        # for anyone else, which fields changed.
        detail=(
            f"#{signature.id}: {before} → {public.public_name(signature) or signature.name}"
            + "".join(f"; {c}" for c in changed)
            if signature.listing == Listing.NAMED
            else f"#{signature.id}: " + ", ".join(c.split(":", 1)[0] for c in changed)
        ),
    )
    statement.updated_at = utcnow()  # the public list is rebuilt on its next request
    session.flush()
    return signature


def _shown(signature: Signature) -> dict[str, str]:
    """The corrected details other than the name, as shown, for the audit's before/after."""
    return {
        "title": signature.shown_title,
        "note": signature.shown_note,
        "country": signature.shown_country,
    }
