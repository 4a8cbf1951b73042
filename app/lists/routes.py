"""Public pages of the list: the searchable signatories page and downloads in every format
(the final document and its verification are in app/lists/final/routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.core import templating
from app.core.db import SessionDep
from app.lists import service as lists
from app.lists.data import Entry, Tier
from app.lists.final import service as finalise
from app.lists.renderers import formats as exports
from app.lists.renderers import text
from app.security import headers
from app.statements.deps import PublicStatement
from app.statements.models import StatementStatus

router = APIRouter()
PER_PAGE = 200


@router.get("/s/{slug}/signatories")
def signatories(
    request: Request,
    statement: PublicStatement,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    model = lists.public_list(session, statement=statement)
    needle = q.strip().casefold()
    # Each signatory group with its headed sub-groups, as far as this page reaches.
    sections: list[tuple[Tier, list[tuple[str, list[Entry]]]]] = []
    start, stop = (page - 1) * PER_PAGE, page * PER_PAGE
    position = 0
    for section in model.sections:
        groups = []
        for group in section.groups:
            entries = []
            for entry in group.entries:
                if needle and needle not in entry.line.casefold():
                    continue
                if start <= position < stop:
                    entries.append(entry)
                position += 1
            if entries:
                groups.append((group.heading, entries))
        if groups:
            sections.append((section.tier, groups))
    response = templating.render(
        request,
        "lists/signatories.html",
        {
            "statement": statement,
            "model": model,
            "sections": sections,
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
    statement: PublicStatement,
    fmt: exports.PublicFormat,
    session: SessionDep,
    paper: Annotated[str, Query(pattern="^(a4|letter)$")] = "a4",
) -> Response:
    slug = statement.slug
    if fmt == "pdf" and statement.status == StatementStatus.FINAL:
        snapshot = finalise.snapshot_for(session, statement=statement)
        if snapshot is not None and paper == "a4":
            return Response(
                snapshot.pdf,
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{slug}-final.pdf"'},
            )
    # A document speaks the statement's language, whatever language the reader browses in.
    model = text.in_language(statement.language, lists.public_list, session, statement=statement)
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
