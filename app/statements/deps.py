"""Who may reach a statement, as typed dependencies: each loads the statement from the
path's `{slug}` *and* checks the caller's right to it, so a route cannot forget the check.

    def overview(acc: StatementViewer) -> Response          # a team page
    def update(acc: ApiStatementEditor) -> StatementDetail   # the same right, by API token
    def page(statement: PublicStatement) -> Response         # 404 for a draft

Outside the team a statement that is not public does not exist (404, never 403); inside
it, a role below the one needed is 403. Every route under /statements/{slug}/ and
/api/v1/statements/{slug}/ takes one of these (tests/test_authorisation.py enumerates the
routes to keep it so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from app.accounts.deps import CurrentUser
from app.accounts.models import User
from app.api.deps import ApiUser
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus, TeamRole
from app.statements.team import service as team
from app.statements.team.service import Access


def public_statement(slug: str, session: SessionDep) -> Statement:
    """A statement as the public sees it: a draft does not exist."""
    statement = statements.get_by_slug(session, slug=slug)
    if statement is None or statement.status == StatementStatus.DRAFT:
        raise NotFound()
    return statement


def _team_access(need: TeamRole) -> Callable[[str, SessionDep, User], Access]:
    def dependency(slug: str, session: SessionDep, user: CurrentUser) -> Access:
        return team.access(session, slug=slug, user=user, need=need)

    return dependency


def _api_access(need: TeamRole) -> Callable[[str, SessionDep, User], Access]:
    def dependency(slug: str, session: SessionDep, user: ApiUser) -> Access:
        return team.access(session, slug=slug, user=user, need=need)

    return dependency


PublicStatement = Annotated[Statement, Depends(public_statement)]

# Signed in with the session cookie (the team's pages).
StatementViewer = Annotated[Access, Depends(_team_access(TeamRole.VIEWER))]
StatementEditor = Annotated[Access, Depends(_team_access(TeamRole.EDITOR))]
StatementOwner = Annotated[Access, Depends(_team_access(TeamRole.OWNER))]

# Holding a personal access token (the JSON API).
ApiStatementViewer = Annotated[Access, Depends(_api_access(TeamRole.VIEWER))]
ApiStatementEditor = Annotated[Access, Depends(_api_access(TeamRole.EDITOR))]
ApiStatementOwner = Annotated[Access, Depends(_api_access(TeamRole.OWNER))]
