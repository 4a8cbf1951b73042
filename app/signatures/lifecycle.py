"""A signature's transitions after it is submitted: confirm (by the signer, through the
emailed link), approve / reject (by a lead), withdraw (by the signer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, Gone, NotFound
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.security import tokens
from app.signatures.forms import email_key
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.signatures.signing import claim
from app.statements import service as statements
from app.statements.models import Moderation, Statement, StatementStatus

INVALID_LINK = N_("This link is not valid. Check that it was copied whole, or sign again.")


@dataclass(frozen=True)
class Found:
    signature: Signature
    statement: Statement


def resolve(session: Session, purpose: tokens.Purpose, token: str, max_age: int | None) -> Found:
    try:
        payload = tokens.read_token(purpose, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        raise Gone(_("This link has expired. Sign again to get a new one.")) from exc
    except tokens.TokenInvalid as exc:
        raise NotFound(_(INVALID_LINK)) from exc
    found = (
        session.exec(_SIGNATURE_AND_STATEMENT, params={"sid": payload.get("s")}).first()
        if isinstance(payload, dict) and isinstance(payload.get("s"), int)
        else None
    )
    if found is None or found[0].nonce != payload.get("n"):
        raise NotFound(_(INVALID_LINK))
    return Found(signature=found[0], statement=found[1])


# A link's signature and its statement in one round trip.
_SIGNATURE_AND_STATEMENT = (
    select(Signature, Statement)
    .join(Statement, col(Statement.id) == col(Signature.statement_id))
    .where(col(Signature.id) == bindparam("sid"))
)


def statement_of(session: Session, signature: Signature) -> Statement:
    statement = session.get(Statement, signature.statement_id)
    assert statement is not None
    return statement


def signatures_of(
    session: Session, *, address: str, statement_id: int | None = None
) -> list[Signature]:
    """The signatures of this address, on one statement or (None) on all, oldest first.

    Found in SQL by the blind index (`email_key`); of those few rows only the ones whose
    (decrypted) address is this very one are kept, for the index folds case and plus
    tags: what another address signed is never told to this one."""
    query = select(Signature).where(col(Signature.email_key) == email_key(address))
    if statement_id is not None:
        query = query.where(col(Signature.statement_id) == statement_id)
    found = session.exec(query.order_by(col(Signature.id))).all()
    return [signature for signature in found if signature.email == address]


def for_confirmation(session: Session, *, token: str) -> Found:
    """What a confirmation link points to. Opening it changes nothing."""
    days = get_settings().signature_confirm_days
    return resolve(session, tokens.Purpose.CONFIRM, token, days * 24 * 3600)


def confirm_by(statement: Statement) -> datetime:
    """The last instant a signature submitted before the deadline can be confirmed: a
    signer who signs a minute before the deadline still has time to open their email."""
    return statement.deadline_at + timedelta(minutes=get_settings().confirm_grace_minutes)


def confirm_until(statement: Statement, signature: Signature) -> datetime:
    """When this signature's confirmation stops counting: its link expires, or the
    statement's deadline and grace pass, whichever comes first."""
    expires = signature.submitted_at + timedelta(days=get_settings().signature_confirm_days)
    return min(expires, confirm_by(statement))


def confirm(session: Session, *, token: str, now: datetime | None = None) -> Found:
    """Confirm once. A second (or concurrent) confirmation changes nothing and says so.
    The thank-you email is queued as a notice for the worker (`notices.write_notices`),
    in the same statement as the claim on PostgreSQL."""
    now = now or utcnow()
    found = for_confirmation(session, token=token)
    signature, statement = found.signature, found.statement
    if signature.status != SignatureStatus.PENDING:
        return found
    if not statements.accepts_signatures(statement, now):
        late_but_allowed = (
            statement.status in (StatementStatus.OPEN, StatementStatus.CLOSED)
            and signature.submitted_at < statement.deadline_at
            and now < confirm_by(statement)
        )
        if not late_but_allowed:
            raise Conflict(_("Signatures for this statement have closed."))
    # Approved at once, or confirmed and waiting for a lead: decided before the one UPDATE
    # (the flags and the moderation setting are already at hand).
    changed: dict[str, object] = {"status": SignatureStatus.CONFIRMED, "confirmed_at": now}
    if _auto_approves(statement, signature):
        changed |= {"status": SignatureStatus.APPROVED, "decided_at": now}
    version_id = claim.claim(session, signature=signature, statement=statement, changed=changed)
    if version_id is None:  # another request confirmed it first
        session.refresh(signature)
        return found
    for name, value in (changed | {"version_id": version_id}).items():
        set_committed_value(signature, name, value)  # what the row now holds, not read again
    return found


def _auto_approves(statement: Statement, signature: Signature) -> bool:
    if signature.flag_set():
        return False  # suspicious signatures wait for a lead
    if statement.moderation == Moderation.AUTO_ALL:
        return True
    return (
        statement.moderation == Moderation.AUTO_INDIVIDUALS
        and signature.kind == SignerKind.INDIVIDUAL
    )


def withdraw_token(signature: Signature) -> str:
    return tokens.make_token(tokens.Purpose.WITHDRAW, {"s": signature.id, "n": signature.nonce})


def edit_link(signature: Signature) -> str:
    """The signer's link to change their details (app.signatures.editing): works as long as
    the signature does (its nonce)."""
    token = tokens.make_token(tokens.Purpose.EDIT, {"s": signature.id, "n": signature.nonce})
    return f"{get_settings().base_url}/edit/{token}"


def for_withdrawal(session: Session, *, token: str) -> Found:
    return resolve(session, tokens.Purpose.WITHDRAW, token, None)


def withdraw(session: Session, *, token: str, now: datetime | None = None) -> Found:
    found = for_withdrawal(session, token=token)
    if found.statement.status == StatementStatus.FINAL:
        raise Conflict(
            _(
                "This statement is final: its list of signatories can no longer change. "
                "Write to its coordinators if you need to."
            )
        )
    if found.signature.status != SignatureStatus.WITHDRAWN:
        found.signature.status = SignatureStatus.WITHDRAWN
        found.signature.withdrawn_at = now or utcnow()
        audit.record(
            session,
            statement_id=found.statement.id,
            actor=None,
            action="signature withdrawn",
            actor_label=_("the signer"),
            detail=f"#{found.signature.id}",
        )
        session.flush()
    return found


# --- moderation ---------------------------------------------------------------------

MODERATABLE = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED, SignatureStatus.REJECTED)


def approve(session: Session, *, statement: Statement, signature: Signature, actor: User) -> None:
    _decide(session, statement, signature, actor, SignatureStatus.APPROVED)


def reject(session: Session, *, statement: Statement, signature: Signature, actor: User) -> None:
    _decide(session, statement, signature, actor, SignatureStatus.REJECTED)


# What a signature's state is called on the team's pages and in their messages.
STATUS_LABELS = {
    SignatureStatus.PENDING: N_("Awaiting confirmation"),
    SignatureStatus.CONFIRMED: N_("Confirmed, awaiting decision"),
    SignatureStatus.APPROVED: N_("Approved"),
    SignatureStatus.REJECTED: N_("Rejected"),
    SignatureStatus.WITHDRAWN: N_("Withdrawn"),
}


def _decide(
    session: Session, statement: Statement, signature: Signature, actor: User, to: SignatureStatus
) -> None:
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    if signature.statement_id != statement.id:
        raise NotFound()
    if signature.status not in MODERATABLE:
        raise Conflict(
            _("Only confirmed signatures can be approved or rejected. This one is: %(status)s.")
            % {"status": _(STATUS_LABELS[signature.status])}
        )
    before = signature.status
    signature.status = to
    signature.decided_at = utcnow()
    signature.decided_by_id = actor.id
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action=f"signature {to.value}",
        from_state=before,
        to_state=to,
        detail=f"#{signature.id}",
    )
    session.flush()
