"""The team's blocklist page: viewers see it, editors add, remove and copy entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.signatures.blocklists import service as blocklists
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.team.service import Access

router = APIRouter(prefix="/statements")
ShortText = Annotated[str, Form(max_length=2000)]
NOTICE = "blocklist-updated"


def _page(
    request: Request,
    session: SessionDep,
    acc: Access,
    user: CurrentUser,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> Response:
    return templating.form_page(
        request,
        "signatures/blocklist.html",
        {
            "access": acc,
            "statement": acc.statement,
            "entries": blocklists.list_entries(session, statement=acc.statement),
            "kind_labels": blocklists.kind_labels(),
            "sources": (
                blocklists.copy_sources(session, statement=acc.statement, user=user)
                if acc.can_edit
                else []
            ),
        },
        values=values,
        problem=problem,
    )


def _back(acc: Access) -> Response:
    return templating.redirect(f"/statements/{acc.statement.slug}/blocklist", notice=NOTICE)


@router.get("/{slug}/blocklist")
def blocklist_page(
    request: Request, acc: StatementViewer, session: SessionDep, user: CurrentUser
) -> Response:
    return _page(request, session, acc, user)


@router.post("/{slug}/blocklist")
def add_entry(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    value: ShortText = "",
    note: ShortText = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        blocklists.add_entry(session, statement=acc.statement, actor=user, value=value, note=note)
    if outcome.error is not None:
        return _page(
            request,
            session,
            acc,
            user,
            values={"value": value, "note": note},
            problem=outcome.error,
        )
    return _back(acc)


@router.post("/{slug}/blocklist/{entry_id:int}/remove")
def remove_entry(
    request: Request, acc: StatementEditor, entry_id: int, session: SessionDep, user: CurrentUser
) -> Response:
    blocklists.remove_entry(session, statement=acc.statement, actor=user, entry_id=entry_id)
    return _back(acc)


@router.post("/{slug}/blocklist/copy")
def copy_entries(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    source: ShortText = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        blocklists.copy_entries(session, statement=acc.statement, actor=user, source_slug=source)
    if outcome.error is not None:
        return _page(request, session, acc, user, values={"source": source}, problem=outcome.error)
    return _back(acc)
