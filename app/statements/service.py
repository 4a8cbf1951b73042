"""Statements: create, edit (with versions once open), and the lifecycle transitions.

Every transition is one function that checks its precondition and writes an audit event.
The deadline itself is enforced by `accepts_signatures(…, now)` at the instant of each
request, never by a periodic job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.statements import deadlines
from app.statements.groups import service as groups
from app.statements.inputs import StatementInput, clean_input
from app.statements.models import (
    Statement,
    StatementStatus,
    StatementVersion,
    TeamMember,
    TeamRole,
)

# --- creating and editing ---------------------------------------------------------------


def create_statement(session: Session, *, actor: User, data: StatementInput) -> Statement:
    clean = clean_input(session, data)
    if clean.deadline_at <= utcnow():
        raise FieldErrors({"deadline": _("The deadline must be in the future.")})
    statement = Statement(
        slug=clean.slug,
        language=clean.language,
        contact_email=clean.contact_email,
        coordinators=clean.coordinators,
        signer_kinds=clean.signer_kinds,
        moderation=clean.moderation,
        list_order=clean.list_order,
        opens_at=clean.opens_at,
        deadline_at=clean.deadline_at,
        deadline_zone=clean.deadline_zone,
        created_by_id=actor.id,
    )
    session.add(statement)
    session.flush()
    assert statement.id is not None and actor.id is not None
    session.add(
        StatementVersion(
            statement_id=statement.id,
            language=clean.language,
            number=1,
            title=clean.title,
            summary=clean.summary,
            addressed_to=clean.addressed_to,
            body=clean.body,
            change_note=_("First draft"),
            author_id=actor.id,
        )
    )
    session.add(TeamMember(statement_id=statement.id, user_id=actor.id, role=TeamRole.OWNER))
    groups.create_default_group(session, statement=statement)
    audit.record(
        session, statement_id=statement.id, actor=actor, action="created", to_state=statement.status
    )
    session.flush()
    return statement


def update_statement(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    data: StatementInput,
    change_note: str = "",
    material: bool | None = None,
) -> StatementVersion | None:
    """Save the editor's form. Returns the new version when the text changed after opening.

    While a draft, the text is edited in place and every setting may change. Once open,
    the address and deadline stay put (use extend_deadline / reopen, which record a
    reason) and a text change needs a note and the minor/material choice.
    """
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement cannot be changed."))
    clean = clean_input(session, data, existing=statement)
    current = current_version(session, statement=statement)
    is_draft = statement.status == StatementStatus.DRAFT
    if not is_draft:
        errors = {}
        if clean.slug != statement.slug:
            errors["slug"] = _("The address cannot change once the statement is open.")
        if (
            clean.deadline_at != statement.deadline_at
            or clean.deadline_zone != statement.deadline_zone
        ):
            errors["deadline"] = _("Use “Extend the deadline” to change it: it asks for a reason.")
        if errors:
            raise FieldErrors(errors)
    elif clean.deadline_at <= utcnow():
        raise FieldErrors({"deadline": _("The deadline must be in the future.")})
    elif clean.language != current.language and _has_text_in(session, statement, clean.language):
        raise FieldErrors(
            {
                "language": _(
                    "This statement already has a translation into that language: choose another."
                )
            }
        )

    statement.coordinators = clean.coordinators
    statement.contact_email = clean.contact_email
    statement.signer_kinds = clean.signer_kinds
    statement.moderation = clean.moderation
    statement.list_order = clean.list_order
    statement.updated_at = utcnow()
    if is_draft:
        statement.slug = clean.slug
        statement.language = clean.language
        statement.deadline_at = clean.deadline_at
        statement.deadline_zone = clean.deadline_zone
        statement.opens_at = clean.opens_at

    text = (clean.title, clean.summary, clean.addressed_to, clean.body)
    unchanged = text == (current.title, current.summary, current.addressed_to, current.body)
    new_version = None
    if is_draft:
        current.title, current.summary, current.addressed_to, current.body = text
        current.language = statement.language
        audit.record(session, statement_id=statement.id, actor=actor, action="draft edited")
    elif not unchanged:
        if material is None:
            raise FieldErrors(
                {"material": _("Say whether this change is minor (a typo) or material.")}
            )
        new_version = StatementVersion(
            statement_id=current.statement_id,
            language=current.language,
            number=current.number + 1,
            title=clean.title,
            summary=clean.summary,
            addressed_to=clean.addressed_to,
            body=clean.body,
            change_note=_note(change_note),
            material=material,
            author_id=actor.id,
        )
        session.add(new_version)
        audit.record(
            session,
            statement_id=statement.id,
            actor=actor,
            action="text changed",
            detail=_("Version %(n)d (%(kind)s): %(note)s")
            % {
                "n": new_version.number,
                "kind": _("material") if material else _("minor"),
                "note": new_version.change_note or "—",
            },
        )
    else:
        audit.record(session, statement_id=statement.id, actor=actor, action="settings changed")
    session.flush()
    return new_version


def _has_text_in(session: Session, statement: Statement, language: str) -> bool:
    return (
        session.exec(
            select(StatementVersion.id).where(
                col(StatementVersion.statement_id) == statement.id,
                col(StatementVersion.language) == language,
            )
        ).first()
        is not None
    )


def _note(change_note: str) -> str:
    try:
        return clean_line(change_note, max_length=500)
    except BadRequest as exc:
        raise FieldErrors({"change_note": about(_("What changed"), exc.message)}) from exc


# --- lifecycle --------------------------------------------------------------------------


def _transition(
    session: Session,
    statement: Statement,
    actor: User,
    *,
    allowed_from: tuple[StatementStatus, ...],
    to: StatementStatus,
    action: str,
    detail: str = "",
) -> None:
    if statement.status not in allowed_from:
        raise Conflict(
            _("This cannot be done while the statement is %(status)s.")
            % {"status": status_label(statement.status)}
        )
    before = statement.status
    statement.status = to
    statement.updated_at = utcnow()
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action=action,
        from_state=before,
        to_state=to,
        detail=detail,
    )
    session.flush()


def open_statement(session: Session, *, statement: Statement, actor: User) -> None:
    if statement.deadline_at <= utcnow():
        raise Conflict(_("The deadline has passed. Set a later deadline before opening."))
    _transition(
        session,
        statement,
        actor,
        allowed_from=(StatementStatus.DRAFT,),
        to=StatementStatus.OPEN,
        action="opened",
    )
    statement.opened_at = utcnow()


def close_statement(session: Session, *, statement: Statement, actor: User) -> None:
    _transition(
        session,
        statement,
        actor,
        allowed_from=(StatementStatus.OPEN,),
        to=StatementStatus.CLOSED,
        action="closed",
    )
    statement.closed_at = utcnow()


def extend_deadline(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    new_deadline: datetime,
    zone: str,
    reason: str,
) -> None:
    """Move the deadline of an open or closed statement (reopening a closed one)."""
    errors = {}
    try:
        reason = clean_line(reason, max_length=500)
    except BadRequest as exc:
        errors["reason"] = about(_("Reason"), exc.message)
    if not reason:
        errors["reason"] = _("Give a reason: it is kept in the audit log.")
    if new_deadline <= utcnow():
        errors["deadline"] = _("The new deadline must be in the future.")
    if errors:
        raise FieldErrors(errors)
    before = deadlines.describe(statement.deadline_at, statement.deadline_zone)
    detail = _("Deadline moved from %(before)s to %(after)s. Reason: %(reason)s") % {
        "before": before,
        "after": deadlines.describe(new_deadline, zone),
        "reason": reason,
    }
    if statement.status == StatementStatus.CLOSED:
        _transition(
            session,
            statement,
            actor,
            allowed_from=(StatementStatus.CLOSED,),
            to=StatementStatus.OPEN,
            action="reopened",
            detail=detail,
        )
    elif statement.status == StatementStatus.OPEN:
        audit.record(
            session,
            statement_id=statement.id,
            actor=actor,
            action="deadline extended",
            detail=detail,
        )
    else:
        raise Conflict(_("Only an open or closed statement can have its deadline extended."))
    statement.deadline_at = new_deadline
    statement.deadline_zone = zone
    statement.closed_at = None
    statement.updated_at = utcnow()
    session.flush()


# --- reading ----------------------------------------------------------------------------


def accepts_signatures(statement: Statement, now: datetime) -> bool:
    """Open, past its opening time, and strictly before its deadline, at this instant."""
    return (
        statement.status == StatementStatus.OPEN
        and (statement.opens_at is None or now >= statement.opens_at)
        and now < statement.deadline_at
    )


def public_status(statement: Statement, now: datetime) -> StatementStatus:
    """What readers are told: an open statement past its deadline is closed."""
    if statement.status == StatementStatus.OPEN and now >= statement.deadline_at:
        return StatementStatus.CLOSED
    return statement.status


def signing_closed_at(statement: Statement, now: datetime) -> datetime | None:
    """When signing stopped (None while it has not): the moment a lead closed it, or the
    deadline, whichever came first. Finalising an open statement before its deadline
    closes it then; finalising after the deadline does not move the closing time."""
    if statement.status in (StatementStatus.CLOSED, StatementStatus.FINAL):
        return min(statement.closed_at or statement.deadline_at, statement.deadline_at)
    if statement.status == StatementStatus.OPEN and now >= statement.deadline_at:
        return statement.deadline_at
    return None


def closed_early(statement: Statement, now: datetime) -> bool:
    """Closed (or finalised) before the deadline that was announced."""
    closed = signing_closed_at(statement, now)
    return closed is not None and closed < statement.deadline_at


def status_label(status: StatementStatus) -> str:
    return {
        StatementStatus.DRAFT: _("draft"),
        StatementStatus.OPEN: _("open"),
        StatementStatus.CLOSED: _("closed"),
        StatementStatus.FINAL: _("final"),
    }[status]


def current_version(session: Session, *, statement: Statement) -> StatementVersion:
    version = session.exec(
        select(StatementVersion)
        .where(
            col(StatementVersion.statement_id) == statement.id,
            col(StatementVersion.language) == statement.language,
        )
        .order_by(col(StatementVersion.number).desc())
        .limit(1)
    ).first()
    assert version is not None, "a statement always has a version"
    return version


def list_versions(session: Session, *, statement: Statement) -> list[StatementVersion]:
    return list(
        session.exec(
            select(StatementVersion)
            .where(
                col(StatementVersion.statement_id) == statement.id,
                col(StatementVersion.language) == statement.language,
            )
            .order_by(col(StatementVersion.number).desc())
        )
    )


def get_version(session: Session, *, statement: Statement, number: int) -> StatementVersion | None:
    return session.exec(
        select(StatementVersion).where(
            col(StatementVersion.statement_id) == statement.id,
            col(StatementVersion.language) == statement.language,
            col(StatementVersion.number) == number,
        )
    ).first()


def get_by_slug(session: Session, *, slug: str) -> Statement | None:
    return session.exec(_BY_SLUG, params={"slug": slug}).first()


# Built once: every public request (signing above all) looks its statement up by slug.
_BY_SLUG = select(Statement).where(col(Statement.slug) == bindparam("slug"))


def count_versions(session: Session, *, statement: Statement) -> int:
    return session.exec(
        select(func.count()).where(col(StatementVersion.statement_id) == statement.id)
    ).one()
