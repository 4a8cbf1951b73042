"""A signer's request: "what do you hold about me?" is queued, then answered by the worker
by email to that address only, with one link per signature to delete it.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import FieldErrors, Gone, NotFound, RateLimited
from app.core.i18n import N_, get_locale, using_locale
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.mail import service as mail
from app.mail.models import OutboxMessage, OutboxStatus
from app.security import ratelimit, tokens
from app.signatures import lifecycle
from app.signatures.models import Listing, Signature, SignatureStatus
from app.signatures.retention import stripping
from app.signatures.retention.models import PrivacyRequest
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus

HOUR = timedelta(hours=1)
LINK_NOT_VALID = N_("This link is not valid, or it has already been used.")


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
        held = [
            (signature, lifecycle.statement_of(session, signature))
            for signature in lifecycle.signatures_of(session, address=request.email)
        ]
        if held:
            _queue_report(session, request=request, held=held)
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
    stripping.strip(session, [signature.id], published=published)
    stripping.drop_notes(session, [signature.id])
    # The outbox keeps no blind index of its addresses (encrypted): compare after reading
    # (a rare request, one statement's mail).
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
