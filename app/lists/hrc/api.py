"""The HRC written-statement layout through the API: the co-sponsors by ECOSOC status with
the word count against the limit, its DOCX, and the lead's correction of a status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.core.db import SessionDep
from app.lists import service as lists
from app.lists.hrc import service as hrc
from app.lists.hrc.routes import docx_response
from app.lists.renderers.text import in_language
from app.signatures.models import EcosocStatus
from app.statements.deps import ApiStatementEditor, ApiStatementViewer

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["hrc"],
    responses=api_schemas.error_responses(401, 404),
)
SignatureId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class StatusGroupOut(BaseModel):
    status: EcosocStatus
    heading: str
    names: list[str]


class HrcOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "words": 1640,
                "limit": 1500,
                "lowest": "special",
                "over": True,
                "groups": [
                    {
                        "status": "general",
                        "heading": "Non-governmental organization in general consultative status",
                        "names": ["Human Rights Watch"],
                    },
                    {
                        "status": "special",
                        "heading": "Non-governmental organizations in special consultative status",
                        "names": ["Citizens' Alliance for North Korean Human Rights", "TJWG"],
                    },
                ],
                "without": ["No Chain"],
                "footnote": "The following non-governmental organization without consultative "
                "status also shares the views expressed in this statement: No Chain.",
            }
        }
    )
    words: int = Field(description="Words in the statement's text (its title not counted).")
    limit: int | None = Field(
        description="2,000 if every co-sponsor is in general status, 1,500 if any is in "
        "special status or on the roster; null when none states a status."
    )
    lowest: EcosocStatus | None
    over: bool
    groups: list[StatusGroupOut]
    without: list[str] = Field(description="Organisations without status, in the footnote.")
    footnote: str


class StatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"ecosoc_status": "special"}}
    )
    ecosoc_status: EcosocStatus


class StatusOut(BaseModel):
    id: int
    ecosoc_status: EcosocStatus


@router.get("/{slug}/hrc")
def get_hrc_layout(acc: ApiStatementViewer, session: SessionDep) -> HrcOut:
    """The list laid out as OHCHR asks for HRC written statements, and its length."""
    layout = hrc.layout_for(session, statement=acc.statement)
    return HrcOut(
        words=layout.words,
        limit=layout.limit,
        lowest=EcosocStatus(layout.lowest) if layout.lowest else None,
        over=layout.over,
        groups=[
            StatusGroupOut(status=EcosocStatus(g.status), heading=g.heading, names=list(g.names))
            for g in layout.groups
        ],
        without=list(layout.without),
        footnote=layout.footnote,
    )


@router.get(
    "/{slug}/exports/hrc.docx",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}
            }
        }
    },
)
def get_hrc_docx(acc: ApiStatementViewer, session: SessionDep) -> Response:
    """The HRC layout as Word: co-sponsors by status, the text, the footnote."""
    statement = acc.statement
    model = in_language(statement.language, lists.public_list, session, statement=statement)
    return docx_response(model)


@router.put(
    "/{slug}/signatures/{signature_id}/ecosoc-status",
    responses=api_schemas.error_responses(403, 409, 422),
)
def put_ecosoc_status(
    acc: ApiStatementEditor, signature_id: SignatureId, body: StatusIn, session: SessionDep,
    user: ApiUser,
) -> StatusOut:  # fmt: skip
    """Correct an organisation's stated consultative status (422 for an individual; 409
    once the statement is final)."""
    signature = hrc.correct_status(
        session,
        statement=acc.statement,
        actor=user,
        signature_id=signature_id,
        status=body.ecosoc_status.value,
    )
    return StatusOut(id=signature.id or 0, ecosoc_status=signature.ecosoc_status)
