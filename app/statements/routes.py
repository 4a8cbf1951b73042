"""The team's pages for a statement: editor, lifecycle actions, versions and audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import CurrentUser
from app.audit import service as audit
from app.core import db, templating
from app.core.db import SessionDep, utcnow
from app.core.errors import FieldErrors, NotFound
from app.core.forms import FormDep
from app.core.i18n import get_locale
from app.demo import load as demo
from app.signatures.digests import service as digests
from app.signatures.moderation import service as moderation
from app.signatures.retention import service as retention
from app.statements import deadlines, editing, service, zones
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.inputs import StatementInput
from app.statements.models import Statement, StatementStatus
from app.statements.review import service as review
from app.statements.team import service as team
from app.statements.text import diff, markdown

router = APIRouter(prefix="/statements")
dashboard_router = APIRouter()

LongText = Annotated[str, Form(max_length=200_000)]
ShortText = Annotated[str, Form(max_length=2000)]


def zone_options() -> list[tuple[str, str]]:
    """The time zones a deadline form suggests, named in the reader's language."""
    return zones.options(get_locale())


def _fold(local: datetime, zone: str) -> str:
    """Which of two identical wall-clock times the deadline is, when that time repeats."""
    try:
        deadlines.to_instant(local.replace(tzinfo=None), zone)
    except deadlines.Ambiguous:
        return "later" if local.fold else "earlier"
    return ""


def _form_values(statement: Statement | None, version: Any = None) -> dict[str, str]:
    if statement is None:
        return {"deadline_zone": "Europe/Zurich", "language": "en", "deadline_time": "13:00"}
    local = deadlines.to_local(statement.deadline_at, statement.deadline_zone)
    values = {
        "title": version.title,
        "slug": statement.slug,
        "summary": version.summary,
        "addressed_to": version.addressed_to,
        "body": version.body,
        "coordinators": statement.coordinators,
        "contact_email": statement.contact_email,
        "language": statement.language,
        "signer_kinds": statement.signer_kinds.value,
        "moderation": statement.moderation.value,
        "list_order": statement.list_order.value,
        "deadline_date": local.date().isoformat(),
        "deadline_time": local.strftime("%H:%M"),
        "deadline_zone": statement.deadline_zone,
        "deadline_fold": _fold(local, statement.deadline_zone),
    }
    if statement.opens_at:
        opens = deadlines.to_local(statement.opens_at, statement.deadline_zone)
        values["opens_date"], values["opens_time"] = (
            opens.date().isoformat(),
            opens.strftime("%H:%M"),
        )
    return values


def _editor(
    request: Request,
    *,
    statement: Statement | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    preview: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return templating.page(
        request,
        "statements/edit.html",
        {
            "statement": statement,
            "values": values,
            "errors": errors or {},
            "preview": preview,
            "zone_options": zone_options(),
        },
        status_code=status_code,
    )


@dashboard_router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    now = utcnow()
    rows = [
        {
            "statement": statement,
            "version": service.current_version(session, statement=statement),
            "status": service.public_status(statement, now),
            "role": team.role_label(role),
            "countdown": deadlines.countdown(statement.deadline_at, now),
            "closed_at": service.signing_closed_at(statement, now),
            "counts": moderation.counts_by_status(session, statement=statement),
        }
        for statement, role in team.statements_for(session, user=user)
    ]
    # Admins are offered the example until it is loaded, whatever else exists.
    example_loaded = service.get_by_slug(session, slug=demo.SLUG) is not None
    return templating.page(
        request,
        "statements/dashboard.html",
        {"rows": rows, "status_label": service.status_label, "example_loaded": example_loaded},
    )


@router.get("/new")
def new_statement(request: Request, user: CurrentUser) -> Response:
    return _editor(request, statement=None, values=_form_values(None))


@router.post("/new")
def create_statement(
    request: Request, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    data = StatementInput.model_validate(values)
    if "preview" in form:
        return _editor(
            request, statement=None, values=values, preview=markdown.render_markdown(data.body)
        )
    with db.attempt(session, FieldErrors) as outcome:
        statement = service.create_statement(session, actor=user, data=data)
    if outcome.error is not None:
        return _editor(
            request, statement=None, values=values, errors=outcome.error.errors, status_code=422
        )
    return templating.redirect(f"/statements/{statement.slug}", notice="statement-created")


@router.get("/{slug}")
def overview(
    request: Request, acc: StatementViewer, session: SessionDep, user: CurrentUser
) -> Response:
    statement = acc.statement
    version = service.current_version(session, statement=statement)
    now = utcnow()
    return templating.page(
        request,
        "statements/overview.html",
        {
            "access": acc,
            "statement": statement,
            "version": version,
            "status": service.public_status(statement, now),
            "countdown": deadlines.countdown(statement.deadline_at, now),
            "closed_at": service.signing_closed_at(statement, now),
            "closed_early": service.closed_early(statement, now),
            "zone_options": zone_options(),
            "comments": review.list_comments(session, statement=statement)[:5],
            "events": audit.list_events(session, statement_id=statement.id or 0, limit=10),
            "body_html": markdown.render_markdown(version.body),
            "status_label": service.status_label,
            "role_label": team.role_label,
            "digest_frequency": digests.frequency_of(session, statement=statement, user=user),
            "deliveries": moderation.delivery_problems(session, statement=statement),
            "deletion_at": retention.contact_deletion_at(statement),
        },
    )


@router.get("/{slug}/edit")
def edit_form(request: Request, acc: StatementEditor, session: SessionDep) -> Response:
    version = service.current_version(session, statement=acc.statement)
    return _editor(request, statement=acc.statement, values=_form_values(acc.statement, version))


@router.post("/{slug}/edit")
def edit_submit(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    data = StatementInput.model_validate(values)
    if "preview" in form:
        return _editor(
            request,
            statement=acc.statement,
            values=values,
            preview=markdown.render_markdown(data.body),
        )
    material = {"material": True, "minor": False}.get(values.get("change_kind", ""))
    with db.attempt(session, FieldErrors) as outcome:
        edited = editing.edit_statement(
            session,
            statement=acc.statement,
            actor=user,
            data=data,
            change_note=values.get("change_note", ""),
            material=material,
        )
    if outcome.error is not None:
        return _editor(
            request,
            statement=acc.statement,
            values=values,
            errors=outcome.error.errors,
            status_code=422,
        )
    notice = "reconsent-started" if edited.asked else "statement-saved"
    return templating.redirect(f"/statements/{acc.statement.slug}", notice=notice)


# Registered before "/{slug}/preview" so that "-" is not taken for a statement's address.
@router.post("/-/preview")
def preview_new(user: CurrentUser, body: LongText = "") -> Response:
    """The live preview for a statement not yet created (the editor's script posts here)."""
    return HTMLResponse(markdown.render_markdown(body))


@router.post("/{slug}/preview")
def preview(acc: StatementEditor, body: LongText = "") -> Response:
    """The live preview's HTML fragment (the editor's script posts the text here)."""
    return HTMLResponse(markdown.render_markdown(body))


@router.post("/{slug}/open")
def open_statement(acc: StatementEditor, session: SessionDep, user: CurrentUser) -> Response:
    slug = acc.statement.slug
    service.open_statement(session, statement=acc.statement, actor=user)
    return templating.redirect(f"/statements/{slug}", notice="statement-opened")


@router.post("/{slug}/close")
def close_statement(acc: StatementEditor, session: SessionDep, user: CurrentUser) -> Response:
    slug = acc.statement.slug
    service.close_statement(session, statement=acc.statement, actor=user)
    return templating.redirect(f"/statements/{slug}", notice="statement-closed")


@router.post("/{slug}/deadline")
def extend_deadline(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    deadline_date: ShortText = "",
    deadline_time: ShortText = "",
    deadline_zone: ShortText = "",
    deadline_fold: ShortText = "",
    reason: ShortText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        zone = zones.resolve(deadline_zone)
        if zone is None:
            raise FieldErrors({"deadline_zone": zones.not_found(deadline_zone)})
        instant = deadlines.parse_deadline(
            day=deadline_date, clock=deadline_time, zone_name=zone, fold=deadline_fold
        )
        service.extend_deadline(
            session,
            statement=acc.statement,
            actor=user,
            new_deadline=instant,
            zone=zone,
            reason=reason,
        )
    if outcome.error is not None:
        return templating.page(
            request,
            "statements/extend.html",
            {
                "statement": acc.statement,
                "errors": outcome.error.errors,
                "zone_options": zone_options(),
                "values": {
                    "deadline_date": deadline_date,
                    "deadline_time": deadline_time,
                    "deadline_zone": deadline_zone,
                    "reason": reason,
                },
            },
            status_code=422,
        )
    return templating.redirect(f"/statements/{acc.statement.slug}", notice="deadline-extended")


@router.get("/{slug}/versions")
def versions(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return templating.page(
        request,
        "statements/versions.html",
        {
            "statement": acc.statement,
            "versions": service.list_versions(session, statement=acc.statement),
        },
    )


@router.get("/{slug}/versions/{number}")
def version(
    request: Request,
    acc: StatementViewer,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
) -> Response:
    found = service.get_version(session, statement=acc.statement, number=number)
    if found is None:
        raise NotFound()
    return templating.page(
        request,
        "statements/version.html",
        {
            "statement": acc.statement,
            "version": found,
            "body_html": markdown.render_markdown(found.body),
        },
    )


@router.get("/{slug}/compare")
def compare(
    request: Request,
    acc: StatementViewer,
    session: SessionDep,
    a: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    b: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    all_versions = service.list_versions(session, statement=acc.statement)
    latest = all_versions[0].number
    older = service.get_version(session, statement=acc.statement, number=a)
    newer = service.get_version(session, statement=acc.statement, number=b or latest)
    if older is None or newer is None:
        raise NotFound()

    def whole(v: Any) -> str:
        return "\n\n".join(x for x in (f"# {v.title}", v.addressed_to, v.body) if x)

    return templating.page(
        request,
        "statements/compare.html",
        {
            "statement": acc.statement,
            "older": older,
            "newer": newer,
            "versions": all_versions,
            "diff_html": diff.diff_html(whole(older), whole(newer)),
            "summary": diff.change_summary(whole(older), whole(newer)),
        },
    )


@router.get("/{slug}/audit")
def audit_log(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return templating.page(
        request,
        "statements/audit.html",
        {
            "statement": acc.statement,
            "events": audit.list_events(session, statement_id=acc.statement.id or 0),
            "status_label": service.status_label,
            "StatementStatus": StatementStatus,
        },
    )
