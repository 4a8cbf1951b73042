"""The list's JSON API: the sentence for speeches and every export format.

Public formats (`txt`, `md`, `csv`, `xlsx`, `docx`, `pdf`, `json`) need the read scope and
any role on the statement, drafts included; they are the same bytes as the public
downloads (`statement_document`). The team export with contact details needs the
contact-data scope: the page asks for a recent second factor instead, and a token can
only be made after one (app/accounts/tokens), so the scope is that proof, kept."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from app.api import schemas as api_schemas
from app.api.deps import ApiContactUser
from app.core.db import SessionDep, StreamSessionDep
from app.lists import service as lists
from app.lists.exports.routes import team_export_response
from app.lists.renderers import formats as exports
from app.lists.routes import statement_document
from app.security import headers
from app.statements.deps import ApiStatementViewer

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["lists"],
    responses=api_schemas.error_responses(401, 404),
)
Paper = Annotated[str, Query(pattern="^(a4|letter)$", description="PDF paper size.")]
_DOCUMENT = {
    "description": "The file, as the public download gives it.",
    "content": {media: {} for media in sorted(set(exports.MEDIA_TYPES.values()))},
}


class Prose(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "language": "en",
                "prose": "on behalf of 36 civil society partners representing over 300 "
                "organisations in 116 countries, including A, B, and C.",
            }
        }
    )
    language: str
    prose: str


@router.get("/{slug}/prose")
def get_prose(acc: ApiStatementViewer, session: SessionDep) -> Prose:
    """The sentence for speeches and emails, as the team's prose page shows it."""
    return Prose(
        language=acc.statement.language, prose=lists.speech(session, statement=acc.statement)
    )


@router.get(
    "/{slug}/exports/signatories.{fmt}",
    response_class=Response,
    responses={200: _DOCUMENT},
)
def export_list(
    acc: ApiStatementViewer, fmt: exports.PublicFormat, session: SessionDep, paper: Paper = "a4"
) -> Response:
    """The statement and its signatories in one public format: `txt`, `md`, `csv`,
    `xlsx`, `docx`, `pdf` (a final statement's A4 PDF is its signed snapshot) or `json`."""
    rendered = statement_document(session, statement=acc.statement, fmt=fmt, paper=paper)
    return StreamingResponse(
        rendered.chunks,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{rendered.filename}"',
            "Cache-Control": headers.NO_STORE,
        },
    )


@router.get(
    "/{slug}/exports/team.{fmt}",
    response_class=Response,
    responses={200: _DOCUMENT, **api_schemas.error_responses(403)},
)
def export_team(
    acc: ApiStatementViewer,
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    reader: StreamSessionDep,
    user: ApiContactUser,
) -> Response:
    """Every signature with its contact details (CSV or XLSX), for the team. Needs the
    contact-data scope (403 without it); each download is in the audit log."""
    return team_export_response(acc.statement, fmt, session=session, reader=reader, actor=user)
