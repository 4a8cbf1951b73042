"""Referral links (one per co-lead or partner, counted, never naming a signer) and who
brought each signature: the first invitation or referral link it came through.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, FieldErrors
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.outreach import messages
from app.outreach.models import Arrival, Invitation, Referral
from app.signatures.models import Signature, SignatureStatus
from app.statements.models import Statement

COUNTED = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)


def record_arrival(
    session: Session,
    *,
    statement: Statement,
    signature_id: int | None,
    invitation_token: str = "",
    referral_code: str = "",
) -> None:
    """Called after every submission of the sign form: notes the invitation or referral
    link it came through. The first link a signature came through keeps it."""
    if signature_id is None or not (invitation_token or referral_code):
        return
    invitation = messages.by_token(session, token=invitation_token) if invitation_token else None
    if invitation is not None and invitation.statement_id != statement.id:
        invitation = None
    referral = referral_by_code(session, statement=statement, code=referral_code)
    if invitation is None and referral is None:
        return
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_(Arrival)
        .values(
            signature_id=signature_id,
            statement_id=statement.id,
            invitation_id=invitation.id if invitation else None,
            referral_id=referral.id if referral else None,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["signature_id"])
    )
    if invitation is not None:
        session.exec(
            update(Invitation)
            .where(col(Invitation.id) == invitation.id)
            .values(signature_id=signature_id)
        )


def add_referral(session: Session, *, statement: Statement, actor: User, label: str) -> Referral:
    try:
        label = clean_line(label, max_length=200)
    except BadRequest as exc:
        raise FieldErrors({"label": exc.message}) from exc
    if not label:
        raise FieldErrors({"label": _("Enter the co-lead's or partner organisation's name.")})
    assert statement.id is not None
    referral = Referral(statement_id=statement.id, label=label, code=secrets.token_urlsafe(9))
    session.add(referral)
    session.flush()
    audit.record(session, statement_id=statement.id, actor=actor, action="outreach.referral added")
    return referral


def referral_by_code(session: Session, *, statement: Statement, code: str) -> Referral | None:
    code = code.strip()
    if not code or len(code) > 32:
        return None
    return session.exec(
        select(Referral).where(
            col(Referral.code) == code, col(Referral.statement_id) == statement.id
        )
    ).first()


@dataclass(frozen=True)
class ReferralCount:
    referral: Referral
    link: str
    signatures: int


def referral_counts(session: Session, *, statement: Statement) -> list[ReferralCount]:
    """Confirmed and approved signatures per referral link: counts only, no contact data."""
    counted = (
        select(Arrival.referral_id, func.count())
        .join(Signature, col(Signature.id) == col(Arrival.signature_id))
        .where(
            col(Arrival.statement_id) == statement.id,
            col(Arrival.referral_id).is_not(None),
            col(Signature.status).in_(COUNTED),
        )
        .group_by(col(Arrival.referral_id))
    )
    counts = dict(session.exec(counted).all())
    referrals = session.exec(
        select(Referral)
        .where(col(Referral.statement_id) == statement.id)
        .order_by(col(Referral.id))
    ).all()
    base = get_settings().base_url
    return [
        ReferralCount(
            referral=r,
            link=f"{base}/s/{statement.slug}/sign?ref={r.code}",
            signatures=counts.get(r.id, 0),
        )
        for r in referrals
    ]
