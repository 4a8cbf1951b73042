"""The team's side of signatures: finding them, deciding on them, correcting how a name
is shown, adding one by hand and keeping notes.

Everything here is for the statement's team, who see every signer in full, anonymous and
counted-only ones included. Nothing here is public.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, NotFound, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.mail import service as mail
from app.mail.models import OutboxMessage, OutboxStatus
from app.signatures import countries, lifecycle, public
from app.signatures.blocklists import service as blocklists
from app.signatures.forms import CleanSign, SignInput, clean_sign_input
from app.signatures.models import (
    Flag,
    Listing,
    Signature,
    SignatureNote,
    SignatureStatus,
    SignerKind,
    Source,
)
from app.signatures.signing import service as signing
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus

MAX_QUERY = 200
MAX_NOTE = 5000
MAX_ID = 2**31 - 1  # ids are 32-bit: a larger number is simply not there
NO_COUNTRY = "NONE"  # the team's "show no country" (a signer all but named by it)
# Fields a lead may search, as they were typed and as corrected.
_SEARCHED = ("name", "display_name", "organisation", "acronym", "email", "note")


# --- reading --------------------------------------------------------------------------


def list_signatures(
    session: Session,
    *,
    statement: Statement,
    status: SignatureStatus | None = None,
    kind: SignerKind | None = None,
    flagged_only: bool = False,
    undelivered_only: bool = False,
    query: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Signature], int]:
    """One page of the statement's signatures, newest first, and how many match in all."""
    conditions: list[Any] = [col(Signature.statement_id) == statement.id]
    if status is not None:
        conditions.append(col(Signature.status) == status)
    if kind is not None:
        conditions.append(col(Signature.kind) == kind)
    if flagged_only:
        conditions.append(col(Signature.flags) != "")
    if undelivered_only:
        troubled = mail.troubled_signature_ids(statement_id=statement.id or 0)
        conditions.append(col(Signature.id).in_(troubled))
    newest_first = (col(Signature.submitted_at).desc(), col(Signature.id).desc())
    needle = query.strip()[:MAX_QUERY].casefold()
    offset = (max(page, 1) - 1) * per_page
    if needle:
        # The searched fields are encrypted: read the statement's signatures that pass the
        # other filters and match in Python, after decrypting.
        found = [
            signature
            for signature in session.exec(
                select(Signature).where(*conditions).order_by(*newest_first)
            )
            if any(needle in (getattr(signature, name) or "").casefold() for name in _SEARCHED)
        ]
        return found[offset : offset + per_page], len(found)
    total = session.exec(select(func.count()).select_from(Signature).where(*conditions)).one()
    rows = session.exec(
        select(Signature).where(*conditions).order_by(*newest_first).offset(offset).limit(per_page)
    ).all()
    return list(rows), total


def counts_by_status(session: Session, *, statement: Statement) -> dict[SignatureStatus, int]:
    rows = session.exec(
        select(Signature.status, func.count())
        .where(col(Signature.statement_id) == statement.id)
        .group_by(col(Signature.status))
    ).all()
    found = {SignatureStatus(status): n for status, n in rows}
    return {status: found.get(status, 0) for status in SignatureStatus}


def get_signature(session: Session, *, statement: Statement, signature_id: int) -> Signature:
    """A signature of this statement; any other id is simply not there."""
    signature = session.get(Signature, signature_id) if 0 < signature_id <= MAX_ID else None
    if signature is None or signature.statement_id != statement.id:
        raise NotFound()
    return signature


def can_decide(signature: Signature, *, approve: bool) -> bool:
    """Whether approving (or rejecting) would change anything: only signatures confirmed
    by their signer are decided, and never into the state they are already in."""
    target = SignatureStatus.APPROVED if approve else SignatureStatus.REJECTED
    return signature.status in lifecycle.MODERATABLE and signature.status != target


# --- deciding -------------------------------------------------------------------------


def decide(
    session: Session, *, statement: Statement, actor: User, signature_id: int, approve: bool
) -> Signature:
    """One decision. Deciding what is already so (a double click) changes nothing."""
    signature = get_signature(session, statement=statement, signature_id=signature_id)
    target = SignatureStatus.APPROVED if approve else SignatureStatus.REJECTED
    if signature.status != target:
        decide_one = lifecycle.approve if approve else lifecycle.reject
        decide_one(session, statement=statement, signature=signature, actor=actor)
    return signature


def bulk_decide(
    session: Session, *, statement: Statement, actor: User, ids: list[int], approve: bool
) -> int:
    """Approve or reject many at once. Those that cannot be decided (awaiting email
    confirmation, withdrawn, already so, or not this statement's) are skipped: the caller
    counts them as `len(set(ids)) - changed`."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    wanted = {i for i in ids if 0 < i <= MAX_ID}
    if not wanted:
        return 0
    signatures = session.exec(
        select(Signature).where(
            col(Signature.statement_id) == statement.id, col(Signature.id).in_(wanted)
        )
    ).all()
    decide_one = lifecycle.approve if approve else lifecycle.reject
    changed = 0
    for signature in signatures:
        if can_decide(signature, approve=approve):
            decide_one(session, statement=statement, signature=signature, actor=actor)
            changed += 1
    return changed


# --- correcting how a name is shown ---------------------------------------------------


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
    signature = get_signature(session, statement=statement, signature_id=signature_id)
    errors: dict[str, str] = {}
    name = _line(errors, "display_name", _("Shown name"), display_name, 300)
    acronym = _line(errors, "display_acronym", _("Shown acronym"), display_acronym, 40)
    title = _line(errors, "display_title", _("Shown title"), display_title, 200)
    note = _line(errors, "display_note", _("Shown note"), display_note, 300)
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


def _line(errors: dict[str, str], field: str, label: str, value: str, limit: int) -> str:
    try:
        return clean_line(value, max_length=limit)
    except BadRequest as exc:
        errors[field] = about(label, exc.message)
        return ""


# --- adding by hand -------------------------------------------------------------------


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
    note = _line(errors, "source_note", _("Where it came from"), source_note, 500)
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
    add_note(session, signature=signature, actor=actor, body=note)
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


# --- notes ----------------------------------------------------------------------------


def add_note(session: Session, *, signature: Signature, actor: User, body: str) -> SignatureNote:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise FieldErrors({"body": _("Write the note first.")})
    if len(text) > MAX_NOTE:
        too_long = _("Please keep this under %(n)d characters.") % {"n": MAX_NOTE}
        raise FieldErrors({"body": about(_("Note"), too_long)})
    assert signature.id is not None
    note = SignatureNote(signature_id=signature.id, author_id=actor.id, body=text)
    session.add(note)
    session.flush()
    return note


def notes_for(session: Session, signature: Signature) -> list[tuple[SignatureNote, User | None]]:
    """The team's notes on a signature, oldest first, with their authors (None once an
    author's account is gone)."""
    rows = session.exec(
        select(SignatureNote, User)
        .join(User, col(User.id) == col(SignatureNote.author_id), isouter=True)
        .where(col(SignatureNote.signature_id) == signature.id)
        .order_by(col(SignatureNote.created_at), col(SignatureNote.id))
    ).all()
    return [(note, author) for note, author in rows]


# --- deliveries to the signer -----------------------------------------------------------


@dataclass(frozen=True)
class DeliveryProblems:
    failed: int  # signatures with a message that failed for good
    retrying: int  # signatures whose message failed once and waits for another try

    @property
    def any(self) -> bool:
        return bool(self.failed or self.retrying)


def delivery_problems(session: Session, *, statement: Statement) -> DeliveryProblems:
    flags = mail.troubled_signatures(session, statement_id=statement.id or 0)
    failed = sum(1 for status in flags.values() if status == OutboxStatus.FAILED)
    return DeliveryProblems(failed=failed, retrying=len(flags) - failed)


def delivery_flags(
    session: Session, *, statement: Statement, signatures: list[Signature]
) -> dict[int, OutboxStatus]:
    """For a page of the list: which of these signers' emails failed or are retrying."""
    ids = [s.id for s in signatures if s.id is not None]
    return mail.troubled_signatures(session, statement_id=statement.id or 0, signature_ids=ids)


def troubled_deliveries(session: Session, *, signature: Signature) -> list[OutboxMessage]:
    return mail.troubled_deliveries(
        session, statement_id=signature.statement_id, signature_id=signature.id or 0
    )


def retry_deliveries(
    session: Session, *, statement: Statement, actor: User, signature_id: int
) -> int:
    """Send the signer's failed messages again (the address was mistyped and a lead
    corrected it with the signer, or their server was down for days)."""
    signature = get_signature(session, statement=statement, signature_id=signature_id)
    retried = mail.retry_signature_deliveries(
        session, statement_id=signature.statement_id, signature_id=signature.id or 0
    )
    if not retried:
        raise Conflict(_("No failed email to this signer is waiting to be sent again."))
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="signature delivery retried",
        detail=f"#{signature.id}: {retried}",
    )
    session.flush()
    return retried


# --- words for the team's pages ---------------------------------------------------


def labels() -> dict[str, dict[str, str]]:
    """Words for the codes stored on a signature, in the reader's language."""
    return {
        "status": {status: _(label) for status, label in lifecycle.STATUS_LABELS.items()},
        "flag": {
            Flag.POSSIBLE_DUPLICATE: _("Possible duplicate"),
            Flag.DOMAIN_MISMATCH: _("Email domain differs from the website"),
            Flag.RATE_LIMITED: _("Rate-limited"),
            Flag.HONEYPOT: _("Honeypot filled in"),
            Flag.TOO_FAST: _("Sent too fast"),
            Flag.DISPOSABLE_EMAIL: _("Disposable email address"),
            Flag.BLOCKLISTED: _("On the blocklist"),
        },
        "listing": {
            Listing.NAMED: _("Named"),
            Listing.ANONYMOUS: _("Anonymous: never named in public"),
            Listing.COUNTED: _("Counted only: never listed in public"),
        },
        "source": {
            Source.FORM: _("Sign form"),
            Source.API: _("API"),
            Source.MANUAL: _("Added by the team"),
            Source.IMPORT: _("Imported"),
        },
        "kind": {
            SignerKind.ORGANISATION: _("Organisation"),
            SignerKind.INDIVIDUAL: _("Individual"),
        },
        "delivery": {
            OutboxStatus.FAILED: _("Email not delivered"),
            OutboxStatus.READY: _("Email delivery being retried"),
        },
        # The outbox's `kind` of each email a signer is sent.
        "email": {
            "signature_confirm": _("Confirmation request"),
            "signature_confirmed": _("Thank-you and withdrawal link"),
            "reconsent": _("Re-consent request"),
            "final_published": _("Final document notice"),
        },
    }
