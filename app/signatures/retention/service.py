"""Retention: personal data is deleted once it is no longer needed, and the counts stay.

- A final statement's signers' contact details (addresses, lead-only notes, sent email
  bodies, and every detail of those not published by name) are deleted the statement's
  `retention_days` after finalisation. The frozen list and its signed PDF are a separate
  snapshot and do not change.
- Unconfirmed and rejected signatures are deleted PENDING_SIGNATURE_DAYS after they were
  submitted; sent and failed mail SENT_MAIL_DAYS after it was written.
- A signer may ask what is held about their address; the worker emails it to that address
  with one link per signature to delete it (`erase_signature`).

Each job works in batches and is idempotent: `run_due` is the worker's periodic job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, and_, delete, literal, update
from sqlalchemy import cast as sql_cast
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import FieldErrors, Gone, NotFound, RateLimited
from app.core.i18n import N_, get_locale, using_locale
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.mail import service as mail
from app.mail.models import OutboxMessage, OutboxStatus
from app.outreach import roster as outreach_roster
from app.security import ratelimit, tokens
from app.signatures import forms, lifecycle
from app.signatures.editing.models import SignatureChange
from app.signatures.models import Listing, Signature, SignatureNote, SignatureStatus, SignerKind
from app.signatures.retention.models import PrivacyRequest
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus

MAX_RETENTION_DAYS = 3650
HOUR = timedelta(hours=1)
LINK_NOT_VALID = N_("This link is not valid, or it has already been used.")
# What the retention job signs its audit entries with.
RETENTION_ACTOR = N_("retention")


# --- the lead's setting ----------------------------------------------------------------


def contact_deletion_at(statement: Statement) -> datetime | None:
    """When the statement's contact details go: only a final statement has a date."""
    if statement.finalised_at is None:
        return None
    return statement.finalised_at + timedelta(days=statement.retention_days)


def set_retention_days(
    session: Session, *, statement: Statement, actor: User, days: str | int
) -> int:
    """How many days after finalisation the contact details are kept. Any state, final
    included (until they are deleted, the date can still move)."""
    try:
        chosen = int(str(days).strip())
    except ValueError:
        chosen = -1
    if not 0 <= chosen <= MAX_RETENTION_DAYS:
        message = _("Enter a number of days from 0 to %(n)d.") % {"n": MAX_RETENTION_DAYS}
        raise FieldErrors({"retention_days": message})
    if statement.contact_purged_at is not None:
        raise FieldErrors({"retention_days": _("The contact details are already deleted.")})
    if chosen != statement.retention_days:
        audit.record(
            session,
            statement_id=statement.id,
            actor=actor,
            action="retention changed",
            detail=_("%(before)d → %(after)d days after finalisation")
            % {"before": statement.retention_days, "after": chosen},
        )
        statement.retention_days = chosen
        session.flush()
    return chosen


# --- stripping a signature --------------------------------------------------------------

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


def _strip(session: Session, ids: list[int], *, published: bool) -> None:
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


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- the periodic purge -----------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    signatures: int
    emails: int
    done: bool


def purge_statement(
    session: Session, *, statement: Statement, now: datetime, limit: int | None = None
) -> Purged:
    """Delete one batch of the statement's contact details; when the last batch is done,
    its notes and mail too, and mark the statement. Audited when anything went."""
    if statement.contact_purged_at is not None:
        return Purged(signatures=0, emails=0, done=True)
    due = contact_deletion_at(statement)
    if due is None or now < due:
        return Purged(signatures=0, emails=0, done=False)
    limit = limit or get_settings().retention_batch_size
    batch = session.exec(
        select(Signature.id, Signature.status, Signature.listing)
        .where(col(Signature.statement_id) == statement.id, col(Signature.email) != "")
        .order_by(col(Signature.id))
        .limit(limit)
    ).all()
    published = [
        i
        for i, status, listing in batch
        if status == SignatureStatus.APPROVED and listing == Listing.NAMED and i is not None
    ]
    others = [i for i, _s, _l in batch if i is not None and i not in set(published)]
    _strip(session, published, published=True)
    _strip(session, others, published=False)
    done = len(batch) < limit
    emails = 0
    if done:
        of_statement = select(Signature.id).where(col(Signature.statement_id) == statement.id)
        session.exec(delete(SignatureNote).where(col(SignatureNote.signature_id).in_(of_statement)))
        # A signer's own changes hold old and new details: they go with the details.
        session.exec(
            delete(SignatureChange).where(col(SignatureChange.signature_id).in_(of_statement))
        )
        emails = _rowcount(
            session.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.statement_id) == statement.id,
                    col(OutboxMessage.status) != OutboxStatus.SENDING,
                )
            )
        )
        assert statement.id is not None
        outreach_roster.purge_contacts(session, statement_id=statement.id)
        statement.contact_purged_at = now
    if batch or emails:
        audit.record(
            session,
            statement_id=statement.id,
            actor=None,
            actor_label=_(RETENTION_ACTOR),
            action="contact details deleted",
            detail=_("contact details deleted: %(n)d signatures, %(m)d emails")
            % {"n": len(batch), "m": emails},
        )
    session.flush()
    return Purged(signatures=len(batch), emails=emails, done=done)


def purge_due(session: Session, *, now: datetime, limit: int | None = None) -> int:
    """One batch for each final statement whose date has come; returns signatures done."""
    candidates = session.exec(
        select(Statement).where(
            col(Statement.status) == StatementStatus.FINAL,
            col(Statement.contact_purged_at).is_(None),
            col(Statement.finalised_at) <= now,
        )
    ).all()
    total = 0
    for statement in candidates:
        total += purge_statement(session, statement=statement, now=now, limit=limit).signatures
    return total


def delete_stale_signatures(session: Session, *, now: datetime, limit: int | None = None) -> int:
    """Unconfirmed and rejected signatures, PENDING_SIGNATURE_DAYS after submission: one
    batch, audited per statement. Returns how many went."""
    settings = get_settings()
    cutoff = now - timedelta(days=settings.pending_signature_days)
    rows = session.exec(
        select(Signature.id, Signature.statement_id)
        .where(
            col(Signature.status).in_((SignatureStatus.PENDING, SignatureStatus.REJECTED)),
            col(Signature.submitted_at) <= cutoff,
        )
        .order_by(col(Signature.id))
        .limit(limit or settings.retention_batch_size)
    ).all()
    if not rows:
        return 0
    ids = [i for i, _ in rows]
    session.exec(delete(SignatureNote).where(col(SignatureNote.signature_id).in_(ids)))
    session.exec(delete(SignatureChange).where(col(SignatureChange.signature_id).in_(ids)))
    session.exec(delete(Signature).where(col(Signature.id).in_(ids)))
    per_statement: dict[int, int] = {}
    for _i, statement_id in rows:
        per_statement[statement_id] = per_statement.get(statement_id, 0) + 1
    for statement_id, n in sorted(per_statement.items()):
        audit.record(
            session,
            statement_id=statement_id,
            actor=None,
            actor_label=_(RETENTION_ACTOR),
            action="stale signatures deleted",
            detail=_("unconfirmed or rejected signatures deleted: %(n)d") % {"n": n},
        )
    session.flush()
    return len(ids)


def delete_old_mail(session: Session, *, now: datetime) -> int:
    """Sent and failed mail older than SENT_MAIL_DAYS: its links and addresses are no
    longer needed by anyone."""
    cutoff = now - timedelta(days=get_settings().sent_mail_days)
    old = delete(OutboxMessage).where(
        col(OutboxMessage.status).in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
        col(OutboxMessage.created_at) <= cutoff,
    )
    return _rowcount(session.exec(old))


# --- a signer's request -----------------------------------------------------------------


def request_report(session: Session, *, email: str, ip: str, now: datetime | None = None) -> None:
    """Queue a privacy request for the worker. The same for an address that never signed:
    nothing here reads signatures."""
    settings = get_settings()
    try:
        address = normalise_email(email)
    except Exception as exc:
        raise FieldErrors({"email": _("Please enter a valid email address.")}) from exc
    limits = [
        ("privacy-email", address, settings.privacy_limit_per_email_per_hour),
        ("privacy-ip", ip, settings.privacy_limit_per_ip_per_hour),
    ]
    counts = ratelimit.record_many(session, [(b, k) for b, k, _l in limits], window=HOUR)
    if any(n > limit for n, (_b, _k, limit) in zip(counts, limits, strict=True)):
        raise RateLimited(_("Too many requests. Please try again in an hour."))
    session.add(PrivacyRequest(email=address, locale=get_locale(), created_at=now or utcnow()))
    session.flush()


def erase_token(signature: Signature) -> str:
    return tokens.make_token(tokens.Purpose.ERASE, {"s": signature.id, "n": signature.nonce})


def answer_requests(session: Session, *, limit: int = 50) -> int:
    """Email each waiting request what is held for its address, if anything; the request
    is deleted either way. Returns how many reports were queued."""
    requests = session.exec(
        select(PrivacyRequest).order_by(col(PrivacyRequest.id)).limit(limit)
    ).all()
    queued = 0
    for request in requests:
        # Found through the blind index, then the exact (decrypted) address.
        held = [
            (signature, statement)
            for signature, statement in session.exec(
                select(Signature, Statement)
                .join(Statement, col(Statement.id) == col(Signature.statement_id))
                .where(col(Signature.email_key) == forms.email_key(request.email))
                .order_by(col(Signature.id))
            )
            if signature.email == request.email
        ]
        if held:
            _queue_report(session, request=request, held=list(held))
            queued += 1
        session.delete(request)
    session.flush()
    return queued


def _queue_report(
    session: Session, *, request: PrivacyRequest, held: list[tuple[Signature, Statement]]
) -> None:
    base = get_settings().base_url
    with using_locale(request.locale):
        items = [
            {
                "title": statements.current_version(session, statement=statement).title,
                "public_link": f"{base}/s/{statement.slug}",
                "details": held_details(signature),
                "status": _(lifecycle.STATUS_LABELS[signature.status]),
                "final": statement.status == StatementStatus.FINAL,
                "delete_link": f"{base}/privacy/delete/{erase_token(signature)}",
            }
            for signature, statement in held
        ]
        mail.queue_email(
            session,
            kind="privacy_report",
            to_address=request.email,
            subject=_("What we hold about this address"),
            template="privacy_report",
            context={"items": items, "days": get_settings().privacy_link_days},
        )


def held_details(signature: Signature) -> list[tuple[str, str]]:
    """What is stored for a signature, as (label, value) lines for the signer."""
    listing = {
        Listing.NAMED: _("by name"),
        Listing.ANONYMOUS: _("anonymously"),
        Listing.COUNTED: _("counted only"),
    }[signature.listing]
    lines = [
        (_("Email"), signature.email),
        (_("Name"), signature.name),
        (_("Title"), signature.title),
        (_("Note"), signature.note),
        (_("Organisation"), signature.organisation),
        (_("Acronym"), signature.acronym),
        (_("Website"), signature.website),
        (_("Country"), signature.country),
        (_("Listed"), listing),
        (_("Signed on"), signature.submitted_at.date().isoformat()),
    ]
    return [(label, value) for label, value in lines if value]


def for_erasure(session: Session, *, token: str) -> lifecycle.Found:
    """What a deletion link points to. Opening it changes nothing; a used link (the
    signature's nonce is gone) is not valid."""
    max_age = get_settings().privacy_link_days * 24 * 3600
    try:
        payload = tokens.read_token(tokens.Purpose.ERASE, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        raise Gone(_("This link has expired. Ask again for what we hold.")) from exc
    except tokens.TokenInvalid as exc:
        raise NotFound(_(LINK_NOT_VALID)) from exc
    signature = session.get(Signature, payload.get("s")) if isinstance(payload, dict) else None
    if signature is None or not signature.nonce or signature.nonce != payload.get("n"):
        raise NotFound(_(LINK_NOT_VALID))
    statement = session.get(Statement, signature.statement_id)
    assert statement is not None
    return lifecycle.Found(signature=signature, statement=statement)


def erase_signature(
    session: Session, *, token: str, now: datetime | None = None
) -> lifecycle.Found:
    """The signer's deletion. Before the statement is final the signature is withdrawn
    (off the live list) and every detail goes; on a final statement the frozen document
    keeps a published name, and everything else goes. Works once."""
    now = now or utcnow()
    found = for_erasure(session, token=token)
    signature, statement = found.signature, found.statement
    address = signature.email
    final = statement.status == StatementStatus.FINAL
    if not final and signature.status != SignatureStatus.WITHDRAWN:
        signature.status = SignatureStatus.WITHDRAWN
        signature.withdrawn_at = now
    published = (
        final
        and signature.status == SignatureStatus.APPROVED
        and signature.listing == Listing.NAMED
    )
    session.flush()
    assert signature.id is not None
    _strip(session, [signature.id], published=published)
    session.exec(delete(SignatureNote).where(col(SignatureNote.signature_id) == signature.id))
    session.exec(delete(SignatureChange).where(col(SignatureChange.signature_id) == signature.id))
    # Addresses are encrypted: compare after reading (a rare request, one statement's mail).
    mine = [
        message_id
        for message_id, to_address in session.exec(
            select(OutboxMessage.id, OutboxMessage.to_address).where(
                col(OutboxMessage.statement_id) == statement.id,
                col(OutboxMessage.status) != OutboxStatus.SENDING,
            )
        )
        if to_address == address
    ]
    if mine:
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.id).in_(mine)))
    audit.record(
        session,
        statement_id=statement.id,
        actor=None,
        actor_label=_("the signer"),
        action="signer's data deleted",
        detail=f"#{signature.id}",
    )
    session.flush()
    session.refresh(signature)
    return found


# --- the worker's job -------------------------------------------------------------------


def run_due(session: Session) -> int:
    """The worker's periodic job: answer privacy requests, then one batch of each
    deletion that is due."""
    now = utcnow()
    done = answer_requests(session)
    done += purge_due(session, now=now)
    done += delete_stale_signatures(session, now=now)
    done += delete_old_mail(session, now=now)
    return done
