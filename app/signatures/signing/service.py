"""Signing: submit, confirm by email, withdraw, and the moderation transitions.

Privacy rule for every public path: the response to a signature never depends on
whether that person signed before. A repeat gets the same page; the mailbox owner is
told by email instead (a capped number of times).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from disposable_email_domains import blocklist as disposable_domains
from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.core.i18n import N_, get_locale
from app.core.i18n import gettext as _
from app.mail import service as mail
from app.security import ratelimit, tokens
from app.signatures import emails, lifecycle, similarity
from app.signatures.blocklists import service as blocklists
from app.signatures.blocklists.models import BlocklistEntry
from app.signatures.forms import CleanSign, SignInput, clean_sign_input
from app.signatures.models import (
    Flag,
    Signature,
    SignatureStatus,
    SignerKind,
    Source,
)
from app.statements import service as statements
from app.statements.models import Statement

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Context:
    """Where a signature came from, for the abuse checks."""

    ip: str = ""
    form_age_seconds: float | None = None
    honeypot: str = ""
    source: Source = Source.FORM
    source_note: str = ""


# --- submitting ---------------------------------------------------------------------


def form_token() -> str:
    """Put in the sign form when it is shown; tells how long the signer took."""
    return tokens.make_token(tokens.Purpose.SIGN_FORM, secrets.token_hex(4))


def form_age(token: str) -> float | None:
    signed_at: datetime  # itsdangerous' loads() is typed as returning Any
    try:
        _payload, signed_at = tokens.serializer(tokens.Purpose.SIGN_FORM).loads(
            token, max_age=24 * 3600, return_timestamp=True
        )
    except Exception:
        return None
    return (utcnow() - signed_at).total_seconds()


def submit(
    session: Session,
    *,
    statement: Statement,
    data: SignInput,
    context: Context,
    now: datetime | None = None,
) -> None:
    """Record a signature and queue its confirmation email, or — when this person has
    signed already — tell their mailbox instead. Returns nothing either way."""
    now = now or utcnow()
    if not statements.accepts_signatures(statement, now):
        raise Conflict(_("This statement is not open for signatures."))
    clean = clean_sign_input(data, statement)
    flags = flags_for(session, statement=statement, clean=clean, context=context)
    values = _row(statement, clean, flags=flags, context=context, now=now)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    signature = session.scalars(
        insert(Signature)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["statement_id", "kind", "email_key"])
        .returning(Signature)  # the new row as an ORM object: no second query for it
    ).one_or_none()
    if signature is not None:
        if Flag.BLOCKLISTED in flags:
            record_blocklist_hits(
                session, statement=statement, signature=signature, context=context
            )
        _queue_confirmation(session, statement=statement, signature=signature)
    else:
        _notify_repeat(session, statement=statement, clean=clean)


def _row(
    statement: Statement, clean: CleanSign, *, flags: set[Flag], context: Context, now: datetime
) -> dict[str, object]:
    return asdict(clean) | {
        "statement_id": statement.id,
        "status": SignatureStatus.PENDING.value,
        "locale": get_locale(),
        "flags": ",".join(sorted(flags)),
        "source": context.source.value,
        "source_note": context.source_note[:500],
        "nonce": secrets.token_urlsafe(12),
        "duplicate_notices": 0,
        "submitted_at": now,
        "ip_hash": tokens.keyed_digest(context.ip, purpose=tokens.Keyed.IP) if context.ip else "",
    }


def flags_for(
    session: Session, *, statement: Statement, clean: CleanSign, context: Context
) -> set[Flag]:
    """Reasons to hold a signature for a lead. Never a reason to refuse it: a bot that is
    refused learns what to change; one that is held learns nothing."""
    settings = get_settings()
    flags: set[Flag] = set()
    if context.honeypot.strip():
        flags.add(Flag.HONEYPOT)
    if context.source in (Source.FORM, Source.API):
        age = context.form_age_seconds
        if age is not None and age < settings.sign_min_seconds:
            flags.add(Flag.TOO_FAST)
        bucket = f"sign-{statement.id}"
        limits = [(f"{bucket}-email", clean.email_key, settings.sign_limit_per_email_per_hour)]
        if context.ip:
            limits.append((f"{bucket}-ip", context.ip, settings.sign_limit_per_ip_per_hour))
        counts = ratelimit.record_many(
            session, [(name, key) for name, key, _ in limits], window=HOUR
        )
        if any(n > limit for n, (_, _, limit) in zip(counts, limits, strict=True)):
            flags.add(Flag.RATE_LIMITED)
    domain = clean.email.rpartition("@")[2]
    if domain in disposable_domains:
        flags.add(Flag.DISPOSABLE_EMAIL)
    if _blocklisted(
        session, statement=statement, email=clean.email, email_key=clean.email_key, context=context
    ):
        flags.add(Flag.BLOCKLISTED)
    if clean.kind == SignerKind.ORGANISATION:
        site = similarity.website_domain(clean.website)
        if site and not (domain == site or domain.endswith("." + site)):
            flags.add(Flag.DOMAIN_MISMATCH)
        if _looks_like_existing_org(session, statement=statement, clean=clean):
            flags.add(Flag.POSSIBLE_DUPLICATE)
    return flags


def _blocklisted(
    session: Session, *, statement: Statement, email: str, email_key: str, context: Context
) -> list[BlocklistEntry]:
    assert statement.id is not None
    return blocklists.matching_entries(
        session, statement_id=statement.id, email=email, email_key=email_key, ip=context.ip
    )


def record_blocklist_hits(
    session: Session, *, statement: Statement, signature: Signature, context: Context
) -> None:
    """Keep, with a signature that `flags_for` held as blocklisted, the entries it
    matched: the live client IP is gone after this request."""
    assert signature.id is not None
    blocklists.record_hits(
        session,
        signature_id=signature.id,
        entries=_blocklisted(
            session,
            statement=statement,
            email=signature.email,
            email_key=signature.email_key,
            context=context,
        ),
    )


def _looks_like_existing_org(session: Session, *, statement: Statement, clean: CleanSign) -> bool:
    """Another organisation on the statement with the same website or acronym, or a
    near-identical name. One query returns only the candidates that could match (the keys
    are stored with each signature); this runs on the hot path of every signature."""
    key = similarity.org_key(clean.organisation)
    site = similarity.website_domain(clean.website)
    acronym = clean.acronym.lower()
    lowest, highest = similarity.length_window(len(key))
    could_match: list[ColumnElement[bool]] = []
    if key:
        could_match.append(func.length(col(Signature.org_key)).between(lowest, highest))
    if site:
        could_match.append(col(Signature.site) == site)
    if acronym:
        could_match.append(func.lower(col(Signature.acronym)) == acronym)
    if not could_match:
        return False
    candidates = session.exec(
        select(Signature.org_key, Signature.site, Signature.acronym).where(
            col(Signature.statement_id) == statement.id,
            col(Signature.kind) == SignerKind.ORGANISATION,
            col(Signature.email_key) != clean.email_key,
            col(Signature.status) != SignatureStatus.WITHDRAWN,
            or_(*could_match),
        )
    ).all()
    if any(
        (site and other == site) or (acronym and acr.lower() == acronym)
        for _, other, acr in candidates
    ):
        return True
    return similarity.near_name(key, [other for other, _, _ in candidates if other])


def _queue_confirmation(session: Session, *, statement: Statement, signature: Signature) -> None:
    version = statements.current_version(session, statement=statement)
    token = tokens.make_token(tokens.Purpose.CONFIRM, {"s": signature.id, "n": signature.nonce})
    emails.email_signer(
        session,
        signature,
        template="signature_confirm",
        subject=N_("Please confirm your signature: %(title)s"),
        title=version.title,
        organisation=signature.organisation,
        link=f"{get_settings().base_url}/confirm/{token}",
        days=get_settings().signature_confirm_days,
        confirm_until=lifecycle.confirm_until(statement, signature),
        deadline=statement.deadline_at,
        zone=statement.deadline_zone,
    )


def _notify_repeat(session: Session, *, statement: Statement, clean: CleanSign) -> None:
    """Tell the mailbox owner they already signed, at most a few times."""
    claimed = session.exec(
        update(Signature)
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.kind) == clean.kind,
            col(Signature.email_key) == clean.email_key,
            col(Signature.duplicate_notices) < get_settings().duplicate_notice_cap,
        )
        .values(duplicate_notices=col(Signature.duplicate_notices) + 1)
        .returning(col(Signature.id), col(Signature.status))
    ).first()
    if claimed is None:
        return
    version = statements.current_version(session, statement=statement)
    signature = session.get(Signature, claimed[0])
    assert signature is not None
    if signature.status == SignatureStatus.PENDING:
        # They may have lost the first email: send the confirmation again.
        _queue_confirmation(session, statement=statement, signature=signature)
        return
    mail.queue_email(
        session,
        kind="signature_repeat",
        to_address=clean.email,
        to_name=clean.name,
        subject=_("You have already signed: %(title)s") % {"title": version.title},
        template="signature_repeat",
        context={
            "name": clean.name,
            "title": version.title,
            "link": f"{get_settings().base_url}/s/{statement.slug}",
        },
    )
