"""Organisation verification: the rows the worker makes and checks, the team's view, a
statement's policy and the public list's marks and holds. Checks themselves are in
`checks.py` (worker only); "was this you?" addresses come from `known.py`; the answers
to its emails ("this wasn't us", a second person's confirmation) are in `answers.py`."""

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
from app.core.errors import Conflict, FieldErrors, NotFound
from app.core.i18n import N_, using_locale
from app.core.i18n import gettext as _
from app.mail import service as mail
from app.security import tokens
from app.signatures import similarity
from app.signatures.models import Signature, SignerKind
from app.signatures.verification import checks, known
from app.signatures.verification.models import (
    LEVEL_LABELS,
    RANK,
    Level,
    OrgVerification,
    VerificationPolicy,
)
from app.statements import service as statements
from app.statements.models import Statement

BATCH = 200
NOT_YET = N_("Not checked yet: the worker looks at new signatures within a minute.")


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
    email_about(
        session,
        statement=statement,
        signature=signature,
        to=addresses,
        template="verification_known",
        subject=N_("Did your organisation sign “%(title)s”?"),
        path=f"/not-us/{token}",
    )


def email_about(
    session: Session,
    *,
    statement: Statement,
    signature: Signature,
    to: Iterable[str],
    template: str,
    subject: str,
    path: str,
) -> None:
    """An email about an organisation's signature to addresses outside the team, in the
    statement's language: the statement's title, the organisation, who signed, and a
    link to `path`. `subject`: a message marked with N_, given the title."""
    title = statements.current_version(session, statement=statement).title
    with using_locale(statement.language):
        for address in to:
            mail.queue_email(
                session,
                kind=template,
                to_address=address,
                subject=_(subject) % {"title": title},
                template=template,
                context={
                    "title": title,
                    "organisation": signature.organisation,
                    "signer": signature.name,
                    "link": f"{get_settings().base_url}{path}",
                },
                statement_id=statement.id,
            )


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
    values, `app.lists.listed.Listed`)."""

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
