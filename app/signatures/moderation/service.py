"""The team's side of signatures: finding them, deciding on them, keeping notes, and
their emails that did not arrive. Correcting how a signer is shown is in corrections/,
adding a signature by hand in manual/.

Everything here is for the statement's team, who see every signer in full, anonymous and
counted-only ones included. Nothing here is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.errors import BadRequest, Conflict, FieldErrors, NotFound, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.mail import service as mail
from app.mail.models import OutboxMessage, OutboxStatus
from app.signatures import lifecycle
from app.signatures.models import (
    Flag,
    Listing,
    Signature,
    SignatureNote,
    SignatureStatus,
    SignerKind,
    Source,
)
from app.statements.models import Statement, StatementStatus

MAX_QUERY = 200
MAX_NOTE = 5000
MAX_ID = 2**31 - 1  # ids are 32-bit: a larger number is simply not there
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


def read_line(errors: dict[str, str], field: str, label: str, value: str, limit: int) -> str:
    """One line a lead typed, cleaned; or "" with the reason kept in `errors` under
    `field`, so that a form reports every field at once."""
    try:
        return clean_line(value, max_length=limit)
    except BadRequest as exc:
        errors[field] = about(label, exc.message)
        return ""


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
