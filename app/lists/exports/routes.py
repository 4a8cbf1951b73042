"""The team's side of the list: the exports page, and exports with contact details."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.stepup import RecentSecondFactor
from app.audit import service as audit
from app.core import templating
from app.core.db import SessionDep, StreamSessionDep, closes_with
from app.lists import service as lists
from app.lists.data import TeamRow
from app.lists.exports import team
from app.lists.final import service as finalise
from app.lists.renderers import csvs, spreadsheet
from app.lists.renderers import formats as exports
from app.security import headers as security_headers
from app.statements.deps import StatementViewer
from app.statements.models import Statement

router = APIRouter(prefix="/statements")


@router.get("/{slug}/exports")
def exports_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return templating.page(
        request,
        "lists/exports.html",
        {
            "access": acc,
            "statement": acc.statement,
            "formats": exports.FORMATS,
            "snapshot": finalise.snapshot_for(session, statement=acc.statement),
        },
    )


@router.get("/{slug}/prose")
def prose_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    """The sentence for speeches and emails, to copy (a button with JavaScript; selectable
    text without)."""
    return templating.page(
        request,
        "lists/prose.html",
        {
            "access": acc,
            "statement": acc.statement,
            "prose": lists.speech(session, statement=acc.statement),
        },
    )


@router.get("/{slug}/export/team.{fmt}")
def team_export(
    acc: StatementViewer,
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    reader: StreamSessionDep,
    user: RecentSecondFactor,
) -> Response:
    """Contact details: for the team only, and every download is in the audit log."""
    return team_export_response(acc.statement, fmt, session=session, reader=reader, actor=user)


def team_export_response(
    statement: Statement, fmt: Literal["csv", "xlsx"], *, session: Session, reader: Session,
    actor: User,
) -> Response:  # fmt: skip
    """The team export with contact details, audited: the page (after a recent second
    factor) and the API (with the contact-data scope) answer with this."""
    slug = statement.slug
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="team export downloaded",
        detail=f"team.{fmt}",
    )
    statement_id = statement.id

    def current() -> Statement:
        # Read on the streaming session, once the response starts.
        found = reader.get(Statement, statement_id)
        assert found is not None
        return found

    def rows() -> Iterator[TeamRow]:
        yield from team.team_rows(reader, statement=current())

    def batches() -> Generator[list[Sequence[Any]], None, None]:
        yield from team.team_batches(reader, statement=current())

    filename = f"{slug}-signatures-team.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": security_headers.NO_STORE,
    }
    if fmt == "csv":
        return StreamingResponse(
            csvs.iter_team_csv_batches(closes_with(reader, batches())),
            media_type=exports.MEDIA_TYPES["csv"],
            headers=headers,
        )
    return Response(
        spreadsheet.render_team_xlsx(rows(), title=slug),
        media_type=exports.MEDIA_TYPES["xlsx"],
        headers=headers,
    )
