"""A lead's own digest setting for a statement: off, hourly or daily."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import templating
from app.core.db import SessionDep
from app.signatures.digests import service as digests
from app.statements.deps import StatementViewer

router = APIRouter(prefix="/statements")


@router.post("/{slug}/digest")
def set_digest(
    acc: StatementViewer,
    session: SessionDep,
    user: CurrentUser,
    frequency: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    # Any member, viewers too: it is their own inbox.
    digests.set_frequency(session, statement=acc.statement, user=user, frequency=frequency)
    return templating.redirect(f"/statements/{acc.statement.slug}", notice="digest-saved")
