"""The team's side of the HRC layout: its DOCX, and correcting an organisation's stated
consultative status (the word count is shown on the list and finalise pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import templating
from app.core.db import SessionDep
from app.lists import service as lists
from app.lists.data import SignatoryList
from app.lists.hrc import service as hrc
from app.lists.renderers import formats
from app.lists.renderers.hrc_docx import render_hrc_docx
from app.lists.renderers.text import in_language
from app.security import headers
from app.statements.deps import StatementEditor, StatementViewer

router = APIRouter(prefix="/statements")


def page_context(model: SignatoryList) -> dict[str, Any]:
    """What `lists/_hrc.html` needs, for the list page and the finalise page."""
    return {"hrc": hrc.layout(model), "hrc_statuses": dict(hrc.status_labels())}


def docx_response(model: SignatoryList) -> Response:
    return Response(
        render_hrc_docx(model),
        media_type=formats.MEDIA_TYPES["docx"],
        headers={
            "Content-Disposition": f'attachment; filename="{model.slug}-hrc.docx"',
            "Cache-Control": headers.NO_STORE,
        },
    )


@router.get("/{slug}/list/hrc.docx")
def hrc_docx(acc: StatementViewer, session: SessionDep) -> Response:
    """The HRC written-statement layout as Word, from the public list (frozen once final)."""
    statement = acc.statement
    model = in_language(statement.language, lists.public_list, session, statement=statement)
    return docx_response(model)


@router.post("/{slug}/signatures/{signature_id:int}/ecosoc")
def correct_ecosoc(
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    signature_id: int,
    ecosoc_status: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    hrc.correct_status(
        session,
        statement=acc.statement,
        actor=user,
        signature_id=signature_id,
        status=ecosoc_status,
    )
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}", notice="signature-corrected"
    )
