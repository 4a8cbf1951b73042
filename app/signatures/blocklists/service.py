"""A statement's blocklist: what its leads enter, and which signatures it holds.

An entry is an email domain (holding its subdomains too), one email address, or an IP
range. A signature that matches is held for a lead with the reason recorded — never
refused: the signer sees exactly what everyone else sees, so an abuser learns nothing.

The signer's IP address is never stored (only a keyed digest of it is), so IP ranges are
checked once, while the signature is being sent, against the live client address.
What a lead types is read in parsing.py.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, String, and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.errors import FieldErrors, NotFound
from app.core.i18n import gettext as _
from app.signatures.blocklists import parsing
from app.signatures.blocklists.models import BlocklistEntry, BlocklistHit, EntryKind
from app.statements import service as statements
from app.statements.models import Statement, TeamMember
from app.statements.team import service as team

MAX_ID = 2**31 - 1  # ids are 32-bit: a larger number is simply not there
# How an entry reads in the audit log, which is stored as written (in English).
_AUDIT_KIND = {
    EntryKind.DOMAIN: "email domain",
    EntryKind.ADDRESS: "email address",
    EntryKind.IP_RANGE: "IP range",
}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Source:
    """Another statement whose blocklist the lead may copy."""

    slug: str
    title: str
    entries: int


# --- the list -------------------------------------------------------------------------


def list_entries(session: Session, *, statement: Statement) -> list[BlocklistEntry]:
    return list(
        session.exec(
            select(BlocklistEntry)
            .where(col(BlocklistEntry.statement_id) == statement.id)
            .order_by(col(BlocklistEntry.kind), col(BlocklistEntry.value))
        )
    )


def add_entry(
    session: Session, *, statement: Statement, actor: User, value: str, note: str = ""
) -> BlocklistEntry:
    """Add an entry. It holds signatures sent from now on; those already in are unchanged."""
    errors: dict[str, str] = {}
    parsed: tuple[EntryKind, str] | None = None
    why = ""
    try:
        parsed = parsing.parse_entry(value)
    except FieldErrors as exc:
        errors.update(exc.errors)
    try:
        why = parsing.clean_note(note)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if errors or parsed is None:
        raise FieldErrors(errors)
    kind, normalised = parsed
    entry = _insert(
        session, statement=statement, actor=actor, kind=kind, value=normalised, note=why
    )
    if entry is None:
        raise FieldErrors(
            {"value": _("%(value)s is already on the blocklist.") % {"value": normalised}}
        )
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="blocklist entry added",
        detail=_audit_detail(entry),
    )
    session.flush()
    return entry


def _insert(
    session: Session, *, statement: Statement, actor: User, kind: EntryKind, value: str, note: str
) -> BlocklistEntry | None:
    """The new entry, or None when the list has it already (also when another lead added
    it a moment ago: the unique constraint settles that race, in a savepoint of its own)."""
    exists = session.exec(
        select(BlocklistEntry.id).where(
            col(BlocklistEntry.statement_id) == statement.id,
            col(BlocklistEntry.kind) == kind,
            col(BlocklistEntry.value) == value,
        )
    ).first()
    if exists is not None:
        return None
    assert statement.id is not None
    entry = BlocklistEntry(
        statement_id=statement.id,
        kind=kind,
        value=value,
        note=note,
        added_by_id=actor.id,
        added_by_label=actor.name,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return None
    return entry


def remove_entry(
    session: Session, *, statement: Statement, actor: User, entry_id: int
) -> BlocklistEntry:
    """Remove an entry. Signatures it held stay held, with their reason."""
    entry = session.get(BlocklistEntry, entry_id) if 0 < entry_id <= MAX_ID else None
    if entry is None or entry.statement_id != statement.id:
        raise NotFound()
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="blocklist entry removed",
        detail=_audit_detail(entry),
    )
    session.delete(entry)
    session.flush()
    return entry


def copy_sources(session: Session, *, statement: Statement, user: User) -> list[Source]:
    """The other statements on whose team `user` is and which have a blocklist."""
    rows = session.exec(
        select(Statement, func.count(col(BlocklistEntry.id)))
        .join(TeamMember, col(TeamMember.statement_id) == col(Statement.id))
        .join(BlocklistEntry, col(BlocklistEntry.statement_id) == col(Statement.id))
        .where(col(TeamMember.user_id) == user.id, col(Statement.id) != statement.id)
        .group_by(col(Statement.id))
        .order_by(col(Statement.deadline_at).desc())
    ).all()
    return [
        Source(
            slug=other.slug,
            title=statements.current_version(session, statement=other).title,
            entries=n,
        )
        for other, n in rows
    ]


def copy_entries(session: Session, *, statement: Statement, actor: User, source_slug: str) -> int:
    """Copy another statement's entries (one `actor` is on the team of) into this one's;
    those it has already are skipped. Returns how many were added."""
    slug = source_slug.strip()[: parsing.MAX_TYPED]
    source = None
    if slug and slug != statement.slug:
        found = session.exec(select(Statement).where(col(Statement.slug) == slug)).first()
        # Anyone on its team sees its blocklist, so copying it reveals nothing more.
        if found is not None and team.role_of(session, statement=found, user=actor) is not None:
            source = found
    if source is None:
        raise FieldErrors({"source": _("Choose one of your other statements.")})
    added = [
        entry
        for theirs in list_entries(session, statement=source)
        if (
            entry := _insert(
                session,
                statement=statement,
                actor=actor,
                kind=theirs.kind,
                value=theirs.value,
                note=theirs.note,
            )
        )
        is not None
    ]
    if added:
        audit.record(
            session,
            statement_id=statement.id,
            actor=actor,
            action="blocklist copied",
            detail=f"from {source.slug}: " + "; ".join(_audit_detail(e) for e in added),
        )
    session.flush()
    return len(added)


def _audit_detail(entry: BlocklistEntry) -> str:
    detail = f"{_AUDIT_KIND[entry.kind]} {entry.value}"
    return f"{detail} ({entry.note})" if entry.note else detail


# --- matching signatures --------------------------------------------------------------


def matching_entries(
    session: Session, *, statement_id: int, email: str, email_key: str, ip: str
) -> list[BlocklistEntry]:
    """The entries a signature matches: its normalised address (or its repeat-signer key,
    which drops a plus-tag), its domain or any parent of it, and the live client IP.

    One query that fetches only entries that could match, whatever the list's length."""
    domain = email.rpartition("@")[2]
    labels = domain.split(".")
    address = _address(ip)
    # Plain columns first: almost every signature matches nothing, and loading ORM
    # entities (even none) cost more than the query.
    rows = (
        session.connection()
        .execute(
            _matching_query(),
            {
                "statement_id": statement_id,
                # Always two values (even when equal): the same statement for every signer.
                "addresses": [email, email_key],
                "domains": [".".join(labels[i:]) for i in range(len(labels))] if domain else [],
                # Ranges are read only when there is an address to compare (no kind is "").
                "range_kind": EntryKind.IP_RANGE.value if address is not None else "",
            },
        )
        .all()
    )
    matched = [
        entry_id
        for entry_id, kind, value in rows
        if kind != EntryKind.IP_RANGE or (address is not None and _in_range(address, value))
    ]
    if not matched:
        return []
    return list(
        session.exec(
            select(BlocklistEntry)
            .where(col(BlocklistEntry.id).in_(matched))
            .order_by(col(BlocklistEntry.id))
        )
    )


@cache
def _matching_query() -> Select[int | None, EntryKind, str]:
    """`matching_entries`' query, built once (it runs on every signature)."""
    kind = col(BlocklistEntry.kind)
    value = col(BlocklistEntry.value)
    return (
        sa_select(col(BlocklistEntry.id), kind, value)
        .where(
            col(BlocklistEntry.statement_id) == bindparam("statement_id"),
            or_(
                and_(
                    kind == EntryKind.ADDRESS,
                    value.in_(bindparam("addresses", expanding=True)),
                ),
                and_(kind == EntryKind.DOMAIN, value.in_(bindparam("domains", expanding=True))),
                kind == bindparam("range_kind", type_=String),
            ),
        )
        .order_by(col(BlocklistEntry.id))
    )


def _address(ip: str) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None  # no address, or a test client's name: nothing to compare
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's ::ffff:203.0.113.9
    return address


def _in_range(address: IpAddress, value: str) -> bool:
    network = parsing.parse_network(value)
    return network is not None and address in network


def record_hits(session: Session, *, signature_id: int, entries: Iterable[BlocklistEntry]) -> None:
    """Keep why a signature was held, copied from the entries it matched."""
    for entry in entries:
        session.add(
            BlocklistHit(
                signature_id=signature_id,
                kind=entry.kind,
                value=entry.value,
                added_by_label=entry.added_by_label,
                added_at=entry.added_at,
            )
        )
    session.flush()


def hits_for(session: Session, *, signature_ids: Iterable[int]) -> dict[int, list[BlocklistHit]]:
    """Why each of these signatures was held, if it was."""
    wanted = set(signature_ids)
    found: dict[int, list[BlocklistHit]] = defaultdict(list)
    if not wanted:
        return found
    for hit in session.exec(
        select(BlocklistHit)
        .where(col(BlocklistHit.signature_id).in_(wanted))
        .order_by(col(BlocklistHit.id))
    ):
        found[hit.signature_id].append(hit)
    return found


def kind_labels() -> dict[EntryKind, str]:
    return {
        EntryKind.DOMAIN: _("Email domain, with its subdomains"),
        EntryKind.ADDRESS: _("Email address"),
        EntryKind.IP_RANGE: _("IP range"),
    }
