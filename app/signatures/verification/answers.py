"""Answers from outside the team about an organisation's signature: its known address
saying "this wasn't us" (the link of the "was this you?" email the worker sends), and a
second person on its domain confirming it. Each link is signed, names the verification
row and carries a secret of that row; the one check is `_from_link`.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, NotFound
from app.core.i18n import N_, using_locale
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.mail import service as mail
from app.security import tokens
from app.signatures.models import Signature, SignatureStatus
from app.signatures.verification import checks
from app.signatures.verification.models import RANK, Level, OrgVerification
from app.signatures.verification.service import NOT_YET, email_about, email_domain, row_for
from app.statements.models import Statement, StatementStatus, TeamMember, TeamRole

LINK_DAYS = 14
LINK_NOT_VALID = N_("This link has expired or is not valid.")
Answered = tuple[Signature, OrgVerification, Statement]


def _from_link(
    session: Session,
    *,
    purpose: tokens.Purpose,
    token: str,
    secret: Callable[[OrgVerification], str],
    key: str,
) -> Answered:
    """The signature, its verification row and statement a link points to: the token is
    ours and recent, and its `key` holds the row's `secret` (still set: single use)."""
    try:
        payload = tokens.read_token(purpose, token, max_age_seconds=LINK_DAYS * 86400)
    except (tokens.TokenExpired, tokens.TokenInvalid) as exc:
        raise NotFound(_(LINK_NOT_VALID)) from exc
    if not isinstance(payload, dict):
        raise NotFound(_(LINK_NOT_VALID))
    row = session.get(OrgVerification, payload.get("s"))
    expected = secret(row) if row is not None else ""
    if (
        row is None
        or not expected
        or not secrets.compare_digest(expected, str(payload.get(key, "")))
    ):
        raise NotFound(_(LINK_NOT_VALID))
    signature = session.get(Signature, row.signature_id)
    statement = session.get(Statement, row.statement_id)
    assert signature is not None and statement is not None
    return signature, row, statement


# --- "this wasn't us" -----------------------------------------------------------------


def for_dispute(session: Session, *, token: str) -> Answered:
    return _from_link(
        session, purpose=tokens.Purpose.NOT_US, token=token, secret=lambda r: r.code, key="c"
    )


def dispute(session: Session, *, token: str, now: datetime | None = None) -> Answered:
    """Hold the signature (out of the public list, back to the leads' decision) and tell
    the leads. Pressing it again changes nothing. What the link pointed to, for the page."""
    signature, row, statement = for_dispute(session, token=token)
    if row.disputed_at is not None:
        return signature, row, statement
    row.disputed_at = now or utcnow()
    if signature.status == SignatureStatus.APPROVED and statement.status != StatementStatus.FINAL:
        signature.status = SignatureStatus.CONFIRMED
        signature.decided_at = row.disputed_at
        signature.decided_by_id = None
    audit.record(
        session,
        statement_id=statement.id,
        actor=None,
        action="signature disputed: this wasn't us",
        actor_label=_("the organisation's known address"),
        detail=f"#{signature.id}",
    )
    for lead in _editors(session, statement):
        with using_locale(lead.locale):
            mail.queue_email(
                session,
                kind="verification_disputed",
                to_address=lead.email,
                to_name=lead.name,
                subject=_("Held: an organisation says it did not sign"),
                template="verification_disputed",
                context={
                    "organisation": signature.organisation,
                    "link": f"{get_settings().base_url}/statements/{statement.slug}"
                    f"/signatures/{signature.id}/verification",
                },
                statement_id=statement.id,
                anti_phishing_phrase=lead.anti_phishing_phrase,
            )
    session.add_all([row, signature])
    session.flush()
    return signature, row, statement


def _editors(session: Session, statement: Statement) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(TeamMember, col(TeamMember.user_id) == col(User.id))
            .where(
                col(TeamMember.statement_id) == statement.id,
                col(TeamMember.role).in_([TeamRole.OWNER, TeamRole.EDITOR]),
                col(User.is_active).is_(True),
            )
        ).all()
    )


# --- a second person ------------------------------------------------------------------


def ask_second_person(
    session: Session, *, statement: Statement, signature_id: int, address: str, actor: User
) -> None:
    """Email another mailbox on the organisation's domain a link to confirm. FieldErrors
    for an address that is not on the domain or is the signer's own."""
    signature, row = row_for(session, statement=statement, signature_id=signature_id)
    if not row.code:
        raise Conflict(_(NOT_YET))
    try:
        cleaned = normalise_email(address)
    except BadRequest as exc:
        raise FieldErrors({"address": exc.message}) from exc
    if not checks.on_domain(email_domain(cleaned), row.site):
        raise FieldErrors(
            {"address": _("The address must be on the organisation's website domain.")}
        )
    if cleaned.lower() == signature.email.lower():
        raise FieldErrors({"address": _("Ask someone other than the person who signed.")})
    row.second_domain = email_domain(cleaned)
    row.second_nonce = secrets.token_urlsafe(12)
    token = tokens.make_token(
        tokens.Purpose.SECOND_PERSON, {"s": signature_id, "n": row.second_nonce}
    )
    email_about(
        session,
        statement=statement,
        signature=signature,
        to=[cleaned],
        template="verification_second",
        subject=N_("Please confirm your organisation signed “%(title)s”"),
        path=f"/second-person/{token}",
    )
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="second person asked to confirm",
        detail=f"#{signature_id} @{row.second_domain}",
    )
    session.add(row)
    session.flush()


def for_second_person(session: Session, *, token: str) -> Answered:
    return _from_link(
        session,
        purpose=tokens.Purpose.SECOND_PERSON,
        token=token,
        secret=lambda r: r.second_nonce,
        key="n",
    )


def confirm_second_person(session: Session, *, token: str, now: datetime | None = None) -> Answered:
    """The second person's confirmation (the link then stops working). What the link
    pointed to, for the page."""
    signature, row, statement = for_second_person(session, token=token)
    row.second_confirmed_at = now or utcnow()
    row.second_nonce = ""  # single use
    if RANK[row.level] < RANK[Level.SECOND_PERSON]:
        row.level = Level.SECOND_PERSON
    audit.record(
        session,
        statement_id=statement.id,
        actor=None,
        action="second person confirmed",
        actor_label=_("a second person on the domain"),
        detail=f"#{row.signature_id}",
    )
    session.add(row)
    session.flush()
    return signature, row, statement
