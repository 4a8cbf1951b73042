"""The signatory list's settings and groups through the API: the same service functions as
the list page, under the same roles."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.core.db import SessionDep
from app.statements.deps import ApiStatementEditor, ApiStatementViewer
from app.statements.groups import service as groups
from app.statements.models import ListSort, Statement

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["list"],
    responses=api_schemas.error_responses(401, 404, 422),
)


class GroupOut(BaseModel):
    id: int
    name: str
    position: int
    is_default: bool
    in_prose: bool
    approved: int


class ListSettingsOut(BaseModel):
    heading: str
    as_of: date | None
    sort: ListSort
    ignore_articles: bool
    prose_step: int
    prose_template: str
    groups: list[GroupOut]


class ListSettingsIn(BaseModel):
    """The whole setting, as the list page sends it."""

    model_config = ConfigDict(extra="forbid")
    heading: str = Field(default="", max_length=2000)
    as_of: str = Field(default="", max_length=40, description="YYYY-MM-DD, or empty for today")
    sort: ListSort = ListSort.NAME
    ignore_articles: bool = False
    prose_group_id: int | None = None
    prose_step: int = 1
    prose_template: str = Field(default="", max_length=4000)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_id: int
    signature_ids: list[int] = Field(max_length=1000)


class Assigned(BaseModel):
    changed: int


def _settings(session: Session, statement: Statement) -> ListSettingsOut:
    sizes = groups.group_sizes(session, statement=statement)
    return ListSettingsOut(
        heading=statement.list_heading,
        as_of=statement.list_as_of,
        sort=statement.list_sort,
        ignore_articles=statement.ignore_articles,
        prose_step=statement.prose_step,
        prose_template=statement.prose_template,
        groups=[
            GroupOut(
                id=g.id or 0,
                name=g.name,
                position=g.position,
                is_default=g.is_default,
                in_prose=g.in_prose,
                approved=sizes.get(g.id or 0, 0),
            )
            for g in groups.groups_for(session, statement=statement)
        ],
    )


@router.get("/{slug}/list")
def get_list_settings(acc: ApiStatementViewer, session: SessionDep) -> ListSettingsOut:
    """The list's heading, "as of" date, order, sentence settings and groups."""
    return _settings(session, acc.statement)


@router.put("/{slug}/list", responses=api_schemas.error_responses(403, 409))
def put_list_settings(
    acc: ApiStatementEditor, body: ListSettingsIn, session: SessionDep, user: ApiUser
) -> ListSettingsOut:
    groups.update_list_settings(
        session,
        statement=acc.statement,
        actor=user,
        data=groups.ListSettings(**body.model_dump()),
    )
    return _settings(session, acc.statement)


@router.post("/{slug}/list/assign", responses=api_schemas.error_responses(403, 409))
def assign_to_group(
    acc: ApiStatementEditor, body: Assignment, session: SessionDep, user: ApiUser
) -> Assigned:
    """Move signatures into a group."""
    changed = groups.assign_signatures(
        session,
        statement=acc.statement,
        actor=user,
        signature_ids=body.signature_ids,
        group_id=body.group_id,
    )
    return Assigned(changed=changed)
