"""The team's pages for who works on a statement and in which role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError, BadRequest
from app.core.i18n import gettext as _
from app.statements.deps import StatementOwner, StatementViewer
from app.statements.models import TeamRole
from app.statements.team import service as team

router = APIRouter(prefix="/statements")
ShortText = Annotated[str, Form(max_length=2000)]


def _role(value: str) -> TeamRole:
    try:
        return TeamRole(value)
    except ValueError as exc:
        raise BadRequest(_("Choose one of the options.")) from exc


def _team_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    *,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    return templating.page(
        request,
        "statements/team.html",
        {
            "access": acc,
            "statement": acc.statement,
            "members": team.members(session, statement=acc.statement),
            "roles": list(TeamRole),
            "role_label": team.role_label,
            "error": error,
            "email": email,
        },
        status_code=status_code,
    )


@router.get("/{slug}/team")
def team_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return _team_page(request, session, acc)


@router.post("/{slug}/team")
def add_member(
    request: Request,
    acc: StatementOwner,
    session: SessionDep,
    user: RecentSecondFactor,
    email: ShortText = "",
    role: ShortText = "editor",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        team.add_member(session, statement=acc.statement, actor=user, email=email, role=_role(role))
    if (error := outcome.error) is not None:
        return _team_page(
            request, session, acc, error=error.message, email=email, status_code=error.status_code
        )
    return templating.redirect(f"/statements/{acc.statement.slug}/team", notice="team-updated")


@router.post("/{slug}/team/{member_id}/role")
def change_role(
    request: Request,
    acc: StatementOwner,
    member_id: int,
    session: SessionDep,
    user: RecentSecondFactor,
    role: ShortText = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        team.change_role(
            session, statement=acc.statement, actor=user, member_id=member_id, role=_role(role)
        )
    if (error := outcome.error) is not None:
        return _team_page(request, session, acc, error=error.message, status_code=error.status_code)
    return templating.redirect(f"/statements/{acc.statement.slug}/team", notice="team-updated")


@router.post("/{slug}/team/{member_id}/remove")
def remove_member(
    request: Request,
    acc: StatementOwner,
    member_id: int,
    session: SessionDep,
    user: RecentSecondFactor,
) -> Response:
    with db.attempt(session, AppError) as outcome:
        team.remove_member(session, statement=acc.statement, actor=user, member_id=member_id)
    if (error := outcome.error) is not None:
        return _team_page(request, session, acc, error=error.message, status_code=error.status_code)
    return templating.redirect(f"/statements/{acc.statement.slug}/team", notice="team-updated")
