"""Public pages of the list: the searchable signatories page and downloads in every format
(the final document and its verification are in app/lists/final/routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.core import templating
from app.core.db import SessionDep
from app.lists import service as lists
from app.lists.data import Entry, Tier
from app.lists.final import service as finalise
from app.lists.renderers import formats as exports
from app.lists.renderers import text
from app.security import headers
from app.statements.deps import PublicStatement
from app.statements.models import Statement, StatementStatus

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


def statement_document(
    session: Session, *, statement: Statement, fmt: exports.PublicFormat, paper: str = "a4"
) -> exports.Rendered:
    """A public format of the list, as the public download and the API give it: a final
    statement's A4 PDF is its signed snapshot, every other format is rendered from the
    list (frozen once final) in the statement's language, whatever the reader's."""
    if fmt == "pdf" and statement.status == StatementStatus.FINAL and paper == "a4":
        snapshot = finalise.snapshot_for(session, statement=statement)
        if snapshot is not None:
            return exports.Rendered(
                exports.MEDIA_TYPES["pdf"], f"{statement.slug}-final.pdf", iter((snapshot.pdf,))
            )
    model = text.in_language(statement.language, lists.public_list, session, statement=statement)
    carried = lists.document_translations(session, statement=statement) if fmt == "pdf" else ()
    return exports.render(model, fmt, paper=paper, translations=carried)


@router.get("/s/{slug}/signatories.{fmt}")
def download(
    statement: PublicStatement,
    fmt: exports.PublicFormat,
    session: SessionDep,
    paper: Annotated[str, Query(pattern="^(a4|letter)$")] = "a4",
) -> Response:
    rendered = statement_document(session, statement=statement, fmt=fmt, paper=paper)
    return StreamingResponse(
        rendered.chunks,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{rendered.filename}"',
            "Cache-Control": headers.PUBLIC_CACHE,
        },
    )
