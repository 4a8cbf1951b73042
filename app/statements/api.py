"""The statements API: what the team's pages do, for leads holding a personal access
token, and the public read of statements that are no longer drafts.

Each route parses its input, takes its access as a dependency (app.statements.deps: 404
outside the team, 403 for a role that is too low) and calls the same service function as
the HTML page, so both paths enforce the same rules and write the same audit events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy.exc import IntegrityError

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import SessionDep, utcnow
from app.core.errors import FieldErrors, NotFound
from app.core.i18n import gettext as _
from app.security import headers
from app.signatures.retention import service as retention
from app.statements import deadlines, editing, schemas, service
from app.statements.deps import ApiStatementEditor, ApiStatementViewer, PublicStatement
from app.statements.inputs import StatementInput
from app.statements.models import Statement, StatementStatus, StatementVersion, TeamRole
from app.statements.team import service as team
from app.statements.text import markdown
from app.statements.translations import api as api_translations

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["statements"],
    responses=api_schemas.error_responses(401, 404, 422),
)
public_router = APIRouter(
    prefix="/api/v1/public", tags=["public"], responses=api_schemas.error_responses(404, 422)
)

VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]
WRITE_ERRORS = api_schemas.error_responses(403, 409)


def _local(instant: datetime, zone: str) -> str:
    return deadlines.to_local(instant, zone).strftime("%Y-%m-%dT%H:%M")


def _coordinators(statement: Statement) -> list[str]:
    return [line for line in statement.coordinators.splitlines() if line]


def _public_url(statement: Statement) -> str:
    return f"{get_settings().base_url}/s/{statement.slug}"


def _summary(
    statement: Statement, version: StatementVersion, role: TeamRole, now: datetime
) -> schemas.StatementSummary:
    return schemas.StatementSummary(
        slug=statement.slug,
        title=version.title,
        status=statement.status,
        public_status=service.public_status(statement, now),
        accepting_signatures=service.accepts_signatures(statement, now),
        role=role,
        version=version.number,
        deadline=statement.deadline_at,
        deadline_local=_local(statement.deadline_at, statement.deadline_zone),
        deadline_zone=statement.deadline_zone,
    )


def _detail(session: SessionDep, acc: team.Access) -> schemas.StatementDetail:
    statement = acc.statement
    version = service.current_version(session, statement=statement)
    base = _summary(statement, version, acc.role, utcnow())
    return schemas.StatementDetail(
        **base.model_dump(),
        summary=version.summary,
        addressed_to=version.addressed_to,
        body=version.body,
        body_html=markdown.render_markdown(version.body),
        coordinators=_coordinators(statement),
        contact_email=statement.contact_email,
        language=statement.language,
        signer_kinds=statement.signer_kinds,
        moderation=statement.moderation,
        list_order=statement.list_order,
        opens_at=statement.opens_at,
        created_at=statement.created_at,
        updated_at=statement.updated_at,
        opened_at=statement.opened_at,
        closed_at=statement.closed_at,
        public_url=None if statement.status == StatementStatus.DRAFT else _public_url(statement),
        retention_days=statement.retention_days,
        contact_deletion_at=retention.contact_deletion_at(statement),
        contact_deleted_at=statement.contact_purged_at,
    )


def _current_input(session: SessionDep, statement: Statement) -> StatementInput:
    """The statement as the edit form would show it: what a PATCH starts from."""
    version = service.current_version(session, statement=statement)
    deadline = deadlines.to_local(statement.deadline_at, statement.deadline_zone)
    opens = (
        deadlines.to_local(statement.opens_at, statement.deadline_zone)
        if statement.opens_at
        else None
    )
    return StatementInput(
        title=version.title,
        slug=statement.slug,
        summary=version.summary,
        addressed_to=version.addressed_to,
        body=version.body,
        coordinators=statement.coordinators,
        contact_email=statement.contact_email,
        language=statement.language,
        signer_kinds=statement.signer_kinds.value,
        moderation=statement.moderation.value,
        list_order=statement.list_order.value,
        deadline_date=deadline.date().isoformat(),
        deadline_time=deadline.strftime("%H:%M"),
        deadline_zone=statement.deadline_zone,
        # Keeps an unchanged deadline in a repeated hour on the same side of the change.
        deadline_fold="later" if deadline.fold else "earlier",
        opens_date=opens.date().isoformat() if opens else "",
        opens_time=opens.strftime("%H:%M") if opens else "",
    )


# --- leads ------------------------------------------------------------------------------


@router.get("")
def list_statements(session: SessionDep, user: ApiUser) -> list[schemas.StatementSummary]:
    """The statements whose team you are on, latest deadline first."""
    now = utcnow()
    return [
        _summary(statement, service.current_version(session, statement=statement), role, now)
        for statement, role in team.statements_for(session, user=user)
    ]


@router.post("", status_code=201)
def create_statement(
    body: schemas.StatementCreate, response: Response, session: SessionDep, user: ApiUser
) -> schemas.StatementDetail:
    """Create a draft; you become its owner. Only its team can see it until it opens."""
    try:
        statement = service.create_statement(session, actor=user, data=body.to_input())
    except IntegrityError as exc:  # the same address taken by a concurrent request
        raise FieldErrors({"slug": _("Another statement already uses this address.")}) from exc
    response.headers["Location"] = f"{router.prefix}/{statement.slug}"
    return _detail(session, team.Access(statement=statement, role=TeamRole.OWNER))


@router.get("/{slug}")
def get_statement(acc: ApiStatementViewer, session: SessionDep) -> schemas.StatementDetail:
    return _detail(session, acc)


@router.patch("/{slug}", responses=WRITE_ERRORS)
def update_statement(
    acc: ApiStatementEditor, body: schemas.StatementUpdate, session: SessionDep, user: ApiUser
) -> schemas.StatementDetail:
    """Change the fields sent, with the edit page's rules. `version` in the answer is the
    current version: after opening, each text change makes a new one."""
    if body.retention_days is not None:
        retention.set_retention_days(
            session, statement=acc.statement, actor=user, days=body.retention_days
        )
    if body.changes_statement():
        editing.edit_statement(
            session,
            statement=acc.statement,
            actor=user,
            data=body.apply_to(_current_input(session, acc.statement)),
            change_note=body.change_note,
            material=body.material,
        )
    return _detail(session, acc)


@router.post("/{slug}/open", responses=WRITE_ERRORS)
def open_statement(
    acc: ApiStatementEditor, session: SessionDep, user: ApiUser
) -> schemas.StatementDetail:
    service.open_statement(session, statement=acc.statement, actor=user)
    return _detail(session, acc)


@router.post("/{slug}/close", responses=WRITE_ERRORS)
def close_statement(
    acc: ApiStatementEditor, session: SessionDep, user: ApiUser
) -> schemas.StatementDetail:
    service.close_statement(session, statement=acc.statement, actor=user)
    return _detail(session, acc)


@router.post("/{slug}/deadline", responses=WRITE_ERRORS)
def extend_deadline(
    acc: ApiStatementEditor, body: schemas.DeadlineChange, session: SessionDep, user: ApiUser
) -> schemas.StatementDetail:
    """Move the deadline of an open statement, or reopen a closed one, with a reason."""
    zone = body.deadline_zone.strip()
    if zone not in deadlines.zone_names():
        raise FieldErrors(
            {"deadline_zone": _("Unknown time zone “%(zone)s”.") % {"zone": zone[:64]}}
        )
    day, clock = schemas.split_local(body.deadline_local)
    instant = deadlines.parse_deadline(
        day=day, clock=clock, zone_name=zone, fold=body.deadline_fold or ""
    )
    service.extend_deadline(
        session,
        statement=acc.statement,
        actor=user,
        new_deadline=instant,
        zone=zone,
        reason=body.reason,
    )
    return _detail(session, acc)


@router.get("/{slug}/versions")
def list_versions(acc: ApiStatementViewer, session: SessionDep) -> list[schemas.VersionSummary]:
    """Newest first."""
    return [
        schemas.VersionSummary(
            number=v.number,
            title=v.title,
            change_note=v.change_note,
            material=v.material,
            created_at=v.created_at,
        )
        for v in service.list_versions(session, statement=acc.statement)
    ]


@router.get("/{slug}/versions/{number}")
def get_version(
    acc: ApiStatementViewer, number: VersionNumber, session: SessionDep
) -> schemas.VersionDetail:
    found = service.get_version(session, statement=acc.statement, number=number)
    if found is None:
        raise NotFound()
    return schemas.VersionDetail(
        number=found.number,
        title=found.title,
        change_note=found.change_note,
        material=found.material,
        created_at=found.created_at,
        language=found.language,
        summary=found.summary,
        addressed_to=found.addressed_to,
        body=found.body,
        body_html=markdown.render_markdown(found.body),
    )


@router.get("/{slug}/audit")
def audit_log(acc: ApiStatementViewer, session: SessionDep) -> list[schemas.AuditEntry]:
    """Every action on the statement by its team, newest first."""
    return [
        schemas.AuditEntry(
            created_at=e.created_at,
            actor=e.actor_label,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            detail=e.detail,
        )
        for e in audit.list_events(session, statement_id=acc.statement.id or 0)
    ]


# --- public -----------------------------------------------------------------------------


@public_router.get("/statements/{slug}")
def public_statement(
    statement: PublicStatement, response: Response, session: SessionDep
) -> schemas.PublicStatement:
    """A statement as its public page shows it. Drafts do not exist here (404)."""
    version = service.current_version(session, statement=statement)
    now = utcnow()
    response.headers["Cache-Control"] = headers.PUBLIC_CACHE
    return schemas.PublicStatement(
        slug=statement.slug,
        title=version.title,
        summary=version.summary,
        addressed_to=version.addressed_to,
        body=version.body,
        body_html=markdown.render_markdown(version.body),
        coordinators=_coordinators(statement),
        language=statement.language,
        status=service.public_status(statement, now),
        deadline=statement.deadline_at,
        deadline_zone=statement.deadline_zone,
        accepting_signatures=service.accepts_signatures(statement, now),
        url=_public_url(statement),
        translations=api_translations.public_translations(
            session, statement, page_url=_public_url(statement)
        ),
    )
