"""Public pages of the list: the searchable signatories page, downloads in every format,
the final document, and the verification page for a PDF someone was sent."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.core import templating
from app.core.db import SessionDep
from app.core.errors import BadRequest, NotFound
from app.core.forms import DocumentDep
from app.core.i18n import gettext as _
from app.lists import cache
from app.lists import service as lists
from app.lists.data import SignatoryList
from app.lists.final import service as finalise
from app.lists.renderers import formats as exports
from app.lists.renderers import text
from app.security import headers
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus

router = APIRouter()
PER_PAGE = 200
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def _statement(session: SessionDep, slug: str) -> Statement:
    statement = statements.get_by_slug(session, slug=slug)
    if statement is None or statement.status == StatementStatus.DRAFT:
        raise NotFound()
    return statement


def public_list(session: SessionDep, statement: Statement) -> SignatoryList:
    """A final statement's frozen list, or the live one."""
    if statement.status == StatementStatus.FINAL:
        snapshot = finalise.snapshot_for(session, statement=statement)
        if snapshot is not None:
            return lists.from_json(snapshot.list_json)
    return cache.live_list(session, statement=statement)


@router.get("/s/{slug}/signatories")
def signatories(
    request: Request,
    slug: str,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    statement = _statement(session, slug)
    model = public_list(session, statement)
    needle = q.strip().casefold()
    groups = []
    shown = 0
    start, stop = (page - 1) * PER_PAGE, page * PER_PAGE
    position = 0
    for group in model.groups:
        entries = []
        for entry in group.entries:
            if needle and needle not in entry.line.casefold():
                continue
            if start <= position < stop:
                entries.append(entry)
            position += 1
        if entries:
            groups.append((group.heading, entries))
            shown += len(entries)
    response = templating.render(
        request,
        "lists/signatories.html",
        {
            "statement": statement,
            "model": model,
            "groups": groups,
            "q": q,
            "page": page,
            "matches": position,
            "pages": max(1, -(-position // PER_PAGE)),
            "user": None,
            "formats": exports.FORMATS,
        },
    )
    response.headers["Cache-Control"] = headers.PUBLIC_CACHE
    return response


@router.get("/s/{slug}/signatories.{fmt}")
def download(
    slug: str,
    fmt: exports.PublicFormat,
    session: SessionDep,
    paper: Annotated[str, Query(pattern="^(a4|letter)$")] = "a4",
) -> Response:
    statement = _statement(session, slug)
    if fmt == "pdf" and statement.status == StatementStatus.FINAL:
        snapshot = finalise.snapshot_for(session, statement=statement)
        if snapshot is not None and paper == "a4":
            return Response(
                snapshot.pdf,
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{slug}-final.pdf"'},
            )
    # A document speaks the statement's language, whatever language the reader browses in.
    model = text.in_language(statement.language, public_list, session, statement)
    carried = lists.document_translations(session, statement=statement) if fmt == "pdf" else ()
    rendered = exports.render(model, fmt, paper=paper, translations=carried)
    return StreamingResponse(
        rendered.chunks,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{rendered.filename}"',
            "Cache-Control": headers.PUBLIC_CACHE,
        },
    )


@router.get("/s/{slug}/final")
def final_document(request: Request, slug: str, session: SessionDep) -> Response:
    statement = _statement(session, slug)
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
