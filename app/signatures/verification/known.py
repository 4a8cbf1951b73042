""" "Was this you?": when an organisation's signature is confirmed, the address the
coalition already knows for that organisation hears of it, with a link that holds the
signature and tells the leads.

`known_addresses` is the one lookup: today it reads the team's earlier statements; the
coalition roster can add its own addresses there later.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.signatures import similarity
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.statements.models import Statement, TeamMember

KNOWN_STATUSES = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)


def same_team_earlier(session: Session, *, statement: Statement) -> list[int]:
    """Statements made before this one by a team sharing a lead with its team."""
    leads = select(TeamMember.user_id).where(col(TeamMember.statement_id) == statement.id)
    return list(
        session.exec(
            select(TeamMember.statement_id)
            .join(Statement, col(Statement.id) == col(TeamMember.statement_id))
            .where(
                col(TeamMember.user_id).in_(leads),
                col(Statement.id) != statement.id,
                col(Statement.created_at) <= statement.created_at,
            )
            .distinct()
        ).all()
    )


def known_addresses(
    session: Session, *, statement: Statement, signature: Signature
) -> Sequence[str]:
    """Addresses the coalition knows for `signature`'s organisation: a confirmed
    signature of the same organisation (same website domain, acronym or look-alike name,
    as in the look-alike check) on an earlier statement of the same team. Never the
    address that just signed (left out by its blind index, `email_key`)."""
    earlier = same_team_earlier(session, statement=statement)
    if not earlier or signature.kind != SignerKind.ORGANISATION:
        return []
    rows = session.execute(
        sa_select(
            col(Signature.email),
            col(Signature.email_key),
            col(Signature.org_key),
            col(Signature.site),
            col(Signature.acronym),
        )
        .where(
            col(Signature.statement_id).in_(earlier),
            col(Signature.kind) == SignerKind.ORGANISATION,
            col(Signature.status).in_(KNOWN_STATUSES),
            col(Signature.email_key) != signature.email_key,
        )
        .order_by(col(Signature.confirmed_at).desc())
    ).all()
    acronym = signature.acronym.lower()
    found: dict[str, str] = {}
    for email, key, org_key, site, other_acronym in rows:
        if not email or key in found:
            continue
        if (
            (signature.site and site == signature.site)
            or (acronym and other_acronym.lower() == acronym)
            or similarity.near_name(signature.org_key, [org_key] if org_key else [])
        ):
            found[key] = email
    return list(found.values())[:3]
