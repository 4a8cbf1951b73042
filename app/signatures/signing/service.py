"""Signing: submit, confirm by email, withdraw, and the moderation transitions.

Privacy rule for every public path: the response to a signature never depends on
whether that person signed before, in its content or its timing. The request does the
same statements for a first signature, a repeat and a signature after a withdrawal, and
writes one notice; the worker decides what the notice becomes (`notices.write_notices`)
and tells the mailbox owner, at most `notices.EMAILS_PER_WINDOW` times.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from disposable_email_domains import blocklist as disposable_domains
from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    bindparam,
    func,
    literal,
    or_,
    union,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.core.i18n import get_locale
from app.core.i18n import gettext as _
from app.security import ratelimit, tokens
from app.signatures import similarity
from app.signatures.blocklists import service as blocklists
from app.signatures.blocklists.models import BlocklistEntry
from app.signatures.forms import CleanSign, SignInput, clean_sign_input, normal_address
from app.signatures.models import (
    Flag,
    NoticeStatus,
    Signature,
    SignatureStatus,
    SignerKind,
    SigningNotice,
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
) -> int | None:
    """Check a submission and record it (`check`, then `record`); the signature's id."""
    now = now or utcnow()
    clean = check(statement=statement, data=data, now=now)
    return record(session, statement=statement, clean=clean, context=context, now=now)


def check(*, statement: Statement, data: SignInput, now: datetime | None = None) -> CleanSign:
    """What was submitted, cleaned; `FieldErrors` for the form, `Conflict` when the
    statement does not take signatures now. Touches no database, so the sign form can
    show its errors without a savepoint around the writes (two round trips fewer)."""
    if not statements.accepts_signatures(statement, now or utcnow()):
        raise Conflict(_("This statement is not open for signatures."))
    return clean_sign_input(data, statement)


def record_all(
    session: Session,
    *,
    statement: Statement,
    cleans: Sequence[CleanSign],
    context: Context,
    now: datetime | None = None,
) -> list[int | None]:
    """Record one submission: an individual, or one person signing for one or several
    organisations, each its own signature with its own notice (and so its own
    confirmation). The person's checks (timing, honeypot, the rate limits, the blocklist)
    run once for the submission, so one form counts once against the limits whatever the
    number of organisations; each organisation's own checks (its website against the
    address, look-alikes) run for it. The ids, in the order given."""
    now = now or utcnow()
    person = person_checks(session, statement=statement, clean=cleans[0], context=context)
    return [
        record(
            session,
            statement=statement,
            clean=clean,
            context=context,
            now=now,
            checks=Checks(
                flags=person.flags | organisation_flags(session, statement=statement, clean=clean),
                blocklisted=person.blocklisted,
            ),
        )
        for clean in cleans
    ]


def record(
    session: Session,
    *,
    statement: Statement,
    clean: CleanSign,
    context: Context,
    now: datetime | None = None,
    checks: Checks | None = None,
) -> int | None:
    """Record a checked signature and queue its notice. Returns the signature's id (for
    the outreach links: app.outreach.service.record_arrival), and does the same work,
    whether this is a first signature, a repeat or a signature after a withdrawal:
    one upsert that writes a new row, or reopens a withdrawn one, or leaves an existing one
    as it is; then one notice row for whichever row that is. What the notice becomes (a
    confirmation, a repeat notice, or nothing) is decided by the worker
    (`notices.write_notices`).

    Round trips after the statement's own: the rate-limit counters, the blocklist, then the
    signature and its notice (one statement on PostgreSQL, two on SQLite). `checks`: what
    `checks_for` found, when `record_all` ran them already."""
    now = now or utcnow()
    checks = checks or checks_for(session, statement=statement, clean=clean, context=context)
    values = _row(statement, clean, flags=checks.flags, context=context, now=now)
    postgres = session.get_bind().dialect.name == "postgresql"
    write, notice = _record_statements(postgres, tuple(values))
    connection = session.connection()
    written: int | None
    signature_id: int | None
    if postgres:
        row = connection.execute(write, values).one()
        signature_id, written = row[0], row[1]
    else:
        # SQLite has no data-modifying WITH: the notice reads the row the upsert left.
        written = connection.execute(write, values).scalar_one_or_none()
        signature_id = connection.execute(notice, values).scalar_one_or_none()
    if written is not None and checks.blocklisted:
        # The entries found by the check itself: no second blocklist query.
        blocklists.record_hits(session, signature_id=written, entries=checks.blocklisted)
    return signature_id


@cache
def _record_statements(postgres: bool, names: tuple[str, ...]) -> tuple[Executable, Executable]:
    """`record`'s statements, built once per process with a bound parameter for each of
    `names` (the row's columns): building the upsert (its `excluded` columns above all)
    cost more CPU than the database spent running it.

    On PostgreSQL the first is the whole of it: the upsert, and the notice for the row it
    wrote or (from the statement's snapshot, before the upsert) the row that was there;
    UNION, not UNION ALL: a withdrawn row signed again is both, and gets one notice. On
    SQLite, the upsert, then the notice."""
    insert = postgresql.insert if postgres else sqlite.insert
    # Core tables, not the ORM entities: SQLAlchemy's ORM cannot compile an INSERT inside
    # a WITH, and nothing here needs ORM objects.
    signatures: Table = Signature.__table__  # type: ignore[attr-defined]
    notices: Table = SigningNotice.__table__  # type: ignore[attr-defined]
    bound = {name: bindparam(name, type_=signatures.c[name].type) for name in names}
    upsert = insert(signatures).values(bound)
    # The id comes back when this submission wrote the row (new, or signed again after a
    # withdrawal), nothing when it left an existing signature as it was.
    write = upsert.on_conflict_do_update(
        index_elements=["statement_id", "kind", "email_key", "org_party_key"],
        set_=_signed_again(upsert.excluded, names),
        where=signatures.c.status == SignatureStatus.WITHDRAWN.value,
    ).returning(signatures.c.id)
    queued = (literal(NoticeStatus.QUEUED.value), bound["submitted_at"])
    existing = sa_select(signatures.c.id, *queued).where(
        signatures.c.statement_id == bound["statement_id"],
        signatures.c.kind == bound["kind"],
        signatures.c.email_key == bound["email_key"],
        signatures.c.org_party_key == bound["org_party_key"],
    )
    columns = ["signature_id", "status", "created_at"]  # kind: the column's server default
    if not postgres:
        notice = (
            insert(notices)
            .from_select(columns, existing, include_defaults=False)
            .returning(notices.c.signature_id)
        )
        return write, notice
    upserted = write.cte("written")
    notice_cte = (
        insert(notices)
        .from_select(
            columns, union(sa_select(upserted.c.id, *queued), existing), include_defaults=False
        )
        .returning(notices.c.signature_id)
        .cte("notice")
    )
    both = sa_select(notice_cte.c.signature_id, sa_select(upserted.c.id).scalar_subquery())
    return both, both


def _signed_again(excluded: Any, names: Iterable[str]) -> dict[str, object]:
    """A withdrawn row signed again becomes a new pending signature: what was submitted now,
    a new nonce (the old links stop working), and nothing of the old signature's
    confirmation, decision or corrections. `withdrawn_at` stays: it happened."""
    return {name: excluded[name] for name in names} | {
        "org_key": excluded.org_key,
        "site": excluded.site,
        "confirmed_at": None,
        "decided_at": None,
        "decided_by_id": None,
        "version_id": None,
        "reconsent_version_id": None,
        "keep_listed": None,
        "display_name": None,
        "display_acronym": None,
        "display_title": None,
        "display_note": None,
        "display_country": None,
        "position": None,
    }


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
        "submitted_at": now,
        "ip_hash": tokens.keyed_digest(context.ip, purpose=tokens.Keyed.IP) if context.ip else "",
        # What the column defaults (similarity.key_default, site_default) would compute:
        # written here because a default that reads the insert's values cannot run in
        # PostgreSQL's single-statement upsert (`record`).
        **similarity.stored_keys(asdict(clean)),
    }


@dataclass(frozen=True)
class Checks:
    """What the abuse checks found: the flags, and the blocklist entries matched (kept
    with the signature by `record_hits`, without asking the database again)."""

    flags: set[Flag]
    blocklisted: list[BlocklistEntry]


def checks_for(
    session: Session, *, statement: Statement, clean: CleanSign, context: Context
) -> Checks:
    """Reasons to hold a signature for a lead, with the blocklist entries that made it
    BLOCKLISTED. Never a reason to refuse it: a bot that is refused learns what to change;
    one that is held learns nothing."""
    person = person_checks(session, statement=statement, clean=clean, context=context)
    flags = person.flags | organisation_flags(session, statement=statement, clean=clean)
    return Checks(flags=flags, blocklisted=person.blocklisted)


def person_checks(
    session: Session, *, statement: Statement, clean: CleanSign, context: Context
) -> Checks:
    """What is about the person and the submission, whatever they sign for: the honeypot,
    the form's age, the rate limits (one more event each time this runs), a disposable
    address, the blocklist."""
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
    if clean.email.rpartition("@")[2] in disposable_domains:
        flags.add(Flag.DISPOSABLE_EMAIL)
    blocklisted = _blocklisted(session, statement=statement, email=clean.email, context=context)
    if blocklisted:
        flags.add(Flag.BLOCKLISTED)
    return Checks(flags=flags, blocklisted=blocklisted)


def organisation_flags(session: Session, *, statement: Statement, clean: CleanSign) -> set[Flag]:
    """What is about the organisation signed for: its website against the address's
    domain, and look-alikes already on the statement."""
    flags: set[Flag] = set()
    if clean.kind == SignerKind.ORGANISATION:
        domain = clean.email.rpartition("@")[2]
        site = similarity.website_domain(clean.website)
        if site and not (domain == site or domain.endswith("." + site)):
            flags.add(Flag.DOMAIN_MISMATCH)
        if _looks_like_existing_org(session, statement=statement, clean=clean):
            flags.add(Flag.POSSIBLE_DUPLICATE)
    return flags


def _blocklisted(
    session: Session, *, statement: Statement, email: str, context: Context
) -> list[BlocklistEntry]:
    assert statement.id is not None
    return blocklists.matching_entries(
        session,
        statement_id=statement.id,
        email=email,
        email_key=normal_address(email),
        ip=context.ip,
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
        could_match.append(col(Signature.acronym_key) == acronym[: similarity.KEY_LENGTH])
    if not could_match:
        return False
    candidates = session.exec(
        select(Signature.org_key, Signature.site, Signature.acronym_key).where(
            col(Signature.statement_id) == statement.id,
            col(Signature.kind) == SignerKind.ORGANISATION,
            # Not this signature itself (a repeat); the same person's other organisations
            # are compared: a second name for one organisation is worth a look.
            or_(
                col(Signature.email_key) != clean.email_key,
                col(Signature.org_party_key) != clean.org_party_key,
            ),
            col(Signature.status) != SignatureStatus.WITHDRAWN,
            or_(*could_match),
        )
    ).all()
    if any(
        (site and other == site) or (acronym and acr == acronym[: similarity.KEY_LENGTH])
        for _, other, acr in candidates
    ):
        return True
    return similarity.near_name(key, [other for other, _, _ in candidates if other])
