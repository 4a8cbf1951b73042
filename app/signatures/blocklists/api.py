"""A statement's blocklist through the API: the same use cases as its page.

Matching signatures are held for the team, never refused; the reason shows with each
held signature in moderation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api import schemas as api_schemas
from app.api.deps import ApiUser
from app.core.db import SessionDep
from app.signatures.blocklists import schemas
from app.signatures.blocklists import service as blocklists
from app.signatures.blocklists.models import BlocklistEntry
from app.statements.deps import ApiStatementEditor, ApiStatementViewer

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["blocklist"],
    responses=api_schemas.error_responses(401, 404, 422),
)
EntryId = Annotated[int, Path(ge=1, le=blocklists.MAX_ID)]
WRITE_ERRORS = api_schemas.error_responses(403)


def _entry(entry: BlocklistEntry) -> schemas.BlocklistEntryOut:
    assert entry.id is not None
    return schemas.BlocklistEntryOut(
        id=entry.id,
        kind=entry.kind,
        value=entry.value,
        note=entry.note,
        added_by=entry.added_by_label,
        added_at=entry.added_at,
    )


@router.get("/{slug}/blocklist")
def list_blocklist(acc: ApiStatementViewer, session: SessionDep) -> list[schemas.BlocklistEntryOut]:
    """Every entry: domains, then addresses, then IP ranges."""
    return [_entry(e) for e in blocklists.list_entries(session, statement=acc.statement)]


@router.post("/{slug}/blocklist", status_code=201, responses=WRITE_ERRORS)
def add_to_blocklist(
    acc: ApiStatementEditor,
    body: schemas.BlocklistEntryCreate,
    session: SessionDep,
    user: ApiUser,
) -> schemas.BlocklistEntryOut:
    """Hold signatures that match from now on. An entry already on the list is a 422."""
    entry = blocklists.add_entry(
        session, statement=acc.statement, actor=user, value=body.value, note=body.note
    )
    return _entry(entry)


@router.delete("/{slug}/blocklist/{entry_id}", status_code=204, responses=WRITE_ERRORS)
def remove_from_blocklist(
    acc: ApiStatementEditor, entry_id: EntryId, session: SessionDep, user: ApiUser
) -> Response:
    """Signatures the entry held stay held, with their reason."""
    blocklists.remove_entry(session, statement=acc.statement, actor=user, entry_id=entry_id)
    return Response(status_code=204)


@router.post("/{slug}/blocklist/copy", responses=WRITE_ERRORS)
def copy_blocklist(
    acc: ApiStatementEditor, body: schemas.BlocklistCopy, session: SessionDep, user: ApiUser
) -> schemas.BlocklistCopied:
    """Copy the entries of another statement you are on the team of."""
    added = blocklists.copy_entries(
        session, statement=acc.statement, actor=user, source_slug=body.from_statement
    )
    return schemas.BlocklistCopied(added=added)
