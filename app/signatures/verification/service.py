"""Organisation verification: the rows the worker makes and checks, a statement's policy,
"this wasn't us", and a second person's confirmation. Checks themselves are in
`checks.py` (worker only); "was this you?" addresses come from `known.py`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import func
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
from app.signatures import similarity
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.signatures.verification import checks, known
from app.signatures.verification.models import (
    LEVEL_LABELS,
    RANK,
    Level,
    OrgVerification,
    VerificationPolicy,
)
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus, TeamMember, TeamRole

BATCH = 200
NOT_YET = N_("Not checked yet: the worker looks at new signatures within a minute.")
LINK_DAYS = 14


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


# --- the worker -----------------------------------------------------------------------


def prepare(session: Session, *, now: datetime | None = None) -> int:
    """The worker's job before every batch: a verification row for each new organisation
    signature (its first check due at once), and "was this you?" for each newly confirmed
    one. Quick: no network."""
    now = now or utcnow()
    missing = session.exec(
        select(Signature)
        .outerjoin(OrgVerification, col(OrgVerification.signature_id) == col(Signature.id))
        .where(
            col(Signature.kind) == SignerKind.ORGANISATION,
            col(OrgVerification.signature_id).is_(None),
        )
        .limit(BATCH)
    ).all()
    for signature in missing:
        assert signature.id is not None
        site = similarity.website_domain(signature.website)[:300]
        session.add(
            OrgVerification(
                signature_id=signature.id,
                statement_id=signature.statement_id,
                email_domain=email_domain(signature.email)[:254],
                site=site,
                code=secrets.token_urlsafe(18),
                check_due_at=now if site else None,
                reason=checks.NO_SITE if not site else "",
            )
        )
    session.flush()
    confirmed = session.exec(
        select(OrgVerification, Signature)
        .join(Signature, col(Signature.id) == col(OrgVerification.signature_id))
        .where(
            col(OrgVerification.known_notice_done).is_(False),
            col(Signature.status).in_(checks.CONFIRMED),
        )
        .limit(BATCH)
    ).all()
    for row, signature in confirmed:
        _ask_known(session, row=row, signature=signature)
        row.known_notice_done = True
        # The mailbox level needs the confirmed address: look again now.
        row.check_due_at = now if row.site else None
        session.add(row)
    session.flush()
    return len(missing) + len(confirmed)


def _ask_known(session: Session, *, row: OrgVerification, signature: Signature) -> None:
    statement = session.get(Statement, signature.statement_id)
    assert statement is not None
    addresses = known.known_addresses(session, statement=statement, signature=signature)
    if not addresses:
        return
    token = tokens.make_token(tokens.Purpose.NOT_US, {"s": signature.id, "c": row.code})
    title = statements.current_version(session, statement=statement).title
    with using_locale(statement.language):
        for address in addresses:
            mail.queue_email(
                session,
                kind="verification_known",
                to_address=address,
                subject=_("Did your organisation sign “%(title)s”?") % {"title": title},
                template="verification_known",
                context={
                    "title": title,
                    "organisation": signature.organisation,
                    "signer": signature.name,
                    "link": f"{get_settings().base_url}/not-us/{token}",
                },
                statement_id=statement.id,
            )


# --- "this wasn't us" -----------------------------------------------------------------


def for_dispute(session: Session, *, token: str) -> tuple[Signature, OrgVerification, Statement]:
    try:
        payload = tokens.read_token(tokens.Purpose.NOT_US, token, max_age_seconds=LINK_DAYS * 86400)
    except (tokens.TokenExpired, tokens.TokenInvalid) as exc:
        raise NotFound(_("This link has expired or is not valid.")) from exc
    row = session.get(OrgVerification, payload.get("s") if isinstance(payload, dict) else None)
    if row is None or not secrets.compare_digest(row.code, str(payload.get("c", ""))):
        raise NotFound(_("This link has expired or is not valid."))
    signature = session.get(Signature, row.signature_id)
    statement = session.get(Statement, row.statement_id)
    assert signature is not None and statement is not None
    return signature, row, statement


def dispute(session: Session, *, token: str, now: datetime | None = None) -> Statement:
    """Hold the signature (out of the public list, back to the leads' decision) and tell
    the leads. Pressing it again changes nothing."""
    signature, row, statement = for_dispute(session, token=token)
    if row.disputed_at is not None:
        return statement
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
    return statement


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
    title = statements.current_version(session, statement=statement).title
    with using_locale(statement.language):
        mail.queue_email(
            session,
            kind="verification_second",
            to_address=cleaned,
            subject=_("Please confirm your organisation signed “%(title)s”") % {"title": title},
            template="verification_second",
            context={
                "title": title,
                "organisation": signature.organisation,
                "signer": signature.name,
                "link": f"{get_settings().base_url}/second-person/{token}",
            },
            statement_id=statement.id,
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


def for_second_person(
    session: Session, *, token: str
) -> tuple[Signature, OrgVerification, Statement]:
    try:
        payload = tokens.read_token(
            tokens.Purpose.SECOND_PERSON, token, max_age_seconds=LINK_DAYS * 86400
        )
    except (tokens.TokenExpired, tokens.TokenInvalid) as exc:
        raise NotFound(_("This link has expired or is not valid.")) from exc
    row = session.get(OrgVerification, payload.get("s") if isinstance(payload, dict) else None)
    nonce = str(payload.get("n", "")) if isinstance(payload, dict) else ""
    if row is None or not row.second_nonce or not secrets.compare_digest(row.second_nonce, nonce):
        raise NotFound(_("This link has expired or is not valid."))
    signature = session.get(Signature, row.signature_id)
    statement = session.get(Statement, row.statement_id)
    assert signature is not None and statement is not None
    return signature, row, statement


def confirm_second_person(session: Session, *, token: str, now: datetime | None = None) -> None:
    _signature, row, statement = for_second_person(session, token=token)
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


# --- the team's view, the policy and the public list -----------------------------------


def row_for(
    session: Session, *, statement: Statement, signature_id: int
) -> tuple[Signature, OrgVerification]:
    """An organisation signature and its verification row. One the worker has not seen
    yet gets a row that is shown but not stored (no code yet, nothing checked)."""
    signature = session.get(Signature, signature_id)
    if (
        signature is None
        or signature.statement_id != statement.id
        or signature.kind != SignerKind.ORGANISATION
    ):
        raise NotFound()
    row = session.get(OrgVerification, signature_id)
    if row is None:
        row = OrgVerification(
            signature_id=signature_id,
            statement_id=signature.statement_id,
            code="",
            reason=NOT_YET,
        )
    return signature, row


def check_again(session: Session, *, statement: Statement, signature_id: int) -> None:
    _signature, row = row_for(session, statement=statement, signature_id=signature_id)
    if not row.code:
        raise Conflict(_(NOT_YET))
    if not row.site:
        raise Conflict(_(checks.NO_SITE))
    row.check_due_at = utcnow()
    row.checks_left = max(row.checks_left, 1)
    session.add(row)
    session.flush()


def levels(session: Session, *, signature_ids: Iterable[int]) -> dict[int, OrgVerification]:
    ids = list(signature_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(OrgVerification).where(col(OrgVerification.signature_id).in_(ids))
    ).all()
    return {row.signature_id: row for row in rows}


def level_text(row: OrgVerification | None) -> str:
    """The level as the team reads it (exports: translated where called)."""
    return _(LEVEL_LABELS[row.level if row else Level.DECLARED])


def policy(session: Session, *, statement_id: int | None) -> VerificationPolicy:
    found = session.get(VerificationPolicy, statement_id)
    return found or VerificationPolicy(statement_id=statement_id or 0)


def set_policy(
    session: Session, *, statement: Statement, actor: User, show_mark: bool, min_level: str
) -> None:
    try:
        level = Level(min_level)
    except ValueError as exc:
        raise FieldErrors({"min_level": _("Choose a level from the list.")}) from exc
    assert statement.id is not None
    row = session.get(VerificationPolicy, statement.id) or VerificationPolicy(
        statement_id=statement.id
    )
    row.show_mark, row.min_level = show_mark, level
    session.add(row)
    statement.updated_at = utcnow()  # the cached public list depends on the policy
    session.add(statement)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="verification policy changed",
        detail=f"mark={'on' if show_mark else 'off'} minimum={level.value}",
    )
    session.flush()


def held_reason(row: OrgVerification | None, rule: VerificationPolicy) -> str:
    """Why an organisation is kept out of the public list ("" when it is not)."""
    if row is not None and row.disputed_at is not None:
        return N_("Held: the organisation's known address said “this wasn't us”.")
    level = row.level if row else Level.DECLARED
    if RANK[level] < RANK[rule.min_level]:
        return N_("Held: below the statement's minimum verification level.")
    return ""


def version_key(session: Session, *, statement_id: int | None) -> tuple[object, ...]:
    """What the public list's verification marks and holds depend on (for its cache)."""
    return tuple(
        session.exec(
            select(
                func.max(OrgVerification.checked_at),
                func.max(OrgVerification.disputed_at),
                func.max(OrgVerification.second_confirmed_at),
                func.count(OrgVerification.signature_id),  # type: ignore[arg-type]
            ).where(col(OrgVerification.statement_id) == statement_id)
        ).one()
    )


class _Listed(Protocol):
    """What `public_view` reads of a signature (an ORM `Signature` or the list's plain
    values, `app.lists.service.Listed`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def kind(self) -> SignerKind: ...


_S = TypeVar("_S", bound=_Listed)


def public_view(
    session: Session, *, statement_id: int | None, signatures: list[_S]
) -> tuple[list[_S], frozenset[int]]:
    """The approved signatures the public list shows (organisations held by the policy or
    disputed left out) and those of them shown with the verification mark."""
    rule = policy(session, statement_id=statement_id)
    wanted = {s.id for s in signatures if s.kind == SignerKind.ORGANISATION and s.id is not None}
    if statement_id is None:
        rows = levels(session, signature_ids=wanted)
    else:
        # The statement's rows, kept for these signatures: one query, not thousands of ids
        # bound into an IN list.
        found = session.exec(
            select(OrgVerification).where(col(OrgVerification.statement_id) == statement_id)
        ).all()
        rows = {row.signature_id: row for row in found if row.signature_id in wanted}
    kept = [
        s
        for s in signatures
        if s.kind != SignerKind.ORGANISATION or not held_reason(rows.get(s.id or 0), rule)
    ]
    marked = frozenset(
        signature_id
        for signature_id, row in rows.items()
        if rule.show_mark and RANK[row.level] > RANK[Level.DECLARED]
    )
    return kept, marked


def team_levels(session: Session, *, statement_id: int | None) -> dict[int, str]:
    """Every organisation's level on a statement for the team export: "mailbox", or
    "mailbox disputed"; organisations the worker has not seen yet are "declared"."""
    rows = session.exec(
        select(
            OrgVerification.signature_id, OrgVerification.level, OrgVerification.disputed_at
        ).where(col(OrgVerification.statement_id) == statement_id)
    ).all()
    return {
        signature_id: Level(level).value + (" disputed" if disputed else "")
        for signature_id, level, disputed in rows
    }
