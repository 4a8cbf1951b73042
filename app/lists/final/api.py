"""Finalising through the API: what will be frozen (the same preview as the page, and its
list pages as PDF or text), then finalisation with an explicit confirmation.

Finalising is irreversible. As on the page, the caller types the statement's address:
`{"confirm": "<slug>"}` (422 otherwise); a statement that is final already is 409. The
page asks for a recent second factor; here the token stands for it (one is made only
after a second factor) with the write scope and the editor role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import Conflict
from app.core.i18n import gettext as _
from app.lists import service as lists
from app.lists.data import SignatoryList
from app.lists.final import service as finalise
from app.lists.renderers import formats as exports
from app.lists.renderers import pdf, text
from app.security import headers
from app.statements.deps import ApiStatementEditor, ApiStatementViewer
from app.statements.models import Statement, StatementStatus

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["finalise"],
    responses=api_schemas.error_responses(401, 404),
)


class FrozenGroup(BaseModel):
    name: str = Field(description='The group\'s heading in the document ("" for one group).')
    summary: str
    organisations: int
    individuals: int
    countries: int


class FinalisePreview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "final": False,
                "ready": True,
                "title": "Joint statement on detainees",
                "version": 3,
                "heading": "Signature organizations and individuals (as of March 14, 2025)",
                "as_of": "2025-03-14",
                "summary": "36 organisations and 4 individuals from 19 countries",
                "coordinators": ["Transitional Justice Working Group"],
                "translations": ["한국어 (Korean)"],
                "groups": [
                    {
                        "name": "",
                        "summary": "36 organisations and 4 individuals from 19 countries",
                        "organisations": 36,
                        "individuals": 4,
                        "countries": 19,
                    }
                ],
                "confirm": "hrc58",
                "final_document": None,
                "pdf_sha256": None,
            }
        }
    )
    final: bool = Field(description="Final already: this is the frozen document.")
    ready: bool = Field(description="Closed (or past its deadline), so it can be finalised.")
    title: str
    version: int
    heading: str
    as_of: date
    summary: str
    coordinators: list[str]
    translations: list[str] = Field(description="The translations the PDF carries.")
    groups: list[FrozenGroup]
    confirm: str = Field(description="What to send as `confirm` to finalise: the address.")
    final_document: str | None = Field(description="The final document's page, once final.")
    pdf_sha256: str | None


class FinaliseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"confirm": "hrc58"}})
    confirm: str = Field(max_length=200, description="The statement's address (its slug).")


class Finalised(BaseModel):
    final_document: str
    pdf_sha256: str
    as_of: date
    finalised_at: datetime | None


def _model(session: SessionDep, statement: Statement) -> SignatoryList:
    if statement.status == StatementStatus.FINAL:
        return lists.public_list(session, statement=statement)
    return finalise.preview(session, statement=statement)


def _document_url(statement: Statement) -> str:
    return f"{get_settings().base_url}/s/{statement.slug}/final"


@router.get("/{slug}/finalise")
def get_finalise_preview(acc: ApiStatementViewer, session: SessionDep) -> FinalisePreview:
    """What finalising now would freeze — the finalise page's preview — or, once final,
    what was frozen."""
    statement = acc.statement
    model = _model(session, statement)
    snapshot = finalise.snapshot_for(session, statement=statement)
    carried = lists.document_translations(session, statement=statement)
    return FinalisePreview(
        final=snapshot is not None,
        ready=snapshot is None and finalise.can_finalise(statement),
        title=model.title,
        version=model.version_number,
        heading=model.heading,
        as_of=model.as_of,
        summary=model.summary,
        coordinators=list(model.coordinators),
        translations=[t.heading for t in carried],
        groups=[
            FrozenGroup(
                name=s.tier.heading,
                summary=s.tier.summary,
                organisations=s.tier.counts.organisations,
                individuals=s.tier.counts.individuals,
                countries=s.tier.counts.countries,
            )
            for s in model.sections
        ],
        confirm=statement.slug,
        final_document=_document_url(statement) if snapshot else None,
        pdf_sha256=snapshot.pdf_sha256 if snapshot else None,
    )


@router.get(
    "/{slug}/finalise/preview.{fmt}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/plain": {}}}},
)
def get_finalise_document(
    acc: ApiStatementViewer, session: SessionDep, fmt: Literal["pdf", "txt"]
) -> Response:
    """The document as finalising now would make it (unsigned), as PDF or plain text;
    once final, the signed PDF or the frozen text."""
    statement = acc.statement
    snapshot = finalise.snapshot_for(session, statement=statement)
    model = _model(session, statement)
    if fmt == "pdf":
        carried = lists.document_translations(session, statement=statement)
        body = snapshot.pdf if snapshot else pdf.render_pdf(model, translations=carried)
    else:
        body = text.plain_text(model).encode()
    name = f"{statement.slug}-{'final' if snapshot else 'preview'}.{fmt}"
    return Response(
        body,
        media_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": headers.NO_STORE,
        },
    )


@router.post("/{slug}/finalise", responses=api_schemas.error_responses(403, 409, 422))
def post_finalise(
    acc: ApiStatementEditor, body: FinaliseIn, session: SessionDep,
    user: ApiUser,
) -> Finalised:  # fmt: skip
    """Irreversible: freezes the text and the list, signs the PDF once and publishes its
    fingerprint. `confirm` must be the statement's address (422); a statement that is not
    closed (or past its deadline) or is final already is 409."""
    statement = acc.statement
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("This statement is final already."))
    snapshot = finalise.finalise(
        session, statement=statement, actor=user, confirmation=body.confirm
    )
    return Finalised(
        final_document=_document_url(statement),
        pdf_sha256=snapshot.pdf_sha256,
        as_of=snapshot.as_of,
        finalised_at=statement.finalised_at,
    )
