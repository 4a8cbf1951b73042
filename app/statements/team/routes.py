"""The team's pages for who works on a statement and who reviews its draft."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError, BadRequest
from app.core.i18n import gettext as _
from app.security import headers
from app.statements.models import TeamRole
from app.statements.review import service as review
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
def team_page(request: Request, slug: str, session: SessionDep, user: CurrentUser) -> Response:
    return _team_page(request, session, team.access(session, slug=slug, user=user))


@router.post("/{slug}/team")
def add_member(
    request: Request,
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    email: ShortText = "",
    role: ShortText = "editor",
) -> Response:
    acc = team.access(session, slug=slug, user=user, need=TeamRole.OWNER)
    try:
        team.add_member(session, statement=acc.statement, actor=user, email=email, role=_role(role))
    except AppError as exc:
        session.rollback()
        return _team_page(
            request, session, acc, error=exc.message, email=email, status_code=exc.status_code
        )
    return templating.redirect(f"/statements/{slug}/team", notice="team-updated")


@router.post("/{slug}/team/{member_id}/role")
def change_role(
    request: Request,
    slug: str,
    member_id: int,
    session: SessionDep,
    user: CurrentUser,
    role: ShortText = "",
) -> Response:
    acc = team.access(session, slug=slug, user=user, need=TeamRole.OWNER)
    try:
        team.change_role(
            session, statement=acc.statement, actor=user, member_id=member_id, role=_role(role)
        )
    except AppError as exc:
        session.rollback()
        return _team_page(request, session, acc, error=exc.message, status_code=exc.status_code)
    return templating.redirect(f"/statements/{slug}/team", notice="team-updated")


@router.post("/{slug}/team/{member_id}/remove")
def remove_member(
    request: Request, slug: str, member_id: int, session: SessionDep, user: CurrentUser
) -> Response:
    acc = team.access(session, slug=slug, user=user, need=TeamRole.OWNER)
    try:
        team.remove_member(session, statement=acc.statement, actor=user, member_id=member_id)
    except AppError as exc:
        session.rollback()
        return _team_page(request, session, acc, error=exc.message, status_code=exc.status_code)
    return templating.redirect(f"/statements/{slug}/team", notice="team-updated")


def _review_page(request: Request, session: SessionDep, acc: team.Access) -> Response:
    base = get_settings().base_url
    response = templating.page(
        request,
        "statements/review_admin.html",
        {
            "access": acc,
            "statement": acc.statement,
            "links": review.list_links(session, statement=acc.statement),
            "link_url": lambda link: f"{base}/review/{review.token_for(link)}",
            "comments": review.list_comments(session, statement=acc.statement),
        },
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/{slug}/review")
def review_admin(request: Request, slug: str, session: SessionDep, user: CurrentUser) -> Response:
    return _review_page(request, session, team.access(session, slug=slug, user=user))


@router.post("/{slug}/review")
def create_review_link(
    slug: str, session: SessionDep, user: CurrentUser, label: ShortText = ""
) -> Response:
    acc = team.access(session, slug=slug, user=user, need=TeamRole.EDITOR)
    review.create_link(session, statement=acc.statement, actor=user, label=label)
    return templating.redirect(f"/statements/{slug}/review", notice="review-link-created")


@router.post("/{slug}/review/{link_id}/revoke")
def revoke_review_link(slug: str, link_id: int, session: SessionDep, user: CurrentUser) -> Response:
    acc = team.access(session, slug=slug, user=user, need=TeamRole.EDITOR)
    review.revoke_link(session, statement=acc.statement, actor=user, link_id=link_id)
    return templating.redirect(f"/statements/{slug}/review", notice="review-link-revoked")
