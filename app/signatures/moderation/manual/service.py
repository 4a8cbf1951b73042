"""A signature added by hand: one that reached the team another way (an email, a phone
call), vouched for by a lead, with the same checks as the sign form."""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors
from app.core.i18n import gettext as _
from app.signatures.blocklists import service as blocklists
from app.signatures.forms import CleanSign, SignInput, clean_sign_input
from app.signatures.models import Signature, SignatureStatus, SignerKind, Source
from app.signatures.moderation import service as moderation
from app.signatures.signing import service as signing
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus


def add_by_hand(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    data: SignInput,
    source_note: str,
    confirmed: bool = True,
) -> Signature:
    """A signature that reached the team another way (an email, a phone call). The lead
    vouches for it, so it is approved at once — or, with `confirmed=False`, waits for
    another lead's decision. No email goes to the signer."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    errors: dict[str, str] = {}
    try:
        clean = clean_sign_input(data, statement, require_consent=False)
    except FieldErrors as exc:
        errors.update(exc.errors)
        clean = None
    note = moderation.read_line(errors, "source_note", _("Where it came from"), source_note, 500)
    if not note and "source_note" not in errors:
        errors["source_note"] = _("Say where this signature came from.")
    if clean is not None and _exists(session, statement, clean):
        errors["email"] = (
            _("This email address has already signed for this organisation.")
            if clean.kind == SignerKind.ORGANISATION
            else _("An individual with this email address has already signed.")
        )
    if errors or clean is None:
        raise FieldErrors(errors)
    now = utcnow()
    signature = Signature(
        statement_id=statement.id or 0,
        kind=clean.kind,
        status=SignatureStatus.APPROVED if confirmed else SignatureStatus.CONFIRMED,
        listing=clean.listing,
        name=clean.name,
        title=clean.title,
        note=clean.note,
        email=clean.email,
        email_key=clean.email_key,
        org_party_key=clean.org_party_key,
        country=clean.country,
        organisation=clean.organisation,
        acronym=clean.acronym,
        website=clean.website,
        authorised=clean.authorised,
        ecosoc_status=clean.ecosoc_status,
        consent_privacy=clean.consent_privacy,
        opt_in_updates=clean.opt_in_updates,
        locale=statement.language,
        source=Source.MANUAL,
        source_note=note,
        nonce=secrets.token_urlsafe(12),
        version_id=statements.current_version(session, statement=statement).id,
        submitted_at=now,
        confirmed_at=now,
        decided_at=now if confirmed else None,
        decided_by_id=actor.id if confirmed else None,
    )
    # The same checks as the sign form; those about timing and rate do not apply here.
    context = signing.Context(source=Source.MANUAL, source_note=note)
    checks = signing.checks_for(session, statement=statement, clean=clean, context=context)
    signature.add_flags(*checks.flags)
    session.add(signature)
    session.flush()
    if checks.blocklisted:
        assert signature.id is not None
        # The entries the check found: the blocklist is not asked twice.
        blocklists.record_hits(session, signature_id=signature.id, entries=checks.blocklisted)
    moderation.add_note(session, signature=signature, actor=actor, body=note)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="signature added by hand",
        to_state=signature.status,
        detail=f"#{signature.id}",
    )
    session.flush()
    return signature


def _exists(session: Session, statement: Statement, clean: CleanSign) -> bool:
    """The signature's unique key is taken: this address signed as an individual, or for
    this organisation (one address may sign for several)."""
    return (
        session.exec(
            select(Signature.id).where(
                col(Signature.statement_id) == statement.id,
                col(Signature.kind) == clean.kind,
                col(Signature.email_key) == clean.email_key,
                col(Signature.org_party_key) == clean.org_party_key,
            )
        ).first()
        is not None
    )
