"""The final document: finalising a statement, its public page, and the verification page
for a PDF someone was sent."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.stepup import RecentSecondFactor
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import BadRequest, FieldErrors, NotFound
from app.core.forms import DocumentDep
from app.core.i18n import gettext as _
from app.lists import service as lists
from app.lists.final import service as finalise
from app.lists.hrc import routes as hrc_routes
from app.lists.renderers import formats as exports
from app.statements.deps import PublicStatement, StatementEditor, StatementViewer
from app.statements.models import Statement
from app.statements.team import service as team

router = APIRouter()
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


PREVIEW_ENTRIES = 5  # the first entries of each group the preview shows


def _finalise_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    statement = acc.statement
    snapshot = finalise.snapshot_for(session, statement=statement)
    model = None if snapshot else finalise.preview(session, statement=statement)
    return templating.page(
        request,
        "lists/finalise.html",
        {
            "access": acc,
            "statement": statement,
            "snapshot": snapshot,
            "ready": snapshot is None and finalise.can_finalise(statement),
            "model": model,
            **(hrc_routes.page_context(model) if model else {}),
            "carried": lists.document_translations(session, statement=statement),
            "first": PREVIEW_ENTRIES,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/statements/{slug}/finalise")
def finalise_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    """What finalising will freeze: the document's list, as it will read, and the rest."""
    return _finalise_page(request, session, acc)


@router.post("/statements/{slug}/finalise")
def finalise_statement(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: RecentSecondFactor,
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        finalise.finalise(session, statement=acc.statement, actor=user, confirmation=confirm)
    if (problem := outcome.error) is not None:
        return _finalise_page(request, session, acc, errors=problem.errors, status_code=422)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/exports", notice="statement-finalised"
    )


@router.get("/s/{slug}/final")
def final_document(request: Request, statement: PublicStatement, session: SessionDep) -> Response:
    snapshot = finalise.snapshot_for(session, statement=statement)
    if snapshot is None:
        raise NotFound(_("This statement has not been finalised yet."))
    model = lists.from_json(snapshot.list_json)
    return templating.page(
        request,
        "lists/final.html",
        {
            "statement": statement,
            "snapshot": snapshot,
            "model": model,
            "user": None,
            "formats": exports.FORMATS,
        },
    )


@router.get("/verify")
def verify_form(request: Request, session: SessionDep, sha256: str = "") -> Response:
    return _verify_page(request, session, sha256.strip())


@router.post("/verify")
def verify_upload(request: Request, session: SessionDep, data: DocumentDep) -> Response:
    return _verify_page(request, session, hashlib.sha256(data).hexdigest(), uploaded=True)


def _verify_page(
    request: Request, session: SessionDep, digest: str, *, uploaded: bool = False
) -> Response:
    result = None
    if digest:
        if not SHA256.match(digest):
            raise BadRequest(_("A SHA-256 fingerprint is 64 characters, 0–9 and a–f."))
        snapshot = finalise.find_by_digest(session, sha256=digest)
        statement = session.get(Statement, snapshot.statement_id) if snapshot else None
        result = {
            "digest": digest.lower(),
            "snapshot": snapshot,
            "statement": statement,
            "model": lists.from_json(snapshot.list_json) if snapshot else None,
        }
    return templating.page(
        request, "lists/verify.html", {"result": result, "uploaded": uploaded, "user": None}
    )
