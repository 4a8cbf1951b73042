"""Finalisation: the closed statement's approved text and list are frozen into a
snapshot, its PDF is signed once and stored, and the statement becomes final."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors
from app.core.i18n import gettext as _
from app.lists import service as lists
from app.lists.data import SignatoryList
from app.lists.final import signing as pdf_signing
from app.lists.final.models import StatementSnapshot
from app.lists.renderers import pdf, text
from app.signatures.digests import service as digests
from app.statements import deadlines
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus


def can_finalise(statement: Statement, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return statement.status == StatementStatus.CLOSED or (
        statement.status == StatementStatus.OPEN and now >= statement.deadline_at
    )


def preview(
    session: Session,
    *,
    statement: Statement,
    now: datetime | None = None,
    as_of: date | None = None,
) -> SignatoryList:
    """The list exactly as finalising now would freeze it: in the statement's language,
    whatever language the lead works in, with the lead's heading and "as of" date."""
    now = now or utcnow()
    version = statements.current_version(session, statement=statement)
    model = text.in_language(
        statement.language,
        lists.build,
        session,
        statement=statement,
        version=version,
        as_of=as_of
        or statement.list_as_of
        or deadlines.to_local(now, statement.deadline_zone).date(),
        now=now,
    )
    # A snapshot carries no generation time, so its exports are reproducible byte for byte.
    return SignatoryList(**{**model.__dict__, "generated_at": None})


def finalise(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    now: datetime | None = None,
    as_of: date | None = None,
    confirmation: str | None = None,
) -> StatementSnapshot:
    """Irreversible. From a page, `confirmation` is what the lead typed: the statement's
    address, so a stray click finalises nothing (None: the demo loader and tests)."""
    now = now or utcnow()
    if not can_finalise(statement, now):
        raise Conflict(_("Close the statement (or wait for its deadline) before finalising it."))
    if confirmation is not None and confirmation.strip() != statement.slug:
        raise FieldErrors(
            {
                "confirm": _("Type the statement's address, %(slug)s, to finalise it.")
                % {"slug": statement.slug}
            }
        )
    version = statements.current_version(session, statement=statement)
    frozen = preview(session, statement=statement, now=now, as_of=as_of)
    carried = lists.document_translations(session, statement=statement)
    signed = pdf_signing.sign_pdf(
        pdf.render_pdf(frozen, translations=carried),
        settings=get_settings(),
        reason=_("Final text and signatories of “%(title)s”") % {"title": frozen.title},
    )
    assert statement.id is not None
    snapshot = StatementSnapshot(
        statement_id=statement.id,
        version_id=version.id,
        as_of=frozen.as_of,
        list_json=lists.to_json(frozen),
        pdf=signed,
        pdf_sha256=hashlib.sha256(signed).hexdigest(),
        created_by_id=actor.id,
    )
    session.add(snapshot)
    before = statement.status
    statement.status = StatementStatus.FINAL
    statement.finalised_at = now
    statement.closed_at = statement.closed_at or now
    statement.updated_at = now
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="finalised",
        from_state=before,
        to_state=StatementStatus.FINAL,
        detail=_("Version %(n)d, %(summary)s. PDF SHA-256: %(sha)s")
        % {"n": version.number, "summary": frozen.summary, "sha": snapshot.pdf_sha256},
    )
    session.flush()
    digests.notify_final(
        session,
        statement=statement,
        document_url=f"{get_settings().base_url}/s/{statement.slug}/final",
    )
    return snapshot


def snapshot_for(session: Session, *, statement: Statement) -> StatementSnapshot | None:
    return session.exec(
        select(StatementSnapshot).where(col(StatementSnapshot.statement_id) == statement.id)
    ).first()


def find_by_digest(session: Session, *, sha256: str) -> StatementSnapshot | None:
    return session.exec(
        select(StatementSnapshot).where(col(StatementSnapshot.pdf_sha256) == sha256.lower())
    ).first()
