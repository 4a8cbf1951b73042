"""The list's JSON API: the sentence for speeches."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.api import schemas as api_schemas
from app.core.db import SessionDep
from app.lists import service as lists
from app.statements.deps import ApiStatementViewer

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["lists"],
    responses=api_schemas.error_responses(401, 404),
)


class Prose(BaseModel):
    language: str
    prose: str


@router.get("/{slug}/prose")
def get_prose(acc: ApiStatementViewer, session: SessionDep) -> Prose:
    """The sentence for speeches and emails, as the team's prose page shows it."""
    return Prose(
        language=acc.statement.language, prose=lists.speech(session, statement=acc.statement)
    )
