"""The team's page for a draft's review links (who outside the team may read and comment
on it), beside the reviewers' comments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.security import headers
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.review import service as review
from app.statements.team import service as team

router = APIRouter(prefix="/statements")
ShortText = Annotated[str, Form(max_length=2000)]


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
def review_admin(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return _review_page(request, session, acc)


@router.post("/{slug}/review")
def create_review_link(
    acc: StatementEditor, session: SessionDep, user: CurrentUser, label: ShortText = ""
) -> Response:
    review.create_link(session, statement=acc.statement, actor=user, label=label)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/review", notice="review-link-created"
    )


@router.post("/{slug}/review/{link_id}/revoke")
def revoke_review_link(
    acc: StatementEditor, link_id: int, session: SessionDep, user: CurrentUser
) -> Response:
    review.revoke_link(session, statement=acc.statement, actor=user, link_id=link_id)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/review", notice="review-link-revoked"
    )
