"""The signatory list's settings and groups through the API: the same service functions as
the list page, under the same roles."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.core.db import SessionDep
from app.signatures.moderation import service as moderation
from app.statements.deps import ApiStatementEditor, ApiStatementViewer
from app.statements.groups import service as groups
from app.statements.models import ListSort, Statement

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["list"],
    responses=api_schemas.error_responses(401, 404, 422),
)
WRITE_ERRORS = api_schemas.error_responses(403, 409)
GroupId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SignatureId = Annotated[int, Path(ge=1, le=2**31 - 1)]


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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "heading": "Signature organizations and individuals",
                "as_of": "2025-03-14",
                "sort": "name",
                "ignore_articles": True,
                "prose_group_id": 3,
                "prose_step": 100,
                "prose_template": "",
            }
        },
    )
    heading: str = Field(default="", max_length=2000)
    as_of: str = Field(default="", max_length=40, description="YYYY-MM-DD, or empty for today")
    sort: ListSort = ListSort.NAME
    ignore_articles: bool = False
    prose_group_id: int | None = None
    prose_step: int = 1
    prose_template: str = Field(default="", max_length=4000)


class Assignment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"group_id": 3, "signature_ids": [12, 15]}}
    )
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


# --- the groups themselves --------------------------------------------------------------


class GroupIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"name": "Coordinating partners"}}
    )
    name: str = Field(max_length=2000)


class GroupChange(BaseModel):
    """Rename, make the default (where new signatures go), or both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"name": "Partners", "make_default": False}},
    )
    name: str | None = Field(default=None, max_length=2000)
    make_default: bool = False


class GroupOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"group_ids": [3, 1]}})
    group_ids: list[int] = Field(max_length=1000, description="Every group, in the new order.")


class OneAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"group_id": 3}})
    group_id: int


def _groups(session: Session, statement: Statement) -> list[GroupOut]:
    return _settings(session, statement).groups


def _one(session: Session, statement: Statement, group_id: int | None) -> GroupOut:
    return next(g for g in _groups(session, statement) if g.id == group_id)


@router.get("/{slug}/list/groups")
def list_groups(acc: ApiStatementViewer, session: SessionDep) -> list[GroupOut]:
    """The signatory groups in their order, each with its approved signatures."""
    return _groups(session, acc.statement)


@router.post("/{slug}/list/groups", status_code=201, responses=WRITE_ERRORS)
def create_group(
    acc: ApiStatementEditor, body: GroupIn, session: SessionDep, user: ApiUser
) -> GroupOut:
    """A new group, after the others."""
    group = groups.add_group(session, statement=acc.statement, actor=user, name=body.name)
    return _one(session, acc.statement, group.id)


@router.patch("/{slug}/list/groups/{group_id}", responses=WRITE_ERRORS)
def change_group(
    acc: ApiStatementEditor, group_id: GroupId, body: GroupChange, session: SessionDep,
    user: ApiUser,
) -> GroupOut:  # fmt: skip
    statement = acc.statement
    groups.get_group(session, statement=statement, group_id=group_id)
    if body.name is not None:
        groups.rename_group(
            session, statement=statement, actor=user, group_id=group_id, name=body.name
        )
    if body.make_default:
        groups.make_default(session, statement=statement, actor=user, group_id=group_id)
    return _one(session, statement, group_id)


@router.put("/{slug}/list/groups/order", responses=WRITE_ERRORS)
def reorder_groups(
    acc: ApiStatementEditor, body: GroupOrder, session: SessionDep, user: ApiUser
) -> list[GroupOut]:
    """Every group of the statement, in the order every output lists them."""
    groups.reorder_groups(session, statement=acc.statement, actor=user, group_ids=body.group_ids)
    return _groups(session, acc.statement)


@router.delete("/{slug}/list/groups/{group_id}", status_code=204, responses=WRITE_ERRORS)
def delete_group(
    acc: ApiStatementEditor, group_id: GroupId, session: SessionDep, user: ApiUser
) -> Response:
    """Its signatures go back to the default group; the default group cannot be deleted
    (409: make another the default first)."""
    groups.delete_group(session, statement=acc.statement, actor=user, group_id=group_id)
    return Response(status_code=204)


@router.put("/{slug}/signatures/{signature_id}/group", responses=WRITE_ERRORS)
def assign_one(
    acc: ApiStatementEditor, signature_id: SignatureId, body: OneAssignment,
    session: SessionDep, user: ApiUser,
) -> Assigned:  # fmt: skip
    """Move one signature into a group (several at once: POST …/list/assign)."""
    moderation.get_signature(session, statement=acc.statement, signature_id=signature_id)
    changed = groups.assign_signatures(
        session,
        statement=acc.statement,
        actor=user,
        signature_ids=[signature_id],
        group_id=body.group_id,
    )
    return Assigned(changed=changed)
